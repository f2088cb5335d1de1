/* clock.c: calibration of the counter against CLOCK_MONOTONIC and measurement of its cost.
 *
 * How it works: the counter is used only when the CPU says it is invariant (x86: CPUID
 * 0x80000007 EDX bit 8; arm64: the architected virtual counter always is). We read a
 * (mono, ticks) anchor, each taken as the tightest of a few tries, and a second one >= 1 ms
 * later, and derive mult = 2^32 * ns / ticks (error ~2e-5). Nothing needs the exact rate
 * while zones are recorded (durations stay in ticks until a model is built), so instead of
 * spinning longer at start, fz_clock_refine() re-derives mult from the first anchor to a
 * fresh one when a session begins or a model is built: after 10 ms of the process the
 * error is ~2e-6, after a second ~2e-8. Each source's per-read cost is the mean of 10 k
 * reads, measured once; a session only selects one of the two. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <time.h>

#include "record/clock.h"
#include "record/record.h"
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

fz_clock fz_clk = {0, (uint64_t)1 << 32, 0, 0, 1, "clock_monotonic"};

/* What calibrate() found, once per process: the counter (when invariant) and
 * CLOCK_MONOTONIC, each with its measured read cost; fz_clk is the session's choice. */
static fz_clock counter_clk, mono_clk;
static uint64_t anc_mono, anc_ticks;  /* the first anchor of the counter */
static uint64_t refined_span;         /* ns from the anchor to the last refinement */
static pthread_mutex_t refine_lock = PTHREAD_MUTEX_INITIALIZER;

static int counter_invariant(void) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned a, b, c, d;
  if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u) return 0;
  __get_cpuid(0x80000007u, &a, &b, &c, &d);
  return (d >> 8) & 1;
#elif defined(__aarch64__)
  return 1;
#else
  return 0;
#endif
}

/* One (mono ns, ticks) pair whose bracketing ticks were closest together. */
static void anchor(uint64_t *mono, uint64_t *ticks) {
  uint64_t best = UINT64_MAX;
  for (int i = 0; i < 8; i++) {
    uint64_t t0 = fz_counter();
    uint64_t m = fz_mono_ns();
    uint64_t t1 = fz_counter();
    if (t1 - t0 < best) {
      best = t1 - t0;
      *mono = m;
      *ticks = t0 + (t1 - t0) / 2;
    }
  }
}

/* Mean cost of one read of the source c describes, over 10 k reads. */
static double read_cost(const fz_clock *c) {
  enum { N = 10000 };
  volatile uint64_t sink = 0;
  uint64_t a = fz_mono_ns();
  for (int i = 0; i < N; i++) sink += c->use_counter ? fz_counter() : fz_mono_ns();
  return (double)(fz_mono_ns() - a) / N;
}

static void calibrate(void) {
  struct timespec res;
  mono_clk = (fz_clock){0, (uint64_t)1 << 32, 0, 0, 1, "clock_monotonic"};
  if (clock_getres(CLOCK_MONOTONIC, &res) == 0)
    mono_clk.resolution_ns = (double)res.tv_sec * 1e9 + (double)res.tv_nsec;
  mono_clk.read_ns = read_cost(&mono_clk);
  if (counter_invariant()) {
    uint64_t m0, t0, m1, t1;
    anchor(&m0, &t0);
    do {
      anchor(&m1, &t1);
    } while (m1 - m0 < 1000000u);
    if (t1 > t0) {
      double ns_per_tick = (double)(m1 - m0) / (double)(t1 - t0);
      counter_clk.mult = (uint64_t)(ns_per_tick * 4294967296.0 + 0.5);
      counter_clk.hz = 1e9 / ns_per_tick;
      counter_clk.use_counter = 1;
      counter_clk.resolution_ns = ns_per_tick;
      anc_mono = m0;
      anc_ticks = t0;
      refined_span = m1 - m0;
#if defined(__aarch64__)
      counter_clk.source = "cntvct";
#else
      counter_clk.source = "tsc";
#endif
      counter_clk.read_ns = read_cost(&counter_clk);
    }
  }
  fz_clk = counter_clk.use_counter ? counter_clk : mono_clk;
}

FZ_TEXT __attribute__((noinline, cold)) uint64_t fz_mono_ns_cold(void) { return fz_mono_ns(); }

static pthread_once_t once = PTHREAD_ONCE_INIT;
void fz_clock_init(void) { pthread_once(&once, calibrate); }

void fz_clock_select(int monotonic) {
  fz_clock_init();
  fz_clock_refine();
  pthread_mutex_lock(&refine_lock);
  const fz_clock *c = monotonic || !counter_clk.use_counter ? &mono_clk : &counter_clk;
  __atomic_store_n(&fz_clk.use_counter, c->use_counter, __ATOMIC_RELAXED);
  __atomic_store_n(&fz_clk.mult, c->mult, __ATOMIC_RELAXED);
  fz_clk.hz = c->hz;
  fz_clk.read_ns = c->read_ns;
  fz_clk.resolution_ns = c->resolution_ns;
  fz_clk.source = c->source;
  pthread_mutex_unlock(&refine_lock);
}

void fz_clock_refine(void) {
  fz_clock_init();
  if (!counter_clk.use_counter) return;
  uint64_t m1, t1;
  anchor(&m1, &t1);
  pthread_mutex_lock(&refine_lock);
  uint64_t span = m1 - anc_mono;
  /* only when the span has grown enough to matter (and never backwards) */
  if (m1 > anc_mono && t1 > anc_ticks && span >= refined_span + refined_span / 2) {
    double ns_per_tick = (double)span / (double)(t1 - anc_ticks);
    uint64_t mult = (uint64_t)(ns_per_tick * 4294967296.0 + 0.5);
    refined_span = span;
    counter_clk.mult = mult;
    counter_clk.hz = 1e9 / ns_per_tick;
    counter_clk.resolution_ns = ns_per_tick;
    if (__atomic_load_n(&fz_clk.use_counter, __ATOMIC_RELAXED)) {
      __atomic_store_n(&fz_clk.mult, mult, __ATOMIC_RELAXED);
      fz_clk.hz = counter_clk.hz;
      fz_clk.resolution_ns = counter_clk.resolution_ns;
    }
  }
  pthread_mutex_unlock(&refine_lock);
}

void fz_clock_info(fz_clock *out) {
  pthread_mutex_lock(&refine_lock);
  *out = fz_clk;
  out->mult = __atomic_load_n(&fz_clk.mult, __ATOMIC_RELAXED);
  out->use_counter = __atomic_load_n(&fz_clk.use_counter, __ATOMIC_RELAXED);
  pthread_mutex_unlock(&refine_lock);
}

uint64_t fz_process_cpu_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
