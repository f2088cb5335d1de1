/* view/chrome.c: the Chrome Trace Event view (chrome://tracing, Perfetto, speedscope).
 *
 * Invariant: the output is one valid JSON object whatever the model holds (names are
 * escaped, invalid UTF-8 becomes U+FFFD, non-finite numbers become null), and "X" events
 * are written in an order where every enclosing zone comes before the zones inside it:
 * by begin time, then thread, then depth, then longest first. Times are microseconds written as exact
 * decimals of the model's nanoseconds ("1.500" is 1500 ns).
 *
 * Without a recorded timeline (p->timeline == 0) there are no real begin times, so each
 * thread's call tree is laid out as an aggregate flame chart: siblings back to back from
 * ts 0, longest first, each as long as its total time over all calls (an estimate where the
 * node's timing was sampled: its args say "estimated", the timed calls and the standard
 * error); otherData says "synthesized": true.
 *
 * The monitor's time series become "C" counter tracks of the process (one event per sample
 * and track, at µs since the session start): columns are grouped by unit into tracks such as
 * "cpu" (user and system %, stacked), "memory" (RSS bytes) and one set per GPU; values that
 * are not finite are left out of an event, and an event with none is not written.
 *
 * Bounded: a recorded timeline's events are written within the trace budget (timeline.h:
 * the longest events, all at least otherData.trace.min_dur_ns long, the shorter ones left out
 * and counted, so nesting is kept), and a string (a zone, component, counter or column name
 * repeated on every event) is written with at most FZ_CHROME_STR_MAX bytes of its text, then
 * "...", so the output is at most linear in the model (docs/formats.md, "Bounded output"). */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "view/view.h"

/* Decodes one UTF-8 sequence at s; returns its length, or 0 if it is invalid. */
static size_t fz_utf8_len(const unsigned char *s) {
  unsigned c = s[0];
  size_t n;
  unsigned cp;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07;
  else return 0;
  for (size_t k = 1; k < n; k++) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[k] & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  return n;
}

#define FZ_CHROME_STR_MAX 1024   /* bytes of a string's text as written (then "...") */

static void fz_json_str(FILE *f, const char *str) {
  const unsigned char *s = (const unsigned char *)(str ? str : "");
  size_t out = 0;   /* bytes written for the text so far */
  fputc('"', f);
  while (*s) {
    unsigned c = *s;
    size_t n;   /* the character's bytes as written */
    if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t') n = 2;
    else if (c < 0x20 || c == 0x7F) n = 6;
    else n = fz_utf8_len(s);   /* 0: not valid UTF-8, written as \ufffd */
    if (out + (n ? n : 6) > FZ_CHROME_STR_MAX) {   /* cut at a character boundary */
      fputs("...", f);
      break;
    }
    out += n ? n : 6;
    if (c == '"' || c == '\\') {
      fputc('\\', f);
      fputc((int)c, f);
      s++;
    } else if (c < 0x20 || c == 0x7F) {
      switch (c) {
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default: fprintf(f, "\\u%04x", c); break;
      }
      s++;
    } else if (n == 0) {
      fputs("\\ufffd", f);
      s++;
    } else {
      fwrite(s, 1, n, f);
      s += n;
    }
  }
  fputc('"', f);
}

/* Shortest of %.15g / %.17g that reads back as the same double; null when not finite. */
static void fz_json_num(FILE *f, double v) {
  char b[40];
  if (!isfinite(v)) {
    fputs("null", f);
    return;
  }
  snprintf(b, sizeof b, "%.15g", v);
  if (strtod(b, NULL) != v) snprintf(b, sizeof b, "%.17g", v);
  fputs(b, f);
}

/* Microseconds from ns, exact: "12.345". */
static void fz_json_us(FILE *f, uint64_t ns) {
  fprintf(f, "%llu.%03llu", (unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000));
}

