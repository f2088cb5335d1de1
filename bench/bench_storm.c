/* bench_storm.c: a storm of tiny zones: 2 threads each running zones around a few dozen
 * to ~150 ns of arithmetic (work steps of the loop below, default 96: over 10 M zones/s
 * in all; 24: over 30 M zones/s). "on" runs a DETAILED session with the governor on (the
 * defaults), "off" the same loop with no session (each zone costs the macro's predictable
 * branch). Prints "wall_ns zones checksum"; bench/run.sh interleaves on/off runs for
 * storm_overhead_pct and checks the zone rate and that the results agree. */
#include <fathom.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"

#define THREADS 2

typedef struct arg { long n; double sum; } arg;

static int steps = 96;

__attribute__((noinline)) static double work(long i) {
  double x = (double)(i & 1023) * 1e-3, acc = 0;
  for (int k = 0; k < steps; k++) acc += x * (double)k / (1.0 + x * k);
  return acc;
}

static void *run(void *p) {
  arg *a = p;
  double s = 0;
  for (long i = 0; i < a->n; i++) {
    FATHOM_ZONE("storm", "bench");
    s += work(i);
  }
  a->sum = s;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2 || (strcmp(argv[1], "on") && strcmp(argv[1], "off"))) {
    fprintf(stderr, "usage: bench_storm on|off [zones_per_thread [work_steps]]\n");
    return 2;
  }
  int on = strcmp(argv[1], "on") == 0;
  long n = argc > 2 ? atol(argv[2]) : 6000000;
  if (argc > 3) steps = atoi(argv[3]);
  if (n <= 0 || steps <= 0) {
    fprintf(stderr, "bench_storm: zones_per_thread and work_steps must be positive\n");
    return 2;
  }
  if (on) {
    fathom_config c;
    fathom_config_init(&c);
    c.level = FATHOM_LEVEL_DETAILED;
    if (fathom_session_begin("storm", &c) != 0) return 1;
  }
  pthread_t th[THREADS];
  arg a[THREADS];
  uint64_t t0 = bench_now_ns();
  for (int i = 0; i < THREADS; i++) {
    a[i].n = n;
    pthread_create(&th[i], NULL, run, &a[i]);
  }
  double sum = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(th[i], NULL);
    sum += a[i].sum;
  }
  uint64_t t1 = bench_now_ns();
  unsigned long long zones = 0;
  if (on) {
    fathom_profile *p = NULL;
    fathom_session_end(&p);
    if (!p) return 1;
    zones = p->meta.n_zones;
    if (getenv("STORM_REPORT")) fathom_profile_write(p, FATHOM_FORMAT_TEXT, stderr, 0);
    fathom_profile_free(p);
    if (zones != (unsigned long long)n * THREADS) {
      fprintf(stderr, "bench_storm: %llu zones recorded, %ld expected\n", zones, n * THREADS);
      return 1;
    }
  }
  printf("%llu %llu %.9g\n", (unsigned long long)(t1 - t0), zones, sum);
  return 0;
}
