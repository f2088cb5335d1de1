/* bench_html.c: the cost of the findings and of the views on a large profile: a model of
 * 100 000 call-tree nodes (2 000 zones, 4 threads, depth up to 24, histograms, probed
 * resources, allocations) built by hand through the public structs. Prints
 *   BENCH analysis_ms   fathom_analyze(p, NULL)            (goal < 1000 ms)
 *   BENCH html_ms       fathom_profile_write(p, HTML, ...) into a file (goal < 1000 ms)
 *   BENCH html_bytes    that file's size                   (goal < 10 MB)
 *   BENCH folded_ms, speedscope_ms   the two flame-graph views into files
 * Each figure is the best of REPS runs.
 *
 * Invariant: a figure is printed only after its run checked itself (analysis returned
 * findings; the HTML ends with </html>; the folded lines' numbers add up to the model's
 * self time; the speedscope file is one JSON object); otherwise BENCH-FAIL, exit 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "fathom.h"

#define N_NODES 100000u
#define N_ZONES 2000u
#define N_THREADS 4u
#define MAX_DEPTH 24u
#define REPS 3

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng % n);
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) {
    printf("BENCH-FAIL html: out of memory\n");
    exit(1);
  }
  return p;
}
static char *xdup(const char *s) { return strcpy(xcalloc(strlen(s) + 1, 1), s); }

/* A histogram of `count` calls around mean_ns with a tail; stats filled to match. */
static void fill_stats(fathom_stats *st, fathom_hist *h, uint64_t count, uint64_t total_ns,
                       uint64_t self_ns) {
  st->count = st->timed = count;
  st->total_ns = total_ns;
  st->self_ns = self_ns;
  double mean = (double)total_ns / (double)count;
  st->mean_ns = mean;
  st->stddev_ns = mean / 4;
  st->min_ns = (uint64_t)(mean / 2);
  st->max_ns = (uint64_t)(mean * 8) + 1;
  st->p50_ns = mean * 0.9;
  st->p90_ns = mean * 1.5;
  st->p95_ns = mean * 2;
  st->p99_ns = mean * 5;
  st->p999_ns = mean * 7;
  uint32_t nb = count < 8 ? (uint32_t)count : 8;
  h->n = nb;
  h->bucket = xcalloc(nb, sizeof *h->bucket);
  h->count = xcalloc(nb, sizeof *h->count);
  h->unit_ns = 1;
  uint64_t left = count;
  uint32_t b0 = 64u * 10u;  /* ~ microseconds */
  for (uint32_t i = 0; i < nb; i++) {
    h->bucket[i] = b0 + i * 40u;
    h->count[i] = i + 1 == nb ? left : left / 2;
    left -= h->count[i];
  }
}

