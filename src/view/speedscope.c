/* view/speedscope.c: speedscope's own JSON file format
 * (https://www.speedscope.app/file-format-schema.json): one frame per zone in shared.frames
 * and one profile per thread that recorded, in nanoseconds.
 *
 * Invariant: the output is one valid JSON object whatever the model holds (names escaped,
 * invalid UTF-8 as U+FFFD). Without a timeline, a thread's profile is "sampled": one sample
 * per call path with self time above zero, its stack root first, weighted by that self time
 * in ns, so a frame's total weight is its zone's total time on the thread (recursion counted
 * once) and its self weight the zone's self time. With a timeline (p->timeline), profiles
 * are "evented": an open and a close per recorded call at its real time (ns since the session
 * start), strictly nested: a call that ends after its enclosing one is cut at that end.
 *
 * Bounded: an evented profile writes the recorded calls within the trace budget (timeline.h:
 * the longest calls, the shorter ones left out and counted in "fathom_trace"), and a sample's
 * stack is cut where the folded view cuts it (fz_flame_cuts: at most FZ_FLAME_STACK_MAX bytes
 * of labels), the nodes below becoming one sample of that prefix and the extra last frame
 * FZ_FLAME_CUT; nodes and events are grouped by thread once, so the work and the output are
 * linear in the model. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/flame.h"
#include "util/jsonw.h"
#include "model/model.h"
#include "view/view.h"

static void put_str(FILE *f, const char *str) { fz_json_write_str(f, str, 0); }

/* Frames of a stack that is not cut: each label is at least 1 byte, then a ';'. */
#define SS_FRAMES (FZ_FLAME_STACK_MAX / 2 + 1)

/* What the profiles are written from: nodes (or timeline events) grouped by thread, in
 * model order: thread th's are idx[first[th]] .. idx[first[th + 1] - 1]. */
typedef struct ss_ctx {
  const fathom_profile *p;
  char **labels;
  uint32_t *cut;       /* node -> node it is written as (fz_flame_cuts) */
  uint64_t *deep;      /* node -> self time of the nodes cut to it */
  uint64_t *first;     /* n_threads + 1 */
  uint64_t *idx;
  uint32_t cut_frame;  /* the frame FZ_FLAME_CUT (n_zones), FATHOM_NONE when none is cut */
  uint32_t *stack;     /* a sample's frames, leaf first (SS_FRAMES) */
  unsigned char *keep; /* evented: event k is written (the trace budget), else NULL */
  fz_trace_cut tcut;
} ss_ctx;

static void put_frames(FILE *f, const ss_ctx *x) {
  const fathom_profile *p = x->p;
  fputs("\"shared\":{\"frames\":[", f);
  for (uint32_t z = 0; z < p->n_zones; z++) {
    fputs(z ? ",\n{\"name\":" : "\n{\"name\":", f);
    put_str(f, x->labels[z]);
    const fathom_zone_info *zi = &p->zones[z];
    if (zi->file && *zi->file) {
      fputs(",\"file\":", f);
      put_str(f, zi->file);
    }
    if (zi->line > 0) fprintf(f, ",\"line\":%d", zi->line);
    fputc('}', f);
  }
  if (x->cut_frame != FATHOM_NONE) {
    fputs(p->n_zones ? ",\n{\"name\":" : "\n{\"name\":", f);
    put_str(f, FZ_FLAME_CUT);
    fputc('}', f);
  }
  fputs("]}", f);
}

static void put_profile_head(FILE *f, const fathom_profile *p, uint32_t th, const char *type,
                             uint64_t end, int first) {
  const fathom_thread_info *t = &p->threads[th];
  char name[160];
  snprintf(name, sizeof name, "%s (tid %llu)", t->name && *t->name ? t->name : "thread",
           (unsigned long long)t->tid);
  fputs(first ? "\n{\"type\":\"" : ",\n{\"type\":\"", f);
  fputs(type, f);
  fputs("\",\"name\":", f);
  put_str(f, name);
  fprintf(f, ",\"unit\":\"nanoseconds\",\"startValue\":0,\"endValue\":%llu",
          (unsigned long long)end);
}

/* One sample: node i's stack root first, then the cut frame when cut_frame (its weight is
 * then the time of the nodes cut below i). */
static void put_sample(FILE *f, const ss_ctx *x, uint32_t i, int cut_frame, int any) {
  uint32_t d = 0;
  for (uint32_t a = i; a != FATHOM_NONE && d < SS_FRAMES; a = x->p->nodes[a].parent)
    x->stack[d++] = x->p->nodes[a].zone;
  fputs(any ? ",[" : "\n[", f);
  for (uint32_t k = d; k-- > 0;) fprintf(f, k + 1 == d ? "%u" : ",%u", x->stack[k]);
  if (cut_frame) fprintf(f, ",%u", x->cut_frame);
  fputc(']', f);
}

