/* tune.c: the parallel map's auto-tune (which worker count runs the items fastest), and the
 * result written as text or JSON.
 *
 * Auto-tune runs the first items of the map (real work) in trials: each trial is a slice of
 * k consecutive items run with one candidate count (1, 2, 4, ... up to the pool's size), one
 * item at a time; a round runs every candidate once, in alternating order (so a drift in the
 * machine's load falls on all alike). Rounds go on, at least 3, until the best count stands
 * clear of the next (its mean throughput ahead by more than twice the error of the
 * difference), every mean is known to 2 %, or the sample is spent (it holds 6 rounds).
 * The choice: the fewest workers whose mean is within twice the difference's error of the
 * best's (within noise, fewer threads is the cheaper choice). A count above the online CPUs
 * is eligible only when the tasks spent at least a quarter of their time off the CPU (not
 * running and not waiting to run: sleep, I/O, locks), as the kernel's per-thread scheduler
 * figures say: tasks that keep a CPU busy cannot gain from more threads than CPUs, and a gain
 * measured there is CPU time taken from other programs.
 *
 * Invariant: the trials take a prefix [0, used) of the items, consecutive and disjoint, so the
 * caller runs [used, n) and every item runs once. Every figure of the curve is an estimate
 * (a mean of trials, with its standard error). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/jsonw.h"
#include "work/work.h"

#define MIN_ROUNDS 3
#define MAX_ROUNDS 6        /* the sample holds this many rounds */
#define OFF_CPU_MIN 0.25   /* share of task time off the CPU that lets counts above CPUs in */

typedef struct cand {
  unsigned workers, n;
  size_t chunk;
  double sum, sumsq;
  uint64_t items;
} cand;

static double mean_of(const cand *c) { return c->n ? c->sum / c->n : 0; }
static double err_of(const cand *c) {
  if (c->n < 2) return 0;
  double m = mean_of(c), var = (c->sumsq - c->n * m * m) / (c->n - 1);
  return var > 0 ? sqrt(var / c->n) : 0;
}
static double err2(const cand *a, const cand *b) {
  double ea = err_of(a), eb = err_of(b);
  return sqrt(ea * ea + eb * eb);
}

/* The chosen candidate among the eligible ones (elig[i] nonzero): the first, in the given
 * order (cheapest first), whose mean is within noise of the best; *best gets the best, and
 * *clear whether the choice is settled (the best leads the next by more than twice the
 * error, or every mean is known to 2 %). */
static int choose(const cand *c, const int *elig, int nc, int *best_out, int *clear) {
  int best = -1, second = -1;
  for (int i = 0; i < nc; i++) {
    if (!elig[i]) continue;
    if (best < 0 || mean_of(&c[i]) > mean_of(&c[best])) { second = best; best = i; }
    else if (second < 0 || mean_of(&c[i]) > mean_of(&c[second])) second = i;
  }
  int pick = best;
  for (int i = 0; i < nc; i++)
    if (elig[i] && mean_of(&c[best]) - mean_of(&c[i]) <= 2 * err2(&c[best], &c[i])) {
      pick = i;
      break;
    }
  int precise = 1;
  for (int i = 0; i < nc; i++)
    if (elig[i] && !(err_of(&c[i]) <= 0.02 * mean_of(&c[i]) && c[i].n >= 2)) precise = 0;
  *clear = precise || second < 0 ||
           mean_of(&c[best]) - mean_of(&c[second]) > 2 * err2(&c[best], &c[second]);
  *best_out = best;
  return pick;
}

typedef struct offacc {
  uint64_t off_ns, span_ns;
  int known;
} offacc;
static double off_share(const offacc *o) {
  return o->known && o->span_ns ? (double)o->off_ns / (double)o->span_ns : -1;
}

/* Rounds of trials of k items from *pos (at most `limit`), until settled or max_rounds.
 * elig: recomputed after each round when n_cpus is nonzero (worker counts), else all 1.
 * Returns the rounds run; *clear as choose's. */
