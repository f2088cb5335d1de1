/* view/json.c: the JSON view, the canonical lossless saved form of a whole profile model
 * (layout documented in docs/json-schema.md; read back by src/load/json_load.c).
 *
 * Invariant: the output is always valid JSON (RFC 8259) whatever the model holds: strings are
 * escaped and invalid UTF-8 is replaced by U+FFFD, non-finite doubles never appear as numbers
 * (NaN is null, +-Inf the strings "Infinity"/"-Infinity"), uint64 values above INT64_MAX are
 * decimal strings (jansson and most parsers stop at int64), and every other number is written
 * exactly: integers in decimal, doubles with the fewest digits that read back bit-identical.
 * Schema-2 members of zones and nodes (res, alloc, flops, gov, time_every) and the schema-4
 * percentile intervals of stats (pct_lo_ns, pct_hi_ns) are written only when they differ from
 * the value the loader assumes for an absent member, so writing a loaded model gives back the
 * same bytes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/jsonw.h"
#include "model/model.h"
#include "view/view.h"

/* ---- scalars ------------------------------------------------------------------------ */

static void put_s(FILE *f, const char *s) { fputs(s, f); }

static void put_u64(FILE *f, uint64_t v) { fz_json_write_u64(f, v); }

/* An unsigned value: a JSON integer, or a decimal string above INT64_MAX. */
static void put_u(FILE *f, uint64_t v) {
  if (v > (uint64_t)INT64_MAX) {
    fputc('"', f);
    put_u64(f, v);
    fputc('"', f);
  } else {
    put_u64(f, v);
  }
}

static void put_i64(FILE *f, int64_t v) {
  if (v < 0) {
    fputc('-', f);
    put_u64(f, (uint64_t)0 - (uint64_t)v);
  } else {
    put_u64(f, (uint64_t)v);
  }
}

/* Index into another table; FATHOM_NONE is null. */
static void put_index(FILE *f, uint32_t v) {
  if (v == FATHOM_NONE) put_s(f, "null");
  else put_u64(f, v);
}

/* A double that reads back bit-identical (jsonw.h); NaN is null. */
static void put_double(FILE *f, double v) { fz_json_write_double(f, v); }

static void put_bool(FILE *f, int v) { put_s(f, v ? "true" : "false"); }

/* A string per RFC 8259 (jsonw.h: escaped, invalid UTF-8 as U+FFFD). NULL is null. */
static void put_str(FILE *f, const char *str) { fz_json_write_str(f, str, FZ_JSTR_NULL); }

/* ",\"key\":" (first member of an object: no comma). Keys are plain ASCII literals. */
static void key(FILE *f, const char *k, int first) {
  if (!first) fputc(',', f);
  fputc('"', f);
  put_s(f, k);
  put_s(f, "\":");
}

/* ---- composite values -------------------------------------------------------------- */

/* Same value bit for bit as far as a reader can tell: NaN equals NaN, -0.0 is not 0. */
static int same_double(double a, double b) {
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  return a == b && signbit(a) == signbit(b);
}

static double stats_pct(const fathom_stats *st, int k) {
  const double v[FATHOM_PCT_N] = {st->p50_ns, st->p90_ns, st->p95_ns, st->p99_ns, st->p999_ns};
  return v[k];
}

/* "name":[b0,...,b4] (one bound per percentile, p50 to p99.9) for estimated stats, unless
 * every bound is the percentile itself: the loader's value for an absent member. Stats whose
 * every call was timed have exact percentiles (fathom.h: both bounds are the percentile), so
 * nothing is written for them whatever the model holds. */
static void put_pct_bounds(FILE *f, const fathom_stats *st, const char *name, const double *b) {
  if (!fathom_stats_estimated(st)) return;
  int differs = 0;
  for (int k = 0; k < FATHOM_PCT_N; k++) differs |= !same_double(b[k], stats_pct(st, k));
  if (!differs) return;
  key(f, name, 0);
  fputc('[', f);
  for (int k = 0; k < FATHOM_PCT_N; k++) {
    if (k) fputc(',', f);
    put_double(f, b[k]);
  }
  fputc(']', f);
}

