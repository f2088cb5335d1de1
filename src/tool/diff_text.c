/* diff_text.c: the text view of `fathom diff`: header, notes, summary, top regressions and
 * improvements, the zone table (with the calls timed on each side), memory changes, zones
 * added and gone, call paths (--paths) and the verdict line last (so `tail -n 1` gives it).
 *
 * Invariant: every change is printed with its mark ('*' beyond noise, '?' noise unknown),
 * so the plain text says what colour says; escapes appear only when r->opt.color is set. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "view/text.h"

#define NAME_W 40
#define TCOLS 12
#define DCELL 128   /* bytes per cell */

/* ---- a table whose cells carry a colour ---- */
typedef struct ttab {
  int nc;
  const char *const *head;
  const char *align;
  size_t w[TCOLS];
  char **cell;
  const char **col;
  size_t nrows, cap;
  int nomem;
} ttab;

static void tt_init(ttab *t, const char *const *head, const char *align) {
  memset(t, 0, sizeof *t);
  t->nc = (int)strlen(align);
  t->head = head;
  t->align = align;
  for (int c = 0; c < t->nc; c++) t->w[c] = fz_dwidth(head[c]);
}

static void tt_row(ttab *t, char cells[][DCELL], const char *const *colors) {
  if (t->nomem) return;
  if (t->nrows == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 32;
    char **g = realloc(t->cell, nc * (size_t)t->nc * sizeof *g);
    const char **gc = g ? realloc(t->col, nc * (size_t)t->nc * sizeof *gc) : NULL;
    if (g) t->cell = g;
    if (!g || !gc) {
      t->nomem = 1;
      return;
    }
    t->col = gc;
    t->cap = nc;
  }
  size_t base = t->nrows * (size_t)t->nc;
  for (int c = 0; c < t->nc; c++) {
    t->cell[base + c] = strdup(cells[c]);
    t->col[base + c] = colors ? colors[c] : NULL;
    if (!t->cell[base + c]) {
      while (c-- > 0) free(t->cell[base + c]);
      t->nomem = 1;
      return;
    }
    size_t w = fz_dwidth(cells[c]);
    if (w > t->w[c]) t->w[c] = w;
  }
  t->nrows++;
}

static void pad(FILE *f, size_t n) {
  while (n--) fputc(' ', f);
}

static void tt_line(const fz_tx *tx, const ttab *t, const char *const *cells,
                    const char *const *colors) {
  fputs("  ", tx->f);
  for (int c = 0; c < t->nc; c++) {
    size_t w = fz_dwidth(cells[c]), p = t->w[c] > w ? t->w[c] - w : 0;
    if (c) fputs("  ", tx->f);
    if (t->align[c] == 'r') pad(tx->f, p);
    if (colors && colors[c]) fz_on(tx, colors[c]);
    fputs(cells[c], tx->f);
    if (colors && colors[c]) fz_off(tx);
    if (t->align[c] == 'l' && c + 1 < t->nc) pad(tx->f, p);
  }
  fputc('\n', tx->f);
}

static int tt_print(const fz_tx *tx, ttab *t) {
  if (!t->nomem) {
    size_t total = 0;
    for (int c = 0; c < t->nc; c++) total += t->w[c] + (c ? 2 : 0);
    fz_on(tx, "1");
    tt_line(tx, t, t->head, NULL);
    fz_off(tx);
    fputs("  ", tx->f);
    for (size_t k = 0; k < total; k++) fputc('-', tx->f);
    fputc('\n', tx->f);
    for (size_t r = 0; r < t->nrows; r++)
      tt_line(tx, t, (const char *const *)(t->cell + r * (size_t)t->nc),
              t->col + r * (size_t)t->nc);
  }
  for (size_t k = 0; k < t->nrows * (size_t)t->nc; k++) free(t->cell[k]);
  free(t->cell);
  free(t->col);
  int rc = t->nomem ? FATHOM_E_NOMEM : 0;
  memset(t, 0, sizeof *t);
  return rc;
}

/* ---- cells ---- */
static const char *mark(const dm *m) {
  return m->judge == DJ_BEYOND ? "*" : m->judge == DJ_UNKNOWN ? "?" : "";
}

/* Colour of a change where larger is worse: red worse, green better, beyond noise only. */
static const char *hue(const dm *m) {
  if (m->judge != DJ_BEYOND) return NULL;
  return m->b > m->a ? "31" : "32";
}

