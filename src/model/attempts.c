/* attempts.c: the judgement of an optimisation attempt (see attempts.h): improved or worse
 * when the change passes FZ_ATTEMPT_Z times the combined standard error of before and after
 * in the better or the worse direction (any change when both are exact), else unchanged.
 * Invariant: the same figures always give the same judgement (the loader's check repeats it). */
#include <math.h>

#include "model/attempts.h"

void fz_attempt_judge(const fathom_attempt_info *a, int *outcome, double *change_pct) {
  double d = a->after - a->before;
  double se = sqrt(a->before_se * a->before_se + a->after_se * a->after_se);
  double better = (a->direction < 0 ? -d : d);
  *outcome = se > 0 ? (better > FZ_ATTEMPT_Z * se ? 1 : better < -FZ_ATTEMPT_Z * se ? -1 : 0)
                    : (better > 0 ? 1 : better < 0 ? -1 : 0);
  *change_pct = a->before != 0 ? 100.0 * d / fabs(a->before) : NAN;
}
