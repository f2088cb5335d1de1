/* diff_json.c: the JSON view of `fathom diff` ("fathom_diff_version": 1, documented in
 * docs/diff.md).
 *
 * Invariant: the output is one valid JSON object whatever the profiles hold: strings are
 * escaped (controls as \u00XX, invalid UTF-8 bytes as U+FFFD), numbers that are not finite
 * are written as null, and numbers never depend on the locale (the tool never sets one). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "diff.h"

static void jstr(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    unsigned c = *p;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c == '\n') fputs("\\n", f);
    else if (c == '\t') fputs("\\t", f);
    else if (c < 0x20 || c == 0x7F) fprintf(f, "\\u%04x", c);
    else if (c < 0x80) fputc((int)c, f);
    else {   /* copy a well-formed UTF-8 sequence, replace anything else */
      int n = c >= 0xF0 && c < 0xF5 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : -1;
      int ok = n > 0;
      for (int k = 1; ok && k <= n; k++) ok = (p[k] & 0xC0) == 0x80;
      if (!ok) {
        fputs("\\ufffd", f);
        continue;
      }
      fwrite(p, 1, (size_t)n + 1, f);
      p += n;
    }
  }
  fputc('"', f);
}

static void jnum(FILE *f, double v) {
  if (!isfinite(v)) fputs("null", f);
  else if (v == floor(v) && fabs(v) < 9007199254740992.0) fprintf(f, "%.0f", v);
  else fprintf(f, "%.12g", v);
}

static void jkey(FILE *f, const char *k) {
  jstr(f, k);
  fputc(':', f);
}

static void jmetric(FILE *f, const dm *m) {
  fputs("{\"base\":", f);
  jnum(f, m->a);
  fputs(",\"new\":", f);
  jnum(f, m->b);
  fputs(",\"delta\":", f);
  jnum(f, m->b - m->a);
  fputs(",\"pct\":", f);
  jnum(f, dm_pct(m));
  fprintf(f, ",\"judgement\":\"%s\",\"beyond_noise\":%s,\"method\":\"%s\"", dj_name(m->judge),
          m->judge == DJ_BEYOND ? "true" : "false", dmethod_name(m->method));
  if (m->floored) fputs(",\"below_noise_floor\":true", f);
  if (m->method == DMETH_WELCH) {
    fputs(",\"t\":", f);
    jnum(f, m->t);
    fputs(",\"df\":", f);
    jnum(f, m->df);
    fputs(",\"p\":", f);
    jnum(f, m->p);
    if (!isnan(m->se_a) || !isnan(m->se_b)) {
      fputs(",\"se_base\":", f);
      jnum(f, m->se_a);
      fputs(",\"se_new\":", f);
      jnum(f, m->se_b);
    }
  } else if (m->method == DMETH_QUANTILE) {
    fputs(",\"interval_base\":[", f);
    jnum(f, m->lo_a);
    fputc(',', f);
    jnum(f, m->hi_a);
    fputs("],\"interval_new\":[", f);
    jnum(f, m->lo_b);
    fputc(',', f);
    jnum(f, m->hi_b);
    fputc(']', f);
  }
  fputc('}', f);
}

static const char *status_name(drow_status s) {
  return s == DROW_ADDED ? "added" : s == DROW_GONE ? "gone" : "compared";
}

static const char *change_name(dchange c) {
  return c == DCH_WORSE ? "regressed" : c == DCH_BETTER ? "improved" : "none";
}

static void jrow(FILE *f, const diff_result *r, const diff_row *w, int path) {
  fputc('{', f);
  if (path) {
    char buf[4096];
    diff_path_string(r, w, buf, sizeof buf);
    jkey(f, "path");
    jstr(f, buf);
    fputc(',', f);
  }
  jkey(f, "name");
  jstr(f, diff_row_name(r, w));
  fputc(',', f);
  jkey(f, "component");
  jstr(f, diff_row_comp(r, w));
  fprintf(f, ",\"status\":\"%s\",\"change\":\"%s\",\"gate_failed\":%s,\"share_pct\":",
          status_name(w->status), change_name(w->change), w->gated ? "true" : "false");
  jnum(f, w->share_pct);
  fputs(",\"own_time_delta_ns\":", f);
  jnum(f, w->impact_ns);
  fputs(",\"timed\":{\"base\":", f);
  jnum(f, w->ia != FATHOM_NONE ? (double)w->timed_a : NAN);
  fputs(",\"new\":", f);
  jnum(f, w->ib != FATHOM_NONE ? (double)w->timed_b : NAN);
  fputs("},\"metrics\":{", f);
  for (int k = 0; k < DM_N; k++) {
    if (k) fputc(',', f);
    jkey(f, dm_name(k));
    jmetric(f, &w->m[k]);
  }
  fputs("}}", f);
}

