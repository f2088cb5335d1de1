/* outputs_gen.c: a large profile for tests/test_outputs.sh, whose Chrome trace takes long
 * enough to write that the test can interrupt `fathom report -o` while its temporary file
 * exists. Not a ctest itself.
 *
 *   outputs_gen N OUT.json   one thread, three nested zones, N timeline events (a Chrome
 *                            trace of about 120 bytes per event), saved as JSON
 *
 * Invariant: uses only the public API (fathom.h); the model holds together (each zone's
 * events within its parent's, totals equal to the events' sums), so it loads and checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"

static char *dup(const char *s) {
  char *d = strdup(s);
  if (!d) exit(2);
  return d;
}

int main(int argc, char **argv) {
  long n = argc == 3 ? atol(argv[1]) : 0;
  if (n < 3 || n > 50000000) {
    fprintf(stderr, "usage: outputs_gen N OUT.json (3 <= N <= 50000000)\n");
    return 2;
  }
  fathom_profile *p = calloc(1, sizeof *p);
  if (!p) return 2;
  static const char *const names[] = {"request", "parse", "tokenize"};
  enum { NZ = 3 };
  p->meta.schema_version = FATHOM_SCHEMA_VERSION;
  p->meta.session_name = dup("outputs");
  p->n_zones = NZ;
  p->zones = calloc(NZ, sizeof *p->zones);
  p->n_nodes = NZ;
  p->nodes = calloc(NZ, sizeof *p->nodes);
  p->n_threads = 1;
  p->threads = calloc(1, sizeof *p->threads);
  p->n_events = (uint64_t)n / NZ * NZ;
  p->events = calloc(p->n_events, sizeof *p->events);
  if (!p->zones || !p->nodes || !p->threads || !p->events) return 2;
  p->threads[0].tid = 1;
  p->threads[0].name = dup("main");
  /* each round: request [0, 90) holding parse [10, 80) holding tokenize [20, 60), in us */
  static const uint64_t begin[NZ] = {0, 10000, 20000}, dur[NZ] = {90000, 70000, 40000};
  uint64_t rounds = p->n_events / NZ;
  for (uint32_t z = 0; z < NZ; z++) {
    p->zones[z].name = dup(names[z]);
    p->zones[z].component = dup("work");
    fathom_node *d = &p->nodes[z];
    d->zone = z;
    d->parent = z ? z - 1 : FATHOM_NONE;
    d->depth = z + 1;
    d->stats.count = d->stats.timed = rounds;
    d->stats.total_ns = rounds * dur[z];
    d->stats.self_ns = rounds * (dur[z] - (z + 1 < NZ ? dur[z + 1] : 0));
    d->stats.min_ns = d->stats.max_ns = dur[z];
    d->stats.mean_ns = (double)dur[z];
    d->stats.p50_ns = d->stats.p90_ns = d->stats.p95_ns = d->stats.p99_ns = (double)dur[z];
    d->stats.p999_ns = (double)dur[z];
    for (int k = 0; k < FATHOM_PCT_N; k++) d->stats.pct_lo_ns[k] = d->stats.pct_hi_ns[k] = dur[z];
    p->zones[z].stats = d->stats;
  }
  for (uint64_t r = 0; r < rounds; r++)
    for (uint32_t z = 0; z < NZ; z++)
      p->events[r * NZ + z] = (fathom_event){0, z, z + 1, r * 100000 + begin[z], dur[z]};
  p->meta.duration_ns = rounds * 100000;
  p->timeline = 1;
  int rc = fathom_profile_save(p, FATHOM_FORMAT_JSON, argv[2]);
  fathom_profile_free(p);
  if (rc) fprintf(stderr, "outputs_gen: %s: %s\n", argv[2], fathom_strerror(rc));
  return rc ? 1 : 0;
}
