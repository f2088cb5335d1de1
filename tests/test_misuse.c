/* test_misuse.c: every documented misuse of the API gives its documented result, is counted
 * where the API says so, and never crashes or corrupts what is recorded: ending zones twice,
 * null and stale handles, ending on another thread, unbalanced nesting, NULL and empty names,
 * unknown timers, calls with no session, sessions begun or ended twice, handles that outlive
 * their session, errno clobbering, and fork with a session active.
 *
 * Invariant: the first test runs before any session exists in the process (cmocka runs tests
 * in order), and every test leaves no session active, even when an assertion fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fathom.h"
#include "testutil.h"

/* ---- helpers ---------------------------------------------------------------------- */

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) continue;
}
static void begin_timeline(int timeline) {
  fathom_config c;
  fathom_config_init(&c);
  c.timeline = timeline;
  test_level(&c);
  assert_int_equal(fathom_session_begin("misuse", &c), 0);
}
static void begin(void) { begin_timeline(0); }
/* Calls of every zone called `name`, whatever its component. */
static uint64_t calls_named(const fathom_profile *p, const char *name) {
  uint64_t n = 0;
  for (uint32_t i = 0; i < p->n_zones; i++)
    if (strcmp(p->zones[i].name, name) == 0) n += p->zones[i].stats.count;
  return n;
}
static uint64_t misuse_now(void) {
  fathom_status st;
  assert_int_equal(fathom_status_get(&st), 0);
  return st.misuse;
}
static void run_thread(void *(*fn)(void *), void *arg) {
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, fn, arg), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
}

/* ---- no session ----------------------------------------------------------------------- */

static void test_no_session(void **state) {
  (void)state;
  fathom_session_info info;
  assert_int_equal(fathom_session_info_get(&info), FATHOM_E_STATE); /* none ever began */
  FATHOM_SITE(site, "nosess", "misuse", NULL);
  fathom_zone z = fathom_zone_begin("nosess", NULL);
  assert_int_equal(z.tag_, 0);
  assert_int_equal(fathom_zone_end(z), FATHOM_E_ENDED);
  z = fathom_zone_begin_site(&site);
  assert_int_equal(z.tag_, 0);
  fathom_metric m[1] = {{"k", 1}};
  assert_int_equal(fathom_zone_end_metrics(z, m, 1), FATHOM_E_ENDED);
  { FATHOM_ZONE("nosess_macro", "misuse"); }
  assert_int_equal(fathom_counter_add("nosess.c", 1), FATHOM_E_STATE);
  assert_int_equal(fathom_gauge_set("nosess.g", 1), FATHOM_E_STATE);
  assert_int_equal(fathom_record_size("nosess.s", 1), FATHOM_E_STATE);
  assert_int_equal(fathom_timer_start("nosess.t"), FATHOM_E_STATE);
  assert_int_equal(fathom_timer_stop("nosess.t"), FATHOM_E_STATE);
  assert_int_equal(fathom_zone_record(&site, 5), FATHOM_E_STATE);
  fathom_profile *p = (fathom_profile *)&info; /* must be overwritten with NULL */
  assert_int_equal(fathom_session_end(&p), FATHOM_E_STATE);
  assert_null(p);
  assert_int_equal(fathom_session_end(NULL), FATHOM_E_STATE);
  assert_int_equal(fathom_reset(), FATHOM_E_STATE);
  assert_null(fathom_snapshot());
  fathom_stats st;
  assert_int_equal(fathom_zone_stats("nosess", &st), FATHOM_E_STATE);
  double v;
  assert_int_equal(fathom_counter_get("nosess.c", &v), FATHOM_E_STATE);
  fathom_breakdown bd[2];
  assert_int_equal(fathom_timing_breakdown(bd, 2), FATHOM_E_STATE);
  fathom_status status;
  assert_int_equal(fathom_status_get(&status), FATHOM_E_STATE);
  assert_int_equal(status.active, 0);
  fathom_set_enabled(1); /* no session to resume: still nothing recorded */
  assert_int_equal(fathom_zone_begin("nosess", NULL).tag_, 0);
  assert_int_equal(fathom_session_info_get(&info), FATHOM_E_STATE);
}

