/* test_json_bad.c: the JSON loader on input it must refuse: every truncation point, about a
 * hundred and thirty malformed, ill-typed or out-of-range documents (schema 1, 2 and 4
 * members alike: errors, intervals that do not hold their value, costs, timed calls),
 * unreadable paths; each with the right code and a one-line message.
 *
 * Invariant: every load that fails leaves *out NULL and a non-empty message, and no input,
 * however broken, crashes or leaks (run under ASan too). */
#include "json_fixture.h"

/* ---- refused input ------------------------------------------------------------------ */

static void check_truncations(const char *path, size_t step) {
  size_t len;
  char *buf = slurp(path, &len), err[512];
  size_t last = (size_t)(strrchr(buf, '}') - buf);
  for (size_t n = 0; n <= last; n += step) {
    load_fails(buf, n, FATHOM_E_FORMAT, err, sizeof err);
    if (n) assert_non_null(strstr(err, "truncated or malformed JSON at line "));
  }
  /* the complete document loads; trailing whitespace is fine */
  fathom_profile *q = NULL;
  assert_int_equal(fathom_profile_load_buffer(buf, last + 1, &q, err, sizeof err), 0);
  fathom_profile_free(q);
  /* truncated files through the file path: the message names the file */
  const char *cut = tmp_path("cut.json");
  for (size_t n = 1; n < last; n += last / 7 + 1) {
    put_file(cut, buf, n);
    load_path_fails(cut, FATHOM_E_FORMAT, err, sizeof err);
  }
  free(buf);
}

static void test_truncated(void **state) {
  (void)state;
  fathom_profile *p = build_model(0);
  const char *path = tmp_path("trunc.json");
  write_json(p, path);
  check_truncations(path, 1);  /* every offset */
  fathom_profile_free(p);
  p = build_big(3000);
  write_json(p, path);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  check_truncations(path, (size_t)st.st_size / 250 + 1);  /* sampled */
  fathom_profile_free(p);
}


typedef struct bad_case {
  const char *from, *to;
  int code;
  const char *msg;  /* expected substring of the message */
} bad_case;

