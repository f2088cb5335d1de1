/* bench_cyg.c: cost per function call under -finstrument-functions (zone_cyg_ns): the same
 * empty non-inlined function, instrumented and not, in a session; the difference is
 * fathom's cost. Checks the profile counted every instrumented call. */
#include <fathom.h>
#include <string.h>

#include "benchutil.h"

#define REPEATS 7
static volatile long sink;

__attribute__((noinline)) void fathom_bench_instrumented(long x);
__attribute__((noinline)) void fathom_bench_instrumented(long x) { sink += x; }
__attribute__((noinline, no_instrument_function)) static void plain(long x) { sink += x; }

__attribute__((no_instrument_function)) static double run(void (*fn)(long), long n) {
  double best = 1e18;
  for (int r = 0; r < REPEATS; r++) {
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) fn(i);
    double per = (double)(bench_now_ns() - t0) / (double)n;
    if (per < best) best = per;
  }
  return best;
}

__attribute__((no_instrument_function)) int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 2000000;
  fathom_config c;
  fathom_config_init(&c);
  fathom_session_begin("bench_cyg", &c);
  double base = run(plain, n);
  double inst = run(fathom_bench_instrumented, n);
  fathom_profile *p = NULL;
  fathom_session_end(&p);
  uint64_t calls = 0;
  for (uint32_t i = 0; p && i < p->n_zones; i++)
    if (strcmp(p->zones[i].name, "fathom_bench_instrumented") == 0) calls += p->zones[i].stats.count;
  bench_check(calls == (uint64_t)n * REPEATS, "zone_cyg_ns", "profile does not hold every call");
  fathom_profile_free(p);
  bench_print("zone_cyg_ns", inst - base, "ns");
  return bench_failed;
}
