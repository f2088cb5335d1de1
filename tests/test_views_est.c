/* test_views_est.c: estimates (schema 4) in the text, CSV, JSON, Chrome trace and Prometheus
 * views, checked on profile models built by hand (views_fixture.h; no recorder involved): the
 * ~ marker, 95 % intervals and standard errors, the timed calls, SLAs and throughput on
 * estimates, the JSON round trip of every schema-4 figure; and shares that never read above
 * 100 %. (test_views.c: the merged call paths and the views of exact profiles.)
 *
 * Invariant: every expected figure here is derived by hand from the model the test builds,
 * so a view that prints or merges something wrong fails, not just one that crashes. */
#include <ctype.h>

#include "views_fixture.h"

/* ---- estimates (schema 4) ---- */

/* The example plus "hot", top level on both threads, its timing sampled:
 *   T0: 1000 calls, 100 timed (50 x 10 us, 50 x 14 us): total 12 ms, standard error 0.2 ms
 *   T1:  500 calls,  50 timed (25 x 10 us, 25 x 14 us): total  6 ms, standard error 0.15 ms
 * so the merged path and the zone: 1500 calls, 150 timed, 18 ms +- sqrt(0.2^2 + 0.15^2) =
 * 0.25 ms (95 %: +-0.49 ms). */
static fathom_profile *estimated(uint32_t *hot_out) {
  fathom_profile *p = example();
  uint32_t hot = add_zone(p, "hot", "compute");
  static const uint64_t calls[2] = {1000, 500}, timed[2] = {100, 50};
  static const double se[2] = {200000, 150000};
  for (uint32_t t = 0; t < 2; t++) {
    uint32_t i = add_node2(p, hot, FATHOM_NONE, t, timed[t] / 2, 10000, timed[t] / 2, 14000, 0);
    fathom_stats *st = &p->nodes[i].stats;
    st->count = calls[t];
    st->timed = timed[t];
    st->total_ns = st->self_ns = calls[t] * 12000;
    st->total_se_ns = st->self_se_ns = se[t];
    st->overhead_ns = 21.0 * (double)calls[t];
    for (int k = 0; k < FATHOM_PCT_N; k++) {   /* the recorder's intervals, made up here */
      double v = k == 0 ? st->p50_ns : k == 1 ? st->p90_ns : k == 2 ? st->p95_ns : k == 3 ? st->p99_ns
                                                                                       : st->p999_ns;
      st->pct_lo_ns[k] = v - 200 - 10 * t;
      st->pct_hi_ns[k] = v + 300 + 10 * t;
    }
    p->meta.n_zones += calls[t] - timed[t];
    p->threads[t].n_zones += calls[t] - timed[t];
  }
  /* the zone rolled up as the recorder would: errors as sqrt of the sum of the squares */
  fathom_zone_info *z = &p->zones[hot];
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    if (p->nodes[i].zone != hot) continue;
    fz_stats_merge(&z->stats, &p->nodes[i].stats);
    assert_int_equal(fz_hist_merge(&z->hist, &p->nodes[i].hist), 0);
  }
  fz_stats_set_percentiles(&z->stats, &z->hist);
  z->stats.total_se_ns = z->stats.self_se_ns = 250000;
  z->stats.p99_ns = 14000;
  z->stats.pct_lo_ns[3] = 13500;
  z->stats.pct_hi_ns[3] = 14500;
  z->stats.overhead_ns = 21.0 * 1500;
  p->meta.n_timed = p->meta.n_zones - 1350;
  *hot_out = hot;
  return p;
}

static double num_of(const char *s) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end) fail_msg("not a number: \"%s\"", s);
  return v;
}

