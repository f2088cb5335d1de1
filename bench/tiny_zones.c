/* tiny_zones.c: a loop of zones around ~20-50 ns of work each, compiled with fathom
 * (tiny_on: a session with the default configuration, BASIC, governor on) and without
 * (tiny_off: FATHOM_DISABLE). bench/run.sh interleaves the two and compares fathom's own
 * estimate of what the zones cost (meta.overhead_pct) with the measured slowdown
 * (overhead_reported_over_measured_tiny). Prints "wall_ns zones checksum overhead_pct
 * overhead_ns cpu_time_ns n_timed untimed_cost_ns zone_cost_ns" (zones and fathom's figures
 * 0 without fathom).
 * Usage: tiny_on|tiny_off ZONES WORK_STEPS */
#include <fathom.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* steps dependent multiply-adds: ~2 ns each here */
__attribute__((noinline)) static uint64_t work(uint64_t x, int steps) {
  for (int k = 0; k < steps; k++) x = x * 6364136223846793005u + 1442695040888963407u;
  return x;
}

__attribute__((noinline)) static uint64_t run(long n, int steps) {
  uint64_t x = 1, sum = 0;
  for (long i = 0; i < n; i++) {
    FATHOM_ZONE("tiny", "bench");
    x = work(x, steps);
    sum += x >> 7;
  }
  return sum;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 30000000;
  int steps = argc > 2 ? atoi(argv[2]) : 12;
#ifndef FATHOM_DISABLE
  fathom_config c;
  fathom_config_init(&c); /* the defaults: BASIC, governor on */
  if (fathom_session_begin("tiny_zones", &c) != 0) return 1;
#endif
  uint64_t t0 = now_ns();
  uint64_t sum = run(n, steps);
  uint64_t t1 = now_ns();
  unsigned long long zones = 0, timed = 0;
  double pct = 0, ons = 0, cpu = 0, untimed = 0, zcost = 0;
#ifndef FATHOM_DISABLE
  fathom_profile *p = NULL;
  fathom_session_end(&p);
  if (!p) return 1;
  for (uint32_t i = 0; i < p->n_zones; i++)
    if (!strcmp(p->zones[i].name, "tiny")) zones += p->zones[i].stats.count;
  timed = p->meta.n_timed;
  pct = p->meta.overhead_pct;
  ons = p->meta.overhead_ns;
  cpu = p->meta.cpu_time_ns;
  untimed = p->meta.untimed_cost_ns;
  zcost = p->meta.zone_cost_ns;
  if (getenv("TINY_REPORT")) fathom_profile_write(p, FATHOM_FORMAT_TEXT, stderr, 0);
  fathom_profile_free(p);
#endif
  printf("%llu %llu %llu %.6f %.0f %.0f %llu %.3f %.3f\n", (unsigned long long)(t1 - t0), zones,
         (unsigned long long)sum, pct, ons, cpu, timed, untimed, zcost);
  return 0;
}
