/* html_gen.c: profiles for tests/test_html.sh, which renders them in headless Chromium. Not
 * a ctest itself.
 *
 *   html_gen hostile PREFIX   a real session (timeline and monitor on) whose zone, thread and
 *                             counter names hold "</script><b>&\"'", UTF-8 and invalid UTF-8;
 *                             findings, SLAs and throughput are attached by hand (known
 *                             contents the test looks for); writes PREFIX.json (JSON view) and
 *                             PREFIX.html (HTML view, written by the library directly)
 *   html_gen plain            the same workload with no session of its own (for FATHOM_OUT,
 *                             which starts one from the environment)
 *   html_gen empty OUT.html   a model with nothing in it (all zero, every string NULL)
 *   html_gen big N OUT.html   a hand-built model of N call-tree nodes (1000 zones, one
 *                             thread, branching 4); prints "html_bytes B html_ms T"
 *   html_gen estimated OUT.html  a hand-built model whose hot zone's timing was sampled
 *                             (schema 4: estimates with errors and intervals), estimated above
 *                             its parent's time, with fixed costs and an SLA "not enough data"
 *   html_gen many OUT.html    a hand-built model of 506 zones on two threads with known
 *                             totals, throughput for every zone, a finding (see many())
 *
 * Invariant: uses only the public API (fathom.h). The hand-attached findings are detached
 * and freed here before fathom_profile_free, so the program owns exactly what it made. */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fathom.h"

#define HOSTILE "</script><b>&\"'"
#define UTF8 "d\xc3\xa9" "cod\xc3\xa9 \xe5\xad\x97"   /* "décodé 字" */

static char *dup(const char *s) {
  char *d = malloc(strlen(s) + 1);
  if (!d) exit(2);
  return strcpy(d, s);
}

static void *zalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) exit(2);
  return p;
}

static _Thread_local volatile double sink; /* per thread: several threads spin */

static void spin(long n) {
  double x = 0;
  for (long i = 0; i < n; i++) x += (double)i * 0.5;
  sink = x;
}

static void *worker(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "w<b>&\"'");
  for (int i = 0; i < 50; i++) {
    fathom_zone z = fathom_zone_begin("parse " HOSTILE, "io<&>");
    spin(20000);
    fathom_zone_end(z);
  }
  return NULL;
}

/* Zones: outer > middle > {parse HOSTILE, UTF8, "bad\xff byte"}; a worker thread runs
 * "parse HOSTILE" at top level. */
static void workload(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL)) exit(2);
  for (int r = 0; r < 30; r++) {
    fathom_zone o = fathom_zone_begin("outer", "app");
    fathom_zone m = fathom_zone_begin("middle", "app");
    for (int k = 0; k < 3; k++) {
      fathom_zone a = fathom_zone_begin("parse " HOSTILE, "io<&>");
      spin(30000);
      fathom_zone_end(a);
    }
    fathom_zone b = fathom_zone_begin(UTF8, "default");
    spin(50000);
    fathom_zone_end(b);
    fathom_zone c = fathom_zone_begin("bad\xff" "byte", NULL);
    spin(10000);
    fathom_zone_end(c);
    fathom_zone_end(m);
    fathom_zone_end(o);
    fathom_counter_add("items " HOSTILE, 3);
  }
  struct timespec ts = {0, 60 * 1000 * 1000};   /* let the monitor take a few samples */
  nanosleep(&ts, NULL);
  pthread_join(t, NULL);
}

static uint32_t zone_index(const fathom_profile *p, const char *name) {
  for (uint32_t i = 0; i < p->n_zones; i++)
    if (p->zones[i].name && strcmp(p->zones[i].name, name) == 0) return i;
  return FATHOM_NONE;
}

typedef struct attached {
  uint32_t n_findings, n_slas, n_tput;
  fathom_finding *findings;
  fathom_sla_result *slas;
  fathom_throughput_info *tput;
} attached;

