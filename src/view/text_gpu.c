/* text_gpu.c: the text report's "GPU zones" section (the profile's "gpu_zones"): per zone
 * name the GPU time between its two CUDA events (total, pairs read, mean, min, max), beside
 * the CPU time of the zone of the same name (what launching the work cost the program's
 * thread, per call), and the pairs not read (unresolved at session end) or not recorded
 * (dropped); when the program asked for GPU zones but no CUDA runtime could be used, why.
 * When some name's device memory was read (NVML), three more columns: the pairs read, the
 * mean change of the device's memory in use from begin to end, and the highest reading.
 *
 * Invariant: reads only what it is given; a CPU figure from a sample of the calls, and a
 * memory change from a sample of the pairs, is marked "~" (an estimate); GPU figures are exact
 * sums of CUDA's event timer readings; a name whose memory was not read shows "-". */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "view/text.h"
#include "view/view.h"

#define GPU_ROWS 30   /* names in the table */

static void ms(char *b, size_t cap, double v) { fz_fmt_dur(b, cap, v * 1e6); }

int fz_text_gpu(const fz_tx *tx, const fathom_profile *p) {
  FILE *f = tx->f;
  uint32_t n = p->gpu_zones ? p->n_gpu_zones : 0;
  if (!n && !p->gpu_zones_dropped) {   /* GPU zones asked for, but no CUDA: say why */
    for (uint32_t i = 0; p->probes && i < p->n_probes; i++) {
      const fathom_probe_info *pr = &p->probes[i];
      if (pr->available || !pr->name || strcmp(pr->name, "cuda") != 0) continue;
      char why[256];
      fz_clean(why, sizeof why, pr->detail && *pr->detail ? pr->detail : "", 160);
      fz_section(tx, "GPU zones");
      fprintf(f, "  not available: %s\n", why);
      return ferror(f) ? FATHOM_E_IO : 0;
    }
    return 0;
  }
  fz_section(tx, "GPU zones");
  double all = 0;
  uint64_t pairs = 0, unres = 0, drop = 0;
  for (uint32_t i = 0; i < n; i++) {
    all += p->gpu_zones[i].total_ms;
    pairs += p->gpu_zones[i].count;
    unres += p->gpu_zones[i].unresolved;
    drop += p->gpu_zones[i].dropped;
  }
  char a[40], b[40], c[40];
  fz_fmt_count(a, sizeof a, n);
  fz_fmt_count(b, sizeof b, pairs);
  ms(c, sizeof c, all);
  fprintf(f, "  %s names, %s pairs of CUDA events read, %s of GPU time in all\n", a, b, c);
  if (unres || drop || p->gpu_zones_dropped) {
    fz_fmt_count(a, sizeof a, unres);
    fz_fmt_count(b, sizeof b, drop + p->gpu_zones_dropped);
    fz_on(tx, "33");
    fprintf(f, "  %s pairs not complete at session end (not counted), %s not recorded "
               "(too many in flight or names, or CUDA refused)\n", a, b);
    fz_off(tx);
  }
  int with_mem = 0;
  for (uint32_t i = 0; i < n; i++) with_mem |= p->gpu_zones[i].mem_calls > 0;
  static const char *const head[] = {"GPU total", "pairs", "GPU mean", "GPU min", "GPU max",
                                     "CPU per call", "unresolved", "dropped", "zone"};
  static const char *const head_mem[] = {"GPU total", "pairs", "GPU mean", "GPU min",
                                         "GPU max", "CPU per call", "unresolved", "dropped",
                                         "mem pairs", "mem change", "mem peak", "zone"};
  fz_tab t;
  fz_tab_init(&t, with_mem ? head_mem : head, with_mem ? "rrrrrrrrrrrl" : "rrrrrrrrl");
  uint32_t shown = n < GPU_ROWS ? n : GPU_ROWS;
  int est = 0, mem_est = 0;
  for (uint32_t i = 0; i < shown; i++) {
    const fathom_gpu_zone_info *g = &p->gpu_zones[i];
    char tot[40], cnt[32], mean[40], mn[40], mx[40], cpu[48], un[32], dr[32], name[256];
    ms(tot, sizeof tot, g->total_ms);
    fz_fmt_count(cnt, sizeof cnt, g->count);
    ms(mean, sizeof mean, g->mean_ms);
    ms(mn, sizeof mn, g->min_ms);
    ms(mx, sizeof mx, g->max_ms);
    if (!g->count) {
      snprintf(mean, sizeof mean, "-");
      snprintf(mn, sizeof mn, "-");
      snprintf(mx, sizeof mx, "-");
    }
    snprintf(cpu, sizeof cpu, "-");
    if (g->zone != FATHOM_NONE && p->zones && g->zone < p->n_zones) {
      const fathom_stats *st = &p->zones[g->zone].stats;
      int e = fathom_stats_estimated(st);
      est |= e;
      char d[40];
      fz_fmt_dur(d, sizeof d, st->mean_ns);
      snprintf(cpu, sizeof cpu, "%s%s", e ? "~" : "", d);
    }
    fz_fmt_count(un, sizeof un, g->unresolved);
    fz_fmt_count(dr, sizeof dr, g->dropped);
    fz_clean(name, sizeof name, g->name, 60);
    char mc[32] = "-", mchg[48] = "-", mpk[40] = "-";
    if (g->mem_calls) {
      int e = g->mem_calls < g->count;
      mem_est |= e;
      char v[40];
      fz_fmt_count(mc, sizeof mc, g->mem_calls);
      fz_fmt_bytes(v, sizeof v, g->mem_change_mean);
      char se[48] = "";
      if (e && isfinite(g->mem_change_se) && g->mem_change_se > 0) {
        char w[40];
        fz_fmt_bytes(w, sizeof w, g->mem_change_se);
        snprintf(se, sizeof se, " \u00b1%s", w);
      }
      snprintf(mchg, sizeof mchg, "%s%s%s%s", e ? "~" : "", g->mem_change_mean > 0 ? "+" : "", v,
               se);
      fz_fmt_bytes(mpk, sizeof mpk, g->mem_peak);
    }
    const char *cells[] = {tot, cnt, mean, mn, mx, cpu, un, dr, name};
    const char *cells_mem[] = {tot, cnt, mean, mn, mx, cpu, un, dr, mc, mchg, mpk, name};
    fz_tab_row(&t, with_mem ? cells_mem : cells);
  }
  int rc = fz_tab_print(tx, &t);
  fz_more(tx, n - shown, "GPU zones");
  fz_on(tx, "2");
  fputs("  GPU: time between the zone's two CUDA events on its stream; CPU per call: the zone's "
        "CPU-side time (launching the work)\n", f);
  if (with_mem)
    fputs("  mem: the GPU's device memory in use (NVML), read at the begin and end of the pairs "
          "counted in mem pairs; change: mean of end - begin; peak: the highest reading (a "
          "higher one between them is not seen)\n", f);
  if (mem_est) fputs("  \u00b1: the standard error of an estimated memory change\n", f);
  if (est || mem_est) fputs("  ~: estimated from a sample of the calls\n", f);
  fz_off(tx);
  if (!rc && ferror(f)) rc = FATHOM_E_IO;
  return rc;
}
