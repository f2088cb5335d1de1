/* view/text_mem.c: the memory and governor parts of the text report: the operations that
 * allocate the most (zones by their own heap allocations), heap still live at
 * the end by call path (leak suspects, with growth per call; for allocations sampled by bytes,
 * `fathom run --alloc`: the top allocating paths, the leaks and what was live at the heap's
 * peak, each an estimate with its 95 % interval), the labelled memory snapshots
 * and what grew between consecutive ones, and what the overhead governor did.
 *
 * Invariant: these sections read only the model and print nothing when it holds nothing of
 * theirs: no leak table without allocation tracking or live memory, no snapshot table
 * without snapshots, no governor section unless it acted (or a DETAILED/COMPREHENSIVE
 * session ran it, which gets one line saying it held the budget). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/text.h"

#define FZ_DIFF_TOP 5   /* zones listed per pair of consecutive snapshots */

/* "+1.50 MiB" / "-512 B" / "0 B", then suffix. */
static void signed_bytes(char *b, size_t cap, double v, const char *suffix) {
  char t[48];
  fz_fmt_bytes(t, sizeof t, fabs(v));
  snprintf(b, cap, "%s%.47s%s", v > 0 ? "+" : v < 0 ? "-" : "", t, suffix);
}

static void signed_count(char *b, size_t cap, int64_t v) {
  char t[40];
  fz_fmt_count(t, sizeof t, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
  snprintf(b, cap, "%s%s", v > 0 ? "+" : v < 0 ? "-" : "", t);
}

/* ---- heap still live at the end, by call path ---- */

typedef struct live_ref {
  uint64_t bytes;
  uint32_t path;
} live_ref;

static int live_cmp(const void *a, const void *b) {
  const live_ref *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  return x->path < y->path ? -1 : x->path > y->path;
}

static int mem_live(const fz_tx *tx, const fathom_profile *p, const fz_path *paths, uint32_t n) {
  if (n == 0) return 0;
  fz_path_res *r = NULL;
  int rc = fz_paths_res_build(p, paths, n, &r);
  if (rc) return rc;
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) k += r[i].alloc_self.live_bytes > 0;
  live_ref *lr = k ? malloc((size_t)k * sizeof *lr) : NULL;
  if (k && !lr) {
    free(r);
    return FATHOM_E_NOMEM;
  }
  k = 0;
  for (uint32_t i = 0; i < n; i++)
    if (r[i].alloc_self.live_bytes) lr[k++] = (live_ref){r[i].alloc_self.live_bytes, i};
  if (k) {
    qsort(lr, k, sizeof *lr, live_cmp);
    fz_section(tx, "Memory still live at the end, by call path (allocated there, never freed)");
    static const char *const head[] = {"call path", "live bytes", "live allocs", "growth/call",
                                       "calls", "allocs made"};
    fz_tab t;
    fz_tab_init(&t, head, "lrrrrr");
    uint32_t shown = k < FZ_TOP_OPS ? k : FZ_TOP_OPS;
    for (uint32_t j = 0; j < shown; j++) {
      const fz_path_res *e = &r[lr[j].path];
      char raw[96], nm[160], lb[40], lc[40], gr[64], calls[40], made[40];
      fz_path_string(p, paths, lr[j].path, raw, 64);
      fz_clean(nm, sizeof nm, raw, 72);
      fz_fmt_bytes(lb, sizeof lb, (double)e->alloc_self.live_bytes);
      fz_fmt_count(lc, sizeof lc, e->alloc_self.live_count);
      double g = e->alloc_self.growth_bytes_per_call;
      if (isfinite(g) && g != 0) signed_bytes(gr, sizeof gr, g, "/call");
      else snprintf(gr, sizeof gr, "-");
      fz_fmt_count(calls, sizeof calls, paths[lr[j].path].stats.count);
      fz_fmt_count(made, sizeof made, e->alloc_self.alloc_count);
      const char *cells[] = {nm, lb, lc, gr, calls, made};
      fz_tab_row(&t, cells);
    }
    rc = fz_tab_print(tx, &t);
    fz_more(tx, k - shown, "call paths with live memory");
  }
  free(lr);
  free(r);
  return rc;
}

