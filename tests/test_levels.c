/* test_levels.c: a level per component and the metric switches (fathom_config's
 * component_levels and metrics, FATHOM_COMPONENT_LEVELS and FATHOM_METRICS): a component at
 * off records nothing; one at basic inside a DETAILED session is timed exactly but never
 * probed; one at detailed inside a BASIC session is probed; a family switched off is absent
 * (not 0) from the model, its JSON and back, one switched on is read at a level that would
 * not; bad values are refused with a message naming the variable. Ground truth: the calls
 * made, the CPU each spinning zone burns. No timing asserted. */
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "load/fathom_load.h"

#define CPU_BITS ((1u << FATHOM_RES_CPU_NS) | (1u << FATHOM_RES_CPU_USER_NS) | \
                  (1u << FATHOM_RES_CPU_SYS_NS) | (1u << FATHOM_RES_CTX_VOL) |      \
                  (1u << FATHOM_RES_CTX_INVOL) | (1u << FATHOM_RES_MINFLT) |        \
                  (1u << FATHOM_RES_MAJFLT))
#define IO_BITS ((1u << FATHOM_RES_READ_BYTES) | (1u << FATHOM_RES_WRITE_BYTES) |   \
                 (1u << FATHOM_RES_READ_OPS) | (1u << FATHOM_RES_WRITE_OPS) |       \
                 (1u << FATHOM_RES_DISK_READ_BYTES) | (1u << FATHOM_RES_DISK_WRITE_BYTES))

static uint64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static __thread volatile uint64_t sink; /* per thread: the workers spin at once */
static void spin_cpu_ms(int ms) {
  uint64_t end = thread_cpu_ns() + (uint64_t)ms * 1000000u;
  while (thread_cpu_ns() < end)
    for (int i = 0; i < 1000; i++) sink += (uint64_t)i * 7;
}

static void begin(fathom_level level, const char *levels, const char *metrics) {
  fathom_config c;
  fathom_config_init(&c);
  c.level = level;
  c.monitor = 0;
  c.component_levels = levels;
  c.metrics = metrics;
  assert_int_equal(fathom_session_begin("levels", &c), 0);
}

static int probe_available(const fathom_profile *p, const char *name) {
  for (uint32_t i = 0; i < p->n_probes; i++)
    if (strcmp(p->probes[i].name, name) == 0) return p->probes[i].available;
  return -1;
}

static void assert_checks(const fathom_profile *p) {
  char msg[2048];
  int n = fathom_profile_check(p, msg, sizeof msg);
  if (n) fail_msg("%d violations:\n%s", n, msg);
}

/* n calls of zone name in component comp, each spinning ms of CPU */
static void calls(const char *name, const char *comp, int n, int ms) {
  for (int i = 0; i < n; i++) {
    fathom_zone z = fathom_zone_begin(name, comp);
    if (ms) spin_cpu_ms(ms);
    fathom_zone_end(z);
  }
}

/* A component at off: its zones are not recorded at all (muted sites), the others are. */
static void test_off_records_nothing(void **state) {
  (void)state;
  begin(FATHOM_LEVEL_BASIC, "quiet=off", NULL);
  for (int i = 0; i < 50; i++) {
    FATHOM_ZONE("muted_zone", "quiet");
    FATHOM_ZONE("kept_zone", "loud");
  }
  calls("muted_dyn", "quiet", 7, 0);
  fathom_profile *p = end();
  assert_int_equal(zidx(p, "muted_zone"), FATHOM_NONE);
  assert_int_equal(zidx(p, "muted_dyn"), FATHOM_NONE);
  assert_int_equal(zone(p, "kept_zone")->stats.count, 50);
  assert_int_equal(p->n_component_levels, 1);
  assert_string_equal(p->component_levels[0].component, "quiet");
  assert_int_equal(p->component_levels[0].level, FATHOM_LEVEL_DISABLED);
  assert_int_equal(p->default_level, FATHOM_LEVEL_BASIC);
  assert_checks(p);
  char *txt = render(p, FATHOM_FORMAT_TEXT, 0);
  assert_non_null(strstr(txt, "quiet off (not recorded)"));
  free(txt);
}

