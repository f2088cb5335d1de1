/* view/text_res.c: the resource parts of the text report: the header's one-line summary,
 * the whole-session resources in metric groups (memory, timing, compute, system, energy),
 * the GPUs, the probes that were not available, and resources per operation with the
 * sampling they rest on.
 *
 * Invariant: a figure is printed only when the model says it was measured: monitor figures
 * only when the monitor ran and they are finite, probe sums only where their mask bit is set
 * and calls were probed, allocations only with allocation tracking; nothing is ever printed
 * as "n/a" or invented, and a group or column with nothing measured does not appear. Probed
 * sums are estimates over all calls (schema 4: each probed call weighs the inverse of its
 * chance of being probed), and the table says how many calls were probed. CPU time is cpu_ns
 * where recorded, else user + system; the user/system split is shown only where both were
 * recorded ("split unknown" where only their sum was). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/text.h"

/* Finite and, for the monitor's figures, only when the monitor ran. */
static int fin(double v) { return isfinite(v); }
static int mon(const fathom_resources *r, double v) { return r->monitored && isfinite(v); }
static int pos(double v) { return isfinite(v) && v > 0; }
/* Allocation figures sampled by bytes (fathom run --alloc): estimates, marked "~". */
static int alloc_est(const fathom_alloc *a) {
  return a->alloc_count_se > 0 || a->alloc_bytes_se > 0 || a->peak_bytes || a->peak_count;
}
static int profile_alloc_est(const fathom_profile *p) {
  for (uint32_t z = 0; z < p->n_zones; z++)
    if (alloc_est(&p->zones[z].alloc_self)) return 1;
  return 0;
}

/* Wall time of the session in seconds: the monitor's, else the session's duration. */
static double wall_s(const fathom_profile *p) {
  if (pos(p->res.wall_s)) return p->res.wall_s;
  return p->meta.duration_ns ? (double)p->meta.duration_ns / 1e9 : NAN;
}

/* Process CPU time in seconds: user + system when known, else meta.cpu_time_ns. */
static double cpu_s(const fathom_profile *p) {
  const fathom_resources *r = &p->res;
  if (fin(r->cpu_user_s) && fin(r->cpu_sys_s) && (r->cpu_user_s > 0 || r->cpu_sys_s > 0))
    return r->cpu_user_s + r->cpu_sys_s;
  return p->meta.cpu_time_ns > 0 ? p->meta.cpu_time_ns / 1e9 : NAN;
}

/* Appends ", " and a printf'd item to buf. */
__attribute__((format(printf, 3, 4)))
static void add_item(char *buf, size_t cap, const char *fmt, ...) {
  size_t len = strlen(buf);
  if (len + 3 >= cap) return;
  if (len) {
    memcpy(buf + len, ", ", 3);
    len += 2;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + len, cap - len, fmt, ap);
  va_end(ap);
}

void fz_text_summary(const fathom_profile *p, char *buf, size_t cap) {
  const fathom_resources *r = &p->res;
  char a[64];
  buf[0] = 0;
  if (mon(r, r->rss_peak_bytes) && r->rss_peak_bytes > 0) {
    fz_fmt_bytes(a, sizeof a, r->rss_peak_bytes);
    add_item(buf, cap, "Peak RAM: %s", a);
  }
  double w = wall_s(p), c = cpu_s(p);
  if (pos(w)) {
    fz_fmt_dur(a, sizeof a, w * 1e9);
    add_item(buf, cap, "Wall Time: %s", a);
  }
  if (pos(c)) {
    fz_fmt_dur(a, sizeof a, c * 1e9);
    add_item(buf, cap, "CPU Time: %s", a);
  }
  if (p->n_gpus && fin(r->gpu_util_mean_pct)) add_item(buf, cap, "GPU Util: %.0f%%", r->gpu_util_mean_pct);
  if (pos(r->flops_per_s)) {
    fz_fmt_si(a, sizeof a, r->flops_per_s, "FLOP/s");
    add_item(buf, cap, "Compute: %s", a);
  }
  if (pos(r->energy_j)) add_item(buf, cap, "Energy: %.4g J", r->energy_j);
  if (p->meta.alloc_tracking && r->leaked_bytes) {
    fz_fmt_bytes(a, sizeof a, (double)r->leaked_bytes);
    add_item(buf, cap, "Leak suspected: %s%s still live", profile_alloc_est(p) ? "~" : "", a);
  }
}