/* ---- allocations sampled by bytes (fathom run --alloc) ---- */

/* 1 when the profile's allocation figures are estimates (sampled by bytes). */
static int alloc_sampled(const fathom_profile *p) {
  for (uint32_t z = 0; z < p->n_zones; z++) {
    const fathom_alloc *a = &p->zones[z].alloc_self;
    if (a->alloc_bytes_se > 0 || a->alloc_count_se > 0 || a->peak_bytes || a->peak_count)
      return 1;
  }
  return 0;
}

/* "~1.50 MiB ±320 KiB" (± a 95 % interval, left out when 0); bytes 0: a count. */
static void est_fig(char *b, size_t cap, uint64_t v, double se, int bytes) {
  char x[48], h[48];
  if (bytes) fz_fmt_bytes(x, sizeof x, (double)v);
  else fz_fmt_count(x, sizeof x, v);
  double half = isfinite(se) && se > 0 ? FZ_Z95 * se : 0;
  if (half >= 0.5) {
    if (bytes) fz_fmt_bytes(h, sizeof h, half);
    else fz_fmt_count(h, sizeof h, (uint64_t)llround(half));
    snprintf(b, cap, "~%.47s ±%.47s", x, h);
  } else {
    snprintf(b, cap, "~%.47s", x);
  }
}

enum { BY_ALLOC, BY_LIVE, BY_PEAK };

static uint64_t sampled_key(const fathom_alloc *a, int by) {
  return by == BY_ALLOC ? a->alloc_bytes : by == BY_LIVE ? a->live_bytes : a->peak_bytes;
}

/* One table of the paths' own allocations, the largest first by what `by` says. */
static int sampled_table(const fz_tx *tx, const fathom_profile *p, const fz_path *paths,
                         const fz_path_res *r, uint32_t n, int by) {
  uint32_t k = 0;
  live_ref *lr = malloc((size_t)(n ? n : 1) * sizeof *lr);
  if (!lr) return FATHOM_E_NOMEM;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t v = sampled_key(&r[i].alloc_self, by);
    if (v) lr[k++] = (live_ref){v, i};
  }
  int rc = 0;
  if (k) {
    qsort(lr, k, sizeof *lr, live_cmp);
    static const char *const title[] = {
        "Heap allocations by call path (sampled by bytes: ~ estimates, ± 95 % intervals)",
        "Memory still live at the end, by call path (allocated there, never freed)",
        "Memory live at the heap's peak, by call path"};
    static const char *const head_alloc[] = {"call path", "allocated", "objects",
                                             "live at the end", "at the peak"};
    static const char *const head_live[] = {"call path", "live bytes", "live objects"};
    fz_section(tx, title[by]);
    fz_tab t;
    if (by == BY_ALLOC) fz_tab_init(&t, head_alloc, "lrrrr");
    else fz_tab_init(&t, head_live, "lrr");
    uint32_t shown = k < FZ_TOP_OPS ? k : FZ_TOP_OPS;
    for (uint32_t j = 0; j < shown; j++) {
      const fathom_alloc *a = &r[lr[j].path].alloc_self;
      char raw[160], nm[160], c1[112], c2[112], c3[112], c4[112];
      fz_path_string(p, paths, lr[j].path, raw, 64);
      uint32_t z = paths[lr[j].path].zone;
      const char *file = z < p->n_zones && p->zones[z].file ? p->zones[z].file : "";
      const char *base = strrchr(file, '/');
      base = base ? base + 1 : file;
      if (a->line && *base) { /* where it allocated: "path (file.c:12)" */
        size_t l = strlen(raw);
        snprintf(raw + l, sizeof raw - l, " (%.40s:%u)", base, a->line);
      }
      fz_clean(nm, sizeof nm, raw, 88);
      if (by == BY_ALLOC) {
        est_fig(c1, sizeof c1, a->alloc_bytes, a->alloc_bytes_se, 1);
        est_fig(c2, sizeof c2, a->alloc_count, a->alloc_count_se, 0);
        est_fig(c3, sizeof c3, a->live_bytes, a->live_bytes_se, 1);
        est_fig(c4, sizeof c4, a->peak_bytes, a->peak_bytes_se, 1);
      } else if (by == BY_LIVE) {
        est_fig(c1, sizeof c1, a->live_bytes, a->live_bytes_se, 1);
        est_fig(c2, sizeof c2, a->live_count, a->live_count_se, 0);
      } else {
        est_fig(c1, sizeof c1, a->peak_bytes, a->peak_bytes_se, 1);
        est_fig(c2, sizeof c2, a->peak_count, a->peak_count_se, 0);
      }
      const char *cells[] = {nm, c1, c2, c3, c4};
      fz_tab_row(&t, cells);
    }
    rc = fz_tab_print(tx, &t);
    fz_more(tx, k - shown, by == BY_ALLOC ? "allocating call paths" : "call paths");
  }
  free(lr);
  return rc;
}

