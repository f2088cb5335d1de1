/* test_findings_json.c: findings, SLAs and throughput in the views: the JSON round trip
 * (field by field, then byte for byte; the schema-4 members of SLAs and throughput too),
 * schema-2 and schema-3 files still loading, malformed findings, SLAs and throughput refused with FATHOM_E_FORMAT and a message naming the member, and the
 * text report's Findings, SLAs and Throughput sections. */
#include "findings_model.h"

/* ---- JSON ---- */

static char *to_json(const fathom_profile *p, size_t *n) {
  char *b = NULL;
  FILE *f = open_memstream(&b, n);
  assert_non_null(f);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0), 0);
  fclose(f);
  return b;
}

static fathom_profile *rich(void) {
  fathom_profile *p = mk();
  uint32_t a = add_zone(p, "request", NULL), b = add_zone(p, "tok\"en", NULL);
  add_node(p, a, FATHOM_NONE, 0, 100, 100 * 200000000ULL, 100 * 200000000ULL);
  add_node(p, b, 0, 0, 1, 1000000ULL, 1000000ULL);
  p->zones[b].alloc_self.alloc_count = 1200000;
  p->zones[b].alloc_self.alloc_bytes = 1200000ULL * 64;
  set_hist(&p->zones[a], 10000, 90, 100000, 10);
  p->counters = calloc(1, sizeof *p->counters);
  p->n_counters = 1;
  p->counters[0].name = strdup("bytes");
  assert_int_equal(fathom_sla_check_profile(p, "request:p95<=50us;ghost:p99<=1s", NULL, 0), 0);
  analyze(p);
  p->throughput = calloc(2, sizeof *p->throughput);
  p->n_throughput = 2;
  p->throughput[0] = (fathom_throughput_info){FATHOM_TPUT_ZONE, 0, 100.5, 60, 99.25, 120, 100, 40};
  p->throughput[1] = (fathom_throughput_info){FATHOM_TPUT_COUNTER, 0, 1e6, 60, 2e6, NAN, 7, 0};
  return p;
}

static void test_json_roundtrip(void **state) {
  (void)state;
  fathom_profile *p = rich();
  assert_true(p->n_findings >= 3);
  size_t n;
  char *buf = to_json(p, &n);
  char sv[40];
  snprintf(sv, sizeof sv, "\"schema_version\":%d", FATHOM_SCHEMA_VERSION);
  assert_non_null(strstr(buf, sv));
  fathom_profile *q = NULL;
  char err[512];
  int rc = fathom_profile_load_buffer(buf, n, &q, err, sizeof err);
  if (rc) fail_msg("load: %s", err);
  assert_int_equal(q->n_findings, p->n_findings);
  for (uint32_t i = 0; i < p->n_findings; i++) {
    const fathom_finding *x = &p->findings[i], *y = &q->findings[i];
    assert_int_equal(x->rank, y->rank);
    assert_int_equal(x->cls, y->cls);
    assert_int_equal(x->severity, y->severity);
    assert_true(x->score == y->score);
    assert_int_equal(x->zone, y->zone);
    assert_int_equal(x->node, y->node);
    assert_string_equal(x->path, y->path);
    assert_string_equal(x->summary, y->summary);
    assert_int_equal(x->n_figures, y->n_figures);
    for (uint32_t k = 0; k < x->n_figures; k++) {
      assert_string_equal(x->figures[k].name, y->figures[k].name);
      assert_string_equal(x->figures[k].unit, y->figures[k].unit);
      assert_true(x->figures[k].value == y->figures[k].value ||
                  (isnan(x->figures[k].value) && isnan(y->figures[k].value)));
    }
    assert_int_equal(x->n_suggestions, y->n_suggestions);
    for (uint32_t k = 0; k < x->n_suggestions; k++)
      assert_string_equal(x->suggestions[k], y->suggestions[k]);
  }
  assert_int_equal(q->n_slas, 2);
  for (uint32_t i = 0; i < 2; i++) {
    const fathom_sla_result *x = &p->slas[i], *y = &q->slas[i];
    assert_string_equal(x->zone_name, y->zone_name);
    assert_int_equal(x->zone, y->zone);
    assert_int_equal(x->met, y->met);
    assert_int_equal(x->count, y->count);
    assert_true(x->percentile == y->percentile && x->target_ns == y->target_ns);
    assert_true(x->actual_ns == y->actual_ns || (isnan(x->actual_ns) && isnan(y->actual_ns)));
    /* schema 4 */
    assert_int_equal(x->timed, y->timed);
    assert_memory_equal(&x->actual_lo_ns, &y->actual_lo_ns, sizeof x->actual_lo_ns);
    assert_memory_equal(&x->actual_hi_ns, &y->actual_hi_ns, sizeof x->actual_hi_ns);
  }
  assert_int_equal(q->slas[1].met, -1);
  assert_int_equal(q->n_throughput, 2);
  assert_int_equal(q->throughput[1].kind, FATHOM_TPUT_COUNTER);
  assert_true(q->throughput[0].mean_per_s == 100.5 && q->throughput[0].last_per_s == 99.25);
  assert_true(q->throughput[0].peak_per_s == 120 && isnan(q->throughput[1].peak_per_s));
  assert_int_equal(q->throughput[0].calls, 100);
  assert_int_equal(q->throughput[0].timed, 40);
  assert_int_equal(q->throughput[1].calls, 7);
  assert_int_equal(q->throughput[1].timed, 0);
  /* writing the loaded model gives back the same bytes */
  size_t n2;
  char *buf2 = to_json(q, &n2);
  assert_int_equal(n, n2);
  assert_memory_equal(buf, buf2, n);
  free(buf2);
  fathom_profile_free(q);
  free(buf);
  fathom_profile_free(p);
}

