/* view/html_data.c: the profile as the HTML report's data block: one compact JSON object
 * whose big tables (zones, call-tree nodes, timeline events, series) are arrays rather than
 * objects, so a profile of 100 000 call-tree nodes stays a few megabytes. Field layout:
 * docs/html.md ("The data block"); the page's script (the .js files in src/view/html) is its
 * only reader.
 *
 * Invariant: the output is valid JSON whatever the model holds: strings go through
 * fz_hj_str, non-finite numbers are null, and indices that do not point into their table
 * are -1 (the script treats them as absent). Schema 4: each zone row carries its timed
 * calls, standard errors and usable percentile intervals (null where none), "nest" lists the
 * estimated nodes, so the script can mark every estimate; probed figures are the model's
 * estimates over all calls, CPU from cpu_ns where recorded. Bounded: at most
 * FZ_HTML_MAX_EVENTS timeline events and FZ_HTML_MAX_GOV governor actions are written; their
 * totals are written too. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "view/html.h"
#include "view/text.h"

static void key(FILE *f, const char *k, int first) {
  if (!first) fputc(',', f);
  fputc('"', f);
  fputs(k, f);
  fputs("\":", f);
}

static void sep(FILE *f, uint64_t i) {
  if (i) fputc(',', f);
}

/* ---- meta, summary, resources ---- */

static void put_meta(FILE *f, const fathom_profile *p) {
  const fathom_meta *m = &p->meta;
  char id[20];
  snprintf(id, sizeof id, "%016llx", (unsigned long long)m->session_id);
  fputc('{', f);
  key(f, "schema_version", 1);   fz_hj_num(f, m->schema_version);
  key(f, "fathom_version", 0);   fz_hj_str(f, m->fathom_version);
  key(f, "session_name", 0);     fz_hj_str(f, m->session_name);
  key(f, "session_id", 0);       fz_hj_str(f, id);
  key(f, "start_unix_ns", 0);    fz_hj_u64(f, m->start_unix_ns);
  key(f, "duration_ns", 0);      fz_hj_u64(f, m->duration_ns);
  key(f, "pid", 0);              fz_hj_num(f, (double)m->pid);
  const char *const sk[] = {"program", "host", "os", "kernel", "arch", "cpu_model",
                            "clock_source"};
  const char *const sv[] = {m->program, m->host, m->os, m->kernel, m->arch, m->cpu_model,
                            m->clock_source};
  for (size_t k = 0; k < sizeof sk / sizeof sk[0]; k++) {
    key(f, sk[k], 0);
    fz_hj_str(f, sv[k]);
  }
  key(f, "n_cpus", 0);           fz_hj_u64(f, m->n_cpus);
  key(f, "level", 0);
  fz_hj_str(f, (unsigned)m->level <= FATHOM_LEVEL_COMPREHENSIVE ? fathom_level_name(m->level)
                                                                : "?");
  const char *const dk[] = {"clock_resolution_ns", "clock_read_ns", "tsc_hz", "zone_cost_ns",
                            "overhead_ns", "overhead_pct", "cpu_time_ns",
                            "overhead_budget_pct", "probe_cost_ns", "monitor_cpu_ns",
                            "untimed_cost_ns", "zone_cost_in_ns", "hook_cost_ns",
                            "hook_untimed_cost_ns", "hook_cost_in_ns", "zone_special_cost_ns",
                            "zone_special_in_ns", "hook_special_cost_ns", "hook_special_in_ns",
                            "setup_ns", "build_ns", "fixed_cost_ns", "sample_period_ns"};
  const double dv[] = {m->clock_resolution_ns, m->clock_read_ns, m->tsc_hz, m->zone_cost_ns,
                       m->overhead_ns, m->overhead_pct, m->cpu_time_ns,
                       m->overhead_budget_pct, m->probe_cost_ns, m->monitor_cpu_ns,
                       m->untimed_cost_ns, m->zone_cost_in_ns, m->hook_cost_ns,
                       m->hook_untimed_cost_ns, m->hook_cost_in_ns, m->zone_special_cost_ns,
                       m->zone_special_in_ns, m->hook_special_cost_ns, m->hook_special_in_ns,
                       m->setup_ns, m->build_ns, m->fixed_cost_ns, m->sample_period_ns};
  for (size_t k = 0; k < sizeof dk / sizeof dk[0]; k++) {
    key(f, dk[k], 0);
    fz_hj_num(f, dv[k]);
  }
  const char *const uk[] = {"n_zones", "dropped_zones", "dropped_events", "dropped_hist",
                            "misuse", "fathom_bytes", "dropped_snapshots", "sample_every",
                            "n_timed", "cpu_samples"};
  const uint64_t uv[] = {m->n_zones, m->dropped_zones, m->dropped_events, m->dropped_hist,
                         m->misuse, m->fathom_bytes, m->dropped_snapshots, m->sample_every,
                         m->n_timed, m->cpu_samples};
  for (size_t k = 0; k < sizeof uk / sizeof uk[0]; k++) {
    key(f, uk[k], 0);
    fz_hj_u64(f, uv[k]);
  }
  key(f, "governor", 0);         fputs(m->governor ? "true" : "false", f);
  key(f, "alloc_tracking", 0);   fputs(m->alloc_tracking ? "true" : "false", f);
  key(f, "timeline", 0);         fputs(p->timeline ? "true" : "false", f);
  fputc('}', f);
}

