/* test_json.c: the JSON view and its loader, what must come back: lossless round trips of
 * hand-built models (every field compared, schema-2 resources and schema-4 estimates
 * included), other writers' forms, a decimal-comma host locale, streams and atomic saves,
 * schema-1 files loading with every schema-2 field empty, schema-3 files converted to
 * schema-4 meanings (resource sums scaled to every call, errors and intervals derived), exact
 * stats' bounds (refused input is test_json_bad.c).
 *
 * Invariant: a model written and loaded back equals the original in every field. */
#include "json_fixture.h"

#include <sys/wait.h>

/* ---- round trips -------------------------------------------------------------------- */

static void test_roundtrip_full(void **state) {
  (void)state;
  fathom_profile *p = build_model(0), *want = build_model(1);
  const char *path = tmp_path("full.json");
  write_json(p, path);
  fathom_profile *q = load_ok(path);
  assert_same(want, q);
  /* the saved form is canonical: writing the loaded model gives the same bytes */
  const char *path2 = tmp_path("full2.json");
  write_json(q, path2);
  size_t n1, n2;
  char *a = slurp(path, &n1), *b = slurp(path2, &n2);
  assert_true(n1 == n2 && memcmp(a, b, n1) == 0);
  /* no bare NaN or Infinity, and uint64 above INT64_MAX are quoted */
  assert_null(strstr(a, "nan"));
  assert_non_null(strstr(a, "\"18446744073709551615\""));
  assert_non_null(strstr(a, "\"level\":\"comprehensive\""));
  assert_non_null(strstr(a, "\"start_utc\":\"2023-11-14T22:13:20.123456789Z\""));
  free(a);
  free(b);
  fathom_profile_free(p);
  fathom_profile_free(want);
  fathom_profile_free(q);
}

static void test_roundtrip_empty(void **state) {
  (void)state;
  fathom_profile *p = xcalloc(1, sizeof *p);
  p->meta.schema_version = FATHOM_SCHEMA_VERSION;
  write_json(p, tmp_path("empty.json"));
  fathom_profile *q = load_ok(tmp_path("empty.json"));
  assert_same(p, q);
  assert_true(q->zones == NULL && q->meta.host == NULL);
  fathom_profile_free(p);
  fathom_profile_free(q);
}

static void test_roundtrip_big(void **state) {
  (void)state;
  const uint32_t n = 100000;
  fathom_profile *p = build_big(n);
  const char *path = tmp_path("big.json");
  assert_int_equal(fathom_profile_save(p, FATHOM_FORMAT_JSON, path), 0);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  print_message("  100k-node profile: %lld bytes (%lld per node)\n", (long long)st.st_size,
                (long long)st.st_size / n);
  assert_true(st.st_size / n < 700);
  fathom_profile *q = load_ok(path);
  assert_same(p, q);
  fathom_profile_free(p);
  fathom_profile_free(q);
}

static void test_save_and_stream(void **state) {
  (void)state;
  fathom_profile *p = build_model(1);
  const char *path = tmp_path("saved.json");
  assert_int_equal(fathom_profile_save(p, FATHOM_FORMAT_JSON, path), 0);
  fathom_profile *q = load_ok(path);
  assert_same(p, q);
  fathom_profile_free(q);

  /* through fathom_profile_write and standard input */
  const char *path2 = tmp_path("stream.json");
  FILE *f = fopen(path2, "w");
  assert_non_null(f);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 1), 0);
  assert_int_equal(fclose(f), 0);
  int fd = open(path2, O_RDONLY), saved = dup(0);
  assert_true(fd >= 0 && saved >= 0 && dup2(fd, 0) == 0 && close(fd) == 0);
  q = load_ok("-");
  assert_true(dup2(saved, 0) == 0 && close(saved) == 0);
  clearerr(stdin);
  assert_same(p, q);
  fathom_profile_free(q);

  /* a stream that fails reports FATHOM_E_IO */
  if ((f = fopen("/dev/full", "w")) != NULL) assert_int_equal(fz_write_json(p, f, 0), FATHOM_E_IO);
  if (f) fclose(f);
  fathom_profile_free(p);
}

static void test_save_failures(void **state) {
  (void)state;
  fathom_profile *p = build_model(1);
  /* a directory that does not exist */
  const char *path = tmp_path("no-such-dir/p.json");
  assert_int_equal(fathom_profile_save(p, FATHOM_FORMAT_JSON, path), FATHOM_E_IO);
  assert_int_equal(access(path, F_OK), -1);
  assert_int_equal(access(tmp_path("no-such-dir"), F_OK), -1);
  /* the target is a directory: the rename fails and the temporary file must be gone */
  const char *target = tmp_path("asdir");
  mkdir_p(target);
  assert_int_equal(fathom_profile_save(p, FATHOM_FORMAT_JSON, target), FATHOM_E_IO);
  assert_int_equal(tmp_entries("asdir.tmp.", 0), 0);
  struct stat st;
  assert_true(stat(target, &st) == 0 && S_ISDIR(st.st_mode));
  rmdir(target);
  fathom_profile_free(p);
}

