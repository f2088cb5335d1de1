/* text_win.c: the text report's "Recent windows" section (the profile's "windows": rolling
 * windows, docs/windows.md): per window its limits, the calls it holds and the time they
 * cover, their rate and exact percentiles, beside the whole run's p95 of the same zone.
 *
 * Invariant: reads only what it is given; the window's figures are exact over its calls
 * (nearest rank), the whole-run p95 is read from the run's histogram (within 0.78 %) and is
 * marked "~" when the zone's timing was sampled; both are as measured (fathom's own cost
 * inside the calls left in); an empty window shows "-". */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "view/text.h"
#include "view/view.h"

static void dur(char *b, size_t cap, double ns) {
  if (isnan(ns)) snprintf(b, cap, "-");
  else fz_fmt_dur(b, cap, ns);
}

/* Whether the zones named name have a sampled (estimated) timing. */
static int run_estimated(const fathom_profile *p, const char *name) {
  for (uint32_t i = 0; p->zones && i < p->n_zones; i++)
    if (p->zones[i].name && strcmp(p->zones[i].name, name) == 0 &&
        fathom_stats_estimated(&p->zones[i].stats))
      return 1;
  return 0;
}

int fz_text_windows(const fz_tx *tx, const fathom_profile *p) {
  FILE *f = tx->f;
  uint32_t n = p->windows ? p->n_windows : 0;
  if (!n) return 0;
  fz_section(tx, "Recent windows");
  static const char *const head[] = {"window", "calls", "covers", "rate/s", "mean", "p50",
                                     "p95", "p99", "max", "run p95", "zone"};
  fz_tab t;
  fz_tab_init(&t, head, "lrrrrrrrrrl");
  int trunc = 0, est = 0, dropped = 0;
  for (uint32_t i = 0; i < n; i++) {
    const fathom_window *w = &p->windows[i].w;
    char lim[48], calls[32], cov[40], rate[32], mean[40], p50[40], p95[40], p99[40], mx[40],
        run[48], name[256];
    if (w->last_calls && w->last_seconds > 0)
      snprintf(lim, sizeof lim, "last %u / %gs", w->last_calls, w->last_seconds);
    else if (w->last_calls)
      snprintf(lim, sizeof lim, "last %u", w->last_calls);
    else
      snprintf(lim, sizeof lim, "last %gs", w->last_seconds);
    fz_fmt_count(calls, sizeof calls, w->calls);
    fz_fmt_dur(cov, sizeof cov, w->seconds * 1e9);
    if (w->truncated) {
      size_t l = strlen(cov);
      snprintf(cov + l, sizeof cov - l, "!");
      trunc = 1;
    }
    if (w->rate_per_s >= 100)
      fz_fmt_count(rate, sizeof rate, (uint64_t)llround(w->rate_per_s));
    else
      snprintf(rate, sizeof rate, "%.3g", w->rate_per_s);
    dur(mean, sizeof mean, w->mean_ns);
    dur(p50, sizeof p50, w->p50_ns);
    dur(p95, sizeof p95, w->p95_ns);
    dur(p99, sizeof p99, w->p99_ns);
    dur(mx, sizeof mx, w->max_ns);
    char r[40];
    dur(r, sizeof r, w->run_p95_ns);
    int e = !isnan(w->run_p95_ns) && run_estimated(p, p->windows[i].name);
    est |= e;
    snprintf(run, sizeof run, "%s%s", e ? "~" : "", r);
    dropped |= w->dropped != 0;
    fz_clean(name, sizeof name, p->windows[i].name, 60);
    const char *cells[] = {lim, calls, cov, rate, mean, p50, p95, p99, mx, run, name};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  fz_on(tx, "2");
  fputs("  window: the zone's last calls and/or those ended in the last seconds; its figures "
        "are exact (nearest rank); run p95: the whole run's, from its histogram (within "
        "0.78 %); both as measured (fathom's cost inside the calls left in, unlike the "
        "zone figures above)\n", f);
  if (trunc)
    fputs("  !: more calls ended in the time window than a window holds: the newest are kept "
          "and cover this shorter time\n", f);
  if (est) fputs("  ~: estimated from a sample of the calls\n", f);
  fz_off(tx);
  if (dropped) {
    fz_on(tx, "33");
    fputs("  some calls were left out of a window for want of memory\n", f);
    fz_off(tx);
  }
  if (!rc && ferror(f)) rc = FATHOM_E_IO;
  return rc;
}