static void put_res(FILE *f, const fathom_resources *r) {
  const char *const k[] = {
      "wall_s", "cpu_user_s", "cpu_sys_s", "cpu_pct_mean", "cpu_pct_max", "rss_initial_bytes",
      "rss_peak_bytes", "rss_final_bytes", "vm_peak_bytes", "sys_mem_total_bytes",
      "sys_mem_used_pct_max", "read_bytes", "write_bytes", "disk_read_bytes",
      "disk_write_bytes", "net_rx_bytes", "net_tx_bytes", "ctx_vol", "ctx_invol", "minflt",
      "majflt", "gpu_mem_peak_bytes", "gpu_util_mean_pct", "gpu_util_max_pct",
      "cpu_energy_j", "gpu_energy_j", "energy_j", "carbon_g_per_kwh", "carbon_g", "flops",
      "flops_per_s", "host_cpu_pct_mean", "host_cpu_pct_max", "disk_util_pct_max"};
  const double v[] = {
      r->wall_s, r->cpu_user_s, r->cpu_sys_s, r->cpu_pct_mean, r->cpu_pct_max,
      r->rss_initial_bytes, r->rss_peak_bytes, r->rss_final_bytes, r->vm_peak_bytes,
      r->sys_mem_total_bytes, r->sys_mem_used_pct_max, r->read_bytes, r->write_bytes,
      r->disk_read_bytes, r->disk_write_bytes, r->net_rx_bytes, r->net_tx_bytes, r->ctx_vol,
      r->ctx_invol, r->minflt, r->majflt, r->gpu_mem_peak_bytes, r->gpu_util_mean_pct,
      r->gpu_util_max_pct, r->cpu_energy_j, r->gpu_energy_j, r->energy_j, r->carbon_g_per_kwh,
      r->carbon_g, r->flops, r->flops_per_s, r->host_cpu_pct_mean, r->host_cpu_pct_max,
      r->disk_util_pct_max};
  fputc('{', f);
  key(f, "monitored", 1);      fputs(r->monitored ? "true" : "false", f);
  key(f, "n_samples", 0);      fz_hj_u64(f, r->n_samples);
  key(f, "threads_max", 0);    fz_hj_u64(f, r->threads_max);
  key(f, "leaked_bytes", 0);   fz_hj_u64(f, r->leaked_bytes);
  key(f, "leaked_count", 0);   fz_hj_u64(f, r->leaked_count);
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    key(f, k[i], 0);
    fz_hj_num(f, v[i]);
  }
  fputc('}', f);
}

static void put_gpus(FILE *f, const fathom_profile *p) {
  fputc('[', f);
  for (uint32_t i = 0; i < p->n_gpus; i++) {
    const fathom_gpu_info *g = &p->gpus[i];
    sep(f, i);
    fputc('[', f);
    fz_hj_u64(f, g->index);
    fputc(',', f);
    fz_hj_str(f, g->name);
    const double v[] = {g->mem_total_bytes, g->mem_peak_bytes, g->proc_mem_peak_bytes,
                        g->util_mean_pct, g->util_max_pct, g->power_mean_w, g->temp_max_c,
                        g->energy_j};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
      fputc(',', f);
      fz_hj_num(f, v[k]);
    }
    fputc(']', f);
  }
  fputc(']', f);
}

