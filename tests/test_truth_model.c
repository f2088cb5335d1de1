/* test_truth_model.c: where fathom puts the time, at the DEFAULT configuration, against
 * ground truth that the test measures itself (truth_fixture.h says how): a zone's probed CPU
 * time beside its wall time (sleep beside spin at DETAILED, against the thread's CPU clock),
 * the call tree's nodes (deep recursion: one node per depth, totals nested), each thread's
 * top-level totals (four threads). Every profile built here must also pass
 * fathom_profile_check and the local invariants of truth_fixture.h. (test_truth.c: the
 * governor's estimates on one thread.)
 *
 * Invariant: worker threads never call cmocka asserts; they fill their own record, which the
 * main thread checks after joining them. */
#include <pthread.h>
#include <sys/syscall.h>

#include "truth_fixture.h"

/* ---- 1. sleep beside spin at DETAILED ---------------------------------------------------- */

enum { SS_N = 10 };
#define SS_NS 50000000u

static double cpu_of(const fathom_res *r, int *have) {
  *have = 1;
  if (r->mask >> FATHOM_RES_CPU_NS & 1) return r->sum[FATHOM_RES_CPU_NS];
  if ((r->mask >> FATHOM_RES_CPU_USER_NS & 1) && (r->mask >> FATHOM_RES_CPU_SYS_NS & 1))
    return r->sum[FATHOM_RES_CPU_USER_NS] + r->sum[FATHOM_RES_CPU_SYS_NS];
  *have = 0;
  return 0;
}

