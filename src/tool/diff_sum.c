/* diff_sum.c: after every row is judged: which rows are regressions or improvements (by the
 * gate metric), which are shown (--min-share, --sort, --top), the session summary, the top
 * regressions and improvements, the --fail-on-regression gate and the verdict line; for
 * sampled profiles (fathom run) also the run's whole CPU time, which the verdict and the gate
 * judge beside the zones (judge_run).
 *
 * Invariant: hiding only affects what is shown; the gate reads every compared zone whose
 * share reaches --min-share, whatever --top cuts, and never an added or gone zone; the run's
 * CPU time counts only where both profiles are sampled (a zone's own CPU time is judged after
 * the run's change, so a uniform slow-down moves none of them). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "view/text.h"

const char *dm_name(int id) {
  static const char *const n[DM_N] = {"calls", "total_ns", "mean_ns", "p50_ns", "p99_ns",
                                      "alloc_bytes", "alloc_count", "live_bytes",
                                      "rss_delta_bytes", "self_ns",
                                      "self_cpu_ns"};
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
    default: return absd(w->impact_ns);
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
/* The change in % that --fail-on-regression compares with PCT: with CPU samples on both
 * sides (mean or total gate) that of own CPU time, per call for the mean; else the gate
 * metric's. NaN when the base is 0. */
static double gate_pct(const diff_result *r, const diff_row *w) {
  dm_id g = r->opt.fail_metric;
  if (!r->cpu_ok || (g != DM_MEAN && g != DM_TOTAL)) return dm_pct(&w->m[g]);
  const dm *c = &w->m[DM_CPU];
  if (g == DM_TOTAL) return dm_pct(c);
  double na = w->m[DM_CALLS].a, nb = w->m[DM_CALLS].b;
  if (!(na > 0) || !(nb > 0) || !(c->a > 0) || !isfinite(c->b)) return NAN;
  return 100.0 * (c->b / nb - c->a / na) / (c->a / na);
}

/* Regressed, improved or neither, and gated. With CPU samples on both sides, a zone's change
 * is that of its own CPU time (cpu_dir: beyond its sampling error, the run's overall change
 * and the noise floor), and a p50 or p99 gate must also be beyond noise the same way: time
 * that is not the zone's own CPU work (waiting, a callee that got slower, a run slowed down
 * as a whole by the machine) does not make it a regression. Without CPU samples, the gate
 * metric's judgement decides. */
static void classify(diff_result *r, diff_row *w) {
  const dm *m = &w->m[r->opt.fail_metric];
  w->change = DCH_NONE;
  w->gated = 0;
  w->gate_pct = NAN;
  if (w->status != DROW_BOTH) return;
  w->gate_pct = gate_pct(r, w);
  if (r->cpu_ok) {
    if (!w->cpu_dir) return;
    w->change = w->cpu_dir > 0 ? DCH_WORSE : DCH_BETTER;
    if ((r->opt.fail_metric == DM_P50 || r->opt.fail_metric == DM_P99) &&
        (m->judge != DJ_BEYOND || (m->b > m->a) != (w->cpu_dir > 0))) {
      w->change = DCH_NONE;
      return;
    }
  } else {
    if (m->judge != DJ_BEYOND) return;
    w->change = m->b > m->a ? DCH_WORSE : DCH_BETTER;
  }
  if (w->change != DCH_WORSE || r->opt.fail_pct < 0 || w->share_pct < r->opt.min_share_pct)
    return;
  w->gated = isnan(w->gate_pct) || w->gate_pct > r->opt.fail_pct;
}

/* 1 when row x goes before row y in the top list of change ch: gate failures first, then
 * the larger own-time change in the direction of ch (impact_ns), then the name. */
static int before(const diff_result *r, dchange ch, const diff_row *x, const diff_row *y) {
  if (x->gated != y->gated) return x->gated;
  double kx = isfinite(x->impact_ns) ? x->impact_ns : 0;
  double ky = isfinite(y->impact_ns) ? y->impact_ns : 0;
  if (ch == DCH_BETTER) {
    kx = -kx;
    ky = -ky;
  }
  if (kx != ky) return kx > ky;
  return strcmp(diff_row_name(r, x), diff_row_name(r, y)) < 0;
}

