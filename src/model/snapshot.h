/* snapshot.h: what the model builder (snapshot.c) shares with its corrections
 * (snapshot_fix.c): fathom's own cost per recorder node, and the last pass over a model's
 * nodes (reconciliation, extremes shifted, inclusive and per-zone figures).
 *
 * Invariant: callers hold fz_g.lock, as fz_build_profile does. */
#ifndef FATHOM_SNAPSHOT_H
#define FATHOM_SNAPSHOT_H

#include <stdint.h>

#include "fathom.h"
#include "record/record.h"

#pragma GCC visibility push(hidden)

/* fathom's own cost of node n's calls that lands in its parent's interval, ns. */
double fz_snap_own_cost(const fz_node *n);
/* Sets b_inner of each of t's nodes to its descendants' calls' cost; returns 0. */
int fz_snap_inner_costs(fz_thread *t);
/* Reconciles p's totals, shifts extremes, sums inclusive and zone figures; -1: no memory. */
int fz_snap_finish_nodes(fathom_profile *p, uint64_t duration_ns);

#pragma GCC visibility pop
#endif
