/* prof.c: the samples of `fathom run` as a profile model (see prof.h): each sample's stack,
 * unwound and named (unwind.c), becomes a call path of function zones on its thread; every
 * view, `fathom diff` and `fathom check` then read it like any other profile.
 *
 * How the figures are made: a sample stands for the CPU time of its period. A path's total
 * is the sum of the periods of the samples whose stack passes through it, its self time that
 * of the samples taken in its own code; both are estimates whose standard error is the
 * square root of the sum of the squared periods (a Poisson count of samples). Calls are not
 * counted (count 0): a sampled profile knows where time went, not how often a function ran.
 * A zone rolls up its paths like the library's model: its total counts only its outermost
 * paths (recursion once), its self time every path's.
 *
 * Invariant: parents precede children in the node array; every node's total is at least the
 * sum of its children's and its self time (each sample adds its period to every node of its
 * path and, at the leaf, to that node's self time); memory grows with distinct paths, not
 * with samples. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/model.h"
#include "run/prof.h"

#define MAX_FRAMES 512 /* program counters per sample */
#define MAX_INLINE 16  /* names per program counter (inlined functions) */

typedef struct pnode {
  uint32_t zone, parent, thread, depth;
  uint64_t k_incl, k_self; /* samples through the path, taken in its own code */
  double ns_incl, ns_self; /* their periods */
  double sq_incl, sq_self; /* their squared periods */
} pnode;

typedef struct pzone {
  char *name, *module, *file;
  uint32_t line;
} pzone;

typedef struct pthread_ {
  uint32_t pid, tid;
  char *name;
  int exited;
} pthread_;

struct fz_run_prof {
  fz_unwinder *u;
  pnode *nodes;
  uint32_t n_nodes, cap_nodes;
  pzone *zones;
  uint32_t n_zones, cap_zones;
  pthread_ *threads;
  uint32_t n_threads, cap_threads;
  /* open-addressing tables: (parent+1, zone, thread) -> node + 1; (name, module) -> zone + 1 */
  uint32_t *child_tab, child_cap;
  uint32_t *zone_tab, zone_cap;
  uint64_t samples, unnamed, first_ns, last_ns;
  double period_sum;
  int oom;
  int no_inline; /* 1: each address named by its function alone, inlined ones left out */
  double *al;     /* --alloc: per node, 2 x FZ_RUN_ALLOC_N figures (self, then inclusive) */
  struct aline *al_line; /* per node: its allocating lines (al_cap of them) */
  uint32_t al_cap;
  int has_alloc;
};

static uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}
static uint64_t str_hash(const char *s, uint64_t h) {
  for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return h;
}

static int grow(void **v, uint32_t *cap, uint32_t n, size_t size) {
  if (n < *cap) return 0;
  uint32_t nc = *cap ? *cap * 2 : 64;
  void *nv = realloc(*v, (size_t)nc * size);
  if (!nv) return -1;
  *v = nv;
  *cap = nc;
  return 0;
}

fz_run_prof *fz_run_prof_new(fz_unwinder *u) {
  fz_run_prof *rp = calloc(1, sizeof *rp);
  if (rp) rp->u = u;
  return rp;
}

void fz_run_prof_free(fz_run_prof *rp) {
  if (!rp) return;
  for (uint32_t i = 0; i < rp->n_zones; i++) {
    free(rp->zones[i].name);
    free(rp->zones[i].module);
    free(rp->zones[i].file);
  }
  for (uint32_t i = 0; i < rp->n_threads; i++) free(rp->threads[i].name);
  free(rp->zones);
  free(rp->nodes);
  free(rp->threads);
  free(rp->child_tab);
  free(rp->zone_tab);
  free(rp->al);
  free(rp->al_line);
  free(rp);
}

/* ---- threads ------------------------------------------------------------------------------ */

static uint32_t thread_of(fz_run_prof *rp, uint32_t pid, uint32_t tid) {
  for (uint32_t i = rp->n_threads; i-- > 0;) /* few threads; the newest are the likeliest */
    if (rp->threads[i].tid == tid && rp->threads[i].pid == pid && !rp->threads[i].exited) return i;
  if (grow((void **)&rp->threads, &rp->cap_threads, rp->n_threads, sizeof *rp->threads)) {
    rp->oom = 1;
    return FATHOM_NONE;
  }
  pthread_ *t = &rp->threads[rp->n_threads];
  memset(t, 0, sizeof *t);
  t->pid = pid;
  t->tid = tid;
  return rp->n_threads++;
}

