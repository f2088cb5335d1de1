/* prof_alloc.c: allocations by stack (`fathom run --alloc`) in the samples' model (see
 * prof.h, fz_run_prof_alloc): each sampled stack's figures, read from the processes' files
 * (allocfile.c), on a path of the same tree as the CPU samples, and the node and zone
 * figures of the model with their standard errors.
 *
 * Invariant: per node, the figures of the stacks ending there (self) and passing through
 * it (inclusive); a zone counts its outermost paths only, like time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "run/prof_int.h"

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
  return fz_rp_thread_of(rp, pid, tid);
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
      fz_rp_frame_zone_name(&names[j], name, sizeof name, &module);
      uint32_t z = fz_rp_zone_of(rp, name, module, names[j].file, names[j].line);
      if (z == FATHOM_NONE) return;
      path[depth++] = z;
      line = names[j].line;
    }
  }
  if (depth == 0) { /* no stack: the table of stacks was full, or none could be unwound */
    uint32_t z = fz_rp_zone_of(rp, "[no stack]", "[unknown]", NULL, 0);
    if (z == FATHOM_NONE) return;
    path[depth++] = z;
  }
  uint32_t node = FATHOM_NONE;
  for (uint32_t d = 0; d < depth; d++) {
    node = fz_rp_child_of(rp, node, path[d], t);
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
int fz_rp_alloc_fill(const fz_run_prof *rp, fathom_profile *p) {
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