static void put_stats(FILE *f, const fathom_stats *st) {
  key(f, "count", 1);      put_u(f, st->count);
  key(f, "timed", 0);      put_u(f, st->timed);
  key(f, "total_ns", 0);   put_u(f, st->total_ns);
  key(f, "self_ns", 0);    put_u(f, st->self_ns);
  key(f, "min_ns", 0);     put_u(f, st->min_ns);
  key(f, "max_ns", 0);     put_u(f, st->max_ns);
  key(f, "mean_ns", 0);    put_double(f, st->mean_ns);
  key(f, "stddev_ns", 0);  put_double(f, st->stddev_ns);
  key(f, "p50_ns", 0);     put_double(f, st->p50_ns);
  key(f, "p90_ns", 0);     put_double(f, st->p90_ns);
  key(f, "p95_ns", 0);     put_double(f, st->p95_ns);
  key(f, "p99_ns", 0);     put_double(f, st->p99_ns);
  key(f, "p999_ns", 0);    put_double(f, st->p999_ns);
  /* schema 4: the errors and fathom's cost taken out, always; the percentile intervals only
   * where one differs from its percentile (absent: equal to it, which the loader assumes) */
  key(f, "total_se_ns", 0); put_double(f, st->total_se_ns);
  key(f, "self_se_ns", 0);  put_double(f, st->self_se_ns);
  key(f, "overhead_ns", 0); put_double(f, st->overhead_ns);
  key(f, "self_cpu_ns", 0); put_double(f, st->self_cpu_ns);
  key(f, "self_cpu_se_ns", 0); put_double(f, st->self_cpu_se_ns);
  put_pct_bounds(f, st, "pct_lo_ns", st->pct_lo_ns);
  put_pct_bounds(f, st, "pct_hi_ns", st->pct_hi_ns);
}

static void put_hist(FILE *f, const fathom_hist *h) {
  put_s(f, "{");
  if (h->unit_ns != 0 && h->unit_ns != 1) { /* absent: buckets count nanoseconds */
    put_s(f, "\"unit_ns\":");
    put_double(f, h->unit_ns);
    put_s(f, ",");
  }
  put_s(f, "\"bucket\":[");
  for (uint32_t i = 0; i < h->n; i++) {
    if (i) fputc(',', f);
    put_u64(f, h->bucket[i]);
  }
  put_s(f, "],\"count\":[");
  for (uint32_t i = 0; i < h->n; i++) {
    if (i) fputc(',', f);
    put_u(f, h->count[i]);
  }
  put_s(f, "]}");
}

/* Derived, ignored by the loader: the start time as "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ". */
static void put_start_utc(FILE *f, uint64_t unix_ns) {
  time_t secs = (time_t)(unix_ns / 1000000000u);
  struct tm tm;
  char date[40];
  if (!gmtime_r(&secs, &tm) || !strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm)) {
    put_s(f, "null");
    return;
  }
  char frac[16];
  snprintf(frac, sizeof frac, ".%09uZ", (unsigned)(unix_ns % 1000000000u));
  fputc('"', f);
  put_s(f, date);
  put_s(f, frac);
  fputc('"', f);
}