/* A component at basic inside a DETAILED session: every call timed, none probed (its
 * resource figures are "not measured", mask 0), while the session's other zones are probed. */
static void test_basic_in_detailed(void **state) {
  (void)state;
  begin(FATHOM_LEVEL_DETAILED, "cheap=basic", NULL);
  calls("cheap_zone", "cheap", 20, 2);
  calls("probed_zone", "rich", 20, 2);
  fathom_profile *p = end();
  const fathom_zone_info *c = zone(p, "cheap_zone"), *r = zone(p, "probed_zone");
  assert_int_equal(c->stats.count, 20);
  assert_int_equal(c->stats.timed, 20);
  /* its time is still exact: 20 calls of at least 2 ms of CPU each */
  assert_true(c->stats.total_ns >= 20 * 2e6 * 0.99);
  assert_int_equal(c->res.mask, 0);
  assert_int_equal(c->res.samples, 0);
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (p->nodes[i].zone == zidx(p, "cheap_zone")) assert_int_equal(p->nodes[i].res.mask, 0);
  assert_int_equal(p->meta.level, FATHOM_LEVEL_DETAILED);
  if (probe_available(p, "rusage") == 1) {
    assert_true(r->res.samples > 0);
    assert_true(r->res.mask & (1u << FATHOM_RES_CPU_NS));
  }
  assert_checks(p);
}

/* A component at detailed inside a BASIC session: probed (its CPU time is measured and
 * close to what it spun), while the session's other zones are timed only. */
static void test_detailed_in_basic(void **state) {
  (void)state;
  begin(FATHOM_LEVEL_BASIC, "hot=detailed", NULL);
  calls("hot_zone", "hot", 10, 5);
  calls("plain_zone", "cold", 10, 1);
  fathom_profile *p = end();
  const fathom_zone_info *h = zone(p, "hot_zone"), *c = zone(p, "plain_zone");
  assert_int_equal(h->stats.count, 10);
  assert_int_equal(c->stats.count, 10);
  assert_int_equal(c->res.mask, 0);
  /* the session set up what the highest level needs; the profile says who ran at what */
  assert_int_equal(p->meta.level, FATHOM_LEVEL_DETAILED);
  assert_int_equal(p->default_level, FATHOM_LEVEL_BASIC);
  assert_int_equal(p->n_component_levels, 1);
  assert_int_equal(p->component_levels[0].level, FATHOM_LEVEL_DETAILED);
  if (probe_available(p, "rusage") == 1) {
    assert_true(h->res.samples > 0);
    assert_true(h->res.mask & (1u << FATHOM_RES_CPU_NS));
    double cpu = h->res.sum[FATHOM_RES_CPU_NS];
    /* 10 x 5 ms spun: the estimate is well above 0 (at least one call probed) */
    assert_true(cpu > 10 * 5e6 * 0.2);
  } else {
    assert_int_equal(probe_available(p, "rusage"), 0); /* listed, with its reason */
  }
  assert_checks(p);
  char *txt = render(p, FATHOM_FORMAT_TEXT, 0);
  assert_non_null(strstr(txt, "hot detailed; the others basic (timed only)"));
  free(txt);
}

/* Families switched off are absent from every zone (mask bit clear, never a 0 figure), in the
 * model, in its JSON and after loading it back; the switches are kept in the profile. */
