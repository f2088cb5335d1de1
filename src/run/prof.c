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
 * Wall-clock mode (`--wall`, wallpoll.c): a waiting thread's sample (off_cpu 1) stands for
 * wall-clock time spent off the CPU at its stack; it adds to total and self time like a CPU
 * sample but not to self_cpu_ns, which stays the CPU part, so a path's self time less its
 * CPU time is the time its code waited. A waiting thread's stack that could not be read is
 * the frame "[blocked]"; its time waiting for a CPU (off_cpu 2, exact: no error added) is the
 * frame "[waiting for a CPU]" at the top of the thread. A wait at the same place as the
 * thread's previous one (same_wait) adds to that one's path without unwinding again.
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
#include "run/prof_int.h"

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
  if (!rp) return NULL;
  rp->u = u;
  rp->lines = fz_run_lines_new();
  if (!rp->lines) {
    free(rp);
    return NULL;
  }
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
  free(rp->kept);
  fz_run_lines_free(rp->lines);
  free(rp->al);
  free(rp->al_line);
  free(rp);
}

/* ---- threads ------------------------------------------------------------------------------ */

uint32_t fz_rp_thread_of(fz_run_prof *rp, uint32_t pid, uint32_t tid) {
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
  t->wait_leaf = FATHOM_NONE;
  return rp->n_threads++;
}

