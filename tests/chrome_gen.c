/* chrome_gen.c: writes a Chrome trace of a fixed, hand-built profile model, for
 * test_chrome_real.sh to feed to a real trace importer (speedscope). Not a ctest itself.
 *
 * Invariant: uses only the public API (fathom.h): the model is filled field by field with
 * malloc'd strings so fathom_profile_free owns and frees it, exactly like a loaded one. The
 * figures below are mirrored in test_chrome_real.sh's expectations; change both together.
 *
 * Both traces carry a monitor series (CPU, RSS, two GPUs, a NaN), so the importer also meets
 * the "C" counter tracks it must pass over.
 *
 * usage: chrome_gen timeline|synth OUT.json */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"

static char *dup(const char *s) {
  char *d = malloc(strlen(s) + 1);
  if (!d) exit(2);
  return strcpy(d, s);
}

static void *zalloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  if (!p) exit(2);
  return p;
}

enum { Z_MAIN, Z_LOAD, Z_PARSE, Z_COMPUTE, Z_DECODE, NZ };

static void node(fathom_profile *p, uint32_t i, uint32_t zone, uint32_t parent, uint32_t thread,
                 uint64_t count, uint64_t total, uint64_t self) {
  fathom_node *n = &p->nodes[i];
  n->zone = zone;
  n->parent = parent;
  n->thread = thread;
  n->depth = parent == FATHOM_NONE ? 1 : p->nodes[parent].depth + 1;
  n->stats.count = count;
  n->stats.total_ns = total;
  n->stats.self_ns = self;
  n->stats.min_ns = n->stats.max_ns = total / count;
  n->stats.mean_ns = (double)total / (double)count;
  p->zones[zone].stats.count += count;
  p->zones[zone].stats.total_ns += total;
  p->zones[zone].stats.self_ns += self;
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "timeline") && strcmp(argv[1], "synth"))) {
    fprintf(stderr, "usage: chrome_gen timeline|synth OUT.json\n");
    return 2;
  }
  fathom_profile *p = zalloc(1, sizeof *p);
  p->meta.schema_version = FATHOM_SCHEMA_VERSION;
  p->meta.fathom_version = dup(FATHOM_VERSION_STRING);
  p->meta.session_name = dup("chrome-real");
  p->meta.session_id = 0xfeedULL;
  p->meta.duration_ns = 10000;
  p->meta.pid = 4242;
  p->meta.clock_source = dup("clock_monotonic");

  static const char *const names[NZ] = {"main_loop", "load", "parse \"json\"", "compute",
                                        "d\xc3\xa9" "code"};
  static const char *const comps[NZ] = {"app", "data", "data", "math", "data"};
  p->n_zones = NZ;
  p->zones = zalloc(NZ, sizeof *p->zones);
  for (int z = 0; z < NZ; z++) {
    p->zones[z].name = dup(names[z]);
    p->zones[z].component = dup(comps[z]);
  }
  p->n_threads = 2;
  p->threads = zalloc(2, sizeof *p->threads);
  p->threads[0] = (fathom_thread_info){101, dup("main"), 0, 0, 5, 0};
  p->threads[1] = (fathom_thread_info){102, dup("worker"), 1, 0, 2, 0};

  /* call trees: main { main_loop { load { parse }, compute x2 } }, worker { compute { decode } } */
  p->n_nodes = 6;
  p->nodes = zalloc(6, sizeof *p->nodes);
  node(p, 0, Z_MAIN, FATHOM_NONE, 0, 1, 10000, 800);
  node(p, 1, Z_LOAD, 0, 0, 1, 3000, 2000);
  node(p, 2, Z_PARSE, 1, 0, 1, 1000, 1000);
  node(p, 3, Z_COMPUTE, 0, 0, 2, 6200, 6200);
  node(p, 4, Z_COMPUTE, FATHOM_NONE, 1, 1, 2000, 1500);
  node(p, 5, Z_DECODE, 4, 1, 1, 500, 500);
  p->meta.n_zones = 7;

  if (strcmp(argv[1], "timeline") == 0) {
    /* sorted by ts; at ts 0 the child is listed before its parent on purpose */
    /* compute begins the instant load ends: siblings that touch must stay siblings */
    static const fathom_event ev[] = {
        {0, Z_LOAD, 2, 0, 3000},     {0, Z_MAIN, 1, 0, 10000},   {0, Z_PARSE, 3, 200, 1000},
        {1, Z_COMPUTE, 1, 500, 2000}, {1, Z_DECODE, 2, 600, 500}, {0, Z_COMPUTE, 2, 3000, 5500},
        {0, Z_COMPUTE, 2, 9200, 700},
    };
    p->timeline = 1;
    p->n_events = sizeof ev / sizeof ev[0];
    p->events = zalloc(p->n_events, sizeof *p->events);
    memcpy(p->events, ev, sizeof ev);
    p->n_counters = 1;
    p->counters = zalloc(1, sizeof *p->counters);
    p->counters[0] = (fathom_counter_info){dup("batches"), FATHOM_METRIC_COUNTER, 2, 2, 2, 1, 1};
    p->n_counter_events = 2;
    p->counter_events = zalloc(2, sizeof *p->counter_events);
    p->counter_events[0] = (fathom_counter_event){0, 0, 3100, 1};
    p->counter_events[1] = (fathom_counter_event){0, 0, 9900, 2};
  }
  /* the monitor's series: 3 rows x 5 columns; expected counter events (test_chrome_real.sh):
   * cpu 3, memory 3, gpu0 util 2 (one NaN), gpu1 util 3, gpu1 memory 3 = 14 */
  static const char *const cols[] = {"cpu_user_pct", "rss_bytes", "gpu0_util_pct",
                                     "gpu1_util_pct", "gpu1_mem_used_bytes"};
  fathom_series *se = &p->series;
  se->interval_s = 0.001;
  se->n_cols = 5;
  se->cols = zalloc(5, sizeof *se->cols);
  for (int k = 0; k < 5; k++) se->cols[k] = dup(cols[k]);
  se->n = 3;
  se->ts_ns = zalloc(3, sizeof *se->ts_ns);
  se->v = zalloc(15, sizeof *se->v);
  static const uint64_t ts[] = {1000, 5000, 9000};
  const double v[] = {50, 1048576, 10, 20, 4096, 99.5, 2097152, NAN, 30, 8192,
                      100, 3145728, 90, 40, 16384};
  memcpy(se->ts_ns, ts, sizeof ts);
  memcpy(se->v, v, sizeof v);
  p->n_gpus = 2;
  p->gpus = zalloc(2, sizeof *p->gpus);
  p->gpus[0] = (fathom_gpu_info){0, dup("stand-in 0"), 1e9, 0, NAN, 50, 90, NAN, NAN, NAN};
  p->gpus[1] = (fathom_gpu_info){1, dup("stand-in 1"), 1e9, 16384, 16384, 30, 40, NAN, NAN, NAN};

  int rc = fathom_profile_save(p, FATHOM_FORMAT_CHROME, argv[2]);
  fathom_profile_free(p);
  if (rc) {
    fprintf(stderr, "chrome_gen: %s\n", fathom_strerror(rc));
    return 1;
  }
  return 0;
}
