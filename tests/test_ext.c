/* test_ext.c: extensions (fathom_extension_register) against what the test knows:
 *   a counter extension whose counter the test's zones raise by known amounts, inside
 *     nested zones (outer > inner): each path's and zone's inclusive and self figures exact
 *     when every call is read (every call probed at DETAILED, or FATHOM_EXT_EVERY_CALL at
 *     BASIC, with and without the timeline);
 *   sampled probes (1 call in 16): the estimates' 95 % interval holds the truth, widened to
 *     4 standard errors so the test fails about once in 15000 runs, and the error is not 0;
 *   the sample callback's rows in the profile; the report callback's text in the profile and
 *     the text report;
 *   the profile: JSON round trip, fathom_profile_check (a tampered self caught), a bad node
 *     index refused, the text, CSV, Prometheus and JSON-lines views with the exact figures;
 *   a threshold: the ext_threshold finding on the zone whose own figure per call is above
 *     it (not on its parent), every finding's extension figures;
 *   two threads reading their own counters while live snapshots are taken: each checks
 *     clean, and the final figures are exact per thread;
 *   misuse: NULL, no name, bad names, no callbacks, too many metrics, repeated metric names,
 *     the same extension or name twice, more than FATHOM_EXT_MAX, clear during a session. */
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fathom_load.h"
#include "live/sink.h"
#include "testutil.h"

#define OUTER 40
#define INNER 50

static double counter;      /* the extension's counter: the test's zones raise it (one thread) */
static double bytes_ctr;    /* a second metric: 3 per step */
static int samples_taken;

static int rd(void *user, double *v) {
  (void)user;
  v[0] = counter;
  v[1] = bytes_ctr;
  return 0;
}
static int smp(void *user, double *v) {
  (void)user;
  __atomic_add_fetch(&samples_taken, 1, __ATOMIC_RELAXED);
  v[0] = 1.5;
  v[1] = 2.5;
  return 0;
}
static void rep(void *user, const fathom_profile *p, FILE *f) {
  (void)user;
  fprintf(f, "toy counter report: %u zones\n", p->n_zones);
}

static const char *const names[] = {"steps", "bytes"};
static const char *const units[] = {"steps", "bytes"};

static fathom_extension ext_for(uint32_t flags) {
  fathom_extension x;
  memset(&x, 0, sizeof x);
  x.name = "toy";
  x.n_metrics = 2;
  x.metric_names = names;
  x.metric_units = units;
  x.flags = flags;
  x.begin = rd;
  x.end = rd;
  x.sample = smp;
  x.report = rep;
  return x;
}

static void raise_by(double k) {
  counter += k;
  bytes_ctr += 3 * k;
}

/* The workload: truth per path (outer inclusive, outer self, inner inclusive). */
typedef struct truth { double outer, outer_self, inner; } truth;

static truth work(void) {
  truth t = {0, 0, 0};
  for (int i = 0; i < OUTER; i++) {
    fathom_zone zo = fathom_zone_begin("ext_outer", NULL);
    raise_by(2);
    t.outer_self += 2;
    for (int j = 0; j < INNER; j++) {
      fathom_zone zi = fathom_zone_begin("ext_inner", NULL);
      double k = (double)((i * INNER + j) % 7 + 1);
      raise_by(k);
      t.inner += k;
      fathom_zone_end(zi);
    }
    raise_by(1);
    t.outer_self += 1;
    fathom_zone_end(zo);
  }
  t.outer = t.outer_self + t.inner;
  return t;
}

static const fathom_ext_value *val(const fathom_profile *p, uint32_t node, uint32_t k) {
  assert_true(p->n_ext_metrics > k);
  assert_non_null(p->nodes[node].ext);
  return &p->nodes[node].ext[k];
}

static const double *next_thresholds;   /* given to the next run's extension */
static int next_timeline;               /* the next run records the timeline */

