/* live/prom.c: the Prometheus text exposition (format 0.0.4) of a model, for /metrics and
 * fathom_metrics_write.
 *
 * Invariant: the output always parses: each family has one # HELP and one # TYPE line and
 * its samples right after them; metric names are fixed, match [a-zA-Z_:][a-zA-Z0-9_:]* and
 * pass promtool's lint (user names are label values, never part of a name); label values
 * and help text are escaped (backslash, double quote, newline) and valid UTF-8; numbers use
 * the "C" locale, with NaN and +Inf spelt as Prometheus wants. Estimated zone times (timing
 * sampled, schema 4) are flagged (fathom_zone_estimated) with their standard errors and the
 * 95 % intervals of their quantiles beside them. */
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/estimates.h"
#include "util/jsonw.h"
#include "live/live.h"
#include "model/model.h"

static void num(FILE *f, double v) {
  if (isnan(v)) fputs("NaN", f);
  else if (isinf(v)) fputs(v > 0 ? "+Inf" : "-Inf", f);
  else fprintf(f, "%.15g", v);
}

/* A label value (quote: 1) or help text (0): \\, \n, and \" in label values. */
static void esc(FILE *f, const char *str, int quote) {
  const unsigned char *s = (const unsigned char *)(str ? str : "");
  for (; *s;) {
    size_t k = fz_utf8_seq_len(s);
    if (*s == '\\') fputs("\\\\", f);
    else if (*s == '\n') fputs("\\n", f);
    else if (*s == '"' && quote) fputs("\\\"", f);
    else if (k == 0) fputs("\xEF\xBF\xBD", f);
    else {
      fwrite(s, 1, k, f);
      s += k;
      continue;
    }
    s++;
  }
}

