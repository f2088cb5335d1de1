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
 * Two more modes feed test_trace_budget.sh (the trace budget: far more events than it):
 *   budget CHROME SPEEDSCOPE TRUTH: a built model of 40 402 events (long outer frames, short
 *     leaves spread over the whole run) written as both traces, and TRUTH: one line
 *     "thread zone ts_ns dur_ns" per event, the ground truth the test compares against;
 *   record MAX_EVENTS CHROME SPEEDSCOPE: the same shape recorded for real (FATHOM_ZONE, the
 *     timeline on, the governor off, rings larger than the run) with the recorder's event
 *     budget MAX_EVENTS, and a counter update per leaf; prints "generated N kept K dropped
 *     D updates U kept C" (the model's counts: zone events, dropped_events, counter events);
 *   record-rising: the same with leaves that get longer step after step, so most calls are
 *     longer than the threshold when they end and the recorder's file must be compacted.
 *
 * usage: chrome_gen timeline|synth OUT.json
 *        chrome_gen budget CHROME.json SPEEDSCOPE.json TRUTH.txt
 *        chrome_gen record MAX_EVENTS CHROME.json SPEEDSCOPE.json */
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

/* ---- budget: a built model with far more events than the trace budget ---- */

enum { B_STEPS = 400, B_LEAVES = 50, B_STEP_NS = 10000, B_WORKER_LEAVES = 20000 };

static int cmp_ev(const void *x, const void *y) {
  const fathom_event *a = x, *b = y;
  if (a->ts_ns != b->ts_ns) return a->ts_ns < b->ts_ns ? -1 : 1;
  if (a->thread != b->thread) return a->thread < b->thread ? -1 : 1;
  return a->depth < b->depth ? -1 : a->depth > b->depth;
}

static int gen_budget(const char *chrome, const char *ss, const char *truth) {
  fathom_profile *p = zalloc(1, sizeof *p);
  p->meta.schema_version = FATHOM_SCHEMA_VERSION;
  p->meta.fathom_version = dup(FATHOM_VERSION_STRING);
  p->meta.session_name = dup("trace-budget");
  p->meta.duration_ns = (uint64_t)B_STEPS * B_STEP_NS;
  p->meta.pid = 4343;
  p->meta.clock_source = dup("clock_monotonic");
  static const char *const names[NZ] = {"main_loop", "load", "parse", "compute", "d\xc3\xa9" "code"};
  p->n_zones = NZ;
  p->zones = zalloc(NZ, sizeof *p->zones);
  for (int z = 0; z < NZ; z++) {
    p->zones[z].name = dup(names[z]);
    p->zones[z].component = dup("app");
  }
  p->n_threads = 2;
  p->threads = zalloc(2, sizeof *p->threads);
  p->threads[0] = (fathom_thread_info){.tid = 201, .name = dup("main")};
  p->threads[1] = (fathom_thread_info){.tid = 202, .name = dup("worker")};
  /* main: main_loop [0, end] { compute x B_STEPS back to back { parse x B_LEAVES } };
   * worker: load [500, end - 500] { decode x B_WORKER_LEAVES over its first half } */
  uint64_t n = 1 + B_STEPS + (uint64_t)B_STEPS * B_LEAVES + 1 + B_WORKER_LEAVES, k = 0;
  fathom_event *ev = zalloc(n, sizeof *ev);
  uint64_t end = p->meta.duration_ns;
  ev[k++] = (fathom_event){0, Z_MAIN, 1, 0, end};
  for (uint64_t i = 0; i < B_STEPS; i++) {
    ev[k++] = (fathom_event){0, Z_COMPUTE, 2, i * B_STEP_NS, B_STEP_NS - 100};
    for (uint64_t j = 0; j < B_LEAVES; j++)   /* 1..150 ns, inside the step */
      ev[k++] = (fathom_event){0, Z_PARSE, 3, i * B_STEP_NS + 100 + j * 170,
                               1 + (i * 131 + j * 37) % 150};
  }
  ev[k++] = (fathom_event){1, Z_LOAD, 1, 500, end - 1000};
  for (uint64_t j = 0; j < B_WORKER_LEAVES; j++)   /* 1..90 ns */
    ev[k++] = (fathom_event){1, Z_DECODE, 2, 1000 + j * 97, 1 + (j * 53) % 90};
  qsort(ev, n, sizeof *ev, cmp_ev);
  p->timeline = 1;
  p->n_events = n;
  p->events = ev;
  FILE *t = fopen(truth, "w");
  if (!t) return 1;
  for (uint64_t i = 0; i < n; i++)
    fprintf(t, "%u %s %llu %llu\n", ev[i].thread, names[ev[i].zone],
            (unsigned long long)ev[i].ts_ns, (unsigned long long)ev[i].dur_ns);
  int rc = fclose(t) ? FATHOM_E_IO : 0;
  if (!rc) rc = fathom_profile_save(p, FATHOM_FORMAT_CHROME, chrome);
  if (!rc) rc = fathom_profile_save(p, FATHOM_FORMAT_SPEEDSCOPE, ss);
  fathom_profile_free(p);
  if (rc) fprintf(stderr, "chrome_gen: %s\n", fathom_strerror(rc));
  return rc ? 1 : 0;
}