void fz_run_prof_comm(fz_run_prof *rp, uint32_t pid, uint32_t tid, const char *comm) {
  uint32_t t = thread_of(rp, pid, tid);
  if (t == FATHOM_NONE || !comm) return;
  char *n = strdup(comm);
  if (!n) return;
  free(rp->threads[t].name);
  rp->threads[t].name = n;
}

void fz_run_prof_fork(fz_run_prof *rp, uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid) {
  const char *name = NULL;
  for (uint32_t i = rp->n_threads; i-- > 0 && !name;)
    if (rp->threads[i].pid == ppid && rp->threads[i].tid == ptid && !rp->threads[i].exited)
      name = rp->threads[i].name;
  if (!name) return;
  char copy[64]; /* a command is at most 16 bytes (TASK_COMM_LEN) */
  snprintf(copy, sizeof copy, "%s", name);
  fz_run_prof_comm(rp, pid, tid, copy);
}

void fz_run_prof_exit(fz_run_prof *rp, uint32_t pid, uint32_t tid) {
  for (uint32_t i = 0; i < rp->n_threads; i++)
    if (rp->threads[i].tid == tid && rp->threads[i].pid == pid) rp->threads[i].exited = 1;
}

/* ---- zones and nodes --------------------------------------------------------------------- */

static int rehash(uint32_t **tab, uint32_t *cap, uint32_t n,
                  uint64_t (*key)(fz_run_prof *, uint32_t), fz_run_prof *rp) {
  uint32_t nc = *cap ? *cap * 2 : 1024;
  uint32_t *nt = calloc(nc, sizeof *nt);
  if (!nt) return -1;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t h = key(rp, i) & (nc - 1);
    while (nt[h]) h = (h + 1) & (nc - 1);
    nt[h] = i + 1;
  }
  free(*tab);
  *tab = nt;
  *cap = nc;
  return 0;
}

static uint64_t zone_key(fz_run_prof *rp, uint32_t z) {
  return mix(str_hash(rp->zones[z].module, str_hash(rp->zones[z].name, 1469598103934665603ull)));
}
static uint64_t node_key3(uint32_t parent, uint32_t zone, uint32_t thread) {
  return mix(((uint64_t)parent << 32 ^ zone) * 31 + thread);
}
static uint64_t node_key(fz_run_prof *rp, uint32_t i) {
  return node_key3(rp->nodes[i].parent, rp->nodes[i].zone, rp->nodes[i].thread);
}

static uint32_t zone_of(fz_run_prof *rp, const char *name, const char *module, const char *file,
                        uint32_t line) {
  if (rp->n_zones * 2 >= rp->zone_cap &&
      rehash(&rp->zone_tab, &rp->zone_cap, rp->n_zones, zone_key, rp)) {
    rp->oom = 1;
    return FATHOM_NONE;
  }
  uint64_t h = mix(str_hash(module, str_hash(name, 1469598103934665603ull))) & (rp->zone_cap - 1);
  for (; rp->zone_tab[h]; h = (h + 1) & (rp->zone_cap - 1)) {
    pzone *z = &rp->zones[rp->zone_tab[h] - 1];
    if (strcmp(z->name, name) == 0 && strcmp(z->module, module) == 0) {
      if (!z->file && file) { /* the first frame with a source line names the zone's file */
        z->file = strdup(file);
        z->line = line;
      } else if (z->file && file && line && line < z->line && strcmp(z->file, file) == 0) {
        z->line = line; /* the smallest line seen: the nearest to where the function begins */
      }
      return rp->zone_tab[h] - 1;
    }
  }
  if (grow((void **)&rp->zones, &rp->cap_zones, rp->n_zones, sizeof *rp->zones)) {
    rp->oom = 1;
    return FATHOM_NONE;
  }
  pzone *z = &rp->zones[rp->n_zones];
  z->name = strdup(name);
  z->module = strdup(module);
  z->file = file ? strdup(file) : NULL;
  z->line = file ? line : 0;
  if (!z->name || !z->module) {
    free(z->name);
    free(z->module);
    free(z->file);
    rp->oom = 1;
    return FATHOM_NONE;
  }
  rp->zone_tab[h] = ++rp->n_zones;
  return rp->n_zones - 1;
}

