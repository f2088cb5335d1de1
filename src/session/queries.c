/* queries.c: questions a program asks its running session: is this zone within its latency
 * SLA now (fathom_check_sla), and what are the bottlenecks so far
 * (fathom_bottlenecks_summary). Each takes a snapshot of the session and hands it to the
 * analysis stage.
 *
 * Invariant: the calling thread's allocations are kept out of allocation tracking while a
 * query runs, and errno is preserved. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "model/model.h"
#include "record/alloc.h"
#include "record/record.h"

FATHOM_EXTERN int fathom_check_sla(const char *zone, double percentile, double target_ms,
                                   fathom_sla_result *out) {
  if (!zone || !(percentile > 0 && percentile <= 100) || !(target_ms > 0) || !isfinite(target_ms))
    return FATHOM_E_INVAL;
  int saved = errno;
  fz_alloc_pause();
  fathom_profile *p = fathom_snapshot();
  int rc;
  if (!p) {
    rc = FATHOM_E_STATE;
  } else {
    fathom_sla_result r;
    memset(&r, 0, sizeof r);
    rc = fz_sla_check_zone(p, zone, percentile, target_ms * 1e6, &r);
    if (!rc && r.met == -1) rc = FATHOM_E_NOTFOUND;
    if (!rc) rc = r.met == 1;   /* 0: missed (met 0) or not enough data (met -2) */
    if (out && rc >= 0) *out = r;
    fathom_profile_free(p);
  }
  fz_alloc_resume();
  errno = saved;
  return rc;
}

FATHOM_EXTERN fathom_profile *fathom_bottlenecks_summary(const fathom_thresholds *t) {
  int saved = errno;
  fz_alloc_pause();
  fathom_profile *p = fathom_snapshot();
  char *spec = NULL;
  if (p) {
    pthread_mutex_lock(&fz_g.lock);
    spec = fz_strdup(fz_g.cfg.sla);
    pthread_mutex_unlock(&fz_g.lock);
    if (spec) fathom_sla_check_profile(p, spec, NULL, 0); /* validated at session begin */
    if (fathom_analyze(p, t) != 0) {
      fathom_profile_free(p);
      p = NULL;
    }
  }
  free(spec);
  fz_alloc_resume();
  errno = saved;
  return p;
}
