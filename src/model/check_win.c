/* check_win.c: fathom check's rules for the profile's rolling windows (the "windows" table;
 * docs/windows.md), reported like the other tables' (check.h: fz_check_run).
 *
 * Invariant: reads only; every rule compares figures the file holds: the window within its
 * limits, rate = calls / seconds, min <= mean <= max and min <= p50 <= p90 <= p95 <= p99 <=
 * max when it has calls, no figures when it has none, and its calls within the whole run's
 * (the calls of the zones of that name, when the profile has them). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/check.h"

/* The calls of p's zones named name, and whether there is one. */
static int zone_calls(const fathom_profile *p, const char *name, uint64_t *calls) {
  int any = 0;
  *calls = 0;
  for (uint32_t i = 0; p->zones && i < p->n_zones; i++)
    if (p->zones[i].name && strcmp(p->zones[i].name, name) == 0) {
      *calls += p->zones[i].stats.count;
      any = 1;
    }
  return any;
}

void fz_check_win(const fathom_profile *p, void (*report)(void *ctx, const char *line),
                  void *ctx) {
  for (uint32_t i = 0; p->windows && i < p->n_windows; i++) {
    const fathom_window_info *wi = &p->windows[i];
    const fathom_window *w = &wi->w;
    const char *nm = wi->name ? wi->name : "";
    if (!*nm) CK_REPORT("window %u: no name", i);
    for (uint32_t k = 0; k < i && *nm; k++)
      if (p->windows[k].name && strcmp(p->windows[k].name, nm) == 0)
        CK_REPORT("window %u (%s): the same name as window %u", i, nm, k);
    if (w->last_calls > FATHOM_WINDOW_MAX_CALLS ||
        !(w->last_seconds >= 0 && w->last_seconds <= FATHOM_WINDOW_MAX_SECONDS) ||
        (!w->last_calls && w->last_seconds == 0))
      CK_REPORT("window %u (%s): limits out of range (last %u calls, last %g s)", i, nm,
             w->last_calls, w->last_seconds);
    if (w->calls > FATHOM_WINDOW_MAX_CALLS || (w->last_calls && w->calls > w->last_calls))
      CK_REPORT("window %u (%s): %llu calls, more than it holds (last %u calls)", i, nm,
             (unsigned long long)w->calls, w->last_calls);
    if (!(w->seconds >= 0) || !isfinite(w->seconds) ||
        (w->last_seconds > 0 && !fz_ck_le(w->seconds, w->last_seconds, 0)))
      CK_REPORT("window %u (%s): covers %g s (last %g s)", i, nm, w->seconds, w->last_seconds);
    double want = w->seconds > 0 ? (double)w->calls / w->seconds : 0;
    if (!fz_ck_le(w->rate_per_s, want, 0) || !fz_ck_le(want, w->rate_per_s, 0))
      CK_REPORT("window %u (%s): rate %g/s, not %llu calls / %g s", i, nm, w->rate_per_s,
             (unsigned long long)w->calls, w->seconds);
    const double f[] = {w->min_ns, w->p50_ns, w->p90_ns, w->p95_ns, w->p99_ns, w->max_ns};
    if (!w->calls) {
      int any = !isnan(w->mean_ns);
      for (size_t k = 0; k < 6; k++) any |= !isnan(f[k]);
      if (any) CK_REPORT("window %u (%s): no calls but figures", i, nm);
    } else {
      if (!fz_ck_le(w->min_ns, w->mean_ns, 0) || !fz_ck_le(w->mean_ns, w->max_ns, 0) || !(w->min_ns >= 0))
        CK_REPORT("window %u (%s): not 0 <= min <= mean <= max (%g, %g, %g ns)", i, nm, w->min_ns,
               w->mean_ns, w->max_ns);
      for (size_t k = 1; k < 6; k++)
        if (!fz_ck_le(f[k - 1], f[k], 0)) {
          CK_REPORT("window %u (%s): not min <= p50 <= p90 <= p95 <= p99 <= max (%g, %g, %g, "
                 "%g, %g, %g ns)", i, nm, f[0], f[1], f[2], f[3], f[4], f[5]);
          break;
        }
    }
    if (w->calls > w->run_calls)
      CK_REPORT("window %u (%s): %llu calls, more than the run's %llu", i, nm,
             (unsigned long long)w->calls, (unsigned long long)w->run_calls);
    uint64_t zc;
    if (*nm && zone_calls(p, nm, &zc) && zc != w->run_calls)
      CK_REPORT("window %u (%s): the run's calls %llu, not the zone's count %llu", i, nm,
             (unsigned long long)w->run_calls, (unsigned long long)zc);
    if (!isnan(w->run_p95_ns) && !(w->run_p95_ns >= 0 && isfinite(w->run_p95_ns)))
      CK_REPORT("window %u (%s): whole-run p95 %g ns", i, nm, w->run_p95_ns);
  }
}