static uint32_t child_of(fz_run_prof *rp, uint32_t parent, uint32_t zone, uint32_t thread) {
  if (rp->n_nodes * 2 >= rp->child_cap &&
      rehash(&rp->child_tab, &rp->child_cap, rp->n_nodes, node_key, rp)) {
    rp->oom = 1;
    return FATHOM_NONE;
  }
  uint64_t h = node_key3(parent, zone, thread) & (rp->child_cap - 1);
  for (; rp->child_tab[h]; h = (h + 1) & (rp->child_cap - 1)) {
    const pnode *n = &rp->nodes[rp->child_tab[h] - 1];
    if (n->parent == parent && n->zone == zone && n->thread == thread) return rp->child_tab[h] - 1;
  }
  if (grow((void **)&rp->nodes, &rp->cap_nodes, rp->n_nodes, sizeof *rp->nodes)) {
    rp->oom = 1;
    return FATHOM_NONE;
  }
  pnode *n = &rp->nodes[rp->n_nodes];
  memset(n, 0, sizeof *n);
  n->zone = zone;
  n->parent = parent;
  n->thread = thread;
  n->depth = parent == FATHOM_NONE ? 1 : rp->nodes[parent].depth + 1;
  rp->child_tab[h] = ++rp->n_nodes;
  return rp->n_nodes - 1;
}

/* The name a frame's zone gets: the function, else "[module]" (an address without a symbol),
 * else "[unknown]". */
static void frame_zone_name(const fz_frame_name *f, char *buf, size_t cap, const char **module) {
  const char *m = f->module && *f->module ? f->module : "[unknown]";
  const char *slash = strrchr(m, '/');
  *module = slash ? slash + 1 : m;
  if (f->func && *f->func)
    snprintf(buf, cap, "%s", f->func);
  else
    snprintf(buf, cap, "[%s]", *module);
}

void fz_run_prof_sample(fz_run_prof *rp, const fz_run_sample *s) {
  static uint64_t pcs[MAX_FRAMES];
  static uint32_t path[MAX_FRAMES * 4];
  if (rp->oom) return;
  uint32_t t = thread_of(rp, s->pid, s->tid);
  if (t == FATHOM_NONE) return;
  int n = s->regs_ok ? fz_unwind(rp->u, s, pcs, MAX_FRAMES) : 0;
  uint32_t depth = 0;
  /* outermost first: pcs from the last, each pc's inline chain from its outermost name */
  for (int i = n - 1; i >= 0 && depth < sizeof path / sizeof path[0]; i--) {
    fz_frame_name names[MAX_INLINE];
    int k = fz_unwinder_name(rp->u, s->pid, pcs[i], i > 0, names, MAX_INLINE);
    int innermost = rp->no_inline && k > 0 ? k - 1 : 0; /* names[k - 1]: the real function */
    for (int j = k - 1; j >= innermost && depth < sizeof path / sizeof path[0]; j--) {
      char name[512];
      const char *module;
      frame_zone_name(&names[j], name, sizeof name, &module);
      if (!names[j].func) rp->unnamed++;
      uint32_t z = zone_of(rp, name, module, names[j].file, names[j].line);
      if (z == FATHOM_NONE) return;
      path[depth++] = z;
    }
  }
  if (depth == 0) { /* not even the ip: the sample still counts, as "[unknown]" */
    uint32_t z = zone_of(rp, "[unknown]", "[unknown]", NULL, 0);
    if (z == FATHOM_NONE) return;
    path[depth++] = z;
  }
  double p = (double)s->period_ns;
  uint32_t node = FATHOM_NONE;
  for (uint32_t d = 0; d < depth; d++) {
    node = child_of(rp, node, path[d], t);
    if (node == FATHOM_NONE) return;
    pnode *nd = &rp->nodes[node];
    nd->k_incl++;
    nd->ns_incl += p;
    nd->sq_incl += p * p;
  }
  pnode *leaf = &rp->nodes[node];
  leaf->k_self++;
  leaf->ns_self += p;
  leaf->sq_self += p * p;
  if (!rp->samples || s->time_ns < rp->first_ns) rp->first_ns = s->time_ns;
  if (s->time_ns > rp->last_ns) rp->last_ns = s->time_ns;
  rp->samples++;
  rp->period_sum += p;
}