/* What a save path points at is never replaced: a link stays a link (the file it names is
 * written), a FIFO stays a FIFO (written through, read at its other end). */
static void test_save_targets(void **state) {
  (void)state;
  fathom_profile *p = build_model(1);
  const char *real = tmp_path("real.json"), *link = tmp_path("link.json");
  unlink(link);
  unlink(real);
  assert_int_equal(symlink("real.json", link), 0);
  assert_int_equal(fathom_profile_save(p, FATHOM_FORMAT_JSON, link), 0);
  struct stat st;
  assert_true(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
  assert_true(lstat(real, &st) == 0 && S_ISREG(st.st_mode));
  fathom_profile *q = load_ok(real);
  assert_same(p, q);
  fathom_profile_free(q);
  assert_int_equal(tmp_entries("real.json.tmp.", 0), 0);
  /* a link to itself: refused, nothing written beside it */
  const char *loop = tmp_path("loop.json");
  unlink(loop);
  assert_int_equal(symlink("loop.json", loop), 0);
  assert_int_equal(fathom_profile_save(p, FATHOM_FORMAT_JSON, loop), FATHOM_E_IO);
  assert_int_equal(tmp_entries("loop.json.tmp.", 0), 0);
  unlink(loop);

  const char *fifo = tmp_path("fifo.json"), *copy = tmp_path("fifo-copy.json");
  unlink(fifo);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  pid_t kid = fork();
  assert_true(kid >= 0);
  if (kid == 0) { /* the other end: copies what comes through into a file */
    FILE *in = fopen(fifo, "r"), *out = fopen(copy, "w");
    if (!in || !out) _exit(1);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
      if (fwrite(buf, 1, n, out) != n) _exit(1);
    _exit(fclose(out) == 0 ? 0 : 1);
  }
  assert_int_equal(fathom_profile_save(p, FATHOM_FORMAT_JSON, fifo), 0);
  int status = 0;
  assert_int_equal(waitpid(kid, &status, 0), kid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_true(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
  q = load_ok(copy);
  assert_same(p, q);
  fathom_profile_free(q);
  assert_int_equal(tmp_entries("fifo.json.tmp.", 0), 0);
  unlink(fifo);
  unlink(copy);
  unlink(link);
  unlink(real);
  fathom_profile_free(p);
}

/* A locale whose decimal point is ',' must not leak into the file (the build compiles
 * de_DE.UTF-8 into build/locale and ctest sets LOCPATH to it). */
static void test_comma_locale(void **state) {
  (void)state;
  static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
  char saved[64];
  snprintf(saved, sizeof saved, "%s", setlocale(LC_NUMERIC, NULL));
  int ok = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0] && !ok; i++)
    ok = setlocale(LC_NUMERIC, names[i]) != NULL && localeconv()->decimal_point[0] == ',';
  if (!ok) {
    setlocale(LC_NUMERIC, saved);
    fail_msg("no decimal-comma locale: LOCPATH=%s (the build makes one with localedef)",
             getenv("LOCPATH") ? getenv("LOCPATH") : "(unset)");
  }
  fathom_profile *p = build_model(1), *q;
  write_json(p, tmp_path("locale.json"));
  q = load_ok(tmp_path("locale.json"));  /* read back in that locale */
  setlocale(LC_NUMERIC, saved);
  assert_same(p, q);
  fathom_profile_free(q);
  q = load_ok(tmp_path("locale.json"));  /* and in the C locale */
  assert_same(p, q);
  fathom_profile_free(q);
  fathom_profile_free(p);
}

/* What other writers may produce: pretty-printed, members reordered, unknown members, and
 * the accepted alternative forms (numeric level and kind, digit strings, "NaN"). */
static void test_other_writers(void **state) {
  (void)state;
  fathom_profile *p = build_model(1);
  const char *path = tmp_path("other.json");
  write_json(p, path);
  size_t len;
  char *d = slurp(path, &len);
  d = remutate(d, "\"level\":\"comprehensive\"", "\"level\":3,\"x_future\":{\"a\":[1]}");
  d = remutate(d, "\"kind\":\"function\"", "\"kind\":1");
  d = remutate(d, "\"n_cpus\":4294967295", "\"n_cpus\":\"4294967295\"");
  d = remutate(d, "\"mean_ns\":null", "\"mean_ns\":\"NaN\"");
  json_t *root = json_loads(d, 0, NULL);
  char *pretty = root ? json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
  assert_non_null(pretty);
  json_decref(root);
  put_file(path, pretty, strlen(pretty));
  fathom_profile *q = load_ok(path);
  assert_same(p, q);
  fathom_profile_free(q);
  free(pretty);
  free(d);
  fathom_profile_free(p);
}

/* ---- schema 1 ------------------------------------------------------------------------- */

/* The example of docs/json-schema.md as schema 1 documented it (a file fathom 0.1 wrote). */
static const char schema1_doc[] =
    "{\"format\":\"fathom-profile\",\"schema_version\":1,\n"
    "\"meta\":{\"fathom_version\":\"0.1.0\",\"session_name\":\"train\",\"session_id\":7451298"
    "734512,\"start_unix_ns\":1732150000000000000,\"start_utc\":\"2024-11-21T00:46:40.0000000"
    "00Z\",\"duration_ns\":2500000000,\"pid\":4242,\"program\":\"/usr/local/bin/train\",\"hos"
    "t\":\"gpu-box-3\",\"os\":\"Linux\",\"kernel\":\"6.1.0-18-amd64\",\"arch\":\"x86_64\",\"c"
    "pu_model\":\"AMD EPYC 7B13\",\"n_cpus\":2,\"level\":\"basic\",\"clock_source\":\"tsc\","
    "\"clock_resolution_ns\":0.4,\"clock_read_ns\":6.5,\"tsc_hz\":2450000000,\"zone_cost_ns\""
    ":21.5,\"overhead_ns\":64.5,\"overhead_pct\":2.58e-06,\"cpu_time_ns\":2500000000,\"n_zone"
    "s\":3,\"dropped_zones\":0,\"dropped_events\":0,\"misuse\":0,\"fathom_bytes\":1048576},\n"
    "\"zones\":[\n"
    "{\"name\":\"epoch\",\"component\":\"training\",\"tags\":null,\"file\":\"train.c\",\"func"
    "\":\"main\",\"line\":40,\"kind\":\"zone\",\"stats\":{\"count\":1,\"total_ns\":2000000000"
    ",\"self_ns\":500000000,\"min_ns\":2000000000,\"max_ns\":2000000000,\"mean_ns\":200000000"
    "0,\"stddev_ns\":0,\"p50_ns\":2000000000,\"p90_ns\":2000000000,\"p95_ns\":2000000000,\"p9"
    "9_ns\":2000000000,\"p999_ns\":2000000000},\"hist\":{\"bucket\":[1655],\"count\":[1]}},\n"
    "{\"name\":\"load_batch\",\"component\":\"data\",\"tags\":\"io\",\"file\":\"data.c\",\"fu"
    "nc\":\"load_batch\",\"line\":88,\"kind\":\"function\",\"stats\":{\"count\":2,\"total_ns"
    "\":1500000000,\"self_ns\":1500000000,\"min_ns\":700000000,\"max_ns\":800000000,\"mean_ns"
    "\":750000000,\"stddev_ns\":70710678.11865476,\"p50_ns\":700000000,\"p90_ns\":800000000,"
    "\"p95_ns\":800000000,\"p99_ns\":800000000,\"p999_ns\":800000000},\"hist\":{\"bucket\":[1"
    "555,1567],\"count\":[1,1]}}],\n"
    "\"nodes\":[\n"
    "{\"zone\":0,\"parent\":null,\"thread\":0,\"depth\":1,\"stats\":{\"count\":1,\"total_ns\""
    ":2000000000,\"self_ns\":500000000,\"min_ns\":2000000000,\"max_ns\":2000000000,\"mean_ns"
    "\":2000000000,\"stddev_ns\":0,\"p50_ns\":2000000000,\"p90_ns\":2000000000,\"p95_ns\":200"
    "0000000,\"p99_ns\":2000000000,\"p999_ns\":2000000000},\"hist\":{\"bucket\":[1655],\"coun"
    "t\":[1]},\"metrics\":[]},\n"
    "{\"zone\":1,\"parent\":0,\"thread\":0,\"depth\":2,\"stats\":{\"count\":2,\"total_ns\":15"
    "00000000,\"self_ns\":1500000000,\"min_ns\":700000000,\"max_ns\":800000000,\"mean_ns\":75"
    "0000000,\"stddev_ns\":70710678.11865476,\"p50_ns\":700000000,\"p90_ns\":800000000,\"p95_"
    "ns\":800000000,\"p99_ns\":800000000,\"p999_ns\":800000000},\"hist\":{\"bucket\":[1555,15"
    "67],\"count\":[1,1]},\"metrics\":[{\"name\":\"rows\",\"count\":2,\"sum\":2048,\"min\":10"
    "24,\"max\":1024}]}],\n"
    "\"threads\":[\n"
    "{\"tid\":4242,\"name\":\"main\",\"exited\":false,\"n_open\":0,\"n_zones\":3,\"n_dropped"
    "\":0}],\n"
    "\"counters\":[\n"
    "{\"name\":\"bytes_read\",\"kind\":\"counter\",\"n_updates\":2,\"value\":8192,\"total\":8"
    "192,\"min\":4096,\"max\":4096}],\n"
    "\"timeline\":{\"recorded\":true,\"events\":[\n"
    "[0,0,1,1000,2000000000],\n"
    "[0,1,2,2000,700000000],\n"
    "[0,1,2,900000000,800000000]],\n"
    "\"counter_events\":[\n"
    "[0,0,700002000,4096],\n"
    "[0,0,1700000000,8192]]}}\n";

/* Every schema-2 field of a loaded schema-1 model holds its empty value. */
static void check_schema1_defaults(const fathom_profile *q) {
  assert_int_equal(q->meta.schema_version, 1);
  /* schema 4: every call timed, nothing recorded by hand, no fixed cost known */
  assert_int_equal(q->meta.n_timed, q->meta.n_zones);
  assert_true(q->meta.fixed_cost_ns == 0 && q->meta.setup_ns == 0 && q->meta.untimed_cost_ns == 0);
  for (uint32_t i = 0; i < q->n_threads; i++) assert_int_equal(q->threads[i].n_recorded, 0);
  assert_int_equal(q->meta.governor, 0);
  assert_int_equal(q->meta.alloc_tracking, 0);
  assert_int_equal(q->meta.sample_every, 0);
  assert_int_equal(q->meta.dropped_snapshots, 0);
  assert_true(q->meta.overhead_budget_pct == 0 && q->meta.probe_cost_ns == 0);
  for (uint32_t i = 0; i < q->n_zones; i++) {
    const fathom_zone_info *z = &q->zones[i];
    assert_int_equal(z->stats.timed, z->stats.count);
    assert_true(z->stats.total_se_ns == 0 && z->stats.self_se_ns == 0 && z->stats.overhead_ns == 0);
    assert_true(z->stats.pct_lo_ns[0] == z->stats.p50_ns && z->stats.pct_hi_ns[4] == z->stats.p999_ns);
    assert_int_equal(z->time_every, 1);
    assert_int_equal(z->gov, 0);
    assert_true(z->res.samples == 0 && z->res.mask == 0 && z->alloc.alloc_count == 0);
    assert_true(z->flops == 0);
  }
  for (uint32_t i = 0; i < q->n_nodes; i++) {
    assert_int_equal(q->nodes[i].stats.timed, q->nodes[i].stats.count);
    assert_int_equal(q->nodes[i].time_every, 1);
    assert_true(q->nodes[i].res.mask == 0 && q->nodes[i].alloc_self.live_bytes == 0);
  }
  assert_int_equal(q->res.monitored, 0);
  assert_true(isnan(q->res.wall_s) && isnan(q->res.rss_peak_bytes) && isnan(q->res.flops));
  assert_true(isnan(q->res.carbon_g_per_kwh) && isnan(q->res.gpu_util_mean_pct));
  assert_int_equal(q->res.leaked_bytes, 0);
  assert_true(q->n_probes == 0 && q->probes == NULL && q->n_gpus == 0 && q->gpus == NULL);
  assert_true(q->series.n == 0 && q->series.n_cols == 0 && q->series.cols == NULL);
  assert_true(q->n_mem_snapshots == 0 && q->n_gov_actions == 0);
}

static void test_schema1_file(void **state) {
  (void)state;
  const char *path = tmp_path("v1.json");
  put_file(path, schema1_doc, strlen(schema1_doc));
  fathom_profile *q = load_ok(path);
  check_schema1_defaults(q);
  assert_int_equal(q->n_zones, 2);
  assert_int_equal(q->n_nodes, 2);
  assert_string_equal(q->zones[1].name, "load_batch");
  assert_int_equal(q->zones[1].stats.count, 2);
  assert_int_equal(q->nodes[1].stats.total_ns, 1500000000);
  assert_int_equal(q->n_events, 3);
  assert_string_equal(q->nodes[1].metrics[0].name, "rows");
  /* saved again it becomes the current schema, and that loads back to the same model (but
   * version) */
  write_json(q, tmp_path("v1-as-v2.json"));
  fathom_profile *r = load_ok(tmp_path("v1-as-v2.json"));
  assert_int_equal(r->meta.schema_version, FATHOM_SCHEMA_VERSION);
  r->meta.schema_version = 1;
  assert_same(q, r);
  /* every view renders it */
  char *buf = NULL;
  size_t len = 0;
  for (int fmt = 0; fmt < 4; fmt++) {
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(fathom_profile_write(q, (fathom_format)fmt, f, 0), 0);
    fclose(f);
    assert_true(len > 0);
    free(buf);
  }
  fathom_profile_free(r);
  fathom_profile_free(q);
}

/* The full model saved as schema 2, then every schema-2 member taken out and the version set
 * to 1: loads as the model with the schema-2 fields at their empty values. A schema-1 file
 * with schema-2 sections ignores them (unknown members), however odd they are. */
static void test_schema1_from_model(void **state) {
  (void)state;
  fathom_profile *p = build_model(0), *want = build_model(1);
  const char *path = tmp_path("strip.json");
  write_json(p, path);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  assert_non_null(root);
  json_object_set_new(root, "schema_version", json_integer(1));
  static const char *const top[] = {"resources", "probes", "gpus", "series", "mem_snapshots",
                                    "gov_actions"};
  for (size_t k = 0; k < sizeof top / sizeof top[0]; k++) json_object_del(root, top[k]);
  json_object_set_new(root, "series", json_string("ignored in schema 1"));
  static const char *const meta2[] = {"overhead_budget_pct", "governor", "probe_cost_ns",
                                      "monitor_cpu_ns", "sample_every", "alloc_tracking",
                                      "dropped_snapshots", "untimed_cost_ns", "zone_cost_in_ns",
                                      "hook_cost_ns", "hook_untimed_cost_ns", "hook_cost_in_ns",
                                      "zone_special_cost_ns", "zone_special_in_ns",
                                      "hook_special_cost_ns", "hook_special_in_ns", "n_timed", "setup_ns", "build_ns", "fixed_cost_ns",
                                      "sample_period_ns", "cpu_samples", "cpu_samples_fathom",
                                      "sampler_cost_ns", "overhead_measured_ns",
                                      "overhead_measured_se_ns", "overhead_calibrated_ns"};
  json_t *meta = json_object_get(root, "meta");
  for (size_t k = 0; k < sizeof meta2 / sizeof meta2[0]; k++) json_object_del(meta, meta2[k]);
  static const char *const member2[] = {"res", "alloc", "alloc_self", "flops", "flops_self",
                                        "gov", "time_every"};
  static const char *const tables[] = {"zones", "nodes"};
  for (size_t t = 0; t < 2; t++) {
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(root, tables[t]), i, o) {
      json_object_del(json_object_get(o, "stats"), "timed");
      static const char *const stats4[] = {"total_se_ns", "self_se_ns", "overhead_ns",
                                           "self_cpu_ns", "self_cpu_se_ns",
                                           "pct_lo_ns", "pct_hi_ns"};
      for (size_t k = 0; k < sizeof stats4 / sizeof stats4[0]; k++)
        json_object_del(json_object_get(o, "stats"), stats4[k]);
      for (size_t k = 0; k < sizeof member2 / sizeof member2[0]; k++)
        json_object_del(o, member2[k]);
    }
  }
  size_t ti;
  json_t *to;
  json_array_foreach(json_object_get(root, "threads"), ti, to) json_object_del(to, "n_recorded");
  /* odd values where schema 2 would look: ignored */
  json_object_set_new(json_array_get(json_object_get(root, "zones"), 0), "res", json_true());
  assert_int_equal(json_dump_file(root, path, JSON_COMPACT), 0);
  json_decref(root);
  fathom_profile *q = load_ok(path);
  check_schema1_defaults(q);
  /* want: the model with its schema-2 parts emptied (dropped_hist stays: it is read if there) */
  want->meta.schema_version = 1;
  want->meta.overhead_budget_pct = 0;
  want->meta.governor = 0;
  want->meta.probe_cost_ns = 0;
  want->meta.monitor_cpu_ns = 0;
  want->meta.sample_every = 0;
  want->meta.alloc_tracking = 0;
  want->meta.dropped_snapshots = 0;
  want->meta.untimed_cost_ns = want->meta.zone_cost_in_ns = want->meta.hook_cost_ns = 0;
  want->meta.hook_untimed_cost_ns = want->meta.hook_cost_in_ns = 0;
  want->meta.zone_special_cost_ns = want->meta.zone_special_in_ns = 0;
  want->meta.hook_special_cost_ns = want->meta.hook_special_in_ns = 0;
  want->meta.setup_ns = want->meta.build_ns = want->meta.fixed_cost_ns = 0;
  want->meta.sample_period_ns = want->meta.sampler_cost_ns = 0;
  want->meta.cpu_samples = want->meta.cpu_samples_fathom = 0;
  want->meta.overhead_measured_ns = want->meta.overhead_measured_se_ns = 0;
  want->meta.overhead_calibrated_ns = want->meta.overhead_ns;
  want->meta.n_timed = want->meta.n_zones;
  for (uint32_t i = 0; i < want->n_threads; i++) want->threads[i].n_recorded = 0;
  for (uint32_t i = 0; i < want->n_zones; i++) {
    fathom_zone_info *z = &want->zones[i];
    memset(&z->res, 0, sizeof z->res);
    memset(&z->alloc, 0, sizeof z->alloc);
    memset(&z->alloc_self, 0, sizeof z->alloc_self);
    z->flops = 0, z->gov = 0, z->time_every = 1, z->stats.timed = z->stats.count;
    z->stats.total_se_ns = z->stats.self_se_ns = z->stats.overhead_ns = 0;
    z->stats.self_cpu_ns = z->stats.self_cpu_se_ns = 0;
    set_bounds(&z->stats);   /* not estimated: the percentiles themselves */
  }
  for (uint32_t i = 0; i < want->n_nodes; i++) {
    fathom_node *nd = &want->nodes[i];
    memset(&nd->res, 0, sizeof nd->res);
    memset(&nd->alloc, 0, sizeof nd->alloc);
    memset(&nd->alloc_self, 0, sizeof nd->alloc_self);
    nd->flops = nd->flops_self = 0, nd->gov = 0, nd->time_every = 1;
    nd->stats.timed = nd->stats.count;
    nd->stats.total_se_ns = nd->stats.self_se_ns = nd->stats.overhead_ns = 0;
    nd->stats.self_cpu_ns = nd->stats.self_cpu_se_ns = 0;
    set_bounds(&nd->stats);
  }
  for (uint32_t i = 0; i < want->n_probes; i++) free(want->probes[i].name), free(want->probes[i].detail);
  for (uint32_t i = 0; i < want->n_gpus; i++) free(want->gpus[i].name);
  for (uint32_t i = 0; i < want->series.n_cols; i++) free(want->series.cols[i]);
  for (uint32_t i = 0; i < want->n_mem_snapshots; i++) {
    fathom_mem_snapshot_info *ms = &want->mem_snapshots[i];
    free(ms->label), free(ms->zone), free(ms->zone_live_count), free(ms->zone_live_bytes);
  }
  free(want->probes), free(want->gpus), free(want->series.cols), free(want->series.ts_ns);
  free(want->series.v), free(want->mem_snapshots), free(want->gov_actions);
  want->n_probes = want->n_gpus = want->n_mem_snapshots = want->n_gov_actions = 0;
  want->probes = NULL, want->gpus = NULL, want->mem_snapshots = NULL, want->gov_actions = NULL;
  memset(&want->series, 0, sizeof want->series);
  want->res = q->res;   /* checked above: NaN figures, nothing monitored */
  assert_same(want, q);
  fathom_profile_free(q);
  fathom_profile_free(want);
  fathom_profile_free(p);
}

