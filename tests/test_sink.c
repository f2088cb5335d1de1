/* test_sink.c: the sink API and the JSON-lines stream: a callback gets one call per flush
 * (explicit flushes, then the final one) with the right figures, sorted zones, counters and
 * the model; the stream gets one whole JSON object per flush (each line parsed with jansson)
 * with the same figures; periodic flushes come from the background thread; sinks stay across
 * sessions, register once, are removed, hit the table limit; a failing stream path is
 * reported once and the session goes on. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "scratch.h"

typedef struct seen {
  int calls, finals;
  uint64_t last_seq, fast_calls, zone_calls;
  double rows, fast_total;
  uint32_t n_zones;
  int sorted, has_profile;
  char first_zone[64], session[64];
} seen;

static void record(const fathom_sink_metrics *m, void *user) {
  seen *s = user;
  s->calls++;
  s->finals += m->final;
  s->last_seq = m->seq;
  s->n_zones = m->n_zones;
  s->zone_calls = m->zone_calls;
  s->has_profile = m->profile != NULL && m->profile->n_zones == m->n_zones;
  snprintf(s->session, sizeof s->session, "%s", m->session);
  s->sorted = 1;
  for (uint32_t i = 1; i < m->n_zones; i++)
    if (m->zones[i].total_s > m->zones[i - 1].total_s) s->sorted = 0;
  if (m->n_zones) snprintf(s->first_zone, sizeof s->first_zone, "%s", m->zones[0].name);
  for (uint32_t i = 0; i < m->n_zones; i++)
    if (!strcmp(m->zones[i].name, "fast")) {
      s->fast_calls = m->zones[i].calls;
      s->fast_total = m->zones[i].total_s;
    }
  for (uint32_t i = 0; i < m->n_counters; i++)
    if (!strcmp(m->counters[i].name, "rows")) s->rows = m->counters[i].value;
}

static void work(int n) {
  for (int i = 0; i < n; i++) {
    FATHOM_ZONE("fast", "cpu");
    FATHOM_COUNTER_ADD("rows", 3);
  }
  FATHOM_ZONE("slow", "io");
  sleep_ms(20);
}

static int n_lines(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  int n = 0, c;
  while ((c = fgetc(f)) != EOF) n += c == '\n';
  fclose(f);
  return n;
}

/* Line k (0-based) of the stream, parsed. */
static json_t *line(const char *path, int k) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  static char buf[1 << 16];
  for (int i = 0; i <= k; i++) assert_non_null(fgets(buf, sizeof buf, f));
  fclose(f);
  json_error_t e;
  json_t *j = json_loads(buf, 0, &e);
  if (!j) fail_msg("line %d is not JSON: %s: %s", k, e.text, buf);
  return j;
}

static const json_t *zone_obj(const json_t *j, const char *name) {
  const json_t *zs = json_object_get(j, "zones");
  for (size_t i = 0; i < json_array_size(zs); i++) {
    const json_t *z = json_array_get(zs, i);
    if (!strcmp(json_string_value(json_object_get(z, "name")), name)) return z;
  }
  fail_msg("zone %s not in the line", name);
  return NULL;
}

static void callback_and_stream(void **state) {
  (void)state;
  seen s = {0};
  char path[600];
  snprintf(path, sizeof path, "%s/stream.jsonl", dir);
  assert_int_equal(fathom_sink_add(record, &s), 0);
  assert_int_equal(fathom_sink_add(record, &s), 0);   /* once only */
  fathom_config c;
  fathom_config_init(&c);
  c.sink_path = path;
  c.sink_interval_s = 3600;   /* no periodic flush in this test */
  assert_int_equal(fathom_session_begin("sinks", &c), 0);
  work(10);
  assert_int_equal(fathom_sink_flush(), 0);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.last_seq, 1);
  assert_int_equal(s.fast_calls, 10);
  assert_true(s.rows == 30);
  assert_int_equal(s.n_zones, 2);
  assert_string_equal(s.first_zone, "slow");   /* sorted by total time */
  assert_true(s.sorted && s.has_profile);
  assert_string_equal(s.session, "sinks");
  assert_int_equal(s.zone_calls, 11);
  work(5);
  assert_int_equal(fathom_sink_flush(), 0);
  work(1);
  fathom_profile *p = end();
  assert_int_equal(s.calls, 3);
  assert_int_equal(s.finals, 1);
  assert_int_equal(s.last_seq, 3);
  assert_int_equal(s.fast_calls, 16);
  assert_true(s.rows == 48);
  assert_int_equal(n_lines(path), 3);
  json_t *j = line(path, 2);
  assert_true(json_is_true(json_object_get(j, "final")));
  assert_int_equal(json_integer_value(json_object_get(j, "seq")), 3);
  assert_int_equal(json_integer_value(json_object_get(j, "pid")), getpid());
  assert_string_equal(json_string_value(json_object_get(j, "session")), "sinks");
  assert_true(json_number_value(json_object_get(j, "ts")) > 1.6e9);
  const json_t *z = zone_obj(j, "fast");
  assert_int_equal(json_integer_value(json_object_get(z, "calls")), 16);
  assert_string_equal(json_string_value(json_object_get(z, "component")), "cpu");
  double total = json_number_value(json_object_get(z, "total_s"));
  assert_true(fabs(total - (double)zone(p, "fast")->stats.total_ns / 1e9) <= 1e-9 * (1 + total));
  const json_t *k = json_array_get(json_object_get(j, "counters"), 0);
  assert_string_equal(json_string_value(json_object_get(k, "name")), "rows");
  assert_true(json_number_value(json_object_get(k, "value")) == 48);
  json_decref(j);
  j = line(path, 0);
  assert_true(json_is_false(json_object_get(j, "final")));
  assert_int_equal(json_integer_value(json_object_get(zone_obj(j, "fast"), "calls")), 10);
  json_decref(j);
  fathom_live_info i;
  fathom_live_info_get(&i);
  assert_int_equal(i.n_sink_flushes, 3);

  /* sinks stay registered across sessions: the next session's final flush reaches it */
  fathom_config_init(&c);
  assert_int_equal(fathom_session_begin("sinks-2", &c), 0);
  work(2);
  end();
  assert_int_equal(s.calls, 4);
  assert_int_equal(s.last_seq, 1);
  assert_int_equal(n_lines(path), 3);   /* no stream this time */
  assert_int_equal(fathom_sink_remove(record, &s), 0);
  assert_int_equal(fathom_sink_remove(record, &s), FATHOM_E_NOTFOUND);
  assert_int_equal(fathom_session_begin("sinks-3", &c), 0);
  work(1);
  assert_int_equal(fathom_sink_flush(), 0);   /* nothing registered: nothing called */
  end();
  assert_int_equal(s.calls, 4);
}