static uint64_t fz_tid(const fathom_profile *p, uint32_t thread) {
  return thread < p->n_threads ? p->threads[thread].tid : thread;
}

static const char *fz_zone_name(const fathom_profile *p, uint32_t z) {
  return z < p->n_zones && p->zones[z].name ? p->zones[z].name : "?";
}

static const char *fz_zone_cat(const fathom_profile *p, uint32_t z) {
  const char *c = z < p->n_zones ? p->zones[z].component : NULL;
  return c && *c ? c : "default";
}

/* One "X" event as the writer sorts it. */
typedef struct fz_xev {
  uint64_t ts, dur;
  uint32_t depth, thread, zone, node;   /* node: FATHOM_NONE for recorded events */
} fz_xev;

static int fz_xev_cmp(const void *a, const void *b) {
  const fz_xev *x = a, *y = b;
  if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
  if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
  if (x->depth != y->depth) return x->depth < y->depth ? -1 : 1;
  if (x->dur != y->dur) return x->dur > y->dur ? -1 : 1;
  return x->zone < y->zone ? -1 : x->zone > y->zone;
}

static void fz_xev_write(FILE *f, const fathom_profile *p, const fz_xev *e, int *first) {
  fputs(*first ? "\n" : ",\n", f);
  *first = 0;
  fputs("{\"ph\":\"X\",\"name\":", f);
  fz_json_str(f, fz_zone_name(p, e->zone));
  fputs(",\"cat\":", f);
  fz_json_str(f, fz_zone_cat(p, e->zone));
  fprintf(f, ",\"pid\":%lld,\"tid\":%llu,\"ts\":", (long long)p->meta.pid,
          (unsigned long long)fz_tid(p, e->thread));
  fz_json_us(f, e->ts);
  fputs(",\"dur\":", f);
  fz_json_us(f, e->dur);
  /* no depth in args: it is implied by nesting, and speedscope would make one frame per
   * distinct args (one per depth) */
  if (e->node != FATHOM_NONE) {
    const fathom_stats *s = &p->nodes[e->node].stats;
    fprintf(f, ",\"args\":{\"calls\":%llu,\"self_ns\":%llu", (unsigned long long)s->count,
            (unsigned long long)s->self_ns);
    if (fathom_stats_estimated(s)) {   /* the width is an estimate from the timed calls */
      fprintf(f, ",\"estimated\":true,\"timed\":%llu,\"total_se_ns\":",
              (unsigned long long)s->timed);
      fz_json_num(f, s->total_se_ns);
    }
    fputc('}', f);
  }
  fputc('}', f);
}

/* Sort record for the synthesized layout: children grouped under their parent, longest
 * first; top-level nodes grouped per thread. */
typedef struct fz_lay {
  uint64_t group;   /* 0..n_threads-1 for top level, n_threads + parent otherwise */
  uint64_t total;
  uint32_t node;
} fz_lay;

static int fz_lay_cmp(const void *a, const void *b) {
  const fz_lay *x = a, *y = b;
  if (x->group != y->group) return x->group < y->group ? -1 : 1;
  if (x->total != y->total) return x->total > y->total ? -1 : 1;
  return x->node < y->node ? -1 : x->node > y->node;
}

/* Fills ev[] (n_nodes entries) with the aggregate flame-chart layout. Groups are sorted by
 * parent index and parents precede children, so a parent is placed before its children. */
