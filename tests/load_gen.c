/* load_gen.c: writes large or hostile profiles for tests/test_load_limits.sh, using only the
 * public API (a hand-built model saved with fathom_profile_save):
 *   load_gen big OUT NODES EVENTS   NODES call-tree nodes in chains of 8 over 16 threads and
 *                                   200 zones, each with a histogram, and EVENTS timeline
 *                                   events: the shape of a long, wide real session;
 *   load_gen deep OUT DEPTH NAMELEN one thread whose call tree is a single chain DEPTH nodes
 *                                   deep, every node the same zone, named with NAMELEN bytes
 *                                   (the JSON writer does not judge depth: the file can hold
 *                                   what the recorder never records);
 *   load_gen rss FILE               loads FILE with fathom_profile_load and prints
 *                                   "<peak RSS in KiB> <file bytes> <load code>" (the
 *                                   process does nothing else, so its peak is the load's).
 * Invariant: exits 0 only if the file was written (or, for rss, the load was attempted); the
 * files load (every index in range, parents first, histograms ascending) but their figures
 * are made up, not a consistent session (`fathom check` objects to big's): only size and
 * depth matter here, so the tests that use them delete them when they end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "fathom.h"
#include "fathom_load.h"

static void *zalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) {
    fprintf(stderr, "load_gen: out of memory\n");
    exit(2);
  }
  return p;
}

static char *dup(const char *s) {
  char *d = zalloc(strlen(s) + 1, 1);
  return strcpy(d, s);
}

static uint64_t rnd(uint64_t *r) {
  *r ^= *r << 13;
  *r ^= *r >> 7;
  *r ^= *r << 17;
  return *r;
}

/* count calls of mean duration d, self of them `self` (<= d). */
static void set_stats(fathom_stats *s, uint64_t count, uint64_t d, uint64_t self) {
  s->count = s->timed = count;
  s->total_ns = count * d;
  s->self_ns = count * self;
  s->min_ns = d / 2;
  s->max_ns = d * 2;
  s->mean_ns = (double)d;
  s->stddev_ns = (double)d / 4;
  s->p50_ns = s->p90_ns = s->p95_ns = s->p99_ns = s->p999_ns = (double)d;
  for (int k = 0; k < FATHOM_PCT_N; k++) s->pct_lo_ns[k] = s->pct_hi_ns[k] = (double)d;
}

static fathom_profile *new_profile(const char *name, uint32_t n_zones, uint32_t n_threads) {
  fathom_profile *p = zalloc(1, sizeof *p);
  p->meta.schema_version = FATHOM_SCHEMA_VERSION;
  p->meta.fathom_version = dup(FATHOM_VERSION_STRING);
  p->meta.session_name = dup(name);
  p->meta.level = FATHOM_LEVEL_BASIC;
  p->meta.clock_source = dup("clock_monotonic");
  p->meta.duration_ns = 60000000000ULL;
  p->n_zones = n_zones;
  p->zones = zalloc(n_zones, sizeof *p->zones);
  p->n_threads = n_threads;
  p->threads = zalloc(n_threads, sizeof *p->threads);
  for (uint32_t t = 0; t < n_threads; t++) {
    char nm[32];
    snprintf(nm, sizeof nm, "worker-%u", t);
    p->threads[t].name = dup(nm);
    p->threads[t].tid = 1000 + t;
  }
  return p;
}

