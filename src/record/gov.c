/* gov.c: the overhead governor. Every tick (a task of the scheduler, util/sched.h: every
 * 10 ms during a session's first 200 ms, then every 100 ms) it decides again, for every call
 * path, which share of its calls is timed and which share of its timed calls is probed, so
 * that what the zones cost stays within the level's budget of the program's CPU time
 * (max_overhead_percent). Only the zones' own cost counts: fathom's fixed costs (session
 * setup, this background thread, writing outputs) are reported apart and never thin a zone.
 *
 * How it decides: over the last tick each path made r calls per second; its calls last m ns
 * on average (the estimate of the whole run so far). Counting a call costs untimed_cost_ns
 * whatever is done (the floor); timing it costs zone_cost_ns (hook_cost_ns for a function)
 * more or less. A path whose calls are long enough that timing every one fits the budget
 * (m >= zone_cost_ns / budget) is always timed in full. The rest of the budget is shared by
 * water-filling: every other path gets the same number of timed calls per second (or all
 * of its calls, if it makes fewer), so rare paths are timed in full and the hottest are
 * sampled, 1 call in N at random (record/special.c), N a power of two. Probes
 * (paths whose component runs at DETAILED or COMPREHENSIVE) are shared the same way among timed calls with what timing
 * leaves (at most half the budget while timing needs the rest). Decisions are made again
 * at every tick from the latest rates, so a path is timed more again as soon as its call
 * rate falls; every change is logged (at most MAX_ACTIONS) and reported.
 *
 * Invariant: runs on the scheduler's thread only, under fz_g.lock; it writes the nodes' g_*
 * fields (its own) and their p_every/t_every/gov/key with relaxed stores, the key last
 * (release), asking the owner to redraw its countdowns. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record/gov.h"
#include "util/sched.h"
#include "record/record.h"
#include "record/sampler.h"

#define TICK_NS 100000000ull      /* the steady tick */
#define EARLY_TICK_NS 10000000ull /* during the first EARLY_NS of a session */
#define EARLY_NS 200000000ull
#define MAX_ACTIONS 1024
#define MAX_T_EVERY (1u << 10) /* timing 1 call in 1024 costs a few % of counting them */
#define MAX_P_EVERY (1u << 16)

static struct {
  int enabled;                         /* the session wants ticks (atomic: read unlocked) */
  uint64_t start_ns;                   /* CLOCK_MONOTONIC at the reset (atomic) */
  uint64_t last_ns, last_cpu, last_mon;
  double last_meas;                    /* the CPU sampler's measure of fathom so far, ns */
  double k;                            /* measured over calibrated cost (in situ), 1 at first */
  uint64_t last_periods;               /* the sampler's periods in fathom so far */
  uint32_t n_acts;
  uint64_t dropped_acts;
  fathom_gov_action acts[MAX_ACTIONS]; /* zone holds the site id until collected */
} G;

typedef struct cand {
  fz_node *n;
  double rate;        /* calls per second over the last tick */
  double mean_ns;     /* mean duration of a call, whole run so far */
  double ct, cu;      /* its timed and counted-only costs, ns */
  double t_rate;      /* timed calls per second it gets */
  uint32_t te;        /* its timing interval */
  int probe;          /* the path is probed at this level */
} cand;

uint64_t fz_gov_tick_ns(uint64_t now_ns) {
  return now_ns < FZ_LD(G.start_ns) + EARLY_NS ? EARLY_TICK_NS : TICK_NS;
}

int fz_gov_wanted(void) { return FZ_LD(G.enabled) && FZ_LD(fz_rec_gen) != 0; }

void fz_gov_reset(void) {
  /* baselines from now: nodes start at zero, so the first tick can already decide */
  FZ_ST(G.enabled, fz_g.cfg.governor && fz_g.cfg.level != FATHOM_LEVEL_DISABLED);
  uint64_t now = fz_mono_ns();
  FZ_ST(G.start_ns, now);
  G.last_ns = now;
  G.last_cpu = fz_process_cpu_ns();
  G.last_mon = fz_sched_cpu_ns();
  G.n_acts = 0;
  G.dropped_acts = 0;
  G.k = 1;
  G.last_meas = 0;
  G.last_periods = 0;
}

/* What the CPU sampler has measured of fathom on the session's threads so far, ns, and the
 * periods spent there (caller holds fz_g.lock). */