uint64_t fz_run_prof_samples(const fz_run_prof *rp) { return rp->samples; }

void fz_run_prof_no_inline(fz_run_prof *rp, int on) { rp->no_inline = on != 0; }

double fz_run_prof_unnamed(const fz_run_prof *rp, char *module, size_t cap) {
  double all = 0, unnamed = 0, best = 0;
  if (cap) module[0] = 0;
  double *by = calloc(rp->n_zones ? rp->n_zones : 1, sizeof *by);
  for (uint32_t i = 0; i < rp->n_nodes; i++) {
    const pnode *n = &rp->nodes[i];
    all += n->ns_self;
    if (rp->zones[n->zone].name[0] != '[') continue;   /* "[module]": no symbol there */
    unnamed += n->ns_self;
    if (by) by[n->zone] += n->ns_self;
  }
  for (uint32_t z = 0; by && z < rp->n_zones; z++)
    if (by[z] > best) {
      best = by[z];
      if (cap) snprintf(module, cap, "%s", rp->zones[z].module);
    }
  free(by);
  return all > 0 ? unnamed / all : 0;
}

/* ---- allocations by stack (--alloc) ---------------------------------------------------------- */

#define ALINES 4 /* allocating lines kept per path (the first ones seen) */
struct aline {
  uint32_t line[ALINES];
  double bytes[ALINES];
};

/* The per-node arrays for nodes up to rp->n_nodes. */
static int alloc_grow(fz_run_prof *rp) {
  if (rp->n_nodes <= rp->al_cap) return 0;
  uint32_t nc = rp->al_cap ? rp->al_cap : 256;
  while (nc < rp->n_nodes) nc *= 2;
  double *na = realloc(rp->al, (size_t)nc * 2 * FZ_RUN_ALLOC_N * sizeof *na);
  if (!na) return -1;
  rp->al = na;
  struct aline *nl = realloc(rp->al_line, (size_t)nc * sizeof *nl);
  if (!nl) return -1;
  rp->al_line = nl;
  memset(na + (size_t)rp->al_cap * 2 * FZ_RUN_ALLOC_N, 0,
         (size_t)(nc - rp->al_cap) * 2 * FZ_RUN_ALLOC_N * sizeof *na);
  memset(nl + rp->al_cap, 0, (size_t)(nc - rp->al_cap) * sizeof *nl);
  rp->al_cap = nc;
  return 0;
}

/* The line of most bytes among a node's allocating lines (0: none known). */
static uint32_t top_line(const struct aline *l) {
  uint32_t best = 0;
  double b = -1;
  for (int k = 0; k < ALINES; k++)
    if (l->line[k] && l->bytes[k] > b) {
      b = l->bytes[k];
      best = l->line[k];
    }
  return best;
}

/* The thread of (pid, tid), an exited one included (its allocations were made while it ran). */
static uint32_t alloc_thread(fz_run_prof *rp, uint32_t pid, uint32_t tid) {
  for (uint32_t i = rp->n_threads; i-- > 0;)
    if (rp->threads[i].tid == tid && rp->threads[i].pid == pid) return i;
  return thread_of(rp, pid, tid);
}

static int is_fathom_module(const char *m) {
  const char *slash = m ? strrchr(m, '/') : NULL;
  return m && strncmp(slash ? slash + 1 : m, "libfathom.so", 12) == 0;
}

