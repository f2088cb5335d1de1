/* view/text.c: the human-readable report: session header with its one-line summary, clock
 * and overhead, component breakdown, top operations and their latency percentiles, the
 * merged call tree, custom metrics, counters and threads, in aligned columns with
 * auto-scaled units; and the order of every section (the resource sections are in
 * view/text_res.c and view/text_mem.c).
 *
 * Invariant: every byte of the report comes from the model (never from recorder state),
 * ANSI escapes appear only when `color` is nonzero, and names are printed with control
 * characters replaced by '?', so a hostile zone name can never inject escapes or break
 * the layout. Long sections are capped, and say how much they left out. Estimated figures
 * (timing sampled, schema 4) are marked "~" with their 95 % interval ("±", "[lo, hi]"), and
 * a legend says so; a share the report computes is never shown above 100 % (the tree's
 * "% parent" takes the larger of the parent's and its children's time, other shares are
 * clamped and marked "*" with a note). fathom's fixed costs are shown apart from the
 * overhead, never added to it. */
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "view/text.h"
#include "view/view.h"

/* ---- header ---- */
/* What the header and the tables need to know of the whole tree. */
typedef struct fz_totals {
  uint64_t calls, timed;   /* zone calls, and those timed (count where a node leaves it 0) */
  uint64_t top_ns;         /* inclusive time of the top-level nodes, all threads */
  double top_var;          /* its variance (the nodes' standard errors squared, added) */
  int top_est, any_est;    /* a top-level node / any node or zone is estimated */
} fz_totals;

/* The costs fathom did not count as overhead: set-up, its background thread, the model's
 * build (only those the profile knows). */
static void fz_fixed_costs(const fz_tx *tx, const fathom_meta *m) {
  char v[256] = "", a[64];
  const struct { const char *what; double ns; } part[] = {
      {"setup", m->setup_ns}, {"background thread", m->monitor_cpu_ns},
      {"model build", m->build_ns}};
  double sum = 0;
  size_t len = 0;
  int parts = 0;
  for (size_t k = 0; k < sizeof part / sizeof part[0]; k++) {
    if (!isfinite(part[k].ns) || part[k].ns <= 0) continue;
    fz_fmt_dur(a, sizeof a, part[k].ns);
    len += (size_t)snprintf(v + len, sizeof v - len, "%s%s %s", len ? ", " : "", part[k].what, a);
    sum += part[k].ns;
    parts++;
    if (len >= sizeof v) return;
  }
  if (!len) return;
  double total = isfinite(m->fixed_cost_ns) && m->fixed_cost_ns > 0 ? m->fixed_cost_ns : sum;
  if (parts > 1 || total != sum) {
    fz_fmt_dur(a, sizeof a, total);
    len += (size_t)snprintf(v + len, sizeof v - len, " = %s", a);
  }
  if (len < sizeof v) snprintf(v + len, sizeof v - len, " (apart from the overhead)");
  fz_kv(tx, "Fixed costs:", v, 0);
}

