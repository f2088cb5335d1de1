/* flame.h: what the two flame-graph views (view/folded.c, view/speedscope.c) share: the
 * frame label of each zone, a check that a model's call tree is well formed, and where a
 * stack too long to write is cut.
 *
 * Invariant: labels are never NULL or empty, hold at most FZ_FLAME_LABEL_MAX bytes of a
 * name (and of a component: a longer one is cut and ends in "..."), and two different zones
 * never get the same label (a name used by several components gets " [component]"
 * appended; only names cut alike can share one). Both views cut
 * the same stacks at the same frame (fz_flame_cuts), so they stay alike, and each writes at
 * most FZ_FLAME_STACK_MAX bytes of labels per stack: output linear in the model. */
#ifndef FATHOM_FLAME_H
#define FATHOM_FLAME_H

#include "fathom.h"

#pragma GCC visibility push(hidden)

#define FZ_FLAME_LABEL_MAX 1024    /* bytes of a zone's name in a label (then "...") */
#define FZ_FLAME_STACK_MAX 16384   /* bytes of a stack: its labels joined by ';' */
#define FZ_FLAME_CUT "[deeper frames cut]"   /* the frame that stands for a cut stack's rest */

/* One label per zone (p->n_zones entries, each its own allocation); NULL on NOMEM.
 * Freed with fz_flame_labels_free. Labels are the raw names: a view escapes them itself. */
char **fz_flame_labels(const fathom_profile *p);
void fz_flame_labels_free(char **labels, uint32_t n);

/* 0 when every node's zone, thread and parent index is in range and parents precede
 * children; FATHOM_E_FORMAT otherwise. */
int fz_flame_check(const fathom_profile *p);

/* For every node i (the model passed fz_flame_check): cut[i] = i when its stack, the labels
 * from its top-level ancestor down to it joined by ';', is at most FZ_FLAME_STACK_MAX bytes;
 * else its deepest ancestor whose stack is (a top-level node's always is). The views write
 * a cut node's self time under that ancestor's stack and FZ_FLAME_CUT. Returns the number
 * of nodes cut, or -1 when out of memory. */
int64_t fz_flame_cuts(const fathom_profile *p, char *const *labels, uint32_t *cut);

#pragma GCC visibility pop

#endif
