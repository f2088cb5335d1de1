/* ext.h: the recorder's side of extensions (fathom_ext.h): the registry, the readings around
 * a special call (record/special.c), the per-node sums they add to, the background samples,
 * and what the model builder takes from them (model/snapshot.c, session end).
 *
 * Invariant: the registry only grows during a session (fathom_extensions_clear is refused
 * then); an entry is fully written before fz_ext_n is raised with a release store, and the
 * special path reads fz_ext_n with an acquire load, so it never sees half an entry. A node's
 * sums are written by its owner thread only (relaxed stores of doubles' bits), read by the
 * model builder with relaxed loads. */
#ifndef FATHOM_RECORD_EXT_H
#define FATHOM_RECORD_EXT_H

#include <stdint.h>

#include "fathom.h"

#pragma GCC visibility push(hidden)

struct fz_thread;
struct fz_node;

#define FZ_XM FATHOM_EXT_METRICS_MAX

/* One extension's sums on one node, over the calls read: their number, the sum of their
 * weights W, sum of W(W-1); per metric the sums of W x, W x^2, W(W-1) x and W(W-1) x^2
 * (doubles stored as bits). */
typedef struct fz_xblk {
  uint64_t n, sw, v0;
  uint64_t m[FZ_XM][4];
} fz_xblk;
typedef struct fz_xnode {
  fz_xblk *b[FATHOM_EXT_MAX];   /* release-published, NULL until that extension reads here */
} fz_xnode;
/* A special call's readings: which extensions were read at its begin and their weights
 * (probe-based ones: the probe weight; every-call ones: the timing weight), and the session
 * generation it was begun in (a frame left by a zone that never ended is never taken for a
 * later session's). */
typedef struct fz_xframe {
  uint32_t mask, w_probe, w_every, gen;
} fz_xframe;

extern uint32_t fz_ext_n;       /* extensions registered (acquire) */
extern uint32_t fz_ext_every;   /* nonzero: one of them reads every timed call */

/* At a special call's begin on entry idx (weights: w the timing weight, wp the probe weight,
 * 0 when not probed): reads the extensions that this call is for. Owner thread. */
void fz_ext_begin(struct fz_thread *t, uint32_t idx, uint32_t w, uint32_t wp);
/* At its end: reads them again and adds the differences to node n. */
void fz_ext_end(struct fz_thread *t, struct fz_node *n, uint32_t idx);
/* Whether entry idx has readings pending (its end must go through fz_close_special). */
int fz_ext_pending(const struct fz_thread *t, uint32_t idx);
/* What the probe-based extensions' readings of one probed call cost (begin + end), ns,
 * measured now on the calling thread (0 when none): the session adds it to the probes' cost,
 * so the governor's budget counts them. */
double fz_ext_probe_cost_ns(void);
/* Frees the thread's reading frames (thread data freed). */
void fz_ext_thread_free(struct fz_thread *t);

/* Model building (caller holds fz_g.lock): node n's sums into model node m (all: its calls);
 * then the descriptions, the samples of generation g and the nodes' inclusive figures (the
 * builder then derives the rest with fz_ext_derive, model/ext.c). */
int fz_ext_model_node(fathom_profile *p, fathom_node *m, const struct fz_node *n, uint64_t all);
int fz_ext_model_finish(fathom_profile *p, uint32_t g);
/* Session end, the final profile built: the report callbacks' sections into p. */
void fz_ext_session_report(fathom_profile *p);

/* ---- model/ext.c: over a model (built or loaded) ---- */
/* Allocates the extension values of every node (n_ext_metrics each). 0 or FATHOM_E_NOMEM. */
int fz_ext_alloc_nodes(fathom_profile *p);
/* From the nodes' inclusive totals and variances: self figures, totals raised to their
 * children's sum where an estimate fell below it (metrics that only grow), and the zones'
 * figures (recursion counted once). Expects node totals and total_se set. 0 or NOMEM. */
int fz_ext_derive(fathom_profile *p);
/* The zones' figures from the nodes' (totals of a zone's outermost paths: recursion counted
 * once; selves of all its paths; variances added). 0 or FATHOM_E_NOMEM. */
int fz_ext_zones(fathom_profile *p);
/* Frees what the extensions add to p. */
void fz_ext_model_free(fathom_profile *p);
/* The extension metric index k's extension (index into p->exts), FATHOM_NONE when none. */
uint32_t fz_ext_of_metric(const fathom_profile *p, uint32_t k);

#pragma GCC visibility pop
#endif