static void jside(FILE *f, const diff_side *s) {
  const fathom_meta *m = &s->p->meta;
  fputc('{', f);
  jkey(f, "file");
  jstr(f, s->file);
  fputc(',', f);
  jkey(f, "session_name");
  jstr(f, m->session_name);
  fputc(',', f);
  jkey(f, "program");
  jstr(f, m->program);
  fprintf(f, ",\"schema_version\":%d,\"level\":\"%s\",", m->schema_version,
          fathom_level_name(m->level));
  jkey(f, "clock_source");
  jstr(f, m->clock_source);
  fprintf(f, ",\"alloc_tracking\":%s,\"duration_ns\":", m->alloc_tracking ? "true" : "false");
  jnum(f, (double)m->duration_ns);
  fputs(",\"zone_time_ns\":", f);
  jnum(f, s->zone_time_ns);
  fputs(",\"n_zones\":", f);
  jnum(f, (double)s->p->n_zones);
  fputs(",\"zone_calls\":", f);
  jnum(f, (double)m->n_zones);
  fputs(",\"zone_calls_timed\":", f);
  jnum(f, (double)s->n_timed);
  fputc('}', f);
}

/* Rows of one status in the given order (ord NULL: every row of that status, table order). */
static void jrows(FILE *f, const diff_result *r, const diff_row *rows, uint32_t n,
                  const uint32_t *ord, drow_status st, int path) {
  int first = 1;
  fputc('[', f);
  for (uint32_t i = 0; i < n; i++) {
    const diff_row *w = ord ? &rows[ord[i]] : &rows[i];
    if (!ord && w->status != st) continue;
    if (!first) fputc(',', f);
    first = 0;
    fputc('\n', f);
    jrow(f, r, w, path);
  }
  fputc(']', f);
}

static void jtop(FILE *f, const diff_result *r, const uint32_t *top, uint32_t n) {
  fputc('[', f);
  for (uint32_t i = 0; i < n; i++) {
    const diff_row *w = &r->zones[top[i]];
    if (i) fputc(',', f);
    fputs("{\"name\":", f);
    jstr(f, diff_row_name(r, w));
    fputs(",\"component\":", f);
    jstr(f, diff_row_comp(r, w));
    fputs(",\"pct\":", f);
    jnum(f, w->gate_pct);
    fputs(",\"total_delta_ns\":", f);
    jnum(f, w->m[DM_TOTAL].b - w->m[DM_TOTAL].a);
    fputs(",\"own_time_delta_ns\":", f);
    jnum(f, w->impact_ns);
    fputs(",\"calls\":{\"base\":", f);
    jnum(f, w->m[DM_CALLS].a);
    fputs(",\"new\":", f);
    jnum(f, w->m[DM_CALLS].b);
    fprintf(f, "},\"gate_failed\":%s}", w->gated ? "true" : "false");
  }
  fputc(']', f);
}