static void swap_in(fathom_profile *p, attached *a) {
  uint32_t n;
  void *q;
  n = p->n_findings, p->n_findings = a->n_findings, a->n_findings = n;
  q = p->findings, p->findings = a->findings, a->findings = q;
  n = p->n_slas, p->n_slas = a->n_slas, a->n_slas = n;
  q = p->slas, p->slas = a->slas, a->slas = q;
  n = p->n_throughput, p->n_throughput = a->n_tput, a->n_tput = n;
  q = p->throughput, p->throughput = a->tput, a->tput = q;
}

static attached make_attached(const fathom_profile *p) {
  attached a = {2, 2, 1, NULL, NULL, NULL};
  uint32_t zp = zone_index(p, "parse " HOSTILE);
  a.findings = zalloc(2, sizeof *a.findings);
  fathom_finding *f = &a.findings[0];
  f->rank = 1;
  f->cls = FATHOM_FIND_HOT_PATH;
  f->severity = FATHOM_SEV_CRITICAL;
  f->score = 90;
  f->zone = zp;
  f->node = FATHOM_NONE;
  f->path = dup("outer;middle;parse " HOSTILE);
  f->summary = dup("parse " HOSTILE " takes 61% of the self time");
  f->n_figures = 2;
  f->figures = zalloc(2, sizeof *f->figures);
  f->figures[0] = (fathom_figure){dup("self_share_pct"), 61.2, dup("%")};
  f->figures[1] = (fathom_figure){dup("mean_ns"), 15300, dup("ns")};
  f->n_suggestions = 1;
  f->suggestions = zalloc(1, sizeof *f->suggestions);
  f->suggestions[0] = dup("Suggestion " HOSTILE ": hoist the work out of the loop");
  f = &a.findings[1];
  f->rank = 2;
  f->cls = FATHOM_FIND_ALLOC_CHURN;
  f->severity = FATHOM_SEV_WARNING;
  f->score = 10;
  f->zone = FATHOM_NONE;
  f->node = FATHOM_NONE;
  f->path = dup("");
  f->summary = dup("1.2 M allocations of 64 B (" UTF8 ")");
  a.slas = zalloc(2, sizeof *a.slas);
  a.slas[0] = (fathom_sla_result){dup("parse " HOSTILE), zp, 99, 1000, 15000, 240, 0, 240, 15000,
                                  15000};
  a.slas[1] = (fathom_sla_result){dup("nosuch"), FATHOM_NONE, 50, 1e6, NAN, 0, -1, 0, NAN, NAN};
  a.tput = zalloc(1, sizeof *a.tput);
  a.tput[0] = (fathom_throughput_info){FATHOM_TPUT_ZONE, zp, 1234.5, 60, 1000, 1500, 240, 240};
  return a;
}

static void free_attached(attached *a) {
  for (uint32_t i = 0; i < a->n_findings && a->findings; i++) {
    fathom_finding *f = &a->findings[i];
    free(f->path);
    free(f->summary);
    for (uint32_t k = 0; k < f->n_figures; k++) {
      free(f->figures[k].name);
      free(f->figures[k].unit);
    }
    free(f->figures);
    for (uint32_t k = 0; k < f->n_suggestions; k++) free(f->suggestions[k]);
    free(f->suggestions);
  }
  free(a->findings);
  for (uint32_t i = 0; i < a->n_slas && a->slas; i++) free(a->slas[i].zone_name);
  free(a->slas);
  free(a->tput);
}

static int hostile(const char *prefix) {
  fathom_config cfg;
  fathom_config_init(&cfg);
  cfg.level = FATHOM_LEVEL_BASIC;
  cfg.timeline = 1;
  cfg.monitor = 1;
  cfg.monitor_interval_s = 0.01;
  if (fathom_session_begin("session " HOSTILE " " UTF8, &cfg)) return 1;
  workload();
  fathom_profile *p = NULL;
  if (fathom_session_end(&p) || !p) return 1;
  char path[4096];
  snprintf(path, sizeof path, "%s.json", prefix);
  int rc = fathom_profile_save(p, FATHOM_FORMAT_JSON, path);
  attached a = make_attached(p);
  swap_in(p, &a);
  snprintf(path, sizeof path, "%s.html", prefix);
  if (!rc) rc = fathom_profile_save(p, FATHOM_FORMAT_HTML, path);
  swap_in(p, &a);
  free_attached(&a);
  fathom_profile_free(p);
  if (rc) fprintf(stderr, "html_gen: %s\n", fathom_strerror(rc));
  return rc ? 1 : 0;
}