/* ---- zones and call-tree nodes ---- */

/* A probed estimate over every call (schema 4: the sums are those), NaN if not measured. */
static double res_est(const fathom_res *r, uint32_t mask) {
  if (!r->samples || (r->mask & mask) != mask) return NAN;
  double s = 0;
  for (int k = 0; k < FATHOM_RES_N; k++)
    if (mask & (1u << k)) s += r->sum[k];
  return s;
}

#define BIT(id) (1u << (id))

/* CPU time: cpu_ns where measured, else user + system (older files). */
static double cpu_of(const fathom_res *r) {
  double c = res_est(r, BIT(FATHOM_RES_CPU_NS));
  return isfinite(c) ? c : res_est(r, BIT(FATHOM_RES_CPU_USER_NS) | BIT(FATHOM_RES_CPU_SYS_NS));
}

/* [b0,...,b4] when st is estimated and some percentile has a usable interval, else null. */
static void put_bounds(FILE *f, const fathom_stats *st, const double *b) {
  int any = 0;
  for (int k = 0; k < FATHOM_PCT_N; k++) any |= fz_est_has_interval(st, k);
  if (!any) {
    fputs("null", f);
    return;
  }
  fputc('[', f);
  for (int k = 0; k < FATHOM_PCT_N; k++) {
    if (k) fputc(',', f);
    fz_hj_num(f, fz_est_has_interval(st, k) ? b[k] : NAN);
  }
  fputc(']', f);
}

/* Row: name, component, calls, total, self, mean, p50, p90, p99, max, min, cpu_ns, cpu_pct,
 * alloc_count, alloc_bytes, live_bytes, io_bytes, flops, file, line, p95, stddev, gov,
 * timed, total_se, self_se, pct_lo, pct_hi, overhead_ns, cpu_user_ns, cpu_sys_ns. */
static void put_zone(FILE *f, const fathom_zone_info *z) {
  const fathom_stats *s = &z->stats;
  const fathom_res *r = &z->res;
  const uint32_t io = BIT(FATHOM_RES_READ_BYTES) | BIT(FATHOM_RES_WRITE_BYTES);
  const uint32_t split = BIT(FATHOM_RES_CPU_USER_NS) | BIT(FATHOM_RES_CPU_SYS_NS);
  double cpu = cpu_of(r), cpu_pct = NAN;
  if (isfinite(cpu) && (r->mask & BIT(FATHOM_RES_WALL_NS)) && r->sum[FATHOM_RES_WALL_NS] > 0)
    cpu_pct = 100.0 * cpu / r->sum[FATHOM_RES_WALL_NS];   /* both over the same probed calls */
  int has_split = r->samples && (r->mask & split) == split;
  fputc('[', f);
  fz_hj_str(f, z->name);
  fputc(',', f);
  fz_hj_str(f, z->component && *z->component ? z->component : "default");
  const double v[] = {(double)s->count, (double)s->total_ns, (double)s->self_ns, s->mean_ns,
                      s->p50_ns, s->p90_ns, s->p99_ns, (double)s->max_ns, (double)s->min_ns,
                      cpu, cpu_pct,
                      (double)z->alloc.alloc_count, (double)z->alloc.alloc_bytes,
                      (double)z->alloc.live_bytes, res_est(r, io), z->flops};
  for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
    fputc(',', f);
    fz_hj_num(f, v[k]);
  }
  fputc(',', f);
  fz_hj_str(f, z->file);
  fputc(',', f);
  fz_hj_num(f, z->line);
  fputc(',', f);
  fz_hj_num(f, s->p95_ns);
  fputc(',', f);
  fz_hj_num(f, s->stddev_ns);
  fputc(',', f);
  fz_hj_u64(f, z->gov);
  fputc(',', f);
  fz_hj_u64(f, s->timed);
  fputc(',', f);
  fz_hj_num(f, s->total_se_ns);
  fputc(',', f);
  fz_hj_num(f, s->self_se_ns);
  fputc(',', f);
  put_bounds(f, s, s->pct_lo_ns);
  fputc(',', f);
  put_bounds(f, s, s->pct_hi_ns);
  fputc(',', f);
  fz_hj_num(f, s->overhead_ns);
  fputc(',', f);
  fz_hj_num(f, has_split ? r->sum[FATHOM_RES_CPU_USER_NS] : NAN);
  fputc(',', f);
  fz_hj_num(f, has_split ? r->sum[FATHOM_RES_CPU_SYS_NS] : NAN);
  fputc(']', f);
}