static void test_begin_end_twice(void **state) {
  (void)state;
  assert_int_equal(fathom_session_begin("first", NULL), 0);
  fathom_config c;
  fathom_config_init(&c);
  assert_int_equal(fathom_session_begin("second", &c), FATHOM_E_STATE);
  assert_int_equal(fathom_session_begin("third", NULL), FATHOM_E_STATE);
  fathom_session_info info;
  assert_int_equal(fathom_session_info_get(&info), 0);
  assert_string_equal(info.name, "first"); /* the active session is untouched */
  { FATHOM_ZONE("twice", "misuse"); }
  fathom_profile *p = end();
  assert_int_equal(zone(p, "twice")->stats.count, 1);
  release(p);
  fathom_profile *q = NULL;
  assert_int_equal(fathom_session_end(&q), FATHOM_E_STATE);
  assert_null(q);
}

/* ---- handles -------------------------------------------------------------------------- */

static void test_double_end_and_null(void **state) {
  (void)state;
  begin();
  fathom_zone z = fathom_zone_begin("dbl", "misuse");
  assert_true(z.tag_ != 0);
  assert_int_equal(fathom_zone_end(z), 0);
  assert_int_equal(fathom_zone_end(z), FATHOM_E_ENDED);
  fathom_metric m[1] = {{"late", 1}};
  assert_int_equal(fathom_zone_end_metrics(z, m, 1), FATHOM_E_ENDED);
  fathom_zone null_z = {0};
  assert_int_equal(fathom_zone_end(null_z), FATHOM_E_ENDED);
  fathom_zone_end_scoped(&null_z);
  /* a stale handle whose stack slot has been reused by a newer zone */
  fathom_zone again = fathom_zone_begin("dbl2", "misuse");
  assert_int_equal(fathom_zone_end(z), FATHOM_E_ENDED);
  assert_int_equal(fathom_zone_end(again), 0); /* the newer zone was not disturbed */
  fathom_profile *p = end();
  assert_int_equal(zone(p, "dbl")->stats.count, 1);
  assert_int_equal(p->nodes[node_under(p, "dbl", FATHOM_NONE)].n_metrics, 0);
  assert_int_equal(zone(p, "dbl2")->stats.count, 1);
  assert_int_equal(p->meta.n_zones, 2);
  assert_int_equal(p->meta.misuse, 3); /* the three ends of an ended zone */
  assert_int_equal(p->threads[0].n_open, 0);
  release(p);
}

typedef struct other_end {
  fathom_zone z;
  int record_first, rc, errno_after;
} other_end;

static void *end_elsewhere(void *arg) {
  other_end *o = arg;
  if (o->record_first) { FATHOM_ZONE("other_own", "misuse"); }
  errno = 1234;
  o->rc = fathom_zone_end(o->z);
  o->errno_after = errno;
  return NULL;
}

static void test_wrong_thread(void **state) {
  (void)state;
  begin();
  fathom_zone z = fathom_zone_begin("wt", "misuse");
  assert_true(z.tag_ != 0);
  other_end a = {z, 0, 0, 0}, b = {z, 1, 0, 0};
  run_thread(end_elsewhere, &a); /* a thread fathom has never seen */
  run_thread(end_elsewhere, &b); /* a thread with its own recorder state */
  assert_int_equal(a.rc, FATHOM_E_WRONG_THREAD);
  assert_int_equal(b.rc, FATHOM_E_WRONG_THREAD);
  assert_int_equal(a.errno_after, 1234);
  assert_int_equal(b.errno_after, 1234);
  assert_int_equal(misuse_now(), 2);
  assert_int_equal(fathom_zone_end(z), 0); /* still open on its own thread */
  fathom_profile *p = end();
  assert_int_equal(zone(p, "wt")->stats.count, 1);
  assert_int_equal(zone(p, "other_own")->stats.count, 1);
  assert_int_equal(p->meta.misuse, 2);
  release(p);
}