/* ---- whole-session resources ---- */

/* A group (shown on its first row only), a figure and its value, in aligned columns. */
typedef struct grp {
  fz_tab t;
  const char *group;
  int first;
} grp;

static void grp_row(grp *g, const char *what, const char *val) {
  const char *cells[] = {g->first ? g->group : "", what, val};
  fz_tab_row(&g->t, cells);
  g->first = 0;
}

static void grp_start(grp *g, const char *group) {
  g->group = group;
  g->first = 1;
}

static void res_memory(grp *g, const fathom_profile *p) {
  const fathom_resources *r = &p->res;
  char v[256], a[64], b[64], c[64];
  grp_start(g, "memory");
  if (mon(r, r->rss_peak_bytes)) {
    fz_fmt_bytes(a, sizeof a, r->rss_peak_bytes);
    v[0] = 0;
    char more[160] = "";
    if (mon(r, r->rss_initial_bytes)) {
      fz_fmt_bytes(b, sizeof b, r->rss_initial_bytes);
      add_item(more, sizeof more, "initial %s", b);
    }
    if (mon(r, r->rss_final_bytes)) {
      fz_fmt_bytes(c, sizeof c, r->rss_final_bytes);
      add_item(more, sizeof more, "final %s", c);
    }
    snprintf(v, sizeof v, more[0] ? "%s  (%s)" : "%s", a, more);
    grp_row(g, "peak RAM (RSS)", v);
  }
  if (mon(r, r->vm_peak_bytes)) {
    fz_fmt_bytes(a, sizeof a, r->vm_peak_bytes);
    grp_row(g, "peak virtual memory", a);
  }
  if (mon(r, r->sys_mem_used_pct_max)) {
    if (pos(r->sys_mem_total_bytes)) {
      fz_fmt_bytes(a, sizeof a, r->sys_mem_total_bytes);
      snprintf(v, sizeof v, "%.1f%% used at most, of %s", r->sys_mem_used_pct_max, a);
    } else {
      snprintf(v, sizeof v, "%.1f%% used at most", r->sys_mem_used_pct_max);
    }
    grp_row(g, "system memory", v);
  }
  if (p->n_gpus && fin(r->gpu_mem_peak_bytes)) {
    fz_fmt_bytes(a, sizeof a, r->gpu_mem_peak_bytes);
    grp_row(g, "peak GPU memory", a);
  }
  if (p->meta.alloc_tracking) {
    int est = profile_alloc_est(p);
    if (r->leaked_bytes) {
      fz_fmt_bytes(a, sizeof a, (double)r->leaked_bytes);
      fz_fmt_count(b, sizeof b, r->leaked_count);
      snprintf(v, sizeof v,
               "suspected: %s%s in %s%s allocations made in zones still live at the end",
               est ? "~" : "", a, est ? "~" : "", b);
    } else if (est) {
      snprintf(v, sizeof v, "none seen: no sampled allocation was still live at the end");
    } else {
      snprintf(v, sizeof v, "none: every allocation made in a zone was freed");
    }
    grp_row(g, "memory leak", v);
  }
}

static void res_timing(grp *g, const fathom_profile *p) {
  const fathom_resources *r = &p->res;
  char v[256], a[64], b[64], c[64];
  grp_start(g, "timing");
  double w = wall_s(p), cs = cpu_s(p);
  if (pos(w)) {
    fz_fmt_dur(a, sizeof a, w * 1e9);
    grp_row(g, "wall time", a);
  }
  if (pos(cs)) {
    fz_fmt_dur(a, sizeof a, cs * 1e9);
    if (fin(r->cpu_user_s) && fin(r->cpu_sys_s) && (r->cpu_user_s > 0 || r->cpu_sys_s > 0)) {
      fz_fmt_dur(b, sizeof b, r->cpu_user_s * 1e9);
      fz_fmt_dur(c, sizeof c, r->cpu_sys_s * 1e9);
      snprintf(v, sizeof v, "%s  (user %s, system %s)", a, b, c);
    } else {
      snprintf(v, sizeof v, "%s", a);
    }
    grp_row(g, "CPU time", v);
  }
}

