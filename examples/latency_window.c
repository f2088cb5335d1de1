/* latency_window.c: a service loop whose latency degrades at the end, seen through a rolling
 * window. It serves 10,000 requests; each does a fixed amount of arithmetic, and the last 200
 * do three times as much (a cache gone cold, a neighbour stealing the CPU). Over the whole
 * run the slow requests are 2 % of the calls, so the run's median and p95 barely move; the
 * window over the last 200 requests holds only slow ones and shows the change at once.
 *
 *   latency_window [OUT.json]     the session's profile as JSON too (its "windows" table)
 *
 * The window is enabled in the program (fathom_window_enable); FATHOM_WINDOWS="request=200"
 * in the environment would do the same without a code change. */
#include <fathom.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define REQUESTS 10000
#define SLOW_FROM (REQUESTS - 200)
#define UNITS 4000            /* arithmetic per normal request (some 10-20 us) */

static volatile double sink;

/* One request: `units` steps of arithmetic. */
static void serve(int id, int units) {
  FATHOM_ZONE("request", "service");
  double v = 0;
  for (int k = 0; k < units; k++) v += (double)((id * 31 + k) % 97) * 1e-3;
  sink = v;
}

static void ms(char *b, size_t cap, double ns) {
  if (isnan(ns)) snprintf(b, cap, "-");
  else snprintf(b, cap, "%.1f us", ns / 1e3);
}

int main(int argc, char **argv) {
  fathom_config c;
  fathom_config_init(&c);
  (void)fathom_config_from_env(&c);
  c.out_path = argc > 1 ? argv[1] : NULL;
  if (fathom_session_begin("latency_window", &c) != 0) {
    fprintf(stderr, "latency_window: could not begin a session\n");
    return 1;
  }
  if (fathom_window_enable("request", 200, 0) != 0) {
    fprintf(stderr, "latency_window: could not enable the window\n");
    return 1;
  }
  fathom_window half = {0};
  for (int i = 0; i < REQUESTS; i++) {
    serve(i, i >= SLOW_FROM ? 3 * UNITS : UNITS);
    if (i == SLOW_FROM - 1) (void)fathom_window_stats("request", &half);
  }
  fathom_window w;
  if (fathom_window_stats("request", &w) != 0) {
    fprintf(stderr, "latency_window: no window\n");
    return 1;
  }
  fathom_profile *p = NULL;
  if (fathom_session_end(&p) != 0 || !p) {
    fprintf(stderr, "latency_window: the session did not end cleanly\n");
    return 1;
  }
  double run_p50 = NAN;
  for (uint32_t i = 0; i < p->n_zones; i++)
    if (p->zones[i].name && !strcmp(p->zones[i].name, "request")) run_p50 = p->zones[i].stats.p50_ns;
  char a[32], b[32], d[32], e[32], f[32], g[32];
  ms(a, sizeof a, run_p50);
  ms(b, sizeof b, w.run_p95_ns);
  ms(d, sizeof d, half.p50_ns);
  ms(e, sizeof e, half.p95_ns);
  ms(f, sizeof f, w.p50_ns);
  ms(g, sizeof g, w.p95_ns);
  printf("whole run:               %llu requests, p50 %s, p95 %s\n",
         (unsigned long long)w.run_calls, a, b);
  printf("last 200, before the end: p50 %s, p95 %s\n", d, e);
  printf("last 200, at the end:     p50 %s, p95 %s (%.0f requests/s)\n", f, g, w.rate_per_s);
  if (w.p50_ns > 2 * run_p50)
    printf("the window shows the slowdown: its median is %.1fx the run's\n", w.p50_ns / run_p50);
  fathom_profile_free(p);
  return 0;
}
