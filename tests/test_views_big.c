/* test_views_big.c: the text report on a big profile (about 800 zones, one thread), built by
 * hand with known totals, as -finstrument-functions gives on a real program: a chain of
 * wrappers at the top, a deep call chain whose every level splits its time, a few hot leaves
 * and hundreds of small ones. The test computes what each part of the report must hold from
 * the model it built:
 *   - "Top operations by self time": the zones with the most self time, in order (ties by
 *     name), as many as the table shows;
 *   - the call tree puts the chain of wrappers on one line ("main > ... > dispatch") with the
 *     first one's inclusive time and the self time of them all;
 *   - it is cut by share of time, not depth: a path 18 levels down is shown, and the paths
 *     under 0.5 % of the total it hides are counted with the paths below them, their time
 *     said, both exactly what the test computes.
 * Invariant: no timing: the model is built by hand (views_fixture.h). */
#include "views_fixture.h"
#include "view/text.h"

enum { N_DEEP = 14, N_HOT = 20, N_LEAF = 480, N_WRAP = 5 };

typedef struct big_model {
  fathom_profile *p;
  uint32_t wrap_node[N_WRAP];   /* main, w1, w2, w3, dispatch */
} big_model;

/* A zone of one node: 1 call of `total` ns, `child` of it in its children. */
static uint32_t node(fathom_profile *p, const char *name, uint32_t parent, uint64_t total,
                     uint64_t child) {
  uint32_t z = add_zone(p, name, "functions");
  return add_node(p, z, parent, 0, 1, total, child);
}

static big_model build(void) {
  big_model m;
  fathom_profile *p = mk_profile("big");
  add_thread(p, 1, "main");
  m.p = p;
  /* below dispatch: the deep chain, the hot leaves, the small leaves (half with a child) */
  uint64_t deep[N_DEEP + 1];
  deep[0] = 400000000;
  for (int d = 1; d <= N_DEEP; d++) deep[d] = deep[d - 1] * 4 / 5;
  uint64_t below = deep[0];
  for (int k = 0; k < N_HOT; k++) below += (uint64_t)(k + 1) * 5000000;
  for (int k = 0; k < N_LEAF; k++) below += 100000 + (uint64_t)k * 3000;
  /* the wrappers: 100 ns of their own each, dispatch 1000 */
  uint64_t self_w[N_WRAP] = {100, 100, 100, 100, 1000}, tot[N_WRAP];
  tot[N_WRAP - 1] = below + self_w[N_WRAP - 1];
  for (int k = N_WRAP - 1; k-- > 0;) tot[k] = tot[k + 1] + self_w[k];
  static const char *const wn[N_WRAP] = {"main", "w1", "w2", "w3", "dispatch"};
  uint32_t par = FATHOM_NONE;
  for (int k = 0; k < N_WRAP; k++)
    par = m.wrap_node[k] = node(p, wn[k], par, tot[k], tot[k] - self_w[k]);
  uint32_t dispatch = par;
  /* level d: level d+1 (4/5 of it) and side d (the rest); the last level is a leaf */
  par = dispatch;
  char nm[32];
  for (int d = 0; d <= N_DEEP; d++) {
    snprintf(nm, sizeof nm, "level%d", d);
    uint64_t child = d < N_DEEP ? deep[d] : 0;   /* level d+1 and side d add up to it */
    uint32_t lv = node(p, nm, par, deep[d], child);
    if (d < N_DEEP) {
      snprintf(nm, sizeof nm, "side%d", d);
      node(p, nm, lv, deep[d] - deep[d + 1], 0);
    }
    par = lv;
  }
  for (int k = 0; k < N_HOT; k++) {
    snprintf(nm, sizeof nm, "hot%02d", k);
    node(p, nm, dispatch, (uint64_t)(k + 1) * 5000000, 0);
  }
  for (int k = 0; k < N_LEAF; k++) {
    uint64_t t = 100000 + (uint64_t)k * 3000;
    snprintf(nm, sizeof nm, "leaf%03d", k);
    uint32_t lf = node(p, nm, dispatch, t, k % 2 ? 0 : t / 2);
    if (k % 2 == 0) {
      snprintf(nm, sizeof nm, "sub%03d", k);
      node(p, nm, lf, t / 2, 0);
    }
  }
  finish_zones(p);
  return m;
}

/* The lines of the section titled `title` (up to its blank line), as a copy. */
static char *section_of(const char *s, const char *title) {
  const char *a = strstr(s, title);
  if (!a) fail_msg("no section \"%s\"", title);
  const char *e = strstr(a, "\n\n");
  if (!e) e = a + strlen(a);
  return strndup(a, (size_t)(e - a));
}

static const fathom_profile *sort_p;
static int by_self(const void *a, const void *b) {
  const fathom_zone_info *x = &sort_p->zones[*(const uint32_t *)a];
  const fathom_zone_info *y = &sort_p->zones[*(const uint32_t *)b];
  if (x->stats.self_ns != y->stats.self_ns) return x->stats.self_ns > y->stats.self_ns ? -1 : 1;
  return strcmp(x->name, y->name);
}