static void put_meta(FILE *f, const fathom_meta *m) {
  put_s(f, "{");
  key(f, "fathom_version", 1);      put_str(f, m->fathom_version);
  key(f, "session_name", 0);        put_str(f, m->session_name);
  key(f, "session_id", 0);          put_u(f, m->session_id);
  key(f, "start_unix_ns", 0);       put_u(f, m->start_unix_ns);
  key(f, "start_utc", 0);           put_start_utc(f, m->start_unix_ns);
  key(f, "duration_ns", 0);         put_u(f, m->duration_ns);
  key(f, "pid", 0);                 put_i64(f, m->pid);
  key(f, "program", 0);             put_str(f, m->program);
  key(f, "host", 0);                put_str(f, m->host);
  key(f, "os", 0);                  put_str(f, m->os);
  key(f, "kernel", 0);              put_str(f, m->kernel);
  key(f, "arch", 0);                put_str(f, m->arch);
  key(f, "cpu_model", 0);           put_str(f, m->cpu_model);
  key(f, "n_cpus", 0);              put_u64(f, m->n_cpus);
  key(f, "level", 0);
  if ((unsigned)m->level <= FATHOM_LEVEL_COMPREHENSIVE) put_str(f, fathom_level_name(m->level));
  else put_i64(f, (int64_t)m->level);  /* not a level: the loader refuses it */
  key(f, "clock_source", 0);        put_str(f, m->clock_source);
  key(f, "clock_resolution_ns", 0); put_double(f, m->clock_resolution_ns);
  key(f, "clock_read_ns", 0);       put_double(f, m->clock_read_ns);
  key(f, "tsc_hz", 0);              put_double(f, m->tsc_hz);
  key(f, "zone_cost_ns", 0);        put_double(f, m->zone_cost_ns);
  key(f, "overhead_ns", 0);         put_double(f, m->overhead_ns);
  key(f, "overhead_pct", 0);        put_double(f, m->overhead_pct);
  key(f, "cpu_time_ns", 0);         put_double(f, m->cpu_time_ns);
  key(f, "n_zones", 0);             put_u(f, m->n_zones);
  key(f, "dropped_zones", 0);       put_u(f, m->dropped_zones);
  key(f, "dropped_events", 0);      put_u(f, m->dropped_events);
  key(f, "dropped_hist", 0);        put_u(f, m->dropped_hist);
  key(f, "misuse", 0);              put_u(f, m->misuse);
  key(f, "fathom_bytes", 0);        put_u(f, m->fathom_bytes);
  key(f, "overhead_budget_pct", 0); put_double(f, m->overhead_budget_pct);
  key(f, "governor", 0);            put_bool(f, m->governor);
  key(f, "probe_cost_ns", 0);       put_double(f, m->probe_cost_ns);
  key(f, "monitor_cpu_ns", 0);      put_double(f, m->monitor_cpu_ns);
  key(f, "sample_every", 0);        put_u64(f, m->sample_every);
  key(f, "alloc_tracking", 0);      put_bool(f, m->alloc_tracking);
  key(f, "dropped_snapshots", 0);   put_u(f, m->dropped_snapshots);
  key(f, "untimed_cost_ns", 0);     put_double(f, m->untimed_cost_ns);
  key(f, "zone_cost_in_ns", 0);     put_double(f, m->zone_cost_in_ns);
  key(f, "hook_cost_ns", 0);        put_double(f, m->hook_cost_ns);
  key(f, "hook_untimed_cost_ns", 0); put_double(f, m->hook_untimed_cost_ns);
  key(f, "hook_cost_in_ns", 0);     put_double(f, m->hook_cost_in_ns);
  key(f, "zone_special_cost_ns", 0); put_double(f, m->zone_special_cost_ns);
  key(f, "zone_special_in_ns", 0);  put_double(f, m->zone_special_in_ns);
  key(f, "hook_special_cost_ns", 0); put_double(f, m->hook_special_cost_ns);
  key(f, "hook_special_in_ns", 0);  put_double(f, m->hook_special_in_ns);
  key(f, "n_timed", 0);             put_u(f, m->n_timed);
  key(f, "setup_ns", 0);            put_double(f, m->setup_ns);
  key(f, "build_ns", 0);            put_double(f, m->build_ns);
  key(f, "fixed_cost_ns", 0);       put_double(f, m->fixed_cost_ns);
  key(f, "sample_period_ns", 0);    put_double(f, m->sample_period_ns);
  key(f, "cpu_samples", 0);         put_u(f, m->cpu_samples);
  key(f, "cpu_samples_fathom", 0);  put_u(f, m->cpu_samples_fathom);
  key(f, "sampler_cost_ns", 0);     put_double(f, m->sampler_cost_ns);
  key(f, "overhead_measured_ns", 0); put_double(f, m->overhead_measured_ns);
  key(f, "overhead_measured_se_ns", 0); put_double(f, m->overhead_measured_se_ns);
  key(f, "overhead_calibrated_ns", 0); put_double(f, m->overhead_calibrated_ns);
  if (m->cut_short_by) { key(f, "cut_short_by", 0); put_str(f, m->cut_short_by); }
  if (m->cut_short_path) { key(f, "cut_short_path", 0); put_str(f, m->cut_short_path); }
  put_s(f, "}");
}

/* ---- schema 2: resources of zones and nodes ------------------------------------------ */

/* +0.0 exactly (a -0.0 must be written to come back). */
static int pos_zero(double v) { return v == 0 && !signbit(v); }

/* The sums of the measured probes, by name: {"cpu_user_ns":1.5e6,...}. A sum whose mask
 * bit is clear was not measured and is not written. */
static void put_res(FILE *f, const fathom_res *r) {
  put_s(f, "{");
  key(f, "samples", 1);      put_u(f, r->samples);
  key(f, "sample_every", 0); put_u64(f, r->sample_every);
  key(f, "sum", 0);          put_s(f, "{");
  int first = 1;
  for (int k = 0; k < FATHOM_RES_N; k++) {
    if (!(r->mask & (1u << k))) continue;
    key(f, fathom_res_name(k), first);
    put_double(f, r->sum[k]);
    first = 0;
  }
  put_s(f, "}}");
}

static int res_empty(const fathom_res *r) {
  return r->samples == 0 && r->sample_every == 0 && (r->mask & ((1u << FATHOM_RES_N) - 1)) == 0;
}