static fathom_profile *run(fathom_level level, uint32_t sample_every, uint32_t flags,
                           truth *t) {
  assert_int_equal(fathom_extensions_clear(), 0);
  fathom_extension x = ext_for(flags);
  x.thresholds = next_thresholds;
  assert_int_equal(fathom_extension_register(&x), 0);
  fathom_config c;
  fathom_config_init(&c);
  c.level = level;
  c.governor = 0;
  c.sample_every = sample_every;
  c.monitor = 0;
  c.monitor_interval_s = 0.01;
  c.sample_hz = 0;
  c.timeline = next_timeline;
  assert_int_equal(fathom_session_begin("ext", &c), 0);
  *t = work();
  return end();
}

static void check_exact(const fathom_profile *p, const truth *t) {
  uint32_t o = node_under(p, "ext_outer", FATHOM_NONE), in = node_under(p, "ext_inner", o);
  const fathom_ext_value *vo = val(p, o, 0), *vi = val(p, in, 0), *bo = val(p, o, 1);
  assert_int_equal(vo->samples, OUTER);
  assert_int_equal(vi->samples, OUTER * INNER);
  assert_true(vo->total == t->outer);
  assert_true(vo->self == t->outer_self);
  assert_true(vi->total == t->inner);
  assert_true(vi->self == t->inner);
  assert_true(bo->total == 3 * t->outer);
  assert_true(vo->total_se == 0 && vo->self_se == 0 && vi->total_se == 0);
  const fathom_zone_info *zo = zone(p, "ext_outer");
  assert_non_null(zo->ext);
  assert_true(zo->ext[0].total == t->outer && zo->ext[0].self == t->outer_self);
}

static void every_call_probed_is_exact(void **s) {
  (void)s;
  truth t;
  fathom_profile *p = run(FATHOM_LEVEL_DETAILED, 1, 0, &t);
  assert_int_equal(p->n_exts, 1);
  assert_string_equal(p->exts[0].name, "toy");
  assert_int_equal(p->exts[0].n_metrics, 2);
  assert_string_equal(p->exts[0].metrics[1].unit, "bytes");
  assert_int_equal(p->n_ext_metrics, 2);
  check_exact(p, &t);
  assert_non_null(p->exts[0].report);
  assert_non_null(strstr(p->exts[0].report, "toy counter report"));
  char msg[512];
  assert_int_equal(fathom_profile_check(p, msg, sizeof msg), 0);
}

static void every_call_flag_at_basic_is_exact(void **s) {
  (void)s;
  truth t;
  fathom_profile *p = run(FATHOM_LEVEL_BASIC, 0, FATHOM_EXT_EVERY_CALL, &t);
  check_exact(p, &t);
  next_timeline = 1;   /* with the timeline on too: every call read, every event recorded */
  p = run(FATHOM_LEVEL_BASIC, 0, FATHOM_EXT_EVERY_CALL, &t);
  next_timeline = 0;
  check_exact(p, &t);
  assert_int_equal(p->n_events, OUTER + OUTER * INNER);
}

static void sampled_probes_estimate_with_error(void **s) {
  (void)s;
  truth t;
  int covered_se = 0;
  fathom_profile *p = run(FATHOM_LEVEL_DETAILED, 16, 0, &t);
  uint32_t o = node_under(p, "ext_outer", FATHOM_NONE), in = node_under(p, "ext_inner", o);
  const fathom_ext_value *vi = val(p, in, 0);
  assert_true(vi->samples > 0 && vi->samples < OUTER * INNER);
  assert_true(vi->total_se > 0);
  assert_true(fabs(vi->total - t.inner) <= 4 * vi->total_se);
  covered_se = 1;
  const fathom_ext_value *vo = val(p, o, 0);
  assert_true(vo->self <= vo->total);
  assert_true(vo->self >= 0);
  if (fabs(vo->total - t.outer) > 4 * vo->total_se)
    fprintf(stderr, "outer: samples %llu total %g se %g truth %g; inner %g se %g\n",
            (unsigned long long)vo->samples, vo->total, vo->total_se, t.outer, vi->total,
            vi->total_se);
  if (vo->total_se > 0) assert_true(fabs(vo->total - t.outer) <= 4 * vo->total_se + 1e-9);
  else assert_true(vo->total == t.outer);
  assert_true(covered_se);
}

