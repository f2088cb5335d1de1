/* efficiency.c: fathom_efficiency — the subjects of a group of outcome events (strategies,
 * components, analyzers) ranked by outcome per unit of cost.
 *
 * For one subject with k events of outcome o_i and cost c_i: the efficiency is the ratio of
 * the sums R = sum(o) / sum(c) (what it gained per second, or per MiB, over all its events),
 * with the delta method's standard error sqrt(sum((o_i - R c_i)^2) / (k (k - 1))) / mean(c);
 * the mean outcome per event carries its own standard error. Adjacent subjects in the
 * ranking are compared by the difference of their efficiencies over its standard error
 * (Student's t, the smaller k's degrees of freedom); p >= 0.05 shares the rank.
 *
 * Invariant: a pure function of the profile; rows point into it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"
#include "util/tdist.h"

typedef struct subj {
  const char *name;
  fz_acc o;                     /* outcomes */
  double cost;                  /* summed */
  double *oc;                   /* (o, c) pairs, for the ratio's error */
  uint32_t n, cap;
} subj;

static int find_outcome(const fathom_outcome_event_info *e, const char *name, double *v) {
  for (uint32_t k = 0; k < e->n_outcomes && k < FATHOM_OUTCOMES_MAX; k++)
    if (e->outcome_name[k] && !strcmp(e->outcome_name[k], name)) {
      *v = e->outcome[k];
      return 1;
    }
  return 0;
}

static int by_eff(const void *a, const void *b) {
  const fathom_efficiency_row *x = a, *y = b;
  double p = isfinite(x->per_unit) ? x->per_unit : -INFINITY;
  double q = isfinite(y->per_unit) ? y->per_unit : -INFINITY;
  if (p != q) return p > q ? -1 : 1;
  return strcmp(x->subject, y->subject);
}

static double diff_p(const fathom_efficiency_row *a, const fathom_efficiency_row *b) {
  double se = hypot(a->per_unit_se, b->per_unit_se);
  uint32_t k = a->events < b->events ? a->events : b->events;
  if (!isfinite(se) || k < 2) return NAN;
  if (se == 0) return a->per_unit == b->per_unit ? 1 : 0;
  return fz_t_pvalue((a->per_unit - b->per_unit) / se, k - 1);
}

FATHOM_EXTERN int fathom_efficiency(const fathom_profile *p, const char *group,
                                    const char *outcome, const char *cost,
                                    fathom_efficiency_row *rows, uint32_t cap, uint32_t *n) {
  if (n) *n = 0;
  if (!p || !group || !outcome || !cost || !n || (cap && !rows)) return FATHOM_E_INVAL;
  int mem = !strcmp(cost, "memory");
  if (!mem && strcmp(cost, "time")) return FATHOM_E_INVAL;
  double unit = mem ? 1048576.0 : 1e9;   /* per MiB, per second */
  subj *s = NULL;
  uint32_t ns = 0, cs = 0;
  int rc = 0;
  for (uint32_t i = 0; i < p->n_outcome_events && p->outcome_events && !rc; i++) {
    const fathom_outcome_event_info *e = &p->outcome_events[i];
    double o, c = mem ? e->bytes : e->time_ns;
    if (!e->group || strcmp(e->group, group) || !e->subject || !find_outcome(e, outcome, &o) ||
        !isfinite(c) || c < 0)
      continue;
    uint32_t j = 0;
    while (j < ns && strcmp(s[j].name, e->subject)) j++;
    if (j == ns) {
      if (ns == cs) {
        uint32_t nc = cs ? cs * 2 : 8;
        subj *t = realloc(s, nc * sizeof *t);
        if (!t) {
          rc = FATHOM_E_NOMEM;
          break;
        }
        s = t;
        cs = nc;
      }
      memset(&s[ns], 0, sizeof s[ns]);
      s[ns++].name = e->subject;
    }
    subj *x = &s[j];
    if (x->n == x->cap) {
      uint32_t nc = x->cap ? x->cap * 2 : 16;
      double *t = realloc(x->oc, (size_t)nc * 2 * sizeof *t);
      if (!t) {
        rc = FATHOM_E_NOMEM;
        break;
      }
      x->oc = t;
      x->cap = nc;
    }
    x->oc[2 * x->n] = o;
    x->oc[2 * x->n + 1] = c;
    x->n++;
    fz_acc_add(&x->o, o);
    x->cost += c;
  }
  fathom_efficiency_row *all = !rc && ns ? calloc(ns, sizeof *all) : NULL;
  if (ns && !all) rc = FATHOM_E_NOMEM;
  for (uint32_t j = 0; j < ns && !rc; j++) {
    subj *x = &s[j];
    fathom_efficiency_row r = {0};
    r.subject = x->name;
    r.events = x->n;
    r.mean = fz_acc_mean(&x->o);
    r.mean_se = x->n > 1 ? sqrt(fz_acc_var(&x->o) / x->n) : NAN;
    r.total = x->o.sum;
    r.cost = x->cost;
    double R = x->cost > 0 ? x->o.sum / x->cost : NAN;
    r.per_unit = R * unit;
    double ss = 0;
    for (uint32_t i = 0; i < x->n; i++) {
      double d = x->oc[2 * i] - R * x->oc[2 * i + 1];
      ss += d * d;
    }
    r.per_unit_se = x->n > 1 && x->cost > 0
                        ? sqrt(ss / ((double)x->n * (x->n - 1))) / (x->cost / x->n) * unit
                        : NAN;
    all[j] = r;
  }
  for (uint32_t j = 0; j < ns; j++) free(s[j].oc);
  free(s);
  if (rc) return rc;
  if (ns) qsort(all, ns, sizeof *all, by_eff);
  for (uint32_t j = 0; j < ns; j++) {
    double pv = j ? diff_p(&all[j - 1], &all[j]) : NAN;
    all[j].rank = j == 0 ? 1 : pv < 0.05 ? j + 1 : all[j - 1].rank;
  }
  if (ns && cap) memcpy(rows, all, (ns < cap ? ns : cap) * sizeof *all);
  free(all);
  *n = ns;
  return 0;
}