static char *replace(const char *s, const char *from, const char *to) {
  const char *at = strstr(s, from);
  if (!at) fail_msg("\"%s\" not in the document", from);
  size_t a = (size_t)(at - s), fl = strlen(from), tl = strlen(to), n = strlen(s);
  char *r = malloc(n - fl + tl + 1);
  memcpy(r, s, a);
  memcpy(r + a, to, tl);
  memcpy(r + a + tl, at + fl, n - a - fl + 1);
  return r;
}

static void test_json_old_and_bad(void **state) {
  (void)state;
  fathom_profile *p = rich();
  size_t n;
  char *buf = to_json(p, &n);
  char err[512];
  fathom_profile *q = NULL;
  char sv[40];
  snprintf(sv, sizeof sv, "\"schema_version\":%d", FATHOM_SCHEMA_VERSION);
  /* schema 3: the schema-4 members of SLAs and throughput are ignored and derived: every
   * call the SLA rests on timed, an exact percentile; a zone's calls, a counter's updates */
  char *v3doc = replace(buf, sv, "\"schema_version\":3");
  int rc = fathom_profile_load_buffer(v3doc, strlen(v3doc), &q, err, sizeof err);
  if (rc) fail_msg("schema 3: %s", err);
  assert_int_equal(q->meta.schema_version, 3);
  for (uint32_t i = 0; i < q->n_slas; i++) {
    const fathom_sla_result *x = &q->slas[i];
    assert_int_equal(x->timed, x->count);
    assert_memory_equal(&x->actual_lo_ns, &x->actual_ns, sizeof x->actual_ns);
    assert_memory_equal(&x->actual_hi_ns, &x->actual_ns, sizeof x->actual_ns);
  }
  assert_int_equal(q->throughput[0].calls, q->zones[0].stats.count);
  assert_int_equal(q->throughput[1].calls, q->counters[0].n_updates);
  assert_int_equal(q->throughput[1].timed, 0);
  fathom_profile_free(q);
  q = NULL;
  /* "not enough data" is a schema-4 verdict */
  char *nd = replace(v3doc, "\"met\":false", "\"met\":\"not_enough_data\"");
  assert_int_equal(fathom_profile_load_buffer(nd, strlen(nd), &q, err, sizeof err), FATHOM_E_FORMAT);
  assert_non_null(strstr(err, "met"));
  free(nd);
  free(v3doc);
  /* schema 2: no findings sections; they load empty */
  char *v2 = replace(buf, sv, "\"schema_version\":2");
  char *cut = strstr(v2, ",\n\"findings\":");
  assert_non_null(cut);
  strcpy(cut, "}\n");
  rc = fathom_profile_load_buffer(v2, strlen(v2), &q, err, sizeof err);
  if (rc) fail_msg("schema 2: %s", err);
  assert_int_equal(q->n_findings, 0);
  assert_int_equal(q->n_slas, 0);
  assert_int_equal(q->n_throughput, 0);
  assert_int_equal(q->meta.schema_version, 2);
  fathom_profile_free(q);
  q = NULL;
  /* ... but schema 3 must have them */
  char *v3 = replace(v2, "\"schema_version\":2", "\"schema_version\":3");
  assert_int_equal(fathom_profile_load_buffer(v3, strlen(v3), &q, err, sizeof err), FATHOM_E_FORMAT);
  assert_non_null(strstr(err, "findings"));
  assert_null(q);
  free(v3);
  free(v2);
  /* malformed findings, SLAs, throughput */
  static const struct { const char *from, *to, *msg; } bad[] = {
      {"\"findings\":[", "\"findings\":7,\"old\":[", "findings"},
      {"\"class\":\"alloc_churn\"", "\"class\":\"bogus\"", "class"},
      {"\"severity\":\"", "\"severity\":7,\"x\":\"", "severity"},
      {"\"zone\":1,\"node\"", "\"zone\":99,\"node\"", "out of range"},
      {"\"node\":null", "\"node\":\"a\"", "node"},
      {"\"rank\":1,", "\"rank\":0,", "rank"},
      {"\"suggestions\":[\"", "\"suggestions\":[7,\"", "suggestions[0]"},
      {"\"figures\":[{\"name\"", "\"figures\":[{\"nom\"", "name"},
      {"\"met\":false", "\"met\":\"no\"", "met"},
      {"\"percentile\":95", "\"percentile\":195", "percentile"},
      {"\"kind\":\"counter\",\"index\":0", "\"kind\":\"counter\",\"index\":3", "out of range"},
      {"\"kind\":\"zone\"", "\"kind\":\"car\"", "kind"},
      /* schema 4 */
      {"\"met\":false", "\"met\":\"maybe\"", "met: expected true, false, null or \"not_enough_data\""},
      {"\"actual_lo_ns\":", "\"actual_lo_x\":", "slas[0].actual_lo_ns: missing"},
      {"\"calls\":100,\"timed\":40", "\"calls\":100,\"timed\":101", "throughput[0].timed: 101 timed calls of 100"},
      {"\"calls\":100,", "", "throughput[0].calls: missing"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *doc = replace(buf, bad[i].from, bad[i].to);
    err[0] = 0;
    q = NULL;
    rc = fathom_profile_load_buffer(doc, strlen(doc), &q, err, sizeof err);
    if (rc != FATHOM_E_FORMAT || !strstr(err, bad[i].msg))
      fail_msg("case %zu: rc %d, \"%s\" (want \"%s\")", i, rc, err, bad[i].msg);
    assert_null(q);
    free(doc);
  }
  free(buf);
  fathom_profile_free(p);
}

static void test_text(void **state) {
  (void)state;
  fathom_profile *p = rich();
  char *b = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&b, &n);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_TEXT, f, 0), 0);
  fclose(f);
  const char *fi = strstr(b, "Findings ("), *ops = strstr(b, "Top operations");
  assert_non_null(fi);
  assert_non_null(ops);
  assert_true(fi < ops);   /* near the top */
  assert_non_null(strstr(b, "critical  sla"));
  assert_non_null(strstr(b, "1.2 M allocations of 64 B"));
  assert_non_null(strstr(b, "- 1.2 M allocations of 64 B per call: reuse a buffer or use an arena"));
  assert_non_null(strstr(b, "Latency SLAs"));
  assert_non_null(strstr(b, "MISSED"));
  assert_non_null(strstr(b, "no calls"));
  assert_non_null(strstr(b, "Throughput"));
  assert_non_null(strstr(b, "2.00 M/s"));
  assert_null(strchr(b, '\033'));
  free(b);
  fathom_profile_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_json_roundtrip, setup),
      cmocka_unit_test_setup(test_json_old_and_bad, setup),
      cmocka_unit_test_setup(test_text, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
