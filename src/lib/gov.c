/* gov.c: the overhead governor (seed 000's adaptive overhead management). Every tick (the
 * monitor thread calls it every 100 ms) it estimates what fathom cost since the last tick:
 * timed calls x the calibrated zone cost + counted-only calls x their cost + probed calls x
 * the probe cost + the monitor thread's CPU time, over the process CPU time of the same
 * interval. Over the level's budget (max_overhead_percent), it thins the call paths that
 * cost most, in this order: probe 8x fewer calls (FATHOM_GOV_PROBES_THINNED), then no
 * probes on that path (FATHOM_GOV_DOWNGRADED: recorded at BASIC), then time only 1 call in
 * N and count the rest (FATHOM_GOV_TIME_SAMPLED, N x8 per step), until the estimate falls
 * under 70 % of the budget. It also refills each thread's probe allowance for the next tick,
 * which bounds the probes' cost before any decision is made. Decisions are kept for the
 * session (never relaxed: a path that was hot stays thinned) and every one is reported.
 *
 * Invariant: runs on the monitor thread only, under fz_g.lock; it writes the nodes'
 * g_* fields (its own) and their p_every/t_every/gov/key with relaxed stores. */
#include <stdlib.h>
#include <string.h>

#include "gov.h"
#include "monitor.h"
#include "record.h"

#define TICK_NS 100000000ull      /* the steady tick; probe allowances are per TICK_NS */
#define EARLY_TICK_NS 10000000ull /* during the first EARLY_NS of a session */
#define EARLY_NS 1000000000ull
#define MAX_ACTIONS 1024
#define MAX_T_EVERY (1u << 20)

static struct {
  int enabled;                         /* the session wants ticks (atomic: read unlocked) */
  int primed;
  uint64_t start_ns;                   /* CLOCK_MONOTONIC at the reset (atomic) */
  uint64_t last_cpu, last_mon;
  uint32_t n_acts;
  fathom_gov_action acts[MAX_ACTIONS]; /* zone holds the site id until collected */
} G;

typedef struct cand {
  fz_node *n;
  double cost, dc, du, dp;
} cand;

uint64_t fz_gov_tick_ns(uint64_t now_ns) {
  return now_ns < FZ_LD(G.start_ns) + EARLY_NS ? EARLY_TICK_NS : TICK_NS;
}

int fz_gov_wanted(void) { return FZ_LD(G.enabled) && FZ_LD(fz_rec_gen) != 0; }

void fz_gov_reset(void) {
  /* baselines from now: nodes start at zero, so the first tick can already decide */
  FZ_ST(G.enabled, fz_g.cfg.governor && fz_g.cfg.level != FATHOM_LEVEL_DISABLED);
  G.primed = 1;
  FZ_ST(G.start_ns, fz_mono_ns());
  G.last_cpu = fz_process_cpu_ns();
  G.last_mon = fz_monitor_cpu_ns();
  G.n_acts = 0;
}

/* Smallest power of two >= x, within [lo, hi]. */
static uint32_t pow2_in(double x, uint32_t lo, uint32_t hi) {
  uint32_t v = lo;
  while (v < hi && (double)v < x) v *= 2;
  return v;
}

int32_t fz_gov_probe_tokens(void) {
  if (fz_g.cfg.level < FATHOM_LEVEL_DETAILED || fz_g.probe_cost_ns <= 0) return INT32_MAX;
  /* half the budget of a thread busy for a whole tick */
  double ns = fz_g.cfg.max_overhead_percent / 100.0 * (double)TICK_NS * 0.5;
  double k = ns / fz_g.probe_cost_ns;
  if (k < 4) k = 4;
  if (k > 1e6) k = 1e6;
  return (int32_t)k;
}

static void act(uint64_t now, fz_node *n, uint32_t bit, uint32_t value, double pct) {
  FZ_ST(n->gov, n->gov | bit);
  if (G.n_acts == MAX_ACTIONS) return;
  G.acts[G.n_acts++] = (fathom_gov_action){now > fz_g.start_mono_ns ? now - fz_g.start_mono_ns : 0,
                                           n->site_id, bit, value, pct};
}

static int cmp_cost(const void *a, const void *b) {
  double x = ((const cand *)a)->cost, y = ((const cand *)b)->cost;
  return x < y ? 1 : x > y ? -1 : 0;
}

