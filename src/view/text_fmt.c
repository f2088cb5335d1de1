/* view/text_fmt.c: the text report's building blocks: colour, estimates with their
 * intervals, shares, and tables whose columns are aligned after every cell is known (plain
 * figures with units and cleaned names: util/fmt.c).
 *
 * Invariant: ANSI escapes come only from fz_on/fz_off and only when the report was asked for
 * colour; every cell is measured in display columns (UTF-8 characters), so columns line up
 * whatever the names hold. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/text.h"

/* ---- colours: only through these, so color=0 output has no escapes at all ---- */
void fz_on(const fz_tx *tx, const char *code) {
  if (tx->color) fprintf(tx->f, "\033[%sm", code);
}
void fz_off(const fz_tx *tx) {
  if (tx->color) fputs("\033[0m", tx->f);
}

/* The unit fz_fmt_dur picks for ns: its divisor, decimals and name. */
static const char *dur_unit(double ns, double *div, int *dec) {
  if (ns < 999.95) {
    *div = 1, *dec = ns == floor(ns) ? 0 : 1;
    return "ns";
  }
  if (ns < 999995.0) {
    *div = 1e3, *dec = 2;
    return "\xc2\xb5s";
  }
  if (ns < 999995000.0) {
    *div = 1e6, *dec = 2;
    return "ms";
  }
  *div = 1e9, *dec = ns < 1e12 ? 3 : 0;
  return "s";
}

/* v (ns) in the unit div with dec decimals; fewer than 2 significant digits shown as %.2g so
 * a small error never reads "0.00". */
static void in_unit(char *b, size_t cap, double v, double div, int dec) {
  double x = v / div, unit = pow(10, -dec);
  if (x != 0 && fabs(x) < unit * 10) snprintf(b, cap, "%.2g", x);
  else snprintf(b, cap, "%.*f", dec, x);
}

void fz_fmt_dur_est(char *b, size_t cap, double ns, double se, int est) {
  char v[48];
  fz_fmt_dur(v, sizeof v, ns);
  double half = est && isfinite(ns) && ns >= 0 && isfinite(se) && se > 0 ? FZ_Z95 * se : 0;
  if (!est || !isfinite(ns) || ns < 0) {
    snprintf(b, cap, "%s", v);
  } else if (half > 0) {
    double div;
    int dec;
    char h[40];
    double hdiv;
    int hdec;
    dur_unit(ns, &div, &dec);
    dur_unit(half, &hdiv, &hdec);
    /* in the value's unit, unless the interval is larger by a unit or more ("~2 ns ±4.10 ms",
     * not "±4100000") */
    if (hdiv > div) fz_fmt_dur(h, sizeof h, half);
    else in_unit(h, sizeof h, half, div, dec);
    snprintf(b, cap, "~%s \xc2\xb1%s", v, h);
  } else {
    snprintf(b, cap, "~%s", v);
  }
}

void fz_fmt_pctl(char *b, size_t cap, const fathom_stats *st, int k) {
  double v = fz_stats_pct(st, k);
  char s[48];
  fz_fmt_dur(s, sizeof s, v);
  if (!fathom_stats_estimated(st) || !isfinite(v) || v < 0) {
    snprintf(b, cap, "%s", s);
    return;
  }
  if (!fz_est_has_interval(st, k)) {
    snprintf(b, cap, "~%s", s);
    return;
  }
  fz_fmt_interval(b, cap, v, st->pct_lo_ns[k], st->pct_hi_ns[k]);
}

void fz_fmt_interval(char *b, size_t cap, double v, double lo, double hi) {
  char s[48];
  fz_fmt_dur(s, sizeof s, v);
  double slack = 1e-6 * (fabs(v) > 1 ? fabs(v) : 1);
  if (!isfinite(v) || v < 0 || !isfinite(lo) || !isfinite(hi) || !(lo < hi) ||
      lo > v + slack || hi < v - slack) {
    snprintf(b, cap, "%s", s);
    return;
  }
  double div;
  int dec;
  char l[40], h[40];
  dur_unit(v, &div, &dec);
  in_unit(l, sizeof l, lo, div, dec);
  in_unit(h, sizeof h, hi, div, dec);
  snprintf(b, cap, "~%s [%s, %s]", s, l, h);
}

void fz_fmt_share(char *b, size_t cap, double part, double whole, int est, int *clamped) {
  if (whole <= 0 || !isfinite(part) || !isfinite(whole)) {
    snprintf(b, cap, "-");
    return;
  }
  double pct = 100.0 * part / whole;
  const char *mark = "";
  if (pct > 100.0) {   /* an estimate above its whole's: never shown as more than all */
    pct = 100.0;
    mark = "*";
    if (clamped) *clamped = 1;
  }
  if (pct < 0) pct = 0;
  snprintf(b, cap, "%s%.1f%%%s", est ? "~" : "", pct, mark);
}

