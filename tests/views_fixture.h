/* views_fixture.h: what the view groups on hand-built models share (test_views.c,
 * test_views_est.c): a profile model built by hand (zones, threads, nodes of one or two call
 * durations, zones rolled up from their nodes, events, counters), the shared two-thread
 * example, and each view rendered to a string, parsed back (RFC 4180 CSV into rows of
 * fields) or loaded (the Chrome trace as JSON, its top-level members checked).
 *
 * Header-only: every function is static and marked unused (each group uses a subset). */
#ifndef FATHOM_VIEWS_FIXTURE_H
#define FATHOM_VIEWS_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"
#include "fathom_load.h"
#include "model/model.h"
#include "testutil.h"   /* render */

#define VIEWS_FN static __attribute__((unused))

/* ---- building models by hand ---- */
VIEWS_FN fathom_profile *mk_profile(const char *name) {
  fathom_profile *p = calloc(1, sizeof *p);
  assert_non_null(p);
  p->meta.schema_version = FATHOM_SCHEMA_VERSION;
  p->meta.fathom_version = strdup(FATHOM_VERSION_STRING);
  p->meta.session_name = name ? strdup(name) : NULL;
  p->meta.session_id = 0x1234abcdULL;
  p->meta.start_unix_ns = 1700000000ULL * 1000000000ULL;
  p->meta.duration_ns = 2500000000ULL;
  p->meta.pid = 4242;
  p->meta.program = strdup("/usr/bin/trainer");
  p->meta.host = strdup("box");
  p->meta.n_cpus = 2;
  p->meta.level = FATHOM_LEVEL_BASIC;
  p->meta.clock_source = strdup("tsc");
  p->meta.clock_resolution_ns = 0.4;
  p->meta.clock_read_ns = 7.5;
  p->meta.zone_cost_ns = 21.0;
  p->meta.overhead_pct = 0.012;
  return p;
}

VIEWS_FN uint32_t add_zone(fathom_profile *p, const char *name, const char *comp) {
  p->zones = realloc(p->zones, (p->n_zones + 1) * sizeof *p->zones);
  assert_non_null(p->zones);
  fathom_zone_info *z = &p->zones[p->n_zones];
  memset(z, 0, sizeof *z);
  z->name = strdup(name);
  z->component = comp ? strdup(comp) : NULL;
  return p->n_zones++;
}

VIEWS_FN uint32_t add_thread(fathom_profile *p, uint64_t tid, const char *name) {
  p->threads = realloc(p->threads, (p->n_threads + 1) * sizeof *p->threads);
  assert_non_null(p->threads);
  fathom_thread_info *t = &p->threads[p->n_threads];
  memset(t, 0, sizeof *t);
  t->tid = tid;
  t->name = strdup(name);
  return p->n_threads++;
}

/* n calls of duration d each, plus m calls of duration d2; self = total - child_ns. */
VIEWS_FN uint32_t add_node2(fathom_profile *p, uint32_t zone, uint32_t parent, uint32_t thread,
                          uint64_t n, uint64_t d, uint64_t m, uint64_t d2, uint64_t child_ns) {
  p->nodes = realloc(p->nodes, (p->n_nodes + 1) * sizeof *p->nodes);
  assert_non_null(p->nodes);
  fathom_node *nd = &p->nodes[p->n_nodes];
  memset(nd, 0, sizeof *nd);
  nd->zone = zone;
  nd->parent = parent;
  nd->thread = thread;
  nd->depth = parent == FATHOM_NONE ? 1 : p->nodes[parent].depth + 1;
  fathom_stats *s = &nd->stats;
  s->count = n + m;
  s->total_ns = n * d + m * d2;
  s->self_ns = s->total_ns - child_ns;
  s->min_ns = m && d2 < d ? d2 : d;
  s->max_ns = m && d2 > d ? d2 : d;
  double c = (double)s->count;
  s->mean_ns = (double)s->total_ns / c;
  double ss = (double)n * ((double)d - s->mean_ns) * ((double)d - s->mean_ns) +
              (double)m * ((double)d2 - s->mean_ns) * ((double)d2 - s->mean_ns);
  s->stddev_ns = c > 1 ? sqrt(ss / (c - 1)) : 0;
  uint64_t *dense = calloc(FATHOM_HIST_BUCKETS, sizeof *dense);
  assert_non_null(dense);
  dense[fz_hist_bucket_of(d)] += n;
  if (m) dense[fz_hist_bucket_of(d2)] += m;
  assert_int_equal(fz_hist_from_dense(&nd->hist, dense), 0);
  free(dense);
  fz_stats_set_percentiles(s, &nd->hist);
  p->threads[thread].n_zones += s->count;
  p->meta.n_zones += s->count;
  return p->n_nodes++;
}

VIEWS_FN uint32_t add_node(fathom_profile *p, uint32_t zone, uint32_t parent, uint32_t thread,
                         uint64_t n, uint64_t d, uint64_t child_ns) {
  return add_node2(p, zone, parent, thread, n, d, 0, 0, child_ns);
}

