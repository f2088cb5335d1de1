/* html_run.c: the HTML report's data for sampled profiles (`fathom run`): the hot lines of
 * the functions with the most self time, with their source text when the file can be read
 * now, and the processes the program ran; and the locks of lock profiling. The page
 * (report.js) draws them as tables.
 *
 * Invariant: text reaches the page only through fz_hj_str; at most FZ_HTML_HOT_FUNCS
 * functions of FZ_HTML_HOT_LINES lines each, so the page stays small whatever the profile. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/html.h"
#include "view/text.h"

#define FZ_HTML_HOT_FUNCS 10
#define FZ_HTML_HOT_LINES 12

/* [zone, file, line, self, self_se, total, total_se, source] per line */
static void put_lines(FILE *f, const fathom_profile *p) {
  uint32_t hot[FZ_HTML_HOT_FUNCS];
  uint32_t nh = fz_hot_functions(p, hot, FZ_HTML_HOT_FUNCS);
  fputc('[', f);
  int first = 1;
  for (uint32_t k = 0; k < nh; k++) {
    uint32_t shown = 0;
    const char *cur = NULL;
    char *buf = NULL;
    size_t len = 0;
    for (uint32_t i = 0; i < p->n_lines && shown < FZ_HTML_HOT_LINES; i++) {
      const fathom_line_info *l = &p->lines[i];
      if (l->zone != hot[k] || (l->self_ns <= 0 && l->total_ns <= 0)) continue;
      if (!cur || strcmp(cur, l->file) != 0) {
        free(buf);
        buf = fz_src_read(l->file, &len);
        cur = l->file;
      }
      char text[400];
      fz_src_line(buf, len, l->line, text, sizeof text);
      fputs(first ? "[" : ",\n[", f);
      first = 0;
      fz_hj_u64(f, l->zone);
      fputc(',', f);
      fz_hj_str(f, l->file);
      fputc(',', f);
      fz_hj_u64(f, l->line);
      const double v[] = {l->self_ns, l->self_se_ns, l->total_ns, l->total_se_ns};
      for (int j = 0; j < 4; j++) {
        fputc(',', f);
        fz_hj_num(f, v[j]);
      }
      fputc(',', f);
      fz_hj_str(f, text);
      fputc(']', f);
      shown++;
    }
    free(buf);
  }
  fputc(']', f);
}

/* [pid, ppid, command, state, cpu, cpu_se, user+sys, rss_peak, read, written, ctx, faults,
 *  res_age] per process (NaN: null) */
static void put_procs(FILE *f, const fathom_profile *p) {
  fputc('[', f);
  for (uint32_t i = 0; p->processes && i < p->n_processes; i++) {
    const fathom_process_info *q = &p->processes[i];
    char st[48];
    if (!q->ended) snprintf(st, sizeof st, "running");
    else if (!q->status_known) snprintf(st, sizeof st, "exited");
    else if (q->signal) snprintf(st, sizeof st, "signal %d", q->signal);
    else snprintf(st, sizeof st, "status %d", q->exit_code);
    fputs(i ? ",\n[" : "[", f);
    fz_hj_num(f, (double)q->pid);
    fputc(',', f);
    fz_hj_num(f, (double)q->ppid);
    fputc(',', f);
    fz_hj_str(f, q->command);
    fputc(',', f);
    fz_hj_str(f, st);
    const double v[] = {q->cpu_ns, q->cpu_se_ns, q->user_ns + q->sys_ns, q->rss_peak_bytes,
                        q->read_bytes, q->write_bytes, q->ctx_voluntary + q->ctx_involuntary,
                        q->minor_faults + q->major_faults, q->res_age_ns};
    for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
      fputc(',', f);
      fz_hj_num(f, v[j]);
    }
    fputc(']', f);
  }
  fputc(']', f);
}