static void fig(char *b, size_t cap, double v, int kind) {
  if (kind == 'd') fz_fmt_dur(b, cap, v);
  else if (kind == 'b') fz_fmt_bytes(b, cap, v);
  else fz_fmt_num(b, cap, v);
}

/* "base → new", or one figure when unchanged, "-" when neither is known. */
static void pair(char *b, size_t cap, const dm *m, int kind) {
  char x[32], y[32];
  if (!isfinite(m->a) && !isfinite(m->b)) snprintf(b, cap, "-");
  else if (m->judge == DJ_SAME) fig(b, cap, m->a, kind);
  else {
    fig(x, sizeof x, m->a, kind);
    fig(y, sizeof y, m->b, kind);
    snprintf(b, cap, "%s \xe2\x86\x92 %s", x, y);
  }
}

/* "+12.5%*": the change in percent with its mark; "=" unchanged, "-" not comparable. */
static void pct(char *b, size_t cap, const dm *m) {
  double p = dm_pct(m);
  if (m->judge == DJ_NA) snprintf(b, cap, "-");
  else if (m->judge == DJ_SAME) snprintf(b, cap, "=");
  else if (isnan(p)) snprintf(b, cap, "new%s", mark(m));
  else snprintf(b, cap, "%+.1f%%%s", p, mark(m));
}

/* The absolute change with its sign and mark ("+1.50 KiB*"). */
static void delta(char *b, size_t cap, const dm *m, int kind) {
  char x[32];
  if (m->judge == DJ_NA) snprintf(b, cap, "-");
  else if (m->judge == DJ_SAME) snprintf(b, cap, "=");
  else {
    double d = m->b - m->a;
    fig(x, sizeof x, fabs(d), kind);
    snprintf(b, cap, "%s%s%s", d < 0 ? "-" : "+", x, mark(m));
  }
}

/* Timed calls of a row on both sides: "all", "2,000", or "all → 2,000". */
static void timed_pair(char *b, size_t cap, const diff_row *w) {
  char x[32], y[32];
  diff_timed_cell(x, sizeof x, w->timed_a, w->m[DM_CALLS].a);
  diff_timed_cell(y, sizeof y, w->timed_b, w->m[DM_CALLS].b);
  if (strcmp(x, y) == 0) snprintf(b, cap, "%s", x);
  else snprintf(b, cap, "%s \xe2\x86\x92 %s", x, y);
}

static const char *change_word(const diff_row *w) {
  return w->gated ? "FAIL" : w->change == DCH_WORSE ? "slower" : w->change == DCH_BETTER ? "faster" : "";
}

static const char *change_hue(const diff_row *w) {
  return w->change == DCH_WORSE ? "1;31" : w->change == DCH_BETTER ? "1;32" : NULL;
}

/* ---- sections ---- */
static void header(const fz_tx *tx, const diff_result *r) {
  FILE *f = tx->f;
  fz_on(tx, "1");
  fprintf(f, "fathom diff: %s \xe2\x86\x92 %s\n", r->a.file, r->b.file);
  fz_off(tx);
  const diff_side *s[2] = {&r->a, &r->b};
  for (int i = 0; i < 2; i++) {
    const fathom_meta *m = &s[i]->p->meta;
    char name[80], calls[32], timed[64] = "";
    fz_clean(name, sizeof name, m->session_name ? m->session_name : "", 40);
    fz_fmt_count(calls, sizeof calls, m->n_zones);
    if (s[i]->n_timed < m->n_zones) {
      char t[32];
      fz_fmt_count(t, sizeof t, s[i]->n_timed);
      snprintf(timed, sizeof timed, " (%s timed: a sample)", t);
    }
    fprintf(f, "  %-5s session \"%s\", level %s, clock %s, %s zone calls%s\n",
            i ? "new" : "base", name, fathom_level_name(m->level),
            m->clock_source ? m->clock_source : "unknown", calls, timed);
  }
  if (r->n_notes) fz_section(tx, "Notes (what cannot be compared)");
  for (uint32_t i = 0; i < r->n_notes; i++) {
    fz_on(tx, "33");
    fprintf(f, "  ! %s\n", r->notes[i]);
    fz_off(tx);
  }
}

