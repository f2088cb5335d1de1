/* view/text_misc.c: the last parts of the text report: custom metrics attached at zone
 * ends (rolled up per zone and metric), counters, gauges and sizes, and the threads.
 *
 * Invariant: like every text section, it writes whole aligned tables or nothing, and says
 * how many rows it left out. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/check.h"
#include "view/text.h"

/* ---- custom metrics attached at zone end, rolled up per (zone, metric) ---- */
typedef struct fz_mref {
  uint32_t zone;
  const fathom_metric_stats *m;
} fz_mref;

static int fz_mref_cmp(const void *a, const void *b) {
  const fz_mref *x = a, *y = b;
  if (x->zone != y->zone) return x->zone < y->zone ? -1 : 1;
  return strcmp(x->m->name ? x->m->name : "", y->m->name ? y->m->name : "");
}

int fz_text_metrics(const fz_tx *tx, const fathom_profile *p) {
  size_t nm = 0, k = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) nm += p->nodes[i].n_metrics;
  if (nm == 0) return 0;
  fz_mref *r = malloc(nm * sizeof *r);
  if (!r) return FATHOM_E_NOMEM;
  for (uint32_t i = 0; i < p->n_nodes; i++)
    for (uint32_t j = 0; j < p->nodes[i].n_metrics; j++)
      r[k++] = (fz_mref){p->nodes[i].zone, &p->nodes[i].metrics[j]};
  qsort(r, nm, sizeof *r, fz_mref_cmp);
  fz_section(tx, "Zone metrics");
  static const char *const head[] = {"operation", "metric", "count", "sum", "mean", "min", "max"};
  fz_tab t;
  fz_tab_init(&t, head, "llrrrrr");
  size_t rows = 0, groups = 0;
  for (size_t a = 0; a < nm;) {
    size_t b = a + 1;
    while (b < nm && fz_mref_cmp(&r[a], &r[b]) == 0) b++;
    groups++;
    if (rows < FZ_MAX_ROWS) {
      uint64_t cnt = 0;
      double sum = 0, mn = INFINITY, mx = -INFINITY;
      for (size_t q = a; q < b; q++) {
        cnt += r[q].m->count;
        sum += r[q].m->sum;
        if (r[q].m->count && r[q].m->min < mn) mn = r[q].m->min;
        if (r[q].m->count && r[q].m->max > mx) mx = r[q].m->max;
      }
      char zn[256], mname[256], c[40], s[40], mean[40], lo[40], hi[40];
      fz_clean(zn, sizeof zn, p->zones[r[a].zone].name, FZ_NAME_W);
      fz_clean(mname, sizeof mname, r[a].m->name, 32);
      fz_fmt_count(c, sizeof c, cnt);
      fz_fmt_num(s, sizeof s, sum);
      fz_fmt_num(mean, sizeof mean, cnt ? sum / (double)cnt : 0);
      fz_fmt_num(lo, sizeof lo, cnt ? mn : 0);
      fz_fmt_num(hi, sizeof hi, cnt ? mx : 0);
      const char *cells[] = {zn, mname, c, s, mean, lo, hi};
      fz_tab_row(&t, cells);
      rows++;
    }
    a = b;
  }
  int rc = fz_tab_print(tx, &t);
  fz_more(tx, groups - rows, "metrics");
  free(r);
  return rc;
}

