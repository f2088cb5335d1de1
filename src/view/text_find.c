/* view/text_find.c: the findings part of the text report: the ranked findings with their
 * figures and suggestions, the SLA checks (met, missed or not enough data; actual against
 * target, with its 95 % interval when estimated) and the throughput of zones and counters
 * (calls, mean, last window, peak).
 *
 * Invariant: like every section, these read only the model, print nothing for what it does
 * not hold, colour only through fz_on/fz_off, and clean every name and sentence taken from
 * the model (fz_clean), so a hostile string cannot inject escapes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/text.h"

#define FZ_FIND_SHOWN 20
#define FZ_TEXT_W 1200
#define FZ_SUM_W 600     /* characters of a summary shown */
#define FZ_SUG_W 1000    /* of a suggestion: a ready command line must not be cut */

static const char *sev_color(fathom_severity s) {
  return s == FATHOM_SEV_CRITICAL ? "1;31" : s == FATHOM_SEV_WARNING ? "33" : "2";
}

/* One figure as "name value unit" with durations and sizes scaled. */
static void fmt_figure(char *b, size_t cap, const fathom_figure *g) {
  char v[64], nm[64];
  const char *u = g->unit ? g->unit : "";
  fz_clean(nm, sizeof nm, g->name ? g->name : "?", 40);
  if (!isfinite(g->value)) snprintf(v, sizeof v, "-");
  else if (!strcmp(u, "ns")) fz_fmt_dur(v, sizeof v, g->value);
  else if (!strcmp(u, "bytes")) fz_fmt_bytes(v, sizeof v, g->value);
  else if (!strcmp(u, "%")) snprintf(v, sizeof v, "%.1f%%", g->value);
  else if (!strcmp(u, "ratio")) snprintf(v, sizeof v, "%.2fx", g->value);
  else {
    char n[40], uc[24];
    fz_fmt_num(n, sizeof n, g->value);
    fz_clean(uc, sizeof uc, u, 16);
    snprintf(v, sizeof v, "%s%s%s", n, *uc ? " " : "", uc);
  }
  snprintf(b, cap, "%s %s", nm, v);
}

static size_t maxw(size_t a, size_t b) { return a > b ? a : b; }

static void pad(FILE *f, size_t n) {
  while (n--) fputc(' ', f);
}

static int findings(const fz_tx *tx, const fathom_profile *p) {
  if (!p->n_findings) return 0;
  char title[64];
  snprintf(title, sizeof title, "Findings (%u, most important first)", p->n_findings);
  fz_section(tx, title);
  uint32_t shown = p->n_findings < FZ_FIND_SHOWN ? p->n_findings : FZ_FIND_SHOWN;
  size_t wr = 1, ws = 8, wc = 5, wp = 4;
  char buf[FZ_TEXT_W];
  for (uint32_t i = 0; i < shown; i++) {
    const fathom_finding *d = &p->findings[i];
    snprintf(buf, sizeof buf, "%u", d->rank);
    wr = maxw(wr, strlen(buf));
    const char *cn = fathom_finding_class_name((int)d->cls);
    wc = maxw(wc, strlen(cn ? cn : "?"));
    fz_clean(buf, sizeof buf, d->path && *d->path ? d->path : "(session)", 48);
    wp = maxw(wp, fz_dwidth(buf));
  }
  FILE *f = tx->f;
  for (uint32_t i = 0; i < shown; i++) {
    const fathom_finding *d = &p->findings[i];
    const char *sv = fathom_severity_name((int)d->severity);
    const char *cn = fathom_finding_class_name((int)d->cls);
    char rank[16], path[FZ_TEXT_W], sum[FZ_TEXT_W];
    snprintf(rank, sizeof rank, "%u", d->rank);
    fz_clean(path, sizeof path, d->path && *d->path ? d->path : "(session)", 48);
    fz_clean(sum, sizeof sum, d->summary ? d->summary : "", FZ_SUM_W);
    fputs("  ", f);
    pad(f, wr - strlen(rank));
    fputs(rank, f);
    fputs("  ", f);
    fz_on(tx, sev_color(d->severity));
    fputs(sv ? sv : "?", f);
    fz_off(tx);
    pad(f, ws - strlen(sv ? sv : "?") + 2);
    fputs(cn ? cn : "?", f);
    pad(f, wc - strlen(cn ? cn : "?") + 2);
    fz_on(tx, "1");
    fputs(path, f);
    fz_off(tx);
    pad(f, wp - fz_dwidth(path) + 2);
    fputs(sum, f);
    fputc('\n', f);
    size_t indent = 2 + wr + 2;
    if (d->n_figures) {
      pad(f, indent);
      fz_on(tx, "2");
      fputs("figures: ", f);
      for (uint32_t k = 0; k < d->n_figures; k++) {
        fmt_figure(buf, sizeof buf, &d->figures[k]);
        fprintf(f, "%s%s", k ? ", " : "", buf);
      }
      fz_off(tx);
      fputc('\n', f);
    }
    for (uint32_t k = 0; k < d->n_suggestions; k++) {
      fz_clean(sum, sizeof sum, d->suggestions[k] ? d->suggestions[k] : "", FZ_SUG_W);
      pad(f, indent);
      fprintf(f, "- %s\n", sum);
    }
  }
  fz_more(tx, p->n_findings - shown, "findings");
  return 0;
}

