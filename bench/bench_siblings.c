/* bench_siblings.c: what a zone call costs when its parent has many children, called in an
 * order that defeats every cache of recent children (a stride through all of them): the
 * per-call time at 1 k, 10 k and 60 k siblings (zone_siblings_<n>_ns), and the ratio of the
 * largest to the smallest (zone_siblings_ratio, goal <= 10; a walk of the siblings made it
 * ~270 at 60 k). The lookup does not walk the siblings; what growth is left is the memory's:
 * 60 k call paths are ~50 MB of records that no cache holds, and a call's loads (its node,
 * its index slot, its histogram block) depend on each other. Each figure is the best of
 * several repeats, printed only after the profile confirms every call was counted. */
#include <fathom.h>
#include <stdio.h>
#include <stdlib.h>

#include "benchutil.h"

#define REPEATS 5
#define PASSES 4

static int run(int n, double *per_ns) {
  fathom_site *s = calloc((size_t)n, sizeof *s);
  char(*names)[16] = malloc((size_t)n * 16);
  if (!s || !names) return -1;
  for (int i = 0; i < n; i++) {
    snprintf(names[i], 16, "z%d", i);
    s[i] = (fathom_site){names[i], "siblings", NULL, __FILE__, "run", i, 0, 0};
  }
  fathom_config c;
  fathom_config_init(&c);
  c.max_nodes_per_thread = 200000;
  c.governor = 0; /* every call timed: the same work at every size */
  if (fathom_session_begin("siblings", &c) != 0) return -1;
  for (int i = 0; i < n; i++) fathom_zone_end(fathom_zone_begin_site(&s[i])); /* the nodes */
  double best = 1e18;
  for (int r = 0; r < REPEATS; r++) {
    uint64_t t0 = bench_now_ns();
    for (int p = 0; p < PASSES; p++)
      for (long i = 0; i < n; i++) fathom_zone_end(fathom_zone_begin_site(&s[(i * 7919) % n]));
    double per = (double)(bench_now_ns() - t0) / ((double)n * PASSES);
    if (per < best) best = per;
  }
  fathom_profile *prof = NULL;
  int rc = fathom_session_end(&prof);
  uint64_t want = 1 + (uint64_t)REPEATS * PASSES, bad = 0;
  if (rc == 0 && prof) {
    if (prof->n_zones != (size_t)n) bad = 1;
    for (size_t z = 0; z < prof->n_zones; z++)
      if (prof->zones[z].stats.count != want) bad++;
  }
  fathom_profile_free(prof); /* the sites stay: a site lives as long as the program */
  if (rc != 0 || !prof || bad) {
    printf("BENCH-FAIL zone_siblings_%d: %llu zones miscounted\n", n, (unsigned long long)bad);
    return -1;
  }
  *per_ns = best;
  return 0;
}

int main(void) {
  static const int sizes[] = {1000, 10000, 60000};
  double per[3];
  for (int i = 0; i < 3; i++) {
    if (run(sizes[i], &per[i]) != 0) return 1;
    printf("BENCH zone_siblings_%dk_ns %.1f ns\n", sizes[i] / 1000, per[i]);
  }
  double ratio = per[2] / per[0];
  printf("BENCH zone_siblings_ratio %.2f ratio\n", ratio);
  if (ratio > 10) printf("# goal missed: zone_siblings_ratio = %.2f (goal: <= 10)\n", ratio);
  return 0;
}
