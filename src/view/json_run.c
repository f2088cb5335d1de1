/* json_run.c: the optional tables of the JSON profile: "lines" (the figures of each source
 * line of a function) and "processes" (every process the program ran), which only a sampled
 * profile (`fathom run`) has, "attempts" (fathom_attempt), "rankings" (fathom_variants_rank),
 * "outcome_events" (fathom_outcome_event), "locks" (fathom_mutex_lock & co.) and "gpu_zones"
 * (fathom_gpu_zone_begin). Written only when they have entries, so other profiles' files are
 * unchanged; src/load/json_run.c (json_locks.c, json_gpu.c) reads them back.
 *
 * Invariant: every double reads back bit-identical (NaN as null). */
#include <stdio.h>

#include "util/jsonw.h"
#include "view/view.h"

static void u64(FILE *f, const char *k, uint64_t v) {
  fprintf(f, ",\"%s\":", k);
  fz_json_write_u64(f, v);
}
static void i64(FILE *f, const char *k, int64_t v) {
  fprintf(f, ",\"%s\":%s", k, v < 0 ? "-" : "");
  fz_json_write_u64(f, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

static void put_line(FILE *f, const fathom_line_info *l) {
  fputs("{\"zone\":", f);
  fz_json_write_u64(f, l->zone);
  fputs(",\"file\":", f);
  fz_json_write_str(f, l->file, 0);
  u64(f, "line", l->line);
  u64(f, "samples_self", l->samples_self);
  u64(f, "samples_total", l->samples_total);
  fz_json_num_member(f, "self_ns", l->self_ns);
  fz_json_num_member(f, "self_se_ns", l->self_se_ns);
  fz_json_num_member(f, "total_ns", l->total_ns);
  fz_json_num_member(f, "total_se_ns", l->total_se_ns);
  fputc('}', f);
}

static void put_process(FILE *f, const fathom_process_info *q) {
  fputs("{\"pid\":", f);
  fz_json_write_u64(f, q->pid < 0 ? 0 : (uint64_t)q->pid);
  i64(f, "ppid", q->ppid);
  fputs(",\"command\":", f);
  fz_json_write_str(f, q->command, 0);
  fprintf(f, ",\"ended\":%s,\"status_known\":%s", q->ended ? "true" : "false",
          q->status_known ? "true" : "false");
  i64(f, "exit_code", q->exit_code);
  i64(f, "signal", q->signal);
  fz_json_num_member(f, "start_ns", q->start_ns);
  fz_json_num_member(f, "end_ns", q->end_ns);
  fz_json_num_member(f, "cpu_ns", q->cpu_ns);
  fz_json_num_member(f, "cpu_se_ns", q->cpu_se_ns);
  fz_json_num_member(f, "user_ns", q->user_ns);
  fz_json_num_member(f, "sys_ns", q->sys_ns);
  fz_json_num_member(f, "rss_peak_bytes", q->rss_peak_bytes);
  fz_json_num_member(f, "read_bytes", q->read_bytes);
  fz_json_num_member(f, "write_bytes", q->write_bytes);
  fz_json_num_member(f, "read_ops", q->read_ops);
  fz_json_num_member(f, "write_ops", q->write_ops);
  fz_json_num_member(f, "ctx_voluntary", q->ctx_voluntary);
  fz_json_num_member(f, "ctx_involuntary", q->ctx_involuntary);
  fz_json_num_member(f, "minor_faults", q->minor_faults);
  fz_json_num_member(f, "major_faults", q->major_faults);
  fz_json_num_member(f, "res_age_ns", q->res_age_ns);
  fputc('}', f);
}

static void put_attempt(FILE *f, const fathom_attempt_info *a) {
  fputs("{\"name\":", f);
  fz_json_write_str(f, a->name, 0);
  fputs(",\"metric\":", f);
  fz_json_write_str(f, a->metric, 0);
  fz_json_num_member(f, "before", a->before);
  fz_json_num_member(f, "before_se", a->before_se);
  fz_json_num_member(f, "after", a->after);
  fz_json_num_member(f, "after_se", a->after_se);
  fprintf(f, ",\"better\":\"%s\",\"outcome\":\"%s\"", a->direction < 0 ? "lower" : "higher",
          a->outcome > 0 ? "improved" : a->outcome < 0 ? "worse" : "unchanged");
  fz_json_num_member(f, "change_pct", a->change_pct);
  fputc('}', f);
}

static void put_ranking(FILE *f, const fathom_ranking_info *r) {
  fputs("{\"name\":", f);
  fz_json_write_str(f, r->name, 0);
  fprintf(f, ",\"settled\":%s,\"disagree\":%s", r->settled ? "true" : "false",
          r->disagree ? "true" : "false");
  fz_json_num_member(f, "confidence", r->confidence);
  fputs(",\"variants\":[", f);
  for (uint32_t k = 0; k < r->n; k++) {
    const fathom_ranking_entry *e = &r->e[k];
    fputs(k ? ",{\"variant\":" : "{\"variant\":", f);
    fz_json_write_str(f, e->variant, 0);
    u64(f, "rank", e->rank);
    u64(f, "runs", e->runs);
    fz_json_num_member(f, "mean_ns", e->mean_ns);
    fz_json_num_member(f, "ci_lo_ns", e->ci_lo_ns);
    fz_json_num_member(f, "ci_hi_ns", e->ci_hi_ns);
    fz_json_num_member(f, "median_ns", e->median_ns);
    fz_json_num_member(f, "ratio", e->ratio);
    fz_json_num_member(f, "ratio_lo", e->ratio_lo);
    fz_json_num_member(f, "ratio_hi", e->ratio_hi);
    fz_json_num_member(f, "p_next", e->p_next);
    fz_json_num_member(f, "median_lo_ns", e->median_lo_ns);
    fz_json_num_member(f, "median_hi_ns", e->median_hi_ns);
    u64(f, "median_rank", e->median_rank);
    fz_json_num_member(f, "heap_retained_bytes", e->heap_retained_bytes);
    fz_json_num_member(f, "heap_retained_lo", e->heap_retained_lo);
    fz_json_num_member(f, "heap_retained_hi", e->heap_retained_hi);
    fz_json_num_member(f, "alloc_bytes", e->alloc_bytes);
    fz_json_num_member(f, "peak_bytes", e->peak_bytes);
    fputc('}', f);
  }
  fputs("]}", f);
}

static void put_outcome_event(FILE *f, const fathom_outcome_event_info *e) {
  fputs("{\"group\":", f);
  fz_json_write_str(f, e->group, 0);
  fputs(",\"subject\":", f);
  fz_json_write_str(f, e->subject, 0);
  if (e->kind) {
    fputs(",\"kind\":", f);
    fz_json_write_str(f, e->kind, 0);
  }
  if (e->attrs) {
    fputs(",\"attrs\":", f);
    fz_json_write_str(f, e->attrs, 0);
  }
  fz_json_num_member(f, "t_ns", e->t_ns);
  fz_json_num_member(f, "time_ns", e->time_ns);
  fz_json_num_member(f, "bytes", e->bytes);
  fputs(",\"outcomes\":[", f);
  for (uint32_t k = 0; k < e->n_outcomes && k < FATHOM_OUTCOMES_MAX; k++) {
    fputs(k ? ",{\"name\":" : "{\"name\":", f);
    fz_json_write_str(f, e->outcome_name[k], 0);
    fz_json_num_member(f, "value", e->outcome[k]);
    fputc('}', f);
  }
  fputs("]}", f);
}

static void put_lock_zones(FILE *f, const char *key, const fathom_lock_zone *z, uint32_t n) {
  fprintf(f, ",\"%s\":[", key);
  for (uint32_t i = 0; i < n && z; i++) {
    fputs(i ? ",{\"zone\":" : "{\"zone\":", f);
    fz_json_write_str(f, z[i].zone, 0);
    fprintf(f, ",\"count\":%llu", (unsigned long long)z[i].count);
    fz_json_num_member(f, "ns", z[i].ns);
    fputc('}', f);
  }
  fputc(']', f);
}

static void put_lock(FILE *f, const fathom_lock_info *l) {
  fputs("{\"name\":", f);
  fz_json_write_str(f, l->name, 0);
  fputs(",\"kind\":", f);
  fz_json_write_str(f, l->kind, 0);
  fprintf(f, ",\"addresses\":%u,\"acquisitions\":%llu,\"contended\":%llu,"
             "\"read_acquisitions\":%llu", l->n_addresses,
          (unsigned long long)l->acquisitions, (unsigned long long)l->contended,
          (unsigned long long)l->read_acquisitions);
  fz_json_num_member(f, "wait_ns", l->wait_ns);
  fz_json_num_member(f, "wait_max_ns", l->wait_max_ns);
  fz_json_num_member(f, "wait_p50_ns", l->wait_p50_ns);
  fz_json_num_member(f, "wait_p90_ns", l->wait_p90_ns);
  fz_json_num_member(f, "wait_p99_ns", l->wait_p99_ns);
  fprintf(f, ",\"holds\":%llu", (unsigned long long)l->holds);
  fz_json_num_member(f, "hold_ns", l->hold_ns);
  fz_json_num_member(f, "hold_max_ns", l->hold_max_ns);
  fz_json_num_member(f, "hold_p50_ns", l->hold_p50_ns);
  fz_json_num_member(f, "hold_p90_ns", l->hold_p90_ns);
  fz_json_num_member(f, "hold_p99_ns", l->hold_p99_ns);
  put_lock_zones(f, "waiters", l->waiters, l->n_waiters);
  put_lock_zones(f, "holders", l->holders, l->n_holders);
  fprintf(f, ",\"zones_dropped\":%llu}", (unsigned long long)l->zones_dropped);
}

/* The metric families of bits as an array of names. */
static void put_families(FILE *f, const char *k, uint32_t bits) {
  fprintf(f, ",\n\"%s\":[", k);
  for (uint32_t b = 1, n = 0; b & FATHOM_METRIC_ALL; b <<= 1)
    if (bits & b) {
      if (n++) fputc(',', f);
      fz_json_write_str(f, fathom_metric_family_name(b), 0);
    }
  fputc(']', f);
}

/* Levels per component and metric switches (record/levels.c; src/load/json_levels.c reads
 * them back): written only when configured. */
static void put_levels(FILE *f, const fathom_profile *p) {
  if (p->n_component_levels && p->component_levels) {
    fputs(",\n\"component_levels\":[", f);
    for (uint32_t i = 0; i < p->n_component_levels; i++) {
      fputs(i ? ",{\"component\":" : "{\"component\":", f);
      fz_json_write_str(f, p->component_levels[i].component, 0);
      fputs(",\"level\":", f);
      fz_json_write_str(f, fathom_level_name(p->component_levels[i].level), 0);
      fputc('}', f);
    }
    fputs("],\n\"default_level\":", f);
    fz_json_write_str(f, fathom_level_name(p->default_level), 0);
  }
  if (p->metrics_off & FATHOM_METRIC_ALL) put_families(f, "metrics_off", p->metrics_off);
  if (p->metrics_on & FATHOM_METRIC_ALL) put_families(f, "metrics_on", p->metrics_on);
}

void fz_json_put_run(FILE *f, const fathom_profile *p) {
  if (p->n_outcome_events && p->outcome_events) {
    fputs(",\n\"outcome_events\":[", f);
    for (uint32_t i = 0; i < p->n_outcome_events; i++) {
      fputs(i ? ",\n" : "\n", f);
      put_outcome_event(f, &p->outcome_events[i]);
    }
    fputc(']', f);
  }
  if (p->outcome_events_dropped)
    fprintf(f, ",\n\"outcome_events_dropped\":%llu",
            (unsigned long long)p->outcome_events_dropped);
  if (p->n_rankings && p->rankings) {
    fputs(",\n\"rankings\":[", f);
    for (uint32_t i = 0; i < p->n_rankings; i++) {
      fputs(i ? ",\n" : "\n", f);
      put_ranking(f, &p->rankings[i]);
    }
    fputc(']', f);
  }
  if (p->n_attempts && p->attempts) {
    fputs(",\n\"attempts\":[", f);
    for (uint32_t i = 0; i < p->n_attempts; i++) {
      fputs(i ? ",\n" : "\n", f);
      put_attempt(f, &p->attempts[i]);
    }
    fputc(']', f);
  }
  if (p->n_lines && p->lines) {
    fputs(",\n\"lines\":[", f);
    for (uint32_t i = 0; i < p->n_lines; i++) {
      fputs(i ? ",\n" : "\n", f);
      put_line(f, &p->lines[i]);
    }
    fputc(']', f);
  }
  if (p->n_processes && p->processes) {
    fputs(",\n\"processes\":[", f);
    for (uint32_t i = 0; i < p->n_processes; i++) {
      fputs(i ? ",\n" : "\n", f);
      put_process(f, &p->processes[i]);
    }
    fputc(']', f);
  }
  if (p->n_locks && p->locks) {
    fputs(",\n\"locks\":[", f);
    for (uint32_t i = 0; i < p->n_locks; i++) {
      fputs(i ? ",\n" : "\n", f);
      put_lock(f, &p->locks[i]);
    }
    fputc(']', f);
  }
  if (p->locks_dropped)
    fprintf(f, ",\n\"locks_dropped\":%llu", (unsigned long long)p->locks_dropped);
  /* GPU zones (work/gpu_zones.c; src/load/json_gpu.c reads them back) */
  if (p->n_gpu_zones && p->gpu_zones) {
    fputs(",\n\"gpu_zones\":[", f);
    for (uint32_t i = 0; i < p->n_gpu_zones; i++) {
      const fathom_gpu_zone_info *g = &p->gpu_zones[i];
      fputs(i ? ",\n{\"name\":" : "\n{\"name\":", f);
      fz_json_write_str(f, g->name, 0);
      fputs(",\"zone\":", f);
      if (g->zone == FATHOM_NONE) fputs("null", f);
      else fz_json_write_u64(f, g->zone);
      u64(f, "count", g->count);
      fz_json_num_member(f, "total_ms", g->total_ms);
      fz_json_num_member(f, "mean_ms", g->mean_ms);
      fz_json_num_member(f, "min_ms", g->min_ms);
      fz_json_num_member(f, "max_ms", g->max_ms);
      u64(f, "unresolved", g->unresolved);
      u64(f, "dropped", g->dropped);
      if (g->mem_calls) {   /* device memory: absent when not measured */
        u64(f, "mem_calls", g->mem_calls);
        fz_json_num_member(f, "mem_change_mean", g->mem_change_mean);
        fz_json_num_member(f, "mem_change_se", g->mem_change_se);
        fz_json_num_member(f, "mem_before_max", g->mem_before_max);
        fz_json_num_member(f, "mem_after_max", g->mem_after_max);
        fz_json_num_member(f, "mem_peak", g->mem_peak);
      }
      fputc('}', f);
    }
    fputc(']', f);
  }
  if (p->gpu_zones_dropped)
    fprintf(f, ",\n\"gpu_zones_dropped\":%llu", (unsigned long long)p->gpu_zones_dropped);
  put_levels(f, p);
}