static int fz_synth_layout(const fathom_profile *p, fz_xev *ev) {
  uint32_t n = p->n_nodes, nt = p->n_threads;
  fz_lay *l = malloc((size_t)n * sizeof *l);
  uint64_t *cursor = malloc(((size_t)n + nt + 1) * sizeof *cursor);   /* next free ts */
  if (!l || !cursor) {
    free(l);
    free(cursor);
    return FATHOM_E_NOMEM;
  }
  for (uint32_t i = 0; i < n; i++) {
    const fathom_node *nd = &p->nodes[i];
    uint32_t th = nd->thread < nt ? nd->thread : nt;   /* unknown threads share a row */
    l[i].group = nd->parent == FATHOM_NONE ? th : (uint64_t)nt + 1 + nd->parent;
    l[i].total = nd->stats.total_ns;
    l[i].node = i;
  }
  qsort(l, n, sizeof *l, fz_lay_cmp);
  memset(cursor, 0, ((size_t)n + nt + 1) * sizeof *cursor);
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = l[k].node;
    const fathom_node *nd = &p->nodes[i];
    fz_xev *e = &ev[i];
    e->thread = nd->thread;
    e->zone = nd->zone;
    e->depth = nd->depth;
    e->node = i;
    e->dur = nd->stats.total_ns;
    if (nd->parent == FATHOM_NONE) {
      e->ts = cursor[n + l[k].group];
    } else {
      /* clamp into the parent so nesting holds even if children add up to more */
      const fz_xev *pe = &ev[nd->parent];
      uint64_t end = pe->ts + pe->dur;
      e->ts = cursor[nd->parent];
      if (e->ts > end) e->ts = end;
      if (e->dur > end - e->ts) e->dur = end - e->ts;
    }
    if (nd->parent == FATHOM_NONE) cursor[n + l[k].group] = e->ts + e->dur;
    else cursor[nd->parent] = e->ts + e->dur;
    cursor[i] = e->ts;
  }
  free(l);
  free(cursor);
  return 0;
}

static void fz_write_meta_events(FILE *f, const fathom_profile *p, int *first) {
  long long pid = (long long)p->meta.pid;
  fputs(*first ? "\n" : ",\n", f);
  *first = 0;
  fprintf(f, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%lld,\"tid\":0,\"args\":{\"name\":",
          pid);
  fz_json_str(f, p->meta.session_name && *p->meta.session_name ? p->meta.session_name
                                                                 : "fathom");
  fputs("}}", f);
  for (uint32_t t = 0; t < p->n_threads; t++) {
    const fathom_thread_info *th = &p->threads[t];
    char fallback[48];
    const char *nm = th->name;
    if (!nm || !*nm) {
      snprintf(fallback, sizeof fallback, "thread %llu", (unsigned long long)th->tid);
      nm = fallback;
    }
    fprintf(f, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%lld,\"tid\":%llu,"
               "\"args\":{\"name\":", pid, (unsigned long long)th->tid);
    fz_json_str(f, nm);
    fputs("}}", f);
    fprintf(f, ",\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%lld,\"tid\":%llu,"
               "\"args\":{\"sort_index\":%u}}", pid, (unsigned long long)th->tid, t);
  }
}

static void fz_write_counter_events(FILE *f, const fathom_profile *p, int *first) {
  for (uint64_t k = 0; k < p->n_counter_events; k++) {
    const fathom_counter_event *c = &p->counter_events[k];
    if (c->counter >= p->n_counters || !isfinite(c->value)) continue;
    fputs(*first ? "\n" : ",\n", f);
    *first = 0;
    fputs("{\"ph\":\"C\",\"name\":", f);
    fz_json_str(f, p->counters[c->counter].name);
    fprintf(f, ",\"pid\":%lld,\"tid\":%llu,\"ts\":", (long long)p->meta.pid,
            (unsigned long long)fz_tid(p, c->thread));
    fz_json_us(f, c->ts_ns);
    fputs(",\"args\":{\"value\":", f);
    fz_json_num(f, c->value);
    fputs("}}", f);
  }
}

/* ---- monitor series as counter tracks ---- */

