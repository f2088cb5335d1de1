/* prof_int.h: what the parts of the samples' model share (prof.c: threads, paths and the
 * model; prof_zones.c: the zones of an instrumented program; prof_alloc.c: allocations by
 * stack). Not for use outside src/run.
 *
 * Invariant: a node's parent precedes it; zones and nodes are found through their tables
 * (fz_rp_zone_of, fz_rp_child_of), which grow as needed and set rp->oom when they cannot. */
#ifndef FATHOM_RUN_PROF_INT_H
#define FATHOM_RUN_PROF_INT_H

#include <stdint.h>

#include "run/lines.h"
#include "run/prof.h"

#define MAX_FRAMES 512 /* program counters per sample */
#define MAX_INLINE 16  /* names per program counter (inlined functions) */

typedef struct pnode {
  uint32_t zone, parent, thread, depth;
  uint64_t k_incl, k_self; /* samples through the path, taken in its own code */
  double ns_incl, ns_self; /* their periods */
  double sq_incl, sq_self; /* their squared periods */
  double ns_off, sq_off;   /* of the self figures, the off-CPU samples' (wall mode) */
} pnode;

typedef struct pzone {
  char *name, *module, *file;
  uint32_t line;
  int is_zone;             /* a zone of the program's own (fz_run_prof_zones), not a function */
} pzone;

typedef struct kept {      /* a sample, kept to place it in the program's zones afterwards */
  uint64_t time_ns;
  uint32_t leaf;
  uint32_t period_ns : 30, off : 2;
} kept;

typedef struct pthread_ {
  uint32_t pid, tid;
  char *name;
  int exited;
  uint32_t wait_leaf;      /* the path of its last off-CPU sample (FATHOM_NONE: none) */
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
  uint64_t off_samples;    /* wall mode: samples of waiting threads (not in samples) */
  int oom;
  int no_inline; /* 1: each address named by its function alone, inlined ones left out */
  fz_run_lines *lines; /* the source lines' figures */
  kept *kept;          /* every sample, up to FZ_RUN_KEEP_SAMPLES */
  uint32_t n_kept, cap_kept;
  int kept_short;      /* 1: not every sample was kept */
  double *al;     /* --alloc: per node, 2 x FZ_RUN_ALLOC_N figures (self, then inclusive) */
  struct aline *al_line; /* per node: its allocating lines (al_cap of them) */
  uint32_t al_cap;
  int has_alloc;
};

/* The thread of (pid, tid) that has not exited (a new one when none), FATHOM_NONE out of
 * memory. */
uint32_t fz_rp_thread_of(fz_run_prof *rp, uint32_t pid, uint32_t tid);
/* The zone (name, module) of kind function (is_zone 0) or of the program's own zones. */
uint32_t fz_rp_zone_of_k(fz_run_prof *rp, const char *name, const char *module, const char *file,
                         uint32_t line, int is_zone);
uint32_t fz_rp_zone_of(fz_run_prof *rp, const char *name, const char *module, const char *file,
                       uint32_t line);
/* The node of zone under parent (FATHOM_NONE: top level) on thread. */
uint32_t fz_rp_child_of(fz_run_prof *rp, uint32_t parent, uint32_t zone, uint32_t thread);
/* A frame's zone name: its function, "[module]" without a symbol, "[unknown]". */
void fz_rp_frame_zone_name(const fz_frame_name *f, char *buf, size_t cap, const char **module);
/* Adds period p (squared: sq) to every node from leaf up, and to leaf's self time (off: an
 * off-CPU sample's, kept apart from the CPU time). */
void fz_rp_add_up(fz_run_prof *rp, uint32_t leaf, double p, double sq, int off);
/* The allocation figures into p's nodes and zones (prof_alloc.c). 0, or -1 out of memory. */
int fz_rp_alloc_fill(const fz_run_prof *rp, fathom_profile *p);

#endif