static void sample_callback_rows(void **s) {
  (void)s;
  assert_int_equal(fathom_extensions_clear(), 0);
  fathom_extension x = ext_for(0);
  assert_int_equal(fathom_extension_register(&x), 0);
  fathom_config c;
  fathom_config_init(&c);
  c.level = FATHOM_LEVEL_DETAILED;
  c.monitor_interval_s = 0.01;
  c.sample_hz = 0;
  int before = __atomic_load_n(&samples_taken, __ATOMIC_RELAXED);
  assert_int_equal(fathom_session_begin("ext-samples", &c), 0);
  for (int i = 0; i < 200 && __atomic_load_n(&samples_taken, __ATOMIC_RELAXED) < before + 3; i++)
    usleep(5000);
  fathom_profile *p = end();
  assert_true(__atomic_load_n(&samples_taken, __ATOMIC_RELAXED) >= before + 3);
  const fathom_series *se = &p->exts[0].series;
  assert_int_equal(se->n_cols, 2);
  assert_string_equal(se->cols[0], "steps");
  assert_true(se->n >= 3);
  assert_true(se->v[0] == 1.5 && se->v[1] == 2.5);
  for (uint64_t i = 1; i < se->n; i++) assert_true(se->ts_ns[i] >= se->ts_ns[i - 1]);
}