static int measure(fz_pool *p, cand *c, int nc, int *elig, size_t k, size_t *pos, size_t limit,
                   int max_rounds, unsigned n_cpus, offacc *off, fathom_map_result *res,
                   int *clear) {
  int rounds = 0, best;
  fz_run_stats *st = &p->scratch;
  *clear = 0;
  while (rounds < max_rounds && *pos + (size_t)nc * k <= limit) {
    for (int j = 0; j < nc; j++) {
      cand *x = &c[rounds % 2 ? nc - 1 - j : j];
      fz_pool_run(p, x->workers, *pos, *pos + k, x->chunk, st);
      fz_result_add(res, st, x->workers);
      *pos += k;
      double t = (double)k / (st->wall_ns ? (double)st->wall_ns / 1e9 : 1e-9);
      x->n++;
      x->sum += t;
      x->sumsq += t * t;
      x->items += k;
      for (unsigned i = 0; i < x->workers; i++) {
        off->known = off->known && st->off_known[i];
        off->off_ns += st->off_cpu_ns[i];
        off->span_ns += st->span_ns[i];
      }
    }
    rounds++;
    double share = off_share(off);
    for (int i = 0; i < nc; i++)
      elig[i] = !n_cpus || c[i].workers <= n_cpus || share < 0 || share >= OFF_CPU_MIN;
    (void)choose(c, elig, nc, &best, clear);
    if (rounds >= MIN_ROUNDS && *clear) break;
  }
  return rounds;
}

static void fill_curve(fathom_map_point *pts, const cand *c, const int *elig, int nc) {
  for (int i = 0; i < nc; i++) {
    pts[i].workers = c[i].workers;
    pts[i].chunk = c[i].chunk;
    pts[i].trials = c[i].n;
    pts[i].items = c[i].items;
    pts[i].items_per_s = mean_of(&c[i]);
    pts[i].err = err_of(&c[i]);
    pts[i].eligible = elig[i];
  }
}

/* Chunk sizes 1, 4, 16, 64 with `workers`, on items [*pos, limit): as many as leave each
 * trial (3 rounds of all) at least 4 chunks per worker. Tried and compared largest first
 * (fewest hand-offs: the cheaper within noise). Returns the chosen chunk, or 0 when the items
 * left are too few for two sizes. */
static size_t tune_chunk(fz_pool *p, unsigned workers, size_t *pos, size_t limit, offacc *off,
                         fathom_map_result *res) {
  static const size_t sizes[FATHOM_MAP_MAX_CHUNKS] = {1, 4, 16, 64};
  size_t left = limit - *pos;
  int n = 0;
  while (n < FATHOM_MAP_MAX_CHUNKS &&
         left / ((size_t)(n + 1) * MIN_ROUNDS) >= 4 * (size_t)workers * sizes[n])
    n++;
  if (n < 2) return 0;
  cand c[FATHOM_MAP_MAX_CHUNKS];
  int elig[FATHOM_MAP_MAX_CHUNKS], clear = 0, best;
  memset(c, 0, sizeof c);
  for (int i = 0; i < n; i++) {
    c[i].workers = workers;
    c[i].chunk = sizes[n - 1 - i];
  }
  size_t k = left / ((size_t)n * MIN_ROUNDS);
  int rounds = measure(p, c, n, elig, k, pos, limit, MIN_ROUNDS, 0, off, res, &clear);
  if (rounds < 2) return 0;
  int pick = choose(c, elig, n, &best, &clear);
  res->n_chunk_curve = (unsigned)n;
  fill_curve(res->chunk_curve, c, elig, n);
  return c[pick].chunk;
}