static void test_unbalanced(void **state) {
  (void)state;
  begin();
  fathom_zone outer = fathom_zone_begin("ub_outer", "misuse");
  fathom_zone inner = fathom_zone_begin("ub_inner", "misuse");
  assert_int_equal(fathom_zone_end(outer), FATHOM_E_UNBALANCED);
  assert_int_equal(misuse_now(), 1);
  assert_int_equal(fathom_zone_end(inner), FATHOM_E_ENDED); /* closed with its parent */
  assert_int_equal(misuse_now(), 2);
  /* three levels: both inner ones closed at once */
  fathom_zone a = fathom_zone_begin("ub_a", "misuse");
  fathom_zone b = fathom_zone_begin("ub_b", "misuse");
  fathom_zone c = fathom_zone_begin("ub_c", "misuse");
  assert_int_equal(fathom_zone_end(a), FATHOM_E_UNBALANCED);
  assert_int_equal(misuse_now(), 4);
  assert_int_equal(fathom_zone_end(c), FATHOM_E_ENDED);
  assert_int_equal(fathom_zone_end(b), FATHOM_E_ENDED);
  /* through timers: stopping the outer timer closes the inner one; the code is counted */
  assert_int_equal(fathom_timer_start("ub_t1"), 0);
  assert_int_equal(fathom_timer_start("ub_t2"), 0);
  assert_in_range(fathom_timer_stop("ub_t1"), 0, INT64_MAX);
  assert_int_equal(fathom_timer_stop("ub_t2"), FATHOM_E_NOTFOUND);
  /* the stack is balanced again */
  fathom_zone after = fathom_zone_begin("ub_after", "misuse");
  assert_int_equal(fathom_zone_end(after), 0);
  uint64_t m_before_end = misuse_now();
  fathom_profile *p = end();
  uint32_t o = node_under(p, "ub_outer", FATHOM_NONE), i = node_under(p, "ub_inner", o);
  assert_int_equal(p->nodes[o].stats.count, 1);
  assert_int_equal(p->nodes[i].stats.count, 1); /* recorded, nested in its parent */
  assert_in_range(p->nodes[i].stats.total_ns, 0, p->nodes[o].stats.total_ns);
  uint32_t na = node_under(p, "ub_a", FATHOM_NONE), nb = node_under(p, "ub_b", na);
  node_under(p, "ub_c", nb);
  node_under(p, "ub_t2", node_under(p, "ub_t1", FATHOM_NONE));
  assert_int_equal(zone(p, "ub_after")->stats.count, 1);
  assert_int_equal(p->meta.n_zones, 8);
  assert_int_equal(p->meta.misuse, m_before_end);
  /* outer/inner 1 + 1 ended again; a closing b, c: 2 + 2 ended again; timer 1; not found 1 */
  assert_int_equal(p->meta.misuse, 8);
  assert_int_equal(p->threads[0].n_open, 0);
  release(p);
}

/* ---- names ------------------------------------------------------------------------------ */

static void test_null_and_empty_names(void **state) {
  (void)state;
  static fathom_site null_site = {NULL, NULL, NULL, __FILE__, "f", __LINE__, 0, 0};
  static fathom_site empty_site = {"", "", NULL, __FILE__, "f", __LINE__, 0, 0};
  begin();
  uint64_t m0 = misuse_now();
  fathom_zone z = fathom_zone_begin(NULL, NULL);
  assert_true(z.tag_ != 0);
  assert_int_equal(fathom_zone_end(z), 0);
  assert_int_equal(misuse_now(), m0 + 1);
  z = fathom_zone_begin("", "comp");
  assert_true(z.tag_ != 0);
  assert_int_equal(fathom_zone_end(z), 0);
  assert_int_equal(misuse_now(), m0 + 2);
  z = fathom_zone_begin_site(NULL);
  assert_int_equal(z.tag_, 0);
  assert_int_equal(fathom_zone_record(NULL, 5), FATHOM_E_INVAL);
  assert_int_equal(fathom_zone_end(fathom_zone_begin_site(&null_site)), 0);
  assert_int_equal(fathom_zone_end(fathom_zone_begin_site(&empty_site)), 0);
  /* counters and timers: no crash, a documented code, counted as misuse */
  uint64_t m1 = misuse_now();
  int rc[3] = {fathom_counter_add(NULL, 1), fathom_gauge_set("", 2), fathom_record_size(NULL, 3)};
  for (int i = 0; i < 3; i++) /* "(null)" is a counter by now: the size may be refused */
    if (rc[i] != 0 && rc[i] != FATHOM_E_INVAL) fail_msg("metric call %d returned %d", i, rc[i]);
  assert_in_range(misuse_now(), m1 + 3, m1 + 6); /* each counted at least once */
  double v;
  assert_int_equal(fathom_counter_get(NULL, &v), FATHOM_E_INVAL);
  assert_int_equal(fathom_timer_start(NULL), 0);
  assert_in_range(fathom_timer_stop(NULL), 0, INT64_MAX); /* the same "(null)" timer */
  assert_int_equal(fathom_timer_start(""), 0);
  assert_in_range(fathom_timer_stop(""), 0, INT64_MAX); /* the same "(empty)" timer */
  assert_int_equal(fathom_timer_stop("never_started"), FATHOM_E_NOTFOUND);
  assert_int_equal(fathom_timer_start("tm_open"), 0); /* another timer open: still not found */
  assert_int_equal(fathom_timer_stop("tm_other"), FATHOM_E_NOTFOUND);
  assert_in_range(fathom_timer_stop("tm_open"), 0, INT64_MAX);
  fathom_profile *p = end();
  assert_int_equal(calls_named(p, "(null)"), 3); /* begin(NULL), the site, the timer */
  assert_int_equal(calls_named(p, "(empty)"), 3);
  assert_string_equal(p->zones[zidx(p, "(null)")].component, "default");
  assert_int_equal(p->threads[0].n_open, 0);
  release(p);
}