/* ---- schemas 1 to 3 get schema-4 meanings ------------------------------------------------ */

/* A schema-3 file with sampled timing (100 of 1000 calls timed: 50 at 10 us, 50 at 14 us,
 * total scaled to 12 ms) and probed resources (10 calls probed: sums over those 10), one SLA
 * and one zone's throughput. */
static char *schema3_doc(void) {
  uint32_t b1 = fz_hist_bucket_of(10000), b2 = fz_hist_bucket_of(14000);
  const char *stats =
      "\"stats\":{\"count\":1000,\"timed\":100,\"total_ns\":12000000,\"self_ns\":9000000,"
      "\"min_ns\":10000,\"max_ns\":14000,\"mean_ns\":12000,\"stddev_ns\":2010.05,"
      "\"p50_ns\":10000,\"p90_ns\":14000,\"p95_ns\":14000,\"p99_ns\":14000,\"p999_ns\":14000}";
  char hist[128], res[256];
  snprintf(hist, sizeof hist, "\"hist\":{\"bucket\":[%u,%u],\"count\":[50,50]}", b1, b2);
  snprintf(res, sizeof res,
           "\"res\":{\"samples\":10,\"sample_every\":16,\"sum\":{\"cpu_user_ns\":100000,"
           "\"read_bytes\":4096}}");
  size_t cap = 8192;
  char *d = xcalloc(cap, 1);
  snprintf(d, cap,
    "{\"format\":\"fathom-profile\",\"schema_version\":3,\n"
    "\"meta\":{\"fathom_version\":\"0.1.0\",\"session_name\":\"v3\",\"session_id\":1,"
    "\"start_unix_ns\":0,\"duration_ns\":2000000000,\"pid\":1,\"program\":null,\"host\":null,"
    "\"os\":null,\"kernel\":null,\"arch\":null,\"cpu_model\":null,\"n_cpus\":1,"
    "\"level\":\"detailed\",\"clock_source\":\"tsc\",\"clock_resolution_ns\":1,"
    "\"clock_read_ns\":5,\"tsc_hz\":0,\"zone_cost_ns\":20,\"overhead_ns\":2000,"
    "\"overhead_pct\":0.1,\"cpu_time_ns\":2000000,\"n_zones\":1000,\"dropped_zones\":0,"
    "\"dropped_events\":0,\"dropped_hist\":0,\"misuse\":0,\"fathom_bytes\":0,"
    "\"overhead_budget_pct\":5,\"governor\":true,\"probe_cost_ns\":800,"
    "\"monitor_cpu_ns\":3000000,\"sample_every\":16,\"alloc_tracking\":false,"
    "\"dropped_snapshots\":0},\n"
    "\"zones\":[{\"name\":\"sampled\",\"component\":null,\"tags\":null,\"file\":null,"
    "\"func\":null,\"line\":0,\"kind\":\"zone\",%s,%s,%s,\"time_every\":10}],\n"
    "\"nodes\":[{\"zone\":0,\"parent\":null,\"thread\":0,\"depth\":1,%s,%s,\"metrics\":[],%s,"
    "\"time_every\":10}],\n"
    "\"threads\":[{\"tid\":1,\"name\":\"main\",\"exited\":false,\"n_open\":0,\"n_zones\":1000,"
    "\"n_dropped\":0}],\n"
    "\"counters\":[],\"timeline\":{\"recorded\":false,\"events\":[],\"counter_events\":[]},\n"
    "\"resources\":{\"monitored\":false,\"n_samples\":0,\"wall_s\":null,\"cpu_user_s\":null,"
    "\"cpu_sys_s\":null,\"cpu_pct_mean\":null,\"cpu_pct_max\":null,\"rss_initial_bytes\":null,"
    "\"rss_peak_bytes\":null,\"rss_final_bytes\":null,\"vm_peak_bytes\":null,"
    "\"sys_mem_total_bytes\":null,\"sys_mem_used_pct_max\":null,\"threads_max\":0,"
    "\"read_bytes\":null,\"write_bytes\":null,\"disk_read_bytes\":null,"
    "\"disk_write_bytes\":null,\"net_rx_bytes\":null,\"net_tx_bytes\":null,\"ctx_vol\":null,"
    "\"ctx_invol\":null,\"minflt\":null,\"majflt\":null,\"gpu_mem_peak_bytes\":null,"
    "\"gpu_util_mean_pct\":null,\"gpu_util_max_pct\":null,\"cpu_energy_j\":null,"
    "\"gpu_energy_j\":null,\"energy_j\":null,\"carbon_g_per_kwh\":475,\"carbon_g\":null,"
    "\"flops\":0,\"flops_per_s\":0,\"leaked_bytes\":0,\"leaked_count\":0},\n"
    "\"probes\":[],\"gpus\":[],\"series\":{\"interval_s\":0,\"columns\":[],\"rows\":[]},\n"
    "\"mem_snapshots\":[],\"gov_actions\":[],\"findings\":[],\n"
    "\"slas\":[{\"zone_name\":\"sampled\",\"zone\":0,\"percentile\":99,\"target_ns\":20000,"
    "\"actual_ns\":14000,\"count\":1000,\"met\":true}],\n"
    "\"throughput\":[{\"kind\":\"zone\",\"index\":0,\"mean_per_s\":500,\"window_s\":60,"
    "\"last_per_s\":500,\"peak_per_s\":null}]}\n",
    stats, hist, res, stats, hist, res);
  return d;
}