/* [name, metric, direction, before, before_se, after, after_se, outcome, change_pct] */
static void put_attempts(FILE *f, const fathom_profile *p) {
  fputc('[', f);
  for (uint32_t i = 0; p->attempts && i < p->n_attempts; i++) {
    const fathom_attempt_info *a = &p->attempts[i];
    fputs(i ? ",\n[" : "[", f);
    fz_hj_str(f, a->name);
    fputc(',', f);
    fz_hj_str(f, a->metric);
    fprintf(f, ",%d", a->direction);
    const double v[] = {a->before, a->before_se, a->after, a->after_se};
    for (int j = 0; j < 4; j++) {
      fputc(',', f);
      fz_hj_num(f, v[j]);
    }
    fprintf(f, ",%d,", a->outcome);
    fz_hj_num(f, a->change_pct);
    fputc(']', f);
  }
  fputc(']', f);
}

/* [name, settled, confidence, [[variant, rank, runs, mean, lo, hi, median, ratio, rlo, rhi,
 *  p_next, median lo, median hi, rank by median, heap retained, its lo, its hi, allocated,
 *  peak], ...], disagree] per ranking */
static void put_rankings(FILE *f, const fathom_profile *p) {
  fputc('[', f);
  for (uint32_t i = 0; p->rankings && i < p->n_rankings; i++) {
    const fathom_ranking_info *r = &p->rankings[i];
    fputs(i ? ",\n[" : "[", f);
    fz_hj_str(f, r->name);
    fprintf(f, ",%d,", r->settled ? 1 : 0);
    fz_hj_num(f, r->confidence);
    fputs(",[", f);
    for (uint32_t k = 0; r->e && k < r->n; k++) {
      const fathom_ranking_entry *e = &r->e[k];
      fputs(k ? ",[" : "[", f);
      fz_hj_str(f, e->variant);
      const double v[] = {e->rank, (double)e->runs, e->mean_ns, e->ci_lo_ns, e->ci_hi_ns,
                          e->median_ns, e->ratio, e->ratio_lo, e->ratio_hi, e->p_next,
                          e->median_lo_ns, e->median_hi_ns, e->median_rank,
                          e->heap_retained_bytes, e->heap_retained_lo, e->heap_retained_hi,
                          e->alloc_bytes, e->peak_bytes};
      for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
        fputc(',', f);
        fz_hj_num(f, v[j]);
      }
      fputc(']', f);
    }
    fprintf(f, "],%d]", r->disagree ? 1 : 0);
  }
  fputc(']', f);
}

/* One ranking of fathom_efficiency: [subject, rank, events, mean, mean_se, cost, per unit,
 * its se] per subject (the first 64). */
static void put_efficiency(FILE *f, const fathom_profile *p, const char *group,
                           const char *out, const char *cost) {
  fathom_efficiency_row r[64];
  uint32_t n = 0;
  if (fathom_efficiency(p, group, out, cost, r, 64, &n) || !n) return;
  fputs(",\n[", f);
  fz_hj_str(f, group);
  fputc(',', f);
  fz_hj_str(f, out);
  fputc(',', f);
  fz_hj_str(f, cost);
  fputs(",[", f);
  for (uint32_t i = 0; i < n && i < 64; i++) {
    fputs(i ? ",[" : "[", f);
    fz_hj_str(f, r[i].subject);
    fprintf(f, ",%u,%u", r[i].rank, r[i].events);
    const double v[] = {r[i].mean, r[i].mean_se, r[i].cost, r[i].per_unit, r[i].per_unit_se};
    for (int j = 0; j < 5; j++) {
      fputc(',', f);
      fz_hj_num(f, v[j]);
    }
    fputc(']', f);
  }
  fputs("]]", f);
}

/* [[group, outcome, "time" or "memory", [rows]], ...]: every group's outcomes ranked per
 * unit of each cost recorded (at most 16 groups and 8 outcomes a group). */
static void put_outcomes(FILE *f, const fathom_profile *p) {
  fputs("[0", f);   /* a placeholder first element keeps the separators simple */
  const char *groups[16];
  uint32_t ng = 0;
  for (uint32_t i = 0; p->outcome_events && i < p->n_outcome_events; i++) {
    const char *g = p->outcome_events[i].group;
    uint32_t j = 0;
    while (g && j < ng && strcmp(groups[j], g)) j++;
    if (g && j == ng && ng < 16) groups[ng++] = g;
  }
  for (uint32_t j = 0; j < ng; j++) {
    const char *outs[8];
    uint32_t no = 0;
    for (uint32_t i = 0; i < p->n_outcome_events; i++) {
      const fathom_outcome_event_info *e = &p->outcome_events[i];
      if (!e->group || strcmp(e->group, groups[j])) continue;
      for (uint32_t k = 0; k < e->n_outcomes && k < FATHOM_OUTCOMES_MAX; k++) {
        uint32_t x = 0;
        while (x < no && strcmp(outs[x], e->outcome_name[k])) x++;
        if (x == no && no < 8) outs[no++] = e->outcome_name[k];
      }
    }
    for (uint32_t x = 0; x < no; x++) {
      put_efficiency(f, p, groups[j], outs[x], "time");
      put_efficiency(f, p, groups[j], outs[x], "memory");
    }
  }
  fputc(']', f);
}