/* Sampled profile of thread th: stacks of its nodes with self time, root first (a cut
 * node's time in its ancestor's sample ending in the cut frame). */
static int put_sampled(FILE *f, const ss_ctx *x, uint32_t th, int first) {
  const fathom_profile *p = x->p;
  uint64_t sum = 0;
  for (uint64_t k = x->first[th]; k < x->first[th + 1]; k++) sum += p->nodes[x->idx[k]].stats.self_ns;
  put_profile_head(f, p, th, "sampled", sum, first);
  fputs(",\"samples\":[", f);
  int any = 0;
  for (uint64_t k = x->first[th]; k < x->first[th + 1]; k++) {
    uint32_t i = (uint32_t)x->idx[k];
    if (x->cut[i] != i) continue;
    if (p->nodes[i].stats.self_ns) put_sample(f, x, i, 0, any), any = 1;
    if (x->deep[i]) put_sample(f, x, i, 1, any), any = 1;
  }
  fputs("],\"weights\":[", f);
  any = 0;
  for (uint64_t k = x->first[th]; k < x->first[th + 1]; k++) {
    uint32_t i = (uint32_t)x->idx[k];
    uint64_t w[2] = {p->nodes[i].stats.self_ns, x->deep[i]};
    for (int j = 0; j < 2 && x->cut[i] == i; j++) {
      if (!w[j]) continue;
      fprintf(f, any ? ",%llu" : "%llu", (unsigned long long)w[j]);
      any = 1;
    }
  }
  fputs("]}", f);
  return 0;
}

typedef struct open_ev { uint32_t zone; uint64_t end; } open_ev;

/* Evented profile of thread th from the recorded calls (sorted by begin, then depth). */
static int put_evented(FILE *f, const ss_ctx *x, uint32_t th, int first) {
  const fathom_profile *p = x->p;
  uint64_t end = 0;
  for (uint64_t k = x->first[th]; k < x->first[th + 1]; k++) {
    const fathom_event *e = &p->events[x->idx[k]];
    if (e->ts_ns + e->dur_ns > end) end = e->ts_ns + e->dur_ns;
  }
  put_profile_head(f, p, th, "evented", end, first);
  fputs(",\"events\":[", f);
  size_t cap = 64, n = 0;
  open_ev *st = malloc(cap * sizeof *st);
  if (!st) return FATHOM_E_NOMEM;
  int any = 0;
  for (uint64_t k = x->first[th]; k <= x->first[th + 1]; k++) {
    const fathom_event *e = k < x->first[th + 1] ? &p->events[x->idx[k]] : NULL;
    if (e && e->zone >= p->n_zones) continue;
    uint64_t b = e ? e->ts_ns : UINT64_MAX;
    while (n && st[n - 1].end <= b) {   /* close what ended before this call begins */
      n--;
      fprintf(f, "%s{\"type\":\"C\",\"frame\":%u,\"at\":%llu}", any ? "," : "\n", st[n].zone,
              (unsigned long long)st[n].end);
      any = 1;
    }
    if (!e) break;
    uint64_t e_end = e->ts_ns + e->dur_ns;
    if (n && e_end > st[n - 1].end) e_end = st[n - 1].end;   /* strictly nested */
    if (n == cap) {
      open_ev *ns = realloc(st, cap * 2 * sizeof *st);
      if (!ns) { free(st); return FATHOM_E_NOMEM; }
      st = ns;
      cap *= 2;
    }
    st[n++] = (open_ev){e->zone, e_end};
    fprintf(f, "%s{\"type\":\"O\",\"frame\":%u,\"at\":%llu}", any ? "," : "\n", e->zone,
            (unsigned long long)b);
    any = 1;
  }
  free(st);
  fputs("]}", f);
  return 0;
}

static int thread_has_data(const ss_ctx *x, uint32_t th, int evented) {
  if (evented) return x->first[th + 1] > x->first[th];
  for (uint64_t k = x->first[th]; k < x->first[th + 1]; k++)
    if (x->p->nodes[x->idx[k]].stats.self_ns) return 1;
  return 0;
}

/* Groups the n items (nodes, or events) by thread, keeping their order (a counting sort). */
static int group_by_thread(ss_ctx *x, uint64_t n, int evented) {
  const fathom_profile *p = x->p;
  x->first = calloc((size_t)p->n_threads + 2, sizeof *x->first);
  x->idx = malloc((n ? n : 1) * sizeof *x->idx);
  if (!x->first || !x->idx) return FATHOM_E_NOMEM;
  for (uint64_t k = 0; k < n; k++)
    if (!x->keep || x->keep[k])
      x->first[(evented ? p->events[k].thread : p->nodes[k].thread) + 2]++;
  for (uint32_t th = 0; th < p->n_threads; th++) x->first[th + 2] += x->first[th + 1];
  for (uint64_t k = 0; k < n; k++)   /* first[th + 1]: where thread th's next item goes */
    if (!x->keep || x->keep[k])
      x->idx[x->first[(evented ? p->events[k].thread : p->nodes[k].thread) + 1]++] = k;
  return 0;
}

