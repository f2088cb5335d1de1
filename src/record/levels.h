/* record/levels.h: levels per component and metric switches, the session's side
 * (record/levels.c; the recorder's queries are in record/record.h). */
#ifndef FATHOM_RECORD_LEVELS_H
#define FATHOM_RECORD_LEVELS_H

#include <stddef.h>

#include "record/record.h"

#pragma GCC visibility push(hidden)

/* A session's parsed request, between its parse and its commit. */
typedef struct fz_levels_req {
  fz_clevel *v;
  uint32_t n;
  char *buf;
  uint32_t off, on;
  fathom_level base;        /* the level of components not listed */
} fz_levels_req;

/* Parses c's component_levels and metrics into r and applies the switches to c (allocation
 * tracking, timeline, monitor) and the highest component level to c->level. 0, or
 * FATHOM_E_INVAL / FATHOM_E_NOMEM with a message naming the variable in err (r empty). */
int fz_levels_prepare(fathom_config *c, fz_levels_req *r, char *err, size_t cap);
/* Frees a request that is not committed. */
void fz_levels_discard(fz_levels_req *r);
/* Makes r the session's (caller holds fz_g.lock, the session not recording); r is emptied. */
void fz_levels_commit(fz_levels_req *r);
/* Whether the session's zones may be probed (c the committed session's config). */
int fz_levels_probing(const fathom_config *c);
/* Copies the session's levels and switches into p (model built at session end or in a
 * snapshot). 0 or FATHOM_E_NOMEM. */
int fz_levels_fill(fathom_profile *p);

#pragma GCC visibility pop
#endif
