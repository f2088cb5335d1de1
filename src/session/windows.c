/* session/windows.c: the session's side of rolling windows (docs/windows.md):
 * fathom_window_stats (a window's figures beside the whole run's p95, read from the zones'
 * histograms like the profile's percentiles), the profile's windows table at session end
 * and in snapshots (the run's calls from the profile's own zones), and FATHOM_WINDOWS.
 * The recording side is record/window.c.
 *
 * Invariant: a window's own figures are exact over its calls as measured (record/window.c);
 * the whole-run p95 beside it is read from the same zones' histograms, also as measured
 * (fathom's own cost inside the calls left in, which the profile's zone figures take out),
 * so the two compare like with like; it is never mixed into the window's figures. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "record/record.h"
#include "record/window.h"
#include "session/windows.h"

/* The p95 of a merged histogram in ticks (dense) whose timed calls lie in [mn, mx] ticks,
 * read as the profile reads percentiles; NaN when it is empty. */
static double run_p95(const uint64_t *dense, uint64_t mn, uint64_t mx) {
  double v = NAN;
  fathom_hist h = {0};
  if (dense && mn <= mx && fz_hist_from_dense(&h, dense) == 0 && h.n) {
    h.unit_ns = fz_ns_per_tick();
    double lo = (double)fz_ticks_to_ns(mn), hi = (double)fz_ticks_to_ns(mx);
    v = fathom_hist_percentile(&h, 95, (uint64_t)lo, (uint64_t)hi);
    if (v > hi) v = hi;
  }
  fz_hist_free(&h);
  return v;
}

int fz_window_stats_at(const char *name, uint64_t now, fathom_window *out) {
  if (!name || !out) return FATHOM_E_INVAL;
  uint64_t *dense = calloc(FATHOM_HIST_BUCKETS, sizeof *dense);
  uint64_t mn = UINT64_MAX, mx = 0;
  int rc = fz_win_read(name, now, out, dense, &mn, &mx);
  if (!rc) out->run_p95_ns = run_p95(dense, mn, mx);
  free(dense);
  return rc;
}

FATHOM_EXTERN int fathom_window_stats(const char *zone_name, fathom_window *out) {
  return fz_window_stats_at(zone_name, fz_ticks(), out);
}

/* The whole run's calls of zones named name in p (the profile's own counts) and their p95
 * as measured, like the window's figures (from the recorder's histograms, fathom's own cost
 * inside the calls left in: the profile's zone percentiles take it out). */
static void run_figures(const fathom_profile *p, uint32_t g, const char *name, fathom_window *o) {
  o->run_calls = 0;
  for (uint32_t i = 0; i < p->n_zones; i++)
    if (p->zones[i].name && strcmp(p->zones[i].name, name) == 0)
      o->run_calls += p->zones[i].stats.count;
  uint64_t *dense = calloc(FATHOM_HIST_BUCKETS, sizeof *dense);
  uint64_t mn = UINT64_MAX, mx = 0;
  if (dense) fz_win_run_hist(name, g, NULL, dense, &mn, &mx);
  o->run_p95_ns = run_p95(dense, mn, mx);
  free(dense);
}

void fz_win_fill(fathom_profile *p, uint32_t g, uint64_t at) {
  if (!p || !g) return;
  int saved = errno;
  fathom_window_info *arr;
  uint32_t m;
  (void)fz_win_read_all(g, at, &arr, &m); /* out of memory: the windows that could be read */
  if (!m) {
    errno = saved;
    return;
  }
  for (uint32_t i = 0; i < m; i++) run_figures(p, g, arr[i].name, &arr[i].w);
  for (uint32_t i = 0; i < p->n_windows; i++) free(p->windows[i].name);
  free(p->windows);
  p->windows = arr;
  p->n_windows = m;
  errno = saved;
}

/* ---- FATHOM_WINDOWS ---- */


int fz_windows_parse(const char *spec, int apply, char *why, size_t cap) {
  if (!spec) return 0;
  const char *s = spec;
  while (*s) {
    while (*s == ',' || *s == ' ') s++;
    if (!*s) break;
    const char *eq = strchr(s, '='), *end = strchr(s, ',');
    if (!end) end = s + strlen(s);
    if (!eq || eq > end || eq == s) {
      snprintf(why, cap, "'%.*s': expected name=N, name=Ts or name=N/Ts", (int)(end - s), s);
      return FATHOM_E_INVAL;
    }
    char name[256], val[64];
    if ((size_t)(eq - s) >= sizeof name || (size_t)(end - eq - 1) >= sizeof val) {
      snprintf(why, cap, "'%.*s': too long", (int)(end - s), s);
      return FATHOM_E_INVAL;
    }
    memcpy(name, s, (size_t)(eq - s));
    name[eq - s] = 0;
    memcpy(val, eq + 1, (size_t)(end - eq - 1));
    val[end - eq - 1] = 0;
    unsigned long long calls = 0;
    double secs = 0;
    int bad = !*val;
    for (char *part = val, *next; !bad && part && *part; part = next) {
      next = strchr(part, '/');
      if (next) *next++ = 0;
      char *e;
      errno = 0;
      double x = strtod(part, &e);
      if (e == part || errno || !(x > 0)) {
        bad = 1;
      } else if (!*e) { /* a call count */
        if (calls || x != floor(x) || x > FATHOM_WINDOW_MAX_CALLS) bad = 1;
        else calls = (unsigned long long)x;
      } else {
        double mul = !strcmp(e, "s") ? 1 : !strcmp(e, "ms") ? 1e-3 : !strcmp(e, "m") ? 60 : -1;
        if (mul < 0 || secs > 0 || x * mul > FATHOM_WINDOW_MAX_SECONDS) bad = 1;
        else secs = x * mul;
      }
    }
    if (bad) {
      snprintf(why, cap, "'%.*s': expected name=N (1..%u calls), name=Ts (s, ms or m, up to "
                         "%.0f s) or name=N/Ts", (int)(end - s), s, FATHOM_WINDOW_MAX_CALLS,
               FATHOM_WINDOW_MAX_SECONDS);
      return FATHOM_E_INVAL;
    }
    if (apply) {
      int rc = fathom_window_enable(name, (uint32_t)calls, secs);
      if (rc) {
        snprintf(why, cap, "'%s': %s", name,
                 rc == FATHOM_E_LIMIT ? "more windows than a process may enable (32)"
                                      : fathom_strerror(rc));
        return rc;
      }
    }
    s = end;
  }
  return 0;
}