static int summary(const fz_tx *tx, const diff_result *r) {
  static const char *const head[] = {"", "base", "new", "change"};
  fz_section(tx, "Summary");
  ttab t;
  tt_init(&t, head, "lrrr");
  const dm *m[4] = {&r->wall, &r->zone_time, &r->cpu, &r->run_cpu};
  static const char *const label[4] = {"wall time", "total zone time", "CPU time",
                                       "sampled CPU time"};
  for (int i = 0; i < (r->run_judged ? 4 : 3); i++) {   /* the sampled one where judged */
    char c[4][DCELL], p[24];
    snprintf(c[0], sizeof c[0], "%s", label[i]);
    fig(c[1], sizeof c[1], m[i]->a, 'd');
    fig(c[2], sizeof c[2], m[i]->b, 'd');
    delta(c[3], sizeof c[3], m[i], 'd');
    pct(p, sizeof p, m[i]);
    if (m[i]->judge != DJ_NA && m[i]->judge != DJ_SAME) {
      size_t l = strlen(c[3]);
      if (l && c[3][l - 1] == '?') c[3][l - 1] = '\0';   /* one run each: no noise estimate */
      if (p[strlen(p) - 1] == '?' || p[strlen(p) - 1] == '*') p[strlen(p) - 1] = '\0';
      snprintf(c[3] + strlen(c[3]), sizeof c[3] - strlen(c[3]), " (%s)", p);
    }
    tt_row(&t, c, NULL);
  }
  int rc = tt_print(tx, &t);
  char run[DIFF_NOTE_LEN];
  diff_run_line(r, run, sizeof run);
  if (*run) fprintf(tx->f, "  %s\n", run);
  fprintf(tx->f, "  zones: %u compared (%u slower, %u faster, %u unchanged beyond noise, "
          "%u below --min-share), %u added, %u gone\n",
          r->n_worse + r->n_better + r->n_unchanged + r->n_small, r->n_worse, r->n_better,
          r->n_unchanged, r->n_small, r->n_added, r->n_gone);
  return rc;
}

static const char *metric_label(dm_id id) {
  return id == DM_TOTAL ? "total" : id == DM_P50 ? "p50" : id == DM_P99 ? "p99" : "mean";
}

/* The top list, in the order the verdict names them: name, what decided ("base → new" and
 * its change: own CPU time where both sides have CPU samples, else the gate metric), then
 * the gate metric, own time and total changes, and calls "base → new" when they changed. */
static void top_list(const fz_tx *tx, const diff_result *r, const uint32_t *top, uint32_t n,
                     const char *title) {
  if (!n) return;
  char t[128];
  snprintf(t, sizeof t, "%s (%s, beyond noise; by own time)", title,
           r->cpu_ok ? "own CPU time" : metric_label(r->opt.fail_metric));
  fz_section(tx, t);
  for (uint32_t i = 0; i < n; i++) {
    const diff_row *w = &r->zones[top[i]];
    const dm *m = &w->m[r->opt.fail_metric];
    dm own = w->m[r->cpu_ok ? DM_CPU : DM_SELF];
    char nm[128], a[64], d[64], o[64], p[24], extra[200] = "";
    fz_clean(nm, sizeof nm, diff_row_name(r, w), NAME_W);
    if (r->cpu_ok) {
      const dm *c = &w->m[DM_CPU];
      char mp[64], mq[24];
      pair(a, sizeof a, c, 'd');
      if (isfinite(w->gate_pct)) snprintf(p, sizeof p, "%+.1f%%%s per call", w->gate_pct, mark(c));
      else pct(p, sizeof p, c);
      pair(mp, sizeof mp, m, 'd');
      pct(mq, sizeof mq, m);
      snprintf(extra, sizeof extra, "%s %s %s, ", metric_label(r->opt.fail_metric), mp, mq);
    } else {
      pair(a, sizeof a, m, 'd');
      pct(p, sizeof p, m);
    }
    delta(d, sizeof d, &w->m[DM_TOTAL], 'd');
    own.a = 0;
    own.b = w->impact_ns;   /* the own-time change the list is ordered by */
    delta(o, sizeof o, &own, 'd');
    size_t l = strlen(extra);
    snprintf(extra + l, sizeof extra - l, "own %s, total %s", o, d);
    if (w->m[DM_CALLS].judge == DJ_BEYOND) {
      char c[64];
      pair(c, sizeof c, &w->m[DM_CALLS], 'n');
      l = strlen(extra);
      snprintf(extra + l, sizeof extra - l, ", calls %s", c);
    }
    fprintf(tx->f, "  %-*s  %s  ", NAME_W < 24 ? NAME_W : 24, nm, a);
    fz_on(tx, w->change == DCH_WORSE ? "31" : "32");
    fputs(p, tx->f);
    fz_off(tx);
    fprintf(tx->f, "  (%s)%s\n", extra, w->gated ? "  FAIL" : "");
  }
}