static void test_estimates_text(void **state) {
  (void)state;
  uint32_t hot;
  fathom_profile *p = estimated(&hot);
  char *s = render(p, FATHOM_FORMAT_TEXT, 0);
  const char *want[] = {
      "Estimates:", "~ marks figures estimated from a random sample of timed calls",
      "\xc2\xb1 is a 95 % interval",
      "1,544 zone calls, 194 timed",          /* 44 exact + 1500 of which 150 timed */
      "~19.04 ms \xc2\xb1" "0.49 in top-level zones",   /* 1.04 ms exact + 18 ms +- 0.49 */
      "timed",                                  /* the operations table's column */
  };
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
    if (!strstr(s, want[k])) fail_msg("text report lacks \"%s\":\n%s", want[k], s);
  /* the operations row: calls, timed, the estimate and its 95 % half-width, the mean's */
  const char *ops = strstr(s, "Top operations");
  assert_non_null(ops);
  const char *row = strstr(ops, "\n  hot ");
  assert_non_null(row);
  char line[512];
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  const char *cells[] = {"hot", "compute", "1,500", "150", "~18.00 ms \xc2\xb1" "0.49", "~",
                         "~18.00 ms \xc2\xb1" "0.49", "~12.00 \xc2\xb5s \xc2\xb1" "0.33"};
  const char *at = line;
  for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++) {
    const char *n = strstr(at, cells[k]);
    if (!n) fail_msg("row \"%s\" lacks \"%s\"", line, cells[k]);
    at = n + strlen(cells[k]);
  }
  /* exact zones: no marker, and "all" timed */
  row = strstr(ops, "\n  work ");
  assert_non_null(row);
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  assert_non_null(strstr(line, "all"));
  assert_null(strchr(line, '~'));
  /* latency: the percentile with its interval, extremes as bounds of the timed calls */
  const char *lat = strstr(s, "Latency per call");
  assert_non_null(lat);
  row = strstr(lat, "\n  hot ");
  assert_non_null(row);
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  if (!strstr(line, "~14.00 \xc2\xb5s [13.50, 14.50]") || !strstr(line, "\xe2\x89\xa4" "10.00 \xc2\xb5s") ||
      !strstr(line, "\xe2\x89\xa5" "14.00 \xc2\xb5s"))
    fail_msg("latency row: \"%s\"", line);
  /* the merged tree path: both threads, the same estimate */
  const char *tree = strstr(s, "Call tree");
  assert_non_null(tree);
  row = strstr(tree, "\n  hot ");
  assert_non_null(row);
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  if (!strstr(line, "~18.00 ms \xc2\xb1" "0.49")) fail_msg("tree row: \"%s\"", line);
  free(s);
  /* SLAs and throughput: the percentile with its interval, the timed calls, the verdict */
  p->slas = calloc(2, sizeof *p->slas);
  p->n_slas = 2;
  p->slas[0] = (fathom_sla_result){strdup("hot"), hot, 99, 14200, 14000, 1500, -2, 150, 13500,
                                   14500};
  p->slas[1] = (fathom_sla_result){strdup("work"), Z_WORK, 50, 2000, 1000, 40, 1, 40, 1000, 1000};
  /* a rate means something for a zone of 100 calls or more, and for a counter: the 1-call
   * zone's row is left out and said so, the 2-update counter's kept */
  add_counter(p, "batches", FATHOM_METRIC_COUNTER, 2, 2, 2, 1, 1);
  p->throughput = calloc(3, sizeof *p->throughput);
  p->n_throughput = 3;
  p->throughput[0] = (fathom_throughput_info){FATHOM_TPUT_ZONE, hot, 600, 60, 500, 700, 1500, 150};
  p->throughput[1] = (fathom_throughput_info){FATHOM_TPUT_ZONE, Z_WORK, 0.5, 60, 0, 1, 1, 1};
  p->throughput[2] = (fathom_throughput_info){FATHOM_TPUT_COUNTER, p->n_counters - 1, 0.04, 60, 0,
                                              1, 2, 2};
  char *sl = render(p, FATHOM_FORMAT_TEXT, 0);
  const char *sec = strstr(sl, "Latency SLAs");
  assert_non_null(sec);
  row = strstr(sec, "\n  hot ");
  assert_non_null(row);
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  if (!strstr(line, "~14.00 \xc2\xb5s [13.50, 14.50]") || !strstr(line, "1,500 (150 timed)") ||
      !strstr(line, "not enough data"))
    fail_msg("SLA row: \"%s\"", line);
  assert_non_null(strstr(sec, "too few timed calls, or the target inside the percentile's 95 %"));
  row = strstr(sec, "\n  work ");
  assert_non_null(row);
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  if (strchr(line, '~') || strchr(line, '[') || !strstr(line, "met")) fail_msg("SLA row: \"%s\"", line);
  row = strstr(strstr(sl, "Throughput"), "\n  hot ");
  assert_non_null(row);
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  if (!strstr(line, "1,500 (150 timed)")) fail_msg("throughput row: \"%s\"", line);
  const char *tp = strstr(sl, "Throughput");
  const char *tp_end = strstr(tp, "\n\n") ? strstr(tp, "\n\n") : tp + strlen(tp);
  const char *w = strstr(tp, "\n  work ");
  assert_true(!w || w > tp_end);                      /* the 1-call zone: no row */
  const char *b = strstr(tp, "\n  batches ");
  assert_true(b && b < tp_end);                       /* the counter: a row */
  const char *lo = strstr(tp, "1 zone called fewer than 100 times is left out");
  assert_true(lo && lo < tp_end);
  free(sl);
  /* durations given by the program (fathom_zone_record) are counted per thread */
  p->threads[1].n_recorded = 7;
  char *g = render(p, FATHOM_FORMAT_TEXT, 0);
  const char *th = strstr(g, "\nThreads\n");
  assert_non_null(th);
  assert_non_null(strstr(th, "given"));
  assert_non_null(strstr(th, "fathom_zone_record"));
  row = strstr(th, "\n  1002 ");
  assert_non_null(row);
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  assert_int_equal(line[strlen(line) - 1], '7');
  free(g);
  /* an exact profile says nothing about estimates */
  fathom_profile *e = example();
  s = render(e, FATHOM_FORMAT_TEXT, 0);
  assert_null(strstr(s, "Estimates:"));
  assert_null(strstr(s, "\xc2\xb1"));
  assert_null(strstr(s, "timed"));
  free(s);
  fathom_profile_free(e);
  fathom_profile_free(p);
}