/* ---- handles that outlive their session ---------------------------------------------- */

static void test_stale_handle_next_session(void **state) {
  (void)state;
  begin();
  fathom_zone old = fathom_zone_begin("old_open", "misuse");
  assert_true(old.tag_ != 0);
  fathom_profile *p1 = end();
  assert_int_equal(p1->threads[0].n_open, 1); /* still open when the profile was built */
  release(p1);
  sleep_ms(5);
  begin();
  { FATHOM_ZONE("new_zone", "misuse"); }
  int rc = fathom_zone_end(old);
  if (rc != 0 && rc != FATHOM_E_ENDED) fail_msg("ending a handle of the last session: %d", rc);
  { FATHOM_ZONE("new_zone2", "misuse"); }
  fathom_profile *p = end();
  for (uint32_t i = 0; i < p->n_nodes; i++) /* new zones are top-level, not under the old one */
    if (p->nodes[i].parent != FATHOM_NONE)
      fail_msg("zone '%s' of the new session is nested under '%s' (depth %u)",
               p->zones[p->nodes[i].zone].name, p->zones[p->nodes[p->nodes[i].parent].zone].name,
               p->nodes[i].depth);
  node_under(p, "new_zone", FATHOM_NONE);
  node_under(p, "new_zone2", FATHOM_NONE);
  for (uint32_t i = 0; i < p->n_nodes; i++) /* nothing longer than the session itself */
    assert_in_range(p->nodes[i].stats.total_ns, 0, p->meta.duration_ns);
  assert_int_equal(p->threads[0].n_open, 0);
  release(p);
}

/* ---- errno ------------------------------------------------------------------------------ */

