/* benchutil.h: shared helpers of the benchmarks: timing loops, the BENCH line, self-checks.
 * Invariant: a benchmark prints a figure only after checking its own result; a failed
 * check prints "BENCH-FAIL <name>: why" and makes the program exit non-zero. */
#ifndef FATHOM_BENCHUTIL_H
#define FATHOM_BENCHUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int bench_failed;

__attribute__((unused, no_instrument_function)) static uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((unused, no_instrument_function)) static void bench_print(const char *name,
                                                                        double v, const char *unit) {
  printf("BENCH %s %.3f %s\n", name, v, unit);
  fflush(stdout);
}

__attribute__((unused, no_instrument_function)) static void bench_check(int ok, const char *name,
                                                                        const char *why) {
  if (!ok) {
    printf("BENCH-FAIL %s: %s\n", name, why);
    fflush(stdout);
    bench_failed = 1;
  }
}

static inline __attribute__((always_inline)) uint64_t bench_rdtsc(void) {
#if defined(__x86_64__)
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
#elif defined(__aarch64__)
  uint64_t v;
  __asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
  return v;
#else
  return bench_now_ns();
#endif
}

#endif