static void fz_header(const fz_tx *tx, const fathom_profile *p, const fz_totals *tt) {
  uint64_t calls = tt->calls, top_ns = tt->top_ns;
  const fathom_meta *m = &p->meta;
  char v[512], a[64], b[64], c[64], name[160];
  fz_on(tx, "1");
  fputs("fathom performance report\n=========================", tx->f);
  fz_off(tx);
  fputc('\n', tx->f);
  fz_clean(name, sizeof name, m->session_name && *m->session_name ? m->session_name : "(unnamed)",
           100);
  snprintf(v, sizeof v, "%s  (id %016llx)", name, (unsigned long long)m->session_id);
  fz_kv(tx, "Session:", v, 0);
  if (m->start_unix_ns) {
    time_t t = (time_t)(m->start_unix_ns / 1000000000u);
    struct tm tm;
    if (gmtime_r(&t, &tm) && strftime(a, sizeof a, "%Y-%m-%d %H:%M:%S UTC", &tm))
      fz_kv(tx, "Started:", a, 0);
  }
  fz_fmt_dur(v, sizeof v, (double)m->duration_ns);
  fz_kv(tx, "Duration:", v, 0);
  fz_kv(tx, "Level:", fathom_level_name(m->level), 0);
  fz_text_levels(tx, p); /* levels per component, metric switches (text_levels.c) */
  if (m->cut_short_by && *m->cut_short_by) { /* ended by a signal (signals.c) */
    char zp[200];
    fz_clean(a, sizeof a, m->cut_short_by, 20);
    fz_clean(zp, sizeof zp, m->cut_short_path ? m->cut_short_path : "", 150);
    snprintf(v, sizeof v, "by %s%s%s: the figures up to then", a, *zp ? ", in " : "", zp);
    fz_kv(tx, "Cut short:", v, 1);
  }
  if ((m->program && *m->program) || (m->host && *m->host)) {
    char prog[200], host[80];
    fz_clean(prog, sizeof prog, m->program && *m->program ? m->program : "?", 120);
    fz_clean(host, sizeof host, m->host && *m->host ? m->host : "?", 60);
    snprintf(v, sizeof v, "%s (pid %lld) on %s, %u CPUs", prog, (long long)m->pid, host,
             m->n_cpus);
    fz_kv(tx, "Program:", v, 0);
  }
  fz_text_summary(p, v, sizeof v);
  if (v[0]) fz_kv(tx, "Summary:", v, 0);
  fz_fmt_count(a, sizeof a, calls);
  /* `fathom run --wall`: the waiting threads sampled too, at the same rate of wall-clock time */
  int wall = m->clock_source && strcmp(m->clock_source, "perf_event+wall") == 0;
  if (calls == 0 && (m->cpu_samples > 0 || wall)) {   /* stack samples of an unmodified program */
    fz_fmt_count(a, sizeof a, m->cpu_samples);
    fz_fmt_dur(b, sizeof b, m->sample_period_ns);
    if (wall)
      snprintf(v, sizeof v, "wall-clock: %s stack samples, one per %s of a thread's CPU time, "
               "and each waiting thread's stack about every %s of wall-clock time (calls not "
               "counted: times are estimates with their error)", a, b, b);
    else
      snprintf(v, sizeof v, "%s stack samples, one per %s of a thread's CPU time (calls not "
               "counted: times are estimates with their error)", a, b);
    fz_kv(tx, "Samples:", v, 0);
  } else {
    if (tt->timed < calls) {
      fz_fmt_count(b, sizeof b, tt->timed);
      snprintf(v, sizeof v, "%s zone calls, %s timed", a, b);
    } else {
      snprintf(v, sizeof v, "%s zone calls", a);
    }
    fz_kv(tx, "Operations:", v, 0);
  }
  fz_fmt_dur_est(a, sizeof a, (double)top_ns, sqrt(tt->top_var), tt->top_est);
  snprintf(v, sizeof v, "%s in top-level zones, all threads", a);
  fz_kv(tx, "Total time:", v, 0);
  fz_fmt_count(a, sizeof a, p->n_threads);
  fz_kv(tx, "Threads:", a, 0);
  int sampled = calls == 0 && (m->cpu_samples > 0 || wall);   /* stack samples: no zone ran */
  if (sampled) {
    fz_kv(tx, "Estimates:", "~ marks figures estimated from the stack samples; \xc2\xb1 is a "
                            "95 % interval", 0);
    return;
  }
  fz_clean(name, sizeof name, m->clock_source && *m->clock_source ? m->clock_source : "unknown",
           40);
  fz_fmt_dur(a, sizeof a, m->clock_resolution_ns);
  fz_fmt_dur(b, sizeof b, m->clock_read_ns);
  snprintf(v, sizeof v, "%s, resolution %s, read cost %s", name, a, b);
  fz_kv(tx, "Clock:", v, 0);
  /* fathom's own cost; a model without overhead_ns gets calls x zone cost */
  double over = m->overhead_ns > 0 ? m->overhead_ns : (double)calls * m->zone_cost_ns;
  fz_fmt_dur(a, sizeof a, m->zone_cost_ns);
  fz_fmt_dur(b, sizeof b, over);
  if (isfinite(m->overhead_pct)) snprintf(c, sizeof c, "%.3f%%", m->overhead_pct);
  else snprintf(c, sizeof c, "-");
  char per[192];
  if (isfinite(m->untimed_cost_ns) && m->untimed_cost_ns > 0 && tt->timed < calls) {
    char u[64];
    fz_fmt_dur(u, sizeof u, m->untimed_cost_ns);
    snprintf(per, sizeof per, "%s per zone (%s counted only)", a, u);
  } else {
    snprintf(per, sizeof per, "%s per zone", a);
  }
  if (m->cpu_time_ns > 0) {
    char cpu[64];
    fz_fmt_dur(cpu, sizeof cpu, m->cpu_time_ns);
    snprintf(v, sizeof v, "%s, %s in all%s: the program ran %s slower (zones only; %s CPU "
             "time in all)", per, b, m->cpu_samples >= 200 ? " (measured)" : "", c, cpu);
  } else {
    snprintf(v, sizeof v, "%s, %s in all: the program ran %s slower (zones only)", per, b, c);
  }
  if (isfinite(m->overhead_budget_pct) && m->overhead_budget_pct > 0) {
    size_t len = strlen(v);
    snprintf(v + len, sizeof v - len, "; budget %.4g%%", m->overhead_budget_pct);
  }
  fz_kv(tx, "Overhead:", v, 0);
  fz_fixed_costs(tx, m);
  if (m->fathom_bytes) {
    fz_fmt_bytes(a, sizeof a, (double)m->fathom_bytes);
    snprintf(v, sizeof v, "%s held by fathom", a);
    fz_kv(tx, "Memory:", v, 0);
  }
  fz_fmt_count(a, sizeof a, m->dropped_zones);
  fz_fmt_count(b, sizeof b, m->dropped_events);
  snprintf(v, sizeof v, "%s zones, %s events", a, b);
  fz_kv(tx, "Dropped:", v, m->dropped_zones || m->dropped_events);
  fz_fmt_count(a, sizeof a, m->misuse);
  snprintf(v, sizeof v, "%s API misuse events", a);
  fz_kv(tx, "Misuse:", v, m->misuse != 0);
  if (tt->any_est) {
    fz_kv(tx, "Estimates:", "~ marks figures estimated from a random sample of timed calls;", 0);
    fz_kv(tx, "", "\xc2\xb1 is a 95 % interval ([low, high] for a percentile); "
                  "\xe2\x89\xa4 min and \xe2\x89\xa5 max: of the timed calls", 0);
  }
}

