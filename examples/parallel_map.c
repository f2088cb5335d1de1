/* parallel_map.c: fathom_parallel_map with auto-tune on two kinds of work: a CPU-bound task
 * (a hash computed many times) and an I/O-bound one (a 1 ms sleep standing in for a read or
 * a request). Prints each result, its tuning curve included, and checks every item was done.
 *
 * Usage: parallel_map [json]   (json: the results as JSON lines instead of text)
 * With FATHOM_OUT=profile.json the session's profile shows each task as a zone ("hash",
 * "fetch") on the worker threads "fathom-map-N". */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <fathom.h>

enum { N_CPU = 20000, N_IO = 1200 };

typedef struct item {
  uint64_t in, out;
} item;

static void hash_task(void *p, size_t index, void *user) {
  item *it = p;
  uint64_t h = it->in;
  for (int r = 0; r < 4000; r++) h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull + (uint64_t)r;
  it->out = h;
}

static void fetch_task(void *p, size_t index, void *user) {
  item *it = p;
  struct timespec ts = {0, 1000000};   /* 1 ms: waiting on a device or the network */
  while (nanosleep(&ts, &ts) != 0) {}
  it->out = it->in * 2;
}

static int run(const char *what, item *items, size_t n, fathom_map_fn fn, const char *zone,
               int json) {
  fathom_map_opts o;
  fathom_map_opts_init(&o);
  o.name = zone;
  o.tune_fraction = 0.3;
  fathom_map_result r;
  int rc = fathom_parallel_map(items, n, sizeof *items, fn, NULL, &o, &r);
  if (rc != 0) {
    fprintf(stderr, "parallel_map: %s: %s\n", what, fathom_strerror(rc));
    return 1;
  }
  size_t done = 0;
  for (size_t i = 0; i < n; i++) done += items[i].out != 0;
  if (json) {
    fathom_map_result_json(stdout, &r);
  } else {
    printf("== %s task (%zu of %zu items done)\n", what, done, n);
    fathom_map_result_print(stdout, &r);
  }
  return done == n ? 0 : 1;
}

int main(int argc, char **argv) {
  int json = argc > 1 && strcmp(argv[1], "json") == 0;
  static item cpu[N_CPU], io[N_IO];
  for (size_t i = 0; i < N_CPU; i++) cpu[i].in = i + 1;
  for (size_t i = 0; i < N_IO; i++) io[i].in = i + 1;
  int bad = run("CPU-bound", cpu, N_CPU, hash_task, "hash", json);
  bad |= run("I/O-bound", io, N_IO, fetch_task, "fetch", json);
  return bad;
}