static double measured_so_far(uint64_t *periods) {
  double per = (double)fz_sampler_period_ns(), sig = fz_sampler_cost_ns(), ns = 0;
  *periods = 0;
  for (fz_thread *t = fz_g.threads; t; t = t->next) {
    if (FZ_LD(t->gen) != fz_g.session_gen || t->hidden) continue;
    uint64_t f = FZ_LD(t->s_fathom);
    *periods += f;
    ns += (double)f * per + (double)FZ_LD(t->s_sig) * sig;
  }
  return ns;
}

/* Smallest power of two >= x, within [1, hi]. */
static uint32_t pow2_ceil(double x, uint32_t hi) {
  uint32_t v = 1;
  while (v < hi && (double)v < x) v *= 2;
  return v;
}

static void act(uint64_t now, fz_node *n, uint32_t bit, uint32_t value, double pct) {
  FZ_ST(n->gov, n->gov | bit);
  if (G.n_acts == MAX_ACTIONS) {
    G.dropped_acts++;
    return;
  }
  G.acts[G.n_acts++] = (fathom_gov_action){now > fz_g.start_mono_ns ? now - fz_g.start_mono_ns : 0,
                                           n->site_id, bit, value, pct};
}

/* Every recorded path of the session's threads with its rate over the last dt_s seconds;
 * *cost receives what the zones cost over the tick (ns). */
static cand *gather(size_t *n_out, double dt_s, double *cost) {
  size_t cap = 1024, n = 0;
  cand *v = malloc(cap * sizeof *v);
  if (!v) return NULL;
  uint32_t g = fz_g.session_gen;
  for (fz_thread *t = fz_g.threads; t; t = t->next) {
    if (FZ_LD(t->gen) != g || t->hidden) continue;
    uint64_t nn = FZ_LDA(t->n_nodes);
    for (uint64_t i = 0; i < nn; i++) {
      fz_node *x = fz_node_at(t, i);
      if (x->flags & FZ_NODE_MUTED) continue;
      uint64_t timed = FZ_LD(x->count) + FZ_LD(x->s_n), un = FZ_LD(x->untimed),
               pr = FZ_LD(x->psamples);
      double dt = (double)(timed - x->g_timed), du = (double)(un - x->g_untimed),
             dp = (double)(pr - x->g_probes);
      x->g_timed = timed;
      x->g_untimed = un;
      x->g_probes = pr;
      int fn = (x->flags & FZ_NODE_FUNC) != 0;
      /* a path sampled or probed takes the special path (or will, once thinned) */
      double ct = fn ? fz_g.hook_sp_ns : fz_g.zone_sp_ns;
      double cu = fn ? fz_g.hook_untimed_ns : fz_g.untimed_cost_ns;
      *cost += dt * ct + du * cu + dp * fz_g.probe_cost_ns;
      if (dt + du <= 0 && FZ_LD(x->t_every) <= 1) continue; /* idle and timed in full */
      /* the mean duration so far, all calls (timed ones weigh their sampling weight) */
      uint64_t c1 = FZ_LD(x->count), sw = FZ_LD(x->s_w);
      double tot = (double)FZ_LD(x->total), swd;
      uint64_t bits = FZ_LD(x->s_wd);
      memcpy(&swd, &bits, sizeof swd);
      double w = (double)c1 + (double)sw;
      double mean = w > 0 ? (tot + swd) / w * fz_ns_per_tick() : 0;
      if (n == cap) {
        cand *nv = realloc(v, cap * 2 * sizeof *v);
        if (!nv) break;
        v = nv;
        cap *= 2;
      }
      /* probed or not: its component's level, decided when the node was made */
      v[n++] = (cand){x, (dt + du) / dt_s, mean, ct, cu, 0, 1, (x->flags & FZ_NODE_PROBE) != 0};
    }
  }
  *n_out = n;
  return v;
}

static int cmp_rate(const void *a, const void *b) {
  double x = (*(cand *const *)a)->rate, y = (*(cand *const *)b)->rate;
  return x < y ? -1 : x > y;
}

/* Water-filling: grants each of the k candidates (sorted by need, ascending) min(need_i,
 * lambda) units, lambda as large as sum(grant_i * unit_i) <= budget allows. Fills grant[]
 * (uses grant[] for the suffix sums of unit first). */