unsigned fz_tune(fz_pool *p, size_t sample, unsigned max_workers, unsigned n_cpus,
                 fathom_map_result *res, size_t *used) {
  cand c[FATHOM_MAP_MAX_CURVE];
  int elig[FATHOM_MAP_MAX_CURVE], nc = 0;
  memset(c, 0, sizeof c);
  for (unsigned w = 1; w <= max_workers && nc < FATHOM_MAP_MAX_CURVE; w *= 2) c[nc++].workers = w;
  if (c[nc - 1].workers < max_workers && nc < FATHOM_MAP_MAX_CURVE) c[nc++].workers = max_workers;
  for (int i = 0; i < nc; i++) c[i].chunk = 1;
  size_t wlimit = sample - sample / 4;   /* the last quarter: chunk sizes */
  size_t k = wlimit / ((size_t)nc * MAX_ROUNDS);
  if (k < 4 * (size_t)max_workers) k = 4 * (size_t)max_workers;
  *used = 0;
  unsigned fallback = n_cpus < max_workers ? n_cpus : max_workers;
  if (nc < 2 || wlimit < 2 * (size_t)nc * k) {
    snprintf(res->decision, sizeof res->decision,
             "not tuned: %zu sample items, %zu needed; %u workers (online CPUs)", sample,
             (2 * (size_t)nc * k * 4 + 2) / 3, fallback);
    return fallback;
  }
  offacc off = {0, 0, 1};
  int clear = 0, best;
  size_t pos = 0;
  int rounds = measure(p, c, nc, elig, k, &pos, wlimit, MAX_ROUNDS, n_cpus, &off, res, &clear);
  res->off_cpu_share = off_share(&off);
  int pick = choose(c, elig, nc, &best, &clear);
  res->tuned = 1;
  res->n_curve = (unsigned)nc;
  fill_curve(res->curve, c, elig, nc);
  int next = -1;
  for (int i = 0; i < nc; i++)
    if (i != pick && elig[i] && (next < 0 || mean_of(&c[i]) > mean_of(&c[next]))) next = i;
  if (next >= 0) {
    res->margin = mean_of(&c[pick]) - mean_of(&c[next]);
    res->margin_err = err2(&c[pick], &c[next]);
  }
  if (mean_of(&c[0]) > 0) {
    double m1 = mean_of(&c[0]), mp = mean_of(&c[pick]), e1 = err_of(&c[0]) / m1,
           ep = err_of(&c[pick]) / mp;
    res->speedup = mp / m1;
    res->speedup_err = res->speedup * sqrt(e1 * e1 + ep * ep);
  }
  if (best != pick)
    snprintf(res->decision, sizeof res->decision,
             "%u worker%s: within noise of the best (%u), fewer taken; %d rounds%s",
             c[pick].workers, c[pick].workers == 1 ? "" : "s", c[best].workers, rounds,
             clear ? "" : ", not settled");
  else
    snprintf(res->decision, sizeof res->decision,
             "%u worker%s: the highest throughput%s; %d rounds%s", c[pick].workers,
             c[pick].workers == 1 ? "" : "s",
             next >= 0 && res->margin > 2 * res->margin_err ? ", clear of the next" : "",
             rounds, clear ? "" : ", not settled");
  res->chunk = tune_chunk(p, c[pick].workers, &pos, sample, &off, res);
  *used = pos;
  return c[pick].workers;
}

static void print_curve(FILE *f, const char *what, const fathom_map_point *pts, unsigned n,
                        int by_chunk, unsigned workers, size_t chunk) {
  fprintf(f, "  %8s %7s %16s %12s\n", what, "trials", "items/s (est.)", "+/- (s.e.)");
  for (unsigned i = 0; i < n; i++) {
    const fathom_map_point *pt = &pts[i];
    int chosen = by_chunk ? pt->chunk == chunk : pt->workers == workers;
    fprintf(f, "  %8zu %7u %16.1f %12.1f%s%s\n", by_chunk ? pt->chunk : (size_t)pt->workers,
            pt->trials, pt->items_per_s, pt->err, chosen ? "  <- chosen" : "",
            pt->eligible ? "" : "  (not eligible: tasks on the CPU)");
  }
}

int fathom_map_result_print(FILE *f, const fathom_map_result *r) {
  if (!f || !r) return FATHOM_E_INVAL;
  fprintf(f, "parallel map: %zu items in %.3f ms on %u worker%s (chunk %zu)\n", r->n_items,
          (double)r->wall_ns / 1e6, r->workers, r->workers == 1 ? "" : "s", r->chunk);
  fprintf(f, "  decision: %s\n", r->decision);
  if (r->tuned) {
    fprintf(f, "  tuning: %zu items (counted above) in %.3f ms", r->tune_items,
            (double)r->tune_ns / 1e6);
    if (r->off_cpu_share >= 0)
      fprintf(f, "; tasks off the CPU %.0f %% of their time", 100 * r->off_cpu_share);
    fputc('\n', f);
    print_curve(f, "workers", r->curve, r->n_curve, 0, r->workers, r->chunk);
    fprintf(f, "  margin over the next eligible: %.1f +/- %.1f items/s (est.)\n", r->margin,
            r->margin_err);
    if (r->speedup > 0)
      fprintf(f, "  speedup over one worker: %.2fx +/- %.2f (est.)\n", r->speedup,
              r->speedup_err);
    if (r->n_chunk_curve) {
      fprintf(f, "  chunk sizes with %u worker%s:\n", r->workers, r->workers == 1 ? "" : "s");
      print_curve(f, "chunk", r->chunk_curve, r->n_chunk_curve, 1, r->workers, r->chunk);
    }
  }
  fprintf(f, "  imbalance (max/mean busy, main run): %.2f; waiting for work: %.3f ms "
          "(all workers)\n", r->imbalance, (double)r->queue_wait_ns / 1e6);
  fprintf(f, "  %8s %10s %12s %12s\n", "worker", "tasks", "busy ms", "idle ms");
  for (unsigned i = 0; i < r->n_threads && i < FATHOM_MAP_MAX_WORKERS; i++)
    fprintf(f, "  %8u %10llu %12.3f %12.3f\n", i, (unsigned long long)r->tasks[i],
            (double)r->busy_ns[i] / 1e6, (double)r->idle_ns[i] / 1e6);
  return ferror(f) ? FATHOM_E_IO : 0;
}