/* cpu_truth: the CPU of all SS_N calls; cmin, cmax: of the cheapest and the dearest call */
static void check_sleep_spin(const char *name, const fathom_zone_info *z, truth wall,
                             double cpu_truth, double cmin, double cmax, int spinning) {
  const fathom_stats *st = &z->stats;
  print_stats_line(name, st);
  EXPECT_MSG(st->count == SS_N, "%s: count %llu, want %d\n", name,
             (unsigned long long)st->count, SS_N);
  EXPECT_MSG(st->timed == st->count && st->total_se_ns == 0,
             "%s: 50 ms calls must be timed in full: timed %llu of %llu, se %.1f\n", name,
             (unsigned long long)st->timed, (unsigned long long)st->count, st->total_se_ns);
  EXPECT(check_total(name, st, wall));
  /* with the governor on, calls this long are probed in full; off, 1 in sample_every */
  EXPECT_MSG(!governor_on || z->res.samples == st->count,
             "%s: probed %llu of %llu calls (probing 20 calls of 50 ms costs far under the "
             "budget)\n", name, (unsigned long long)z->res.samples,
             (unsigned long long)st->count);
  int have;
  double cpu = cpu_of(&z->res, &have);
  double w = 0.5 * (wall.lo + wall.hi);
  printf("  %s %s cpu: fathom %.0f ns (x count/samples: %.0f), truth %.0f ns, wall %.0f ns "
         "(fathom %.1f %% of wall, truth %.1f %%) mask 0x%x user %.0f sys %.0f\n",
         have ? "    " : "FAIL", name, cpu,
         z->res.samples ? cpu * (double)st->count / (double)z->res.samples : 0.0, cpu_truth, w,
         100 * cpu / w, 100 * cpu_truth / w, z->res.mask, z->res.sum[FATHOM_RES_CPU_USER_NS],
         z->res.sum[FATHOM_RES_CPU_SYS_NS]);
  EXPECT_MSG(have, "%s: no CPU time measured (res.mask 0x%x)\n", name, z->res.mask);
  if (!have) return;
  for (int id = FATHOM_RES_CPU_USER_NS; id <= FATHOM_RES_CPU_SYS_NS; id++)
    if (z->res.mask >> id & 1)
      EXPECT_MSG(z->res.sum[id] >= 0, "%s: %s = %.0f < 0\n", name, fathom_res_name(id),
                 z->res.sum[id]);
  /* the probes' own reads may add a little CPU inside the interval: 5 % + 100 us a call. With
   * only some calls probed (governor off: 1 in sample_every), the estimate is count x the
   * probed calls' mean, which lies between count x the cheapest and count x the dearest
   * call: on a loaded machine the calls' CPU differs (preemption), and that range is what an
   * honest estimate can be held to without knowing which calls were probed */
  double lo = cpu_truth, hi = cpu_truth;
  if (z->res.samples < st->count) {
    lo = cmin * (double)st->count;
    hi = cmax * (double)st->count;
  }
  double slack = 0.05 * cpu_truth + 100000.0 * SS_N;
  EXPECT_MSG(cpu >= lo - slack && cpu <= hi + slack,
             "%s: CPU %.0f ns, truth (thread CPU clock inside the zone) %.0f ns (from %llu of "
             "%llu calls probed: between %.0f and %.0f, +- %.0f)\n", name, cpu, cpu_truth,
             (unsigned long long)z->res.samples, (unsigned long long)st->count, lo, hi, slack);
  if (!spinning) {
    EXPECT_MSG(cpu < 0.05 * w, "%s: CPU %.0f ns is %.1f %% of the wall time %.0f ns (sleeping)\n",
               name, cpu, 100 * cpu / w, w);
  } else if (cpu_truth > 0.95 * w && z->res.samples == st->count) {
    EXPECT_MSG(cpu > 0.9 * w, "%s: CPU %.0f ns is only %.1f %% of the wall time %.0f ns "
               "(spinning; truth %.1f %%)\n", name, cpu, 100 * cpu / w, w, 100 * cpu_truth / w);
  } else if (cpu_truth > 0.95 * w) {
    /* only some calls probed: the estimate is count x their mean, held above to [count x the
     * cheapest call, count x the dearest]; one preempted probed call can take it below 90 %
     * of the wall on a loaded machine while the whole run's truth is above it */
    printf("  note: %s: %llu of %llu calls probed: CPU against the truth's range asserted, "
           "not > 90 %% of wall\n", name, (unsigned long long)z->res.samples,
           (unsigned long long)st->count);
  } else {
    printf("  note: %s ran only %.1f %% of its wall time on a CPU (loaded machine): CPU > 90 %% "
           "of wall not asserted, CPU against the truth still is\n", name, 100 * cpu_truth / w);
  }
}

static void test_sleep_spin_detailed(void **state) {
  (void)state;
  truth ws = {0, 0}, wp = {0, 0};
  double cs = 0, cp = 0, cs_min = INFINITY, cs_max = 0, cp_min = INFINITY, cp_max = 0;
  begin("truth_sleep_spin", FATHOM_LEVEL_DETAILED);
  for (int i = 0; i < SS_N; i++) {
    uint64_t t0 = now_ns(), c0, c1, d;
    {
      FATHOM_ZONE("sleepy", "truth");
      c0 = thread_cpu_ns();
      d = sleep_span_ns(SS_NS);
      c1 = thread_cpu_ns();
    }
    ws.hi += (double)(now_ns() - t0);
    ws.lo += (double)d;
    cs += (double)(c1 - c0);
    cs_min = fmin(cs_min, (double)(c1 - c0));
    cs_max = fmax(cs_max, (double)(c1 - c0));
    t0 = now_ns();
    {
      FATHOM_ZONE("spinny", "truth");
      c0 = thread_cpu_ns();
      d = spin_ns(SS_NS);
      c1 = thread_cpu_ns();
    }
    wp.hi += (double)(now_ns() - t0);
    wp.lo += (double)d;
    cp += (double)(c1 - c0);
    cp_min = fmin(cp_min, (double)(c1 - c0));
    cp_max = fmax(cp_max, (double)(c1 - c0));
  }
  fathom_profile *p = end();
  printf("  sleep beside spin at DETAILED (governor %s)\n", governor_on ? "on" : "off");
  check_sleep_spin("sleepy", zone(p, "sleepy"), ws, cs, cs_min, cs_max, 0);
  check_sleep_spin("spinny", zone(p, "spinny"), wp, cp, cp_min, cp_max, 1);
  EXPECT_DONE();
}

