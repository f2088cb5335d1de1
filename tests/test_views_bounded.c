/* test_views_bounded.c: the views and the loader on hostile models (issue 12):
 *   - CSV: a text cell that a spreadsheet would read as a formula ('=', '+', '-', '@', TAB,
 *     CR first) gets a leading '\'', numbers never do (item 16);
 *   - a deep chain of long names gives CSV, folded, speedscope, Chrome and text output at most
 *     32 times its JSON, and the cut stacks keep every nanosecond (item 13);
 *   - the loader refuses a node deeper than the recorder's 4096 levels, and takes 4096;
 *   - the loader's own count of its memory: under FATHOM_LOAD_MAX_MB of 4x the file a
 *     profile loads, under 1 MB it fails as "out of memory", not as malformed (item 12).
 * Invariant: every model is built by hand (views_fixture.h), so nothing here depends on
 * timing. */
#include <sys/stat.h>
#include <unistd.h>

#include "views_fixture.h"
#include "view/flame.h"

/* ---- item 16: CSV cells that would be formulas --------------------------------------- */

/* Column of name in the header row. */
static size_t col(char **header, const char *name) {
  for (size_t k = 0; header[k]; k++)
    if (strcmp(header[k], name) == 0) return k;
  fail_msg("no column %s", name);
  return 0;
}

/* The row whose zone cell is cell. */
static char **row_of(char ***rows, size_t nr, size_t zc, const char *cell) {
  for (size_t r = 1; r < nr; r++)
    if (strcmp(rows[r][zc], cell) == 0) return rows[r];
  fail_msg("no row with zone cell %s", cell);
  return NULL;
}

static void test_csv_formula_cells(void **state) {
  (void)state;
  static const char *const names[][2] = {
      /* zone name, its cell */
      {"=SUM(A1:A9)", "'=SUM(A1:A9)"}, {"+cmd", "'+cmd"}, {"-5", "'-5"},
      {"@who", "'@who"}, {"\tlead", "'\tlead"}, {"\rcr", "'\rcr"}, {"=a,b", "'=a,b"},
      {"plain", "plain"}, {"a=b", "a=b"}, {"5-", "5-"}};
  const size_t n = sizeof names / sizeof names[0];
  fathom_profile *p = mk_profile("csv-injection");
  free(p->meta.clock_source);
  p->meta.clock_source = strdup("+clock");
  add_thread(p, 1, "main");
  for (size_t k = 0; k < n; k++) add_zone(p, names[k][0], k == 0 ? "-comp" : "app");
  uint32_t top = add_node(p, 0, FATHOM_NONE, 0, 1, 5000, 1000);
  add_node(p, 1, top, 0, 1, 1000, 0);
  for (uint32_t k = 2; k < n; k++) add_node(p, k, FATHOM_NONE, 0, 1, 100, 0);
  p->nodes[top].alloc.alloc_count = 4;   /* a negative number: data, never prefixed */
  p->nodes[top].alloc.growth_bytes_per_call = -5;
  finish_zones(p);
  char *s = render(p, FATHOM_FORMAT_CSV, 0);
  char ***rows;
  size_t nr = parse_csv(s, &rows);
  assert_int_equal(nr, 1 + n);
  size_t pc = col(rows[0], "path"), zc = col(rows[0], "zone"), cc = col(rows[0], "component");
  size_t kc = col(rows[0], "clock_source"), gc = col(rows[0], "growth_bytes_per_call");
  for (size_t k = 0; k < n; k++) {
    char **r = row_of(rows, nr, zc, names[k][1]);
    assert_string_equal(r[kc], "'+clock");
    if (k == 1) assert_string_equal(r[pc], "'=SUM(A1:A9)/+cmd");
    else assert_string_equal(r[pc], names[k][1]);
    assert_string_equal(r[cc], k == 0 ? "'-comp" : "app");
  }
  assert_string_equal(row_of(rows, nr, zc, "'=SUM(A1:A9)")[gc], "-5");
  /* the prefix goes inside the quotes; no field of the raw text starts a formula */
  assert_non_null(strstr(s, ",\"'=a,b\","));
  assert_null(strstr(s, ",="));
  assert_null(strstr(s, "\n="));
  assert_null(strstr(s, ",+"));
  assert_null(strstr(s, ",@"));
  free_csv(rows, nr);
  free(s);
  fathom_profile_free(p);
}

/* ---- item 13: a deep chain of long names --------------------------------------------- */

/* One thread whose call tree is a chain of depth nodes of one zone (a name of namelen
 * bytes), each with 1000 ns of self time. */
