/* clock.c: calibration of the counter against CLOCK_MONOTONIC and measurement of its cost.
 *
 * How it works: the counter is used only when the CPU says it is invariant (x86: CPUID
 * 0x80000007 EDX bit 8; arm64: the architected virtual counter always is). Over a >= 10 ms
 * window we read (mono, ticks) pairs at both ends, each pair taken as the tightest of a few
 * tries, and derive mult = 2^32 * ns / ticks. Each source's per-read cost is the mean of
 * 100 k reads, measured once; a session only selects one of the two. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

fz_clock fz_clk = {0, (uint64_t)1 << 32, 0, 0, 1, "clock_monotonic"};

/* What calibrate() found, once per process: the counter (when invariant) and
 * CLOCK_MONOTONIC, each with its measured read cost; fz_clk is the session's choice. */
static fz_clock counter_clk, mono_clk;

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

/* Mean cost of one read of the source c describes, over 100 k reads. */
static double read_cost(const fz_clock *c) {
  enum { N = 100000 };
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
    } while (m1 - m0 < 10000000u);
    if (t1 > t0) {
      double ns_per_tick = (double)(m1 - m0) / (double)(t1 - t0);
      counter_clk.mult = (uint64_t)(ns_per_tick * 4294967296.0 + 0.5);
      counter_clk.hz = 1e9 / ns_per_tick;
      counter_clk.use_counter = 1;
      counter_clk.resolution_ns = ns_per_tick;
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

__attribute__((noinline, cold)) uint64_t fz_mono_ns_cold(void) { return fz_mono_ns(); }

static pthread_once_t once = PTHREAD_ONCE_INIT;
void fz_clock_init(void) { pthread_once(&once, calibrate); }

void fz_clock_select(int monotonic) {
  fz_clock_init();
  const fz_clock *c = monotonic || !counter_clk.use_counter ? &mono_clk : &counter_clk;
  __atomic_store_n(&fz_clk.use_counter, c->use_counter, __ATOMIC_RELAXED);
  __atomic_store_n(&fz_clk.mult, c->mult, __ATOMIC_RELAXED);
  fz_clk.hz = c->hz;
  fz_clk.read_ns = c->read_ns;
  fz_clk.resolution_ns = c->resolution_ns;
  fz_clk.source = c->source;
}