static void test_estimates_csv_json(void **state) {
  (void)state;
  uint32_t hot;
  fathom_profile *p = estimated(&hot);
  char *s = render(p, FATHOM_FORMAT_CSV, 0);
  char ***rows;
  size_t nr = parse_csv(s, &rows);
  size_t col[80];
  static const char *const names[] = {"estimated", "total_se_ns", "self_se_ns", "overhead_ns",
                                      "p50_ns", "p50_lo_ns", "p50_hi_ns", "p99_ns", "p99_lo_ns",
                                      "p99_hi_ns", "timed", "calls"};
  enum { EST, TSE, SSE, OVER, P50, P50L, P50H, P99, P99L, P99H, TIMED, CALLS };
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    size_t c = 0;
    while (rows[0][c] && strcmp(rows[0][c], names[k]) != 0) c++;
    if (!rows[0][c]) fail_msg("no CSV column %s", names[k]);
    col[k] = c;
  }
  int seen = 0;
  for (size_t r = 1; r < nr; r++) {
    assert_int_equal(nfields(rows[r]), 80);
    char **f = rows[r];
    if (strcmp(f[0], "hot") == 0) {
      seen = 1;
      assert_string_equal(f[col[EST]], "1");
      assert_string_equal(f[col[CALLS]], "1500");
      assert_string_equal(f[col[TIMED]], "150");
      /* merged over the threads: sqrt(0.2^2 + 0.15^2) ms, overheads added */
      assert_true(fabs(num_of(f[col[TSE]]) - 250000.0) < 1e-6);
      assert_true(fabs(num_of(f[col[SSE]]) - 250000.0) < 1e-6);
      assert_true(fabs(num_of(f[col[OVER]]) - 31500.0) < 1e-9);
      /* intervals from the merged histogram (150 timed calls, half 10 us, half 14 us) hold
       * the percentiles and, for the median, span the two values */
      double p50 = num_of(f[col[P50]]), lo = num_of(f[col[P50L]]), hi = num_of(f[col[P50H]]);
      assert_true(lo <= p50 && p50 <= hi && lo < hi);
      assert_true(lo < 10100 && hi > 13900);
      double p99 = num_of(f[col[P99]]);
      assert_true(num_of(f[col[P99L]]) <= p99 && p99 <= num_of(f[col[P99H]]));
    } else {
      assert_string_equal(f[col[EST]], "0");
      assert_string_equal(f[col[TSE]], "0");
      assert_string_equal(f[col[P50L]], f[col[P50]][0] ? f[col[P50L]] : "");
      assert_true(num_of(f[col[P50L]]) == num_of(f[col[P50]]));
      assert_true(num_of(f[col[P99H]]) == num_of(f[col[P99]]));
    }
  }
  assert_true(seen);
  free_csv(rows, nr);
  free(s);

  /* a path of one estimated node keeps the node's own interval */
  fathom_profile *one = estimated(&hot);
  one->nodes[one->n_nodes - 1].zone = Z_IO;   /* T1's hot node becomes a path of its own */
  one->nodes[one->n_nodes - 1].parent = 3;
  one->nodes[one->n_nodes - 1].depth = 2;
  s = render(one, FATHOM_FORMAT_CSV, 0);
  nr = parse_csv(s, &rows);
  seen = 0;
  for (size_t r = 1; r < nr; r++) {
    if (strcmp(rows[r][0], "hot") != 0) continue;
    seen = 1;
    const fathom_stats *st = &one->nodes[one->n_nodes - 2].stats;
    assert_true(num_of(rows[r][col[P50L]]) == st->pct_lo_ns[0]);
    assert_true(num_of(rows[r][col[P99H]]) == st->pct_hi_ns[3]);
    assert_true(fabs(num_of(rows[r][col[TSE]]) - 200000.0) < 1e-9);
  }
  assert_true(seen);
  free_csv(rows, nr);
  free(s);
  fathom_profile_free(one);

  /* JSON: every schema-4 figure comes back bit for bit */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0), 0);
  fclose(f);
  assert_non_null(strstr(buf, "\"pct_lo_ns\":["));
  assert_non_null(strstr(buf, "\"n_timed\":"));
  fathom_profile *q = NULL;
  char err[512];
  if (fathom_profile_load_buffer(buf, len, &q, err, sizeof err)) fail_msg("load: %s", err);
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_stats *a = &p->nodes[i].stats, *b = &q->nodes[i].stats;
    assert_true(a->timed == b->timed && a->total_se_ns == b->total_se_ns &&
                a->self_se_ns == b->self_se_ns && a->overhead_ns == b->overhead_ns);
    if (fathom_stats_estimated(a)) {
      assert_memory_equal(a->pct_lo_ns, b->pct_lo_ns, sizeof a->pct_lo_ns);
      assert_memory_equal(a->pct_hi_ns, b->pct_hi_ns, sizeof a->pct_hi_ns);
    } else {   /* exact: the bounds are the percentiles, whatever the model held */
      assert_true(b->pct_lo_ns[0] == b->p50_ns && b->pct_hi_ns[4] == b->p999_ns);
    }
  }
  assert_int_equal(q->meta.n_timed, p->meta.n_timed);
  fathom_profile_free(q);
  free(buf);
  fathom_profile_free(p);
}