static int slas(const fz_tx *tx, const fathom_profile *p) {
  if (!p->n_slas) return 0;
  fz_section(tx, "Latency SLAs");
  static const char *const head[] = {"zone", "percentile", "target", "actual", "calls", "status"};
  fz_tab t;
  fz_tab_init(&t, head, "lrrrrl");
  int unsure = 0;
  for (uint32_t i = 0; i < p->n_slas; i++) {
    const fathom_sla_result *s = &p->slas[i];
    char nm[160], q[32], tg[32], ac[96], c[64];
    fz_clean(nm, sizeof nm, s->zone_name ? s->zone_name : "?", FZ_NAME_W);
    snprintf(q, sizeof q, "p%g", s->percentile);
    fz_fmt_dur(tg, sizeof tg, s->target_ns);
    /* an estimated percentile comes with its 95 % interval, the calls with those timed */
    fz_fmt_interval(ac, sizeof ac, s->actual_ns, s->actual_lo_ns, s->actual_hi_ns);
    fz_fmt_calls(c, sizeof c, &(fathom_stats){.count = s->count, .timed = s->timed});
    const char *st = s->met == 1    ? "met"
                     : s->met == 0  ? "MISSED"
                     : s->met == -2 ? "not enough data"
                                    : "no calls";
    const char *cells[] = {nm, q, tg, ac, c, st};
    fz_tab_row(&t, cells);
    unsure |= s->met == -2;
  }
  int rc = fz_tab_print(tx, &t);
  if (unsure)
    fputs("  not enough data: too few timed calls, or the target inside the percentile's 95 %\n"
          "  interval (so the sample cannot tell met from missed)\n", tx->f);
  return rc;
}

int fz_text_findings(const fz_tx *tx, const fathom_profile *p) {
  int rc = findings(tx, p);
  if (!rc) rc = slas(tx, p);
  return rc;
}

static void rate(char *b, size_t cap, double v) {
  if (!isfinite(v)) snprintf(b, cap, "-");
  else if (fabs(v) < 999.5) snprintf(b, cap, "%.3g /s", v);
  else fz_fmt_si(b, cap, v, "/s");
}

/* A rate means something for a counter, or for a zone called FZ_TPUT_MIN_CALLS times or more
 * (the HTML report's rule): a zone called once in a run has a "rate" of 1 / the run. */
#define FZ_TPUT_MIN_CALLS 100
static int tput_meaningful(const fathom_throughput_info *r) {
  return r->kind == FATHOM_TPUT_COUNTER || r->calls >= FZ_TPUT_MIN_CALLS;
}

int fz_text_throughput(const fz_tx *tx, const fathom_profile *p) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < p->n_throughput; i++) n += tput_meaningful(&p->throughput[i]);
  if (!n) return 0;
  fz_section(tx, "Throughput (calls or counter units per second)");
  static const char *const head[] = {"zone or counter", "kind", "calls", "mean", "window",
                                     "last window", "peak window"};
  fz_tab t;
  fz_tab_init(&t, head, "llrrrrr");
  uint32_t shown = 0;
  for (uint32_t i = 0; i < p->n_throughput && shown < FZ_MAX_ROWS; i++) {
    const fathom_throughput_info *r = &p->throughput[i];
    if (!tput_meaningful(r)) continue;
    shown++;
    const char *name = "?";
    if (r->kind == FATHOM_TPUT_ZONE && r->index < p->n_zones) name = p->zones[r->index].name;
    if (r->kind == FATHOM_TPUT_COUNTER && r->index < p->n_counters)
      name = p->counters[r->index].name;
    char nm[160], m[40], w[40], l[40], pk[40], calls[64];
    fz_clean(nm, sizeof nm, name ? name : "?", FZ_NAME_W);
    /* zone: calls counted (and timed, when only some were); counter: updates */
    fz_fmt_calls(calls, sizeof calls, &(fathom_stats){.count = r->calls, .timed = r->timed});
    rate(m, sizeof m, r->mean_per_s);
    if (isfinite(r->window_s)) snprintf(w, sizeof w, "%g s", r->window_s);
    else snprintf(w, sizeof w, "-");
    rate(l, sizeof l, r->last_per_s);
    rate(pk, sizeof pk, r->peak_per_s);
    const char *cells[] = {nm, r->kind == FATHOM_TPUT_ZONE ? "zone" : "counter", calls, m, w, l,
                           pk};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  fz_more(tx, n - shown, "throughput rows");
  if (n < p->n_throughput) {
    char c[40];
    fz_fmt_count(c, sizeof c, p->n_throughput - n);
    fz_on(tx, "2");
    fprintf(tx->f, "  %s zone%s called fewer than %d times %s left out: a rate over so few calls "
                   "says nothing\n", c, p->n_throughput - n == 1 ? "" : "s", FZ_TPUT_MIN_CALLS,
            p->n_throughput - n == 1 ? "is" : "are");
    fz_off(tx);
  }
  return rc;
}