static void water_fill(cand **v, size_t k, double budget, double (*need)(const cand *),
                       double (*unit)(const cand *), double *grant) {
  double rest = 0;
  for (size_t i = k; i-- > 0;) {
    rest += unit(v[i]);
    grant[i] = rest; /* sum of unit over v[i..k) */
  }
  double left = budget;
  for (size_t i = 0; i < k; i++) {
    double lambda = grant[i] > 0 && left > 0 ? left / grant[i] : 0;
    double nd = need(v[i]);
    double g = nd < lambda ? nd : lambda;
    grant[i] = g;
    left -= g * unit(v[i]);
  }
}

static double need_calls(const cand *c) { return c->rate; }
static double unit_time(const cand *c) { return c->ct > c->cu ? c->ct - c->cu : 0; }
static double need_probes(const cand *c) { return c->t_rate; }
static double unit_probe(const cand *c) { (void)c; return fz_g.probe_cost_ns; }

/* Sets n's timing interval to te and probing interval to pe, asking its owner to redraw. */
static void apply(uint64_t now, fz_node *x, uint32_t te, uint32_t pe, double pct) {
  uint32_t ote = FZ_LD(x->t_every), ope = FZ_LD(x->p_every);
  if (ote < 1) ote = 1;
  if (te == ote && pe == ope) return;
  FZ_ST(x->t_every, te);
  FZ_ST(x->p_every, pe);
  if (te != ote) act(now, x, FATHOM_GOV_TIME_SAMPLED, te, pct);
  if (pe != ope && pe != 1) act(now, x, pe ? FATHOM_GOV_PROBES_THINNED : FATHOM_GOV_DOWNGRADED, pe, pct);
  __atomic_store_n(&x->key, fz_node_key_for(x, 1, 1), __ATOMIC_RELEASE);
}