/* ---- 2. deep recursion ------------------------------------------------------------------- */

enum { REC_DEPTH = 200, REC_REPS = 100 };
static double rec_work; /* the spans spun inside the zones: a lower bound of the outer call */

static __attribute__((noinline)) void truth_recurse(int depth) {
  FATHOM_FUNC("truth");
  rec_work += (double)spin_ns(10000);
  if (depth > 1) truth_recurse(depth - 1);
}

static void test_deep_recursion(void **state) {
  (void)state;
  truth t = {0, 0};
  begin("truth_recursion", FATHOM_LEVEL_BASIC);
  for (int r = 0; r < REC_REPS; r++) {
    rec_work = 0;
    uint64_t t0 = now_ns();
    truth_recurse(REC_DEPTH);
    t.hi += (double)(now_ns() - t0);
    t.lo += rec_work;
  }
  fathom_profile *p = end();
  const fathom_zone_info *z = zone(p, "truth_recurse");
  uint32_t zi = zidx(p, "truth_recurse");
  printf("  deep recursion: depth %d x %d (governor %s, time_every %u)\n", REC_DEPTH, REC_REPS,
         governor_on ? "on" : "off", z->time_every);
  print_stats_line("truth_recurse (zone)", &z->stats);
  EXPECT_MSG(z->stats.count == (uint64_t)REC_DEPTH * REC_REPS, "zone count %llu, want %d\n",
             (unsigned long long)z->stats.count, REC_DEPTH * REC_REPS);
  /* rolled up, recursion counted once: the outermost calls' time */
  EXPECT(check_total("truth_recurse (zone)", &z->stats, t));
  uint32_t n_nodes = 0, depth_seen[REC_DEPTH + 1] = {0};
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *x = &p->nodes[i];
    if (x->zone != zi) continue;
    n_nodes++;
    if (x->depth >= 1 && x->depth <= REC_DEPTH) depth_seen[x->depth]++;
    EXPECT_MSG(x->stats.count == REC_REPS, "node at depth %u: count %llu, want %d\n", x->depth,
               (unsigned long long)x->stats.count, REC_REPS);
    EXPECT_MSG(x->stats.self_ns <= x->stats.total_ns + 1, "node at depth %u: self %llu > total %llu\n",
               x->depth, (unsigned long long)x->stats.self_ns, (unsigned long long)x->stats.total_ns);
    if (x->parent != FATHOM_NONE) {
      const fathom_node *up = &p->nodes[x->parent];
      EXPECT_MSG(up->zone == zi && up->depth + 1 == x->depth, "node at depth %u: wrong parent\n",
                 x->depth);
      EXPECT_MSG(x->stats.total_ns <= up->stats.total_ns + 1,
                 "node at depth %u: total %llu > its parent's %llu\n", x->depth,
                 (unsigned long long)x->stats.total_ns, (unsigned long long)up->stats.total_ns);
    } else {
      /* the node of the outermost calls is the zone's whole time */
      EXPECT(check_total("truth_recurse depth 1", &x->stats, t));
    }
  }
  EXPECT_MSG(n_nodes == REC_DEPTH, "%u nodes, want one per depth (%d)\n", n_nodes, REC_DEPTH);
  for (int d = 1; d <= REC_DEPTH; d++)
    EXPECT_MSG(depth_seen[d] == 1, "%u nodes at depth %d, want 1\n", depth_seen[d], d);
  EXPECT_DONE();
}

/* ---- 3. four threads --------------------------------------------------------------------- */