void fz_run_prof_alloc(fz_run_prof *rp, uint32_t pid, uint32_t tid, const uint64_t *pcs, int n,
                       const double figs[FZ_RUN_ALLOC_N]) {
  uint32_t path[MAX_FRAMES * 4], depth = 0;
  if (rp->oom) return;
  uint32_t t = alloc_thread(rp, pid, tid);
  if (t == FATHOM_NONE) return;
  if (n > MAX_FRAMES) n = MAX_FRAMES;
  uint32_t line = 0; /* the allocating line: the innermost frame's */
  int top = 0; /* the hooks' own frames, should any be left */
  for (fz_frame_name nm; top < n; top++)
    if (fz_unwinder_name(rp->u, pid, pcs[top], 1, &nm, 1) < 1 || !is_fathom_module(nm.module))
      break;
  for (int i = n - 1; i >= top && depth < sizeof path / sizeof path[0]; i--) {
    fz_frame_name names[MAX_INLINE];
    int k = fz_unwinder_name(rp->u, pid, pcs[i], 1, names, MAX_INLINE);
    int innermost = rp->no_inline && k > 0 ? k - 1 : 0;
    for (int j = k - 1; j >= innermost && depth < sizeof path / sizeof path[0]; j--) {
      char name[512];
      const char *module;
      frame_zone_name(&names[j], name, sizeof name, &module);
      uint32_t z = zone_of(rp, name, module, names[j].file, names[j].line);
      if (z == FATHOM_NONE) return;
      path[depth++] = z;
      line = names[j].line;
    }
  }
  if (depth == 0) { /* no stack: the table of stacks was full, or none could be unwound */
    uint32_t z = zone_of(rp, "[no stack]", "[unknown]", NULL, 0);
    if (z == FATHOM_NONE) return;
    path[depth++] = z;
  }
  uint32_t node = FATHOM_NONE;
  for (uint32_t d = 0; d < depth; d++) {
    node = child_of(rp, node, path[d], t);
    if (node == FATHOM_NONE) return;
    if (alloc_grow(rp)) {
      rp->oom = 1;
      return;
    }
    double *incl = rp->al + (size_t)node * 2 * FZ_RUN_ALLOC_N + FZ_RUN_ALLOC_N;
    for (int k = 0; k < FZ_RUN_ALLOC_N; k++) incl[k] += figs[k];
  }
  double *self = rp->al + (size_t)node * 2 * FZ_RUN_ALLOC_N;
  for (int k = 0; k < FZ_RUN_ALLOC_N; k++) self[k] += figs[k];
  struct aline *l = &rp->al_line[node];
  for (int k = 0; line && k < ALINES; k++)
    if (l->line[k] == line || !l->line[k]) {
      l->line[k] = line;
      l->bytes[k] += figs[FZ_RUN_ALLOC_BYTES];
      break;
    }
  rp->has_alloc = 1;
}

static uint64_t est_u(double v) { return v > 0 ? (uint64_t)llround(v) : 0; }
static double se_of(double var) { return var > 0 ? sqrt(var) : 0; }

/* Sums of figures (FZ_RUN_ALLOC_N) as the model's estimates: freed = allocated - live; live
 * and at-peak never above allocated. */
static void alloc_set(fathom_alloc *a, const double *f) {
  memset(a, 0, sizeof *a);
  a->alloc_bytes = est_u(f[FZ_RUN_ALLOC_BYTES]);
  a->alloc_count = est_u(f[FZ_RUN_ALLOC_COUNT]);
  a->live_bytes = est_u(f[FZ_RUN_LIVE_BYTES]);
  a->live_count = est_u(f[FZ_RUN_LIVE_COUNT]);
  a->peak_bytes = est_u(f[FZ_RUN_PEAK_BYTES]);
  a->peak_count = est_u(f[FZ_RUN_PEAK_COUNT]);
  if (a->live_bytes > a->alloc_bytes) a->live_bytes = a->alloc_bytes;
  if (a->live_count > a->alloc_count) a->live_count = a->alloc_count;
  if (a->peak_bytes > a->alloc_bytes) a->peak_bytes = a->alloc_bytes;
  if (a->peak_count > a->alloc_count) a->peak_count = a->alloc_count;
  a->free_bytes = a->alloc_bytes - a->live_bytes;
  a->free_count = a->alloc_count - a->live_count;
  a->alloc_bytes_se = se_of(f[FZ_RUN_ALLOC_BYTES_VAR]);
  a->alloc_count_se = se_of(f[FZ_RUN_ALLOC_COUNT_VAR]);
  a->live_bytes_se = se_of(f[FZ_RUN_LIVE_BYTES_VAR]);
  a->live_count_se = se_of(f[FZ_RUN_LIVE_COUNT_VAR]);
  a->free_bytes_se = se_of(f[FZ_RUN_ALLOC_BYTES_VAR] - f[FZ_RUN_LIVE_BYTES_VAR]);
  a->free_count_se = se_of(f[FZ_RUN_ALLOC_COUNT_VAR] - f[FZ_RUN_LIVE_COUNT_VAR]);
  a->peak_bytes_se = se_of(f[FZ_RUN_PEAK_BYTES_VAR]);
  a->peak_count_se = se_of(f[FZ_RUN_PEAK_COUNT_VAR]);
}

