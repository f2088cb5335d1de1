/* trace_budget.c: which timeline events the trace views (Chrome, speedscope) keep when a
 * profile holds more than the trace budget (see view.h).
 * Invariant: the events kept are exactly those at least min_dur_ns long, so a kept call's
 * enclosing calls are kept too; the profile itself is never changed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/conffile.h"
#include "view/view.h"

uint64_t fz_trace_budget(void) {
  const char *v = fz_getenv("FATHOM_TRACE_EVENTS");
  if (v && *v) {
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!errno && *end == 0 && *v != '-') return x;
    fprintf(stderr, "fathom: FATHOM_TRACE_EVENTS=%s: expected a number of events; ignored\n", v);
  }
  return FZ_TRACE_EVENTS_DEFAULT;
}

static int cmp_desc(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x > y ? -1 : x < y;
}

int fz_trace_select(const fathom_profile *p, uint64_t budget, unsigned char *keep,
                    fz_trace_cut *cut) {
  uint64_t n = p->n_events;
  *cut = (fz_trace_cut){budget, n, n, 0};
  if (n) memset(keep, 1, (size_t)n);
  if (!budget || n <= budget) return 0;
  uint64_t *d = malloc((size_t)n * sizeof *d);
  if (!d) return FATHOM_E_NOMEM;
  for (uint64_t k = 0; k < n; k++) d[k] = p->events[k].dur_ns;
  qsort(d, (size_t)n, sizeof *d, cmp_desc);
  /* longer than the (budget + 1)-th longest: at most budget events */
  uint64_t t = d[budget] == UINT64_MAX ? UINT64_MAX : d[budget] + 1;
  free(d);
  cut->min_dur_ns = t;
  cut->kept = 0;
  for (uint64_t k = 0; k < n; k++) {
    keep[k] = p->events[k].dur_ns >= t;
    cut->kept += keep[k];
  }
  return 0;
}