static fathom_profile *build(void) {
  fathom_profile *p = xcalloc(1, sizeof *p);
  fathom_meta *m = &p->meta;
  m->schema_version = FATHOM_SCHEMA_VERSION;
  m->fathom_version = xdup(FATHOM_VERSION_STRING);
  m->session_name = xdup("bench-html");
  m->program = xdup("/usr/bin/bench");
  m->host = xdup("bench-host");
  m->os = xdup("Linux");
  m->kernel = xdup("6.1.0");
  m->arch = xdup("x86_64");
  m->cpu_model = xdup("bench cpu");
  m->clock_source = xdup("tsc");
  m->n_cpus = 8;
  m->level = FATHOM_LEVEL_DETAILED;
  m->duration_ns = 60000000000ull;
  m->cpu_time_ns = 2e11;
  m->zone_cost_ns = 20;
  m->alloc_tracking = 1;
  p->res.monitored = 0;
  p->res.wall_s = 60;
  p->n_zones = N_ZONES;
  p->zones = xcalloc(N_ZONES, sizeof *p->zones);
  static const char *const comps[] = {"data", "training", "io", "net", "math"};
  for (uint32_t z = 0; z < N_ZONES; z++) {
    char name[64], file[64];
    snprintf(name, sizeof name, "%s_step_%u", comps[z % 5], z);
    snprintf(file, sizeof file, "src/%s.c", comps[z % 5]);
    fathom_zone_info *zi = &p->zones[z];
    zi->name = xdup(name);
    zi->component = xdup(comps[z % 5]);
    zi->tags = xdup("");
    zi->file = xdup(file);
    zi->func = xdup(name);
    zi->line = (int)(10 + z);
    zi->time_every = 1;
  }
  p->n_threads = N_THREADS;
  p->threads = xcalloc(N_THREADS, sizeof *p->threads);
  for (uint32_t t = 0; t < N_THREADS; t++) {
    char name[32];
    snprintf(name, sizeof name, "worker-%u", t);
    p->threads[t].tid = 1000 + t;
    p->threads[t].name = xdup(name);
  }
  /* nodes: per thread a random tree; parents precede children */
  p->n_nodes = N_NODES;
  p->nodes = xcalloc(N_NODES, sizeof *p->nodes);
  uint64_t *self = xcalloc(N_NODES, sizeof *self), *total = xcalloc(N_NODES, sizeof *total);
  uint64_t *count = xcalloc(N_NODES, sizeof *count);
  uint32_t per = N_NODES / N_THREADS;
  for (uint32_t i = 0; i < N_NODES; i++) {
    fathom_node *n = &p->nodes[i];
    uint32_t th = i / per < N_THREADS ? i / per : N_THREADS - 1, first = th * per;
    n->thread = th;
    n->parent = FATHOM_NONE;
    if (i > first && rnd(50) != 0) {  /* under a recent node of this thread */
      uint32_t back = 1 + rnd(i - first < 64 ? i - first : 64);
      uint32_t par = i - back;
      if (p->nodes[par].depth < MAX_DEPTH) n->parent = par;
    }
    n->depth = n->parent == FATHOM_NONE ? 1 : p->nodes[n->parent].depth + 1;
    n->zone = i < 8 ? i : rnd(N_ZONES);
    count[i] = 1 + rnd(2000);
    self[i] = count[i] * (1000 + rnd(50000));
    if (n->zone == 7) self[i] *= 2000;   /* a hot path */
    n->time_every = 1;
  }
  for (uint32_t i = N_NODES; i-- > 0;) {   /* inclusive totals, children before parents */
    total[i] += self[i];
    if (p->nodes[i].parent != FATHOM_NONE) total[p->nodes[i].parent] += total[i];
  }
  for (uint32_t i = 0; i < N_NODES; i++) {
    fathom_node *n = &p->nodes[i];
    fill_stats(&n->stats, &n->hist, count[i], total[i], self[i]);
    n->res.samples = count[i] / 16 + 1;
    n->res.sample_every = 16;
    n->res.mask = (1u << FATHOM_RES_CPU_USER_NS) | (1u << FATHOM_RES_CPU_SYS_NS) |
                  (1u << FATHOM_RES_CTX_VOL) | (1u << FATHOM_RES_READ_BYTES) | (1u << FATHOM_RES_WALL_NS);
    double frac = (double)n->res.samples / (double)count[i];
    n->res.sum[FATHOM_RES_WALL_NS] = (double)total[i] * frac;
    n->res.sum[FATHOM_RES_CPU_USER_NS] = (double)total[i] * frac * (i % 3 ? 0.9 : 0.2);
    n->res.sum[FATHOM_RES_CPU_SYS_NS] = (double)total[i] * frac * 0.05;
    n->res.sum[FATHOM_RES_CTX_VOL] = (double)(rnd(100));
    n->res.sum[FATHOM_RES_READ_BYTES] = (double)(rnd(1u << 20));
    n->alloc_self.alloc_count = count[i] * rnd(40);
    n->alloc_self.alloc_bytes = n->alloc_self.alloc_count * 64;
    n->alloc_self.free_count = n->alloc_self.alloc_count;
    n->alloc_self.free_bytes = n->alloc_self.alloc_bytes;
    n->alloc = n->alloc_self;
    fathom_zone_info *z = &p->zones[n->zone];
    fathom_stats add = n->stats;
    z->stats.count += add.count;
    z->stats.timed += add.timed;
    z->stats.total_ns += n->parent == FATHOM_NONE ? add.total_ns : add.self_ns;
    z->stats.self_ns += add.self_ns;
    z->res.samples += n->res.samples;
    z->res.sample_every = 16;
    z->res.mask |= n->res.mask;
    for (int k = 0; k < FATHOM_RES_N; k++) z->res.sum[k] += n->res.sum[k];
    z->alloc.alloc_count += n->alloc_self.alloc_count;
    z->alloc.alloc_bytes += n->alloc_self.alloc_bytes;
    z->alloc.free_count += n->alloc_self.free_count;
    z->alloc.free_bytes += n->alloc_self.free_bytes;
    z->alloc_self = z->alloc;
  }
  for (uint32_t z = 0; z < N_ZONES; z++) {
    fathom_zone_info *zi = &p->zones[z];
    if (!zi->stats.count) { zi->stats.count = zi->stats.timed = 1; zi->stats.total_ns = zi->stats.self_ns = 1000; }
    fathom_stats keep = zi->stats;
    fill_stats(&zi->stats, &zi->hist, keep.count, keep.total_ns, keep.self_ns);
  }
  free(self);
  free(total);
  free(count);
  p->n_counters = 3;
  p->counters = xcalloc(3, sizeof *p->counters);
  static const char *const cn[] = {"batches", "bytes_read", "queue_depth"};
  for (uint32_t i = 0; i < 3; i++) {
    p->counters[i].name = xdup(cn[i]);
    p->counters[i].kind = i == 2 ? FATHOM_METRIC_GAUGE : FATHOM_METRIC_COUNTER;
    p->counters[i].n_updates = 1000;
    p->counters[i].value = p->counters[i].total = 5000.0 * (i + 1);
    p->counters[i].max = 10;
  }
  return p;
}