/* Track and argument of a known monitor column; unknown columns get a track of their own. */
static const struct {
  const char *col, *track, *arg;
} fz_track_map[] = {
    {"cpu_user_pct", "cpu", "user_pct"},
    {"cpu_sys_pct", "cpu", "sys_pct"},
    {"rss_bytes", "memory", "rss_bytes"},
    {"vm_bytes", "virtual memory", "vm_bytes"},
    {"threads", "threads", "threads"},
    {"read_bytes", "io (cumulative)", "read_bytes"},
    {"write_bytes", "io (cumulative)", "write_bytes"},
    {"disk_read_bytes", "storage (cumulative)", "read_bytes"},
    {"disk_write_bytes", "storage (cumulative)", "write_bytes"},
    {"ctx_vol", "context switches (cumulative)", "voluntary"},
    {"ctx_invol", "context switches (cumulative)", "involuntary"},
    {"minflt", "page faults (cumulative)", "minor"},
    {"majflt", "page faults (cumulative)", "major"},
    {"sys_mem_used_pct", "system memory", "used_pct"},
    {"net_rx_bytes", "network (host, cumulative)", "rx_bytes"},
    {"net_tx_bytes", "network (host, cumulative)", "tx_bytes"},
    {"cpu_energy_j", "energy (cumulative)", "cpu_j"},
};
/* Per-GPU columns "gpu<k>_<what>": track "gpu<k> <track>", argument arg. */
static const struct {
  const char *what, *track, *arg;
} fz_gpu_map[] = {
    {"util_pct", "util", "util_pct"},
    {"mem_used_bytes", "memory", "mem_used_bytes"},
    {"power_w", "power", "power_w"},
    {"temp_c", "temperature", "temp_c"},
    {"energy_j", "energy (cumulative)", "energy_j"},
};

typedef struct fz_ctrack {
  char track[96], arg[48];
  uint32_t group;   /* index of the first column with the same track */
} fz_ctrack;

static void fz_track_of(const char *col, fz_ctrack *t) {
  col = col ? col : "";
  for (size_t k = 0; k < sizeof fz_track_map / sizeof fz_track_map[0]; k++) {
    if (strcmp(col, fz_track_map[k].col) == 0) {
      snprintf(t->track, sizeof t->track, "%s", fz_track_map[k].track);
      snprintf(t->arg, sizeof t->arg, "%s", fz_track_map[k].arg);
      return;
    }
  }
  unsigned gpu;
  int used = 0;
  if (sscanf(col, "gpu%u_%n", &gpu, &used) == 1 && used > 0) {
    for (size_t k = 0; k < sizeof fz_gpu_map / sizeof fz_gpu_map[0]; k++) {
      if (strcmp(col + used, fz_gpu_map[k].what) == 0) {
        snprintf(t->track, sizeof t->track, "gpu%u %s", gpu, fz_gpu_map[k].track);
        snprintf(t->arg, sizeof t->arg, "%s", fz_gpu_map[k].arg);
        return;
      }
    }
  }
  snprintf(t->track, sizeof t->track, "%.95s", col);
  snprintf(t->arg, sizeof t->arg, "value");
}

static int fz_write_series(FILE *f, const fathom_profile *p, int *first) {
  const fathom_series *se = &p->series;
  if (se->n == 0 || se->n_cols == 0 || !se->cols || !se->v || !se->ts_ns) return 0;
  fz_ctrack *t = calloc(se->n_cols, sizeof *t);
  if (!t) return FATHOM_E_NOMEM;
  for (uint32_t c = 0; c < se->n_cols; c++) {
    fz_track_of(se->cols[c], &t[c]);
    t[c].group = c;
    for (uint32_t d = 0; d < c; d++) {
      if (strcmp(t[d].track, t[c].track) == 0) {
        t[c].group = t[d].group;
        break;
      }
    }
  }
  long long pid = (long long)p->meta.pid;
  for (uint64_t i = 0; i < se->n; i++) {
    const double *row = se->v + i * se->n_cols;
    for (uint32_t g = 0; g < se->n_cols; g++) {
      if (t[g].group != g) continue;   /* one event per track: at its first column */
      int args = 0;
      for (uint32_t c = g; c < se->n_cols; c++) {
        if (t[c].group != g || !isfinite(row[c])) continue;
        if (!args) {
          fputs(*first ? "\n" : ",\n", f);
          *first = 0;
          fputs("{\"ph\":\"C\",\"name\":", f);
          fz_json_str(f, t[g].track);
          fprintf(f, ",\"pid\":%lld,\"tid\":%lld,\"ts\":", pid, pid);
          fz_json_us(f, se->ts_ns[i]);
          fputs(",\"args\":{", f);
        }
        if (args++) fputc(',', f);
        fz_json_str(f, t[c].arg);
        fputc(':', f);
        fz_json_num(f, row[c]);
      }
      if (args) fputs("}}", f);
    }
  }
  free(t);
  return 0;
}