static void test_schema3_conversion(void **state) {
  (void)state;
  char *doc = schema3_doc();
  const char *path = tmp_path("v3.json");
  put_file(path, doc, strlen(doc));
  free(doc);
  fathom_profile *q = load_ok(path);
  assert_int_equal(q->meta.schema_version, 3);
  const fathom_stats *st[2] = {&q->zones[0].stats, &q->nodes[0].stats};
  const fathom_res *rs[2] = {&q->zones[0].res, &q->nodes[0].res};
  for (int k = 0; k < 2; k++) {
    /* resource sums over the 10 probed calls become estimates over all 1000 */
    assert_true(rs[k]->sum[FATHOM_RES_CPU_USER_NS] == 100000.0 * 1000 / 10);
    assert_true(rs[k]->sum[FATHOM_RES_READ_BYTES] == 4096.0 * 1000 / 10);
    assert_int_equal(rs[k]->samples, 10);
    assert_int_equal(rs[k]->mask & (1u << FATHOM_RES_CPU_NS), 0);   /* not invented */
    /* the error of the scaled total (1 call in 10 timed): N s sqrt((1 - n/N) / n) */
    double se = 1000 * 2010.05 * sqrt((1 - 100.0 / 1000) / 100);
    assert_true(fabs(st[k]->total_se_ns - se) < 1e-9 * se);
    assert_true(fabs(st[k]->self_se_ns - se * 9.0 / 12.0) < 1e-9 * se);
    assert_true(st[k]->overhead_ns == 0);
    /* intervals from the histogram hold the percentiles; the median's spans both values */
    const double pc[5] = {st[k]->p50_ns, st[k]->p90_ns, st[k]->p95_ns, st[k]->p99_ns,
                          st[k]->p999_ns};
    for (int i = 0; i < FATHOM_PCT_N; i++)
      assert_true(st[k]->pct_lo_ns[i] <= pc[i] && pc[i] <= st[k]->pct_hi_ns[i]);
    assert_true(st[k]->pct_lo_ns[0] < 10100 && st[k]->pct_hi_ns[0] > 13900);
  }
  /* meta: fixed costs = the monitor's, calls timed from the nodes (900 counted only) */
  assert_true(q->meta.fixed_cost_ns == 3000000 && q->meta.setup_ns == 0 && q->meta.build_ns == 0);
  assert_int_equal(q->meta.n_timed, 100);
  assert_int_equal(q->threads[0].n_recorded, 0);
  /* SLA and throughput: what schema 3 implied */
  assert_int_equal(q->slas[0].timed, 1000);
  assert_true(q->slas[0].actual_lo_ns == 14000 && q->slas[0].actual_hi_ns == 14000);
  assert_int_equal(q->throughput[0].calls, 1000);
  assert_int_equal(q->throughput[0].timed, 100);
  /* saved again as schema 4, it loads back to the same model (but the version): the sums are
   * not scaled twice */
  write_json(q, tmp_path("v3-as-v4.json"));
  fathom_profile *r = load_ok(tmp_path("v3-as-v4.json"));
  assert_int_equal(r->meta.schema_version, FATHOM_SCHEMA_VERSION);
  r->meta.schema_version = 3;
  assert_same(q, r);
  assert_int_equal(r->slas[0].timed, 1000);
  assert_int_equal(r->throughput[0].timed, 100);
  fathom_profile_free(r);
  fathom_profile_free(q);
}