void fz_run_prof_comm(fz_run_prof *rp, uint32_t pid, uint32_t tid, const char *comm) {
  uint32_t t = fz_rp_thread_of(rp, pid, tid);
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

uint32_t fz_rp_zone_of(fz_run_prof *rp, const char *name, const char *module, const char *file,
                        uint32_t line) {
  return fz_rp_zone_of_k(rp, name, module, file, line, 0);
}
uint32_t fz_rp_zone_of_k(fz_run_prof *rp, const char *name, const char *module, const char *file,
                          uint32_t line, int is_zone) {
  if (rp->n_zones * 2 >= rp->zone_cap &&
      rehash(&rp->zone_tab, &rp->zone_cap, rp->n_zones, zone_key, rp)) {
    rp->oom = 1;
    return FATHOM_NONE;
  }
  uint64_t h = mix(str_hash(module, str_hash(name, 1469598103934665603ull))) & (rp->zone_cap - 1);
  for (; rp->zone_tab[h]; h = (h + 1) & (rp->zone_cap - 1)) {
    pzone *z = &rp->zones[rp->zone_tab[h] - 1];
    if (z->is_zone == is_zone && strcmp(z->name, name) == 0 && strcmp(z->module, module) == 0) {
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
  z->is_zone = is_zone;
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

uint32_t fz_rp_child_of(fz_run_prof *rp, uint32_t parent, uint32_t zone, uint32_t thread) {
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
void fz_rp_frame_zone_name(const fz_frame_name *f, char *buf, size_t cap, const char **module) {
  const char *m = f->module && *f->module ? f->module : "[unknown]";
  const char *slash = strrchr(m, '/');
  *module = slash ? slash + 1 : m;
  if (f->func && *f->func)
    snprintf(buf, cap, "%s", f->func);
  else
    snprintf(buf, cap, "[%s]", *module);
}

/* Adds period p (squared: sq) to every node from leaf up, and to leaf's self time. */
void fz_rp_add_up(fz_run_prof *rp, uint32_t leaf, double p, double sq, int off) {
  for (uint32_t a = leaf; a != FATHOM_NONE; a = rp->nodes[a].parent) {
    rp->nodes[a].k_incl++;
    rp->nodes[a].ns_incl += p;
    rp->nodes[a].sq_incl += sq;
  }
  pnode *nd = &rp->nodes[leaf];
  nd->k_self++;
  nd->ns_self += p;
  nd->sq_self += sq;
  if (off) {
    nd->ns_off += p;
    nd->sq_off += sq;
  }
}

/* add_up for a sample s, which is also kept for fz_run_prof_zones. */
static void add_sample(fz_run_prof *rp, uint32_t leaf, const fz_run_sample *s, double p,
                       double sq) {
  fz_rp_add_up(rp, leaf, p, sq, s->off_cpu != 0);
  if (rp->kept_short) return;
  if (rp->n_kept == rp->cap_kept) {
    uint32_t nc = rp->cap_kept ? rp->cap_kept * 2 : 4096;
    kept *nk = nc <= FZ_RUN_KEEP_SAMPLES ? realloc(rp->kept, (size_t)nc * sizeof *nk) : NULL;
    if (!nk) {
      rp->kept_short = 1;
      free(rp->kept);
      rp->kept = NULL;
      rp->n_kept = rp->cap_kept = 0;
      return;
    }
    rp->kept = nk;
    rp->cap_kept = nc;
  }
  if (s->period_ns >= (1u << 30)) rp->kept_short = 1;   /* over a second: not kept */
  rp->kept[rp->n_kept++] = (kept){s->time_ns, leaf, (uint32_t)s->period_ns & ((1u << 30) - 1),
                                  (uint32_t)s->off_cpu & 3u};
}

/* Wall mode: the samples that need no unwinding (see the file's comment). 1: added. */
static int off_cpu_fast(fz_run_prof *rp, uint32_t t, const fz_run_sample *s) {
  double p = (double)s->period_ns;
  uint32_t leaf = FATHOM_NONE;
  if (s->off_cpu == 1 && s->same_wait && rp->threads[t].wait_leaf != FATHOM_NONE) {
    leaf = rp->threads[t].wait_leaf;
  } else if (s->off_cpu == 2 || !s->regs_ok) {
    const char *name = s->off_cpu == 2 ? "[waiting for a CPU]" : "[blocked]";
    uint32_t z = fz_rp_zone_of(rp, name, "[kernel]", NULL, 0);
    leaf = z == FATHOM_NONE ? FATHOM_NONE : fz_rp_child_of(rp, FATHOM_NONE, z, t);
    if (leaf == FATHOM_NONE) return 1;
    if (s->off_cpu == 1) rp->threads[t].wait_leaf = leaf;
  } else {
    return 0;
  }
  add_sample(rp, leaf, s, p, s->off_cpu == 2 ? 0 : p * p);
  rp->off_samples++;
  return 1;
}

void fz_run_prof_sample(fz_run_prof *rp, const fz_run_sample *s) {
  static uint64_t pcs[MAX_FRAMES];
  static uint32_t path[MAX_FRAMES * 4], lines[MAX_FRAMES * 4];
  static const char *files[MAX_FRAMES * 4];
  if (rp->oom) return;
  uint32_t t = fz_rp_thread_of(rp, s->pid, s->tid);
  if (t == FATHOM_NONE) return;
  if (s->off_cpu && off_cpu_fast(rp, t, s)) return;
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
      fz_rp_frame_zone_name(&names[j], name, sizeof name, &module);
      if (!names[j].func) rp->unnamed++;
      uint32_t z = fz_rp_zone_of(rp, name, module, names[j].file, names[j].line);
      if (z == FATHOM_NONE) return;
      files[depth] = names[j].file;
      lines[depth] = names[j].line;
      path[depth++] = z;
    }
  }
  if (depth == 0) { /* not even the ip: the sample still counts, as "[unknown]" */
    uint32_t z = fz_rp_zone_of(rp, "[unknown]", "[unknown]", NULL, 0);
    if (z == FATHOM_NONE) return;
    files[depth] = NULL;
    lines[depth] = 0;
    path[depth++] = z;
  }
  double p = (double)s->period_ns;
  fz_run_lines_sample(rp->lines, path, files, lines, depth, p);
  uint32_t node = FATHOM_NONE;
  for (uint32_t d = 0; d < depth; d++) {
    node = fz_rp_child_of(rp, node, path[d], t);
    if (node == FATHOM_NONE) return;
  }
  add_sample(rp, node, s, p, p * p);
  if (s->off_cpu) { /* a waiting thread: wall-clock time, not CPU time */
    rp->threads[t].wait_leaf = node;
    rp->off_samples++;
    return;
  }
  if (!rp->samples || s->time_ns < rp->first_ns) rp->first_ns = s->time_ns;
  if (s->time_ns > rp->last_ns) rp->last_ns = s->time_ns;
  rp->samples++;
  rp->period_sum += p;
}

uint64_t fz_run_prof_samples(const fz_run_prof *rp) { return rp->samples; }
uint64_t fz_run_prof_off_samples(const fz_run_prof *rp) { return rp->off_samples; }

void fz_run_prof_thread_pids(const fz_run_prof *rp, uint32_t *out, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) out[i] = i < rp->n_threads ? rp->threads[i].pid : 0;
}

void fz_run_prof_no_inline(fz_run_prof *rp, int on) { rp->no_inline = on != 0; }

double fz_run_prof_unnamed(const fz_run_prof *rp, char *module, size_t cap) {
  double all = 0, unnamed = 0, best = 0;
  if (cap) module[0] = 0;
  double *by = calloc(rp->n_zones ? rp->n_zones : 1, sizeof *by);
  for (uint32_t i = 0; i < rp->n_nodes; i++) {
    const pnode *n = &rp->nodes[i];
    if (strcmp(rp->zones[n->zone].module, "[kernel]") == 0) continue; /* wall mode's own frames */
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

/* ---- the model ------------------------------------------------------------------------------ */

/* off, sq_off: of self and sq_self, the off-CPU samples' part (wall mode) */
static void fill_stats(fathom_stats *st, double incl, double sq_incl, double self, double sq_self,
                       double off, double sq_off) {
  memset(st, 0, sizeof *st);
  st->total_ns = (uint64_t)llround(incl);
  st->self_ns = (uint64_t)llround(self);
  if (st->self_ns > st->total_ns) st->self_ns = st->total_ns;
  st->total_se_ns = sqrt(sq_incl);
  st->self_se_ns = sqrt(sq_self);
  st->self_cpu_ns = self - off > 0 ? self - off : 0;
  st->self_cpu_se_ns = sq_self - sq_off > 0 ? sqrt(sq_self - sq_off) : 0;
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
  double *zoff = calloc(rp->n_zones ? rp->n_zones : 1, 2 * sizeof *zoff); /* off-CPU self */
  uint32_t *outer =
      calloc(rp->n_nodes ? rp->n_nodes : 1, sizeof *outer); /* 1: outermost of its zone */
  if (!p->zones || !p->nodes || !p->threads || !zsq || !zns || !zoff || !outer) bad = 1;
  for (uint32_t i = 0; !bad && i < rp->n_zones; i++) {
    fathom_zone_info *z = &p->zones[i];
    z->name = strdup(rp->zones[i].name);
    z->component = strdup(rp->zones[i].module);
    z->tags = dup_or_empty(NULL);
    z->file = dup_or_empty(rp->zones[i].file);
    z->func = strdup(rp->zones[i].name);
    z->line = (int)rp->zones[i].line;
    z->kind = rp->zones[i].is_zone ? FATHOM_ZONE_KIND_ZONE : FATHOM_ZONE_KIND_FUNCTION;
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
    fill_stats(&d->stats, s->ns_incl, s->sq_incl, s->ns_self, s->sq_self, s->ns_off, s->sq_off);
    /* outermost: no ancestor of the same zone (recursion counted once in the zone) */
    int o = 1;
    for (uint32_t a = s->parent; a != FATHOM_NONE && o; a = rp->nodes[a].parent)
      if (rp->nodes[a].zone == s->zone) o = 0;
    outer[i] = (uint32_t)o;
    zns[2 * s->zone + 1] += s->ns_self;
    zsq[2 * s->zone + 1] += s->sq_self;
    zoff[2 * s->zone] += s->ns_off;
    zoff[2 * s->zone + 1] += s->sq_off;
    if (o) {
      zns[2 * s->zone] += s->ns_incl;
      zsq[2 * s->zone] += s->sq_incl;
    }
  }
  for (uint32_t i = 0; !bad && i < rp->n_zones; i++)
    fill_stats(&p->zones[i].stats, zns[2 * i], zsq[2 * i], zns[2 * i + 1], zsq[2 * i + 1],
               zoff[2 * i], zoff[2 * i + 1]);
  if (!bad && fz_rp_alloc_fill(rp, p)) bad = 1;
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
  free(zoff);
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
  /* "+wall": the figures are wall-clock time, off-CPU waits included (self_cpu_ns the CPU) */
  m->clock_source = strdup(bi->wall ? "perf_event+wall" : "perf_event");
  m->cpu_time_ns = bi->cpu_time_ns;
  m->sample_period_ns = rp->samples ? rp->period_sum / (double)rp->samples : bi->period_ns;
  m->cpu_samples = rp->samples;
  if (!m->fathom_version || !m->session_name || !m->program || !m->host || !m->os || !m->kernel ||
      !m->arch || !m->cpu_model || !m->clock_source)
    bad = 1;
  if (!bad && fz_run_lines_build(rp->lines, p)) bad = 1;
  if (bad) {
    fathom_profile_free(p);
    return NULL;
  }
  return p;
}