static void fz_write_other_data(FILE *f, const fathom_profile *p, int synthesized,
                                const fz_trace_cut *cut) {
  const fathom_meta *m = &p->meta;
  fputs("\"otherData\":{\"synthesized\":", f);
  fputs(synthesized ? "true" : "false", f);
  if (!synthesized)   /* the trace budget: how many of the profile's events were written */
    fprintf(f, ",\"trace\":{\"budget\":%llu,\"events\":%llu,\"written\":%llu,\"left_out\":%llu,"
               "\"min_dur_ns\":%llu}",
            (unsigned long long)cut->budget, (unsigned long long)cut->events,
            (unsigned long long)cut->kept, (unsigned long long)(cut->events - cut->kept),
            (unsigned long long)cut->min_dur_ns);
  fprintf(f, ",\"schema_version\":%d,\"fathom_version\":", m->schema_version);
  fz_json_str(f, m->fathom_version ? m->fathom_version : FATHOM_VERSION_STRING);
  fputs(",\"session_name\":", f);
  fz_json_str(f, m->session_name);
  fprintf(f, ",\"session_id\":\"%016llx\",\"start_unix_ns\":%llu,\"duration_ns\":%llu,"
             "\"pid\":%lld,\"program\":",
          (unsigned long long)m->session_id, (unsigned long long)m->start_unix_ns,
          (unsigned long long)m->duration_ns, (long long)m->pid);
  fz_json_str(f, m->program);
  const char *const keys[] = {"host", "os", "kernel", "arch", "cpu_model", "clock_source"};
  const char *const vals[] = {m->host, m->os, m->kernel, m->arch, m->cpu_model, m->clock_source};
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    fprintf(f, ",\"%s\":", keys[k]);
    fz_json_str(f, vals[k]);
  }
  fprintf(f, ",\"n_cpus\":%u,\"level\":", m->n_cpus);
  fz_json_str(f, fathom_level_name(m->level));
  fputs(",\"clock_resolution_ns\":", f);
  fz_json_num(f, m->clock_resolution_ns);
  fputs(",\"clock_read_ns\":", f);
  fz_json_num(f, m->clock_read_ns);
  fputs(",\"zone_cost_ns\":", f);
  fz_json_num(f, m->zone_cost_ns);
  fputs(",\"overhead_pct\":", f);
  fz_json_num(f, m->overhead_pct);
  fprintf(f,
          ",\"n_zones\":%llu,\"dropped_zones\":%llu,\"dropped_events\":%llu,"
          "\"dropped_hist\":%llu,\"misuse\":%llu",
          (unsigned long long)m->n_zones, (unsigned long long)m->dropped_zones,
          (unsigned long long)m->dropped_events, (unsigned long long)m->dropped_hist,
          (unsigned long long)m->misuse);
  fputs(",\"overhead_budget_pct\":", f);
  fz_json_num(f, m->overhead_budget_pct);
  fprintf(f, ",\"governor\":%s,\"probe_cost_ns\":", m->governor ? "true" : "false");
  fz_json_num(f, m->probe_cost_ns);
  fputs(",\"monitor_cpu_ns\":", f);
  fz_json_num(f, m->monitor_cpu_ns);
  fprintf(f, ",\"sample_every\":%u,\"alloc_tracking\":%s,\"dropped_snapshots\":%llu,"
             "\"monitor_samples\":%llu,\"monitor_interval_s\":",
          m->sample_every, m->alloc_tracking ? "true" : "false",
          (unsigned long long)m->dropped_snapshots, (unsigned long long)p->series.n);
  fz_json_num(f, p->series.interval_s);
  /* schema 4: how much was timed, and fathom's costs by kind (fixed costs apart) */
  fprintf(f, ",\"n_timed\":%llu", (unsigned long long)m->n_timed);
  const char *const ck[] = {"overhead_ns", "untimed_cost_ns", "setup_ns", "build_ns",
                            "fixed_cost_ns"};
  const double cv[] = {m->overhead_ns, m->untimed_cost_ns, m->setup_ns, m->build_ns,
                       m->fixed_cost_ns};
  for (size_t k = 0; k < sizeof ck / sizeof ck[0]; k++) {
    fprintf(f, ",\"%s\":", ck[k]);
    fz_json_num(f, cv[k]);
  }
  fputs("}", f);
}