static int zone_table(const fz_tx *tx, const diff_result *r) {
  static const char *const head[] = {"zone", "component", "calls", "timed", "total",
                                     "\xce\x94 total", "mean", "\xce\x94 mean", "\xce\x94 p50",
                                     "\xce\x94 p99", "\xce\x94 alloc", ""};
  char t[160];
  snprintf(t, sizeof t, "Zones (%u of %u compared shown, by %s; * beyond noise, ? cannot judge; "
           "timed: calls measured)", r->n_zshown, r->n_zshown + r->n_zhidden,
           r->opt.sort == DSORT_IMPACT ? "|change of own time|" : "--sort");
  fz_section(tx, t);
  if (!r->n_zshown) {
    fputs("  (none)\n", tx->f);
    return 0;
  }
  ttab tb;
  tt_init(&tb, head, "llrrrrrrrrrl");
  for (uint32_t i = 0; i < r->n_zshown; i++) {
    const diff_row *w = &r->zones[r->zord[i]];
    char c[12][DCELL];
    const char *col[12] = {0};
    fz_clean(c[0], sizeof c[0], diff_row_name(r, w), NAME_W);
    fz_clean(c[1], sizeof c[1], diff_row_comp(r, w), 20);
    pair(c[2], sizeof c[2], &w->m[DM_CALLS], 'n');
    if (w->m[DM_CALLS].judge == DJ_BEYOND) col[2] = "33";
    timed_pair(c[3], sizeof c[3], w);
    pair(c[4], sizeof c[4], &w->m[DM_TOTAL], 'd');
    pct(c[5], sizeof c[5], &w->m[DM_TOTAL]);
    pair(c[6], sizeof c[6], &w->m[DM_MEAN], 'd');
    pct(c[7], sizeof c[7], &w->m[DM_MEAN]);
    pct(c[8], sizeof c[8], &w->m[DM_P50]);
    pct(c[9], sizeof c[9], &w->m[DM_P99]);
    delta(c[10], sizeof c[10], &w->m[DM_ALLOC_BYTES], 'b');
    snprintf(c[11], sizeof c[11], "%s", change_word(w));
    col[5] = hue(&w->m[DM_TOTAL]);
    col[7] = hue(&w->m[DM_MEAN]);
    col[8] = hue(&w->m[DM_P50]);
    col[9] = hue(&w->m[DM_P99]);
    col[10] = hue(&w->m[DM_ALLOC_BYTES]);
    col[11] = change_hue(w);
    tt_row(&tb, c, col);
  }
  return tt_print(tx, &tb);
}

static int memory_table(const fz_tx *tx, const diff_result *r) {
  static const char *const head[] = {"zone", "alloc bytes", "\xce\x94", "allocations", "\xce\x94",
                                     "live bytes", "\xce\x94 RSS"};
  ttab tb;
  tt_init(&tb, head, "lrrrrrr");
  for (uint32_t i = 0; i < r->n_zshown; i++) {
    const diff_row *w = &r->zones[r->zord[i]];
    int any = 0;
    for (int k = DM_ALLOC_BYTES; k <= DM_RSS; k++)
      any |= w->m[k].judge != DJ_NA && w->m[k].judge != DJ_SAME;
    if (!any) continue;
    char c[7][DCELL];
    const char *col[7] = {0};
    fz_clean(c[0], sizeof c[0], diff_row_name(r, w), NAME_W);
    pair(c[1], sizeof c[1], &w->m[DM_ALLOC_BYTES], 'b');
    pct(c[2], sizeof c[2], &w->m[DM_ALLOC_BYTES]);
    pair(c[3], sizeof c[3], &w->m[DM_ALLOC_COUNT], 'n');
    pct(c[4], sizeof c[4], &w->m[DM_ALLOC_COUNT]);
    delta(c[5], sizeof c[5], &w->m[DM_LIVE_BYTES], 'b');
    delta(c[6], sizeof c[6], &w->m[DM_RSS], 'b');
    col[2] = hue(&w->m[DM_ALLOC_BYTES]);
    col[4] = hue(&w->m[DM_ALLOC_COUNT]);
    col[5] = hue(&w->m[DM_LIVE_BYTES]);
    tt_row(&tb, c, col);
  }
  if (tb.nrows) fz_section(tx, "Memory (zones above whose allocations or RSS changed)");
  if (!tb.nrows) {
    free(tb.cell);
    free(tb.col);
    return tb.nomem ? FATHOM_E_NOMEM : 0;
  }
  return tt_print(tx, &tb);
}