static void put_alloc(FILE *f, const fathom_alloc *a) {
  put_s(f, "{");
  key(f, "alloc_count", 1);           put_u(f, a->alloc_count);
  key(f, "alloc_bytes", 0);           put_u(f, a->alloc_bytes);
  key(f, "free_count", 0);            put_u(f, a->free_count);
  key(f, "free_bytes", 0);            put_u(f, a->free_bytes);
  key(f, "live_count", 0);            put_u(f, a->live_count);
  key(f, "live_bytes", 0);            put_u(f, a->live_bytes);
  key(f, "growth_bytes_per_call", 0); put_double(f, a->growth_bytes_per_call);
  /* sampled allocations (fathom run --alloc): only when measured, so exact profiles keep
   * their shape */
  if (a->line) {
    key(f, "line", 0);                put_u(f, a->line);
  }
  if (a->peak_count || a->peak_bytes) {
    key(f, "peak_count", 0);          put_u(f, a->peak_count);
    key(f, "peak_bytes", 0);          put_u(f, a->peak_bytes);
  }
  const struct { const char *k; double v; } se[] = {
      {"alloc_count_se", a->alloc_count_se}, {"alloc_bytes_se", a->alloc_bytes_se},
      {"free_count_se", a->free_count_se},   {"free_bytes_se", a->free_bytes_se},
      {"live_count_se", a->live_count_se},   {"live_bytes_se", a->live_bytes_se},
      {"peak_count_se", a->peak_count_se},   {"peak_bytes_se", a->peak_bytes_se}};
  for (size_t i = 0; i < sizeof se / sizeof se[0]; i++)
    if (!pos_zero(se[i].v)) {
      key(f, se[i].k, 0);
      put_double(f, se[i].v);
    }
  put_s(f, "}");
}

static int alloc_empty(const fathom_alloc *a) {
  return !a->alloc_count && !a->alloc_bytes && !a->free_count && !a->free_bytes &&
         !a->live_count && !a->live_bytes && pos_zero(a->growth_bytes_per_call) &&
         !a->peak_count && !a->peak_bytes;
}

/* Governor bits: a list of names, or the integer when a bit has no name. */
static void put_gov(FILE *f, uint32_t gov) {
  if (gov & ~FZ_GOV_KNOWN) {
    put_u64(f, gov);
    return;
  }
  put_s(f, "[");
  int first = 1;
  for (uint32_t bit = 1; bit & FZ_GOV_KNOWN; bit <<= 1) {
    if (!(gov & bit)) continue;
    if (!first) fputc(',', f);
    put_str(f, fz_gov_name(bit));
    first = 0;
  }
  put_s(f, "]");
}

/* The schema-2 members of a zone or node, each left out when it holds its empty value (the
 * loader's default), so a profile that measured nothing is no bigger than before.
 * flops_self is NULL for zones. */
static void put_resource_members(FILE *f, const fathom_res *r, const fathom_alloc *a,
                                 const fathom_alloc *as, double flops, const double *flops_self,
                                 uint32_t gov, uint32_t time_every) {
  if (!res_empty(r)) {
    key(f, "res", 0);
    put_res(f, r);
  }
  if (!alloc_empty(a)) {
    key(f, "alloc", 0);
    put_alloc(f, a);
  }
  if (!alloc_empty(as)) {
    key(f, "alloc_self", 0);
    put_alloc(f, as);
  }
  if (!pos_zero(flops)) {
    key(f, "flops", 0);
    put_double(f, flops);
  }
  if (flops_self && !pos_zero(*flops_self)) {
    key(f, "flops_self", 0);
    put_double(f, *flops_self);
  }
  if (gov) {
    key(f, "gov", 0);
    put_gov(f, gov);
  }
  if (time_every != 1) {
    key(f, "time_every", 0);
    put_u64(f, time_every);
  }
}

/* The heap's high-water mark inside a zone or node, left out when no call measured it. */
static void put_heap_peak(FILE *f, double bytes, uint64_t calls) {
  if (!calls) return;
  key(f, "heap_peak", 0);
  put_s(f, "{");
  key(f, "bytes", 1); put_double(f, bytes);
  key(f, "calls", 0); put_u(f, calls);
  put_s(f, "}");
}