static fathom_profile *deep_chain(uint32_t depth, size_t namelen) {
  fathom_profile *p = mk_profile("deep");
  char *name = malloc(namelen + 1);
  assert_non_null(name);
  for (size_t k = 0; k < namelen; k++) name[k] = (char)('a' + k % 26);
  name[namelen] = 0;
  add_zone(p, name, "deep");
  free(name);
  add_thread(p, 1, "main");
  uint32_t par = FATHOM_NONE;
  for (uint32_t i = 0; i < depth; i++)
    par = add_node(p, 0, par, 0, 1, 1000ULL * (depth - i), 1000ULL * (depth - i - 1));
  return p;
}

static uint64_t folded_total(const char *s, int *cut_lines, size_t *longest) {
  uint64_t sum = 0;
  *cut_lines = 0;
  *longest = 0;
  for (const char *l = s; *l;) {
    const char *nl = strchr(l, '\n');
    assert_non_null(nl);
    const char *sp = nl;
    while (sp > l && sp[-1] != ' ') sp--;
    sum += strtoull(sp, NULL, 10);
    static const char mark[] = ";" FZ_FLAME_CUT " ";
    if ((size_t)(sp - l) >= sizeof mark - 1 && memcmp(sp - (sizeof mark - 1), mark, sizeof mark - 1) == 0)
      (*cut_lines)++;
    if ((size_t)(nl - l) > *longest) *longest = (size_t)(nl - l);
    l = nl + 1;
  }
  return sum;
}

static void check_speedscope(const char *s, uint64_t want_total) {
  json_error_t je;
  json_t *j = json_loads(s, 0, &je);
  if (!j) fail_msg("invalid speedscope JSON: %s", je.text);
  json_t *frames = json_object_get(json_object_get(j, "shared"), "frames");
  size_t nf = json_array_size(frames);
  assert_int_equal(nf, 2);   /* the zone, then the cut frame */
  assert_string_equal(json_string_value(json_object_get(json_array_get(frames, 1), "name")),
                      FZ_FLAME_CUT);
  json_t *prof = json_array_get(json_object_get(j, "profiles"), 0);
  json_t *samples = json_object_get(prof, "samples"), *weights = json_object_get(prof, "weights");
  assert_int_equal(json_array_size(samples), json_array_size(weights));
  uint64_t sum = 0;
  int cut = 0;
  for (size_t k = 0; k < json_array_size(weights); k++) {
    sum += (uint64_t)json_integer_value(json_array_get(weights, k));
    json_t *st = json_array_get(samples, k);
    for (size_t q = 0; q < json_array_size(st); q++)
      assert_true((size_t)json_integer_value(json_array_get(st, q)) < nf);
    cut += json_integer_value(json_array_get(st, json_array_size(st) - 1)) == 1;
  }
  assert_int_equal(sum, want_total);
  assert_int_equal(json_integer_value(json_object_get(prof, "endValue")), want_total);
  assert_int_equal(cut, 1);
  json_decref(j);
}

static void test_deep_chain_bounded(void **state) {
  (void)state;
  const uint32_t depth = 400;
  fathom_profile *p = deep_chain(depth, 1000);
  finish_zones(p);
  char *json = render(p, FATHOM_FORMAT_JSON, 0);
  size_t in = strlen(json);
  static const fathom_format fmts[] = {FATHOM_FORMAT_CSV, FATHOM_FORMAT_FOLDED,
                                       FATHOM_FORMAT_SPEEDSCOPE, FATHOM_FORMAT_CHROME,
                                       FATHOM_FORMAT_TEXT};
  char *out[5];
  for (int k = 0; k < 5; k++) {
    out[k] = render(p, fmts[k], 0);
    size_t len = strlen(out[k]);
    if (len > 32 * in) fail_msg("format %d: %zu bytes from a %zu-byte profile", (int)fmts[k], len, in);
  }
  /* folded: the stack is cut at the bound, the rest is one line, every nanosecond kept */
  int cut_lines;
  size_t longest;
  assert_int_equal(folded_total(out[1], &cut_lines, &longest), 1000ULL * depth);
  assert_int_equal(cut_lines, 1);
  assert_true(longest <= FZ_FLAME_STACK_MAX + sizeof FZ_FLAME_CUT + 24);
  check_speedscope(out[2], 1000ULL * depth);
  /* CSV: one row per path, deep paths keep their leaf end */
  char ***rows;
  size_t nr = parse_csv(out[0], &rows);
  assert_int_equal(nr, 1 + depth);
  for (size_t r = 1; r < nr; r++) assert_true(strlen(rows[r][0]) <= 4096);
  assert_memory_equal(rows[nr - 1][0], ".../", 4);
  free_csv(rows, nr);
  /* Chrome: names cut, still valid JSON */
  json_error_t je;
  json_t *j = json_loads(out[3], 0, &je);
  if (!j) fail_msg("invalid trace JSON: %s", je.text);
  json_t *ev = json_object_get(j, "traceEvents");
  for (size_t k = 0; k < json_array_size(ev); k++) {
    const char *nm = json_string_value(json_object_get(json_array_get(ev, k), "name"));
    assert_true(nm && strlen(nm) <= 1024 + 3);
  }
  json_decref(j);
  for (int k = 0; k < 5; k++) free(out[k]);
  free(json);
  fathom_profile_free(p);
}