/* ---- component breakdown ---- */
typedef struct fz_comp_row {
  const char *name;
  uint64_t ops, entries, incl, self;
  double incl_var, self_var;   /* variances of the estimates added up */
  int incl_est, self_est;      /* some part of them is estimated */
} fz_comp_row;

static int fz_zone_by_comp(const void *a, const void *b) {
  const fathom_zone_info *x = *(const fathom_zone_info *const *)a;
  const fathom_zone_info *y = *(const fathom_zone_info *const *)b;
  return strcmp(fz_comp(x), fz_comp(y));
}

static int fz_comp_by_time(const void *a, const void *b) {
  const fz_comp_row *x = a, *y = b;
  if (x->incl != y->incl) return x->incl > y->incl ? -1 : 1;
  return strcmp(x->name, y->name);
}

static int fz_components(const fz_tx *tx, const fathom_profile *p, const fz_path *paths,
                         uint32_t top, uint64_t top_ns) {
  uint32_t nz = p->n_zones;
  const fathom_zone_info **byc = malloc((size_t)nz * sizeof *byc);
  uint32_t *cid = malloc((size_t)nz * sizeof *cid);
  fz_comp_row *rows = calloc(nz, sizeof *rows);
  uint32_t *open = calloc(nz, sizeof *open);
  int rc = FATHOM_E_NOMEM;
  if (!byc || !cid || !rows || !open) goto out;
  for (uint32_t z = 0; z < nz; z++) byc[z] = &p->zones[z];
  qsort(byc, nz, sizeof *byc, fz_zone_by_comp);
  uint32_t nc = 0;
  for (uint32_t k = 0; k < nz; k++) {
    if (k == 0 || strcmp(fz_comp(byc[k]), fz_comp(byc[k - 1])) != 0) rows[nc++].name = fz_comp(byc[k]);
    cid[byc[k] - p->zones] = nc - 1;
  }
  /* depth-first with enter/leave: a path counts toward its component's inclusive time only
   * when no ancestor path belongs to the same component */
  for (uint32_t i = top; i != FATHOM_NONE;) {
    uint32_t c = cid[paths[i].zone];
    const fathom_stats *ps = &paths[i].stats;
    int est = fathom_stats_estimated(ps);
    rows[c].ops += ps->count;
    rows[c].self += ps->self_ns;
    rows[c].self_var += ps->self_se_ns * ps->self_se_ns;
    rows[c].self_est |= est;
    if (open[c]++ == 0) {
      rows[c].incl += ps->total_ns;
      rows[c].entries += ps->count;
      rows[c].incl_var += ps->total_se_ns * ps->total_se_ns;
      rows[c].incl_est |= est;
    }
    if (paths[i].first_child != FATHOM_NONE) {
      i = paths[i].first_child;
      continue;
    }
    for (;;) {
      open[cid[paths[i].zone]]--;
      if (paths[i].next_sibling != FATHOM_NONE) {
        i = paths[i].next_sibling;
        break;
      }
      i = paths[i].parent;
      if (i == FATHOM_NONE) break;
    }
  }
  qsort(rows, nc, sizeof *rows, fz_comp_by_time);
  fz_section(tx, "Component breakdown");
  fputs("  total: time inside the component's outermost zones (its nested zones counted once);\n"
        "  self: time in its zones minus their child zones; avg: total per outermost call\n",
        tx->f);
  static const char *const head[] = {"component", "ops", "total", "% time", "self", "avg"};
  fz_tab t;
  fz_tab_init(&t, head, "lrrrrr");
  int clamped = 0;
  for (uint32_t k = 0; k < nc && k < FZ_MAX_ROWS; k++) {
    const fz_comp_row *r = &rows[k];
    char nm[256], ops[40], tot[64], pct[40], self[64], avg[64];
    fz_clean(nm, sizeof nm, r->name, FZ_NAME_W);
    int uncounted = r->ops == 0 && r->incl > 0;   /* stack samples: calls not counted */
    if (uncounted) snprintf(ops, sizeof ops, "-");
    else fz_fmt_count(ops, sizeof ops, r->ops);
    fz_fmt_dur_est(tot, sizeof tot, (double)r->incl, sqrt(r->incl_var), r->incl_est);
    fz_fmt_share(pct, sizeof pct, (double)r->incl, (double)top_ns, r->incl_est, &clamped);
    fz_fmt_dur_est(self, sizeof self, (double)r->self, sqrt(r->self_var), r->self_est);
    double n = (double)r->entries;
    if (uncounted) snprintf(avg, sizeof avg, "-");
    else fz_fmt_dur_est(avg, sizeof avg, n ? (double)r->incl / n : 0,
                        n ? sqrt(r->incl_var) / n : 0, r->incl_est);
    const char *cells[] = {nm, ops, tot, pct, self, avg};
    fz_tab_row(&t, cells);
  }
  rc = fz_tab_print(tx, &t);
  fz_clamp_note(tx, clamped);
  if (nc > FZ_MAX_ROWS) fz_more(tx, nc - FZ_MAX_ROWS, "components");
out:
  free(byc);
  free(cid);
  free(rows);
  free(open);
  return rc;
}

