/* test_json.c: the JSON view and its loader, what must come back: lossless round trips of
 * hand-built models (every field compared), other writers' forms, a decimal-comma host
 * locale, streams and atomic saves (refused input is test_json_bad.c).
 *
 * Invariant: a model written and loaded back equals the original in every field. */
#include "json_fixture.h"

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
  if ((f = fopen("/dev/full", "w")) != NULL) assert_int_equal(fz_write_json(p, f), FATHOM_E_IO);
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


int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_full),  cmocka_unit_test(test_roundtrip_empty),
      cmocka_unit_test(test_roundtrip_big),   cmocka_unit_test(test_save_and_stream),
      cmocka_unit_test(test_save_failures),   cmocka_unit_test(test_other_writers),
      cmocka_unit_test(test_comma_locale),
  };
  return cmocka_run_group_tests_name("json", tests, NULL, cleanup_tmp);
}