/* ---- record: the same shape through the recorder ---- */

enum { R_STEPS = 200, R_LEAVES = 40 };
static volatile uint64_t sink;

static int rising;   /* record-rising: each step's leaves work longer than the last's */

static void leaf(unsigned step, unsigned j) {
  FATHOM_ZONE("parse", "app");
  unsigned n = rising ? 20 * (step + 1) + j : ((step + j) % 8 + 1) * 50;
  for (unsigned i = 0; i < n; i++) sink += i;
  fathom_counter_add("leaves_done", 1);   /* a counter update per leaf: 1, 2, 3, ... */
}

static int gen_record(const char *max, const char *chrome, const char *ss) {
  fathom_config c;
  fathom_config_init(&c);
  c.timeline = 1;
  c.governor = 0;                 /* every call timed: every call is an event */
  c.ring_events = 1u << 20;       /* more than the run's events: no ring ever fills */
  c.max_trace_events = strtoull(max, NULL, 10);
  c.monitor = 0;
  c.sample_hz = 0;
  if (fathom_session_begin("trace-record", &c)) return 1;
  {
    FATHOM_ZONE("main_loop", "app");
    for (unsigned i = 0; i < R_STEPS; i++) {
      FATHOM_ZONE("compute", "app");
      for (unsigned j = 0; j < R_LEAVES; j++) leaf(i, j);
    }
  }
  fathom_profile *p = NULL;
  int rc = fathom_session_end(&p);
  if (!p) return 1;
  printf("generated %u kept %llu dropped %llu updates %u kept %llu\n",
         1 + R_STEPS + R_STEPS * R_LEAVES, (unsigned long long)p->n_events,
         (unsigned long long)p->meta.dropped_events, R_STEPS * R_LEAVES,
         (unsigned long long)p->n_counter_events);
  if (!rc) rc = fathom_profile_save(p, FATHOM_FORMAT_CHROME, chrome);
  if (!rc) rc = fathom_profile_save(p, FATHOM_FORMAT_SPEEDSCOPE, ss);
  fathom_profile_free(p);
  if (rc) fprintf(stderr, "chrome_gen: %s\n", fathom_strerror(rc));
  return rc ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "budget") == 0) return gen_budget(argv[2], argv[3], argv[4]);
  if (argc == 5 && strcmp(argv[1], "record") == 0) return gen_record(argv[2], argv[3], argv[4]);
  if (argc == 5 && strcmp(argv[1], "record-rising") == 0) {
    rising = 1;
    return gen_record(argv[2], argv[3], argv[4]);
  }
  if (argc != 3 || (strcmp(argv[1], "timeline") && strcmp(argv[1], "synth"))) {
    fprintf(stderr, "usage: chrome_gen timeline|synth OUT.json\n"
                    "       chrome_gen budget CHROME.json SPEEDSCOPE.json TRUTH.txt\n"
                    "       chrome_gen record|record-rising MAX_EVENTS CHROME.json SPEEDSCOPE.json\n");
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