/* The nodes' and zones' allocation figures: a zone's own code sums its nodes', its inclusive
 * figures those of its outermost nodes (recursion counted once, like its time). */
static int alloc_fill(const fz_run_prof *rp, fathom_profile *p) {
  if (!rp->has_alloc) return 0;
  p->meta.alloc_tracking = 1;
  double *z = calloc((size_t)(rp->n_zones ? rp->n_zones : 1) * 2 * FZ_RUN_ALLOC_N, sizeof *z);
  double *zbest = calloc(rp->n_zones ? rp->n_zones : 1, sizeof *zbest); /* its line's bytes */
  if (!z || !zbest) {
    free(z);
    free(zbest);
    return -1;
  }
  for (uint32_t i = 0; i < rp->n_nodes && i < rp->al_cap; i++) {
    const double *f = rp->al + (size_t)i * 2 * FZ_RUN_ALLOC_N;
    const pnode *s = &rp->nodes[i];
    alloc_set(&p->nodes[i].alloc_self, f);
    alloc_set(&p->nodes[i].alloc, f + FZ_RUN_ALLOC_N);
    uint32_t line = top_line(&rp->al_line[i]);
    p->nodes[i].alloc_self.line = line;
    if (line && f[FZ_RUN_ALLOC_BYTES] > zbest[s->zone]) { /* the zone: its biggest path's */
      zbest[s->zone] = f[FZ_RUN_ALLOC_BYTES];
      p->zones[s->zone].alloc_self.line = line;
    }
    int outer = 1;
    for (uint32_t a = s->parent; a != FATHOM_NONE && outer; a = rp->nodes[a].parent)
      if (rp->nodes[a].zone == s->zone) outer = 0;
    double *zf = z + (size_t)s->zone * 2 * FZ_RUN_ALLOC_N;
    for (int k = 0; k < FZ_RUN_ALLOC_N; k++) {
      zf[k] += f[k];
      if (outer) zf[FZ_RUN_ALLOC_N + k] += f[FZ_RUN_ALLOC_N + k];
    }
  }
  p->res.leaked_bytes = p->res.leaked_count = 0; /* estimates, as the paths' figures */
  for (uint32_t i = 0; i < rp->n_nodes && i < rp->al_cap; i++) {
    p->res.leaked_bytes += p->nodes[i].alloc_self.live_bytes;
    p->res.leaked_count += p->nodes[i].alloc_self.live_count;
  }
  for (uint32_t i = 0; i < rp->n_zones; i++) {
    uint32_t line = p->zones[i].alloc_self.line;
    alloc_set(&p->zones[i].alloc_self, z + (size_t)i * 2 * FZ_RUN_ALLOC_N);
    alloc_set(&p->zones[i].alloc, z + (size_t)i * 2 * FZ_RUN_ALLOC_N + FZ_RUN_ALLOC_N);
    p->zones[i].alloc_self.line = line;
  }
  free(z);
  free(zbest);
  return 0;
}

/* ---- the model ------------------------------------------------------------------------------ */

static void fill_stats(fathom_stats *st, double incl, double sq_incl, double self, double sq_self) {
  memset(st, 0, sizeof *st);
  st->total_ns = (uint64_t)llround(incl);
  st->self_ns = (uint64_t)llround(self);
  if (st->self_ns > st->total_ns) st->self_ns = st->total_ns;
  st->total_se_ns = sqrt(sq_incl);
  st->self_se_ns = sqrt(sq_self);
  st->self_cpu_ns = self;
  st->self_cpu_se_ns = st->self_se_ns;
}

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