/* [0, [name, kind, acquisitions, contended, wait_ns, wait p50, p99, max, hold_ns, hold p50,
 * p99, max, [[zone, count, ns] waiting], [holding]], ...]: the locks (lock profiling). */
static void put_lock_zones(FILE *f, const fathom_lock_zone *z, uint32_t n) {
  fputs(",[", f);
  for (uint32_t k = 0; z && k < n; k++) {
    fputs(k ? ",[" : "[", f);
    fz_hj_str(f, z[k].zone);
    fprintf(f, ",%llu,", (unsigned long long)z[k].count);
    fz_hj_num(f, z[k].ns);
    fputc(']', f);
  }
  fputc(']', f);
}

static void put_locks(FILE *f, const fathom_profile *p) {
  fputs("[0", f);   /* a placeholder first element keeps the separators simple */
  for (uint32_t i = 0; p->locks && i < p->n_locks; i++) {
    const fathom_lock_info *l = &p->locks[i];
    fputs(",\n[", f);
    fz_hj_str(f, l->name);
    fputc(',', f);
    fz_hj_str(f, l->kind);
    fprintf(f, ",%llu,%llu", (unsigned long long)l->acquisitions,
            (unsigned long long)l->contended);
    const double v[] = {l->wait_ns, l->wait_p50_ns, l->wait_p99_ns, l->wait_max_ns,
                        l->hold_ns, l->hold_p50_ns, l->hold_p99_ns, l->hold_max_ns};
    for (int j = 0; j < 8; j++) {
      fputc(',', f);
      fz_hj_num(f, v[j]);
    }
    put_lock_zones(f, l->waiters, l->n_waiters);
    put_lock_zones(f, l->holders, l->n_holders);
    fputc(']', f);
  }
  fputc(']', f);
}

/* [[name, pairs read, total ms, mean ms, min ms, max ms, unresolved, dropped, CPU ns per
 * call of the zone of that name (NaN: none), device memory: pairs read, mean change, its
 * standard error (NaN: unknown), peak (bytes)], ...]: GPU zones, largest total first */
static void put_gpu_zones(FILE *f, const fathom_profile *p) {
  fputc('[', f);
  for (uint32_t i = 0; p->gpu_zones && i < p->n_gpu_zones; i++) {
    const fathom_gpu_zone_info *g = &p->gpu_zones[i];
    fputs(i ? ",\n[" : "[", f);
    fz_hj_str(f, g->name);
    double cpu = g->zone < p->n_zones && p->zones ? p->zones[g->zone].stats.mean_ns : NAN;
    const double v[] = {(double)g->count,      g->total_ms,      g->mean_ms,
                        g->min_ms,             g->max_ms,        (double)g->unresolved,
                        (double)g->dropped,    cpu,              (double)g->mem_calls,
                        g->mem_change_mean,    g->mem_change_se, g->mem_peak};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
      fputc(',', f);
      fz_hj_num(f, v[k]);
    }
    fputc(']', f);
  }
  fputc(']', f);
}

void fz_html_run_data(FILE *f, const fathom_profile *p) {
  fputs(",\"gpu_zones\":", f);
  put_gpu_zones(f, p);
  fputs(",\"locks\":", f);
  put_locks(f, p);
  fputs(",\"outcomes\":", f);
  put_outcomes(f, p);
  fputs(",\"rankings\":", f);
  put_rankings(f, p);
  fputs(",\"attempts\":", f);
  put_attempts(f, p);
  fputs(",\"lines\":", f);
  put_lines(f, p);
  fputs(",\"procs\":", f);
  put_procs(f, p);
}