static fathom_profile *build_big(uint32_t n, uint64_t n_events) {
  fathom_profile *p = new_profile("load_gen_big", 200, 16);
  uint64_t r = 88172645463325252ULL;
  for (uint32_t z = 0; z < p->n_zones; z++) {
    char nm[48];
    snprintf(nm, sizeof nm, "module_%u::operation_%u", z % 17, z);
    p->zones[z].name = dup(nm);
    p->zones[z].component = dup(z % 2 ? "compute" : "io");
    p->zones[z].time_every = 1;
    set_stats(&p->zones[z].stats, 1000 + z, 5000 + z, 2000);
  }
  p->n_nodes = n;
  p->nodes = zalloc(n, sizeof *p->nodes);
  for (uint32_t i = 0; i < n; i++) {
    fathom_node *nd = &p->nodes[i];
    uint32_t pos = i % 8;
    nd->zone = (uint32_t)(rnd(&r) % p->n_zones);
    nd->parent = pos ? i - 1 : FATHOM_NONE;
    nd->thread = (i / 8) % p->n_threads;
    nd->depth = pos + 1;
    nd->time_every = 1;
    uint64_t d = 100000 >> pos;
    set_stats(&nd->stats, 1 + rnd(&r) % 100000, d, pos == 7 ? d : d / 2);
    uint32_t nb = 8 + (uint32_t)(rnd(&r) % 16);
    nd->hist.unit_ns = 1;
    nd->hist.n = nb;
    nd->hist.bucket = zalloc(nb, sizeof *nd->hist.bucket);
    nd->hist.count = zalloc(nb, sizeof *nd->hist.count);
    for (uint32_t k = 0; k < nb; k++) {
      nd->hist.bucket[k] = 600 + 7 * k;
      nd->hist.count[k] = 1 + rnd(&r) % 5000;
    }
  }
  p->timeline = n_events > 0;
  p->n_events = n_events;
  p->events = zalloc(n_events, sizeof *p->events);
  for (uint64_t k = 0; k < n_events; k++)
    p->events[k] = (fathom_event){.thread = (uint32_t)(k % p->n_threads),
                                  .zone = (uint32_t)(rnd(&r) % p->n_zones), .depth = 1,
                                  .ts_ns = 1000 * k, .dur_ns = 500 + rnd(&r) % 400};
  return p;
}

static fathom_profile *build_deep(uint32_t depth, size_t namelen) {
  fathom_profile *p = new_profile("load_gen_deep", 1, 1);
  char *name = zalloc(namelen + 1, 1);
  for (size_t k = 0; k < namelen; k++) name[k] = (char)('a' + k % 26);
  p->zones[0].name = name;
  p->zones[0].component = dup("deep");
  p->zones[0].time_every = 1;
  set_stats(&p->zones[0].stats, 1, 1000ULL * depth, 1000ULL * depth);
  p->n_nodes = depth;
  p->nodes = zalloc(depth, sizeof *p->nodes);
  for (uint32_t i = 0; i < depth; i++) {
    fathom_node *nd = &p->nodes[i];
    nd->parent = i ? i - 1 : FATHOM_NONE;
    nd->depth = i + 1;
    nd->time_every = 1;
    set_stats(&nd->stats, 1, 1000ULL * (depth - i), 1000);
  }
  return p;
}

static int load_rss(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    return 1;
  }
  fathom_profile *p = NULL;
  char err[512] = "";
  int rc = fathom_profile_load(path, &p, err, sizeof err);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("%ld %lld %d\n", ru.ru_maxrss, (long long)st.st_size, rc);
  if (rc) fprintf(stderr, "%s\n", err);
  fathom_profile_free(p);
  return 0;
}

int main(int argc, char **argv) {
  fathom_profile *p = NULL;
  if (argc == 3 && strcmp(argv[1], "rss") == 0) return load_rss(argv[2]);
  if (argc == 5 && strcmp(argv[1], "big") == 0)
    p = build_big((uint32_t)strtoul(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
  else if (argc == 5 && strcmp(argv[1], "deep") == 0)
    p = build_deep((uint32_t)strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10));
  if (!p) {
    fprintf(stderr, "usage: load_gen big OUT NODES EVENTS | load_gen deep OUT DEPTH NAMELEN | "
                    "load_gen rss FILE\n");
    return 2;
  }
  int rc = fathom_profile_save(p, FATHOM_FORMAT_JSON, argv[2]);
  fathom_profile_free(p);
  if (rc) {
    fprintf(stderr, "load_gen: cannot write %s: %s\n", argv[2], fathom_strerror(rc));
    return 1;
  }
  return 0;
}