static void test_family_off_roundtrip(void **state) {
  (void)state;
  begin(FATHOM_LEVEL_DETAILED, "data=detailed,ui=basic", "-cpu,io=off");
  calls("work_zone", "data", 10, 2);
  calls("ui_zone", "ui", 3, 0);
  fathom_profile *p = end();
  assert_int_equal(p->metrics_off, FATHOM_METRIC_CPU | FATHOM_METRIC_IO);
  assert_int_equal(p->metrics_on, 0);
  for (uint32_t i = 0; i < p->n_probes; i++) {
    assert_string_not_equal(p->probes[i].name, "rusage");     /* not opened at all */
    assert_string_not_equal(p->probes[i].name, "thread_io");
  }
  for (uint32_t i = 0; i < p->n_zones; i++)
    assert_int_equal(p->zones[i].res.mask & (CPU_BITS | IO_BITS), 0);
  if (probe_available(p, "rss") == 1) /* memory is still read */
    assert_true(zone(p, "work_zone")->res.mask & (1u << FATHOM_RES_RSS_DELTA_BYTES));
  assert_checks(p);
  char *txt = render(p, FATHOM_FORMAT_TEXT, 0);
  assert_non_null(strstr(txt, "Metrics off:"));
  assert_non_null(strstr(txt, "cpu, io (switched off: not measured)"));
  free(txt);
  char *json = render(p, FATHOM_FORMAT_JSON, 0);
  assert_non_null(strstr(json, "\"metrics_off\":[\"cpu\",\"io\"]"));
  fathom_profile *q = NULL;
  char err[512];
  int lrc = fathom_profile_load_buffer(json, strlen(json), &q, err, sizeof err);
  if (lrc) fail_msg("load: %s", err);
  hold(q);
  assert_int_equal(q->metrics_off, FATHOM_METRIC_CPU | FATHOM_METRIC_IO);
  assert_int_equal(q->n_component_levels, 2);
  assert_string_equal(q->component_levels[0].component, "data");
  assert_int_equal(q->component_levels[0].level, FATHOM_LEVEL_DETAILED);
  assert_string_equal(q->component_levels[1].component, "ui");
  assert_int_equal(q->component_levels[1].level, FATHOM_LEVEL_BASIC);
  assert_int_equal(q->default_level, FATHOM_LEVEL_DETAILED);
  const fathom_zone_info *w = zone(q, "work_zone");
  assert_int_equal(w->res.mask & (CPU_BITS | IO_BITS), 0);
  assert_int_equal(zone(q, "ui_zone")->res.mask, 0);
  assert_checks(q);
  /* a file that lists an unknown family, or a component above the session's level, is refused */
  char *bad = strdup(json);
  char *at = strstr(bad, "\"metrics_off\":[\"cpu\"");
  memcpy(at + strlen("\"metrics_off\":[\""), "xyz", 3);
  fathom_profile *r = NULL;
  assert_int_equal(fathom_profile_load_buffer(bad, strlen(bad), &r, err, sizeof err),
                   FATHOM_E_FORMAT);
  assert_non_null(strstr(err, "unknown metric family 'xyz'"));
  assert_null(r);
  free(bad);
  free(json);
}

/* A family switched on that the level would not read is read: CPU time at BASIC, and only
 * that (the other families stay unread). */
static void test_family_on_at_basic(void **state) {
  (void)state;
  begin(FATHOM_LEVEL_BASIC, NULL, "cpu=on");
  calls("spun", "x", 5, 4);
  fathom_profile *p = end();
  assert_int_equal(p->metrics_on, FATHOM_METRIC_CPU);
  assert_int_equal(p->n_component_levels, 0);
  const fathom_zone_info *z = zone(p, "spun");
  assert_int_equal(z->res.mask & IO_BITS, 0);
  assert_int_equal(probe_available(p, "thread_io"), -1);
  if (probe_available(p, "rusage") == 1) {
    assert_true(z->res.mask & (1u << FATHOM_RES_CPU_NS));
    assert_true(z->res.sum[FATHOM_RES_CPU_NS] > 0);
  }
  assert_checks(p);
  char *json = render(p, FATHOM_FORMAT_JSON, 0);
  assert_non_null(strstr(json, "\"metrics_on\":[\"cpu\"]"));
  assert_null(strstr(json, "component_levels"));
  free(json);
}

