/* view/json_win.c: the profile's "windows" table in JSON (rolling windows: fathom_window_enable;
 * docs/json-schema.md, docs/windows.md). Written only when the profile has windows, so other
 * profiles' files are unchanged; src/load/json_win.c reads it back.
 *
 * Invariant: one object per window, every member always present; figures of an empty
 * window (mean, min, max, percentiles) and a whole-run p95 with no timed call are null. */
#include "util/jsonw.h"
#include "view/view.h"

static void u64m(FILE *f, const char *k, uint64_t v) {
  fprintf(f, ",\"%s\":", k);
  fz_json_write_u64(f, v);
}

void fz_json_put_windows(FILE *f, const fathom_profile *p) {
  if (!p->n_windows || !p->windows) return;
  fputs(",\n\"windows\":[", f);
  for (uint32_t i = 0; i < p->n_windows; i++) {
    const fathom_window_info *wi = &p->windows[i];
    const fathom_window *w = &wi->w;
    fputs(i ? ",\n{\"name\":" : "\n{\"name\":", f);
    fz_json_write_str(f, wi->name, 0);
    u64m(f, "last_calls", w->last_calls);
    fz_json_num_member(f, "last_seconds", w->last_seconds);
    u64m(f, "calls", w->calls);
    fz_json_num_member(f, "seconds", w->seconds);
    fz_json_num_member(f, "rate_per_s", w->rate_per_s);
    fz_json_num_member(f, "mean_ns", w->mean_ns);
    fz_json_num_member(f, "min_ns", w->min_ns);
    fz_json_num_member(f, "max_ns", w->max_ns);
    fz_json_num_member(f, "p50_ns", w->p50_ns);
    fz_json_num_member(f, "p90_ns", w->p90_ns);
    fz_json_num_member(f, "p95_ns", w->p95_ns);
    fz_json_num_member(f, "p99_ns", w->p99_ns);
    fprintf(f, ",\"truncated\":%s", w->truncated ? "true" : "false");
    u64m(f, "dropped", w->dropped);
    u64m(f, "run_calls", w->run_calls);
    fz_json_num_member(f, "run_p95_ns", w->run_p95_ns);
    fputc('}', f);
  }
  fputc(']', f);
}