static void lone_zones(const fz_tx *tx, const diff_result *r, drow_status st) {
  uint32_t n = st == DROW_ADDED ? r->n_added : r->n_gone, shown = 0;
  if (!n) return;
  char t[64];
  snprintf(t, sizeof t, "Zones %s (%u)", st == DROW_ADDED ? "added" : "gone", n);
  fz_section(tx, t);
  for (uint32_t i = 0; i < r->n_zones; i++) {
    const diff_row *w = &r->zones[i];
    if (w->status != st) continue;
    if (r->opt.top && shown >= r->opt.top) break;
    shown++;
    char nm[128], comp[64], calls[32], tot[32];
    const dm *tm = &w->m[DM_TOTAL];
    fz_clean(nm, sizeof nm, diff_row_name(r, w), NAME_W);
    fz_clean(comp, sizeof comp, diff_row_comp(r, w), 20);
    fz_fmt_num(calls, sizeof calls, st == DROW_ADDED ? w->m[DM_CALLS].b : w->m[DM_CALLS].a);
    fz_fmt_dur(tot, sizeof tot, st == DROW_ADDED ? tm->b : tm->a);
    fz_on(tx, st == DROW_ADDED ? "36" : "2");
    fprintf(tx->f, "  %c %s (%s): %s calls, %s total\n", st == DROW_ADDED ? '+' : '-', nm, comp,
            calls, tot);
    fz_off(tx);
  }
  fz_more(tx, n - shown, "zones");
}

static int path_table(const fz_tx *tx, const diff_result *r) {
  static const char *const head[] = {"call path", "calls", "total", "\xce\x94 total", "mean",
                                     "\xce\x94 mean", "\xce\x94 p99", ""};
  fz_section(tx, "Call paths (matched by the path of zone names)");
  if (!r->n_pshown) {
    fputs("  (none)\n", tx->f);
    return 0;
  }
  ttab tb;
  tt_init(&tb, head, "lrrrrrrl");
  for (uint32_t i = 0; i < r->n_pshown; i++) {
    const diff_row *w = &r->paths[r->pord[i]];
    char c[8][DCELL], path[512];
    const char *col[8] = {0};
    diff_path_string(r, w, path, sizeof path);
    fz_clean(c[0], sizeof c[0], path, 56);
    pair(c[1], sizeof c[1], &w->m[DM_CALLS], 'n');
    pair(c[2], sizeof c[2], &w->m[DM_TOTAL], 'd');
    pct(c[3], sizeof c[3], &w->m[DM_TOTAL]);
    pair(c[4], sizeof c[4], &w->m[DM_MEAN], 'd');
    pct(c[5], sizeof c[5], &w->m[DM_MEAN]);
    pct(c[6], sizeof c[6], &w->m[DM_P99]);
    snprintf(c[7], sizeof c[7], "%s", change_word(w));
    col[3] = hue(&w->m[DM_TOTAL]);
    col[5] = hue(&w->m[DM_MEAN]);
    col[6] = hue(&w->m[DM_P99]);
    col[7] = change_hue(w);
    tt_row(&tb, c, col);
  }
  return tt_print(tx, &tb);
}

int diff_write_text(const diff_result *r, FILE *f) {
  fz_tx tx = {f, r->opt.color};
  errno = 0;
  header(&tx, r);
  int rc = summary(&tx, r);
  top_list(&tx, r, r->top_worse, r->n_top_worse, "Top regressions");
  top_list(&tx, r, r->top_better, r->n_top_better, "Top improvements");
  if (!rc) rc = zone_table(&tx, r);
  if (!rc) rc = memory_table(&tx, r);
  lone_zones(&tx, r, DROW_ADDED);
  lone_zones(&tx, r, DROW_GONE);
  if (!rc && r->opt.paths) rc = path_table(&tx, r);
  fputc('\n', f);
  fz_on(&tx, !strcmp(r->status, "regressed") || diff_failed(r) ? "1;31"
              : !strcmp(r->status, "improved") ? "1;32" : "1");
  fprintf(f, "%s\n", r->verdict);
  fz_off(&tx);
  if (!rc && ferror(f)) rc = FATHOM_E_IO;
  return rc;
}