enum { W0_N = 2000, W1_N = 20000, W2_N = 400, W2_SLOW = 48, W3_N = 200, W3_TINY = 1000 };

typedef struct worker {
  int idx;
  uint64_t tid;
  truth top;        /* the thread's top-level zones */
  uint64_t calls;   /* top-level calls */
  uint64_t nested;  /* nested calls */
  double top_sq;    /* sum of the top-level calls' squared outer durations (ns^2) */
} worker;

/* One top-level call that began at t0 (outer duration: the truth's upper side). */
static void top_done(worker *w, uint64_t t0) {
  double d = (double)(now_ns() - t0);
  w->top.hi += d;
  w->top_sq += d * d;
}

static void *work(void *arg) {
  worker *w = arg;
  w->tid = (uint64_t)syscall(SYS_gettid);
  uint64_t seed = 1000u + (uint64_t)w->idx;
  switch (w->idx) {
  case 0: /* 60 us calls, half of it in a nested zone */
    for (int i = 0; i < W0_N; i++) {
      uint64_t t0 = now_ns(), a, b;
      {
        FATHOM_ZONE("w0_outer", "truth");
        a = now_ns();
        spin_ns(30000);
        {
          FATHOM_ZONE("w0_inner", "truth");
          spin_ns(30000);
        }
        b = now_ns();
      }
      top_done(w, t0);
      w->top.lo += (double)(b - a);
      w->calls++, w->nested++;
    }
    break;
  case 1: /* many 8 us calls */
    for (int i = 0; i < W1_N; i++) {
      uint64_t t0 = now_ns(), d;
      {
        FATHOM_ZONE("w1_call", "truth");
        d = spin_ns(8000);
      }
      top_done(w, t0);
      w->top.lo += (double)d;
      w->calls++;
    }
    break;
  case 2: { /* requests: 88 % 100 us, 12 % 2 ms */
    unsigned char kind[W2_N];
    shuffled_kinds(kind, W2_N, W2_SLOW, 99);
    for (int i = 0; i < W2_N; i++) {
      uint64_t dd = kind[i] ? rnd_range(&seed, 1500000, 2500000) : rnd_range(&seed, 90000, 110000);
      uint64_t t0 = now_ns(), d;
      {
        FATHOM_ZONE("w2_req", "truth");
        d = spin_ns(dd);
      }
      top_done(w, t0);
      w->top.lo += (double)d;
      w->calls++;
    }
    break;
  }
  default: /* batches of a 500 us spin and 1000 hot tiny zones */
    for (int i = 0; i < W3_N; i++) {
      uint64_t t0 = now_ns(), a, b;
      {
        FATHOM_ZONE("w3_batch", "truth");
        a = now_ns();
        spin_ns(500000);
        for (int k = 0; k < W3_TINY; k++) {
          FATHOM_ZONE("w3_tiny", "truth");
          w->nested++;
        }
        b = now_ns();
      }
      top_done(w, t0);
      w->top.lo += (double)(b - a);
      w->calls++;
    }
    break;
  }
  return NULL;
}

static uint32_t thread_of(const fathom_profile *p, uint64_t tid) {
  for (uint32_t i = 0; i < p->n_threads; i++)
    if (p->threads[i].tid == tid) return i;
  fail_msg("thread %llu is not in the model", (unsigned long long)tid);
  return FATHOM_NONE;
}