/* Every node of the session's threads, with its cost since the last tick. */
static cand *gather(size_t *n_out, double *total, uint64_t tick_ns) {
  size_t cap = 1024, n = 0;
  cand *v = malloc(cap * sizeof *v);
  fz_node **stack = malloc(4096 * sizeof *stack);
  if (!v || !stack) {
    free(v);
    free(stack);
    return NULL;
  }
  uint32_t g = fz_g.session_gen;
  /* the allowance until the next tick, in proportion to its length */
  int32_t tokens = fz_g.ptokens_per_tick;
  if (tokens != INT32_MAX && tick_ns < TICK_NS) {
    tokens = (int32_t)((double)tokens * (double)tick_ns / (double)TICK_NS);
    if (tokens < 1) tokens = 1;
  }
  for (fz_thread *t = fz_g.threads; t; t = t->next) {
    if (FZ_LD(t->gen) != g || t->hidden) continue;
    FZ_ST(t->ptokens, tokens);
    size_t sp = 0;
    for (fz_node *c = FZ_LDA(t->root.first_child); c && sp < 4096; c = c->next_sibling) stack[sp++] = c;
    while (sp) {
      fz_node *x = stack[--sp];
      for (fz_node *c = FZ_LDA(x->first_child); c && sp < 4096; c = c->next_sibling) stack[sp++] = c;
      if (x->flags & FZ_NODE_MUTED) continue;
      uint64_t cnt = FZ_LD(x->count), un = FZ_LD(x->untimed), pr = FZ_LD(x->psamples);
      double dc = (double)(cnt - x->g_count), du = (double)(un - x->g_untimed),
             dp = (double)(pr - x->g_probes);
      x->g_count = cnt;
      x->g_untimed = un;
      x->g_probes = pr;
      double cost = dc * fz_g.zone_cost_ns + du * fz_g.untimed_cost_ns + dp * fz_g.probe_cost_ns;
      *total += cost;
      if (cost <= 0) continue;
      if (n == cap) {
        cand *nv = realloc(v, cap * 2 * sizeof *v);
        if (!nv) break;
        v = nv;
        cap *= 2;
      }
      v[n++] = (cand){x, cost, dc, du, dp};
    }
  }
  free(stack);
  *n_out = n;
  return v;
}

void fz_gov_tick(uint64_t now) {
  pthread_mutex_lock(&fz_g.lock);
  if (!fz_g.active || !fz_g.cfg.governor || fz_g.cfg.level == FATHOM_LEVEL_DISABLED) {
    pthread_mutex_unlock(&fz_g.lock);
    return;
  }
  uint64_t cpu = fz_process_cpu_ns(), mon = fz_monitor_cpu_ns();
  double total = 0;
  size_t n = 0;
  cand *v = gather(&n, &total, fz_gov_tick_ns(now));
  if (!G.primed || !v) { /* no baselines yet (or no memory): take them */
    G.primed = 1;
    G.last_cpu = cpu;
    G.last_mon = mon;
    free(v);
    pthread_mutex_unlock(&fz_g.lock);
    return;
  }
  double dcpu = (double)(cpu - G.last_cpu);
  total += (double)(mon - G.last_mon);
  G.last_cpu = cpu;
  G.last_mon = mon;
  double budget = fz_g.cfg.max_overhead_percent;
  double pct = dcpu > 0 ? 100.0 * total / dcpu : 0;
  if (pct > budget && dcpu > 0) {
    double excess = total - 0.7 * budget / 100.0 * dcpu;
    qsort(v, n, sizeof *v, cmp_cost);
    for (size_t i = 0; i < n && excess > 0; i++) {
      fz_node *x = v[i].n;
      if (v[i].cost < 0.01 * total) break;
      uint32_t pe = FZ_LD(x->p_every);
      double probe_cost = v[i].dp * fz_g.probe_cost_ns;
      if (pe && probe_cost > 0.25 * v[i].cost) {
        /* probing 1 in np instead of 1 in pe saves probe_cost * (1 - pe/np) */
        double keep = probe_cost - excess;
        uint32_t np = keep > 0 ? pow2_in(2.0 * pe * probe_cost / keep, pe * 8, 1u << 17) : (1u << 17);
        if (np > 65536) {
          FZ_ST(x->p_every, 0);
          act(now, x, FATHOM_GOV_DOWNGRADED, 0, pct);
          excess -= probe_cost;
        } else {
          FZ_ST(x->p_every, np);
          act(now, x, FATHOM_GOV_PROBES_THINNED, np, pct);
          excess -= probe_cost * (1.0 - (double)pe / np);
        }
      } else {
        if (pe) { /* probes are not what it costs: stop them anyway, then thin timing */
          FZ_ST(x->p_every, 0);
          act(now, x, FATHOM_GOV_DOWNGRADED, 0, pct);
          excess -= probe_cost;
        }
        uint32_t te = FZ_LD(x->t_every);
        if (te < 1) te = 1;
        double gain = fz_g.zone_cost_ns - fz_g.untimed_cost_ns;
        if (te < MAX_T_EVERY && gain > 0) {
          /* timing 1 in nt instead of 1 in te saves calls * gain * (1/te - 1/nt) */
          double calls = v[i].dc + v[i].du, most = calls * gain / te;
          double rest = most - excess;
          uint32_t nt = rest > 0 ? pow2_in(2.0 * te * most / rest, te * 8, MAX_T_EVERY) : MAX_T_EVERY;
          FZ_ST(x->t_every, nt);
          act(now, x, FATHOM_GOV_TIME_SAMPLED, nt, pct);
          excess -= calls * gain * (1.0 / te - 1.0 / nt);
        }
      }
      fz_node_update_special(x);
    }
  }
  free(v);
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