/* Flat triples for the estimated nodes only: node index, timed calls, total_se_ns. */
static void put_nodes_est(FILE *f, const fathom_profile *p) {
  fputc('[', f);
  int first = 1;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_stats *s = &p->nodes[i].stats;
    if (!fathom_stats_estimated(s)) continue;
    if (!first) fputc(',', f);
    first = 0;
    fz_hj_u64(f, i);
    fputc(',', f);
    fz_hj_u64(f, s->timed);
    fputc(',', f);
    fz_hj_num(f, s->total_se_ns);
  }
  fputc(']', f);
}

/* Flat: zone, parent (-1 top level or not an earlier node), thread, calls, total, self. */
static void put_nodes(FILE *f, const fathom_profile *p) {
  fputc('[', f);
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *n = &p->nodes[i];
    sep(f, i);
    fz_hj_idx(f, n->zone, p->n_zones);
    fputc(',', f);
    fz_hj_idx(f, n->parent, i);
    fputc(',', f);
    fz_hj_u64(f, n->thread);
    fputc(',', f);
    fz_hj_u64(f, n->stats.count);
    fputc(',', f);
    fz_hj_u64(f, n->stats.total_ns);
    fputc(',', f);
    fz_hj_u64(f, n->stats.self_ns);
  }
  fputc(']', f);
}

static void put_threads(FILE *f, const fathom_profile *p) {
  fputc('[', f);
  for (uint32_t i = 0; i < p->n_threads; i++) {
    const fathom_thread_info *t = &p->threads[i];
    sep(f, i);
    fputc('[', f);
    fz_hj_u64(f, t->tid);
    fputc(',', f);
    fz_hj_str(f, t->name);
    fprintf(f, ",%d,", t->exited ? 1 : 0);
    fz_hj_u64(f, t->n_zones);
    fputc(',', f);
    fz_hj_u64(f, t->n_dropped);
    fputc(',', f);
    fz_hj_u64(f, t->n_open);
    fputc(',', f);
    fz_hj_u64(f, t->n_recorded);
    fputc(']', f);
  }
  fputc(']', f);
}

/* {"n": all events, "d": [thread, zone, depth, ts, dur, ...] for the first kept}. */
static void put_events(FILE *f, const fathom_profile *p) {
  uint64_t n = p->n_events < FZ_HTML_MAX_EVENTS ? p->n_events : FZ_HTML_MAX_EVENTS;
  if (!p->events) n = 0;
  fputs("{\"n\":", f);
  fz_hj_u64(f, p->n_events);
  fputs(",\"d\":[", f);
  for (uint64_t i = 0; i < n; i++) {
    const fathom_event *e = &p->events[i];
    sep(f, i);
    fz_hj_u64(f, e->thread);
    fputc(',', f);
    fz_hj_idx(f, e->zone, p->n_zones);
    fputc(',', f);
    fz_hj_u64(f, e->depth);
    fputc(',', f);
    fz_hj_u64(f, e->ts_ns);
    fputc(',', f);
    fz_hj_u64(f, e->dur_ns);
  }
  fputs("]}", f);
}

static void put_series(FILE *f, const fathom_series *se) {
  int ok = se->n && se->n_cols && se->cols && se->ts_ns && se->v;
  fputs("{\"interval_s\":", f);
  fz_hj_num(f, se->interval_s);
  fputs(",\"cols\":[", f);
  for (uint32_t c = 0; ok && c < se->n_cols; c++) {
    sep(f, c);
    fz_hj_str(f, se->cols[c]);
  }
  fputs("],\"ts\":[", f);
  for (uint64_t i = 0; ok && i < se->n; i++) {
    sep(f, i);
    fz_hj_u64(f, se->ts_ns[i]);
  }
  fputs("],\"v\":[", f);
  uint64_t nv = ok ? se->n * se->n_cols : 0;
  for (uint64_t i = 0; i < nv; i++) {
    sep(f, i);
    fz_hj_num(f, se->v[i]);
  }
  fputs("]}", f);
}