#define KEEP_ERRNO(call, bad)            \
  do {                                   \
    errno = 1234;                        \
    (void)(call);                        \
    if (errno != 1234 && !(bad)[0]) snprintf((bad), 128, "%s set errno to %d", #call, errno); \
  } while (0)

static void errno_calls(char *bad, const char *tag) {
  static fathom_site site = {"errno_site", "misuse", NULL, __FILE__, "f", __LINE__, 0, 0};
  char name[64], name2[64], cname[64];
  snprintf(name, sizeof name, "errno_zone_%s", tag);
  snprintf(name2, sizeof name2, "errno_inner_%s", tag);
  snprintf(cname, sizeof cname, "errno.c.%s", tag);
  fathom_zone z, y;
  KEEP_ERRNO(z = fathom_zone_begin(name, "misuse"), bad); /* first call: new thread state */
  KEEP_ERRNO(y = fathom_zone_begin(name2, tag), bad);    /* new site, new node */
  fathom_metric m[1] = {{"errno_metric", 1}};
  KEEP_ERRNO(fathom_zone_end_metrics(y, m, 1), bad);
  KEEP_ERRNO(fathom_zone_end(y), bad);                    /* misuse path */
  KEEP_ERRNO(fathom_zone_record(&site, 123456789), bad); /* new histogram block */
  KEEP_ERRNO(fathom_zone_end(z), bad);
  KEEP_ERRNO(fathom_counter_add(cname, 1), bad);
  KEEP_ERRNO(fathom_gauge_set(cname, 1), bad); /* kind mismatch */
  KEEP_ERRNO(fathom_gauge_set("errno.g", 1.5), bad);
  KEEP_ERRNO(fathom_record_size("errno.s", 4096), bad);
  KEEP_ERRNO(fathom_timer_start(name), bad);
  KEEP_ERRNO(fathom_timer_stop(name), bad);
  KEEP_ERRNO(fathom_timer_stop("errno_none"), bad);
  KEEP_ERRNO(fathom_zone_begin(NULL, NULL), bad);
}

static void *errno_thread(void *arg) {
  errno_calls(arg, "thread");
  return NULL;
}

static void test_errno_preserved(void **state) {
  (void)state;
  for (int timeline = 0; timeline < 2; timeline++) {
    char bad_main[128] = "", bad_thread[128] = "";
    begin_timeline(timeline);
    errno_calls(bad_main, timeline ? "main_tl" : "main");
    run_thread(errno_thread, bad_thread);
    errno = 1234;
    fathom_profile *p = fathom_snapshot();
    assert_int_equal(errno, 1234);
    release(p);
    p = NULL;
    errno = 1234;
    assert_int_equal(fathom_session_end(&p), 0);
    assert_int_equal(errno, 1234);
    release(p);
    if (bad_main[0]) fail_msg("main thread (timeline %d): %s", timeline, bad_main);
    if (bad_thread[0]) fail_msg("new thread (timeline %d): %s", timeline, bad_thread);
  }
}

/* ---- fork --------------------------------------------------------------------------------- */

/* In the child: no cmocka (its asserts longjmp into the parent's copy of the runner). */
static int child_body(void) {
  for (int i = 0; i < 5; i++) {
    FATHOM_ZONE("child_zone", "misuse");
  }
  fathom_counter_add("fork.count", 100);
  fathom_profile *p = NULL;
  if (fathom_session_end(&p) != 0 || !p) return 2;
  uint32_t z = zidx(p, "child_zone");
  int rc = z == FATHOM_NONE || p->zones[z].stats.count != 5 ? 3 : 0;
  release(p);
  return rc;
}

static void test_fork(void **state) {
  (void)state;
  begin_timeline(1);
  { FATHOM_ZONE("pre_fork", "misuse"); }
  fathom_counter_add("fork.count", 1);
  sleep_ms(10); /* the timeline flusher has run at least once */
  fflush(NULL);
  pid_t pid = fork();
  assert_in_range(pid, 0, INT32_MAX);
  if (pid == 0) _exit(child_body());
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (!WIFEXITED(status)) fail_msg("the child did not exit normally: status 0x%x", status);
  assert_int_equal(WEXITSTATUS(status), 0);
  for (int i = 0; i < 3; i++) {
    FATHOM_ZONE("post_fork", "misuse");
  }
  fathom_counter_add("fork.count", 2);
  fathom_profile *p = end();
  assert_int_equal(zone(p, "pre_fork")->stats.count, 1);
  assert_int_equal(zone(p, "post_fork")->stats.count, 3);
  assert_int_equal(zidx(p, "child_zone"), FATHOM_NONE);
  assert_int_equal(p->meta.n_zones, 4);
  for (uint32_t i = 0; i < p->n_counters; i++)
    if (strcmp(p->counters[i].name, "fork.count") == 0) assert_int_equal((int)p->counters[i].value, 3);
  assert_int_equal(p->meta.dropped_events, 0);
  uint64_t per[2] = {0, 0};
  for (uint64_t i = 0; i < p->n_events; i++) {
    const char *n = p->zones[p->events[i].zone].name;
    if (strcmp(n, "pre_fork") != 0 && strcmp(n, "post_fork") != 0)
      fail_msg("event %llu of zone '%s' in the parent's timeline", (unsigned long long)i, n);
    per[strcmp(n, "post_fork") == 0]++;
  }
  if (per[0] != 1 || per[1] != 3)
    fail_msg("parent's timeline: %llu pre_fork and %llu post_fork events, want 1 and 3 "
             "(%llu events in all)", (unsigned long long)per[0], (unsigned long long)per[1],
             (unsigned long long)p->n_events);
  release(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_no_session),        T(test_begin_end_twice),      T(test_double_end_and_null),
      T(test_wrong_thread),      T(test_unbalanced),           T(test_null_and_empty_names),
      T(test_stale_handle_next_session), T(test_errno_preserved), T(test_fork),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
