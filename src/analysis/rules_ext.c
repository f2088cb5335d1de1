/* analysis/rules_ext.c: extensions (fathom_ext.h) in the findings.
 *   ext_threshold: a zone whose own figure per call (self: its code without the zones nested
 *     in it, so that the finding names where the metric grows, not every zone around it) of
 *     an extension's metric is above the threshold the extension gave for it: "zone X:
 *     metric M above T". An estimate must be above it with 95 % confidence (its figure less
 *     1.96 standard errors, per call).
 *     Severity: warning, critical from twice the threshold; score: how far above it (the
 *     figure's excess over the threshold in % of the figure).
 *   evidence: every finding about one zone (or one of its paths) lists the zone's extension
 *     metrics that were read: each as "<extension>.<metric>_per_call", its inclusive figure
 *     per call (with "_se" beside it when it is an estimate).
 *
 * Invariant: runs after every other rule (last in analyze.c's table), so that the evidence
 * reaches the findings of all of them; only reads the model. */
#include <math.h>
#include <stdio.h>

#include "analysis/analysis.h"
#include "model/estimates.h"

static void metric_name(char *b, size_t cap, const fathom_ext_info *x, uint32_t k, const char *sfx) {
  snprintf(b, cap, "%.40s.%.40s%s", x->name, x->metrics[k].name, sfx);
}

static void evidence(fz_actx *a, fathom_finding *f) {
  const fathom_profile *p = a->p;
  if (f->zone >= p->n_zones || !p->zones[f->zone].ext) return;
  const fathom_zone_info *zi = &p->zones[f->zone];
  double calls = (double)zi->stats.count;
  if (!(calls > 0)) return;
  for (uint32_t e = 0; e < p->n_exts; e++) {
    const fathom_ext_info *x = &p->exts[e];
    for (uint32_t k = 0; k < x->n_metrics; k++) {
      const fathom_ext_value *v = &zi->ext[x->first + k];
      if (!v->samples) continue;
      char nm[96];
      metric_name(nm, sizeof nm, x, k, "_per_call");
      fz_fa_fig(a->fa, f, nm, v->total / calls, x->metrics[k].unit ? x->metrics[k].unit : "");
      if (v->total_se > 0) {
        metric_name(nm, sizeof nm, x, k, "_per_call_se");
        fz_fa_fig(a->fa, f, nm, v->total_se / calls, x->metrics[k].unit ? x->metrics[k].unit : "");
      }
    }
  }
}

static void threshold(fz_actx *a, uint32_t z, const fathom_ext_info *x, uint32_t k) {
  const fathom_zone_info *zi = &a->p->zones[z];
  const fathom_ext_metric_info *m = &x->metrics[k];
  const fathom_ext_value *v = &zi->ext[x->first + k];
  double calls = (double)zi->stats.count, th = m->threshold;
  if (!v->samples || !(calls > 0) || !isfinite(th)) return;
  double per = v->self / calls, lo = (v->self - FZ_Z95 * v->self_se) / calls;
  if (!(lo > th)) return;
  fathom_severity sev = per >= 2 * th && th > 0 ? FATHOM_SEV_CRITICAL : FATHOM_SEV_WARNING;
  double score = per > 0 ? fmin(100, 100 * (per - th) / per) : 0;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_EXT_THRESHOLD, sev, score, z, FATHOM_NONE,
                                zi->name);
  if (!f) return;
  const char *u = m->unit && m->unit[0] ? m->unit : "";
  fz_fa_sum(a->fa, f, "%s: %s.%s above %g%s%s per call: %s%g%s%s per call in its own code "
            "over %llu calls", zi->name, x->name, m->name, th, *u ? " " : "", u,
            v->self_se > 0 ? "~" : "", per, *u ? " " : "", u,
            (unsigned long long)zi->stats.count);
  fz_fa_fig(a->fa, f, "threshold", th, u);
  fz_fa_sug(a->fa, f, "Look at what this zone's own code does that adds to %s's %s: its "
            "figure per call is the extension's self column over its calls", x->name, m->name);
}

int fz_rule_ext(fz_actx *a) {
  const fathom_profile *p = a->p;
  if (!p->n_exts || !p->exts || !p->n_ext_metrics) return 0;
  for (uint32_t z = 0; z < p->n_zones; z++) {
    if (!p->zones[z].ext) continue;
    for (uint32_t e = 0; e < p->n_exts; e++)
      for (uint32_t k = 0; k < p->exts[e].n_metrics; k++) threshold(a, z, &p->exts[e], k);
  }
  for (uint32_t i = 0; i < a->fa->n; i++) evidence(a, &a->fa->v[i]);
  return 0;
}