/* The monitor's families switched off are not read: NVML and RAPL are not opened, the host
 * network is not measured (NaN), each said in the probes list. */
static void test_monitor_families_off(void **state) {
  (void)state;
  fathom_config c;
  fathom_config_init(&c);
  c.monitor = 1;
  c.monitor_interval_s = 0.01;
  c.metrics = "-gpu,energy=off,-network";
  assert_int_equal(fathom_session_begin("monitor", &c), 0);
  calls("m", "x", 10, 3);
  fathom_profile *p = end();
  static const char *const off[] = {"nvml", "rapl", "net"};
  for (int k = 0; k < 3; k++) {
    int found = 0;
    for (uint32_t i = 0; i < p->n_probes; i++)
      if (strcmp(p->probes[i].name, off[k]) == 0) {
        found = 1;
        assert_int_equal(p->probes[i].available, 0);
        assert_non_null(strstr(p->probes[i].detail, "switched off"));
      }
    if (!found) fail_msg("probe %s not listed", off[k]);
  }
  assert_int_equal(p->n_gpus, 0);
  assert_true(isnan(p->res.net_rx_bytes));
  assert_true(isnan(p->res.cpu_energy_j));
  assert_int_equal(p->metrics_off,
                   FATHOM_METRIC_GPU | FATHOM_METRIC_ENERGY | FATHOM_METRIC_NETWORK);
  assert_checks(p);
}

static void *worker(void *arg) {
  (void)arg;
  for (int i = 0; i < 20000; i++) {
    FATHOM_ZONE("fast_call", "fast");
  }
  calls("slow_call", "slow", 20, 1);
  return NULL;
}

/* Threads and the governor: a basic component's hot path and a detailed component's slow
 * one on four threads in a DETAILED session: every call counted, the basic one never probed
 * (whatever the governor decides), the detailed one probed. */
static void test_threads_and_governor(void **state) {
  (void)state;
  begin(FATHOM_LEVEL_DETAILED, "fast=basic,slow=detailed", NULL);
  pthread_t th[4];
  for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, worker, NULL), 0);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  fathom_profile *p = end();
  const fathom_zone_info *f = zone(p, "fast_call"), *s = zone(p, "slow_call");
  assert_int_equal(f->stats.count, 4 * 20000);
  assert_int_equal(s->stats.count, 4 * 20);
  assert_int_equal(f->res.mask, 0);
  assert_int_equal(f->res.samples, 0);
  if (probe_available(p, "rusage") == 1) assert_true(s->res.samples >= 4); /* first calls */
  assert_checks(p);
}

/* The lightweight preset is time only: no probe, even for a component at detailed. */
static void test_lightweight_preset(void **state) {
  (void)state;
  fathom_config c;
  fathom_config_init(&c);
  assert_int_equal(fathom_config_preset(&c, "lightweight"), 0);
  assert_non_null(c.metrics);
  c.component_levels = "hot=detailed";
  c.monitor = 0;
  assert_int_equal(fathom_session_begin("light", &c), 0);
  calls("light_zone", "hot", 5, 1);
  fathom_profile *p = end();
  assert_int_equal(zone(p, "light_zone")->stats.count, 5);
  assert_int_equal(zone(p, "light_zone")->res.mask, 0);
  assert_true(p->metrics_off & FATHOM_METRIC_CPU);
  assert_checks(p);
  assert_int_equal(fathom_config_preset(&c, "detailed"), 0);
  assert_null(c.metrics);
}

/* Runs fn with stderr captured into buf. */
static void capture_stderr(void (*fn)(void *), void *arg, char *buf, size_t cap) {
  char path[] = "/tmp/fathom-levels-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  fflush(stderr);
  int saved = dup(2);
  dup2(fd, 2);
  fn(arg);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  ssize_t n = pread(fd, buf, cap - 1, 0);
  buf[n > 0 ? n : 0] = 0;
  close(fd);
  unlink(path);
}

