/* flame.h: what the two flame-graph views (export_folded.c, export_speedscope.c) share: the
 * frame label of each zone and a check that a model's call tree is well formed.
 *
 * Invariant: labels are never NULL or empty, and two different zones never get the same
 * label (a name used by several components gets " [component]" appended). */
#ifndef FATHOM_FLAME_H
#define FATHOM_FLAME_H

#include "fathom.h"

#pragma GCC visibility push(hidden)

/* One label per zone (p->n_zones entries, each its own allocation); NULL on NOMEM.
 * Freed with fz_flame_labels_free. Labels are the raw names: a view escapes them itself. */
char **fz_flame_labels(const fathom_profile *p);
void fz_flame_labels_free(char **labels, uint32_t n);

/* 0 when every node's zone, thread and parent index is in range and parents precede
 * children; FATHOM_E_FORMAT otherwise. */
int fz_flame_check(const fathom_profile *p);

#pragma GCC visibility pop

#endif
