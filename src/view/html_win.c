/* html_win.c: the HTML report's data for the rolling windows (the profile's "windows"): one
 * row per window, the page (report.js) draws them beside the whole run's p95.
 *
 * Invariant: text reaches the page only through fz_hj_str; at most FATHOM_WINDOWS_MAX rows
 * (the most a process can enable), so the page stays small. */
#include <stdio.h>

#include "view/html.h"

/* ,"windows":[[zone, last calls, last seconds, calls, seconds, rate/s, mean, min, max, p50,
 * p90, p95, p99 (ns), truncated, run calls, run p95 (ns)], ...] */
void fz_html_win_data(FILE *f, const fathom_profile *p) {
  uint32_t n = p->windows ? p->n_windows : 0;
  fputs(",\"windows\":[", f);
  for (uint32_t i = 0; i < n; i++) {
    const fathom_window *w = &p->windows[i].w;
    fputs(i ? ",\n[" : "[", f);
    fz_hj_str(f, p->windows[i].name);
    const double v[] = {(double)w->last_calls, w->last_seconds, (double)w->calls, w->seconds,
                        w->rate_per_s,         w->mean_ns,      w->min_ns,        w->max_ns,
                        w->p50_ns,             w->p90_ns,       w->p95_ns,        w->p99_ns,
                        w->truncated ? 1 : 0,  (double)w->run_calls, w->run_p95_ns};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
      fputc(',', f);
      fz_hj_num(f, v[k]);
    }
    fputc(']', f);
  }
  fputc(']', f);
}