/* Writes the view into a temporary file; returns ms (best of REPS) and the file's bytes. */
static double time_view(const fathom_profile *p, fathom_format fmt, const char *path, long *bytes,
                        int *rc) {
  double best = INFINITY;
  for (int r = 0; r < REPS; r++) {
    FILE *f = fopen(path, "w");
    if (!f) { *rc = FATHOM_E_IO; return 0; }
    uint64_t t0 = bench_now_ns();
    *rc = fathom_profile_write(p, fmt, f, 0);
    fflush(f);
    double ms = (double)(bench_now_ns() - t0) / 1e6;
    *bytes = ftell(f);
    fclose(f);
    if (*rc) return 0;
    if (ms < best) best = ms;
  }
  return best;
}

static char *slurp(const char *path, long *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = xcalloc((size_t)*n + 1, 1);
  size_t got = fread(s, 1, (size_t)*n, f);
  fclose(f);
  s[got] = 0;
  *n = (long)got;
  return s;
}

int main(void) {
  fathom_profile *p = build();
  uint64_t self_sum = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) self_sum += p->nodes[i].stats.self_ns;

  double best = INFINITY;
  int rc = 0;
  for (int r = 0; r < REPS && !rc; r++) {
    uint64_t t0 = bench_now_ns();
    rc = fathom_analyze(p, NULL);
    double ms = (double)(bench_now_ns() - t0) / 1e6;
    if (ms < best) best = ms;
  }
  bench_check(rc == 0, "analysis_ms", "fathom_analyze failed");
  bench_check(p->n_findings > 0, "analysis_ms", "no findings on a profile with a hot path");
  if (rc == 0 && p->n_findings > 0) bench_print("analysis_ms", best, "ms");

  char path[64];
  snprintf(path, sizeof path, "/tmp/fathom-bench-html.%ld", (long)getpid());
  long bytes = 0, n = 0;
  double ms = time_view(p, FATHOM_FORMAT_HTML, path, &bytes, &rc);
  char *s = rc ? NULL : slurp(path, &n);
  int ok = s && n > 0 && n == bytes;
  while (ok && n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ')) n--;
  ok = ok && n >= 7 && memcmp(s + n - 7, "</html>", 7) == 0;
  bench_check(ok, "html_ms", rc ? fathom_strerror(rc) : "the HTML is empty or does not end with </html>");
  if (ok) {
    bench_print("html_ms", ms, "ms");
    bench_print("html_bytes", (double)bytes, "bytes");
  }
  free(s);

  ms = time_view(p, FATHOM_FORMAT_FOLDED, path, &bytes, &rc);
  s = rc ? NULL : slurp(path, &n);
  uint64_t sum = 0;
  for (char *line = s; line && *line;) {   /* every line "stack <ns>" */
    char *nl = strchr(line, '\n'), *sp;
    if (!nl) break;
    *nl = 0;
    sp = strrchr(line, ' ');
    if (sp) sum += strtoull(sp + 1, NULL, 10);
    line = nl + 1;
  }
  ok = s && sum == self_sum;
  bench_check(ok, "folded_ms", rc ? fathom_strerror(rc) : "the folded lines do not add up to the self time");
  if (ok) bench_print("folded_ms", ms, "ms");
  free(s);

  ms = time_view(p, FATHOM_FORMAT_SPEEDSCOPE, path, &bytes, &rc);
  s = rc ? NULL : slurp(path, &n);
  ok = s && n > 2 && s[0] == '{' && strcmp(s + n - 2, "}\n") == 0 && strstr(s, "\"profiles\":[");
  bench_check(ok, "speedscope_ms", rc ? fathom_strerror(rc) : "the speedscope file is not one JSON object");
  if (ok) bench_print("speedscope_ms", ms, "ms");
  free(s);
  unlink(path);
  fathom_profile_free(p);
  return bench_failed;
}
