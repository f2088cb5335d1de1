/* clock.h: the recorder's time source: the invariant TSC (x86-64) or the virtual counter
 * (arm64) converted to ns by a calibrated fixed-point multiply, else CLOCK_MONOTONIC.
 *
 * Invariant: fz_ticks() is monotonic per thread and fz_ticks_to_ns() is exact to the
 * calibration's error against CLOCK_MONOTONIC: ~2e-5 in the first 10 ms of a process, then
 * ~2e-6 or better once fz_clock_refine() has run (session begin, every model built). */
#ifndef FATHOM_CLOCK_H
#define FATHOM_CLOCK_H

#include <stdint.h>
#include <time.h>
#include "util/fztext.h"

#pragma GCC visibility push(hidden)

typedef struct fz_clock {
  int use_counter;        /* 1: TSC / cntvct; 0: CLOCK_MONOTONIC */
  uint64_t mult;          /* ns = ticks * mult >> 32 */
  double hz;              /* counter frequency, 0 for CLOCK_MONOTONIC */
  double read_ns;         /* measured cost of one fz_ticks() */
  double resolution_ns;
  const char *source;     /* "tsc", "cntvct", "clock_monotonic" */
} fz_clock;

extern fz_clock fz_clk;

/* Calibrates once per process (thread-safe; later calls return at once). */
void fz_clock_init(void);
/* Chooses the session's source: the calibrated counter if there is one and monotonic is 0,
 * else CLOCK_MONOTONIC (1 tick = 1 ns). Call between sessions. */
void fz_clock_select(int monotonic);
/* Re-derives the counter's rate over the whole time since calibration (thread-safe, cheap:
 * a few clock reads; only updates when the span grew by half since the last time). */
void fz_clock_refine(void);
/* A consistent copy of the session's clock description (for metadata). */
void fz_clock_info(fz_clock *out);
/* ns per tick (1.0 for CLOCK_MONOTONIC). */
static inline FZ_TEXT uint64_t fz_clock_mult(void) { return __atomic_load_n(&fz_clk.mult, __ATOMIC_RELAXED); }
static inline FZ_TEXT double fz_ns_per_tick(void) { return (double)fz_clock_mult() / 4294967296.0; }
/* ns -> ticks, rounded (exact for CLOCK_MONOTONIC). */
static inline FZ_TEXT __attribute__((always_inline)) uint64_t fz_ns_to_ticks(uint64_t ns) {
  if (fz_clock_mult() == ((uint64_t)1 << 32)) return ns;
  return (uint64_t)((double)ns / fz_ns_per_tick() + 0.5);
}

static inline FZ_TEXT uint64_t fz_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline FZ_TEXT uint64_t fz_counter(void) {
#if defined(__x86_64__)
  uint64_t lo, hi; /* rdtsc clears the upper halves of rax and rdx: no zero-extension */
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (hi << 32) | lo;
#elif defined(__i386__)
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
#elif defined(__aarch64__)
  uint64_t v;
  __asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
  return v;
#else
  return fz_mono_ns();
#endif
}

uint64_t fz_mono_ns_cold(void);   /* fz_mono_ns, out of line: keeps callers frameless */

/* The counter read with a fence on each side: every earlier instruction has completed
 * before it and no later one starts before it. The plain path's reads are not fenced: the
 * processor may take them while the zone's last instructions are still running, which is
 * tens of ns at most and part of what calibration measures. The special path's timed calls
 * (rare, cold, after a mispredicted branch) fence both reads, so that what their interval
 * holds beyond the program's own work is a fixed cost that calibration measures, whatever
 * code runs around them. */
static inline FZ_TEXT uint64_t fz_counter_fenced(void) {
#if defined(__x86_64__)
  uint64_t lo, hi;
  __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
  return (hi << 32) | lo;
#elif defined(__i386__)
  uint32_t lo, hi;
  __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
  return ((uint64_t)hi << 32) | lo;
#elif defined(__aarch64__)
  uint64_t v;
  __asm__ volatile("isb\n\tmrs %0, cntvct_el0\n\tisb" : "=r"(v) : : "memory");
  return v;
#else
  return fz_mono_ns();
#endif
}

static inline FZ_TEXT __attribute__((always_inline)) uint64_t fz_ticks(void) {
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
  return __builtin_expect(__atomic_load_n(&fz_clk.use_counter, __ATOMIC_RELAXED), 1)
             ? fz_counter()
             : fz_mono_ns_cold();
#else
  return fz_mono_ns();
#endif
}

/* fz_ticks with fenced counter reads (the special path's timed calls). */
static inline FZ_TEXT __attribute__((always_inline)) uint64_t fz_ticks_fenced(void) {
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
  return __builtin_expect(__atomic_load_n(&fz_clk.use_counter, __ATOMIC_RELAXED), 1)
             ? fz_counter_fenced()
             : fz_mono_ns_cold();
#else
  return fz_mono_ns();
#endif
}

static inline FZ_TEXT uint64_t fz_ticks_to_ns(uint64_t ticks) {
  return (uint64_t)(((unsigned __int128)ticks * fz_clock_mult()) >> 32);
}

#pragma GCC visibility pop

#endif
