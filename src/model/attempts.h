/* attempts.h: how an optimisation attempt is judged (attempts.c), for the session that records
 * them (session/attempts.c) and the checker that verifies a loaded profile's judgements.
 * Invariant: a pure function of its arguments. */
#ifndef FATHOM_MODEL_ATTEMPTS_H
#define FATHOM_MODEL_ATTEMPTS_H

#include "fathom.h"

#pragma GCC visibility push(hidden)

#define FZ_ATTEMPT_Z 1.96   /* combined standard errors a change must pass */

/* The outcome (1 improved, -1 worse, 0 unchanged) and the change in % (NaN when before is
 * 0) of a's figures; a->direction is -1 or 1. */
void fz_attempt_judge(const fathom_attempt_info *a, int *outcome, double *change_pct);

#pragma GCC visibility pop

#endif