static void test_four_threads(void **state) {
  (void)state;
  static const char *const top_name[4] = {"w0_outer", "w1_call", "w2_req", "w3_batch"};
  static const char *const nested_name[4] = {"w0_inner", NULL, NULL, "w3_tiny"};
  worker w[4];
  pthread_t th[4];
  begin("truth_threads", FATHOM_LEVEL_BASIC);
  for (int i = 0; i < 4; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].idx = i;
    assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
  fathom_profile *p = end();
  printf("  four threads (governor %s, session %.3f s)\n", governor_on ? "on" : "off",
         (double)p->meta.duration_ns * 1e-9);
  for (int i = 0; i < 4; i++) {
    uint32_t t = thread_of(p, w[i].tid);
    uint64_t top_calls = 0, nested_calls = 0, other = 0;
    double top_total = 0, top_se2 = 0, top_over = 0;
    for (uint32_t k = 0; k < p->n_nodes; k++) {
      const fathom_node *x = &p->nodes[k];
      if (x->thread != t) continue;
      const char *nm = p->zones[x->zone].name;
      if (x->parent == FATHOM_NONE) {
        top_total += (double)x->stats.total_ns;
        top_over += x->stats.overhead_ns;
        top_se2 += x->stats.total_se_ns * x->stats.total_se_ns;
      }
      if (strcmp(nm, top_name[i]) == 0 && x->parent == FATHOM_NONE) top_calls += x->stats.count;
      else if (nested_name[i] && strcmp(nm, nested_name[i]) == 0) nested_calls += x->stats.count;
      else other += x->stats.count;
    }
    const fathom_zone_info *z = zone(p, top_name[i]);
    print_stats_line(top_name[i], &z->stats);
    if (nested_name[i]) print_stats_line(nested_name[i], &zone(p, nested_name[i])->stats);
    EXPECT_MSG(top_calls == w[i].calls && z->stats.count == w[i].calls,
               "thread %d: %s count %llu on its thread (%llu in the zone), want %llu\n", i,
               top_name[i], (unsigned long long)top_calls, (unsigned long long)z->stats.count,
               (unsigned long long)w[i].calls);
    EXPECT_MSG(nested_calls == w[i].nested, "thread %d: nested calls %llu, want %llu\n", i,
               (unsigned long long)nested_calls, (unsigned long long)w[i].nested);
    EXPECT_MSG(other == 0, "thread %d: %llu calls of zones it never ran\n", i,
               (unsigned long long)other);
    char what[64];
    snprintf(what, sizeof what, "thread %d top-level", i);
    /* as check_total: the truth holds fathom's own work for the zones nested in them */
    fathom_stats tot = {0};
    tot.total_ns = (uint64_t)top_total;
    tot.overhead_ns = top_over;
    tot.total_se_ns = sqrt(top_se2);
    /* four threads on this 2-CPU machine are preempted: a call of 8 us now and then takes a
     * whole time slice (4 ms), and a sample of the calls may miss such rare ones, its error
     * with it: the truth is widened by 3 % for the threads' totals (the estimates' own bias
     * stays under 1 % when nothing preempts them, see test_truth.c) */
    truth wide = {w[i].top.lo * 0.97, w[i].top.hi * 1.03};
    /* the error a sample of these calls really has, from the truth's own durations: with
     * each call timed with probability q (timed / count), the estimate's variance is
     * (1/q - 1) x the sum of the squared durations. A sample that missed the rare preempted
     * calls reports a small error it cannot know is small; this one knows (used when it is
     * the larger) */
    if (z->stats.timed < z->stats.count && z->stats.timed > 0) {
      double q = (double)z->stats.timed / (double)z->stats.count;
      double design_se = sqrt((1 / q - 1) * w[i].top_sq);
      if (design_se > tot.total_se_ns) {
        printf("  thread %d: the sample's error from the true durations: %.0f ns (reported %.0f)\n",
               i, design_se, tot.total_se_ns);
        tot.total_se_ns = design_se;
      }
    }
    EXPECT(check_total(what, &tot, wide));
    EXPECT_MSG(top_total <= (double)p->meta.duration_ns,
               "thread %d: top-level total %.0f > the session's duration %llu\n", i, top_total,
               (unsigned long long)p->meta.duration_ns);
  }
  EXPECT_DONE();
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const struct CMUnitTest tests[] = {
      T(test_sleep_spin_detailed), T(test_deep_recursion), T(test_four_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
