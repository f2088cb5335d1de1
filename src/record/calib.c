/* calib.c: measures what fathom's own work costs on this machine, so the model can report
 * fathom's overhead and the governor can hold its budget: one zone (begin + end, BASIC), one
 * counted-only call (time sampling), one probed call's probes.
 *
 * Invariant: the zone calibrations run on a hidden thread of fathom's own whose data never
 * appears in a profile (marked hidden at registration) and which exits before
 * fathom_session_begin returns; the probe calibration uses probes of its own, not a
 * thread's. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/alloc.h"
#include "record/record.h"

__thread int fz_calibrating __attribute__((tls_model("initial-exec")));

/* How it works: what a zone costs the program is not what a zone alone costs in a tight
 * loop: on CPUs whose timer read waits for the work before it, each read also stalls the
 * program's own instructions. So each cost is the extra time of a reference loop whose body
 * does a little work (a dependent chain and some independent operations, ~40 ns) when each
 * pass runs inside a zone, against the same loop without: the fastest of several interleaved
 * tries. The part inside the zone's interval is what an empty zone records as its duration
 * (the code between its two counter reads; the smallest mean of several tries); the rest
 * lands in the caller's time. The same
 * for the -finstrument-functions hooks, called directly. All on a hidden thread of
 * fathom's own, inside the session, so every path a real zone takes is taken. */

enum { CAL_N = 1500, CAL_TRIES = 7 };

static __attribute__((noinline)) uint64_t cal_body(uint64_t x) {
  uint64_t a = x, b = x ^ 0x9e3779b97f4a7c15ull, c = x + 7;
  for (int i = 0; i < 6; i++) {
    a = a * 0x5851f42d4c957f2dull + 1; /* dependent */
    b ^= b >> 13;                      /* independent of a */
    c += i;
  }
  return a ^ b ^ c;
}

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static volatile uint64_t cal_sink;
static fathom_site cal_site = {"fathom.calibration", "fathom", NULL, __FILE__, "calib", __LINE__, 0, 0};
static char cal_fn; /* the calibration "function" address */

static uint64_t run_plain(uint64_t x) {
  for (int i = 0; i < CAL_N; i++) x = cal_body(x);
  return x;
}
static uint64_t run_zone(uint64_t x) {
  for (int i = 0; i < CAL_N; i++) {
    fathom_zone z = fathom_zone_begin_site(&cal_site);
    x = cal_body(x);
    fathom_zone_end(z);
  }
  return x;
}
static uint64_t run_hook(uint64_t x) {
  for (int i = 0; i < CAL_N; i++) {
    __cyg_profile_func_enter(&cal_fn, NULL);
    x = cal_body(x);
    __cyg_profile_func_exit(&cal_fn, NULL);
  }
  return x;
}
static uint64_t run_zone_empty(uint64_t x) {
  for (int i = 0; i < CAL_N; i++) {
    fathom_zone z = fathom_zone_begin_site(&cal_site);
    fathom_zone_end(z);
  }
  return x;
}
static uint64_t run_hook_empty(uint64_t x) {
  for (int i = 0; i < CAL_N; i++) {
    __cyg_profile_func_enter(&cal_fn, NULL);
    __cyg_profile_func_exit(&cal_fn, NULL);
  }
  return x;
}

static uint64_t run_zone_empty4(uint64_t x) {
  for (int i = 0; i < 4; i++) x = run_zone_empty(x);
  return x;
}
static uint64_t run_hook_empty4(uint64_t x) {
  for (int i = 0; i < 4; i++) x = run_hook_empty(x);
  return x;
}

/* (fastest run - fastest plain loop) per pass over CAL_TRIES interleaved tries, ns. Noise
 * (interrupts, a host taking the CPU) only adds time, so the fastest of each is the closest
 * to its true time; a median of per-try differences kept that noise (a counted call's ~1 ns
 * came out anywhere from 0.2 to 8 ns from one session to the next). */
static double extra_cost(uint64_t (*run)(uint64_t)) {
  uint64_t x = 1, best_plain = UINT64_MAX, best_run = UINT64_MAX;
  for (int r = 0; r < CAL_TRIES; r++) {
    uint64_t a = fz_mono_ns();
    x = run_plain(x);
    uint64_t b = fz_mono_ns();
    x = run(x);
    uint64_t c = fz_mono_ns();
    if (b - a < best_plain) best_plain = b - a;
    if (c - b < best_run) best_run = c - b;
  }
  cal_sink = x;
  double m = ((double)best_run - (double)best_plain) / CAL_N;
  return m > 0 ? m : 0;
}

/* Mean recorded duration of node n's weight-1 timed calls since (count0, total0), ns. */
static double mean_since(const fz_node *n, uint64_t count0, uint64_t total0) {
  uint64_t c = n->count - count0;
  return c ? (double)fz_ticks_to_ns(n->total - total0) / (double)c : 0;
}