static void profile_round_trip_check_and_views(void **s) {
  (void)s;
  truth t;
  fathom_profile *p = run(FATHOM_LEVEL_DETAILED, 1, 0, &t);
  size_t len = 0;
  char *buf = NULL;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0), 0);
  fclose(f);
  fathom_profile *q = NULL;
  char err[512];
  assert_int_equal(fathom_profile_load_buffer(buf, len, &q, err, sizeof err), 0);
  assert_int_equal(q->n_exts, 1);
  assert_int_equal(q->n_ext_metrics, 2);
  assert_string_equal(q->exts[0].metrics[0].name, "steps");
  assert_string_equal(q->exts[0].metrics[1].unit, "bytes");
  assert_true(isnan(q->exts[0].metrics[0].threshold));
  assert_string_equal(q->exts[0].report, p->exts[0].report);
  for (uint32_t i = 0; i < p->n_nodes; i++)
    for (uint32_t k = 0; k < 2; k++) {
      const fathom_ext_value *a = &p->nodes[i].ext[k], *b = &q->nodes[i].ext[k];
      assert_int_equal(a->samples, b->samples);
      assert_true(a->total == b->total && a->self == b->self && a->total_se == b->total_se);
    }
  for (uint32_t z = 0; z < p->n_zones; z++)
    assert_true(p->zones[z].ext[0].total == q->zones[z].ext[0].total);
  assert_int_equal(fathom_profile_check(q, err, sizeof err), 0);
  /* tampered: a self above its total is caught, naming the zone and the metric */
  uint32_t o = node_under(q, "ext_outer", FATHOM_NONE);
  q->nodes[o].ext[0].self = q->nodes[o].ext[0].total + 10;
  assert_true(fathom_profile_check(q, err, sizeof err) >= 1);
  assert_non_null(strstr(err, "ext_outer"));
  assert_non_null(strstr(err, "steps"));
  /* a child's total above its parent's (the self restored) is caught too */
  q->nodes[o].ext[0].self = q->nodes[o].ext[0].total - t.inner;
  assert_int_equal(fathom_profile_check(q, err, sizeof err), 0);
  uint32_t in = node_under(q, "ext_inner", o);
  q->nodes[in].ext[0].total += q->nodes[o].ext[0].total;
  q->nodes[in].ext[0].self = q->nodes[in].ext[0].total;
  assert_true(fathom_profile_check(q, err, sizeof err) >= 1);
  assert_non_null(strstr(err, "children's totals"));
  /* more calls read than made */
  q->nodes[in].ext[0] = p->nodes[in].ext[0];
  q->nodes[o].ext[1].samples = q->nodes[o].stats.count + 1;
  assert_true(fathom_profile_check(q, err, sizeof err) >= 1);
  assert_non_null(strstr(err, "calls read, more than"));
  fathom_profile_free(q);
  /* a file whose node index is out of range is refused with the path to it */
  const char *nodes = strstr(buf, "\"nodes\":[\n[");
  assert_non_null(nodes);
  size_t at = (size_t)(nodes - buf) + strlen("\"nodes\":[\n[");
  char *bad = malloc(len + 6);
  assert_non_null(bad);
  memcpy(bad, buf, at);
  memcpy(bad + at, "99999", 5);   /* node 99999...: far past the last node */
  memcpy(bad + at + 5, buf + at, len - at + 1);
  q = NULL;
  assert_int_not_equal(fathom_profile_load_buffer(bad, len + 5, &q, err, sizeof err), 0);
  assert_null(q);
  assert_non_null(strstr(err, "extensions"));
  free(bad);
  free(buf);
  /* Prometheus: the zone's figures with the extension and metric as labels */
  char *prom = NULL;
  size_t plen = 0;
  FILE *pf = open_memstream(&prom, &plen);
  assert_int_equal(fathom_metrics_write(p, pf), 0);
  fclose(pf);
  char line[256];
  snprintf(line, sizeof line, "fathom_ext_inclusive{extension=\"toy\",metric=\"steps\","
           "zone=\"ext_outer\",component=\"default\"} %.15g\n", t.outer);
  assert_non_null(strstr(prom, line));
  snprintf(line, sizeof line, "fathom_ext_self{extension=\"toy\",metric=\"bytes\","
           "zone=\"ext_outer\",component=\"default\"} %.15g\n", 3 * t.outer_self);
  assert_non_null(strstr(prom, line));
  assert_non_null(strstr(prom, "# TYPE fathom_ext_calls_read_total counter\n"));
  free(prom);
  /* the JSON-lines sink: one line, valid JSON, with the zone's figures */
  fathom_sink_metrics sm;
  assert_int_equal(fz_sink_metrics_build(p, &sm), 0);
  char *jl = NULL;
  size_t jlen = 0;
  FILE *jf = open_memstream(&jl, &jlen);
  fz_sink_jsonl_write(&sm, jf);
  fclose(jf);
  fz_sink_metrics_free(&sm);
  json_error_t je;
  json_t *jo = json_loads(jl, 0, &je);
  assert_non_null(jo);
  json_t *ex = json_array_get(json_object_get(jo, "extensions"), 0);
  assert_string_equal(json_string_value(json_object_get(ex, "name")), "toy");
  json_t *m0 = json_array_get(json_object_get(ex, "metrics"), 0);
  int found = 0;
  json_t *zs = json_object_get(m0, "zones");
  for (size_t i = 0; i < json_array_size(zs); i++) {
    json_t *zz = json_array_get(zs, i);
    if (strcmp(json_string_value(json_object_get(zz, "zone")), "ext_outer") == 0) {
      found = 1;
      assert_true(json_number_value(json_object_get(zz, "total")) == t.outer);
      assert_true(json_number_value(json_object_get(zz, "self")) == t.outer_self);
    }
  }
  assert_true(found);
  json_decref(jo);
  free(jl);
  /* CSV: 4 columns per metric after the fixed ones; ext_outer's row holds its figures */
  char *csv = render(p, FATHOM_FORMAT_CSV, 0);
  assert_non_null(strstr(csv, ",ext:toy.steps:total,ext:toy.steps:total_se,ext:toy.steps:self,"
                              "ext:toy.steps:self_se,ext:toy.bytes:total"));
  const char *row = strstr(csv, "\r\next_outer,");
  assert_non_null(row);
  const char *eol = strstr(row + 2, "\r\n");
  assert_non_null(eol);
  char tail[160];
  snprintf(tail, sizeof tail, ",%.17g,0,%.17g,0,%.17g,0,%.17g,0\r\n", t.outer, t.outer_self,
           3 * t.outer, 3 * t.outer_self);
  assert_int_equal(strncmp(eol + 2 - strlen(tail), tail, strlen(tail)), 0);
  free(csv);
  /* the text report: the section, its figures, the report callback's text */
  char *txt = render(p, FATHOM_FORMAT_TEXT, 0);
  assert_non_null(strstr(txt, "Extension toy"));
  assert_non_null(strstr(txt, "steps (steps)"));
  assert_non_null(strstr(txt, "toy counter report"));
  char want[64];
  long long w = (long long)t.outer;   /* exact figures print without "~", with separators */
  snprintf(want, sizeof want, " %lld,%03lld ", w / 1000, w % 1000);
  assert_true(w >= 1000 && w < 1000000);
  assert_non_null(strstr(txt, want));
  free(txt);
}