static void res_compute(grp *g, const fathom_profile *p) {
  const fathom_resources *r = &p->res;
  char v[256], a[64], b[64];
  grp_start(g, "compute");
  if (mon(r, r->cpu_pct_mean)) {
    if (mon(r, r->cpu_pct_max))
      snprintf(v, sizeof v, "%.1f%% mean, %.1f%% at most (100%% = one core busy; %u CPUs)",
               r->cpu_pct_mean, r->cpu_pct_max, p->meta.n_cpus);
    else
      snprintf(v, sizeof v, "%.1f%% mean (100%% = one core busy)", r->cpu_pct_mean);
    grp_row(g, "CPU utilization", v);
  }
  if (mon(r, r->host_cpu_pct_mean)) {
    snprintf(v, sizeof v, "%.1f%% mean, %.1f%% at most (every process; 100%% = all %u CPUs "
             "busy)", r->host_cpu_pct_mean, r->host_cpu_pct_max, p->meta.n_cpus);
    grp_row(g, "host CPU busy", v);
  }
  if (pos(r->flops)) {
    fz_fmt_si(a, sizeof a, r->flops, "FLOP");
    if (pos(r->flops_per_s)) {
      fz_fmt_si(b, sizeof b, r->flops_per_s, "FLOP/s");
      snprintf(v, sizeof v, "%s  (%s over the wall time)", a, b);
    } else {
      snprintf(v, sizeof v, "%s", a);
    }
    grp_row(g, "floating point", v);
  }
  if (p->n_gpus && fin(r->gpu_util_mean_pct)) {
    if (fin(r->gpu_util_max_pct))
      snprintf(v, sizeof v, "%.1f%% mean, %.1f%% at most", r->gpu_util_mean_pct,
               r->gpu_util_max_pct);
    else
      snprintf(v, sizeof v, "%.1f%% mean", r->gpu_util_mean_pct);
    grp_row(g, "GPU utilization", v);
  }
}

static void res_system(grp *g, const fathom_profile *p) {
  const fathom_resources *r = &p->res;
  char v[256], a[64], b[64];
  grp_start(g, "system");
  if (mon(r, r->read_bytes) || mon(r, r->write_bytes)) {
    fz_fmt_bytes(a, sizeof a, r->read_bytes);
    fz_fmt_bytes(b, sizeof b, r->write_bytes);
    snprintf(v, sizeof v, "read %s, written %s (system calls)", a, b);
    grp_row(g, "I/O", v);
  }
  if (mon(r, r->disk_util_pct_max)) {
    snprintf(v, sizeof v, "%.1f%% at most (the busiest disk's time with I/O in flight, every "
             "process)", r->disk_util_pct_max);
    grp_row(g, "disk busy", v);
  }
  if (mon(r, r->disk_read_bytes) || mon(r, r->disk_write_bytes)) {
    fz_fmt_bytes(a, sizeof a, r->disk_read_bytes);
    fz_fmt_bytes(b, sizeof b, r->disk_write_bytes);
    snprintf(v, sizeof v, "read %s, written %s", a, b);
    grp_row(g, "storage", v);
  }
  if (mon(r, r->net_rx_bytes) || mon(r, r->net_tx_bytes)) {
    fz_fmt_bytes(a, sizeof a, r->net_rx_bytes);
    fz_fmt_bytes(b, sizeof b, r->net_tx_bytes);
    snprintf(v, sizeof v, "received %s, sent %s (whole host)", a, b);
    grp_row(g, "network", v);
  }
  if (mon(r, r->ctx_vol) || mon(r, r->ctx_invol)) {
    fz_fmt_num(a, sizeof a, r->ctx_vol);
    fz_fmt_num(b, sizeof b, r->ctx_invol);
    snprintf(v, sizeof v, "%s voluntary (waits), %s involuntary (preempted)", a, b);
    grp_row(g, "context switches", v);
  }
  if (mon(r, r->minflt) || mon(r, r->majflt)) {
    fz_fmt_num(a, sizeof a, r->minflt);
    fz_fmt_num(b, sizeof b, r->majflt);
    snprintf(v, sizeof v, "%s minor, %s major", a, b);
    grp_row(g, "page faults", v);
  }
  if (r->monitored && r->threads_max) {
    fz_fmt_count(a, sizeof a, r->threads_max);
    snprintf(v, sizeof v, "%s at most", a);
    grp_row(g, "threads", v);
  }
}