static void test_bad_documents(void **state) {
  (void)state;
  enum { F = FATHOM_E_FORMAT, V = FATHOM_E_VERSION };
  static const bad_case cases[] = {
      {"\"schema_version\":4", "\"schema_version\":7", V,
       "schema version 7 is not supported (this fathom reads 1 to 4)"},
      {"\"schema_version\":4", "\"schema_version\":5", V,
       "schema version 5 is not supported (this fathom reads 1 to 4)"},
      {"\"schema_version\":4", "\"schema_version\":0", V, "schema version 0 is not supported"},
      {"\"schema_version\":4", "\"schema_version\":-1", V, "schema version -1 is not"},
      {"\"schema_version\":4", "\"schema_version\":\"1\"", F,
       "schema_version: expected an integer, got a string"},
      {"\"schema_version\":4,", "", F, "schema_version: missing"},
      {"\"format\":\"fathom-profile\"", "\"format\":\"x\"", F, "format: \"x\" is not \"fathom-"},
      {"\"format\":\"fathom-profile\",", "", F, "format: missing"},
      {"\"format\":\"fathom-profile\",", "\"format\":\"fathom-profile\",\"format\":1,", F,
       "duplicate"},
      {"\"n_cpus\":4294967295", "\"n_cpus\":4294967296", F,
       "meta.n_cpus: 4294967296 does not fit in 32 bits"},
      {"\"n_cpus\":4294967295", "\"n_cpus\":1.5", F,
       "meta.n_cpus: expected an unsigned integer, got a real number"},
      {"\"host\":", "\"hostname\":", F, "meta.host: missing"},
      {"\"level\":\"comprehensive\"", "\"level\":\"x\"", F, "meta.level: unknown value \"x\""},
      {"\"level\":\"comprehensive\"", "\"level\":4", F, "meta.level: 4 is out of range"},
      {"\"pid\":-9223372036854775808", "\"pid\":true", F, "meta.pid: expected an integer"},
      {"\"zones\":[", "\"zones\":{\"a\":[", F, "malformed"},
      {"\"zones\":[", "\"zones\":7,\"x\":[", F, "zones: expected an array, got an integer"},
      {"\"name\":\"load \\\"data\\\"\"", "\"name\":null", F,
       "zones[0].name: expected a string, got null"},
      {"\"line\":2147483647", "\"line\":2147483648", F,
       "zones[0].line: 2147483648 does not fit in an int"},
      {"\"kind\":\"function\"", "\"kind\":\"method\"", F, "zones[3].kind: unknown value"},
      {"\"bucket\":[0,1,63", "\"bucket\":[0,64,63", F,
       "zones[0].hist.bucket[2]: bucket 63 does not follow bucket 64"},
      {"\"bucket\":[0,1,63", "\"bucket\":[0,1,1", F, "bucket[2]: bucket 1 does not follow"},
      {",2559]", ",2560]", F, "zones[0].hist.bucket[5]: bucket 2560 out of range"},
      {",2559]", "]", F, "zones[0].hist: 5 buckets but 6 counts"},
      {"\"18446744073709551615\",42", "\"18446744073709551616\",42", F,
       "zones[0].hist.count[4]: 18446744073709551616 does not fit in 64 bits"},
      {"\"18446744073709551615\",42", "\"1x\",42", F, "count[4]: \"1x\" is not an unsigned"},
      {"\"18446744073709551615\",42", "18446744073709551615,42", F, "too big integer"},
      {"\"count\":[1,2,", "\"count\":[-1,2,", F, "zones[0].hist.count[0]: -1 is negative"},
      {"{\"zone\":1,\"parent\":0,", "{\"zone\":1,\"parent\":40,", F,
       "nodes[1].parent: index 40 out of range (6 nodes)"},
      {"{\"zone\":1,\"parent\":0,", "{\"zone\":1,\"parent\":2,", F,
       "nodes[1].parent: node 2 does not precede its child"},
      {"{\"zone\":1,\"parent\":0,", "{\"zone\":9,\"parent\":0,", F,
       "nodes[1].zone: index 9 out of range (4 zones)"},
      {"\"parent\":0,\"thread\":0,\"depth\":2", "\"parent\":0,\"thread\":0,\"depth\":3", F,
       "nodes[1]: depth 3 but its parent node 0 has depth 1"},
      {"\"parent\":0,\"thread\":0,", "\"parent\":0,\"thread\":1,", F,
       "nodes[1]: thread 1 but its parent node 0 is on thread 0"},
      {"\"parent\":null,\"thread\":0,\"depth\":1", "\"parent\":null,\"thread\":0,\"depth\":0", F,
       "nodes[0]: depth 0 for a top-level node"},
      {"[{\"name\":\"rows\"", "[{\"nom\":\"rows\"", F, "nodes[1].metrics[0].name: missing"},
      {"\"metrics\":[]", "\"metrics\":[1]", F, "nodes[0].metrics[0]: expected an object"},
      {"\"exited\":false", "\"exited\":0", F, "threads[0].exited: expected true or false"},
      {"\"kind\":\"gauge\"", "\"kind\":\"dial\"", F, "counters[1].kind"},
      {"\"value\":-5", "\"value\":\"-5\"", F, "counters[0].value: expected a number, got a"},
      {"\"recorded\":true", "\"recorded\":\"yes\"", F, "timeline.recorded: expected true"},
      {"[0,0,1,0,100]", "[2,0,1,0,100]", F,
       "timeline.events[0][0]: index 2 out of range (2 threads)"},
      {"[0,0,1,0,100]", "[0,0,1,0]", F,
       "timeline.events[0]: expected 5 values [thread,zone,depth,ts_ns,dur_ns], got 4"},
      {"[0,0,1,0,100]", "[0,0,1,11,100]", F,
       "timeline.events[1][3]: ts_ns 10 is before the previous event's 11"},
      {"[0,0,1,0,100]", "{}", F, "timeline.events[0]: expected an array [thread,"},
      {"[1,null,6,null]", "[3,null,6,null]", F,
       "timeline.counter_events[1][0]: index 3 out of range (3 counters)"},
      {"[1,null,6,null]", "[1,null,6,\"Inf\"]", F, "counter_events[1][3]: expected a number"},
      {"\"main\"", "\"ma\xFFin\"", F, "malformed JSON"},
      {"\"main\"", "\"ma\\u0000in\"", F, "malformed JSON"},
      {"\"counter_events\":", "\"counter_events\":[],\"counter_events\":", F, "duplicate"},
      {"]}\n", "]}\nx", F, "malformed JSON"},
      /* schema 2: meta */
      {"\"governor\":true", "\"governor\":1", F, "meta.governor: expected true or false"},
      {"\"sample_every\":16,\"alloc_tracking\"", "\"sample_every\":-1,\"alloc_tracking\"", F,
       "meta.sample_every: -1 is negative"},
      {",\"dropped_snapshots\":\"18446744073709551615\"", "", F,
       "meta.dropped_snapshots: missing"},
      {"\"overhead_budget_pct\":5", "\"overhead_budget_pct\":\"5\"", F,
       "meta.overhead_budget_pct: expected a number, got a string"},
      {"\"timed\":750,", "", F, "zones[0].stats.timed: missing"},
      /* zones' and nodes' resources */
      {"\"res\":{\"samples\":412", "\"res\":{\"samples\":\"x\"", F,
       "zones[0].res.samples: \"x\" is not an unsigned integer"},
      {"\"cpu_user_ns\":1000000.5", "\"cpu_user_ns\":\"fast\"", F,
       "zones[0].res.sum.cpu_user_ns: expected a number, got a string"},
      {"\"sample_every\":7,\"sum\":{}", "\"sample_every\":7", F, "zones[2].res.sum: missing"},
      {"\"res\":{\"samples\":0,", "\"res\":[0],\"x\":{\"samples\":0,", F,
       "zones[2].res: expected an object, got an array"},
      {"\"alloc\":{\"alloc_count\":100", "\"alloc\":{\"alloc_count\":-100", F,
       "zones[0].alloc.alloc_count: -100 is negative"},
      {",\"growth_bytes_per_call\":12.25", "", F,
       "zones[0].alloc.growth_bytes_per_call: missing"},
      {"\"alloc\":{\"alloc_count\":3,", "\"alloc\":7,\"x\":{\"alloc_count\":3,", F,
       "nodes[1].alloc: expected an object, got an integer"},
      {"\"gov\":[\"time_sampled\"]", "\"gov\":[\"time_warp\"]", F,
       "nodes[5].gov[0]: unknown governor action \"time_warp\""},
      {"\"gov\":[\"time_sampled\"]", "\"gov\":{\"a\":1}", F,
       "nodes[5].gov: expected a list of governor actions, got an object"},
      {"\"time_every\":4294967295", "\"time_every\":4294967296", F,
       "zones[2].time_every: 4294967296 does not fit in 32 bits"},
      {"\"flops\":2500000000,", "\"flops\":\"lots\",", F,
       "nodes[2].flops: expected a number, got a string"},
      /* the session's resources, probes, GPUs */
      {"\"resources\":{\"monitored\"", "\"resources_x\":{\"monitored\"", F, "resources: missing"},
      {"\"monitored\":true", "\"monitored\":\"yes\"", F,
       "resources.monitored: expected true or false, got a string"},
      {"\"n_samples\":91,", "", F, "resources.n_samples: missing"},
      {"\"threads_max\":4294967295", "\"threads_max\":-1", F,
       "resources.threads_max: -1 is negative"},
      {"\"net_rx_bytes\":null", "\"net_rx_bytes\":[]", F,
       "resources.net_rx_bytes: expected a number, got an array"},
      {"{\"name\":\"rusage\",\"available\":true", "{\"name\":null,\"available\":true", F,
       "probes[0].name: expected a string, got null"},
      {"\"probes\":[\n{\"name\":\"rusage\"", "\"probes\":7,\"px\":[\n{\"name\":\"rusage\"", F,
       "probes: expected an array, got an integer"},
      {"\"available\":false", "\"available\":0", F, "probes[1].available: expected true or false"},
      {"\"index\":0,\"name\":\"NVIDIA", "\"index\":-1,\"name\":\"NVIDIA", F,
       "gpus[0].index: -1 is negative"},
      {"\"util_max_pct\":\"Infinity\"", "\"util_max_pct\":\"lots\"", F,
       "gpus[1].util_max_pct: expected a number, got a string"},
      {"{\"index\":4294967295,", "[],{\"index\":4294967295,", F,
       "gpus[1]: expected an object, got an array"},
      /* the monitor's series */
      {"[0,12.5,1100000000,null,0]", "[0,12.5,1100000000,null]", F,
       "series.rows[0]: expected 5 values [ts_ns and 4 column values], got 4"},
      {"[0,12.5,1100000000,null,0]", "[0,12.5,1100000000,null,0,1]", F,
       "series.rows[0]: expected 5 values"},
      {"[0,12.5,1100000000,null,0]", "{}", F, "series.rows[0]: expected an array"},
      {"\"gpu1_util_pct\"]", "\"gpu0_util_pct\"]", F,
       "series.columns[3]: column \"gpu0_util_pct\" repeats columns[2]"},
      {"\"columns\":[\"cpu_user_pct\"", "\"columns\":[1", F,
       "series.columns[0]: expected a string, got an integer"},
      {"\"columns\":[\"cpu_user_pct\"", "\"columns\":[\"\"", F, "series.columns[0]: empty"},
      {"[500000000,\"Infinity\"", "[400000000,\"Infinity\"", F,
       "series.rows[2][0]: ts_ns 400000000 is before the previous row's 500000000"},
      {"[0,12.5,", "[0,true,", F, "series.rows[0][1]: expected a number, got true"},
      {"\"interval_s\":0.5,", "", F, "series.interval_s: missing"},
      {"\"series\":{", "\"seriez\":{", F, "series: missing"},
      {"\"rows\":[", "\"rows\":{\"a\":[", F, "malformed"},
      /* memory snapshots */
      {"\"zone_live_count\":[4,6]", "\"zone_live_count\":[4]", F,
       "mem_snapshots[0].zone_live_count: 1 entries but zone has 2"},
      {"\"zone_live_bytes\":[512,1048576,0]", "\"zone_live_bytes\":[512,1048576,0,1]", F,
       "mem_snapshots[1].zone_live_bytes: 4 entries but zone has 3"},
      {"\"zone\":[2,0,3]", "\"zone\":[2,0,4]", F,
       "mem_snapshots[1].zone[2]: index 4 out of range (4 zones)"},
      {"\"zone\":[2,0,3]", "\"zone\":[2,0,2]", F, "mem_snapshots[1].zone[2]: zone 2 is listed twice"},
      {"\"zone\":[2,0,3]", "\"zone\":[2,0,null]", F, "mem_snapshots[1].zone[2]: expected an index"},
      {"\"label\":\"start\"", "\"label\":5", F,
       "mem_snapshots[0].label: expected a string or null, got an integer"},
      {"\"zone\":[0,3]", "\"zone\":\"0,3\"", F,
       "mem_snapshots[0].zone: expected an array, got a string"},
      {"\"zone_live_bytes\":[1024,3072]", "\"zone_live_bytes\":[1024,-3072]", F,
       "mem_snapshots[0].zone_live_bytes[1]: -3072 is negative"},
      {"\"mem_snapshots\":[", "\"snapshots\":[", F, "mem_snapshots: missing"},
      /* governor actions */
      {"\"zone\":3,\"action\"", "\"zone\":4,\"action\"", F,
       "gov_actions[2].zone: index 4 out of range (4 zones)"},
      {"\"action\":\"probes_thinned\"", "\"action\":\"panic\"", F,
       "gov_actions[0].action: unknown governor action \"panic\""},
      {"\"action\":\"downgraded\"", "\"action\":3", F,
       "gov_actions[2].action: 3 is not a governor action"},
      {"\"value\":32", "\"value\":4294967296", F,
       "gov_actions[0].value: 4294967296 does not fit in 32 bits"},
      {"\"overhead_pct\":5.5", "\"overhead_pct\":{}", F,
       "gov_actions[0].overhead_pct: expected a number, got an object"},
      {"\"gov_actions\":[", "\"gov_acts\":[", F, "gov_actions: missing"},
      /* schema 4: errors, intervals, costs, timed calls */
      {"\"total_se_ns\":1500,", "", F, "zones[0].stats.total_se_ns: missing"},
      {"\"total_se_ns\":1500,", "\"total_se_ns\":-1,", F,
       "zones[0].stats.total_se_ns: -1: must be a finite number >= 0"},
      {"\"self_se_ns\":333.3333333333333,", "\"self_se_ns\":\"Infinity\",", F,
       "zones[0].stats.self_se_ns: inf: must be a finite number >= 0"},
      {"\"overhead_ns\":125,", "\"overhead_ns\":null,", F,
       "zones[0].stats.overhead_ns: nan: must be a finite number >= 0"},
      {"\"overhead_ns\":125,", "\"overhead_ns\":\"fast\",", F,
       "zones[0].stats.overhead_ns: expected a number, got a string"},
      {"\"pct_lo_ns\":[-0.5,-0.403125,-0.5,1195.421875,-0.5]",
       "\"pct_lo_ns\":[-0.5,-0.403125,-0.5,1300,-0.5]", F,
       "zones[0].stats.pct_lo_ns/pct_hi_ns[3]: [1300, 1312.90625] does not hold p99_ns 1234.5"},
      {"\"pct_hi_ns\":[1.25,1.35625,1.25,1312.90625,1.25]",
       "\"pct_hi_ns\":[1.25,1.35625,1.25,1200,1.25]", F,
       "zones[0].stats.pct_lo_ns/pct_hi_ns[3]: [1195.421875, 1200] does not hold p99_ns 1234.5"},
      {"\"pct_lo_ns\":[-0.5,-0.403125,-0.5,1195.421875,-0.5]",
       "\"pct_lo_ns\":[-0.5,-0.403125,-0.5,1195.421875]", F,
       "zones[0].stats.pct_lo_ns: expected an array of 5 numbers (p50, p90, p95, p99, p99.9)"},
      {"\"pct_lo_ns\":[-0.5,-0.403125,-0.5,1195.421875,-0.5]", "\"pct_lo_ns\":{}", F,
       "zones[0].stats.pct_lo_ns: expected an array of 5 numbers"},
      {"\"pct_lo_ns\":[-0.5,-0.403125,-0.5,1195.421875,-0.5]",
       "\"pct_lo_ns\":[-0.5,true,-0.5,1195.421875,-0.5]", F,
       "zones[0].stats.pct_lo_ns[1]: expected a number, got true"},
      {"\"pct_lo_ns\":[-0.5,-0.403125,-0.5,1195.421875,-0.5]",
       "\"pct_lo_ns\":[-0.5,-0.403125,-0.5,null,-0.5]", F,
       "zones[0].stats.pct_lo_ns/pct_hi_ns[3]: [nan, 1312.90625] for p99_ns 1234.5: bounds must be finite"},
      {"\"count\":1001,\"timed\":751", "\"count\":1001,\"timed\":1002", F,
       "zones[1].stats.timed: 1002 timed calls of 1001 (more than were made)"},
      {"\"untimed_cost_ns\":3.25", "\"untimed_cost_ns\":-3.25", F,
       "meta.untimed_cost_ns: -3.25: must be a finite number >= 0"},
      {"\"hook_cost_ns\":30,", "\"hook_cost_ns\":\"NaN\",", F,
       "meta.hook_cost_ns: nan: must be a finite number >= 0"},
      {"\"n_timed\":9223372036854775802", "\"n_timed\":\"9223372036854775808\"", F,
       "meta.n_timed: 9223372036854775808 timed zone calls of 9223372036854775807"},
      {"\"n_timed\":9223372036854775802", "\"n_timed\":-2", F, "meta.n_timed: -2 is negative"},
      {",\"fixed_cost_ns\":19000000.333333332", "", F, "meta.fixed_cost_ns: missing"},
      {"\"setup_ns\":1500000", "\"setup_ns\":\"Infinity\"", F,
       "meta.setup_ns: inf: must be a finite number >= 0"},
      {",\"n_recorded\":2}", "}", F, "threads[0].n_recorded: missing"},
      {",\"n_recorded\":2}", ",\"n_recorded\":-2}", F, "threads[0].n_recorded: -2 is negative"},
  };
  fathom_profile *p = build_model(0);
  const char *path = tmp_path("base.json");
  write_json(p, path);
  fathom_profile_free(p);
  size_t len;
  char *base = slurp(path, &len), err[512];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *doc = mutate(base, cases[i].from, cases[i].to);
    load_fails(doc, strlen(doc), cases[i].code, err, sizeof err);
    if (!strstr(err, cases[i].msg))
      fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err, cases[i].msg);
    free(doc);
  }
  /* a schema-1 document is still checked as schema 1 */
  char *v1 = mutate(base, "\"schema_version\":4", "\"schema_version\":1");
  v1 = remutate(v1, "\"host\":", "\"hostname\":");
  load_fails(v1, strlen(v1), FATHOM_E_FORMAT, err, sizeof err);
  assert_non_null(strstr(err, "meta.host: missing"));
  free(v1);
  /* a schema-3 document is checked as schema 3: the schema-4 members are ignored, however
   * wrong (they are not part of it), and a bad schema-3 member is still refused */
  char *v3 = mutate(base, "\"schema_version\":4", "\"schema_version\":3");
  v3 = remutate(v3, "\"total_se_ns\":1500,", "\"total_se_ns\":-1,");
  v3 = remutate(v3, "\"n_timed\":9223372036854775802", "\"n_timed\":\"x\"");
  v3 = remutate(v3, ",\"n_recorded\":2}", "}");
  fathom_profile *q3 = NULL;
  if (fathom_profile_load_buffer(v3, strlen(v3), &q3, err, sizeof err))
    fail_msg("schema 3 with odd schema-4 members: %s", err);
  assert_true(q3->zones[0].stats.total_se_ns >= 0);
  fathom_profile_free(q3);
  v3 = remutate(v3, "\"host\":", "\"hostname\":");
  load_fails(v3, strlen(v3), FATHOM_E_FORMAT, err, sizeof err);
  assert_non_null(strstr(err, "meta.host: missing"));
  free(v3);
  /* not profiles at all */
  static const char *const junk[] = {"", " ", "null", "[1,2]", "{}", "not json", "{\"a\":",
                                     "\xEF\xBB\xBF{}", "{\"format\":\"fathom-profile\"}"};
  for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
    load_fails(junk[i], strlen(junk[i]), FATHOM_E_FORMAT, err, sizeof err);
  /* a file name prefixes the message */
  char *doc = mutate(base, "\"schema_version\":4", "\"schema_version\":7");
  const char *vpath = tmp_path("v7.json");
  put_file(vpath, doc, strlen(doc));
  load_path_fails(vpath, FATHOM_E_VERSION, err, sizeof err);
  char want[PATH_MAX + 100];
  snprintf(want, sizeof want, "%s: schema version 7 is not supported (this fathom reads 1 to 4)",
           vpath);
  assert_string_equal(err, want);
  /* tiny or absent message buffers are fine */
  load_path_fails(vpath, FATHOM_E_VERSION, err, 1);
  assert_int_equal(err[0], 0);
  load_path_fails(vpath, FATHOM_E_VERSION, NULL, 0);
  assert_int_equal(fathom_profile_load_buffer(doc, strlen(doc), NULL, err, sizeof err),
                   FATHOM_E_INVAL);
  free(doc);
  free(base);
}