static const fathom_finding *finding_on(const fathom_profile *p, const char *zone_name,
                                        fathom_finding_class cls) {
  for (uint32_t i = 0; i < p->n_findings; i++)
    if (p->findings[i].cls == cls && p->findings[i].zone == zidx(p, zone_name))
      return &p->findings[i];
  return NULL;
}

static double figure(const fathom_finding *f, const char *name) {
  for (uint32_t i = 0; i < f->n_figures; i++)
    if (!strcmp(f->figures[i].name, name)) return f->figures[i].value;
  return NAN;
}

static void threshold_findings_and_evidence(void **s) {
  (void)s;
  truth t;
  /* steps per call in the zones' own code: ext_inner 4 on average (1..7), ext_outer 3 (its
   * inclusive figure, 3 + 50 x 4, is not what the threshold judges); bytes: 3 x those */
  static const double th[] = {3.5, 1e9};
  next_thresholds = th;
  fathom_profile *p = run(FATHOM_LEVEL_DETAILED, 1, 0, &t);
  next_thresholds = NULL;
  const fathom_finding *fi = finding_on(p, "ext_inner", FATHOM_FIND_EXT_THRESHOLD);
  assert_non_null(fi);
  assert_non_null(strstr(fi->summary, "toy.steps above 3.5"));
  assert_true(figure(fi, "toy.steps_per_call") == t.inner / (OUTER * INNER));
  assert_true(figure(fi, "toy.bytes_per_call") == 3 * t.inner / (OUTER * INNER));
  assert_null(finding_on(p, "ext_outer", FATHOM_FIND_EXT_THRESHOLD));   /* 3 < 3.5 */
  for (uint32_t i = 0; i < p->n_findings; i++)   /* bytes (threshold 1e9): never */
    assert_null(strstr(p->findings[i].summary, "toy.bytes above"));
  char msg[512];
  assert_int_equal(fathom_profile_check(p, msg, sizeof msg), 0);
}

/* ---- threads: each reads its own counter; snapshots read the sums while they run ---- */

static __thread double tl_counter;
static int rd_tl(void *u, double *v) { (void)u; v[0] = tl_counter; return 0; }
static int workers_go;

static void *worker(void *arg) {
  int id = (int)(size_t)arg;
  while (!__atomic_load_n(&workers_go, __ATOMIC_ACQUIRE)) continue;
  for (int i = 0; i < 3000; i++) {
    fathom_zone z = fathom_zone_begin(id ? "ext_w1" : "ext_w0", NULL);
    tl_counter += id + 1;
    fathom_zone_end(z);
  }
  return NULL;
}