static void family(FILE *f, const char *name, const char *type, const char *help) {
  fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void zone_labels(FILE *f, const fathom_zone_info *z) {
  fputs("{zone=\"", f);
  esc(f, z->name, 1);
  fputs("\",component=\"", f);
  esc(f, z->component ? z->component : "default", 1);
  fputc('"', f);
}

/* Schema 4: which zones' times are estimates from a random sample of timed calls, their
 * standard errors, the timed calls, and the 95 % intervals of the summary's quantiles (only
 * zones that have one; the families are left out when none has). */
static void write_estimates(const fathom_profile *p, FILE *f) {
  static const struct {
    const char *name, *type, *help;
    int what;
  } fam[] = {
      {"fathom_zone_estimated", "gauge",
       "1 when the zone's times are estimates from a random sample of its calls (timing "
       "sampled), 0 when every call was timed.", 0},
      {"fathom_zone_timed_calls_total", "counter", "Zone calls whose duration was measured.", 1},
      {"fathom_zone_seconds_stderr", "gauge",
       "Standard error of fathom_zone_seconds_total (0: exact; 1.96 x this is a 95 % interval).",
       2},
      {"fathom_zone_self_seconds_stderr", "gauge",
       "Standard error of fathom_zone_self_seconds_total (0: exact).", 3},
  };
  for (size_t k = 0; k < sizeof fam / sizeof fam[0]; k++) {
    family(f, fam[k].name, fam[k].type, fam[k].help);
    for (uint32_t i = 0; i < p->n_zones; i++) {
      const fathom_stats *st = &p->zones[i].stats;
      fputs(fam[k].name, f);
      zone_labels(f, &p->zones[i]);
      fputs("} ", f);
      if (fam[k].what == 0) fputs(fathom_stats_estimated(st) ? "1" : "0", f);
      else if (fam[k].what == 1)
        fprintf(f, "%llu", (unsigned long long)(st->timed ? st->timed : st->count));
      else {
        double se = fam[k].what == 2 ? st->total_se_ns : st->self_se_ns;
        num(f, isfinite(se) && se > 0 ? se / 1e9 : 0);
      }
      fputc('\n', f);
    }
  }
  /* the summary's quantiles (0.5, 0.9, 0.99: indices 0, 1, 3 of the intervals) */
  static const int qk[] = {0, 1, 3};
  static const double q[] = {0.5, 0.9, 0.99};
  static const char *const bound[] = {"fathom_zone_duration_lower_seconds",
                                      "fathom_zone_duration_upper_seconds"};
  for (int b = 0; b < 2; b++) {
    int any = 0;
    for (uint32_t i = 0; i < p->n_zones; i++) {
      const fathom_stats *st = &p->zones[i].stats;
      for (size_t k = 0; k < 3; k++) {
        if (!fz_est_has_interval(st, qk[k])) continue;
        if (!any++)
          family(f, bound[b], "gauge",
                 b ? "Upper bound of the 95 % interval of an estimated quantile q of "
                     "fathom_zone_duration_seconds."
                   : "Lower bound of the 95 % interval of an estimated quantile q of "
                     "fathom_zone_duration_seconds.");
        fputs(bound[b], f);
        zone_labels(f, &p->zones[i]);
        fprintf(f, ",q=\"%g\"} ", q[k]);   /* "quantile" is reserved for summaries */
        num(f, (b ? st->pct_hi_ns[qk[k]] : st->pct_lo_ns[qk[k]]) / 1e9);
        fputc('\n', f);
      }
    }
  }
}

static void write_zones(const fathom_profile *p, FILE *f) {
  static const struct {
    const char *name, *help;
    int what;
  } fam[] = {
      {"fathom_zone_calls_total", "Zone calls recorded.", 0},
      {"fathom_zone_seconds_total", "Time spent in the zone, nested zones included.", 1},
      {"fathom_zone_self_seconds_total", "Time spent in the zone's own code.", 2},
  };
  for (size_t k = 0; k < sizeof fam / sizeof fam[0]; k++) {
    family(f, fam[k].name, "counter", fam[k].help);
    for (uint32_t i = 0; i < p->n_zones; i++) {
      const fathom_stats *st = &p->zones[i].stats;
      fputs(fam[k].name, f);
      zone_labels(f, &p->zones[i]);
      fputs("} ", f);
      if (fam[k].what == 0) fprintf(f, "%llu", (unsigned long long)st->count);
      else num(f, (double)(fam[k].what == 1 ? st->total_ns : st->self_ns) / 1e9);
      fputc('\n', f);
    }
  }
  static const double q[] = {0.5, 0.9, 0.99};
  family(f, "fathom_zone_duration_seconds", "summary", "Duration of one zone call.");
  for (uint32_t i = 0; i < p->n_zones; i++) {
    const fathom_stats *st = &p->zones[i].stats;
    const double v[] = {st->p50_ns, st->p90_ns, st->p99_ns};
    int timed = st->count > 0;
    for (size_t k = 0; k < 3; k++) {
      fputs("fathom_zone_duration_seconds", f);
      zone_labels(f, &p->zones[i]);
      fprintf(f, ",quantile=\"%g\"} ", q[k]);
      num(f, timed ? v[k] / 1e9 : NAN);
      fputc('\n', f);
    }
    fputs("fathom_zone_duration_seconds_sum", f);
    zone_labels(f, &p->zones[i]);
    fputs("} ", f);
    num(f, (double)st->total_ns / 1e9);
    fputs("\nfathom_zone_duration_seconds_count", f);
    zone_labels(f, &p->zones[i]);
    fprintf(f, "} %llu\n", (unsigned long long)st->count);
  }
  family(f, "fathom_zone_max_seconds", "gauge",
         "Longest zone call (of the timed calls where timing was sampled: the true longest is at "
         "least this).");
  for (uint32_t i = 0; i < p->n_zones; i++) {
    fputs("fathom_zone_max_seconds", f);
    zone_labels(f, &p->zones[i]);
    fputs("} ", f);
    num(f, (double)p->zones[i].stats.max_ns / 1e9);
    fputc('\n', f);
  }
  write_estimates(p, f);
}

/* User counters, gauges and sizes: one family per kind, the user's name as the label
 * "name", so any name (dots, camelCase, unit-like words) gives a valid, lint-clean metric. A
 * (kind, name) pair seen twice keeps its first sample (label sets must be unique). */
static void write_user(const fathom_profile *p, FILE *f) {
  static const struct {
    fathom_metric_kind kind;
    const char *name, *type, *help;
  } fam[] = {
      {FATHOM_METRIC_COUNTER, "fathom_metric_total", "counter", "fathom counters (sum)."},
      {FATHOM_METRIC_GAUGE, "fathom_metric_value", "gauge", "fathom gauges (last value set)."},
      {FATHOM_METRIC_SIZE, "fathom_metric_size_bytes", "gauge",
       "fathom recorded sizes (last sample)."},
  };
  for (size_t k = 0; k < sizeof fam / sizeof fam[0]; k++) {
    int any = 0;
    for (uint32_t i = 0; i < p->n_counters; i++) {
      const fathom_counter_info *c = &p->counters[i];
      if (c->kind != fam[k].kind) continue;
      uint32_t j = 0;
      while (j < i && !(p->counters[j].kind == c->kind && p->counters[j].name && c->name &&
                        strcmp(p->counters[j].name, c->name) == 0))
        j++;
      if (j < i) continue;
      if (!any++) family(f, fam[k].name, fam[k].type, fam[k].help);
      fprintf(f, "%s{name=\"", fam[k].name);
      esc(f, c->name, 1);
      fputs("\"} ", f);
      num(f, c->value);
      fputc('\n', f);
    }
  }
}

/* Rolling windows (fathom_window_enable): per window, its calls, rate and exact percentiles
 * over the window's calls (NaN while it is empty). */
static void write_windows(const fathom_profile *p, FILE *f) {
  if (!p->n_windows || !p->windows) return;
  static const struct { const char *name, *help; int k; } fam[] = {
      {"fathom_window_calls", "Calls in the zone's rolling window.", 0},
      {"fathom_window_seconds", "Time the rolling window covers.", 1},
      {"fathom_window_rate_per_second", "Calls per second over the rolling window.", 2},
      {"fathom_window_p50_seconds", "Median duration over the rolling window (exact).", 3},
      {"fathom_window_p95_seconds", "95th percentile over the rolling window (exact).", 4},
      {"fathom_window_p99_seconds", "99th percentile over the rolling window (exact).", 5},
      {"fathom_window_truncated", "1 when the time window held more calls than fit.", 6}};
  for (size_t k = 0; k < sizeof fam / sizeof fam[0]; k++) {
    family(f, fam[k].name, "gauge", fam[k].help);
    for (uint32_t i = 0; i < p->n_windows; i++) {
      const fathom_window *w = &p->windows[i].w;
      const double v[] = {(double)w->calls, w->seconds, w->rate_per_s, w->p50_ns / 1e9,
                          w->p95_ns / 1e9, w->p99_ns / 1e9, w->truncated};
      fprintf(f, "%s{zone=\"", fam[k].name);
      esc(f, p->windows[i].name, 1);
      fputs("\"} ", f);
      num(f, v[fam[k].k]);
      fputc('\n', f);
    }
  }
}

/* Extensions (fathom_ext.h): per zone and metric the inclusive and self figures (estimates
 * where their standard error, given beside them, is not 0), the calls read, and each
 * metric's last sampled value. Families only when some zone has a reading. */
static void ext_labels(FILE *f, const fathom_ext_info *x, const fathom_zone_info *z,
                       const char *metric) {
  fputs("{extension=\"", f);
  esc(f, x->name, 1);
  if (metric) {
    fputs("\",metric=\"", f);
    esc(f, metric, 1);
  }
  if (z) {
    fputs("\",zone=\"", f);
    esc(f, z->name, 1);
    fputs("\",component=\"", f);
    esc(f, z->component ? z->component : "default", 1);
  }
  fputs("\"} ", f);
}

static void write_ext(const fathom_profile *p, FILE *f) {
  static const struct { const char *name, *type, *help; } fam[] = {
      {"fathom_ext_inclusive", "gauge", "Extension metric over the zone's calls, nested zones "
       "included (an estimate where fathom_ext_inclusive_se is above 0)."},
      {"fathom_ext_self", "gauge", "Extension metric over the zone's own code (inclusive less "
       "the nested zones')."},
      {"fathom_ext_inclusive_se", "gauge", "Standard error of fathom_ext_inclusive (0: exact)."},
      {"fathom_ext_calls_read_total", "counter", "Zone calls whose extension readings were "
       "taken."},
  };
  if (!p->n_exts || !p->exts || !p->n_ext_metrics) return;
  for (size_t k = 0; k < sizeof fam / sizeof fam[0]; k++) {
    int any = 0;
    for (uint32_t e = 0; e < p->n_exts; e++) {
      const fathom_ext_info *x = &p->exts[e];
      for (uint32_t z = 0; z < p->n_zones; z++) {
        const fathom_zone_info *zi = &p->zones[z];
        uint32_t nm = k == 3 ? 1 : x->n_metrics;
        for (uint32_t m = 0; zi->ext && m < nm; m++) {
          const fathom_ext_value *v = &zi->ext[x->first + m];
          if (!v->samples) continue;
          if (!any++) family(f, fam[k].name, fam[k].type, fam[k].help);
          fputs(fam[k].name, f);
          ext_labels(f, x, zi, k == 3 ? NULL : x->metrics[m].name);
          num(f, k == 0 ? v->total : k == 1 ? v->self : k == 2 ? v->total_se
                                                                : (double)v->samples);
          fputc('\n', f);
        }
      }
    }
  }
  int any = 0;
  for (uint32_t e = 0; e < p->n_exts; e++) {
    const fathom_ext_info *x = &p->exts[e];
    const fathom_series *se = &x->series;
    if (!se->n || !se->v) continue;
    for (uint32_t m = 0; m < se->n_cols && m < x->n_metrics; m++) {
      if (!any++)
        family(f, "fathom_ext_sample_value", "gauge",
               "Extension metric's last value read on fathom's background tick.");
      fputs("fathom_ext_sample_value", f);
      ext_labels(f, x, NULL, x->metrics[m].name);
      num(f, se->v[(se->n - 1) * se->n_cols + m]);
      fputc('\n', f);
    }
  }
}

/* One gauge or counter without labels. */
static void single(FILE *f, const char *name, const char *type, const char *help, double v) {
  family(f, name, type, help);
  fputs(name, f);
  fputc(' ', f);
  num(f, v);
  fputc('\n', f);
}

/* The fixed costs in seconds: fixed_cost_ns, else the parts the profile has. */
static double fixed_cost_s(const fathom_meta *m) {
  if (isfinite(m->fixed_cost_ns) && m->fixed_cost_ns > 0) return m->fixed_cost_ns / 1e9;
  double s = 0;
  const double part[] = {m->setup_ns, m->monitor_cpu_ns, m->build_ns};
  for (size_t k = 0; k < sizeof part / sizeof part[0]; k++)
    if (isfinite(part[k]) && part[k] > 0) s += part[k];
  return s / 1e9;
}

static void write_session(const fathom_profile *p, FILE *f, double rss, double cpu_s) {
  const fathom_meta *m = &p->meta;
  single(f, "fathom_session_duration_seconds", "gauge", "Time since the session began.",
         (double)m->duration_ns / 1e9);
  single(f, "fathom_overhead_ratio", "gauge",
         "Estimated cost of the zones over the process CPU time (percent / 100); fathom's fixed "
         "costs are apart (fathom_fixed_cost_seconds).",
         m->overhead_pct / 100);
  single(f, "fathom_fixed_cost_seconds", "gauge",
         "fathom's fixed costs: session set-up, its background thread, building the model.",
         fixed_cost_s(m));
  single(f, "fathom_zone_calls_all_total", "counter", "Zone calls recorded, every zone.",
         (double)m->n_zones);
  single(f, "fathom_dropped_zones_total", "counter",
         "Zone calls not recorded because a cap was reached.", (double)m->dropped_zones);
  single(f, "fathom_dropped_events_total", "counter",
         "Timeline events lost to full rings or the event cap.", (double)m->dropped_events);
  single(f, "fathom_misuse_total", "counter", "API misuse events (wrong thread, double end).",
         (double)m->misuse);
  single(f, "fathom_memory_bytes", "gauge", "Memory fathom holds for the session.",
         (double)m->fathom_bytes);
  single(f, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
         isnan(rss) ? p->res.rss_final_bytes : rss);
  single(f, "process_cpu_seconds_total", "counter",
         "Total user and system CPU time spent in seconds.",
         isnan(cpu_s) ? m->cpu_time_ns / 1e9 : cpu_s);
}

int fz_prom_write(const fathom_profile *p, FILE *f, double rss_bytes, double cpu_s) {
  if (!p || !f) return FATHOM_E_INVAL;
  locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);   /* the static C locale: no allocation */
  locale_t prev = c ? uselocale(c) : (locale_t)0;
  write_zones(p, f);
  write_user(p, f);
  write_windows(p, f);
  write_ext(p, f);
  int rc = 0;
  write_session(p, f, rss_bytes, cpu_s);
  if (c) {
    uselocale(prev);
    freelocale(c);
  }
  if (!rc && (fflush(f) != 0 || ferror(f))) rc = FATHOM_E_IO;
  return rc;
}

FATHOM_EXTERN int fathom_metrics_write(const fathom_profile *p, FILE *f) {
  return fz_prom_write(p, f, NAN, NAN);
}
