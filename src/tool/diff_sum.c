/* diff_sum.c: after every row is judged: which rows are regressions or improvements (by the
 * gate metric), which are shown (--min-share, --sort, --top), the session summary, the top
 * regressions and improvements, the --fail-on-regression gate and the verdict line.
 *
 * Invariant: hiding only affects what is shown; the gate reads every compared zone whose
 * share reaches --min-share, whatever --top cuts, and never an added or gone zone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

const char *dm_name(int id) {
  static const char *const n[DM_N] = {"calls", "total_ns", "mean_ns", "p50_ns", "p99_ns",
                                      "alloc_bytes", "alloc_count", "live_bytes",
                                      "rss_delta_bytes"};
  return id >= 0 && id < DM_N ? n[id] : NULL;
}

const char *dj_name(int j) {
  static const char *const n[] = {"not_comparable", "unchanged", "within_noise", "beyond_noise",
                                  "unknown"};
  return j >= 0 && j <= DJ_UNKNOWN ? n[j] : "unknown";
}

const char *dmethod_name(int m) {
  static const char *const n[] = {"none", "exact", "welch", "quantile"};
  return m >= 0 && m <= DMETH_QUANTILE ? n[m] : "none";
}

/* ---- sorting ---- */
typedef struct sort_ctx {
  const diff_result *r;
  const diff_row *rows;
  dsort by;
} sort_ctx;

static double absd(double v) { return isfinite(v) ? fabs(v) : isnan(v) ? 0 : HUGE_VAL; }

static double key_of(const diff_row *w, dsort by) {
  switch (by) {
    case DSORT_PCT: return absd(dm_pct(&w->m[DM_TOTAL]));
    case DSORT_TOTAL: return isfinite(w->m[DM_TOTAL].b) ? w->m[DM_TOTAL].b : 0;
    case DSORT_MEAN: return absd(dm_pct(&w->m[DM_MEAN]));
    case DSORT_CALLS: return absd(w->m[DM_CALLS].b - w->m[DM_CALLS].a);
    default: return absd(w->m[DM_TOTAL].b - w->m[DM_TOTAL].a);
  }
}

static int by_name(const sort_ctx *c, const diff_row *x, const diff_row *y) {
  int k = strcmp(diff_row_name(c->r, x), diff_row_name(c->r, y));
  if (!k) k = strcmp(diff_row_comp(c->r, x), diff_row_comp(c->r, y));
  return k;
}

static int cmp_rows(const void *pa, const void *pb, void *arg) {
  const sort_ctx *c = arg;
  uint32_t ia = *(const uint32_t *)pa, ib = *(const uint32_t *)pb;
  const diff_row *x = &c->rows[ia], *y = &c->rows[ib];
  if (c->by != DSORT_NAME) {
    double kx = key_of(x, c->by), ky = key_of(y, c->by);
    if (kx != ky) return kx > ky ? -1 : 1;
  }
  int k = by_name(c, x, y);
  return k ? k : (ia > ib) - (ia < ib);
}

/* Rows of status DROW_BOTH passing --min-share, sorted, cut at --top (*hidden: the rest). */
static int order(const diff_result *r, diff_row *rows, uint32_t n, uint32_t **out,
                 uint32_t *n_out, uint32_t *hidden) {
  *out = malloc(((size_t)n + 1) * sizeof **out);
  if (!*out) return FATHOM_E_NOMEM;
  uint32_t k = 0, both = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (rows[i].status != DROW_BOTH) continue;
    both++;
    if (rows[i].share_pct >= r->opt.min_share_pct) (*out)[k++] = i;
  }
  sort_ctx c = {r, rows, r->opt.sort};
  qsort_r(*out, k, sizeof **out, cmp_rows, &c);
  if (r->opt.top && k > r->opt.top) k = r->opt.top;
  for (uint32_t i = 0; i < k; i++) rows[(*out)[i]].shown = 1;
  *n_out = k;
  if (hidden) *hidden = both - k;
  return 0;
}

/* ---- regressions, the gate ---- */
static void classify(diff_result *r, diff_row *w) {
  const dm *m = &w->m[r->opt.fail_metric];
  w->change = DCH_NONE;
  w->gated = 0;
  if (w->status != DROW_BOTH || m->judge != DJ_BEYOND) return;
  w->change = m->b > m->a ? DCH_WORSE : DCH_BETTER;
  if (w->change != DCH_WORSE || r->opt.fail_pct < 0 || w->share_pct < r->opt.min_share_pct)
    return;
  double pct = dm_pct(m);
  w->gated = isnan(pct) || pct > r->opt.fail_pct;
}

/* The n most costly rows of change ch (by |Δ total|) into top[]. */
static uint32_t top_rows(const diff_result *r, dchange ch, uint32_t *top, uint32_t cap) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < r->n_zones; i++) {
    const diff_row *w = &r->zones[i];
    if (w->change != ch || w->share_pct < r->opt.min_share_pct) continue;
    double k = key_of(w, DSORT_IMPACT);
    uint32_t j = n < cap ? n++ : cap;
    while (j > 0 && key_of(&r->zones[top[j - 1]], DSORT_IMPACT) < k) {
      if (j < cap) top[j] = top[j - 1];
      j--;
    }
    if (j < cap) top[j] = i;
  }
  return n;
}