static int fz_write_chrome_c(const fathom_profile *p, FILE *f) {
  int synthesized = !p->timeline;
  uint64_t n = synthesized ? p->n_nodes : p->n_events;
  fz_trace_cut cut = {synthesized ? 0 : fz_trace_budget(), 0, 0, 0};
  fz_xev *ev = NULL;
  if (n) {
    ev = malloc((size_t)n * sizeof *ev);
    if (!ev) return FATHOM_E_NOMEM;
  }
  if (synthesized) {
    for (uint32_t i = 0; i < p->n_nodes; i++) {
      if (p->nodes[i].parent != FATHOM_NONE && p->nodes[i].parent >= i) {
        free(ev);
        return FATHOM_E_FORMAT;   /* parents must precede children */
      }
    }
    if (n && fz_synth_layout(p, ev)) {
      free(ev);
      return FATHOM_E_NOMEM;
    }
  } else if (n) {
    unsigned char *keep = malloc((size_t)n);
    if (!keep || fz_trace_select(p, cut.budget, keep, &cut)) {
      free(keep);
      free(ev);
      return FATHOM_E_NOMEM;
    }
    uint64_t m = 0;
    for (uint64_t k = 0; k < n; k++) {
      const fathom_event *e = &p->events[k];
      if (keep[k])
        ev[m++] = (fz_xev){e->ts_ns, e->dur_ns, e->depth, e->thread, e->zone, FATHOM_NONE};
    }
    free(keep);
    n = m;
  }
  if (n) qsort(ev, (size_t)n, sizeof *ev, fz_xev_cmp);
  int first = 1;
  fputs("{\"traceEvents\":[", f);
  fz_write_meta_events(f, p, &first);
  for (uint64_t k = 0; k < n; k++) fz_xev_write(f, p, &ev[k], &first);
  fz_write_counter_events(f, p, &first);
  if (fz_write_series(f, p, &first)) {
    free(ev);
    return FATHOM_E_NOMEM;
  }
  fputs("\n],\n\"displayTimeUnit\":\"ns\",\n", f);
  fz_write_other_data(f, p, synthesized, &cut);
  fputs("}\n", f);
  free(ev);
  return ferror(f) ? FATHOM_E_IO : 0;
}

int fz_write_chrome(const fathom_profile *p, FILE *f, int color) {
  if (!p || !f) return FATHOM_E_INVAL;
  /* numbers must read "0.5" whatever LC_NUMERIC the host program set */
  locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  locale_t prev = c ? uselocale(c) : (locale_t)0;
  int rc = fz_write_chrome_c(p, f);
  if (c) {
    uselocale(prev);
    freelocale(c);
  }
  return rc;
}
