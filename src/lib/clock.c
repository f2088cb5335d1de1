/* clock.c: calibration of the counter against CLOCK_MONOTONIC and measurement of its cost.
 *
 * How it works: the counter is used only when the CPU says it is invariant (x86: CPUID
 * 0x80000007 EDX bit 8; arm64: the architected virtual counter always is). Over a >= 10 ms
 * window we read (mono, ticks) pairs at both ends, each pair taken as the tightest of a few
 * tries, and derive mult = 2^32 * ns / ticks. The per-read cost is the mean of 100 k reads. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

fz_clock fz_clk = {0, (uint64_t)1 << 32, 0, 0, 1, "clock_monotonic", 0, 0};

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

static void calibrate(void) {
  struct timespec res;
  if (clock_getres(CLOCK_MONOTONIC, &res) == 0)
    fz_clk.resolution_ns = (double)res.tv_sec * 1e9 + (double)res.tv_nsec;
  if (counter_invariant()) {
    uint64_t m0, t0, m1, t1;
    anchor(&m0, &t0);
    do {
      anchor(&m1, &t1);
    } while (m1 - m0 < 10000000u);
    if (t1 > t0) {
      double ns_per_tick = (double)(m1 - m0) / (double)(t1 - t0);
      fz_clk.mult = (uint64_t)(ns_per_tick * 4294967296.0 + 0.5);
      fz_clk.hz = 1e9 / ns_per_tick;
      fz_clk.use_counter = 1;
      fz_clk.resolution_ns = ns_per_tick;
#if defined(__aarch64__)
      fz_clk.source = "cntvct";
#else
      fz_clk.source = "tsc";
#endif
      fz_clk.anchor_mono_ns = m0;
      fz_clk.anchor_ticks = t0;
    }
  }
  if (!fz_clk.use_counter) fz_clk.anchor_ticks = fz_clk.anchor_mono_ns = fz_mono_ns();
  /* cost of one read */
  enum { N = 100000 };
  volatile uint64_t sink = 0;
  uint64_t a = fz_mono_ns();
  for (int i = 0; i < N; i++) sink += fz_ticks();
  uint64_t b = fz_mono_ns();
  (void)sink;
  fz_clk.read_ns = (double)(b - a) / N;
}

__attribute__((noinline, cold)) uint64_t fz_mono_ns_cold(void) { return fz_mono_ns(); }

static fz_clock calibrated; /* what calibrate() found; fz_clk is the session's choice */

static void calibrate_once(void) {
  calibrate();
  calibrated = fz_clk;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
void fz_clock_init(void) { pthread_once(&once, calibrate_once); }

void fz_clock_select(int monotonic) {
  fz_clock_init();
  fz_clock c = calibrated;
  if (monotonic || !c.use_counter) {
    struct timespec res;
    c.use_counter = 0;
    c.mult = (uint64_t)1 << 32;
    c.hz = 0;
    c.source = "clock_monotonic";
    c.resolution_ns = clock_getres(CLOCK_MONOTONIC, &res) == 0
                          ? (double)res.tv_sec * 1e9 + (double)res.tv_nsec : 1;
    /* cost of one read: measured */
    enum { N = 20000 };
    uint64_t a = fz_mono_ns(), sink = 0;
    for (int i = 0; i < N; i++) sink += fz_mono_ns();
    c.read_ns = (double)(fz_mono_ns() - a) / N + (double)(sink & 0) ;
  }
  __atomic_store_n(&fz_clk.use_counter, c.use_counter, __ATOMIC_RELAXED);
  __atomic_store_n(&fz_clk.mult, c.mult, __ATOMIC_RELAXED);
  fz_clk.hz = c.hz;
  fz_clk.read_ns = c.read_ns;
  fz_clk.resolution_ns = c.resolution_ns;
  fz_clk.source = c.source;
}