void fz_clamp_note(const fz_tx *tx, int clamped) {
  if (!clamped) return;
  fz_on(tx, "2");
  fputs("  * above 100% by sampling error in the estimates: shown as 100%\n", tx->f);
  fz_off(tx);
}

void fz_fmt_calls(char *b, size_t cap, const fathom_stats *st) {
  char c[32], t[32];
  if (fathom_stats_uncounted(st)) {   /* a stack-sampled path: its calls were not counted */
    snprintf(b, cap, "-");
    return;
  }
  fz_fmt_count(c, sizeof c, st->count);
  if (!fathom_stats_estimated(st)) {
    snprintf(b, cap, "%s", c);
    return;
  }
  fz_fmt_count(t, sizeof t, st->timed);
  snprintf(b, cap, "%s (%s timed)", c, t);
}

/* ---- tables: cells are formatted first, then printed with computed widths ---- */

void fz_tab_init(fz_tab *t, const char *const *head, const char *align) {
  memset(t, 0, sizeof *t);
  t->nc = (int)strlen(align);
  t->align = align;
  for (int c = 0; c < t->nc; c++) {
    t->head[c] = head[c];
    t->w[c] = fz_dwidth(head[c]);
  }
}

void fz_tab_row(fz_tab *t, const char *const *cells) {
  if (t->nomem) return;
  if (t->nrows == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 16;
    char **g = realloc(t->cell, nc * (size_t)t->nc * sizeof *g);
    if (!g) {
      t->nomem = 1;
      return;
    }
    t->cell = g;
    t->cap = nc;
  }
  char **row = t->cell + t->nrows * (size_t)t->nc;
  for (int c = 0; c < t->nc; c++) {
    row[c] = strdup(cells[c]);
    if (!row[c]) {
      while (c-- > 0) free(row[c]);
      t->nomem = 1;
      return;
    }
    size_t w = fz_dwidth(row[c]);
    if (w > t->w[c]) t->w[c] = w;
  }
  t->nrows++;
}

static void fz_pad(FILE *f, size_t n) {
  while (n--) fputc(' ', f);
}

static void fz_tab_line(const fz_tx *tx, const fz_tab *t, const char *const *cells) {
  fputs("  ", tx->f);
  for (int c = 0; c < t->nc; c++) {
    size_t w = fz_dwidth(cells[c]), pad = t->w[c] > w ? t->w[c] - w : 0;
    if (c) fputs("  ", tx->f);
    if (t->align[c] == 'r') fz_pad(tx->f, pad);
    fputs(cells[c], tx->f);
    if (t->align[c] == 'l' && c + 1 < t->nc) fz_pad(tx->f, pad);
  }
  fputc('\n', tx->f);
}

int fz_tab_print(const fz_tx *tx, fz_tab *t) {
  if (!t->nomem) {
    size_t total = 0;
    for (int c = 0; c < t->nc; c++) total += t->w[c] + (c ? 2 : 0);
    if (!t->nohead) {
      fz_on(tx, "1");
      fz_tab_line(tx, t, t->head);
      fz_off(tx);
      fputs("  ", tx->f);
      for (size_t k = 0; k < total; k++) fputc('-', tx->f);
      fputc('\n', tx->f);
    }
    for (size_t r = 0; r < t->nrows; r++)
      fz_tab_line(tx, t, (const char *const *)(t->cell + r * (size_t)t->nc));
  }
  for (size_t k = 0; k < t->nrows * (size_t)t->nc; k++) free(t->cell[k]);
  free(t->cell);
  int rc = t->nomem ? FATHOM_E_NOMEM : 0;
  memset(t, 0, sizeof *t);
  return rc;
}

void fz_section(const fz_tx *tx, const char *title) {
  fputc('\n', tx->f);
  fz_on(tx, "1;36");
  fputs(title, tx->f);
  fz_off(tx);
  fputc('\n', tx->f);
}

void fz_more(const fz_tx *tx, uint64_t n, const char *what) {
  if (!n) return;
  char c[40];
  fz_fmt_count(c, sizeof c, n);
  fz_on(tx, "2");
  fprintf(tx->f, "  ... %s more %s\n", c, what);
  fz_off(tx);
}

void fz_kv(const fz_tx *tx, const char *key, const char *val, int warn) {
  fz_on(tx, "1");
  fprintf(tx->f, "  %-13s", key);
  fz_off(tx);
  if (warn) fz_on(tx, "33");
  fputs(val, tx->f);
  if (warn) fz_off(tx);
  fputc('\n', tx->f);
}