static void put_zone(FILE *f, const fathom_zone_info *z) {
  put_s(f, "{");
  key(f, "name", 1);       put_str(f, z->name);
  key(f, "component", 0);  put_str(f, z->component);
  key(f, "tags", 0);       put_str(f, z->tags);
  key(f, "file", 0);       put_str(f, z->file);
  key(f, "func", 0);       put_str(f, z->func);
  key(f, "line", 0);       put_i64(f, z->line);
  key(f, "kind", 0);
  if (z->kind == FATHOM_ZONE_KIND_ZONE) put_str(f, "zone");
  else if (z->kind == FATHOM_ZONE_KIND_FUNCTION) put_str(f, "function");
  else put_i64(f, (int64_t)z->kind);
  key(f, "stats", 0);      put_s(f, "{"); put_stats(f, &z->stats); put_s(f, "}");
  key(f, "hist", 0);       put_hist(f, &z->hist);
  put_resource_members(f, &z->res, &z->alloc, &z->alloc_self, z->flops, NULL, z->gov,
                       z->time_every);
  put_heap_peak(f, z->heap_peak_bytes, z->heap_peak_calls);
  put_s(f, "}");
}

static void put_node(FILE *f, const fathom_node *nd) {
  put_s(f, "{");
  key(f, "zone", 1);    put_u64(f, nd->zone);
  key(f, "parent", 0);  put_index(f, nd->parent);
  key(f, "thread", 0);  put_u64(f, nd->thread);
  key(f, "depth", 0);   put_u64(f, nd->depth);
  key(f, "stats", 0);   put_s(f, "{"); put_stats(f, &nd->stats); put_s(f, "}");
  key(f, "hist", 0);    put_hist(f, &nd->hist);
  key(f, "metrics", 0); put_s(f, "[");
  for (uint32_t k = 0; k < nd->n_metrics; k++) {
    const fathom_metric_stats *ms = &nd->metrics[k];
    put_s(f, k ? ",{" : "{");
    key(f, "name", 1);  put_str(f, ms->name);
    key(f, "count", 0); put_u(f, ms->count);
    key(f, "sum", 0);   put_double(f, ms->sum);
    key(f, "min", 0);   put_double(f, ms->min);
    key(f, "max", 0);   put_double(f, ms->max);
    put_s(f, "}");
  }
  put_s(f, "]");
  put_resource_members(f, &nd->res, &nd->alloc, &nd->alloc_self, nd->flops, &nd->flops_self,
                       nd->gov, nd->time_every);
  put_heap_peak(f, nd->heap_peak_bytes, nd->heap_peak_calls);
  put_s(f, "}");
}

static void put_thread(FILE *f, const fathom_thread_info *t, uint32_t n_processes) {
  put_s(f, "{");
  key(f, "tid", 1);       put_u(f, t->tid);
  key(f, "name", 0);      put_str(f, t->name);
  key(f, "exited", 0);    put_bool(f, t->exited);
  key(f, "n_open", 0);    put_u64(f, t->n_open);
  key(f, "n_zones", 0);   put_u(f, t->n_zones);
  key(f, "n_dropped", 0); put_u(f, t->n_dropped);
  key(f, "n_recorded", 0); put_u(f, t->n_recorded);
  if (n_processes) {     /* fathom run's profiles: the process each thread belongs to */
    key(f, "process", 0);
    put_index(f, t->process < n_processes ? t->process : FATHOM_NONE);
  }
  put_s(f, "}");
}

static void put_counter(FILE *f, const fathom_counter_info *c) {
  static const char *const kinds[] = {"counter", "gauge", "size"};
  put_s(f, "{");
  key(f, "name", 1);
  put_str(f, c->name);
  key(f, "kind", 0);
  if ((unsigned)c->kind <= FATHOM_METRIC_SIZE) put_str(f, kinds[c->kind]);
  else put_i64(f, (int64_t)c->kind);
  key(f, "n_updates", 0); put_u(f, c->n_updates);
  key(f, "value", 0);     put_double(f, c->value);
  key(f, "total", 0);     put_double(f, c->total);
  key(f, "min", 0);       put_double(f, c->min);
  key(f, "max", 0);       put_double(f, c->max);
  put_s(f, "}");
}

/* One element per line inside big arrays, so files diff and grep line by line. */
static void sep(FILE *f, uint64_t i) { put_s(f, i ? ",\n" : "\n"); }

/* ---- schema 2: session-wide sections ------------------------------------------------- */