/* Rolls node statistics up into the zones, as the recorder does (no recursion here). */
VIEWS_FN void finish_zones(fathom_profile *p) {
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    fathom_zone_info *z = &p->zones[p->nodes[i].zone];
    fz_stats_merge(&z->stats, &p->nodes[i].stats);
    assert_int_equal(fz_hist_merge(&z->hist, &p->nodes[i].hist), 0);
  }
  for (uint32_t z = 0; z < p->n_zones; z++) fz_stats_set_percentiles(&p->zones[z].stats, &p->zones[z].hist);
}

VIEWS_FN void add_event(fathom_profile *p, uint32_t thread, uint32_t zone, uint32_t depth,
                      uint64_t ts, uint64_t dur) {
  p->events = realloc(p->events, (p->n_events + 1) * sizeof *p->events);
  assert_non_null(p->events);
  p->events[p->n_events++] = (fathom_event){thread, zone, depth, ts, dur};
}

VIEWS_FN void add_counter(fathom_profile *p, const char *name, fathom_metric_kind kind, double value,
                        double total, double mn, double mx, uint64_t n) {
  p->counters = realloc(p->counters, (p->n_counters + 1) * sizeof *p->counters);
  assert_non_null(p->counters);
  p->counters[p->n_counters++] = (fathom_counter_info){strdup(name), kind, n, value, total, mn, mx};
}

/* The shared example: two threads.
 *   T0 (tid 1001 "main"):   main 1x1 ms { work 10x100 ns }, io 1x200 ns (top level)
 *   T1 (tid 1002 "worker"): main 1x40 us { work 30x1000 ns, io 1x5000 ns }            */
enum { Z_MAIN, Z_WORK, Z_IO };
VIEWS_FN fathom_profile *example(void) {
  fathom_profile *p = mk_profile("train-run");
  add_zone(p, "main", "app");
  add_zone(p, "work", "compute");
  add_zone(p, "io", "io");
  add_thread(p, 1001, "main");
  add_thread(p, 1002, "worker");
  uint32_t m0 = add_node(p, Z_MAIN, FATHOM_NONE, 0, 1, 1000000, 1000);
  add_node(p, Z_WORK, m0, 0, 10, 100, 0);
  add_node(p, Z_IO, FATHOM_NONE, 0, 1, 200, 0);
  uint32_t m1 = add_node(p, Z_MAIN, FATHOM_NONE, 1, 1, 40000, 35000);
  add_node(p, Z_WORK, m1, 1, 30, 1000, 0);
  add_node(p, Z_IO, m1, 1, 1, 5000, 0);
  p->threads[1].exited = 1;
  finish_zones(p);
  return p;
}

/* ---- CSV ---- */
/* Parses RFC 4180 text into rows of fields (NULL-terminated arrays); returns row count. */
VIEWS_FN size_t parse_csv(const char *s, char ****rows_out) {
  char ***rows = NULL;
  size_t nr = 0;
  while (*s) {
    char **fields = NULL;
    size_t nf = 0;
    for (;;) {
      char *fld = malloc(strlen(s) + 1);
      size_t o = 0;
      if (*s == '"') {
        s++;
        for (;;) {
          assert_true(*s != 0);   /* unterminated quote */
          if (*s == '"' && s[1] == '"') fld[o++] = '"', s += 2;
          else if (*s == '"') {
            s++;
            break;
          } else fld[o++] = *s++;
        }
      } else {
        while (*s && *s != ',' && *s != '\r' && *s != '\n') {
          assert_true(*s != '"');   /* a quote in an unquoted field */
          fld[o++] = *s++;
        }
      }
      fld[o] = 0;
      fields = realloc(fields, (nf + 2) * sizeof *fields);
      fields[nf++] = fld;
      fields[nf] = NULL;
      if (*s == ',') {
        s++;
        continue;
      }
      assert_true(s[0] == '\r' && s[1] == '\n');   /* CRLF ends every record */
      s += 2;
      break;
    }
    rows = realloc(rows, (nr + 1) * sizeof *rows);
    rows[nr++] = fields;
  }
  *rows_out = rows;
  return nr;
}

VIEWS_FN void free_csv(char ***rows, size_t nr) {
  for (size_t r = 0; r < nr; r++) {
    for (size_t f = 0; rows[r][f]; f++) free(rows[r][f]);
    free(rows[r]);
  }
  free(rows);
}

VIEWS_FN size_t nfields(char **row) {
  size_t n = 0;
  while (row[n]) n++;
  return n;
}

/* ---- Chrome trace ---- */
VIEWS_FN json_t *load_trace(const fathom_profile *p) {
  char *s = render(p, FATHOM_FORMAT_CHROME, 0);
  json_error_t err;
  json_t *j = json_loads(s, 0, &err);
  if (!j) fail_msg("invalid trace JSON: %s (line %d col %d)\n%s", err.text, err.line, err.column, s);
  free(s);
  assert_string_equal(json_string_value(json_object_get(j, "displayTimeUnit")), "ns");
  assert_true(json_is_array(json_object_get(j, "traceEvents")));
  assert_true(json_is_object(json_object_get(j, "otherData")));
  return j;
}

#endif /* FATHOM_VIEWS_FIXTURE_H */
