/* ir_zone.c: the loop that bench/run.sh counts instructions of under callgrind
 * (zone_basic_ir, zone_idle_ir). Usage: ir_zone MODE N, MODE one of
 *   plain  N calls of a tiny noinline function (the loop without zones)
 *   idle   the same calls, each in a FATHOM_ZONE, no session
 *   basic  the same as idle in a session at BASIC with the governor off (every call timed)
 * run.sh collects only inside ir_loop_* (callgrind --toggle-collect) and takes differences
 * of two run lengths, so session begin/end and first-call paths cancel. Self-check: the
 * profile holds every zone call (basic), and the work's result matches in every mode. */
#include <fathom.h>
#include <string.h>

#include "benchutil.h"

static volatile long sink;

__attribute__((noinline)) void ir_tiny(long x);
__attribute__((noinline)) void ir_tiny(long x) { sink += x; }

__attribute__((noinline)) void ir_loop_plain(long n);
__attribute__((noinline)) void ir_loop_plain(long n) {
  for (long i = 0; i < n; i++) ir_tiny(i);
}

__attribute__((noinline)) void ir_loop_zone(long n);
__attribute__((noinline)) void ir_loop_zone(long n) {
  for (long i = 0; i < n; i++) {
    FATHOM_ZONE("ir_zone", "bench");
    ir_tiny(i);
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: ir_zone plain|idle|basic N\n");
    return 2;
  }
  const char *mode = argv[1];
  long n = atol(argv[2]);
  long want = n * (n - 1) / 2;
  if (!strcmp(mode, "plain")) {
    ir_loop_plain(n);
  } else if (!strcmp(mode, "idle")) {
    ir_loop_zone(n);
    fathom_status st;
    bench_check(fathom_status_get(&st) == FATHOM_E_STATE, "zone_idle_ir", "a session was active");
  } else if (!strcmp(mode, "basic")) {
    fathom_config c;
    fathom_config_init(&c);
    c.level = FATHOM_LEVEL_BASIC;
    c.governor = 0; /* every call timed */
    c.monitor = 0;
    if (fathom_session_begin("ir_zone", &c) != 0) {
      bench_check(0, "zone_basic_ir", "session did not begin");
      return 1;
    }
    ir_loop_zone(n);
    fathom_profile *p = NULL;
    fathom_session_end(&p);
    uint64_t count = 0, timed = 0;
    for (uint32_t i = 0; p && i < p->n_zones; i++)
      if (!strcmp(p->zones[i].name, "ir_zone")) {
        count += p->zones[i].stats.count;
        timed += p->zones[i].stats.timed;
      }
    bench_check(p && count == (uint64_t)n, "zone_basic_ir", "profile does not hold every zone");
    bench_check(p && (timed == 0 || timed == (uint64_t)n), "zone_basic_ir",
                "governor off, yet not every call was timed");
    if (p) printf("# ir_zone: clock %s, %llu zones, %llu timed\n", p->meta.clock_source,
                  (unsigned long long)count, (unsigned long long)timed);
    fathom_profile_free(p);
  } else {
    fprintf(stderr, "ir_zone: unknown mode %s\n", mode);
    return 2;
  }
  bench_check(sink == want, "ir_zone", "the loop's result is wrong");
  return bench_failed;
}