/* The cuts (fz_flame_cuts), and the time each kept node takes from the nodes cut below it. */
static int prepare_cuts(ss_ctx *x) {
  const fathom_profile *p = x->p;
  uint32_t n = p->n_nodes;
  x->cut = malloc((n ? n : 1) * sizeof *x->cut);
  x->deep = calloc(n ? n : 1, sizeof *x->deep);
  if (!x->cut || !x->deep) return FATHOM_E_NOMEM;
  int64_t ncut = fz_flame_cuts(p, x->labels, x->cut);
  if (ncut < 0) return FATHOM_E_NOMEM;
  x->cut_frame = ncut ? p->n_zones : FATHOM_NONE;
  for (uint32_t i = 0; i < n; i++)
    if (x->cut[i] != i) x->deep[x->cut[i]] += p->nodes[i].stats.self_ns;
  x->stack = malloc(SS_FRAMES * sizeof *x->stack);
  return x->stack ? 0 : FATHOM_E_NOMEM;
}

static int write_speedscope(ss_ctx *x, FILE *f) {
  const fathom_profile *p = x->p;
  int evented = p->timeline && p->n_events > 0;
  for (uint64_t k = 1; evented && k < p->n_events; k++)
    if (p->events[k].ts_ns < p->events[k - 1].ts_ns) return FATHOM_E_FORMAT;
  int rc = prepare_cuts(x);
  if (!rc && evented) {
    x->keep = malloc((size_t)p->n_events);
    rc = x->keep ? fz_trace_select(p, fz_trace_budget(), x->keep, &x->tcut) : FATHOM_E_NOMEM;
  }
  if (!rc) rc = group_by_thread(x, evented ? p->n_events : p->n_nodes, evented);
  if (rc) return rc;
  fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n", f);
  put_frames(f, x);
  fputs(",\n\"profiles\":[", f);
  int first = 1;
  for (uint32_t th = 0; th < p->n_threads && !rc; th++) {
    if (!thread_has_data(x, th, evented)) continue;
    rc = evented ? put_evented(f, x, th, first) : put_sampled(f, x, th, first);
    first = 0;
  }
  if (rc) return rc;
  if (first) /* nothing recorded: one empty profile keeps the file importable */
    fputs("\n{\"type\":\"sampled\",\"name\":\"(no zones)\",\"unit\":\"nanoseconds\","
          "\"startValue\":0,\"endValue\":0,\"samples\":[],\"weights\":[]}", f);
  fputs("],\n\"name\":", f);
  put_str(f, p->meta.session_name && *p->meta.session_name ? p->meta.session_name : "fathom");
  fputs(",\"activeProfileIndex\":0,\"exporter\":\"fathom " FATHOM_VERSION_STRING "\"", f);
  if (evented)   /* the trace budget: how many of the profile's events were written */
    fprintf(f, ",\n\"fathom_trace\":{\"budget\":%llu,\"events\":%llu,\"written\":%llu,"
               "\"left_out\":%llu,\"min_dur_ns\":%llu}",
            (unsigned long long)x->tcut.budget, (unsigned long long)x->tcut.events,
            (unsigned long long)x->tcut.kept, (unsigned long long)(x->tcut.events - x->tcut.kept),
            (unsigned long long)x->tcut.min_dur_ns);
  fputs("}\n", f);
  return 0;
}

int fz_write_speedscope(const fathom_profile *p, FILE *f, int color) {
  if (!p || !f) return FATHOM_E_INVAL;
  int rc = fz_flame_check(p);
  for (uint64_t k = 0; !rc && p->timeline && k < p->n_events; k++)
    if (p->events[k].thread >= p->n_threads) rc = FATHOM_E_FORMAT;
  if (rc) return rc;
  char **labels = fz_flame_labels(p);
  if (!labels) return FATHOM_E_NOMEM;
  /* integers only, but the C locale keeps any future number plain */
  locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  locale_t prev = c ? uselocale(c) : (locale_t)0;
  ss_ctx x = {p, labels, NULL, NULL, NULL, NULL, FATHOM_NONE, NULL, NULL, {0, 0, 0, 0}};
  rc = write_speedscope(&x, f);
  if (c) {
    uselocale(prev);
    freelocale(c);
  }
  free(x.cut);
  free(x.deep);
  free(x.first);
  free(x.idx);
  free(x.stack);
  free(x.keep);
  fz_flame_labels_free(labels, p->n_zones);
  if (!rc && ferror(f)) rc = FATHOM_E_IO;
  return rc;
}