static void key(FILE *f, const char *k) {
  fz_json_write_str(f, k, 0);
  fputc(':', f);
}
static void kv_u(FILE *f, const char *k, uint64_t v, const char *sep) {
  key(f, k);
  fz_json_write_u64(f, v);
  fputs(sep, f);
}
static void kv_d(FILE *f, const char *k, double v, const char *sep) {
  key(f, k);
  fz_json_write_double(f, v);
  fputs(sep, f);
}

static void write_curve(FILE *f, const fathom_map_point *pts, unsigned n) {
  fputc('[', f);
  for (unsigned i = 0; i < n; i++) {
    const fathom_map_point *pt = &pts[i];
    fputs(i ? ",{" : "{", f);
    kv_u(f, "workers", pt->workers, ",");
    kv_u(f, "chunk", pt->chunk, ",");
    kv_u(f, "trials", pt->trials, ",");
    kv_u(f, "items", pt->items, ",");
    kv_d(f, "items_per_s", pt->items_per_s, ",");
    kv_d(f, "err", pt->err, ",");
    key(f, "eligible");
    fputs(pt->eligible ? "true}" : "false}", f);
  }
  fputc(']', f);
}

/* Numbers without a locale (decimal point always), strings escaped. */
int fathom_map_result_json(FILE *f, const fathom_map_result *r) {
  if (!f || !r) return FATHOM_E_INVAL;
  fputc('{', f);
  kv_u(f, "n_items", r->n_items, ",");
  kv_u(f, "workers", r->workers, ",");
  kv_u(f, "chunk", r->chunk, ",");
  key(f, "tuned");
  fputs(r->tuned ? "true," : "false,", f);
  key(f, "decision");
  fz_json_write_str(f, r->decision, 0);
  fputc(',', f);
  kv_u(f, "wall_ns", r->wall_ns, ",");
  kv_u(f, "tune_ns", r->tune_ns, ",");
  kv_u(f, "tune_items", r->tune_items, ",");
  kv_u(f, "queue_wait_ns", r->queue_wait_ns, ",");
  kv_d(f, "imbalance", r->imbalance, ",");
  kv_d(f, "speedup", r->speedup, ",");
  kv_d(f, "speedup_err", r->speedup_err, ",");
  kv_d(f, "margin", r->margin, ",");
  kv_d(f, "margin_err", r->margin_err, ",");
  kv_d(f, "off_cpu_share", r->off_cpu_share, ",");
  key(f, "per_worker");
  fputc('[', f);
  for (unsigned i = 0; i < r->n_threads && i < FATHOM_MAP_MAX_WORKERS; i++) {
    fputs(i ? ",{" : "{", f);
    kv_u(f, "tasks", r->tasks[i], ",");
    kv_u(f, "busy_ns", r->busy_ns[i], ",");
    kv_u(f, "idle_ns", r->idle_ns[i], "}");
  }
  fputs("],", f);
  key(f, "curve");
  write_curve(f, r->curve, r->n_curve);
  fputc(',', f);
  key(f, "chunk_curve");
  write_curve(f, r->chunk_curve, r->n_chunk_curve);
  fputs("}\n", f);
  return ferror(f) ? FATHOM_E_IO : 0;
}
