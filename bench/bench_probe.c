/* bench_probe.c: cost of one fz_probe_read (probe.h), the read a sampled DETAILED or
 * COMPREHENSIVE zone does at its begin and at its end: probe_read_detailed_ns,
 * probe_read_comprehensive_ns (hardware counters where the machine has them; elsewhere the
 * same probes as DETAILED, since the perf group does not open), and
 * probe_read_comprehensive_sw_ns (the perf group built from software events by the test
 * seam, i.e. the cost of the group read on a machine without a PMU).
 *
 * Invariant: each figure is the best mean of several repeats, printed only after the reads
 * it timed returned the probes they should (mask checked, values never decreasing). */
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "probe/probe.h"
#include "probe/perf.h"

#define REPEATS 7
#define RUSAGE_BITS 0x3fu   /* CPU user/sys, context switches, faults */
#define PERF_BITS                                                                         \
  ((1u << FATHOM_RES_INSTRUCTIONS) | (1u << FATHOM_RES_CYCLES) |                          \
   (1u << FATHOM_RES_CACHE_REFS) | (1u << FATHOM_RES_CACHE_MISSES) |                      \
   (1u << FATHOM_RES_BRANCH_MISSES))

/* Times n reads of a context of level; returns the best mean ns per read, or -1 (after a
 * BENCH-FAIL line) when the reads were not valid. *mask_out: the mask of the last read. */
static double time_reads(int level, long n, const char *name, uint32_t *mask_out) {
  fz_probe_ctx *c = fz_probe_open(level);
  if (!c) {
    bench_check(0, name, "fz_probe_open returned NULL");
    return -1;
  }
  fz_pval prev, cur;
  uint32_t mask = fz_probe_read(c, &prev);
  for (int i = 0; i < 1000; i++) mask &= fz_probe_read(c, &prev);   /* warm */
  double best = 1e18;
  int monotone = 1;
  for (int r = 0; r < REPEATS; r++) {
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) mask &= fz_probe_read(c, &cur);
    double per = (double)(bench_now_ns() - t0) / (double)n;
    if (per < best) best = per;
    /* CPU user is the exact total minus the tick-sampled system part: only the total is
     * monotone */
    for (int k = 0; k < FATHOM_RES_N; k++)
      if ((mask >> k & 1) && k != FATHOM_RES_RSS_DELTA_BYTES && k != FATHOM_RES_CPU_USER_NS &&
          cur.v[k] < prev.v[k])
        monotone = 0;
    if (cur.v[FATHOM_RES_CPU_USER_NS] + cur.v[FATHOM_RES_CPU_SYS_NS] <
        prev.v[FATHOM_RES_CPU_USER_NS] + prev.v[FATHOM_RES_CPU_SYS_NS])
      monotone = 0;
    prev = cur;
  }
  fz_probe_close(c);
  *mask_out = mask;
  bench_check(mask != 0, name, "the reads returned an empty mask");
  bench_check((mask & RUSAGE_BITS) == RUSAGE_BITS, name, "getrusage values missing");
  bench_check(monotone, name, "a cumulative value decreased");
  return mask && monotone ? best : -1;
}

static int perf_hw_available(void) {
  fathom_probe_info in[8];
  uint32_t n = fz_probe_describe(FATHOM_LEVEL_COMPREHENSIVE, in, 8);
  int ok = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (strcmp(in[i].name, "perf_hw") == 0) ok = in[i].available;
    free(in[i].name);
    free(in[i].detail);
  }
  return ok;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000;
  uint32_t mask;

  double det = time_reads(FATHOM_LEVEL_DETAILED, n, "probe_read_detailed_ns", &mask);
  bench_check(!(mask & PERF_BITS), "probe_read_detailed_ns", "DETAILED read perf counters");
  if (det >= 0) bench_print("probe_read_detailed_ns", det, "ns");

  fz_perf_set_software(0);
  int hw = perf_hw_available();
  double comp = time_reads(FATHOM_LEVEL_COMPREHENSIVE, n, "probe_read_comprehensive_ns", &mask);
  bench_check(!hw || (mask & (1u << FATHOM_RES_INSTRUCTIONS)), "probe_read_comprehensive_ns",
              "perf_hw is available but instructions were not read");
  if (comp >= 0) bench_print("probe_read_comprehensive_ns", comp, "ns");

  fz_perf_set_software(1);
  double sw = time_reads(FATHOM_LEVEL_COMPREHENSIVE, n, "probe_read_comprehensive_sw_ns", &mask);
  bench_check((mask & PERF_BITS) == PERF_BITS, "probe_read_comprehensive_sw_ns",
              "the software group did not read");
  if (sw >= 0) bench_print("probe_read_comprehensive_sw_ns", sw, "ns");
  fz_perf_set_software(-1);
  return bench_failed;
}
