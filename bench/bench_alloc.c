/* bench_alloc.c: the malloc-heavy workload of issue 3: 64 M malloc/free pairs of 16-271
 * bytes, a ring of 64 blocks live at a time, sizes from a fixed xorshift sequence. It calls
 * no fathom function: bench/run.sh runs it plain and under
 * LD_PRELOAD=libfathom.so FATHOM=1 FATHOM_LEVEL=detailed (allocation tracking on) and
 * reports the ratio as alloc_slowdown.
 *
 * Invariant: the work is the same in every run (deterministic sizes, same pair count); each
 * block is written and read back, and the checksum printed, so no pair can be optimised
 * away. Output: "BENCH_ALLOC_SECONDS <s>" and "BENCH_ALLOC_CHECKSUM <hex>".
 * Usage: bench_alloc [pairs] (default 67108864). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RING 64

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  uint64_t pairs = (uint64_t)64 << 20;
  if (argc > 1) {
    char *e;
    unsigned long long v = strtoull(argv[1], &e, 10);
    if (*e || v == 0) {
      fprintf(stderr, "usage: %s [pairs]\n", argv[0]);
      return 2;
    }
    pairs = v;
  }
  unsigned char *ring[RING] = {0};
  uint64_t x = 0x9E3779B97F4A7C15ull, sum = 0;
  double t0 = now_s();
  for (uint64_t i = 0; i < pairs; i++) {
    unsigned k = (unsigned)(i % RING);
    if (ring[k]) {
      sum += ring[k][0];
      free(ring[k]);
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    size_t n = 16 + (size_t)(x % 256);
    unsigned char *p = malloc(n);
    if (!p) {
      fprintf(stderr, "bench_alloc: out of memory\n");
      return 1;
    }
    p[0] = (unsigned char)i;
    p[n - 1] = (unsigned char)n;
    sum += p[n - 1];
    ring[k] = p;
  }
  for (unsigned k = 0; k < RING; k++) {
    if (ring[k]) sum += ring[k][0];
    free(ring[k]);
  }
  double dt = now_s() - t0;
  printf("BENCH_ALLOC_SECONDS %.3f\n", dt);
  printf("BENCH_ALLOC_CHECKSUM %016llx\n", (unsigned long long)sum);
  return 0;
}