/* Mean recorded duration (ns) of node n's sampled timed calls made by run (weights
 * divided out). */
static double sampled_mean_since(const fz_node *n, uint64_t (*run)(uint64_t)) {
  uint64_t w0 = n->s_w;
  double wd0, wd1;
  memcpy(&wd0, &n->s_wd, sizeof wd0);
  run(1);
  memcpy(&wd1, &n->s_wd, sizeof wd1);
  uint64_t w = n->s_w - w0;
  return w ? (wd1 - wd0) / (double)w * fz_ns_per_tick() : 0;
}

/* The smallest of CAL_TRIES such means: one preemption inside one of a try's calls adds a
 * time slice to that try's sum (a calibration once came out at 11 us a call, and every
 * call of that session was charged it). */
static double inside_mean(const fz_node *n, uint64_t (*run)(uint64_t)) {
  double best = 0;
  for (int r = 0; r < CAL_TRIES; r++) {
    uint64_t c0 = n->count, t0 = n->total;
    run(1);
    double m = mean_since(n, c0, t0);
    if (r == 0 || m < best) best = m;
  }
  return best;
}
static double sampled_inside_mean(const fz_node *n, uint64_t (*run)(uint64_t)) {
  double best = 0;
  for (int r = 0; r < CAL_TRIES; r++) {
    double m = sampled_mean_since(n, run);
    if (r == 0 || m < best) best = m;
  }
  return best;
}

/* Sets node n's time sampling interval (1: every call), as the governor would. */
static void set_every(fz_node *n, uint32_t te) {
  FZ_ST(n->p_every, 0);
  FZ_ST(n->t_every, te);
  FZ_ST(n->key, fz_node_key_for(n, 1, 1));
}

static fz_node *child_keyed(fz_thread *t, const void *key) {
  for (fz_node *n = FZ_LDA(t->root.first_child); n; n = n->next_sibling)
    if (n->rkey == key) return n;
  return NULL;
}

static void *calib_main(void *arg) {
  (void)arg;
  fz_calibrating = 1;
  fathom_zone_end(fathom_zone_begin_site(&cal_site)); /* creates the nodes */
  __cyg_profile_func_enter(&cal_fn, NULL);
  __cyg_profile_func_exit(&cal_fn, NULL);
  fz_thread *t = fz_tls_real();
  fz_node *zn = t ? child_keyed(t, &cal_site) : NULL, *hn = t ? child_keyed(t, &cal_fn) : NULL;
  if (!zn || !hn) return NULL;
  set_every(zn, 1);
  set_every(hn, 1);
  double zone_in = inside_mean(zn, run_zone_empty), hook_in = inside_mean(hn, run_hook_empty);
  double zone = extra_cost(run_zone), hook = extra_cost(run_hook);
  set_every(zn, 1u << 30); /* every call counted, none timed */
  set_every(hn, 1u << 30);
  double zone_u = extra_cost(run_zone), hook_u = extra_cost(run_hook);
  /* the special path of a sampled path: its timed calls are rare, so their code and data
   * are cold and their interval holds more than a plain call's (about twice, measured):
   * what they record inside is measured at 1 call in 64 timed (the smallest mean of 7 tries
   * of 4 runs of the empty loop), what they cost at 1 in 8 (the loop's extra cost less 7
   * counted calls' worth) */
  set_every(zn, 64);
  set_every(hn, 64);
  double zone_sp_in = sampled_inside_mean(zn, run_zone_empty4);
  double hook_sp_in = sampled_inside_mean(hn, run_hook_empty4);
  set_every(zn, 8);
  set_every(hn, 8);
  double zone_sp = 8 * extra_cost(run_zone) - 7 * zone_u, hook_sp = 8 * extra_cost(run_hook) - 7 * hook_u;
  /* a timed call costs at least what it records inside its interval, and no less than a
   * counted one */
  if (zone < zone_in) zone = zone_in;
  if (hook < hook_in) hook = hook_in;
  if (zone < zone_u) zone = zone_u;
  if (hook < hook_u) hook = hook_u;
  fz_g.zone_cost_ns = zone;
  fz_g.zone_in_ns = zone_in;
  fz_g.untimed_cost_ns = zone_u;
  fz_g.hook_cost_ns = hook;
  fz_g.hook_in_ns = hook_in;
  fz_g.hook_untimed_ns = hook_u;
  if (zone_sp < zone_sp_in) zone_sp = zone_sp_in;
  if (hook_sp < hook_sp_in) hook_sp = hook_sp_in;
  if (zone_sp < zone) zone_sp = zone; /* never cheaper than the plain path */
  if (hook_sp < hook) hook_sp = hook;
  fz_g.zone_sp_ns = zone_sp;
  fz_g.zone_sp_in_ns = zone_sp_in;
  fz_g.hook_sp_ns = hook_sp;
  fz_g.hook_sp_in_ns = hook_sp_in;
  if (getenv("FATHOM_DEBUG_CALIB"))
    fprintf(stderr,
            "fathom calib: zone %.1f ns (in %.1f), special %.1f (in %.1f), counted %.1f ns; "
            "hook %.1f ns (in %.1f), special %.1f (in %.1f), counted %.1f ns\n",
            zone, zone_in, zone_sp, zone_sp_in, zone_u, hook, hook_in, hook_sp, hook_sp_in, hook_u);
  return NULL;
}