/* ---- top operations ---- */
typedef struct fz_zref {
  uint64_t total;
  const char *name;
  uint32_t zone;
} fz_zref;

static int fz_zref_cmp(const void *a, const void *b) {
  const fz_zref *x = a, *y = b;
  if (x->total != y->total) return x->total > y->total ? -1 : 1;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->zone < y->zone ? -1 : x->zone > y->zone);
}

/* Zone indices by total time (by_self 0) or self time (1), largest first (ties by name, then
 * index). NULL when out of memory (or no zones); the caller frees. */
static uint32_t *fz_zones_by(const fathom_profile *p, int by_self) {
  uint32_t nz = p->n_zones;
  fz_zref *zr = malloc((size_t)(nz ? nz : 1) * sizeof *zr);
  uint32_t *ord = malloc((size_t)(nz ? nz : 1) * sizeof *ord);
  if (!zr || !ord) {
    free(zr);
    free(ord);
    return NULL;
  }
  for (uint32_t z = 0; z < nz; z++) {
    const fathom_stats *st = &p->zones[z].stats;
    zr[z] = (fz_zref){by_self ? st->self_ns : st->total_ns,
                      p->zones[z].name ? p->zones[z].name : "", z};
  }
  qsort(zr, nz, sizeof *zr, fz_zref_cmp);
  for (uint32_t z = 0; z < nz; z++) ord[z] = zr[z].zone;
  free(zr);
  return ord;
}