static void test_top_by_self(void **state) {
  (void)state;
  big_model m = build();
  fathom_profile *p = m.p;
  assert_true(p->n_zones > 500);
  char *s = render(p, FATHOM_FORMAT_TEXT, 0);
  char *sec = section_of(s, "Top operations by self time");
  uint32_t *ord = malloc(p->n_zones * sizeof *ord);
  for (uint32_t z = 0; z < p->n_zones; z++) ord[z] = z;
  sort_p = p;
  qsort(ord, p->n_zones, sizeof *ord, by_self);
  /* the rows after the rule, in order: each starts with the zone's name */
  const char *r = strstr(sec, "---");
  assert_non_null(r);
  r = strchr(r, '\n');
  uint32_t rows = 0;
  while (r && r[1] == ' ' && r[3] != '.') {
    char name[64];
    assert_int_equal(sscanf(r + 1, "%63s", name), 1);
    if (strcmp(name, p->zones[ord[rows]].name) != 0)
      fail_msg("self row %u is %s, want %s\n%s", rows, name, p->zones[ord[rows]].name, sec);
    /* its self time as the report writes it */
    char want[64];
    fz_fmt_dur(want, sizeof want, (double)p->zones[ord[rows]].stats.self_ns);
    const char *eol = strchr(r + 1, '\n');
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)(eol ? eol - r - 1 : (long)strlen(r + 1)), r + 1);
    if (!strstr(line, want)) fail_msg("self row \"%s\" lacks %s", line, want);
    rows++;
    r = eol;
  }
  assert_int_equal(rows, FZ_TOP_OPS);
  char more[64];
  snprintf(more, sizeof more, "... %u more operations", p->n_zones - FZ_TOP_OPS);
  assert_non_null(strstr(sec, more));
  /* the wrappers, first by total time, are not among them */
  assert_null(strstr(sec, "\n  main "));
  assert_null(strstr(sec, "\n  dispatch "));
  free(ord);
  free(sec);
  free(s);
  fathom_profile_free(p);
}

static void test_tree_chain_and_hidden(void **state) {
  (void)state;
  big_model m = build();
  fathom_profile *p = m.p;
  char *s = render(p, FATHOM_FORMAT_TEXT, 0);
  char *tree = section_of(s, "Call tree");
  /* one thread, no two paths alike: the paths are the nodes */
  uint64_t top = p->nodes[m.wrap_node[0]].stats.total_ns;
  uint64_t thr = (uint64_t)ceil(FZ_TREE_MIN_PCT / 100.0 * (double)top);
  /* the chain: main's inclusive time, the self time of all five */
  const char *line = strstr(tree, "\n  main > ... 1 more > w2 > w3 > dispatch ");
  if (!line) fail_msg("no wrapper chain line:\n%s", tree);
  char inc[64], self[64], row[512];
  const char *eol = strchr(line + 1, '\n');
  snprintf(row, sizeof row, "%.*s", (int)(eol - line - 1), line + 1);
  fz_fmt_dur(inc, sizeof inc, (double)top);
  uint64_t chain_self = 0;
  for (int k = 0; k < N_WRAP; k++) chain_self += p->nodes[m.wrap_node[k]].stats.self_ns;
  fz_fmt_dur(self, sizeof self, (double)chain_self);
  const char *at = strstr(row, inc);
  if (!at || !strstr(at + strlen(inc), self))
    fail_msg("chain row \"%s\": want inclusive %s then self %s", row, inc, self);
  assert_null(strstr(tree, "\n    w1 "));   /* the wrappers have no lines of their own */
  /* cut by share, not depth: every level at or above the threshold is shown */
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const char *nm = p->zones[p->nodes[i].zone].name;
    if (strncmp(nm, "side", 4) != 0) continue;
    char pat[48];
    snprintf(pat, sizeof pat, " %s ", nm);
    int shown = strstr(tree, pat) != NULL;
    if (shown != (p->nodes[i].stats.total_ns >= thr))
      fail_msg("%s (%llu ns, threshold %llu, depth %u) shown %d\n%s", nm,
               (unsigned long long)p->nodes[i].stats.total_ns, (unsigned long long)thr,
               p->nodes[i].depth, shown, tree);
  }
  uint32_t deepest = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (p->nodes[i].stats.total_ns >= thr && p->nodes[i].depth > deepest) deepest = p->nodes[i].depth;
  assert_true(deepest > 15);   /* deeper than the 10 levels the tree used to show */
  /* hidden: the paths under the threshold whose parent is shown, with all below them */
  uint32_t *size = calloc(p->n_nodes, sizeof *size);
  uint32_t hidden = 0;
  uint64_t hidden_ns = 0;
  for (uint32_t i = p->n_nodes; i-- > 0;) {
    size[i]++;
    if (p->nodes[i].parent != FATHOM_NONE) size[p->nodes[i].parent] += size[i];
  }
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *nd = &p->nodes[i];
    if (nd->stats.total_ns >= thr) continue;
    if (nd->parent != FATHOM_NONE && p->nodes[nd->parent].stats.total_ns < thr) continue;
    hidden += size[i];
    hidden_ns += nd->stats.total_ns;
  }
  assert_true(hidden > 400);
  char want[256], d[64];
  fz_fmt_dur(d, sizeof d, (double)hidden_ns);
  snprintf(want, sizeof want, "\n  %u paths under 0.5%% of the total time are hidden (with the "
           "paths below them); they hold %s\n", hidden, d);
  if (!strstr(s, want)) fail_msg("no line \"%s\" after the tree:\n%s", want + 1, strstr(s, "Call tree"));
  /* the shown paths, the chain's members and the hidden ones are every path: no line limit */
  assert_null(strstr(s, "paths (line limit)"));
  /* the hidden leaves under dispatch weigh more than the threshold: a line of their own */
  assert_non_null(strstr(tree, " smaller paths "));
  free(size);
  free(tree);
  free(s);
  fathom_profile_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_top_by_self),
      cmocka_unit_test(test_tree_chain_and_hidden),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
