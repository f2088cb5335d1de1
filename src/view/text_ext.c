/* view/text_ext.c: the text report's "Extensions" section (fathom_ext.h): for each
 * extension, its zones by its first metric's inclusive total (each metric's total, self and
 * mean per call; "~" and "±" (95 %) where they are estimates, as the time figures), its sample
 * series in brief (rows, the last row's values, each metric's range) and the section its
 * report callback wrote at session end, as written.
 *
 * Invariant: only reads the profile; at most ROWS zones per extension (the rest counted). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/fmt.h"
#include "view/text.h"

#define ROWS 20

/* "1,234", "~1,234 ±56" (est), "-" when nothing was read */
static void fmt_ext(char *b, size_t cap, double v, double se, uint64_t samples) {
  if (!samples && v == 0) {
    snprintf(b, cap, "-");
    return;
  }
  char n[40], e[40];
  fz_fmt_num(n, sizeof n, v);
  if (se > 0) {
    fz_fmt_num(e, sizeof e, FZ_Z95 * se);
    snprintf(b, cap, "~%s ±%s", n, e);
  } else {
    snprintf(b, cap, "%s", n);
  }
}

static const fathom_profile *cmp_p;
static uint32_t cmp_k;
static int by_total(const void *a, const void *b) {
  double x = cmp_p->zones[*(const uint32_t *)a].ext[cmp_k].total;
  double y = cmp_p->zones[*(const uint32_t *)b].ext[cmp_k].total;
  return x < y ? 1 : x > y ? -1 : 0;
}

static int one(const fz_tx *tx, const fathom_profile *p, const fathom_ext_info *x) {
  char title[160];
  snprintf(title, sizeof title, "Extension %s (%s)", x->name ? x->name : "?",
           (x->flags & FATHOM_EXT_EVERY_CALL) ? "read on every timed call"
                                              : "read on the probed calls");
  fz_section(tx, title);
  uint32_t *ord = malloc((size_t)(p->n_zones ? p->n_zones : 1) * sizeof *ord);
  if (!ord) return FATHOM_E_NOMEM;
  uint32_t n = 0;
  for (uint32_t z = 0; z < p->n_zones; z++) {
    const fathom_ext_value *v = p->zones[z].ext;
    int any = 0;
    for (uint32_t k = 0; v && k < x->n_metrics; k++) any |= v[x->first + k].samples != 0;
    if (any) ord[n++] = z;
  }
  cmp_p = p;
  cmp_k = x->first;
  qsort(ord, n, sizeof *ord, by_total);
  const char *head[FZ_TAB_COLS] = {"zone", "calls read"};
  char hbuf[FATHOM_EXT_METRICS_MAX][3][80];
  char align[FZ_TAB_COLS + 1] = "lr";
  int nc = 2;
  uint32_t nm = x->n_metrics < (FZ_TAB_COLS - 2) / 3 ? x->n_metrics : (FZ_TAB_COLS - 2) / 3;
  for (uint32_t k = 0; k < nm; k++) {
    const fathom_ext_metric_info *m = &x->metrics[k];
    const char *u = m->unit && m->unit[0] ? m->unit : "";
    snprintf(hbuf[k][0], sizeof hbuf[k][0], "%.32s%s%.16s%s", m->name, *u ? " (" : "", u, *u ? ")" : "");
    snprintf(hbuf[k][1], sizeof hbuf[k][1], "self");
    snprintf(hbuf[k][2], sizeof hbuf[k][2], "per call");
    for (int j = 0; j < 3; j++) {
      head[nc] = hbuf[k][j];
      align[nc++] = 'r';
    }
  }
  align[nc] = 0;
  fz_tab t;
  fz_tab_init(&t, head, align);
  char cells[FZ_TAB_COLS][96];
  const char *row[FZ_TAB_COLS];
  for (uint32_t r = 0; r < n && r < ROWS; r++) {
    const fathom_zone_info *zi = &p->zones[ord[r]];
    fz_clean(cells[0], sizeof cells[0], zi->name, FZ_NAME_W);
    const fathom_ext_value *v0 = &zi->ext[x->first];
    fz_fmt_count(cells[1], sizeof cells[1], v0->samples);
    int c = 2;
    for (uint32_t k = 0; k < nm; k++) {
      const fathom_ext_value *v = &zi->ext[x->first + k];
      fmt_ext(cells[c++], sizeof cells[0], v->total, v->total_se, v->samples);
      fmt_ext(cells[c++], sizeof cells[0], v->self, v->self_se, v->samples);
      double calls = (double)zi->stats.count;
      if (calls > 0) fmt_ext(cells[c++], sizeof cells[0], v->total / calls, v->total_se / calls, v->samples);
      else snprintf(cells[c++], sizeof cells[0], "-");
    }
    for (int j = 0; j < c; j++) row[j] = cells[j];
    fz_tab_row(&t, row);
  }
  int rc = 0;
  if (n) {
    rc = fz_tab_print(tx, &t);
    if (n > ROWS) fz_more(tx, n - ROWS, "zones");
  } else {
    t.nohead = 1;
    rc = fz_tab_print(tx, &t);
    fprintf(tx->f, "  no call was read%s\n",
            (x->flags & FATHOM_EXT_EVERY_CALL) ? "" : " (probed calls are read: DETAILED level and above)");
  }
  free(ord);
  const fathom_series *se = &x->series;
  if (se->n && se->v && se->ts_ns) {
    fprintf(tx->f, "  samples: %llu rows over %.2f s;", (unsigned long long)se->n,
            (double)se->ts_ns[se->n - 1] * 1e-9);
    for (uint32_t k = 0; k < se->n_cols; k++) {
      double lo = INFINITY, hi = -INFINITY, last = se->v[(se->n - 1) * se->n_cols + k];
      for (uint64_t i = 0; i < se->n; i++) {
        double v = se->v[i * se->n_cols + k];
        if (isnan(v)) continue;
        lo = fmin(lo, v);
        hi = fmax(hi, v);
      }
      char a[40], b[40], l[40];
      fz_fmt_num(l, sizeof l, last);
      fz_fmt_num(a, sizeof a, lo);
      fz_fmt_num(b, sizeof b, hi);
      fprintf(tx->f, "%s %s last %s [%s, %s]", k ? ";" : "", se->cols[k], l,
              isfinite(lo) ? a : "-", isfinite(hi) ? b : "-");
    }
    fputc('\n', tx->f);
  }
  if (x->report && x->report[0]) {
    fputs(x->report, tx->f);
    if (x->report[strlen(x->report) - 1] != '\n') fputc('\n', tx->f);
  }
  return rc;
}

int fz_text_ext(const fz_tx *tx, const fathom_profile *p) {
  int rc = 0;
  for (uint32_t i = 0; i < p->n_exts && p->exts && !rc; i++) rc = one(tx, p, &p->exts[i]);
  return rc;
}