static void threads_with_live_snapshots(void **s) {
  (void)s;
  assert_int_equal(fathom_extensions_clear(), 0);
  static const char *const one[] = {"n"};
  fathom_extension x = {.name = "per_thread", .n_metrics = 1, .metric_names = one,
                        .flags = FATHOM_EXT_EVERY_CALL, .begin = rd_tl, .end = rd_tl};
  assert_int_equal(fathom_extension_register(&x), 0);
  fathom_config c;
  fathom_config_init(&c);
  c.governor = 0;   /* every call timed, so every call read */
  c.sample_hz = 0;
  assert_int_equal(fathom_session_begin("ext-threads", &c), 0);
  pthread_t th[2];
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)(size_t)i), 0);
  __atomic_store_n(&workers_go, 1, __ATOMIC_RELEASE);
  for (int k = 0; k < 20; k++) {   /* live models while the workers record */
    fathom_profile *q = fathom_snapshot();
    assert_non_null(q);
    char msg[512];
    int bad = fathom_profile_check(q, msg, sizeof msg);
    if (bad) fprintf(stderr, "live snapshot: %s\n", msg);
    fathom_profile_free(q);
    assert_int_equal(bad, 0);
  }
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  fathom_profile *p = end();
  for (int id = 0; id < 2; id++) {
    const fathom_zone_info *z = zone(p, id ? "ext_w1" : "ext_w0");
    assert_non_null(z->ext);
    assert_int_equal(z->ext[0].samples, 3000);
    assert_true(z->ext[0].total == 3000.0 * (id + 1) && z->ext[0].total_se == 0);
  }
}

static int rd1(void *u, double *v) { (void)u; v[0] = 0; return 0; }

static void misuse_refused(void **s) {
  (void)s;
  assert_int_equal(fathom_extensions_clear(), 0);
  assert_int_equal(fathom_extension_register(NULL), FATHOM_E_INVAL);
  fathom_extension x = ext_for(0);
  x.name = NULL;
  assert_int_equal(fathom_extension_register(&x), FATHOM_E_INVAL);
  x.name = "has space";
  assert_int_equal(fathom_extension_register(&x), FATHOM_E_INVAL);
  x = ext_for(0);
  x.begin = NULL;
  assert_int_equal(fathom_extension_register(&x), FATHOM_E_INVAL);
  x = ext_for(0);
  x.n_metrics = 0;
  assert_int_equal(fathom_extension_register(&x), FATHOM_E_INVAL);
  x.n_metrics = FATHOM_EXT_METRICS_MAX + 1;
  assert_int_equal(fathom_extension_register(&x), FATHOM_E_INVAL);
  static const char *const dup[] = {"a", "a"};
  x = ext_for(0);
  x.metric_names = dup;
  assert_int_equal(fathom_extension_register(&x), FATHOM_E_INVAL);
  assert_int_equal(fathom_extension_count(), 0);
  x = ext_for(0);
  assert_int_equal(fathom_extension_register(&x), 0);
  assert_int_equal(fathom_extension_register(&x), FATHOM_E_INVAL);   /* twice */
  fathom_extension y = ext_for(0);                                    /* the same name */
  assert_int_equal(fathom_extension_register(&y), FATHOM_E_INVAL);
  assert_int_equal(fathom_extension_count(), 1);
  static const char *const one[] = {"v"};
  static fathom_extension more[FATHOM_EXT_MAX];
  static char nm[FATHOM_EXT_MAX][16];
  for (int i = 0; i < FATHOM_EXT_MAX; i++) {
    snprintf(nm[i], sizeof nm[i], "more%d", i);
    more[i] = (fathom_extension){.name = nm[i], .n_metrics = 1, .metric_names = one,
                                 .begin = rd1, .end = rd1};
    int want = i < FATHOM_EXT_MAX - 1 ? 0 : FATHOM_E_LIMIT;
    assert_int_equal(fathom_extension_register(&more[i]), want);
  }
  assert_int_equal(fathom_extension_count(), FATHOM_EXT_MAX);
  fathom_config c;
  fathom_config_init(&c);
  assert_int_equal(fathom_session_begin("ext-misuse", &c), 0);
  assert_int_equal(fathom_extensions_clear(), FATHOM_E_STATE);
  (void)end();
  assert_int_equal(fathom_extensions_clear(), 0);
  assert_int_equal(fathom_extension_count(), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      T(every_call_probed_is_exact),
      T(every_call_flag_at_basic_is_exact),
      T(sampled_probes_estimate_with_error),
      T(sample_callback_rows),
      T(profile_round_trip_check_and_views),
      T(threshold_findings_and_evidence),
      T(threads_with_live_snapshots),
      T(misuse_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