void fz_measure_zone_cost(void) {
  fz_g.zone_cost_ns = fz_g.zone_in_ns = fz_g.untimed_cost_ns = 0;
  fz_g.hook_cost_ns = fz_g.hook_in_ns = fz_g.hook_untimed_ns = 0;
  fz_g.zone_sp_ns = fz_g.zone_sp_in_ns = fz_g.hook_sp_ns = fz_g.hook_sp_in_ns = 0;
  pthread_t th;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int ok = pthread_create(&th, NULL, calib_main, NULL) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (ok) pthread_join(th, NULL);
}

double fz_probe_cpu_bias_ns;

/* Sum of one word per cache line of buf (the reference work of the probe calibration). */
static __attribute__((noinline)) uint64_t touch_lines(const uint64_t *buf, size_t words) {
  uint64_t s = 0;
  for (size_t i = 0; i < words; i += 8) s += buf[i];
  return s;
}

/* What one probe read costs the program: its own time plus what the program then loses
 * refilling caches and TLB the system calls disturbed. Measured as the extra time of a
 * reference loop over a 128 KiB working set when each pass is preceded by a probe read,
 * median of 9 tries (a tight loop of reads alone sees only the direct cost, about half of
 * it on a virtual machine). Falls back to the direct cost when that is larger. */
static double probe_read_cost(fz_probe_ctx *c, double direct) {
  enum { WORDS = 128 * 1024 / 8, K = 12, TRIES = 9 };
  uint64_t *buf = calloc(WORDS, sizeof *buf);
  if (!buf) return direct;
  double d[TRIES];
  uint64_t sink = 0;
  fz_pval v;
  for (int r = 0; r < TRIES; r++) {
    uint64_t t0 = fz_mono_ns();
    for (int i = 0; i < K; i++) sink += touch_lines(buf, WORDS);
    uint64_t t1 = fz_mono_ns();
    for (int i = 0; i < K; i++) {
      (void)fz_probe_read(c, &v);
      sink += touch_lines(buf, WORDS);
    }
    uint64_t t2 = fz_mono_ns();
    d[r] = ((double)(t2 - t1) - (double)(t1 - t0)) / K;
  }
  __asm__ volatile("" : : "r"(sink));
  free(buf);
  qsort(d, TRIES, sizeof d[0], cmp_dbl);
  if (getenv("FATHOM_DEBUG_CALIB"))
    fprintf(stderr, "fathom calib: probe read direct %.0f ns, in a loop %.0f ns\n", direct, d[TRIES / 2]);
  return d[TRIES / 2] > direct ? d[TRIES / 2] : direct;
}

double fz_measure_probe_cost(int level) {
  int saved = errno;
  fz_alloc_pause();
  fz_probe_ctx *c = fz_probe_open(level);
  double best = 0;
  if (c) {
    fz_pval v;
    for (int r = 0; r < 5; r++) {
      enum { N = 16 };
      uint64_t a = fz_mono_ns();
      for (int i = 0; i < N; i++) (void)fz_probe_read(c, &v);
      double per = (double)(fz_mono_ns() - a) / N;
      if (r == 0 || per < best) best = per;
    }
    best = probe_read_cost(c, best);
    /* the CPU time an empty probed zone shows: the probes' own share, taken off each
     * probed call's CPU (the smallest of several tries) */
    fz_probe_cpu_bias_ns = 0;
    for (int r = 0; r < 16; r++) {
      fz_pval a, b;
      uint32_t m = fz_probe_read_at(c, &a, 0) & fz_probe_read_at(c, &b, 1);
      if (!(m >> FATHOM_RES_CPU_USER_NS & 1) || !(m >> FATHOM_RES_CPU_SYS_NS & 1)) break;
      double d = (double)(b.v[FATHOM_RES_CPU_USER_NS] + b.v[FATHOM_RES_CPU_SYS_NS] -
                          a.v[FATHOM_RES_CPU_USER_NS] - a.v[FATHOM_RES_CPU_SYS_NS]);
      if (r == 0 || d < fz_probe_cpu_bias_ns) fz_probe_cpu_bias_ns = d > 0 ? d : 0;
    }
    fz_probe_close(c);
  }
  fz_alloc_resume();
  errno = saved;
  return 2 * best; /* a probed call reads at its begin and at its end */
}