void fz_gov_tick(uint64_t now) {
  pthread_mutex_lock(&fz_g.lock);
  if (!fz_g.active || !fz_g.cfg.governor || fz_g.cfg.level == FATHOM_LEVEL_DISABLED ||
      !FZ_LD(fz_rec_gen)) {
    pthread_mutex_unlock(&fz_g.lock);
    return;
  }
  uint64_t cpu = fz_process_cpu_ns(), mon = fz_sched_cpu_ns();
  double dt_s = (double)(now - G.last_ns) / 1e9;
  /* the program's CPU over the tick: the process's less this thread's own */
  double dcpu = (double)(cpu - G.last_cpu) - (double)(mon - G.last_mon);
  G.last_ns = now;
  G.last_cpu = cpu;
  G.last_mon = mon;
  if (dt_s <= 0) {
    pthread_mutex_unlock(&fz_g.lock);
    return;
  }
  double cost = 0;
  size_t n = 0;
  cand *v = gather(&n, dt_s, &cost);
  /* in situ: what the sampler measured of fathom over the tick, against the calibrated
   * estimate; the costs below are scaled by their ratio (smoothed, within [1/4, 8]) once the
   * tick had enough samples in fathom to say */
  if (fz_g.sampling) {
    uint64_t periods = 0;
    double meas = measured_so_far(&periods), dm = meas - G.last_meas;
    G.last_meas = meas;
    uint64_t dp = periods - G.last_periods;
    G.last_periods = periods;
    if (dp >= 20 && cost > 0) {
      double k = dm / cost;
      if (k < 0.25) k = 0.25;
      if (k > 8) k = 8;
      G.k = 0.5 * G.k + 0.5 * k;
    }
  }
  if (v)
    for (size_t i = 0; i < n; i++) {
      v[i].ct *= G.k;
      v[i].cu *= G.k;
    }
  cost *= G.k;
  cand **short_v = v ? malloc((n ? n : 1) * sizeof *short_v) : NULL;
  double *grant = v ? malloc((n ? n : 1) * sizeof *grant) : NULL;
  if (!v || !short_v || !grant) {
    free(v);
    free(short_v);
    free(grant);
    pthread_mutex_unlock(&fz_g.lock);
    return;
  }
  if (dcpu < 0) dcpu = 0;
  double frac = fz_g.cfg.max_overhead_percent / 100.0;
  double pct = dcpu > cost ? 100.0 * cost / (dcpu - cost) : 0;
  /* ns of zone cost per second: 80 % of the budget, so that the noise of one tick's rates
   * does not carry the next over it */
  double own = dcpu - cost; /* the program's own CPU over the tick */
  if (own < 0.01 * dcpu) own = 0.01 * dcpu;
  double budget = 0.8 * frac * own / dt_s;
  /* the floor: counting every call */
  double floor_ns = 0;
  for (size_t i = 0; i < n; i++) floor_ns += v[i].rate * v[i].cu;
  double left = budget - floor_ns;
  /* paths whose calls are long enough are timed in full; the rest share what is left */
  size_t ns = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i].mean_ns * frac >= v[i].ct || v[i].rate <= 0) {
      v[i].te = 1;
      v[i].t_rate = v[i].rate;
      left -= v[i].rate * unit_time(&v[i]);
    } else {
      short_v[ns++] = &v[i];
    }
  }
  int probes = 0; /* some path is probed (its component's level asks for it) */
  for (size_t i = 0; i < n && fz_g.probe_cost_ns > 0; i++) probes |= v[i].probe;
  double t_budget = left > 0 ? left : 0;
  if (probes) t_budget *= 0.5; /* timing before probes, but not all of it */
  qsort(short_v, ns, sizeof *short_v, cmp_rate);
  water_fill(short_v, ns, t_budget, need_calls, unit_time, grant);
  for (size_t i = 0; i < ns; i++) {
    cand *c = short_v[i];
    /* the interval it gets, a power of two (at most MAX_T_EVERY: timing 1 call in that many
     * costs little beside counting them all), and the timed rate that gives */
    c->te = grant[i] >= c->rate ? 1 : pow2_ceil(grant[i] > 0 ? c->rate / grant[i] : 1e30, MAX_T_EVERY);
    c->t_rate = c->rate / c->te;
    left -= c->t_rate * unit_time(c);
  }
  /* probes: paths whose calls are long enough are probed on every timed call */
  size_t np = 0;
  if (probes) {
    for (size_t i = 0; i < n; i++) {
      if (!v[i].probe) continue;
      if (v[i].mean_ns * frac >= fz_g.probe_cost_ns) {
        left -= v[i].t_rate * fz_g.probe_cost_ns;
        v[i].probe = 2; /* every timed call */
      } else {
        short_v[np++] = &v[i];
      }
    }
    for (size_t i = 1; i < np; i++) { /* by timed rate, ascending (insertion: np is small) */
      cand *c = short_v[i];
      size_t j = i;
      while (j > 0 && short_v[j - 1]->t_rate > c->t_rate) { short_v[j] = short_v[j - 1]; j--; }
      short_v[j] = c;
    }
    water_fill(short_v, np, left > 0 ? left : 0, need_probes, unit_probe, grant);
  }
  for (size_t i = 0; i < n; i++) {
    cand *c = &v[i];
    if (c->rate <= 0) continue; /* no calls this tick: keep what it had */
    uint32_t te = c->te;
    uint32_t pe = FZ_LD(c->n->p_every);
    if (c->probe == 2) pe = 1;
    apply(now, c->n, te, pe, pct);
  }
  for (size_t i = 0; i < np; i++) {
    cand *c = short_v[i];
    /* nothing left for probes: none on this path (recorded at BASIC) until there is */
    uint32_t pe = grant[i] >= c->t_rate ? 1
                  : grant[i] * MAX_P_EVERY < c->t_rate ? 0 : pow2_ceil(c->t_rate / grant[i], MAX_P_EVERY);
    if (c->rate > 0) apply(now, c->n, FZ_LD(c->n->t_every), pe, pct);
  }
  free(v);
  free(short_v);
  free(grant);
  pthread_mutex_unlock(&fz_g.lock);
}

int fz_gov_collect(fathom_profile *p, uint32_t (*zone_of)(void *ctx, uint32_t site_id), void *ctx) {
  if (!G.n_acts) return 0;
  fathom_gov_action *a = calloc(G.n_acts, sizeof *a);
  if (!a) return FATHOM_E_NOMEM;
  uint32_t k = 0;
  for (uint32_t i = 0; i < G.n_acts; i++) {
    a[k] = G.acts[i];
    a[k].zone = zone_of(ctx, G.acts[i].zone);
    k++;
  }
  p->gov_actions = a;
  p->n_gov_actions = k;
  return 0;
}