static void put_resources(FILE *f, const fathom_resources *r) {
  put_s(f, "{");
  key(f, "monitored", 1);           put_bool(f, r->monitored);
  key(f, "n_samples", 0);           put_u(f, r->n_samples);
#define FZ_RD(name) key(f, #name, 0); put_double(f, r->name);
  FZ_RD(wall_s) FZ_RD(cpu_user_s) FZ_RD(cpu_sys_s) FZ_RD(cpu_pct_mean) FZ_RD(cpu_pct_max)
  FZ_RD(rss_initial_bytes) FZ_RD(rss_peak_bytes) FZ_RD(rss_final_bytes) FZ_RD(vm_peak_bytes)
  FZ_RD(sys_mem_total_bytes) FZ_RD(sys_mem_used_pct_max)
  key(f, "threads_max", 0);         put_u64(f, r->threads_max);
  FZ_RD(read_bytes) FZ_RD(write_bytes) FZ_RD(disk_read_bytes) FZ_RD(disk_write_bytes)
  FZ_RD(net_rx_bytes) FZ_RD(net_tx_bytes) FZ_RD(ctx_vol) FZ_RD(ctx_invol) FZ_RD(minflt)
  FZ_RD(majflt) FZ_RD(gpu_mem_peak_bytes) FZ_RD(gpu_util_mean_pct) FZ_RD(gpu_util_max_pct)
  FZ_RD(cpu_energy_j) FZ_RD(gpu_energy_j) FZ_RD(energy_j) FZ_RD(carbon_g_per_kwh)
  FZ_RD(carbon_g) FZ_RD(flops) FZ_RD(flops_per_s)
  key(f, "leaked_bytes", 0);        put_u(f, r->leaked_bytes);
  key(f, "leaked_count", 0);        put_u(f, r->leaked_count);
  FZ_RD(host_cpu_pct_mean) FZ_RD(host_cpu_pct_max) FZ_RD(disk_util_pct_max)
#undef FZ_RD
  put_s(f, "}");
}

static void put_probe(FILE *f, const fathom_probe_info *pr) {
  put_s(f, "{");
  key(f, "name", 1);      put_str(f, pr->name);
  key(f, "available", 0); put_bool(f, pr->available);
  key(f, "detail", 0);    put_str(f, pr->detail);
  put_s(f, "}");
}

static void put_gpu(FILE *f, const fathom_gpu_info *g) {
  put_s(f, "{");
  key(f, "index", 1);                put_u64(f, g->index);
  key(f, "name", 0);                 put_str(f, g->name);
  key(f, "mem_total_bytes", 0);      put_double(f, g->mem_total_bytes);
  key(f, "mem_peak_bytes", 0);       put_double(f, g->mem_peak_bytes);
  key(f, "proc_mem_peak_bytes", 0);  put_double(f, g->proc_mem_peak_bytes);
  key(f, "util_mean_pct", 0);        put_double(f, g->util_mean_pct);
  key(f, "util_max_pct", 0);         put_double(f, g->util_max_pct);
  key(f, "power_mean_w", 0);         put_double(f, g->power_mean_w);
  key(f, "temp_max_c", 0);           put_double(f, g->temp_max_c);
  key(f, "energy_j", 0);             put_double(f, g->energy_j);
  put_s(f, "}");
}

/* {"interval_s":x,"columns":[...],"rows":[[ts_ns,v0,v1,...],...]}, one row per line. */
static void put_series(FILE *f, const fathom_series *se) {
  put_s(f, "{");
  key(f, "interval_s", 1);
  put_double(f, se->interval_s);
  key(f, "columns", 0);
  put_s(f, "[");
  for (uint32_t c = 0; c < se->n_cols; c++) {
    if (c) fputc(',', f);
    put_str(f, se->cols ? se->cols[c] : NULL);
  }
  put_s(f, "],\"rows\":[");
  for (uint64_t i = 0; i < se->n; i++) {
    sep(f, i);
    fputc('[', f);
    put_u(f, se->ts_ns[i]);
    for (uint32_t c = 0; c < se->n_cols; c++) {
      fputc(',', f);
      put_double(f, se->v[i * se->n_cols + c]);
    }
    fputc(']', f);
  }
  put_s(f, "]}");
}