static void res_energy(grp *g, const fathom_profile *p) {
  const fathom_resources *r = &p->res;
  char v[256] = "";
  grp_start(g, "energy");
  if (pos(r->cpu_energy_j)) add_item(v, sizeof v, "CPU %.4g J", r->cpu_energy_j);
  if (pos(r->gpu_energy_j)) add_item(v, sizeof v, "GPU %.4g J", r->gpu_energy_j);
  if (pos(r->energy_j)) add_item(v, sizeof v, "total %.4g J (%.4g Wh)", r->energy_j,
                                 r->energy_j / 3600.0);
  if (v[0]) grp_row(g, "energy", v);
  if (fin(r->carbon_g) && pos(r->energy_j)) {
    if (pos(r->carbon_g_per_kwh))
      snprintf(v, sizeof v, "%.4g g CO2e at %.4g g/kWh", r->carbon_g, r->carbon_g_per_kwh);
    else
      snprintf(v, sizeof v, "%.4g g CO2e", r->carbon_g);
    grp_row(g, "carbon", v);
  }
}

/* v with prec decimals and a unit, or "-" when not finite. */
static void fixed(char *b, size_t cap, double v, int prec, const char *unit) {
  if (fin(v)) snprintf(b, cap, "%.*f%s", prec, v, unit);
  else snprintf(b, cap, "-");
}