static void put_counters(FILE *f, const fathom_profile *p) {
  static const char *const kind[] = {"counter", "gauge", "size"};
  fputc('[', f);
  for (uint32_t i = 0; i < p->n_counters; i++) {
    const fathom_counter_info *c = &p->counters[i];
    sep(f, i);
    fputc('[', f);
    fz_hj_str(f, c->name);
    fputc(',', f);
    fz_hj_str(f, (unsigned)c->kind <= FATHOM_METRIC_SIZE ? kind[c->kind] : "?");
    fputc(',', f);
    fz_hj_u64(f, c->n_updates);
    const double v[] = {c->value, c->total, c->min, c->max};
    for (size_t k = 0; k < 4; k++) {
      fputc(',', f);
      fz_hj_num(f, v[k]);
    }
    fputc(']', f);
  }
  fputc(']', f);
}

/* ---- findings, SLAs, throughput (schema 3) ---- */

static void put_finding(FILE *f, const fathom_finding *x) {
  fputc('[', f);
  fz_hj_u64(f, x->rank);
  fputc(',', f);
  const char *sev = fathom_severity_name(x->severity), *cls = fathom_finding_class_name(x->cls);
  fz_hj_str(f, sev ? sev : "?");
  fputc(',', f);
  fz_hj_str(f, cls ? cls : "?");
  fputc(',', f);
  fz_hj_num(f, x->score);
  fputc(',', f);
  fz_hj_str(f, x->path);
  fputc(',', f);
  fz_hj_str(f, x->summary);
  fputs(",[", f);
  for (uint32_t k = 0; x->figures && k < x->n_figures; k++) {
    sep(f, k);
    fputc('[', f);
    fz_hj_str(f, x->figures[k].name);
    fputc(',', f);
    fz_hj_num(f, x->figures[k].value);
    fputc(',', f);
    fz_hj_str(f, x->figures[k].unit);
    fputc(']', f);
  }
  fputs("],[", f);
  for (uint32_t k = 0; x->suggestions && k < x->n_suggestions; k++) {
    sep(f, k);
    fz_hj_str(f, x->suggestions[k]);
  }
  fputs("]]", f);
}

static void put_findings(FILE *f, const fathom_profile *p) {
  fputc('[', f);
  for (uint32_t i = 0; p->findings && i < p->n_findings; i++) {
    sep(f, i);
    put_finding(f, &p->findings[i]);
  }
  fputc(']', f);
}

static void put_slas(FILE *f, const fathom_profile *p) {
  fputc('[', f);
  for (uint32_t i = 0; p->slas && i < p->n_slas; i++) {
    const fathom_sla_result *s = &p->slas[i];
    sep(f, i);
    fputc('[', f);
    fz_hj_str(f, s->zone_name);
    const double v[] = {s->percentile, s->target_ns, s->actual_ns, (double)s->count};
    for (size_t k = 0; k < 4; k++) {
      fputc(',', f);
      fz_hj_num(f, v[k]);
    }
    fprintf(f, ",%d,", s->met > 0 ? 1 : s->met == -2 ? -2 : s->met < 0 ? -1 : 0);
    fz_hj_u64(f, s->timed);
    fputc(',', f);
    fz_hj_num(f, s->actual_lo_ns);
    fputc(',', f);
    fz_hj_num(f, s->actual_hi_ns);
    fputc(']', f);
  }
  fputc(']', f);
}

static void put_tput(FILE *f, const fathom_profile *p) {
  fputc('[', f);
  for (uint32_t i = 0; p->throughput && i < p->n_throughput; i++) {
    const fathom_throughput_info *t = &p->throughput[i];
    const char *name = "?";
    if (t->kind == FATHOM_TPUT_ZONE && t->index < p->n_zones) name = p->zones[t->index].name;
    else if (t->kind == FATHOM_TPUT_COUNTER && t->index < p->n_counters)
      name = p->counters[t->index].name;
    sep(f, i);
    fputc('[', f);
    fz_hj_str(f, t->kind == FATHOM_TPUT_COUNTER ? "counter" : "zone");
    fputc(',', f);
    fz_hj_str(f, name);
    const double v[] = {t->mean_per_s, t->window_s, t->last_per_s, t->peak_per_s};
    for (size_t k = 0; k < 4; k++) {
      fputc(',', f);
      fz_hj_num(f, v[k]);
    }
    fputc(',', f);
    fz_hj_u64(f, t->calls);
    fputc(',', f);
    fz_hj_u64(f, t->kind == FATHOM_TPUT_ZONE ? t->timed : 0);
    fputc(']', f);
  }
  fputc(']', f);
}