/* The synthesized Chrome trace: an estimated node's event says so, with what it rests on. */
static void test_estimates_chrome(void **state) {
  (void)state;
  uint32_t hot;
  fathom_profile *p = estimated(&hot);
  p->meta.n_timed = 194;
  p->meta.fixed_cost_ns = 5e6;
  json_t *j = load_trace(p);
  json_t *od = json_object_get(j, "otherData");
  assert_int_equal(json_integer_value(json_object_get(od, "n_timed")), 194);
  assert_true(json_number_value(json_object_get(od, "fixed_cost_ns")) == 5e6);
  size_t i, est = 0;
  json_t *e;
  json_array_foreach(json_object_get(j, "traceEvents"), i, e) {
    if (strcmp(json_string_value(json_object_get(e, "ph")), "X") != 0) continue;
    json_t *a = json_object_get(e, "args");
    int is_hot = strcmp(json_string_value(json_object_get(e, "name")), "hot") == 0;
    assert_int_equal(json_is_true(json_object_get(a, "estimated")), is_hot);
    if (!is_hot) continue;
    est++;
    json_int_t calls = json_integer_value(json_object_get(a, "calls"));
    assert_int_equal(json_integer_value(json_object_get(a, "timed")), calls / 10);
    assert_true(json_number_value(json_object_get(a, "total_se_ns")) ==
                (calls == 1000 ? 200000.0 : 150000.0));
  }
  assert_int_equal(est, 2);
  json_decref(j);
  fathom_profile_free(p);
}

