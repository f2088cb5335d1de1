/* export_speedscope.c: speedscope's own JSON file format
 * (https://www.speedscope.app/file-format-schema.json): one frame per zone in shared.frames
 * and one profile per thread that recorded, in nanoseconds.
 *
 * Invariant: the output is one valid JSON object whatever the model holds (names escaped,
 * invalid UTF-8 as U+FFFD). Without a timeline, a thread's profile is "sampled": one sample
 * per call path with self time above zero, its stack root first, weighted by that self time
 * in ns, so a frame's total weight is its zone's total time on the thread (recursion counted
 * once) and its self weight the zone's self time. With a timeline (p->timeline), profiles
 * are "evented": an open and a close per recorded call at its real time (ns since the session
 * start), strictly nested: a call that ends after its enclosing one is cut at that end. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flame.h"
#include "jsonw.h"
#include "model.h"

static void put_str(FILE *f, const char *str) { fz_json_write_str(f, str, 0); }

static void put_frames(FILE *f, const fathom_profile *p, char **labels) {
  fputs("\"shared\":{\"frames\":[", f);
  for (uint32_t z = 0; z < p->n_zones; z++) {
    fputs(z ? ",\n{\"name\":" : "\n{\"name\":", f);
    put_str(f, labels[z]);
    const fathom_zone_info *zi = &p->zones[z];
    if (zi->file && *zi->file) {
      fputs(",\"file\":", f);
      put_str(f, zi->file);
    }
    if (zi->line > 0) fprintf(f, ",\"line\":%d", zi->line);
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

/* Sampled profile of thread th: stacks of its nodes with self time, root first. */
static int put_sampled(FILE *f, const fathom_profile *p, uint32_t th, int first) {
  uint64_t sum = 0;
  uint32_t maxd = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (p->nodes[i].thread == th) {
      sum += p->nodes[i].stats.self_ns;
      if (p->nodes[i].depth > maxd) maxd = p->nodes[i].depth;
    }
  put_profile_head(f, p, th, "sampled", sum, first);
  uint32_t scap = maxd + 1, *stack = malloc(scap * sizeof *stack);
  if (!stack) return FATHOM_E_NOMEM;
  fputs(",\"samples\":[", f);
  int any = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *nd = &p->nodes[i];
    if (nd->thread != th || !nd->stats.self_ns) continue;
    uint32_t d = 0;
    for (uint32_t a = i; a != FATHOM_NONE && d < scap; a = p->nodes[a].parent)
      stack[d++] = p->nodes[a].zone;
    fputs(any ? ",[" : "\n[", f);
    for (uint32_t k = d; k-- > 0;) fprintf(f, k + 1 == d ? "%u" : ",%u", stack[k]);
    fputc(']', f);
    any = 1;
  }
  free(stack);
  fputs("],\"weights\":[", f);
  any = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *nd = &p->nodes[i];
    if (nd->thread != th || !nd->stats.self_ns) continue;
    fprintf(f, any ? ",%llu" : "%llu", (unsigned long long)nd->stats.self_ns);
    any = 1;
  }
  fputs("]}", f);
  return 0;
}

typedef struct open_ev { uint32_t zone; uint64_t end; } open_ev;

/* Evented profile of thread th from the recorded calls (sorted by begin, then depth). */
static int put_evented(FILE *f, const fathom_profile *p, uint32_t th, int first) {
  uint64_t end = 0;
  for (uint64_t k = 0; k < p->n_events; k++)
    if (p->events[k].thread == th && p->events[k].ts_ns + p->events[k].dur_ns > end)
      end = p->events[k].ts_ns + p->events[k].dur_ns;
  put_profile_head(f, p, th, "evented", end, first);
  fputs(",\"events\":[", f);
  size_t cap = 64, n = 0;
  open_ev *st = malloc(cap * sizeof *st);
  if (!st) return FATHOM_E_NOMEM;
  int any = 0;
  for (uint64_t k = 0; k <= p->n_events; k++) {
    const fathom_event *e = k < p->n_events ? &p->events[k] : NULL;
    if (e && (e->thread != th || e->zone >= p->n_zones)) continue;
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

static int thread_has_data(const fathom_profile *p, uint32_t th, int evented) {
  if (evented) {
    for (uint64_t k = 0; k < p->n_events; k++)
      if (p->events[k].thread == th) return 1;
    return 0;
  }
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (p->nodes[i].thread == th && p->nodes[i].stats.self_ns) return 1;
  return 0;
}

static int write_speedscope(const fathom_profile *p, FILE *f, char **labels) {
  int evented = p->timeline && p->n_events > 0;
  for (uint64_t k = 1; evented && k < p->n_events; k++)
    if (p->events[k].ts_ns < p->events[k - 1].ts_ns) return FATHOM_E_FORMAT;
  fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n", f);
  put_frames(f, p, labels);
  fputs(",\n\"profiles\":[", f);
  int first = 1, rc = 0;
  for (uint32_t th = 0; th < p->n_threads && !rc; th++) {
    if (!thread_has_data(p, th, evented)) continue;
    rc = evented ? put_evented(f, p, th, first) : put_sampled(f, p, th, first);
    first = 0;
  }
  if (rc) return rc;
  if (first) /* nothing recorded: one empty profile keeps the file importable */
    fputs("\n{\"type\":\"sampled\",\"name\":\"(no zones)\",\"unit\":\"nanoseconds\","
          "\"startValue\":0,\"endValue\":0,\"samples\":[],\"weights\":[]}", f);
  fputs("],\n\"name\":", f);
  put_str(f, p->meta.session_name && *p->meta.session_name ? p->meta.session_name : "fathom");
  fputs(",\"activeProfileIndex\":0,\"exporter\":\"fathom " FATHOM_VERSION_STRING "\"}\n", f);
  return 0;
}

int fz_write_speedscope(const fathom_profile *p, FILE *f) {
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
  rc = write_speedscope(p, f, labels);
  if (c) {
    uselocale(prev);
    freelocale(c);
  }
  fz_flame_labels_free(labels, p->n_zones);
  if (!rc && ferror(f)) rc = FATHOM_E_IO;
  return rc;
}