/* ---- big: N nodes, parent of node i is (i - 1) / 4 ---- */
static int big(long n, const char *out) {
  if (n < 1 || n > 10000000) return 2;
  fathom_profile *p = zalloc(1, sizeof *p);
  p->meta.schema_version = FATHOM_SCHEMA_VERSION;
  p->meta.session_name = dup("big");
  p->meta.duration_ns = 1000000000;
  p->n_zones = 1000;
  p->zones = zalloc(p->n_zones, sizeof *p->zones);
  for (uint32_t z = 0; z < p->n_zones; z++) {
    char name[32];
    snprintf(name, sizeof name, "function_%u", z);
    p->zones[z].name = dup(name);
    p->zones[z].component = dup("default");
  }
  p->n_threads = 1;
  p->threads = zalloc(1, sizeof *p->threads);
  p->threads[0].tid = 1;
  p->threads[0].name = dup("main");
  p->n_nodes = (uint32_t)n;
  p->nodes = zalloc((size_t)n, sizeof *p->nodes);
  for (uint32_t i = n; i-- > 0;) {   /* children first, so totals add up */
    fathom_node *d = &p->nodes[i];
    d->zone = (i * 7919u) % p->n_zones;
    d->parent = i ? (i - 1) / 4 : FATHOM_NONE;
    d->stats.count = 1 + i % 13;
    d->stats.self_ns = 1000 + (i * 2654435761u) % 100000;
    d->stats.total_ns += d->stats.self_ns;
    if (i) p->nodes[d->parent].stats.total_ns += d->stats.total_ns;
    p->zones[d->zone].stats.count += d->stats.count;
    p->zones[d->zone].stats.self_ns += d->stats.self_ns;
    p->zones[d->zone].stats.total_ns += d->stats.total_ns;
  }
  for (uint32_t i = 0; i < n; i++)
    p->nodes[i].depth = i ? p->nodes[p->nodes[i].parent].depth + 1 : 1;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int rc = fathom_profile_save(p, FATHOM_FORMAT_HTML, out);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  fathom_profile_free(p);
  if (rc) {
    fprintf(stderr, "html_gen: %s\n", fathom_strerror(rc));
    return 1;
  }
  FILE *f = fopen(out, "rb");
  if (!f || fseek(f, 0, SEEK_END)) return 1;
  long bytes = ftell(f);
  fclose(f);
  printf("html_bytes %ld html_ms %.1f\n", bytes,
         (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
  return 0;
}

/* ---- estimated: sampled timing, a child estimated above its parent, fixed costs ---- */
static void est_node(fathom_profile *p, uint32_t i, uint32_t zone, uint32_t parent,
                     uint64_t count, uint64_t timed, uint64_t total, double se) {
  fathom_node *d = &p->nodes[i];
  d->zone = zone;
  d->parent = parent;
  d->depth = parent == FATHOM_NONE ? 1 : p->nodes[parent].depth + 1;
  d->stats = (fathom_stats){.count = count, .timed = timed, .total_ns = total, .self_ns = total,
                            .min_ns = total / count / 2, .max_ns = total / count * 2,
                            .mean_ns = (double)total / (double)count,
                            .p50_ns = (double)total / (double)count,
                            .p90_ns = 1.5 * (double)total / (double)count,
                            .p95_ns = 1.6 * (double)total / (double)count,
                            .p99_ns = 1.9 * (double)total / (double)count,
                            .p999_ns = 2.0 * (double)total / (double)count,
                            .total_se_ns = se, .self_se_ns = se};
  const double pc[5] = {d->stats.p50_ns, d->stats.p90_ns, d->stats.p95_ns, d->stats.p99_ns,
                        d->stats.p999_ns};
  for (int k = 0; k < FATHOM_PCT_N; k++) {
    d->stats.pct_lo_ns[k] = timed < count ? pc[k] * 0.95 : pc[k];
    d->stats.pct_hi_ns[k] = timed < count ? pc[k] * 1.08 : pc[k];
  }
  fathom_zone_info *z = &p->zones[zone];
  z->stats = d->stats;   /* one node per zone */
}

static int estimated(const char *out) {
  fathom_profile *p = zalloc(1, sizeof *p);
  p->meta.schema_version = FATHOM_SCHEMA_VERSION;
  p->meta.session_name = dup("estimated");
  p->meta.duration_ns = 2000000000;
  p->meta.level = FATHOM_LEVEL_BASIC;
  p->meta.zone_cost_ns = 20;
  p->meta.untimed_cost_ns = 4;
  p->meta.overhead_ns = 2e6;
  p->meta.overhead_pct = 0.1;
  p->meta.setup_ns = 1.2e6;
  p->meta.monitor_cpu_ns = 8e6;
  p->meta.build_ns = 3.4e6;
  p->meta.fixed_cost_ns = 12.6e6;
  p->meta.n_zones = 1000101;
  p->meta.n_timed = 10101;
  static const char *const names[] = {"step", "hot_loop", "tail"};
  p->n_zones = 3;
  p->zones = zalloc(3, sizeof *p->zones);
  for (uint32_t z = 0; z < 3; z++) {
    p->zones[z].name = dup(names[z]);
    p->zones[z].component = dup("app");
    p->zones[z].time_every = 1;
  }
  p->n_threads = 1;
  p->threads = zalloc(1, sizeof *p->threads);
  p->threads[0].tid = 1;
  p->threads[0].name = dup("main");
  p->n_nodes = 3;
  p->nodes = zalloc(3, sizeof *p->nodes);
  /* step: 100 calls, 1 s, exact; inside it hot_loop: 1e6 calls, 1e4 timed, estimated at
   * 1.02 s (above its parent's 1 s: sampling error) +- 15 ms; tail: 1 call of 1 ms */
  est_node(p, 0, 0, FATHOM_NONE, 100, 100, 1000000000, 0);
  est_node(p, 1, 1, 0, 1000000, 10000, 1020000000, 15e6);
  est_node(p, 2, 2, 0, 1, 1, 1000000, 0);
  p->zones[1].time_every = 100;
  p->zones[1].gov = FATHOM_GOV_TIME_SAMPLED;
  p->nodes[1].time_every = 100;
  p->nodes[1].gov = FATHOM_GOV_TIME_SAMPLED;
  p->n_slas = 1;
  p->slas = zalloc(1, sizeof *p->slas);
  p->slas[0] = (fathom_sla_result){dup("hot_loop"), 1, 99, 1900, 1938, 1000000, -2, 10000,
                                   1841.1, 2093.0};
  int rc = fathom_profile_save(p, FATHOM_FORMAT_HTML, out);
  fathom_profile_free(p);
  if (rc) fprintf(stderr, "html_gen: %s\n", fathom_strerror(rc));
  return rc ? 1 : 0;
}

/* ---- many: a profile of 500+ zones as -finstrument-functions gives, known totals ----
 * Thread 0: main > w1 > w2 > dispatch > work_k (k < 500, 1 ms + k x 10 us each; every
 * tenth calls shared_util, 200 us + k x 1 us, which calls itself once under work_000).
 * Thread 1: worker > shared_util (7 ms) and worker > work_000 (3 ms). Calls: work_k 501
 * when k % 7 == 0, else 1; shared_util 200 per node; the rest 1. Throughput for every zone
 * and one counter. A finding whose figures carry units in their names ("p50_ns").
 * Prints "zone NAME TOTAL_NS TOTAL_TEXT" for shared_util and work_000 (TOTAL_TEXT as the
 * page writes it), "zones N" and "tput_meaningful N" (rows with a rate that means
 * something: counters and zones of 100 calls or more). */
static uint32_t many_node(fathom_profile *p, uint32_t zone, uint32_t parent, uint32_t thread,
                          uint64_t calls, uint64_t total, uint64_t child) {
  fathom_node *d = &p->nodes[p->n_nodes];
  d->zone = zone;
  d->parent = parent;
  d->thread = thread;
  d->depth = parent == FATHOM_NONE ? 1 : p->nodes[parent].depth + 1;
  d->stats.count = calls;
  d->stats.total_ns = total;
  d->stats.self_ns = total - child;
  d->stats.mean_ns = (double)total / (double)calls;
  d->stats.min_ns = d->stats.max_ns = total / calls;
  d->stats.p50_ns = d->stats.p90_ns = d->stats.p95_ns = d->stats.p99_ns = d->stats.p999_ns =
      d->stats.mean_ns;
  fathom_stats *z = &p->zones[zone].stats;
  int nested = 0;   /* the zone already open above: its time is counted there */
  for (uint32_t a = parent; a != FATHOM_NONE; a = p->nodes[a].parent) nested |= p->nodes[a].zone == zone;
  z->count += calls;
  if (!nested) z->total_ns += total;
  z->self_ns += d->stats.self_ns;
  z->mean_ns = (double)z->total_ns / (double)z->count;
  z->p50_ns = z->p90_ns = z->p95_ns = z->p99_ns = z->p999_ns = z->mean_ns;
  z->max_ns = z->max_ns > total / calls ? z->max_ns : total / calls;
  return p->n_nodes++;
}

static int many(const char *out) {
  enum { NW = 500 };
  fathom_profile *p = zalloc(1, sizeof *p);
  p->meta.schema_version = FATHOM_SCHEMA_VERSION;
  p->meta.session_name = dup("many");
  p->meta.duration_ns = 16000000000ull;
  static const char *const fixed[] = {"main", "w1", "w2", "dispatch", "shared_util", "worker"};
  enum { Z_MAIN, Z_W1, Z_W2, Z_DISPATCH, Z_SHARED, Z_WORKER, Z_WORK0 };
  p->n_zones = Z_WORK0 + NW;
  p->zones = zalloc(p->n_zones, sizeof *p->zones);
  for (uint32_t z = 0; z < p->n_zones; z++) {
    char name[32];
    if (z < Z_WORK0) snprintf(name, sizeof name, "%s", fixed[z]);
    else snprintf(name, sizeof name, "work_%03u", z - Z_WORK0);
    p->zones[z].name = dup(name);
    p->zones[z].component = dup("functions");
  }
  p->n_threads = 2;
  p->threads = zalloc(2, sizeof *p->threads);
  p->threads[0].tid = 1;
  p->threads[0].name = dup("main");
  p->threads[1].tid = 2;
  p->threads[1].name = dup("worker");
  p->nodes = zalloc(2 * NW + 16, sizeof *p->nodes);
  /* thread 0, bottom-up sums first */
  uint64_t work[NW], shared[NW], below = 0, shared_total = 0, rec = 50000;
  for (int k = 0; k < NW; k++) {
    work[k] = 1000000 + (uint64_t)k * 10000;
    shared[k] = k % 10 == 0 ? 200000 + (uint64_t)k * 1000 : 0;
    below += work[k];
    shared_total += shared[k];
  }
  uint64_t disp = below + 1000, w2 = disp + 100, w1 = w2 + 100, mn = w1 + 100;
  uint32_t n_main = many_node(p, Z_MAIN, FATHOM_NONE, 0, 1, mn, w1);
  uint32_t n_w1 = many_node(p, Z_W1, n_main, 0, 1, w1, w2);
  uint32_t n_w2 = many_node(p, Z_W2, n_w1, 0, 1, w2, disp);
  uint32_t n_d = many_node(p, Z_DISPATCH, n_w2, 0, 1, disp, below);
  for (int k = 0; k < NW; k++) {
    uint32_t w = many_node(p, Z_WORK0 + (uint32_t)k, n_d, 0, k % 7 == 0 ? 501 : 1, work[k],
                           shared[k]);
    if (!shared[k]) continue;
    uint32_t s = many_node(p, Z_SHARED, w, 0, 200, shared[k], k == 0 ? rec : 0);
    if (k == 0) many_node(p, Z_SHARED, s, 0, 200, rec, 0);   /* recursion: counted once */
  }
  uint64_t t1_shared = 7000000, t1_work = 3000000;
  uint32_t n_wk = many_node(p, Z_WORKER, FATHOM_NONE, 1, 1, t1_shared + t1_work + 500,
                            t1_shared + t1_work);
  many_node(p, Z_SHARED, n_wk, 1, 200, t1_shared, 0);
  many_node(p, Z_WORK0, n_wk, 1, 1, t1_work, 0);
  /* throughput: every zone, then one counter */
  p->n_counters = 1;
  p->counters = zalloc(1, sizeof *p->counters);
  p->counters[0] = (fathom_counter_info){dup("bytes_out"), FATHOM_METRIC_COUNTER, 5, 5e6, 5e6, 1e6,
                                         1e6};
  p->n_throughput = p->n_zones + 1;
  p->throughput = zalloc(p->n_throughput, sizeof *p->throughput);
  uint32_t meaningful = 1;
  double secs = (double)p->meta.duration_ns / 1e9;
  for (uint32_t z = 0; z < p->n_zones; z++) {
    uint64_t c = p->zones[z].stats.count;
    p->throughput[z] = (fathom_throughput_info){FATHOM_TPUT_ZONE, z, (double)c / secs, 60,
                                                (double)c / secs, (double)c / secs, c, c};
    meaningful += c >= 100;
  }
  p->throughput[p->n_zones] = (fathom_throughput_info){FATHOM_TPUT_COUNTER, 0, 5e6 / secs, 60,
                                                       5e6 / secs, 5e6 / secs, 5, 0};
  /* one finding with unit-suffixed figure names */
  p->n_findings = 1;
  p->findings = zalloc(1, sizeof *p->findings);
  fathom_finding *f = &p->findings[0];
  *f = (fathom_finding){1, FATHOM_FIND_HOT_PATH, FATHOM_SEV_WARNING, 10, Z_SHARED, FATHOM_NONE,
                        dup("shared_util"), dup("shared_util holds much self time"), 0, NULL,
                        0, NULL};
  static const char *const fn[][2] = {{"p50_ns", "ns"}, {"self_pct", "%"}, {"alloc_bytes", "bytes"}};
  static const double fv[] = {365000, 12.5, 4096};
  f->n_figures = 3;
  f->figures = zalloc(3, sizeof *f->figures);
  for (int k = 0; k < 3; k++) f->figures[k] = (fathom_figure){dup(fn[k][0]), fv[k], dup(fn[k][1])};
  int rc = fathom_profile_save(p, FATHOM_FORMAT_HTML, out);
  if (!rc) {
    uint64_t sh = shared_total + t1_shared, w0 = work[0] + t1_work;
    printf("zones %u\ntput_meaningful %u\n", p->n_zones, meaningful);
    printf("zone shared_util %llu %.2f ms\n", (unsigned long long)sh, (double)sh / 1e6);
    printf("zone work_000 %llu %.2f ms\n", (unsigned long long)w0, (double)w0 / 1e6);
    printf("top %llu\n", (unsigned long long)(mn + t1_shared + t1_work + 500));
  }
  fathom_profile_free(p);
  if (rc) fprintf(stderr, "html_gen: %s\n", fathom_strerror(rc));
  return rc ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "hostile") == 0) return hostile(argv[2]);
  if (argc == 2 && strcmp(argv[1], "plain") == 0) {
    workload();
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "empty") == 0) {
    fathom_profile *p = zalloc(1, sizeof *p);
    int rc = fathom_profile_save(p, FATHOM_FORMAT_HTML, argv[2]);
    fathom_profile_free(p);
    return rc ? 1 : 0;
  }
  if (argc == 4 && strcmp(argv[1], "big") == 0) return big(atol(argv[2]), argv[3]);
  if (argc == 3 && strcmp(argv[1], "estimated") == 0) return estimated(argv[2]);
  if (argc == 3 && strcmp(argv[1], "many") == 0) return many(argv[2]);
  fprintf(stderr, "usage: html_gen hostile PREFIX | html_gen plain | html_gen empty OUT.html |\n"
                  "       html_gen big N OUT.html | html_gen estimated OUT.html | html_gen many OUT.html\n");
  return 2;
}