static int fz_operations_self(const fz_tx *tx, const fathom_profile *p, uint64_t top_ns) {
  uint32_t *ord = fz_zones_by(p, 1);
  if (!ord) return FATHOM_E_NOMEM;
  uint32_t nz = p->n_zones, shown = nz < FZ_TOP_OPS ? nz : FZ_TOP_OPS;
  while (shown > 0 && p->zones[ord[shown - 1]].stats.self_ns == 0) shown--;
  fz_section(tx, "Top operations by self time (time in the zone itself, not in zones it calls)");
  static const char *const head[] = {"operation", "component", "calls", "self", "% time",
                                     "total", "self per call"};
  fz_tab t;
  fz_tab_init(&t, head, "llrrrrr");
  int clamped = 0;
  for (uint32_t k = 0; k < shown; k++) {
    const fathom_zone_info *z = &p->zones[ord[k]];
    const fathom_stats *st = &z->stats;
    int est = fathom_stats_estimated(st);
    char nm[256], cp[256], calls[40], tot[64], pct[40], self[64], per[64];
    fz_clean(nm, sizeof nm, z->name, FZ_NAME_W);
    fz_clean(cp, sizeof cp, fz_comp(z), 24);
    fz_fmt_calls(calls, sizeof calls, st);
    fz_fmt_dur_est(self, sizeof self, (double)st->self_ns, st->self_se_ns, est);
    fz_fmt_share(pct, sizeof pct, (double)st->self_ns, (double)top_ns, est, &clamped);
    fz_fmt_dur_est(tot, sizeof tot, (double)st->total_ns, st->total_se_ns, est);
    double c = (double)st->count;
    if (fathom_stats_uncounted(st)) snprintf(per, sizeof per, "-");
    else fz_fmt_dur_est(per, sizeof per, c > 0 ? (double)st->self_ns / c : 0,
                        c > 0 ? st->self_se_ns / c : 0, est);
    const char *cells[] = {nm, cp, calls, self, pct, tot, per};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  fz_clamp_note(tx, clamped);
  fz_more(tx, nz - shown, "operations");
  free(ord);
  return rc;
}

static int fz_operations(const fz_tx *tx, const fathom_profile *p, const uint32_t *ord,
                         uint64_t top_ns) {
  uint32_t nz = p->n_zones, shown = nz < FZ_TOP_OPS ? nz : FZ_TOP_OPS;

  int any_est = 0;
  for (uint32_t k = 0; k < shown; k++) any_est |= fathom_stats_estimated(&p->zones[ord[k]].stats);

  fz_section(tx, "Top operations by total time");
  /* with sampled timing, a "timed" column says how many calls the times rest on */
  static const char *const h1[] = {"operation", "component", "calls", "total", "% time", "self",
                                   "avg"};
  static const char *const h1t[] = {"operation", "component", "calls", "timed", "total",
                                    "% time", "self", "avg"};
  fz_tab t;
  fz_tab_init(&t, any_est ? h1t : h1, any_est ? "llrrrrrr" : "llrrrrr");
  int clamped = 0;
  for (uint32_t k = 0; k < shown; k++) {
    const fathom_zone_info *z = &p->zones[ord[k]];
    const fathom_stats *st = &z->stats;
    int est = fathom_stats_estimated(st);
    char nm[256], cp[256], calls[40], timed[40], tot[64], pct[40], self[64], avg[64];
    fz_clean(nm, sizeof nm, z->name, FZ_NAME_W);
    fz_clean(cp, sizeof cp, fz_comp(z), 24);
    if (fathom_stats_uncounted(st)) snprintf(calls, sizeof calls, "-");
    else fz_fmt_count(calls, sizeof calls, st->count);
    if (fathom_stats_uncounted(st)) snprintf(timed, sizeof timed, "-");
    else if (est) fz_fmt_count(timed, sizeof timed, st->timed);
    else snprintf(timed, sizeof timed, "all");
    fz_fmt_dur_est(tot, sizeof tot, (double)st->total_ns, st->total_se_ns, est);
    fz_fmt_share(pct, sizeof pct, (double)st->total_ns, (double)top_ns, est, &clamped);
    fz_fmt_dur_est(self, sizeof self, (double)st->self_ns, st->self_se_ns, est);
    if (fathom_stats_uncounted(st)) snprintf(avg, sizeof avg, "-");
    else fz_fmt_dur_est(avg, sizeof avg, st->mean_ns, fathom_stats_mean_se_ns(st), est);
    const char *cells[] = {nm, cp, calls, tot, pct, self, avg};
    const char *cells_t[] = {nm, cp, calls, timed, tot, pct, self, avg};
    fz_tab_row(&t, any_est ? cells_t : cells);
  }
  int rc = fz_tab_print(tx, &t);
  fz_clamp_note(tx, clamped);
  fz_more(tx, nz - shown, "operations");
  if (!rc) rc = fz_operations_self(tx, p, top_ns);

  uint32_t timed_ops = 0;   /* stack-sampled operations have no calls to time */
  for (uint32_t k = 0; k < shown; k++) timed_ops += !fathom_stats_uncounted(&p->zones[ord[k]].stats);
  if (!timed_ops) return rc;
  fz_section(tx, "Latency per call (the operations by total time)");
  static const char *const h2[] = {"operation", "p50", "p90", "p99", "p99.9", "min", "max",
                                   "stddev"};
  fz_tab_init(&t, h2, "lrrrrrrr");
  for (uint32_t k = 0; k < shown; k++) {
    const fathom_stats *s = &p->zones[ord[k]].stats;
    if (fathom_stats_uncounted(s)) continue;
    int est = fathom_stats_estimated(s);
    char nm[256], v[7][80];
    fz_clean(nm, sizeof nm, p->zones[ord[k]].name, FZ_NAME_W);
    static const int pk[4] = {0, 1, 3, 4};   /* p50, p90, p99, p99.9 */
    for (int c = 0; c < 4; c++) fz_fmt_pctl(v[c], sizeof v[c], s, pk[c]);
    /* sampled: the extremes are the timed calls', bounds of the true ones */
    char mn[40], mx[40];
    fz_fmt_dur(mn, sizeof mn, (double)s->min_ns);
    fz_fmt_dur(mx, sizeof mx, (double)s->max_ns);
    snprintf(v[4], sizeof v[4], "%s%s", est ? "\xe2\x89\xa4" : "", mn);
    snprintf(v[5], sizeof v[5], "%s%s", est ? "\xe2\x89\xa5" : "", mx);
    fz_fmt_dur_est(v[6], sizeof v[6], s->stddev_ns, 0, est);
    const char *cells[] = {nm, v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
    fz_tab_row(&t, cells);
  }
  int rc2 = fz_tab_print(tx, &t);
  return rc ? rc : rc2;
}

/* ---- call tree ---- */
/* The tree shows the paths that hold at least FZ_TREE_MIN_PCT % of the total time (a share,
 * not a depth, decides what is left out), puts a chain of wrappers on one line, and says how
 * many paths it hid and how much time they hold. */
typedef struct fz_titem {
  uint32_t i;        /* path (FATHOM_NONE: the line of the paths hidden under `par`) */
  uint32_t vdepth;   /* tree lines above it (its indentation) */
  uint32_t par;      /* hidden line: the path whose share it shows (FATHOM_NONE: top level) */
  uint32_t nhid;     /* hidden line: paths it stands for, with everything below them */
  uint64_t hid_ns;   /* hidden line: their inclusive time */
} fz_titem;

typedef struct fz_tree_ctx {
  const fathom_profile *p;
  const fz_path *paths;
  const uint32_t *size;   /* paths in each subtree */
  const uint64_t *kids;   /* children's inclusive time */
  uint64_t thr;           /* a path under this inclusive time is hidden */
  uint64_t top_ns;
} fz_tree_ctx;

/* What a share of the parent is taken of: its time, or its children's when estimates put
 * them above it, so the shares of siblings never add up to more than 100 %. */
static double fz_tree_whole(const fz_tree_ctx *c, uint32_t parent) {
  if (parent == FATHOM_NONE) return (double)c->top_ns;
  uint64_t pt = c->paths[parent].stats.total_ns, kt = c->kids[parent];
  return (double)(pt > kt ? pt : kt);
}

/* The only child of i that is shown, when it holds at least FZ_TREE_CHAIN_PCT % of i's time
 * (i is then a wrapper around it); else FATHOM_NONE. */
static uint32_t fz_tree_chain_next(const fz_tree_ctx *c, uint32_t i) {
  uint32_t only = FATHOM_NONE;
  for (uint32_t k = c->paths[i].first_child; k != FATHOM_NONE; k = c->paths[k].next_sibling) {
    if (c->paths[k].stats.total_ns < c->thr) continue;
    if (only != FATHOM_NONE) return FATHOM_NONE;
    only = k;
  }
  if (only == FATHOM_NONE) return FATHOM_NONE;
  double need = FZ_TREE_CHAIN_PCT / 100.0 * fz_tree_whole(c, i);
  return (double)c->paths[only].stats.total_ns >= need ? only : FATHOM_NONE;
}

/* "a > b > c", or "a > ... 5 more > x > y > z" for a long chain (len paths from first down
 * to last), at most maxw columns. */
static void fz_tree_chain_name(const fz_tree_ctx *c, uint32_t first, uint32_t last, uint32_t len,
                               char *b, size_t cap, size_t maxw) {
  uint32_t tail[FZ_TREE_CHAIN_SHOW], nt = 0;   /* last, its parent, ... */
  for (uint32_t j = last; j != first && nt < FZ_TREE_CHAIN_SHOW - 1; j = c->paths[j].parent)
    tail[nt++] = j;
  char tmp[1024];
  const char *nf = c->p->zones[c->paths[first].zone].name;
  int o = snprintf(tmp, sizeof tmp, "%s", nf ? nf : "");
  if (len - 1 > nt && o >= 0 && (size_t)o < sizeof tmp)
    o += snprintf(tmp + o, sizeof tmp - (size_t)o, " > ... %u more", len - 1 - nt);
  for (uint32_t k = nt; k-- > 0 && o >= 0 && (size_t)o < sizeof tmp;) {
    const char *n = c->p->zones[c->paths[tail[k]].zone].name;
    o += snprintf(tmp + o, sizeof tmp - (size_t)o, " > %s", n ? n : "");
  }
  fz_clean(b, cap, tmp, maxw);
}

/* Pushes the shown paths of the sibling list from `first` (in reverse, so they pop in
 * order); returns the new stack size. */
static size_t fz_tree_push(const fz_tree_ctx *c, fz_titem *stk, size_t sp, uint32_t first,
                           uint32_t vdepth, uint32_t par) {
  size_t end = sp;
  for (uint32_t k = first; k != FATHOM_NONE; k = c->paths[k].next_sibling)
    if (c->paths[k].stats.total_ns >= c->thr) end++;
  size_t q = end;
  for (uint32_t k = first; k != FATHOM_NONE; k = c->paths[k].next_sibling)
    if (c->paths[k].stats.total_ns >= c->thr) stk[--q] = (fz_titem){k, vdepth, par, 0, 0};
  return end;
}

/* Adds the hidden paths of the sibling list from `first` to *nh (with all below them) and
 * their time to *hn. */
static void fz_tree_hidden(const fz_tree_ctx *c, uint32_t first, uint32_t *nh, uint64_t *hn) {
  for (uint32_t k = first; k != FATHOM_NONE; k = c->paths[k].next_sibling)
    if (c->paths[k].stats.total_ns < c->thr) {
      *nh += c->size[k];
      *hn += c->paths[k].stats.total_ns;
    }
}

static int fz_tree(const fz_tx *tx, const fathom_profile *p, const fz_path *paths, uint32_t n,
                   uint32_t top, uint64_t top_ns) {
  uint32_t *size = malloc((size_t)(n ? n : 1) * sizeof *size);   /* paths in each subtree */
  uint64_t *kids = calloc(n ? n : 1, sizeof *kids);               /* children's inclusive time */
  fz_titem *stk = malloc((2 * (size_t)n + 2) * sizeof *stk);      /* a path and a hidden line each */
  if (!size || !kids || !stk) {
    free(size);
    free(kids);
    free(stk);
    return FATHOM_E_NOMEM;
  }
  for (uint32_t i = 0; i < n; i++) size[i] = 1;
  for (uint32_t i = n; i-- > 0;) {
    if (paths[i].parent == FATHOM_NONE) continue;
    size[paths[i].parent] += size[i];
    kids[paths[i].parent] += paths[i].stats.total_ns;
  }
  fz_tree_ctx c = {p, paths, size, kids, (uint64_t)ceil(FZ_TREE_MIN_PCT / 100.0 * (double)top_ns),
                   top_ns};
  if (c.thr == 0) c.thr = 1;   /* a path of no time at all says nothing */

  fz_section(tx, "Call tree (merged across threads)");
  static const char *const head[] = {"path", "calls", "inclusive", "self", "% parent",
                                     "threads"};
  fz_tab t;
  fz_tab_init(&t, head, "lrrrrr");
  uint32_t lines = 0, accounted = 0, chains = 0, hid_paths = 0;
  uint64_t hid_ns = 0;
  size_t sp = 0;
  uint32_t nh = 0;
  uint64_t hn = 0;
  fz_tree_hidden(&c, top, &nh, &hn);
  stk[sp++] = (fz_titem){FATHOM_NONE, 0, FATHOM_NONE, nh, hn};
  sp = fz_tree_push(&c, stk, sp, top, 0, FATHOM_NONE);
  while (sp > 0 && lines < FZ_TREE_LINES) {
    fz_titem it = stk[--sp];
    size_t ind = 2 * (size_t)(it.vdepth < FZ_TREE_INDENT ? it.vdepth : FZ_TREE_INDENT);
    char nm[1100], calls[40], inc[64], self[64], pct[40], thr[40];
    if (it.i == FATHOM_NONE) {   /* the paths hidden under it.par */
      hid_paths += it.nhid;
      hid_ns += it.hid_ns;
      accounted += it.nhid;
      if (it.nhid == 0 || it.hid_ns < c.thr) continue;   /* a line only when they weigh */
      char cnt[40];
      fz_fmt_count(cnt, sizeof cnt, it.nhid);
      snprintf(nm, sizeof nm, "%*s... %s smaller paths", (int)ind, "", cnt);
      fz_fmt_dur(inc, sizeof inc, (double)it.hid_ns);
      fz_fmt_share(pct, sizeof pct, (double)it.hid_ns, fz_tree_whole(&c, it.par), 0, NULL);
      const char *mc[] = {nm, "", inc, "", pct, ""};
      fz_tab_row(&t, mc);
      lines++;
      continue;
    }
    /* the chain of wrappers from it.i down to `last`: one line */
    uint32_t first = it.i, last = first, len = 1;
    for (uint32_t nx; (nx = fz_tree_chain_next(&c, last)) != FATHOM_NONE; len++) last = nx;
    uint64_t self_ns = 0;
    double self_var = 0;
    int self_est = 0;
    nh = 0;
    hn = 0;
    for (uint32_t j = last;; j = paths[j].parent) {
      const fathom_stats *s = &paths[j].stats;
      self_ns += s->self_ns;
      self_var += s->self_se_ns * s->self_se_ns;
      self_est |= fathom_stats_estimated(s);
      fz_tree_hidden(&c, paths[j].first_child, &nh, &hn);
      if (j == first) break;
    }
    const fathom_stats *st = &paths[first].stats;
    int est = fathom_stats_estimated(st);
    memset(nm, ' ', ind);
    if (len > 1) {
      fz_tree_chain_name(&c, first, last, len, nm + ind, sizeof nm - ind,
                         FZ_TREE_CHAIN_W - ind / 2);
      chains++;
    } else {
      fz_clean(nm + ind, sizeof nm - ind, p->zones[paths[first].zone].name, FZ_NAME_W - ind / 2);
    }
    if (fathom_stats_uncounted(st)) snprintf(calls, sizeof calls, "-");
    else fz_fmt_count(calls, sizeof calls, st->count);
    fz_fmt_dur_est(inc, sizeof inc, (double)st->total_ns, st->total_se_ns, est);
    fz_fmt_dur_est(self, sizeof self, (double)self_ns, sqrt(self_var), self_est);
    fz_fmt_share(pct, sizeof pct, (double)st->total_ns, fz_tree_whole(&c, paths[first].parent),
                 est, NULL);
    fz_fmt_count(thr, sizeof thr, paths[first].n_threads);
    const char *cells[] = {nm, calls, inc, self, pct, thr};
    fz_tab_row(&t, cells);
    lines++;
    accounted += len;
    /* below it: the last one's shown children, then the chain's hidden paths */
    stk[sp++] = (fz_titem){FATHOM_NONE, it.vdepth + 1, last, nh, hn};
    sp = fz_tree_push(&c, stk, sp, paths[last].first_child, it.vdepth + 1, last);
  }
  int rc = fz_tab_print(tx, &t);
  fz_on(tx, "2");
  if (chains)
    fprintf(tx->f, "  a > b > c: a chain of calls on one line, each holding %g%% or more of its "
                   "caller's time\n  (calls and inclusive time of the first; self time of them "
                   "all)\n", FZ_TREE_CHAIN_PCT);
  if (hid_paths) {
    char cnt[40], d[64];
    fz_fmt_count(cnt, sizeof cnt, hid_paths);
    fz_fmt_dur(d, sizeof d, (double)hid_ns);
    fprintf(tx->f, "  %s paths under %g%% of the total time are hidden (with the paths below "
                   "them); they hold %s\n", cnt, FZ_TREE_MIN_PCT, d);
  }
  fz_off(tx);
  fz_more(tx, n - accounted, "paths (line limit)");
  free(size);
  free(kids);
  free(stk);
  return rc;
}

static int fz_write_text_c(const fathom_profile *p, FILE *f, int color) {
  fz_tx tx = {f, color};
  fz_path *paths = NULL;
  uint32_t n = 0, top = FATHOM_NONE;
  int rc = fz_paths_build(p, &paths, &n, &top);
  if (!rc) rc = fz_paths_est_fill(p, paths, n);
  if (rc) {
    fz_paths_free(paths, n);
    return rc;
  }
  fz_totals tt = {0};
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_stats *st = &p->nodes[i].stats;
    int est = fathom_stats_estimated(st);
    tt.calls += st->count;
    tt.timed += st->timed ? st->timed : st->count;
    tt.any_est |= est;
    if (p->nodes[i].parent == FATHOM_NONE) {
      tt.top_ns += st->total_ns;
      tt.top_var += st->total_se_ns * st->total_se_ns;
      tt.top_est |= est;
    }
  }
  for (uint32_t z = 0; z < p->n_zones; z++)
    tt.any_est |= fathom_stats_estimated(&p->zones[z].stats);
  uint64_t top_ns = tt.top_ns;
  uint32_t *ord = fz_zones_by(p, 0);
  if (!ord) {
    fz_paths_free(paths, n);
    return FATHOM_E_NOMEM;
  }
  fz_header(&tx, p, &tt);
  rc = fz_text_findings(&tx, p);
  if (!rc) rc = fz_text_resources(&tx, p);
  if (!rc && n == 0) {
    fz_section(&tx, "Operations");
    fputs("  No zones were recorded.\n", f);
  } else if (!rc) {
    rc = fz_components(&tx, p, paths, top, top_ns);
    if (!rc) rc = fz_operations(&tx, p, ord, top_ns);
    if (!rc) rc = fz_text_mem_top(&tx, p);
    if (!rc) rc = fz_text_zone_res(&tx, p, ord, p->n_zones);
    if (!rc) rc = fz_tree(&tx, p, paths, n, top, top_ns);
    if (!rc) rc = fz_text_lines(&tx, p);
  }
  if (!rc) rc = fz_text_memory(&tx, p, paths, n);
  if (!rc && n) rc = fz_text_metrics(&tx, p);
  if (!rc) rc = fz_text_counters(&tx, p);
  if (!rc) rc = fz_text_throughput(&tx, p);
  if (!rc) rc = fz_text_windows(&tx, p);
  if (!rc) rc = fz_text_queries(&tx, p);
  if (!rc) rc = fz_text_requests(&tx, p);
  if (!rc) rc = fz_text_gpu(&tx, p);
  if (!rc) rc = fz_text_rankings(&tx, p);
  if (!rc) rc = fz_text_attempts(&tx, p);
  if (!rc) rc = fz_text_outcomes(&tx, p);
  if (!rc) rc = fz_text_locks(&tx, p);
  if (!rc) rc = fz_text_ext(&tx, p);
  if (!rc) rc = fz_text_processes(&tx, p);
  if (!rc) rc = fz_text_threads(&tx, p);
  if (!rc) rc = fz_text_governor(&tx, p);
  free(ord);
  fz_paths_free(paths, n);
  if (!rc && ferror(f)) rc = FATHOM_E_IO;
  return rc;
}

int fz_write_text(const fathom_profile *p, FILE *f, int color) {
  if (!p || !f) return FATHOM_E_INVAL;
  /* one number format everywhere ("1.50 ms"), matching the thousands separators used */
  locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  locale_t prev = c ? uselocale(c) : (locale_t)0;
  int rc = fz_write_text_c(p, f, color);
  if (c) {
    uselocale(prev);
    freelocale(c);
  }
  return rc;
}