typedef struct envcase {
  const char *var, *value;
  int rc;
  fathom_config c;
} envcase;

static void from_env(void *x) {
  envcase *e = x;
  setenv(e->var, e->value, 1);
  fathom_config_init(&e->c);
  e->rc = fathom_config_from_env(&e->c);
  unsetenv(e->var);
}

static void begin_bad(void *x) {
  envcase *e = x;
  fathom_config_init(&e->c);
  e->c.component_levels = e->value;
  e->rc = fathom_session_begin("bad", &e->c);
}

/* Bad values are refused with a message naming the variable and what is wrong; the field
 * keeps its value. */
static void test_parse_errors(void **state) {
  (void)state;
  static const struct {
    const char *var, *value, *says;
  } bad[] = {
      {"FATHOM_COMPONENT_LEVELS", "data=fast", "unknown level 'fast'"},
      {"FATHOM_COMPONENT_LEVELS", "data", "'data': expected COMPONENT=LEVEL"},
      {"FATHOM_COMPONENT_LEVELS", "a=basic,a=detailed", "component 'a' is listed twice"},
      {"FATHOM_COMPONENT_LEVELS", "=basic", "no component named"},
      {"FATHOM_METRICS", "-disk", "unknown metric family 'disk'"},
      {"FATHOM_METRICS", "cpu=maybe", "'cpu=maybe': expected on or off"},
  };
  char out[1024];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    envcase e = {bad[i].var, bad[i].value, 0, {0}};
    capture_stderr(from_env, &e, out, sizeof out);
    assert_int_equal(e.rc, FATHOM_E_INVAL);
    assert_non_null(strstr(out, bad[i].var));
    if (!strstr(out, bad[i].says)) fail_msg("'%s' lacks '%s'", out, bad[i].says);
    assert_null(e.c.component_levels);
    assert_null(e.c.metrics);
  }
  /* good values are taken as given */
  envcase ok = {"FATHOM_COMPONENT_LEVELS", " data = Detailed , net=off", 0, {0}};
  capture_stderr(from_env, &ok, out, sizeof out);
  assert_int_equal(ok.rc, 0);
  assert_string_equal(ok.c.component_levels, " data = Detailed , net=off");
  envcase okm = {"FATHOM_METRICS", "+gpu,-io, memory=off", 0, {0}};
  capture_stderr(from_env, &okm, out, sizeof out);
  assert_int_equal(okm.rc, 0);
  /* a config file takes both, with or without the prefix; a bad line names file and line */
  char path[] = "/tmp/fathom-levels-conf-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const char *conf = "component_levels = data=detailed,ui=off\nFATHOM_METRICS = -io\n";
  assert_int_equal(write(fd, conf, strlen(conf)), (ssize_t)strlen(conf));
  close(fd);
  fathom_config fc;
  fathom_config_init(&fc);
  assert_int_equal(fathom_config_from_file(&fc, path), 0);
  assert_string_equal(fc.component_levels, "data=detailed,ui=off");
  assert_string_equal(fc.metrics, "-io");
  unlink(path);
  /* a session given a bad value directly does not begin */
  envcase b = {"", "x=loud", 0, {0}};
  capture_stderr(begin_bad, &b, out, sizeof out);
  assert_int_equal(b.rc, FATHOM_E_INVAL);
  assert_non_null(strstr(out, "FATHOM_COMPONENT_LEVELS=x=loud"));
  fathom_session_info info;
  assert_int_equal(fathom_session_info_get(&info) == 0 && info.active, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_off_records_nothing), T(test_basic_in_detailed),  T(test_detailed_in_basic),
      T(test_family_off_roundtrip), T(test_family_on_at_basic), T(test_monitor_families_off),
      T(test_threads_and_governor), T(test_lightweight_preset),
      T(test_parse_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