/* ---- counters, gauges, sizes ---- */
int fz_text_counters(const fz_tx *tx, const fathom_profile *p) {
  if (p->n_counters == 0) return 0;
  static const char *const kinds[] = {"counter", "gauge", "size"};
  fz_section(tx, "Counters, gauges and sizes");
  static const char *const head[] = {"name", "kind", "updates", "value", "total", "min", "max"};
  fz_tab t;
  fz_tab_init(&t, head, "llrrrrr");
  uint32_t shown = p->n_counters < FZ_MAX_ROWS ? p->n_counters : FZ_MAX_ROWS;
  for (uint32_t k = 0; k < shown; k++) {
    const fathom_counter_info *c = &p->counters[k];
    char nm[256], up[40], v[4][40];
    fz_clean(nm, sizeof nm, c->name, FZ_NAME_W);
    fz_fmt_count(up, sizeof up, c->n_updates);
    double fig[4] = {c->value, c->total, c->min, c->max};
    for (int q = 0; q < 4; q++) {
      if (c->kind == FATHOM_METRIC_SIZE) fz_fmt_bytes(v[q], sizeof v[q], fig[q]);
      else fz_fmt_num(v[q], sizeof v[q], fig[q]);
    }
    const char *kind = (unsigned)c->kind <= FATHOM_METRIC_SIZE ? kinds[c->kind] : "?";
    const char *cells[] = {nm, kind, up, v[0], v[1], v[2], v[3]};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  fz_more(tx, p->n_counters - shown, "counters");
  return rc;
}

int fz_text_threads(const fz_tx *tx, const fathom_profile *p) {
  if (p->n_threads == 0) return 0;
  fz_section(tx, "Threads");
  /* schema 4: calls whose durations the program gave (fathom_zone_record), when any */
  int given = 0;
  for (uint32_t k = 0; k < p->n_threads; k++) given |= p->threads[k].n_recorded != 0;
  static const char *const head[] = {"tid", "name", "zones", "dropped", "exited", "open zones",
                                     "given"};
  fz_tab t;
  fz_tab_init(&t, head, given ? "rlrrlrr" : "rlrrlr");
  uint32_t shown = p->n_threads < FZ_MAX_ROWS ? p->n_threads : FZ_MAX_ROWS;
  for (uint32_t k = 0; k < shown; k++) {
    const fathom_thread_info *th = &p->threads[k];
    char tid[32], nm[128], z[40], d[40], o[40], g[40];
    snprintf(tid, sizeof tid, "%llu", (unsigned long long)th->tid);
    fz_clean(nm, sizeof nm, th->name && *th->name ? th->name : "-", 32);
    fz_fmt_count(z, sizeof z, th->n_zones);
    fz_fmt_count(d, sizeof d, th->n_dropped);
    fz_fmt_count(o, sizeof o, th->n_open);
    fz_fmt_count(g, sizeof g, th->n_recorded);
    const char *cells[] = {tid, nm, z, d, th->exited ? "yes" : "no", o, g};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  if (given)
    fputs("  given: calls whose durations the program supplied (fathom_zone_record), not bounded\n"
          "  by the thread's wall time\n", tx->f);
  fz_more(tx, p->n_threads - shown, "threads");
  return rc;
}

/* ---- optimisation attempts (fathom_attempt) ---- */
int fz_text_attempts(const fz_tx *tx, const fathom_profile *p) {
  if (!p->n_attempts || !p->attempts) return 0;
  fz_section(tx, "Optimisation attempts");
  static const char *const head[] = {"attempt", "metric", "better", "before", "after", "change",
                                     "outcome"};
  fz_tab t;
  fz_tab_init(&t, head, "lllrrrl");
  uint32_t won = 0, lost = 0;
  for (uint32_t i = 0; i < p->n_attempts; i++) {
    const fathom_attempt_info *a = &p->attempts[i];
    char nm[256], me[128], b[64], f[64], ch[32];
    fz_clean(nm, sizeof nm, a->name, FZ_NAME_W);
    fz_clean(me, sizeof me, a->metric, 32);
    char vb[40], va[40];
    fz_fmt_num(vb, sizeof vb, a->before);
    fz_fmt_num(va, sizeof va, a->after);
    if (a->before_se > 0) snprintf(b, sizeof b, "%s \u00b1%.3g", vb, 1.96 * a->before_se);
    else snprintf(b, sizeof b, "%s", vb);
    if (a->after_se > 0) snprintf(f, sizeof f, "%s \u00b1%.3g", va, 1.96 * a->after_se);
    else snprintf(f, sizeof f, "%s", va);
    if (isnan(a->change_pct)) snprintf(ch, sizeof ch, "-");
    else snprintf(ch, sizeof ch, "%+.1f%%", a->change_pct);
    won += a->outcome > 0;
    lost += a->outcome < 0;
    const char *cells[] = {nm, me, a->direction < 0 ? "lower" : "higher", b, f, ch,
                           a->outcome > 0 ? "improved" : a->outcome < 0 ? "worse" : "unchanged"};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  fz_on(tx, "2");
  fprintf(tx->f, "  %u improved, %u worse, %u unchanged (a change counts when it passes 1.96 "
                 "combined standard errors, \u00b1 shown as 95 %% intervals)\n",
          won, lost, p->n_attempts - won - lost);
  fz_off(tx);
  return rc;
}

/* ---- rankings of variants (fathom_variants_rank) ---- */

int fz_text_rankings(const fz_tx *tx, const fathom_profile *p) {
  if (!p->n_rankings || !p->rankings) return 0;
  int rc = 0;
  for (uint32_t i = 0; i < p->n_rankings && !rc; i++) {
    const fathom_ranking_info *r = &p->rankings[i];
    char title[300], nm[256];
    fz_clean(nm, sizeof nm, r->name, FZ_NAME_W);
    snprintf(title, sizeof title, "Variants: %s", nm);
    fz_section(tx, title);
    static const char *const head[] = {"rank", "variant", "runs", "mean", "interval", "median",
                                       "interval", "by median", "vs fastest", "heap kept/run",
                                       "allocated/run", "peak/run"};
    fz_tab t;
    fz_tab_init(&t, head, "rlrrrrrrrrrr");
    int mem = 0;
    for (uint32_t k = 0; k < r->n; k++) {
      const fathom_ranking_entry *e = &r->e[k];
      char rk[16], vn[256], runs[32], m[40], lo[40], hi[40], ci[96], md[40], mci[96], mrk[16],
          vs[80], kept[96], al[40], pk[40];
      snprintf(rk, sizeof rk, "%u", e->rank);
      fz_clean(vn, sizeof vn, e->variant, FZ_NAME_W);
      fz_fmt_count(runs, sizeof runs, e->runs);
      fz_fmt_dur(m, sizeof m, e->mean_ns);
      fz_fmt_dur(lo, sizeof lo, e->ci_lo_ns);
      fz_fmt_dur(hi, sizeof hi, e->ci_hi_ns);
      snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
      fz_fmt_dur(md, sizeof md, e->median_ns);
      snprintf(mci, sizeof mci, "-");
      if (!isnan(e->median_lo_ns) && !isnan(e->median_hi_ns)) {
        fz_fmt_dur(lo, sizeof lo, e->median_lo_ns);
        fz_fmt_dur(hi, sizeof hi, e->median_hi_ns);
        snprintf(mci, sizeof mci, "[%s, %s]", lo, hi);
      }
      if (e->median_rank) snprintf(mrk, sizeof mrk, "%u", e->median_rank);
      else snprintf(mrk, sizeof mrk, "-");
      if (k == 0) snprintf(vs, sizeof vs, "fastest");
      else snprintf(vs, sizeof vs, "%.3fx [%.3f, %.3f]", e->ratio, e->ratio_lo, e->ratio_hi);
      fz_fmt_bytes_pm(kept, sizeof kept, e->heap_retained_bytes, e->heap_retained_lo,
               e->heap_retained_hi);
      fz_fmt_bytes(al, sizeof al, e->alloc_bytes);
      fz_fmt_bytes(pk, sizeof pk, e->peak_bytes);
      mem |= !isnan(e->heap_retained_bytes) || !isnan(e->alloc_bytes);
      const char *cells[] = {rk, vn, runs, m, ci, md, mci, mrk, vs, kept, al, pk};
      fz_tab_row(&t, cells);
    }
    rc = fz_tab_print(tx, &t);
    fz_on(tx, "2");
    for (uint32_t k = 0; k + 1 < r->n; k++)
      if (!(r->e[k].p_next < 1 - r->confidence))
        fprintf(tx->f, "  %s and %s cannot be told apart (p = %.3g)\n", r->e[k].variant,
                r->e[k + 1].variant, r->e[k].p_next);
    uint32_t a, b;
    if (r->disagree && fz_ranking_disagree(r->e, r->n, &a, &b))
      fprintf(tx->f, "  the rankings by mean and by median disagree: %s is ahead of %s by mean, "
              "behind it by median (a few slow runs move a mean: compare the medians)\n",
              r->e[a].variant, r->e[b].variant);
    else if (r->disagree)
      fprintf(tx->f, "  the rankings by mean and by median disagree\n");
    fprintf(tx->f, "  %.0f %% intervals; %s\n", 100 * r->confidence,
            r->settled ? "the ranking settled" : "not settled: the budget ran out first");
    if (mem)
      fprintf(tx->f, "  memory per run, means: heap kept = heap in use after the run minus "
              "before (glibc, whole process); allocated and peak above the run's start: the "
              "calling thread's, by allocation tracking; -: not measured\n");
    fz_off(tx);
  }
  return rc;
}