/* Stats whose every call was timed have exact percentiles: whatever bounds the model holds,
 * none is written and the loaded model has the percentiles themselves. */
static void test_exact_bounds_normalized(void **state) {
  (void)state;
  fathom_profile *p = build_model(1);
  fathom_stats *st = &p->nodes[4].stats;   /* every call timed in the fixture */
  assert_false(fathom_stats_estimated(st));
  st->pct_lo_ns[2] = 0;
  st->pct_hi_ns[2] = 1e9;
  write_json(p, tmp_path("exact.json"));
  size_t len;
  char *doc = slurp(tmp_path("exact.json"), &len);
  fathom_profile *q = load_ok(tmp_path("exact.json"));
  assert_true(q->nodes[4].stats.pct_lo_ns[2] == st->p95_ns);
  assert_true(q->nodes[4].stats.pct_hi_ns[2] == st->p95_ns);
  st->pct_lo_ns[2] = st->pct_hi_ns[2] = st->p95_ns;
  assert_same(p, q);
  /* node 4's stats carry no bounds; an estimated node's do */
  const char *n4 = strstr(doc, "\n{\"zone\":3,\"parent\":3,");
  assert_non_null(n4);
  const char *end = strchr(n4 + 1, '\n');
  assert_true(end && !memmem(n4, (size_t)(end - n4), "pct_lo_ns", 9));
  free(doc);
  fathom_profile_free(q);
  fathom_profile_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_full),  cmocka_unit_test(test_roundtrip_empty),
      cmocka_unit_test(test_roundtrip_big),   cmocka_unit_test(test_save_and_stream),
      cmocka_unit_test(test_save_failures),   cmocka_unit_test(test_save_targets),
      cmocka_unit_test(test_other_writers),
      cmocka_unit_test(test_comma_locale),    cmocka_unit_test(test_schema1_file),
      cmocka_unit_test(test_schema1_from_model), cmocka_unit_test(test_schema3_conversion),
      cmocka_unit_test(test_exact_bounds_normalized),
  };
  return cmocka_run_group_tests_name("json", tests, NULL, cleanup_tmp);
}