static void periodic(void **state) {
  (void)state;
  seen s = {0};
  char path[600];
  snprintf(path, sizeof path, "%s/periodic.jsonl", dir);
  assert_int_equal(fathom_sink_add(record, &s), 0);
  setenv("FATHOM_SINK", path, 1);
  setenv("FATHOM_SINK_INTERVAL", "0.1", 1);
  assert_int_equal(fathom_session_begin("periodic", NULL), 0);
  unsetenv("FATHOM_SINK");
  unsetenv("FATHOM_SINK_INTERVAL");
  work(4);
  fathom_live_info i;
  for (int k = 0; k < 2000; k++) {
    fathom_live_info_get(&i);
    if (i.n_sink_flushes >= 3) break;
    sleep_ms(10);
  }
  assert_true(i.n_sink_flushes >= 3);
  end();
  fathom_live_info_get(&i);
  assert_int_equal(fathom_sink_remove(record, &s), 0);
  /* the callback and the stream saw every flush, the last one final */
  assert_int_equal((uint64_t)s.calls, i.n_sink_flushes);
  assert_int_equal(n_lines(path), s.calls);
  assert_int_equal(s.finals, 1);
  assert_int_equal(s.last_seq, (uint64_t)s.calls);
  for (int k = 0; k < s.calls; k++) {
    json_t *j = line(path, k);
    assert_int_equal(json_integer_value(json_object_get(j, "seq")), k + 1);
    assert_int_equal(json_is_true(json_object_get(j, "final")), k == s.calls - 1);
    assert_int_equal(json_integer_value(json_object_get(zone_obj(j, "fast"), "calls")), 4);
    json_decref(j);
  }
}

static void noop(const fathom_sink_metrics *m, void *user) {
  (void)m, (void)user;
}

static void limits_and_errors(void **state) {
  (void)state;
  assert_int_equal(fathom_sink_add(NULL, NULL), FATHOM_E_INVAL);
  assert_int_equal(fathom_sink_flush(), FATHOM_E_STATE);   /* no session */
  static int users[17];
  for (int i = 0; i < 16; i++) assert_int_equal(fathom_sink_add(noop, &users[i]), 0);
  assert_int_equal(fathom_sink_add(noop, &users[16]), FATHOM_E_LIMIT);
  for (int i = 0; i < 16; i++) assert_int_equal(fathom_sink_remove(noop, &users[i]), 0);
  /* an unwritable stream: one stderr line, the session unharmed */
  char errpath[600];
  int saved = stderr_to_file(errpath, sizeof errpath);
  fathom_config c;
  fathom_config_init(&c);
  c.sink_path = "/nonexistent-dir-for-fathom-tests/s.jsonl";
  int rc = fathom_session_begin("sink-bad", &c);
  work(1);
  int f1 = fathom_sink_flush(), f2 = fathom_sink_flush();
  fathom_profile *p = NULL;
  int erc = fathom_session_end(&p);
  stderr_restore(saved);
  hold(p);
  assert_int_equal(rc, 0);
  assert_int_equal(f1, FATHOM_E_IO);
  assert_int_equal(f2, FATHOM_E_IO);
  assert_int_equal(erc, 0);
  assert_int_equal(zone(p, "fast")->stats.count, 1);
  char buf[4096];
  read_text(errpath, buf, sizeof buf);
  assert_non_null(strstr(buf, "fathom: sink stream /nonexistent-dir-for-fathom-tests/s.jsonl"));
  assert_null(strchr(buf, '\n') ? strchr(strchr(buf, '\n') + 1, '\n') : NULL);   /* one line */
}

int main(void) {
  setup_dir("sink");
  const struct CMUnitTest tests[] = {
      T(callback_and_stream), T(periodic), T(limits_and_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