static void put_snapshot(FILE *f, const fathom_mem_snapshot_info *s) {
  put_s(f, "{");
  key(f, "label", 1);      put_str(f, s->label);
  key(f, "ts_ns", 0);      put_u(f, s->ts_ns);
  key(f, "rss_bytes", 0);  put_double(f, s->rss_bytes);
  key(f, "live_count", 0); put_u(f, s->live_count);
  key(f, "live_bytes", 0); put_u(f, s->live_bytes);
  key(f, "zone", 0);       put_s(f, "[");
  for (uint32_t k = 0; k < s->n; k++) {
    if (k) fputc(',', f);
    put_u64(f, s->zone[k]);
  }
  put_s(f, "],\"zone_live_count\":[");
  for (uint32_t k = 0; k < s->n; k++) {
    if (k) fputc(',', f);
    put_u(f, s->zone_live_count[k]);
  }
  put_s(f, "],\"zone_live_bytes\":[");
  for (uint32_t k = 0; k < s->n; k++) {
    if (k) fputc(',', f);
    put_u(f, s->zone_live_bytes[k]);
  }
  put_s(f, "]}");
}

static void put_gov_action(FILE *f, const fathom_gov_action *g) {
  put_s(f, "{");
  key(f, "ts_ns", 1);        put_u(f, g->ts_ns);
  key(f, "zone", 0);         put_index(f, g->zone);
  key(f, "action", 0);
  if (fz_gov_name(g->gov)) put_str(f, fz_gov_name(g->gov));
  else put_u64(f, g->gov);   /* not one known bit: the loader refuses it */
  key(f, "value", 0);        put_u64(f, g->value);
  key(f, "overhead_pct", 0); put_double(f, g->overhead_pct);
  put_s(f, "}");
}

/* ---- schema 3: findings, SLAs, throughput ----------------------------------------- */

static void put_enum(FILE *f, const char *name, int v) {
  if (name) put_str(f, name);
  else put_i64(f, v);       /* not a known value: the loader refuses it */
}

static void put_finding(FILE *f, const fathom_finding *d) {
  put_s(f, "{");
  key(f, "rank", 1);        put_u64(f, d->rank);
  key(f, "class", 0);       put_enum(f, fathom_finding_class_name((int)d->cls), (int)d->cls);
  key(f, "severity", 0);    put_enum(f, fathom_severity_name((int)d->severity), (int)d->severity);
  key(f, "score", 0);       put_double(f, d->score);
  key(f, "zone", 0);        put_index(f, d->zone);
  key(f, "node", 0);        put_index(f, d->node);
  key(f, "path", 0);        put_str(f, d->path ? d->path : "");
  key(f, "summary", 0);     put_str(f, d->summary ? d->summary : "");
  key(f, "figures", 0);     put_s(f, "[");
  for (uint32_t k = 0; k < d->n_figures; k++) {
    const fathom_figure *g = &d->figures[k];
    put_s(f, k ? ",{" : "{");
    key(f, "name", 1);      put_str(f, g->name ? g->name : "");
    key(f, "value", 0);     put_double(f, g->value);
    key(f, "unit", 0);      put_str(f, g->unit ? g->unit : "");
    put_s(f, "}");
  }
  put_s(f, "],\"suggestions\":[");
  for (uint32_t k = 0; k < d->n_suggestions; k++) {
    if (k) fputc(',', f);
    put_str(f, d->suggestions[k] ? d->suggestions[k] : "");
  }
  put_s(f, "]}");
}

static void put_sla(FILE *f, const fathom_sla_result *s) {
  put_s(f, "{");
  key(f, "zone_name", 1);   put_str(f, s->zone_name ? s->zone_name : "");
  key(f, "zone", 0);        put_index(f, s->zone);
  key(f, "percentile", 0);  put_double(f, s->percentile);
  key(f, "target_ns", 0);   put_double(f, s->target_ns);
  key(f, "actual_ns", 0);   put_double(f, s->actual_ns);
  key(f, "count", 0);       put_u(f, s->count);
  key(f, "met", 0);
  if (s->met == 1 || s->met == 0) put_bool(f, s->met);
  else if (s->met == -1) put_s(f, "null");
  else if (s->met == -2) put_str(f, "not_enough_data");
  else put_i64(f, s->met);  /* not a known value: the loader refuses it */
  key(f, "timed", 0);        put_u(f, s->timed);
  key(f, "actual_lo_ns", 0); put_double(f, s->actual_lo_ns);
  key(f, "actual_hi_ns", 0); put_double(f, s->actual_hi_ns);
  put_s(f, "}");
}

static void put_tput(FILE *f, const fathom_throughput_info *t) {
  put_s(f, "{");
  key(f, "kind", 1);
  put_enum(f, t->kind == FATHOM_TPUT_ZONE ? "zone" : t->kind == FATHOM_TPUT_COUNTER ? "counter"
                                                                                      : NULL,
           (int)t->kind);
  key(f, "index", 0);       put_u64(f, t->index);
  key(f, "mean_per_s", 0);  put_double(f, t->mean_per_s);
  key(f, "window_s", 0);    put_double(f, t->window_s);
  key(f, "last_per_s", 0);  put_double(f, t->last_per_s);
  key(f, "peak_per_s", 0);  put_double(f, t->peak_per_s);
  key(f, "calls", 0);       put_u(f, t->calls);
  key(f, "timed", 0);       put_u(f, t->timed);
  put_s(f, "}");
}