static int mem_sampled(const fz_tx *tx, const fathom_profile *p, const fz_path *paths,
                       uint32_t n) {
  if (n == 0) return 0;
  fz_path_res *r = NULL;
  int rc = fz_paths_res_build(p, paths, n, &r);
  for (int by = BY_ALLOC; !rc && by <= BY_PEAK; by++) rc = sampled_table(tx, p, paths, r, n, by);
  free(r);
  return rc;
}

/* ---- labelled snapshots ---- */

static int mem_snapshots(const fz_tx *tx, const fathom_profile *p) {
  uint32_t ns = p->n_mem_snapshots;
  if (ns == 0) return 0;
  fz_section(tx, "Memory snapshots");
  if (p->meta.dropped_snapshots) {
    char d[40];
    fz_fmt_count(d, sizeof d, p->meta.dropped_snapshots);
    fz_on(tx, "33");
    fprintf(tx->f, "  %s older snapshots were dropped (at most 256 are kept)\n", d);
    fz_off(tx);
  }
  static const char *const head[] = {"label", "at", "RSS", "live heap", "live allocs", "zones"};
  fz_tab t;
  fz_tab_init(&t, head, "lrrrrr");
  uint32_t shown = ns < FZ_MAX_ROWS ? ns : FZ_MAX_ROWS;
  for (uint32_t i = 0; i < shown; i++) {
    const fathom_mem_snapshot_info *s = &p->mem_snapshots[i];
    char nm[128], at[40], rss[40], lb[40], lc[40], nz[40];
    fz_clean(nm, sizeof nm, s->label ? s->label : "-", 40);
    fz_fmt_dur(at, sizeof at, (double)s->ts_ns);
    fz_fmt_bytes(rss, sizeof rss, s->rss_bytes);
    fz_fmt_bytes(lb, sizeof lb, (double)s->live_bytes);
    fz_fmt_count(lc, sizeof lc, s->live_count);
    fz_fmt_count(nz, sizeof nz, s->n);
    const char *cells[] = {nm, at, rss, lb, lc, nz};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  fz_more(tx, ns - shown, "snapshots");
  if (rc || ns < 2) return rc;

  /* what grew between consecutive snapshots, by zone */
  fz_section(tx, "Heap growth between consecutive snapshots, by zone (largest first)");
  static const char *const h2[] = {"between", "operation", "bytes", "allocs"};
  fz_tab_init(&t, h2, "llrr");
  fathom_mem_delta d[FZ_DIFF_TOP];
  uint32_t rows = 0, pairs_left = 0;
  for (uint32_t i = 1; i < ns && rc == 0; i++) {
    if (rows >= FZ_MAX_ROWS) {
      pairs_left++;
      continue;
    }
    int nd = fz_mem_diff_idx(p, i - 1, i, d, FZ_DIFF_TOP);
    if (nd < 0) {
      rc = nd;
      break;
    }
    char a[64], b[64], between[160];
    fz_clean(a, sizeof a, p->mem_snapshots[i - 1].label ? p->mem_snapshots[i - 1].label : "-", 28);
    fz_clean(b, sizeof b, p->mem_snapshots[i].label ? p->mem_snapshots[i].label : "-", 28);
    snprintf(between, sizeof between, "%s -> %s", a, b);
    if (nd == 0) {
      const char *cells[] = {between, "(no zone changed)", "0 B", "0"};
      fz_tab_row(&t, cells);
      rows++;
      continue;
    }
    for (int k = 0; k < nd && k < FZ_DIFF_TOP; k++) {
      char nm[256], by[64], ct[48];
      fz_clean(nm, sizeof nm, p->zones[d[k].zone].name, FZ_NAME_W);
      signed_bytes(by, sizeof by, (double)d[k].bytes, "");
      signed_count(ct, sizeof ct, d[k].count);
      const char *cells[] = {k ? "" : between, nm, by, ct};
      fz_tab_row(&t, cells);
      rows++;
    }
    if (nd > FZ_DIFF_TOP) {
      char more[64], c[40];
      fz_fmt_count(c, sizeof c, (uint64_t)nd - FZ_DIFF_TOP);
      snprintf(more, sizeof more, "... %s more zones", c);
      const char *cells[] = {"", more, "", ""};
      fz_tab_row(&t, cells);
      rows++;
    }
  }
  int rc2 = fz_tab_print(tx, &t);
  fz_more(tx, pairs_left, "snapshot pairs");
  return rc ? rc : rc2;
}

typedef struct zref {
  uint64_t bytes;
  uint32_t zone;
} zref;
static int zref_cmp(const void *a, const void *b) {
  const zref *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  return x->zone < y->zone ? -1 : x->zone > y->zone;
}

/* The operations that allocate the most, beside the time rankings: zones by the heap bytes
 * their own code allocated (exact allocation tracking; sampled profiles have their own
 * tables), with calls, bytes per call, objects, what is still live, the heap's high-water
 * mark inside one call (above its begin; "≥" when only some calls measured it, "-" when none
 * did) and the share of all. */
int fz_text_mem_top(const fz_tx *tx, const fathom_profile *p) {
  if (alloc_sampled(p)) return 0;
  uint32_t k = 0;
  uint64_t all = 0;
  zref *zr = malloc((size_t)(p->n_zones ? p->n_zones : 1) * sizeof *zr);
  if (!zr) return FATHOM_E_NOMEM;
  for (uint32_t i = 0; i < p->n_zones; i++) {
    uint64_t b = p->zones[i].alloc_self.alloc_bytes;
    all += b;
    if (b) zr[k++] = (zref){b, i};
  }
  int rc = 0;
  if (k) {
    qsort(zr, k, sizeof *zr, zref_cmp);
    fz_section(tx, "Top operations by memory (heap allocated by the zone's own code)");
    static const char *const head[] = {"zone", "component", "calls", "allocated", "per call",
                                       "objects", "live at the end", "peak in a call", "share"};
    fz_tab t;
    fz_tab_init(&t, head, "llrrrrrrr");
    uint32_t shown = k < FZ_TOP_OPS ? k : FZ_TOP_OPS;
    for (uint32_t j = 0; j < shown; j++) {
      const fathom_zone_info *z = &p->zones[zr[j].zone];
      const fathom_alloc *a = &z->alloc_self;
      char nm[256], cp[256], calls[40], al[48], pc[48], ob[40], lv[48], pk[56], sh[24];
      fz_clean(nm, sizeof nm, z->name, FZ_NAME_W);
      fz_clean(cp, sizeof cp, fz_comp(z), 24);
      fz_fmt_calls(calls, sizeof calls, &z->stats);
      fz_fmt_bytes(al, sizeof al, (double)a->alloc_bytes);
      if (z->stats.count && !fathom_stats_uncounted(&z->stats))
        fz_fmt_bytes(pc, sizeof pc, (double)a->alloc_bytes / (double)z->stats.count);
      else snprintf(pc, sizeof pc, "-");
      fz_fmt_count(ob, sizeof ob, a->alloc_count);
      fz_fmt_bytes(lv, sizeof lv, (double)a->live_bytes);
      fz_fmt_pct(sh, sizeof sh, (double)a->alloc_bytes, (double)all);
      if (!z->heap_peak_calls) {
        snprintf(pk, sizeof pk, "-");
      } else {
        char v[48];
        fz_fmt_bytes(v, sizeof v, z->heap_peak_bytes);
        snprintf(pk, sizeof pk, "%s%s", z->heap_peak_calls < z->stats.count ? "\xe2\x89\xa5" : "", v);
      }
      const char *cells[] = {nm, cp, calls, al, pc, ob, lv, pk, sh};
      fz_tab_row(&t, cells);
    }
    rc = fz_tab_print(tx, &t);
    if (k > shown) fz_more(tx, k - shown, "zones");
  }
  free(zr);
  return rc;
}

int fz_text_memory(const fz_tx *tx, const fathom_profile *p, const fz_path *paths, uint32_t n) {
  int rc = alloc_sampled(p) ? mem_sampled(tx, p, paths, n) : mem_live(tx, p, paths, n);
  if (!rc) rc = mem_snapshots(tx, p);
  return rc;
}

/* ---- the governor ---- */

/* What the governor did to zone z, from its bits ("" when nothing). */
static void gov_text(char *b, size_t cap, const fathom_zone_info *z) {
  b[0] = 0;
  size_t len = 0;
  if (z->gov & FATHOM_GOV_DOWNGRADED)
    len += (size_t)snprintf(b + len, cap - len, "probes stopped (recorded at basic)");
  else if ((z->gov & FATHOM_GOV_PROBES_THINNED) && z->res.sample_every > 1)
    len += (size_t)snprintf(b + len, cap - len, "probes thinned to 1 call in %u",
                            z->res.sample_every);
  else if (z->gov & FATHOM_GOV_PROBES_THINNED)
    len += (size_t)snprintf(b + len, cap - len, "probes thinned");
  if (len < cap && (z->gov & FATHOM_GOV_TIME_SAMPLED))
    snprintf(b + len, cap - len, "%stimed 1 call in %u, the others counted", len ? "; " : "",
             z->time_every > 1 ? z->time_every : 1);
}

static const char *action_text(uint32_t gov) {
  switch (gov) {
    case FATHOM_GOV_PROBES_THINNED: return "probe interval raised to";
    case FATHOM_GOV_DOWNGRADED: return "probes stopped (basic)";
    case FATHOM_GOV_TIME_SAMPLED: return "timing sampled, 1 in";
    default: return "?";
  }
}

static int gov_actions(const fz_tx *tx, const fathom_profile *p) {
  if (!p->n_gov_actions) return 0;
  static const char *const head[] = {"at", "operation", "decision", "value", "overhead then"};
  fz_tab t;
  fz_tab_init(&t, head, "rllrr");
  uint32_t shown = p->n_gov_actions < FZ_MAX_ROWS ? p->n_gov_actions : FZ_MAX_ROWS;
  for (uint32_t i = 0; i < shown; i++) {
    const fathom_gov_action *g = &p->gov_actions[i];
    char at[40], nm[256], val[40], ov[40];
    fz_fmt_dur(at, sizeof at, (double)g->ts_ns);
    if (g->zone == FATHOM_NONE) snprintf(nm, sizeof nm, "(whole session)");
    else if (g->zone < p->n_zones) fz_clean(nm, sizeof nm, p->zones[g->zone].name, FZ_NAME_W);
    else snprintf(nm, sizeof nm, "?");
    if (g->gov == FATHOM_GOV_DOWNGRADED) snprintf(val, sizeof val, "-");
    else snprintf(val, sizeof val, "%u", g->value);
    if (isfinite(g->overhead_pct)) snprintf(ov, sizeof ov, "%.2f%%", g->overhead_pct);
    else snprintf(ov, sizeof ov, "-");
    const char *cells[] = {at, nm, action_text(g->gov), val, ov};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  fz_more(tx, p->n_gov_actions - shown, "decisions");
  return rc;
}

int fz_text_governor(const fz_tx *tx, const fathom_profile *p) {
  const fathom_meta *m = &p->meta;
  uint32_t touched = 0;
  for (uint32_t z = 0; z < p->n_zones; z++) touched += p->zones[z].gov != 0;
  int ran = m->governor && m->level >= FATHOM_LEVEL_DETAILED;
  if (!touched && !p->n_gov_actions && !ran) return 0;
  fz_section(tx, "Overhead governor");
  char v[256], a[64];
  if (isfinite(m->overhead_budget_pct) && m->overhead_budget_pct > 0) {
    if (isfinite(m->overhead_pct))
      snprintf(v, sizeof v, "%.4g%% of the program's CPU time (%s); it cost %.3f%%",
               m->overhead_budget_pct, fathom_level_name(m->level), m->overhead_pct);
    else
      snprintf(v, sizeof v, "%.4g%% of CPU time (%s)", m->overhead_budget_pct,
               fathom_level_name(m->level));
    fz_kv(tx, "Budget:", v, isfinite(m->overhead_pct) && m->overhead_pct > m->overhead_budget_pct);
  }
  fz_kv(tx, "Governor:", m->governor ? "on (thins what is measured to hold the budget)"
                                     : "off (nothing was thinned for cost)", 0);
  if (isfinite(m->probe_cost_ns) && m->probe_cost_ns > 0) {
    fz_fmt_dur(a, sizeof a, m->probe_cost_ns);
    if (m->sample_every > 1)
      snprintf(v, sizeof v, "%s per probed call; 1 call in %u probed after a path's first calls",
               a, m->sample_every);
    else
      snprintf(v, sizeof v, "%s per probed call", a);
    fz_kv(tx, "Probes:", v, 0);
  }
  if (isfinite(m->monitor_cpu_ns) && m->monitor_cpu_ns > 0) {
    fz_fmt_dur(a, sizeof a, m->monitor_cpu_ns);
    snprintf(v, sizeof v, "%s CPU used by fathom's background thread", a);
    fz_kv(tx, "Monitor:", v, 0);
  }
  if (!touched && !p->n_gov_actions) {
    fputs("  Nothing was thinned: the budget held.\n", tx->f);
    return 0;
  }
  int rc = 0;
  if (touched) {
    fputs("  Operations it thinned (their figures rest on fewer measured calls):\n", tx->f);
    static const char *const head[] = {"operation", "now"};
    fz_tab t;
    fz_tab_init(&t, head, "ll");
    uint32_t rows = 0;
    for (uint32_t z = 0; z < p->n_zones; z++) {
      if (!p->zones[z].gov) continue;
      if (rows++ >= FZ_MAX_ROWS) continue;
      char nm[256], what[160];
      fz_clean(nm, sizeof nm, p->zones[z].name, FZ_NAME_W);
      gov_text(what, sizeof what, &p->zones[z]);
      const char *cells[] = {nm, what[0] ? what : "-"};
      fz_tab_row(&t, cells);
    }
    rc = fz_tab_print(tx, &t);
    if (rows > FZ_MAX_ROWS) fz_more(tx, rows - FZ_MAX_ROWS, "operations");
  }
  if (!rc && p->n_gov_actions) {
    fputs("  Decisions, in order:\n", tx->f);
    rc = gov_actions(tx, p);
  }
  return rc;
}