static void session_dm(dm *m, double a, double b) {
  memset(m, 0, sizeof *m);
  m->a = a;
  m->b = b;
  m->t = m->df = m->p = NAN;
  m->judge = !isfinite(a) || !isfinite(b) ? DJ_NA : a == b ? DJ_SAME : DJ_UNKNOWN;
}

/* The gated row with the largest change of the gate metric, FATHOM_NONE if none. */
static uint32_t worst(const diff_result *r) {
  uint32_t best = FATHOM_NONE;
  double bp = 0;
  for (uint32_t i = 0; i < r->n_zones; i++) {
    const diff_row *w = &r->zones[i];
    if (!w->gated) continue;
    double p = absd(dm_pct(&w->m[r->opt.fail_metric]));
    if (best == FATHOM_NONE || p > bp) {
      best = i;
      bp = p;
    }
  }
  return best;
}

static const char *metric_word(dm_id id) {
  return id == DM_TOTAL ? "total time" : id == DM_P50 ? "p50" : id == DM_P99 ? "p99" : "mean";
}

static void worst_text(const diff_result *r, uint32_t i, char *buf, size_t cap) {
  if (i == FATHOM_NONE) {
    buf[0] = '\0';
    return;
  }
  const diff_row *w = &r->zones[i];
  double p = dm_pct(&w->m[r->opt.fail_metric]);
  if (isfinite(p)) snprintf(buf, cap, "; worst: %s %+.1f %%", diff_row_name(r, w), p);
  else snprintf(buf, cap, "; worst: %s", diff_row_name(r, w));
}

static void verdict(diff_result *r) {
  const char *mw = metric_word(r->opt.fail_metric);
  char wt[200];
  uint32_t compared = r->n_worse + r->n_better + r->n_unchanged;
  if (r->n_worse && r->n_better) r->status = "mixed";
  else if (r->n_worse) r->status = "regressed";
  else if (r->n_better) r->status = "improved";
  else r->status = "unchanged";
  if (r->opt.fail_pct >= 0 && r->n_gated) {
    worst_text(r, worst(r), wt, sizeof wt);
    snprintf(r->verdict, sizeof r->verdict,
             "FAIL: %u zone%s regressed by more than %g %% in %s, beyond noise%s", r->n_gated,
             r->n_gated == 1 ? "" : "s", r->opt.fail_pct, mw, wt);
    return;
  }
  char head[64] = "";
  if (r->opt.fail_pct >= 0)
    snprintf(head, sizeof head, "PASS (no %s regression above %g %%): ", mw, r->opt.fail_pct);
  if (r->n_worse || r->n_better) {
    worst_text(r, r->n_top_worse ? r->top_worse[0] : r->top_better[0], wt, sizeof wt);
    snprintf(r->verdict, sizeof r->verdict, "%s%s: %u zone%s slower and %u faster in %s, "
             "beyond noise, of %u judged%s", head, r->status, r->n_worse,
             r->n_worse == 1 ? "" : "s", r->n_better, mw, compared, wt);
  } else {
    snprintf(r->verdict, sizeof r->verdict, "%sunchanged: no zone's %s changed beyond noise "
             "(%u judged)", head, mw, compared);
  }
}

int diff_summarize(diff_result *r) {
  for (uint32_t i = 0; i < r->n_zones; i++) {
    diff_row *w = &r->zones[i];
    classify(r, w);
    if (w->status == DROW_ADDED) r->n_added++;
    else if (w->status == DROW_GONE) r->n_gone++;
    else if (w->share_pct < r->opt.min_share_pct) r->n_small++;
    else if (w->change == DCH_WORSE) r->n_worse++;
    else if (w->change == DCH_BETTER) r->n_better++;
    else r->n_unchanged++;
    r->n_gated += (uint32_t)w->gated;
  }
  for (uint32_t i = 0; i < r->n_paths; i++) {
    classify(r, &r->paths[i]);
    r->paths[i].gated = 0;   /* paths inform; only zones gate */
  }
  if (order(r, r->zones, r->n_zones, &r->zord, &r->n_zshown, &r->n_zhidden)) return FATHOM_E_NOMEM;
  if (order(r, r->paths, r->n_paths, &r->pord, &r->n_pshown, NULL)) return FATHOM_E_NOMEM;
  r->n_top_worse = top_rows(r, DCH_WORSE, r->top_worse, 5);
  r->n_top_better = top_rows(r, DCH_BETTER, r->top_better, 5);
  const fathom_meta *a = &r->a.p->meta, *b = &r->b.p->meta;
  session_dm(&r->wall, (double)a->duration_ns, (double)b->duration_ns);
  session_dm(&r->zone_time, r->a.zone_time_ns, r->b.zone_time_ns);
  session_dm(&r->cpu, a->cpu_time_ns > 0 ? a->cpu_time_ns : NAN,
             b->cpu_time_ns > 0 ? b->cpu_time_ns : NAN);
  verdict(r);
  return 0;
}
