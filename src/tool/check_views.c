/* check_views.c: `fathom check` on the two JSON views that are not profiles, a Chrome trace
 * (`trace.json`) and a speedscope file: their figures must add up too.
 *   - Chrome trace: every complete event ("X") has a finite ts >= 0 and dur >= 0, and on each
 *     thread the events nest: an event that begins inside another ends inside it (children
 *     within their parent); counters ("C") carry finite numbers.
 *   - speedscope: every profile has startValue <= endValue; an evented profile's events are in
 *     time order inside [startValue, endValue], each close ("C") closes the frame opened last
 *     ("O"), and none is left open; a sampled profile has one weight >= 0 per sample, and the
 *     weights add up to at most endValue - startValue; every frame index is in range.
 * Times are compared with a tolerance of 1 ns (the trace's microseconds carry 3 decimals).
 * Invariant: a file is classified by its first bytes (fathom writes "traceEvents" or the
 * speedscope "$schema" first); anything else goes to the profile loader as before. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fathom_load.h"
#include "io.h"
#include "tool.h"

#define MAX_SHOWN 50 /* violations printed per file; the rest are counted */

typedef struct vcheck {
  const char *name; /* the file's name, quoted */
  int n;            /* violations */
  int quiet;
} vcheck;

static void bad(vcheck *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(vcheck *v, const char *fmt, ...) {
  if (++v->n > MAX_SHOWN) return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  printf("%s: %s\n", v->name, line);
}

int check_view_kind(const char *path) {
  if (strcmp(path, "-") == 0) return VIEW_NONE;
  FILE *f = fopen(path, "rb");
  if (!f) return VIEW_NONE;
  char head[512];
  size_t n = fread(head, 1, sizeof head - 1, f);
  fclose(f);
  head[n] = 0;
  const char *s = head;
  while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') s++;
  if (*s++ != '{') return VIEW_NONE;
  while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') s++;
  if (strncmp(s, "\"traceEvents\"", 13) == 0) return VIEW_CHROME;
  if (strncmp(s, "\"$schema\"", 9) == 0 && strstr(s, "speedscope")) return VIEW_SPEEDSCOPE;
  return VIEW_NONE;
}

static int num(const json_t *o, const char *key, double *out) {
  const json_t *x = json_object_get(o, key);
  if (!json_is_number(x)) return -1;
  *out = json_number_value(x);
  return isfinite(*out) ? 0 : -1;
}

/* ---- Chrome trace ---------------------------------------------------------------------- */

typedef struct span {
  double b, e;      /* begin and end, us */
  long long thread; /* pid << 32 | tid */
  size_t idx;       /* index in traceEvents */
} span;

static int cmp_span(const void *a, const void *b) {
  const span *x = a, *y = b;
  if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
  if (x->b != y->b) return x->b < y->b ? -1 : 1;
  return x->e > y->e ? -1 : x->e < y->e; /* the longer first: the parent */
}

static const char *ev_name(const json_t *ev) {
  const char *s = json_string_value(json_object_get(ev, "name"));
  return s ? s : "?";
}

static void check_chrome(vcheck *v, const json_t *root, size_t *n_ev, size_t *n_thr) {
  const json_t *evs = json_object_get(root, "traceEvents");
  if (!json_is_array(evs)) {
    bad(v, "traceEvents: expected an array");
    return;
  }
  size_t n = json_array_size(evs), k = 0;
  span *sp = malloc((n ? n : 1) * sizeof *sp);
  if (!sp) {
    bad(v, "out of memory while checking %zu events", n);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const json_t *ev = json_array_get(evs, i);
    const char *ph = json_string_value(json_object_get(ev, "ph"));
    if (!json_is_object(ev) || !ph) {
      bad(v, "traceEvents[%zu]: an event without a phase (\"ph\")", i);
      continue;
    }
    if (strcmp(ph, "C") == 0) {
      const char *key;
      const json_t *val;
      json_object_foreach((json_t *)json_object_get(ev, "args"), key, val) {
        if (!json_is_number(val) || !isfinite(json_number_value(val)))
          bad(v, "traceEvents[%zu] (counter %s): %s is not a finite number", i, ev_name(ev), key);
      }
      continue;
    }
    if (strcmp(ph, "X") != 0) continue;
    double ts, dur;
    if (num(ev, "ts", &ts) || num(ev, "dur", &dur) || ts < 0 || dur < 0) {
      bad(v, "traceEvents[%zu] (%s): ts and dur must be finite numbers >= 0", i, ev_name(ev));
      continue;
    }
    long long pid = (long long)json_integer_value(json_object_get(ev, "pid"));
    long long tid = (long long)json_integer_value(json_object_get(ev, "tid"));
    sp[k++] = (span){ts, ts + dur, pid << 32 ^ tid, i};
  }
  qsort(sp, k, sizeof *sp, cmp_span);
  /* per thread, a stack of open spans: one that begins inside the top must end inside it */
  span **stack = malloc((k ? k : 1) * sizeof *stack);
  size_t depth = 0, threads = 0;
  const double tol = 1e-3;
  for (size_t i = 0; stack && i < k; i++) {
    if (i == 0 || sp[i].thread != sp[i - 1].thread) depth = 0, threads++;
    while (depth && sp[i].b >= stack[depth - 1]->e - tol) depth--;
    if (depth && sp[i].e > stack[depth - 1]->e + tol) {
      const span *p = stack[depth - 1];
      bad(v, "traceEvents[%zu] (%s, [%.3f, %.3f] us) begins inside traceEvents[%zu] (%s, "
             "[%.3f, %.3f] us) and ends after it: a child beyond its parent",
          sp[i].idx, ev_name(json_array_get(evs, sp[i].idx)), sp[i].b, sp[i].e, p->idx,
          ev_name(json_array_get(evs, p->idx)), p->b, p->e);
      continue;
    }
    stack[depth++] = &sp[i];
  }
  if (!stack && k) bad(v, "out of memory while checking %zu events", k);
  free(stack);
  free(sp);
  *n_ev = n;
  *n_thr = threads;
}

/* ---- speedscope ------------------------------------------------------------------------ */

static void check_evented(vcheck *v, size_t pi, const json_t *prof, size_t n_frames,
                          double start, double end) {
  const json_t *evs = json_object_get(prof, "events");
  if (!json_is_array(evs)) {
    bad(v, "profiles[%zu].events: expected an array", pi);
    return;
  }
  size_t n = json_array_size(evs), depth = 0;
  size_t *open = malloc((n ? n : 1) * sizeof *open);
  if (!open) {
    bad(v, "out of memory while checking %zu events", n);
    return;
  }
  double last = start;
  for (size_t i = 0; i < n; i++) {
    const json_t *ev = json_array_get(evs, i);
    const char *type = json_string_value(json_object_get(ev, "type"));
    const json_t *fr = json_object_get(ev, "frame");
    double at;
    if (!type || num(ev, "at", &at) || !json_is_integer(fr) || json_integer_value(fr) < 0 ||
        (size_t)json_integer_value(fr) >= n_frames) {
      bad(v, "profiles[%zu].events[%zu]: needs a type, a finite \"at\" and a frame index in "
             "range (%zu frames)", pi, i, n_frames);
      continue;
    }
    size_t f = (size_t)json_integer_value(fr);
    if (at < last - 1 || at > end + 1)
      bad(v, "profiles[%zu].events[%zu]: at %.0f is out of order or outside [%.0f, %.0f]", pi,
          i, at, start, end);
    if (at > last) last = at;
    if (strcmp(type, "O") == 0) {
      open[depth++] = f;
    } else if (strcmp(type, "C") == 0) {
      if (!depth || open[depth - 1] != f)
        bad(v, "profiles[%zu].events[%zu]: closes frame %zu, which is not the one opened last",
            pi, i, f);
      else
        depth--;
    } else {
      bad(v, "profiles[%zu].events[%zu]: type \"%s\" (expected \"O\" or \"C\")", pi, i, type);
    }
  }
  if (depth) bad(v, "profiles[%zu]: %zu frames left open at the end", pi, depth);
  free(open);
}

static void check_sampled(vcheck *v, size_t pi, const json_t *prof, size_t n_frames,
                          double start, double end) {
  const json_t *smp = json_object_get(prof, "samples"), *wts = json_object_get(prof, "weights");
  if (!json_is_array(smp) || !json_is_array(wts) || json_array_size(smp) != json_array_size(wts)) {
    bad(v, "profiles[%zu]: samples and weights must be arrays of the same length", pi);
    return;
  }
  double sum = 0;
  for (size_t i = 0; i < json_array_size(wts); i++) {
    const json_t *w = json_array_get(wts, i), *stack = json_array_get(smp, i);
    double x = json_is_number(w) ? json_number_value(w) : -1;
    if (!isfinite(x) || x < 0) bad(v, "profiles[%zu].weights[%zu]: must be a number >= 0", pi, i);
    else sum += x;
    for (size_t j = 0; j < json_array_size(stack); j++) {
      const json_t *fr = json_array_get(stack, j);
      if (!json_is_integer(fr) || json_integer_value(fr) < 0 ||
          (size_t)json_integer_value(fr) >= n_frames)
        bad(v, "profiles[%zu].samples[%zu][%zu]: frame index out of range (%zu frames)", pi, i,
            j, n_frames);
    }
  }
  if (sum > (end - start) * (1 + 1e-9) + 1)
    bad(v, "profiles[%zu]: the weights add up to %.0f, more than endValue - startValue = %.0f",
        pi, sum, end - start);
}

static void check_speedscope(vcheck *v, const json_t *root, size_t *n_prof, size_t *n_frames) {
  const json_t *frames = json_object_get(json_object_get(root, "shared"), "frames");
  const json_t *profs = json_object_get(root, "profiles");
  if (!json_is_array(frames) || !json_is_array(profs)) {
    bad(v, "shared.frames and profiles must be arrays");
    return;
  }
  *n_frames = json_array_size(frames);
  *n_prof = json_array_size(profs);
  for (size_t i = 0; i < *n_prof; i++) {
    const json_t *p = json_array_get(profs, i);
    const char *type = json_string_value(json_object_get(p, "type"));
    double start, end;
    if (!type || num(p, "startValue", &start) || num(p, "endValue", &end) || start > end) {
      bad(v, "profiles[%zu]: needs a type and finite startValue <= endValue", i);
      continue;
    }
    if (strcmp(type, "evented") == 0) check_evented(v, i, p, *n_frames, start, end);
    else if (strcmp(type, "sampled") == 0) check_sampled(v, i, p, *n_frames, start, end);
    else bad(v, "profiles[%zu]: type \"%s\" (expected \"evented\" or \"sampled\")", i, type);
  }
}

int check_view_file(const char *path, int kind, int quiet) {
  static char q[FATHOM_QUOTE_MAX];
  vcheck v = {tool_quote(q, io_name(path, 0)), 0, quiet};
  struct stat st;
  if (stat(path, &st) == 0 && (uint64_t)st.st_size > FATHOM_LOAD_MAX_BYTES) {
    tool_error(io_name(path, 0), "%lld bytes: larger than the %zu bytes a view is checked up to",
               (long long)st.st_size, FATHOM_LOAD_MAX_BYTES);
    return -1;
  }
  json_error_t err;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
  if (!json_is_object(root)) {
    tool_error(io_name(path, 0), "not valid JSON at line %d column %d: %s", err.line,
               err.column, err.text);
    json_decref(root);
    return -1;
  }
  size_t a = 0, b = 0;
  const char *what = kind == VIEW_CHROME ? "Chrome trace" : "speedscope file";
  if (kind == VIEW_CHROME) check_chrome(&v, root, &a, &b);
  else check_speedscope(&v, root, &a, &b);
  json_decref(root);
  if (v.n > MAX_SHOWN) printf("%s: ... %d more\n", v.name, v.n - MAX_SHOWN);
  if (!quiet) {
    char count[32] = "ok";
    if (v.n) snprintf(count, sizeof count, "%d violation%s", v.n, v.n == 1 ? "" : "s");
    printf(kind == VIEW_CHROME ? "%s: %s (%s: %zu events, %zu threads)\n"
                               : "%s: %s (%s: %zu profiles, %zu frames)\n",
           v.name, count, what, a, b);
  }
  return v.n;
}