static void test_io_errors(void **state) {
  (void)state;
  char err[512];
  load_path_fails(tmp_path("does-not-exist.json"), FATHOM_E_IO, err, sizeof err);
  assert_non_null(strstr(err, strerror(ENOENT)));
  load_path_fails(tmp_path(""), FATHOM_E_IO, err, sizeof err);  /* a directory */
  assert_non_null(strstr(err, strerror(EISDIR)));
  put_file(tmp_path("zero.json"), "", 0);
  load_path_fails(tmp_path("zero.json"), FATHOM_E_FORMAT, err, sizeof err);
  /* bigger than the limit (sparse, nothing is read) */
  const char *huge = tmp_path("huge.json");
  int fd = open(huge, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  if (ftruncate(fd, (off_t)FATHOM_LOAD_MAX_BYTES + 1) == 0) {
    load_path_fails(huge, FATHOM_E_LIMIT, err, sizeof err);
    assert_non_null(strstr(err, "limit"));
  }
  close(fd);
  unlink(huge);
  load_path_fails(NULL, FATHOM_E_INVAL, err, sizeof err);
}

/* Removes what the tests wrote. */
int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_bad_documents),
      cmocka_unit_test(test_io_errors),
  };
  return cmocka_run_group_tests_name("json_bad", tests, NULL, cleanup_tmp);
}