fathom_profile *fz_run_prof_build(fz_run_prof *rp, const fz_run_build_info *bi) {
  if (rp->oom) return NULL;
  fathom_profile *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  int bad = 0;
  p->n_zones = rp->n_zones;
  p->n_nodes = rp->n_nodes;
  p->n_threads = rp->n_threads;
  p->zones = calloc(rp->n_zones ? rp->n_zones : 1, sizeof *p->zones);
  p->nodes = calloc(rp->n_nodes ? rp->n_nodes : 1, sizeof *p->nodes);
  p->threads = calloc(rp->n_threads ? rp->n_threads : 1, sizeof *p->threads);
  double *zsq = calloc(rp->n_zones ? rp->n_zones : 1, 2 * sizeof *zsq);
  double *zns = calloc(rp->n_zones ? rp->n_zones : 1, 2 * sizeof *zns);
  uint32_t *outer =
      calloc(rp->n_nodes ? rp->n_nodes : 1, sizeof *outer); /* 1: outermost of its zone */
  if (!p->zones || !p->nodes || !p->threads || !zsq || !zns || !outer) bad = 1;
  for (uint32_t i = 0; !bad && i < rp->n_zones; i++) {
    fathom_zone_info *z = &p->zones[i];
    z->name = strdup(rp->zones[i].name);
    z->component = strdup(rp->zones[i].module);
    z->tags = dup_or_empty(NULL);
    z->file = dup_or_empty(rp->zones[i].file);
    z->func = strdup(rp->zones[i].name);
    z->line = (int)rp->zones[i].line;
    z->kind = FATHOM_ZONE_KIND_FUNCTION;
    z->time_every = 1;
    if (!z->name || !z->component || !z->tags || !z->file || !z->func) bad = 1;
  }
  for (uint32_t i = 0; !bad && i < rp->n_nodes; i++) {
    const pnode *s = &rp->nodes[i];
    fathom_node *d = &p->nodes[i];
    d->zone = s->zone;
    d->parent = s->parent;
    d->thread = s->thread;
    d->depth = s->depth;
    d->time_every = 1;
    fill_stats(&d->stats, s->ns_incl, s->sq_incl, s->ns_self, s->sq_self);
    /* outermost: no ancestor of the same zone (recursion counted once in the zone) */
    int o = 1;
    for (uint32_t a = s->parent; a != FATHOM_NONE && o; a = rp->nodes[a].parent)
      if (rp->nodes[a].zone == s->zone) o = 0;
    outer[i] = (uint32_t)o;
    zns[2 * s->zone + 1] += s->ns_self;
    zsq[2 * s->zone + 1] += s->sq_self;
    if (o) {
      zns[2 * s->zone] += s->ns_incl;
      zsq[2 * s->zone] += s->sq_incl;
    }
  }
  for (uint32_t i = 0; !bad && i < rp->n_zones; i++)
    fill_stats(&p->zones[i].stats, zns[2 * i], zsq[2 * i], zns[2 * i + 1], zsq[2 * i + 1]);
  if (!bad && alloc_fill(rp, p)) bad = 1;
  for (uint32_t i = 0; !bad && i < rp->n_threads; i++) {
    const pthread_ *t = &rp->threads[i];
    fathom_thread_info *d = &p->threads[i];
    d->tid = t->tid;
    char nm[96];
    if (t->pid == (uint32_t)bi->pid)
      snprintf(nm, sizeof nm, "%s", t->name ? t->name : "");
    else
      snprintf(nm, sizeof nm, "%s (pid %u)", t->name ? t->name : "", t->pid);
    d->name = strdup(nm);
    d->exited = t->exited;
    if (!d->name) bad = 1;
  }
  free(zsq);
  free(zns);
  free(outer);
  fathom_meta *m = &p->meta;
  m->schema_version = FATHOM_SCHEMA_VERSION;
  m->fathom_version = strdup(FATHOM_VERSION_STRING);
  m->session_name = strdup(bi->name ? bi->name : "fathom run");
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  m->session_id = mix((uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32));
  m->start_unix_ns = bi->start_unix_ns;
  m->duration_ns = bi->duration_ns;
  m->pid = bi->pid;
  m->program = dup_or_empty(bi->program);
  fz_meta_machine(m);
  m->level = FATHOM_LEVEL_BASIC;
  m->clock_source = strdup("perf_event");
  m->cpu_time_ns = bi->cpu_time_ns;
  m->sample_period_ns = rp->samples ? rp->period_sum / (double)rp->samples : bi->period_ns;
  m->cpu_samples = rp->samples;
  if (!m->fathom_version || !m->session_name || !m->program || !m->host || !m->os || !m->kernel ||
      !m->arch || !m->cpu_model || !m->clock_source)
    bad = 1;
  if (bad) {
    fathom_profile_free(p);
    return NULL;
  }
  return p;
}