static int res_gpus(const fz_tx *tx, const fathom_profile *p) {
  if (!p->n_gpus) return 0;
  fz_section(tx, "GPUs");
  static const char *const head[] = {"gpu", "name", "memory", "peak used", "this process",
                                     "util mean", "util max", "power mean", "temp max",
                                     "energy"};
  fz_tab t;
  fz_tab_init(&t, head, "rlrrrrrrrr");
  uint32_t shown = p->n_gpus < FZ_MAX_ROWS ? p->n_gpus : FZ_MAX_ROWS;
  for (uint32_t k = 0; k < shown; k++) {
    const fathom_gpu_info *g = &p->gpus[k];
    char idx[16], nm[128], mt[40], mp[40], pp[40], um[40], ux[40], pw[40], tm[40], en[40];
    snprintf(idx, sizeof idx, "%u", g->index);
    fz_clean(nm, sizeof nm, g->name && *g->name ? g->name : "-", 40);
    fz_fmt_bytes(mt, sizeof mt, g->mem_total_bytes);
    fz_fmt_bytes(mp, sizeof mp, g->mem_peak_bytes);
    fz_fmt_bytes(pp, sizeof pp, g->proc_mem_peak_bytes);
    fixed(um, sizeof um, g->util_mean_pct, 1, "%");
    fixed(ux, sizeof ux, g->util_max_pct, 1, "%");
    fixed(pw, sizeof pw, g->power_mean_w, 1, " W");
    fixed(tm, sizeof tm, g->temp_max_c, 0, " \xc2\xb0" "C");
    fixed(en, sizeof en, g->energy_j, 0, " J");
    const char *cells[] = {idx, nm, mt, mp, pp, um, ux, pw, tm, en};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  fz_more(tx, p->n_gpus - shown, "GPUs");
  return rc;
}

/* The probes that did not work here, each once, with the reason; only for a session that
 * probed or monitored (at BASIC nothing is probed, so nothing is missing). */
static int res_probes(const fz_tx *tx, const fathom_profile *p) {
  if (p->meta.level < FATHOM_LEVEL_DETAILED && !p->res.monitored) return 0;
  uint32_t missing = 0;
  for (uint32_t i = 0; i < p->n_probes; i++) missing += !p->probes[i].available;
  if (!missing) return 0;
  fz_section(tx, "Probes not available (what they measure is left out)");
  static const char *const head[] = {"probe", "why"};
  fz_tab t;
  fz_tab_init(&t, head, "ll");
  t.nohead = 1;
  uint32_t rows = 0;
  for (uint32_t i = 0; i < p->n_probes; i++) {
    const fathom_probe_info *pr = &p->probes[i];
    if (pr->available) continue;
    int seen = 0;
    for (uint32_t j = 0; j < i && !seen; j++)
      seen = !p->probes[j].available && p->probes[j].name && pr->name &&
             strcmp(p->probes[j].name, pr->name) == 0;
    if (seen || rows >= FZ_MAX_ROWS) continue;
    char nm[64], why[256];
    fz_clean(nm, sizeof nm, pr->name, 24);
    fz_clean(why, sizeof why, pr->detail && *pr->detail ? pr->detail : "not available", 160);
    const char *cells[] = {nm, why};
    fz_tab_row(&t, cells);
    rows++;
  }
  return fz_tab_print(tx, &t);
}

int fz_text_resources(const fz_tx *tx, const fathom_profile *p) {
  const fathom_resources *r = &p->res;
  int any = r->monitored || p->n_gpus || p->meta.alloc_tracking || pos(r->flops) ||
            pos(r->energy_j);
  int rc = 0;
  if (any) {
    char title[160];
    if (r->monitored && r->n_samples) {
      char n[40];
      fz_fmt_count(n, sizeof n, r->n_samples);
      snprintf(title, sizeof title, "Resources (whole session; monitor: %s samples)", n);
    } else {
      snprintf(title, sizeof title, "Resources (whole session)");
    }
    fz_section(tx, title);
    static const char *const head[] = {"group", "figure", "value"};
    grp g;
    fz_tab_init(&g.t, head, "lll");
    g.t.nohead = 1;
    res_memory(&g, p);
    res_timing(&g, p);
    res_compute(&g, p);
    res_system(&g, p);
    res_energy(&g, p);
    rc = fz_tab_print(tx, &g.t);
  }
  if (!rc) rc = res_gpus(tx, p);
  if (!rc) rc = res_probes(tx, p);
  return rc;
}

/* ---- resources per operation ---- */

/* Estimate over all calls of resource id (schema 4: the sums are those estimates), or NaN
 * when not measured. */
static double est(const fathom_res *r, int id) {
  if (!(r->mask & (1u << id)) || r->samples == 0 || !isfinite(r->sum[id])) return NAN;
  return r->sum[id];
}

static int has(const fathom_res *r, int id) { return r->samples && (r->mask & (1u << id)); }

/* CPU time over all calls: cpu_ns where measured, else user + system (older files). */
static double cpu_est(const fathom_res *r) {
  double c = est(r, FATHOM_RES_CPU_NS);
  if (isfinite(c)) return c;
  double u = est(r, FATHOM_RES_CPU_USER_NS), s = est(r, FATHOM_RES_CPU_SYS_NS);
  return isfinite(u) && isfinite(s) ? u + s : isfinite(u) ? u : s;
}

/* The same over the probed calls' own wall time (both sums of the same probed calls). */
static double cpu_sum(const fathom_res *r) {
  if (r->mask >> FATHOM_RES_CPU_NS & 1) return r->sum[FATHOM_RES_CPU_NS];
  double u = r->mask >> FATHOM_RES_CPU_USER_NS & 1 ? r->sum[FATHOM_RES_CPU_USER_NS] : 0;
  double s = r->mask >> FATHOM_RES_CPU_SYS_NS & 1 ? r->sum[FATHOM_RES_CPU_SYS_NS] : 0;
  return u + s;
}

enum { C_PROBED, C_CPU, C_SPLIT, C_CPUPCT, C_WAIT, C_ALLOCS, C_ABYTES, C_IO, C_IOCALLS, C_SOCK,
       C_FLOPS, C_IPC, C_MISS, C_N };

static int zone_has(const fathom_zone_info *z, int col) {
  const fathom_res *r = &z->res;
  switch (col) {
    case C_PROBED: return r->samples > 0;
    case C_CPU: case C_SPLIT: case C_CPUPCT: case C_WAIT:
      return has(r, FATHOM_RES_CPU_NS) || has(r, FATHOM_RES_CPU_USER_NS) ||
             has(r, FATHOM_RES_CPU_SYS_NS);
    case C_ALLOCS: case C_ABYTES: return z->alloc.alloc_count > 0;
    case C_IO: return has(r, FATHOM_RES_READ_BYTES) || has(r, FATHOM_RES_WRITE_BYTES);
    case C_IOCALLS: return has(r, FATHOM_RES_READ_OPS) || has(r, FATHOM_RES_WRITE_OPS);
    case C_SOCK: return has(r, FATHOM_RES_SOCK_SENT_BYTES) || has(r, FATHOM_RES_SOCK_RECV_BYTES);
    case C_FLOPS: return pos(z->flops) && z->stats.total_ns > 0;
    case C_IPC: return has(r, FATHOM_RES_INSTRUCTIONS) && has(r, FATHOM_RES_CYCLES);
    case C_MISS: return has(r, FATHOM_RES_CACHE_MISSES) && has(r, FATHOM_RES_CACHE_REFS);
  }
  return 0;
}

static void zone_cell(char *b, size_t cap, const fathom_zone_info *z, int col, int *clamped) {
  const fathom_res *r = &z->res;
  uint64_t n = z->stats.count;
  double cpu = col == C_CPU || col == C_CPUPCT || col == C_WAIT ? cpu_est(r) : NAN;
  if (!zone_has(z, col)) {
    snprintf(b, cap, "-");
    return;
  }
  switch (col) {
    case C_PROBED: {
      char s1[32], s2[32];
      fz_fmt_count(s1, sizeof s1, r->samples);
      fz_fmt_count(s2, sizeof s2, n);
      if (r->sample_every > 1) snprintf(b, cap, "1 in %u, %s of %s", r->sample_every, s1, s2);
      else snprintf(b, cap, "%s of %s", s1, s2);
      break;
    }
    case C_CPU: fz_fmt_dur(b, cap, cpu); break;
    case C_SPLIT: /* the kernel's tick-sampled split, only where it was recorded */
      if (has(r, FATHOM_RES_CPU_USER_NS) && has(r, FATHOM_RES_CPU_SYS_NS)) {
        char u[40], sy[40];
        fz_fmt_dur(u, sizeof u, est(r, FATHOM_RES_CPU_USER_NS));
        fz_fmt_dur(sy, sizeof sy, est(r, FATHOM_RES_CPU_SYS_NS));
        snprintf(b, cap, "%s / %s", u, sy);
      } else if (has(r, FATHOM_RES_CPU_NS)) {
        snprintf(b, cap, "split unknown");
      } else {
        snprintf(b, cap, "-");
      }
      break;
    case C_CPUPCT: /* over the probed calls' own wall time when it was measured */
      if (r->mask >> FATHOM_RES_WALL_NS & 1)
        fz_fmt_share(b, cap, cpu_sum(r), r->sum[FATHOM_RES_WALL_NS], 0, clamped);
      else
        fz_fmt_share(b, cap, cpu, (double)z->stats.total_ns, 0, clamped);
      break;
    case C_WAIT: {
      double w = (double)z->stats.total_ns - cpu;
      if (r->mask >> FATHOM_RES_WALL_NS & 1) /* probed calls: wall - CPU, both estimates */
        w = est(r, FATHOM_RES_WALL_NS) - cpu;
      fz_fmt_dur(b, cap, w > 0 ? w : 0);
      break;
    }
    case C_ALLOCS: case C_ABYTES: { /* "~" where sampled by bytes (fathom run --alloc) */
      char v[48];
      if (col == C_ALLOCS) fz_fmt_count(v, sizeof v, z->alloc.alloc_count);
      else fz_fmt_bytes(v, sizeof v, (double)z->alloc.alloc_bytes);
      snprintf(b, cap, "%s%s", alloc_est(&z->alloc) ? "~" : "", v);
      break;
    }
    case C_IO: {
      double rd = est(r, FATHOM_RES_READ_BYTES), wr = est(r, FATHOM_RES_WRITE_BYTES);
      fz_fmt_bytes(b, cap, (isfinite(rd) ? rd : 0) + (isfinite(wr) ? wr : 0));
      break;
    }
    case C_IOCALLS: {
      double rd = est(r, FATHOM_RES_READ_OPS), wr = est(r, FATHOM_RES_WRITE_OPS);
      char x[40], y[40];
      fz_fmt_num(x, sizeof x, isfinite(rd) ? rd : 0);
      fz_fmt_num(y, sizeof y, isfinite(wr) ? wr : 0);
      snprintf(b, cap, "%s / %s", x, y);
      break;
    }
    case C_SOCK: {
      double sn = est(r, FATHOM_RES_SOCK_SENT_BYTES), rc = est(r, FATHOM_RES_SOCK_RECV_BYTES);
      char x[40], y[40];
      fz_fmt_bytes(x, sizeof x, isfinite(sn) ? sn : 0);
      fz_fmt_bytes(y, sizeof y, isfinite(rc) ? rc : 0);
      snprintf(b, cap, "%s / %s", x, y);
      break;
    }
    case C_FLOPS: fz_fmt_si(b, cap, z->flops / ((double)z->stats.total_ns / 1e9), "FLOP/s"); break;
    case C_IPC: {
      double ins = r->sum[FATHOM_RES_INSTRUCTIONS], cyc = r->sum[FATHOM_RES_CYCLES];
      if (cyc > 0 && isfinite(ins)) snprintf(b, cap, "%.2f", ins / cyc);
      else snprintf(b, cap, "-");
      break;
    }
    case C_MISS:
      fz_fmt_share(b, cap, r->sum[FATHOM_RES_CACHE_MISSES], r->sum[FATHOM_RES_CACHE_REFS], 0,
                   clamped);
      break;
  }
}

int fz_text_zone_res(const fz_tx *tx, const fathom_profile *p, const uint32_t *ord, uint32_t n) {
  static const char *const names[C_N] = {"probed calls", "CPU", "user / system", "CPU/wall",
                                         "waiting", "allocs", "alloc bytes", "I/O",
                                         "reads / writes", "socket sent / received", "FLOP/s",
                                         "IPC", "cache miss"};
  int cols[C_N], nc = 0;
  for (int c = 0; c < C_N; c++) {
    int any = 0;
    for (uint32_t k = 0; k < n && !any; k++) {
      const fathom_zone_info *z = &p->zones[ord[k]];
      any = zone_has(z, c);
      if (any && c == C_IOCALLS)   /* shown only when some zone made I/O calls */
        any = z->res.sum[FATHOM_RES_READ_OPS] > 0 || z->res.sum[FATHOM_RES_WRITE_OPS] > 0;
      if (any && c == C_SOCK)      /* ... or moved bytes through sockets */
        any = z->res.sum[FATHOM_RES_SOCK_SENT_BYTES] > 0 ||
              z->res.sum[FATHOM_RES_SOCK_RECV_BYTES] > 0;
    }
    if (any) cols[nc++] = c;
  }
  if (nc == 0) return 0;
  fz_section(tx, "Resources per operation (by total time)");
  if (cols[0] == C_PROBED)
    fputs("  probed calls: 1 call in N measured after a path's first calls, at random; CPU, I/O:\n"
          "  estimates for all calls from the probed ones; user / system: the kernel's split where\n"
          "  it was recorded; waiting = wall - CPU (blocked, sleeping or preempted)\n",
          tx->f);
  const char *head[FZ_TAB_COLS];
  char align[FZ_TAB_COLS + 1];
  head[0] = "operation";
  align[0] = 'l';
  for (int c = 0; c < nc; c++) {
    head[c + 1] = names[cols[c]];
    align[c + 1] = 'r';
  }
  align[nc + 1] = 0;
  fz_tab t;
  fz_tab_init(&t, head, align);
  uint32_t rows = 0, more = 0;
  int clamped = 0;
  for (uint32_t k = 0; k < n; k++) {
    const fathom_zone_info *z = &p->zones[ord[k]];
    int any = 0;
    for (int c = 0; c < nc && !any; c++) any = zone_has(z, cols[c]);
    if (!any) continue;
    if (rows == FZ_TOP_OPS) {
      more++;
      continue;
    }
    char cell[C_N + 1][96], nm[256];
    const char *cells[FZ_TAB_COLS];
    fz_clean(nm, sizeof nm, z->name, FZ_NAME_W);
    cells[0] = nm;
    for (int c = 0; c < nc; c++) {
      zone_cell(cell[c], sizeof cell[c], z, cols[c], &clamped);
      cells[c + 1] = cell[c];
    }
    fz_tab_row(&t, cells);
    rows++;
  }
  int rc = fz_tab_print(tx, &t);
  fz_clamp_note(tx, clamped);
  fz_more(tx, more, "operations with resources");
  return rc;
}