/* ---- notes: probes, governor, memory snapshots ---- */

static void put_probes(FILE *f, const fathom_profile *p) {
  fputc('[', f);
  for (uint32_t i = 0; p->probes && i < p->n_probes; i++) {
    sep(f, i);
    fputc('[', f);
    fz_hj_str(f, p->probes[i].name);
    fprintf(f, ",%d,", p->probes[i].available ? 1 : 0);
    fz_hj_str(f, p->probes[i].detail);
    fputc(']', f);
  }
  fputc(']', f);
}

/* [ts, zone name ("" for the session), what, value, overhead_pct]. */
static void put_gov(FILE *f, const fathom_profile *p) {
  uint32_t n = p->n_gov_actions < FZ_HTML_MAX_GOV ? p->n_gov_actions : FZ_HTML_MAX_GOV;
  fputs("{\"n\":", f);
  fz_hj_u64(f, p->n_gov_actions);
  fputs(",\"d\":[", f);
  for (uint32_t i = 0; p->gov_actions && i < n; i++) {
    const fathom_gov_action *g = &p->gov_actions[i];
    const char *what = fz_gov_name(g->gov);
    sep(f, i);
    fputc('[', f);
    fz_hj_u64(f, g->ts_ns);
    fputc(',', f);
    fz_hj_str(f, g->zone < p->n_zones ? p->zones[g->zone].name : "");
    fputc(',', f);
    fz_hj_str(f, what ? what : "?");
    fputc(',', f);
    fz_hj_u64(f, g->value);
    fputc(',', f);
    fz_hj_num(f, g->overhead_pct);
    fputc(']', f);
  }
  fputs("]}", f);
}

static void put_snaps(FILE *f, const fathom_profile *p) {
  fputc('[', f);
  for (uint32_t i = 0; p->mem_snapshots && i < p->n_mem_snapshots; i++) {
    const fathom_mem_snapshot_info *s = &p->mem_snapshots[i];
    sep(f, i);
    fputc('[', f);
    fz_hj_str(f, s->label);
    fputc(',', f);
    fz_hj_u64(f, s->ts_ns);
    fputc(',', f);
    fz_hj_num(f, s->rss_bytes);
    fputc(',', f);
    fz_hj_u64(f, s->live_count);
    fputc(',', f);
    fz_hj_u64(f, s->live_bytes);
    fputc(']', f);
  }
  fputc(']', f);
}

int fz_html_data(const fathom_profile *p, FILE *f) {
  char summary[512];
  fz_text_summary(p, summary, sizeof summary);
  fputs("{\"v\":1", f);
  key(f, "meta", 0);     put_meta(f, p);
  key(f, "summary", 0);  fz_hj_str(f, summary);
  key(f, "res", 0);      put_res(f, &p->res);
  key(f, "gpus", 0);     put_gpus(f, p);
  key(f, "threads", 0);  put_threads(f, p);
  key(f, "zones", 0);
  fputc('[', f);
  for (uint32_t i = 0; i < p->n_zones; i++) {
    sep(f, i);
    put_zone(f, &p->zones[i]);
  }
  fputc(']', f);
  key(f, "nodes", 0);    put_nodes(f, p);
  key(f, "nest", 0);     put_nodes_est(f, p);
  key(f, "events", 0);
  if (p->timeline) put_events(f, p);
  else fputs("null", f);
  key(f, "series", 0);   put_series(f, &p->series);
  key(f, "counters", 0); put_counters(f, p);
  key(f, "findings", 0); put_findings(f, p);
  key(f, "slas", 0);     put_slas(f, p);
  key(f, "tput", 0);     put_tput(f, p);
  key(f, "probes", 0);   put_probes(f, p);
  key(f, "gov", 0);      put_gov(f, p);
  key(f, "snaps", 0);    put_snaps(f, p);
  fz_html_run_data(f, p);
  fz_html_sql_data(f, p);
  fz_html_net_data(f, p);
  fz_html_win_data(f, p);
  fz_html_ext_data(f, p);
  fputc('}', f);
  return 0;
}