/* Prometheus: error gauges, the estimated flag, the percentile intervals; promtool agrees. */
static void test_estimates_prometheus(void **state) {
  (void)state;
  uint32_t hot;
  fathom_profile *p = estimated(&hot);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fathom_metrics_write(p, f), 0);
  fclose(f);
  const char *want[] = {
      "# TYPE fathom_zone_seconds_stderr gauge\n",
      "fathom_zone_seconds_stderr{zone=\"hot\",component=\"compute\"} 0.00025\n",
      "fathom_zone_seconds_stderr{zone=\"work\",component=\"compute\"} 0\n",
      "fathom_zone_self_seconds_stderr{zone=\"hot\",component=\"compute\"} 0.00025\n",
      "fathom_zone_estimated{zone=\"hot\",component=\"compute\"} 1\n",
      "fathom_zone_estimated{zone=\"work\",component=\"compute\"} 0\n",
      "fathom_zone_timed_calls_total{zone=\"hot\",component=\"compute\"} 150\n",
      "fathom_zone_duration_lower_seconds{zone=\"hot\",component=\"compute\",q=\"0.99\"} 1.35e-05\n",
      "fathom_zone_duration_upper_seconds{zone=\"hot\",component=\"compute\",q=\"0.99\"} 1.45e-05\n",
  };
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
    if (!strstr(buf, want[k])) fail_msg("/metrics lacks \"%s\":\n%s", want[k], buf);
  const char *dir = getenv("FATHOM_TEST_TMP");
  char path[512], cmd[700];
  snprintf(path, sizeof path, "%s/views-metrics.txt", dir ? dir : "/tmp");
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir ? dir : "/tmp");
  assert_int_equal(system(cmd), 0);
  FILE *o = fopen(path, "w");
  assert_non_null(o);
  fwrite(buf, 1, len, o);
  fclose(o);
  snprintf(cmd, sizeof cmd, "promtool check metrics < '%s'", path);
  if (system(cmd) != 0) fail_msg("promtool check metrics refused the exposition:\n%s", buf);
  remove(path);
  free(buf);
  fathom_profile_free(p);
}

/* Shares computed by the views never read above 100 %, however the estimates came out: a
 * child estimated above its parent, a zone above the whole tree. */
static void check_shares(const char *s) {
  for (const char *c = s; (c = strchr(c, '%')) != NULL; c++) {
    const char *b = c;
    while (b > s && (isdigit((unsigned char)b[-1]) || b[-1] == '.')) b--;
    if (b == c) continue;
    double v = strtod(b, NULL);
    if (v > 100.0) fail_msg("a share of %.1f%% in:\n%s", v, s);
  }
}

static void test_shares_never_above_100(void **state) {
  (void)state;
  fathom_profile *p = example();
  p->nodes[1].stats.total_ns = 5000000;   /* T0 work: 5 ms inside a 1 ms main */
  p->nodes[1].stats.self_ns = 5000000;
  p->nodes[1].stats.timed = 2;             /* an estimate */
  p->zones[Z_WORK].stats.total_ns = 50000000;   /* above the whole tree's 1.04 ms */
  p->zones[Z_WORK].stats.timed = 4;
  char *s = render(p, FATHOM_FORMAT_TEXT, 0);
  check_shares(s);
  assert_non_null(strstr(s, "100.0%*"));
  assert_non_null(strstr(s, "* above 100% by sampling error in the estimates: shown as 100%"));
  free(s);
  fathom_profile_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_estimates_text),
      cmocka_unit_test(test_estimates_csv_json),
      cmocka_unit_test(test_estimates_chrome),
      cmocka_unit_test(test_estimates_prometheus),
      cmocka_unit_test(test_shares_never_above_100),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