static void joptions(FILE *f, const diff_result *r) {
  static const char *const sorts[] = {"impact", "pct", "total", "mean", "calls", "name"};
  const diff_opts *o = &r->opt;
  fputs("{\"sigma\":", f);
  jnum(f, o->sigma);
  fputs(",\"fail_on_regression_pct\":", f);
  jnum(f, o->fail_pct >= 0 ? o->fail_pct : NAN);
  fprintf(f, ",\"fail_metric\":\"%s\",\"min_share_pct\":", dm_name(o->fail_metric));
  jnum(f, o->min_share_pct);
  fputs(",\"noise_floor_pct\":", f);
  jnum(f, o->floor_pct);
  fputs(",\"noise_floor_ns\":", f);
  jnum(f, r->floor_ns);
  fputs(",\"cpu_noise_floor_ns\":", f);
  jnum(f, r->cpu_ok ? r->cpu_floor_ns : NAN);
  fprintf(f, ",\"cpu_samples_compared\":%s,\"cpu_dispersion\":", r->cpu_ok ? "true" : "false");
  jnum(f, r->cpu_ok ? r->cpu_disp : NAN);
  fprintf(f, ",\"top\":%u,\"sort\":\"%s\"}", o->top, sorts[o->sort]);
}

int diff_write_json(const diff_result *r, FILE *f) {
  errno = 0;
  fputs("{\"fathom_diff_version\":1,\n\"base\":", f);
  jside(f, &r->a);
  fputs(",\n\"new\":", f);
  jside(f, &r->b);
  fputs(",\n\"options\":", f);
  joptions(f, r);
  fprintf(f, ",\n\"comparable\":{\"timing\":%s,\"allocations\":%s},\n\"notes\":[",
          r->timing_ok ? "true" : "false", r->alloc_ok ? "true" : "false");
  for (uint32_t i = 0; i < r->n_notes; i++) {
    if (i) fputc(',', f);
    jstr(f, r->notes[i]);
  }
  fputs("],\n\"summary\":{\"wall_ns\":", f);
  jmetric(f, &r->wall);
  fputs(",\"zone_time_ns\":", f);
  jmetric(f, &r->zone_time);
  fputs(",\"cpu_time_ns\":", f);
  jmetric(f, &r->cpu);
  fputs(",\"sampled_cpu_ns\":", f);
  jmetric(f, &r->run_cpu);
  fprintf(f, ",\"compared\":%u,\"regressed\":%u,\"improved\":%u,\"unchanged\":%u,"
          "\"below_min_share\":%u,\"added\":%u,\"gone\":%u,\"hidden\":%u,"
          "\"gate_failures\":%u},\n",
          r->n_worse + r->n_better + r->n_unchanged + r->n_small, r->n_worse, r->n_better,
          r->n_unchanged, r->n_small, r->n_added, r->n_gone, r->n_zhidden, r->n_gated);
  fprintf(f, "\"verdict\":{\"status\":\"%s\",\"gate\":\"%s\",\"line\":", r->status,
          r->opt.fail_pct < 0 ? "off" : diff_failed(r) ? "fail" : "pass");
  jstr(f, r->verdict);
  /* sampled profiles: the run's sampled CPU time (summary.sampled_cpu_ns) is judged too */
  fputs(",\"run_cpu\":", f);
  if (r->run_judged)
    fprintf(f, "{\"change\":\"%s\",\"gate_failed\":%s}", change_name(r->run_change),
            r->run_gated ? "true" : "false");
  else
    fputs("null", f);
  fputs("},\n\"top_regressions\":", f);
  jtop(f, r, r->top_worse, r->n_top_worse);
  fputs(",\n\"top_improvements\":", f);
  jtop(f, r, r->top_better, r->n_top_better);
  fputs(",\n\"zones\":", f);
  jrows(f, r, r->zones, r->n_zshown, r->zord, DROW_BOTH, 0);
  fputs(",\n\"added\":", f);
  jrows(f, r, r->zones, r->n_zones, NULL, DROW_ADDED, 0);
  fputs(",\n\"gone\":", f);
  jrows(f, r, r->zones, r->n_zones, NULL, DROW_GONE, 0);
  fputs(",\n\"paths\":", f);
  jrows(f, r, r->paths, r->n_pshown, r->pord, DROW_BOTH, 1);
  fputs(",\n\"paths_added\":", f);
  jrows(f, r, r->paths, r->n_paths, NULL, DROW_ADDED, 1);
  fputs(",\n\"paths_gone\":", f);
  jrows(f, r, r->paths, r->n_paths, NULL, DROW_GONE, 1);
  fputs("}\n", f);
  return ferror(f) ? FATHOM_E_IO : 0;
}