/* ---- the loader: depth and memory ------------------------------------------------------ */

static void test_load_depth(void **state) {
  (void)state;
  fathom_profile *p = deep_chain(4097, 4);
  char *deep = render(p, FATHOM_FORMAT_JSON, 0);   /* the writer does not judge depth */
  p->n_nodes = 4096;                                 /* the recorder's deepest */
  char *edge = render(p, FATHOM_FORMAT_JSON, 0);
  p->n_nodes = 4097;
  fathom_profile *q = (fathom_profile *)1;
  char err[512];
  assert_int_equal(fathom_profile_load_buffer(deep, strlen(deep), &q, err, sizeof err),
                   FATHOM_E_FORMAT);
  assert_null(q);
  assert_string_equal(err, "nodes[4096]: depth 4097 is deeper than fathom records (at most 4096 "
                           "levels): not a profile fathom wrote");
  assert_int_equal(fathom_profile_load_buffer(edge, strlen(edge), &q, err, sizeof err), 0);
  assert_int_equal(q->n_nodes, 4096);
  assert_int_equal(q->nodes[4095].depth, 4096);
  fathom_profile_free(q);
  free(deep);
  free(edge);
  fathom_profile_free(p);
}

/* json written to a scratch file; its path in path (removed by the caller). */
static void write_tmp(const char *json, char *path, size_t cap) {
  const char *dir = getenv("FATHOM_TEST_TMP");
  snprintf(path, cap, "%s/bounded-XXXXXX", dir && *dir ? dir : "/tmp");
  if (dir && *dir) mkdir(dir, 0777);
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  assert_non_null(f);
  assert_int_equal(fputs(json, f) >= 0, 1);
  assert_int_equal(fclose(f), 0);
}

static void test_load_memory_cap(void **state) {
  (void)state;
  fathom_profile *p = deep_chain(4096, 8);
  char *json = render(p, FATHOM_FORMAT_JSON, 0), path[4096];
  size_t len = strlen(json);
  write_tmp(json, path, sizeof path);
  fathom_profile *q = (fathom_profile *)1;
  char err[512], cap[32];
  /* 1 MB: out of memory, and says what it needs (the text alone is more than 1 MB) */
  if (len <= (1u << 20)) fail_msg("%zu bytes: not more than the cap", len);
  setenv("FATHOM_LOAD_MAX_MB", "1", 1);
  assert_int_equal(fathom_profile_load(path, &q, err, sizeof err), FATHOM_E_NOMEM);
  assert_null(q);
  assert_memory_equal(err, path, strlen(path));   /* "<file>: out of memory ..." */
  memmove(err, err + strlen(path) + 2, strlen(err + strlen(path) + 2) + 1);
  unsigned long long need = 0;
  if (sscanf(err, "out of memory loading this profile (needs ~%llu MB; FATHOM_LOAD_MAX_MB "
                  "allows 1)", &need) != 1)
    fail_msg("unexpected message: %s", err);
  assert_true(need >= len >> 20 && need <= 4 * (len >> 20) + 4);
  /* 4x the file: everything the load allocates (the text it reads, jansson's values, the
   * model) fits, counted by the loader itself */
  snprintf(cap, sizeof cap, "%zu", 4 * ((len + (1u << 20) - 1) >> 20));
  setenv("FATHOM_LOAD_MAX_MB", cap, 1);
  assert_int_equal(fathom_profile_load(path, &q, err, sizeof err), 0);
  assert_int_equal(q->n_nodes, 4096);
  fathom_profile_free(q);
  /* malformed stays malformed under a cap */
  assert_int_equal(fathom_profile_load_buffer(json, len / 2, &q, err, sizeof err),
                   FATHOM_E_FORMAT);
  assert_non_null(strstr(err, "truncated or malformed JSON at line "));
  unsetenv("FATHOM_LOAD_MAX_MB");
  unlink(path);
  free(json);
  fathom_profile_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_csv_formula_cells),
      cmocka_unit_test(test_deep_chain_bounded),
      cmocka_unit_test(test_load_depth),
      cmocka_unit_test(test_load_memory_cap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