int fz_write_json(const fathom_profile *p, FILE *f, int color) {
  if (!p || !f) return FATHOM_E_INVAL;
  put_s(f, "{\"format\":\"fathom-profile\",\"schema_version\":");
  put_u64(f, FATHOM_SCHEMA_VERSION);
  put_s(f, ",\n\"meta\":");
  put_meta(f, &p->meta);

  put_s(f, ",\n\"zones\":[");
  for (uint32_t i = 0; i < p->n_zones; i++) {
    sep(f, i);
    put_zone(f, &p->zones[i]);
  }
  put_s(f, "],\n\"nodes\":[");
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    sep(f, i);
    put_node(f, &p->nodes[i]);
  }
  put_s(f, "],\n\"threads\":[");
  for (uint32_t i = 0; i < p->n_threads; i++) {
    sep(f, i);
    put_thread(f, &p->threads[i], p->n_processes);
  }
  put_s(f, "],\n\"counters\":[");
  for (uint32_t i = 0; i < p->n_counters; i++) {
    sep(f, i);
    put_counter(f, &p->counters[i]);
  }

  put_s(f, "],\n\"timeline\":{\"recorded\":");
  put_bool(f, p->timeline);
  put_s(f, ",\"events\":[");
  for (uint64_t i = 0; i < p->n_events; i++) {
    const fathom_event *e = &p->events[i];
    sep(f, i);
    fputc('[', f);
    put_u64(f, e->thread);   fputc(',', f);
    put_u64(f, e->zone);     fputc(',', f);
    put_u64(f, e->depth);    fputc(',', f);
    put_u(f, e->ts_ns);      fputc(',', f);
    put_u(f, e->dur_ns);     fputc(']', f);
  }
  put_s(f, "],\n\"counter_events\":[");
  for (uint64_t i = 0; i < p->n_counter_events; i++) {
    const fathom_counter_event *e = &p->counter_events[i];
    sep(f, i);
    fputc('[', f);
    put_u64(f, e->counter);  fputc(',', f);
    put_index(f, e->thread); fputc(',', f);
    put_u(f, e->ts_ns);      fputc(',', f);
    put_double(f, e->value); fputc(']', f);
  }
  put_s(f, "]},\n\"resources\":");
  put_resources(f, &p->res);
  put_s(f, ",\n\"probes\":[");
  for (uint32_t i = 0; i < p->n_probes; i++) {
    sep(f, i);
    put_probe(f, &p->probes[i]);
  }
  put_s(f, "],\n\"gpus\":[");
  for (uint32_t i = 0; i < p->n_gpus; i++) {
    sep(f, i);
    put_gpu(f, &p->gpus[i]);
  }
  put_s(f, "],\n\"series\":");
  put_series(f, &p->series);
  put_s(f, ",\n\"mem_snapshots\":[");
  for (uint32_t i = 0; i < p->n_mem_snapshots; i++) {
    sep(f, i);
    put_snapshot(f, &p->mem_snapshots[i]);
  }
  put_s(f, "],\n\"gov_actions\":[");
  for (uint32_t i = 0; i < p->n_gov_actions; i++) {
    sep(f, i);
    put_gov_action(f, &p->gov_actions[i]);
  }
  put_s(f, "],\n\"findings\":[");
  for (uint32_t i = 0; i < p->n_findings; i++) {
    sep(f, i);
    put_finding(f, &p->findings[i]);
  }
  put_s(f, "],\n\"slas\":[");
  for (uint32_t i = 0; i < p->n_slas; i++) {
    sep(f, i);
    put_sla(f, &p->slas[i]);
  }
  put_s(f, "],\n\"throughput\":[");
  for (uint32_t i = 0; i < p->n_throughput; i++) {
    sep(f, i);
    put_tput(f, &p->throughput[i]);
  }
  put_s(f, "]");
  fz_json_put_run(f, p);
  fz_json_put_queries(f, p);
  fz_json_put_requests(f, p);
  fz_json_put_windows(f, p);
  fz_json_put_ext(f, p);
  put_s(f, "}\n");
  if (fflush(f) != 0 || ferror(f)) return FATHOM_E_IO;
  return 0;
}