/* The cap rows of change ch that go first (before()) into top[]. */
static uint32_t top_rows(const diff_result *r, dchange ch, uint32_t *top, uint32_t cap) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < r->n_zones; i++) {
    const diff_row *w = &r->zones[i];
    if (w->change != ch || w->share_pct < r->opt.min_share_pct) continue;
    uint32_t j = n < cap ? n++ : cap;
    while (j > 0 && before(r, ch, w, &r->zones[top[j - 1]])) {
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

/* The run's whole CPU time (sampled profiles only): a program that got uniformly slower
 * changes no zone's share of it, so the zones' tests (which allow for the run's scale) see
 * nothing. The figure is the sampled CPU time (the zones' own CPU time summed), whose error
 * is known (Poisson); beyond noise when |Δ| > sigma x cpu_disp x sqrt(se_a^2 + se_b^2) and
 * |Δ| reaches the CPU noise floor. Not the processes' CPU time as the kernel accounted it
 * (meta.cpu_time_ns): that one also holds the kernel's work for the program, which the
 * samples do not see and which varies from run to run far more than they do (identical
 * zstd runs: 20 to 80 ms of system time in about 220 ms), with no error to judge it by. */
static void judge_run(diff_result *r) {
  dm *m = &r->run_cpu;
  r->run_judged = 1;
  if (m->judge == DJ_NA || m->judge == DJ_SAME) return;
  double ea = r->a.cpu_se_ns, eb = r->b.cpu_se_ns, v = ea * ea + eb * eb;
  if (!(v > 0) || !isfinite(v)) return;   /* no samples: DJ_UNKNOWN */
  double d = m->b - m->a;
  m->method = DMETH_WELCH;
  m->se_a = ea;
  m->se_b = eb;
  m->t = d / sqrt(v);
  m->df = 1e7;   /* a normal variable (diff_stat.c's sampled test) */
  m->p = erfc(fabs(m->t) / sqrt(2.0));
  int beyond = fabs(m->t) > r->opt.sigma * r->cpu_disp;
  if (beyond && fabs(d) < r->cpu_floor_ns) {
    beyond = 0;
    m->floored = 1;
  }
  m->judge = beyond ? DJ_BEYOND : DJ_NOISE;
  if (!beyond) return;
  r->run_change = d > 0 ? DCH_WORSE : DCH_BETTER;
  double pct = dm_pct(m);
  r->run_gated = r->run_change == DCH_WORSE && r->opt.fail_pct >= 0 &&
                 (isnan(pct) || pct > r->opt.fail_pct);
}

int diff_failed(const diff_result *r) { return r->n_gated > 0 || r->run_gated; }

void diff_run_line(const diff_result *r, char *buf, size_t cap) {
  const dm *m = &r->run_cpu;
  buf[0] = '\0';
  if (!r->run_judged || m->judge == DJ_NA) return;
  const char *what = "sampled CPU time";
  double th = r->opt.sigma * r->cpu_disp;
  if (m->judge == DJ_SAME) snprintf(buf, cap, "%s: unchanged", what);
  else if (m->method != DMETH_WELCH) snprintf(buf, cap, "%s: no samples to judge it by", what);
  else
    snprintf(buf, cap, "%s %+.1f %%: %s (%.1f standard errors of the samples, %s %.1f = "
             "--sigma %g x dispersion %.2f%s)", what, dm_pct(m),
             m->judge == DJ_BEYOND ? "beyond noise" : "within noise", m->t,
             fabs(m->t) > th ? "more than" : "not more than", th, r->opt.sigma, r->cpu_disp,
             m->floored ? ", but below the CPU noise floor" : "");
}

static const char *metric_word(const diff_result *r) {
  dm_id id = r->opt.fail_metric;
  if (r->cpu_ok && id == DM_MEAN) return "own CPU time per call";
  if (r->cpu_ok && id == DM_TOTAL) return "own CPU time";
  return id == DM_TOTAL ? "total time" : id == DM_P50 ? "p50" : id == DM_P99 ? "p99" : "mean";
}

/* "; first: NAME +12.5 % (own time +1.20 s)": the row the top list names first. */
static void worst_text(const diff_result *r, uint32_t i, char *buf, size_t cap) {
  if (i == FATHOM_NONE) {
    buf[0] = '\0';
    return;
  }
  const diff_row *w = &r->zones[i];
  double p = w->gate_pct;
  char pc[48] = "", own[64] = "", d[32];
  if (isfinite(p)) snprintf(pc, sizeof pc, " %+.1f %%", p);
  if (isfinite(w->impact_ns)) {
    fz_fmt_dur(d, sizeof d, fabs(w->impact_ns));
    snprintf(own, sizeof own, " (own time %s%s)", w->impact_ns < 0 ? "-" : "+", d);
  }
  snprintf(buf, cap, "; first: %s%s%s", diff_row_name(r, w), pc, own);
}

/* "the run's sampled CPU time +97.0 % (315.00 ms → 622.00 ms), beyond noise; " (run_judged
 * only: else empty). */
static void run_text(const diff_result *r, char *buf, size_t cap) {
  const dm *m = &r->run_cpu;
  buf[0] = '\0';
  if (!r->run_judged || m->judge == DJ_NA) return;
  const char *what = "the run's sampled CPU time";
  if (m->judge == DJ_SAME) {
    snprintf(buf, cap, "%s unchanged; ", what);
    return;
  }
  char x[32], y[32], pc[32] = "";
  fz_fmt_dur(x, sizeof x, m->a);
  fz_fmt_dur(y, sizeof y, m->b);
  if (isfinite(dm_pct(m))) snprintf(pc, sizeof pc, "%+.1f %% ", dm_pct(m));
  snprintf(buf, cap, "%s %s(%s → %s), %s; ", what, pc, x, y,
           m->judge == DJ_BEYOND ? "beyond noise" : m->judge == DJ_NOISE ? "within noise"
                                                                         : "not judged");
}

static void verdict(diff_result *r) {
  const char *mw = metric_word(r);
  char wt[200], run[128];
  uint32_t compared = r->n_worse + r->n_better + r->n_unchanged;
  int worse = r->n_worse || r->run_change == DCH_WORSE;
  int better = r->n_better || r->run_change == DCH_BETTER;
  if (worse && better) r->status = "mixed";
  else if (worse) r->status = "regressed";
  else if (better) r->status = "improved";
  else r->status = "unchanged";
  /* with the run judged, a zone's own CPU time is judged after the run's change */
  const char *after = r->run_judged ? " and the run's change" : "";
  run_text(r, run, sizeof run);
  if (r->opt.fail_pct >= 0 && diff_failed(r)) {
    size_t cap = sizeof r->verdict, n = 0;
    /* gate failures go first in top_worse, which holds every gated row's peers */
    worst_text(r, r->n_top_worse ? r->top_worse[0] : FATHOM_NONE, wt, sizeof wt);
    if (r->run_gated) {
      char by[48] = "from nothing";   /* a base of 0 grows by more than any PCT */
      double p = dm_pct(&r->run_cpu);
      if (isfinite(p)) snprintf(by, sizeof by, "by %.1f %%", p);
      n = (size_t)snprintf(r->verdict, cap, "FAIL: the run's sampled CPU time grew %s (more "
                           "than %g %%), beyond noise%s", by, r->opt.fail_pct,
                           r->n_gated ? "; " : "");
    } else {
      n = (size_t)snprintf(r->verdict, cap, "FAIL: ");
    }
    if (r->n_gated && n < cap)
      snprintf(r->verdict + n, cap - n, "%u zone%s regressed by more than %g %% in %s, "
               "beyond noise%s%s", r->n_gated, r->n_gated == 1 ? "" : "s", r->opt.fail_pct, mw,
               after, wt);
    return;
  }
  char head[112] = "";
  if (r->opt.fail_pct >= 0)
    snprintf(head, sizeof head, "PASS (no %s%s regression above %g %%): ",
             r->run_judged ? "run CPU time or " : "", mw, r->opt.fail_pct);
  if (r->n_worse || r->n_better) {
    worst_text(r, r->n_top_worse ? r->top_worse[0] : r->top_better[0], wt, sizeof wt);
    snprintf(r->verdict, sizeof r->verdict, "%s%s: %s%u zone%s slower and %u faster in %s, "
             "beyond noise%s, of %u judged%s", head, r->status, run, r->n_worse,
             r->n_worse == 1 ? "" : "s", r->n_better, mw, after, compared, wt);
  } else {
    snprintf(r->verdict, sizeof r->verdict, "%s%s: %sno zone's %s changed beyond noise%s "
             "(%u judged)", head, r->status, run, mw, after, compared);
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
  session_dm(&r->run_cpu, r->cpu_ok ? r->a.cpu_ns : NAN, r->cpu_ok ? r->b.cpu_ns : NAN);
  if (r->sampled) judge_run(r);
  verdict(r);
  return 0;
}
