/* json_win.c: reads the profile's optional "windows" table (rolling windows, written by
 * src/view/json_win.c). An absent member: no windows.
 *
 * Invariant: as every jl_* reader: one message naming the offending value on failure, the
 * model left freeable. Limits within the library's (at most FATHOM_WINDOW_MAX_CALLS calls,
 * FATHOM_WINDOW_MAX_SECONDS seconds, FATHOM_WINDOWS_MAX windows); times and rates finite and
 * not negative; an empty window's figures null, a non-empty one's numbers. How the figures
 * relate (p50 <= p90 <= ..., calls within the zone's) is fathom check's (model/check_win.c). */
#include <math.h>

#include "json_ld.h"

static int bad(jl_ctx *c, const jp *ip, const char *k, const char *why) {
  jp kp = {ip, k, 0};
  return jl_fail(c, FATHOM_E_FORMAT, &kp, "%s", why);
}

/* Member k: a finite number >= 0, or (nullable) null/NaN. */
static int m_num(jl_ctx *c, const json_t *o, const jp *ip, const char *k, int nullable,
                 double *out) {
  int rc = jl_m_dbl(c, o, ip, k, out);
  if (rc) return rc;
  if (isnan(*out) && nullable) return 0;
  if (!(isfinite(*out) && *out >= 0))
    return bad(c, ip, k, nullable ? "must be null or a finite number, not negative"
                                  : "must be a finite number, not negative");
  return 0;
}

static int load_one(jl_ctx *c, const json_t *o, const jp *ip, fathom_window_info *wi) {
  fathom_window *w = &wi->w;
  int rc = jl_m_str(c, o, ip, "name", 0, &wi->name);
  if (!rc && !*wi->name) rc = bad(c, ip, "name", "must not be empty");
  if (!rc) rc = jl_m_u32(c, o, ip, "last_calls", &w->last_calls);
  if (!rc && w->last_calls > FATHOM_WINDOW_MAX_CALLS)
    rc = bad(c, ip, "last_calls", "more than the most a window holds (65536)");
  if (!rc) rc = m_num(c, o, ip, "last_seconds", 0, &w->last_seconds);
  if (!rc && w->last_seconds > FATHOM_WINDOW_MAX_SECONDS)
    rc = bad(c, ip, "last_seconds", "longer than the longest window (3600 s)");
  if (!rc && !w->last_calls && w->last_seconds == 0)
    rc = bad(c, ip, "last_calls", "a window needs a call limit or a time limit");
  if (!rc) rc = jl_m_u64_upto(c, o, ip, "calls", &w->calls, FATHOM_WINDOW_MAX_CALLS,
                              "calls in a window");
  if (!rc) rc = m_num(c, o, ip, "seconds", 0, &w->seconds);
  if (!rc) rc = m_num(c, o, ip, "rate_per_s", 0, &w->rate_per_s);
  static const char *const fig[] = {"mean_ns", "min_ns", "max_ns", "p50_ns",
                                    "p90_ns",  "p95_ns", "p99_ns"};
  double *dst[] = {&w->mean_ns, &w->min_ns, &w->max_ns, &w->p50_ns,
                   &w->p90_ns,  &w->p95_ns, &w->p99_ns};
  for (int i = 0; i < 7 && !rc; i++) {
    rc = m_num(c, o, ip, fig[i], 1, dst[i]);
    if (!rc && w->calls && isnan(*dst[i]))
      rc = bad(c, ip, fig[i], "must be a number: the window has calls");
    if (!rc && !w->calls && !isnan(*dst[i]))
      rc = bad(c, ip, fig[i], "must be null: the window has no calls");
  }
  if (!rc) rc = jl_m_bool(c, o, ip, "truncated", &w->truncated);
  if (!rc) rc = jl_m_u64(c, o, ip, "dropped", &w->dropped);
  if (!rc) rc = jl_m_u64(c, o, ip, "run_calls", &w->run_calls);
  if (!rc) rc = m_num(c, o, ip, "run_p95_ns", 1, &w->run_p95_ns);
  return rc;
}

int jl_windows(jl_ctx *c, const json_t *root, fathom_profile *p) {
  if (!json_object_get(root, "windows")) return 0;
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "windows", FATHOM_WINDOWS_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->windows, n, sizeof *p->windows);
  if (rc) return rc;
  p->n_windows = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = load_one(c, o, &ip, &p->windows[i]);
  }
  return rc;
}
