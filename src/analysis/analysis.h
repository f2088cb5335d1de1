/* analysis.h: what the findings' files share (analysis/analyze.c: fathom_analyze, ranking and the
 * finding builder; analysis/thresholds.c: thresholds, their environment and spec;
 * analysis/rules_zone.c: the per-zone rules; analysis/rules_session.c: the per-path and
 * session-wide rules; analysis/sla.c:
 * SLA specs and checks, the live API).
 *
 * Invariant: rules only read the model and add findings through fz_fa_*, which never fail
 * visibly: out of memory sets fa->nomem and the finding is dropped, so fathom_analyze can
 * report FATHOM_E_NOMEM once and leave the model consistent. */
#ifndef FATHOM_ANALYSIS_H
#define FATHOM_ANALYSIS_H

#include "model/model.h"

#define FZ_FIND_MAX 256     /* findings kept per profile (the best ranked) */
#define FZ_FIND_RAW_MAX 4096 /* findings gathered before ranking */
#define FZ_SLA_MAX 64       /* SLAs per spec */

/* Findings under construction. */
typedef struct fz_fa {
  fathom_finding *v;
  uint32_t n, cap;
  int nomem;
} fz_fa;

/* Per-zone figures derived once for every rule (own = the zone's code without nested
 * zones, estimated for all calls from the probed ones). */
typedef struct fz_zx {
  int own_ok;              /* own CPU, wall and context switches are known */
  double own_cpu_pct;      /* own CPU / own wall over the probed calls, 0 to 100 */
  double own_cpu_ns, own_wall_ns, own_ctx_vol, own_ctx_invol, own_io_bytes, own_rss_bytes;
  int io_ok, rss_ok;
  double share_pct;        /* inclusive time / the session's time, at most 100 */
  double self_share_pct;   /* own time (stats.self_ns) / the session's time, at most 100 */
  int recursive;           /* some call of it is nested in another call of it */
  uint32_t under_rec;      /* 1 + the recursive zone that makes all its calls, at several
                              depths, with shorter calls deeper down (their work shrinks with
                              the depth), 0 when none */
  int thread_entry;        /* a function called once per thread, as the thread's outermost
                              zone (main, a worker loop): its time is that thread's life */
  /* Evidence that its own time is off the CPU where the probes did not measure it (BASIC):
   * FZ_WAIT_SAMPLED: the CPU sampler saw at most wait_cpu_hi_ns of CPU in its own code;
   * FZ_WAIT_BOUND: no sampler, and the whole process's CPU time is at most the waiting
   * threshold's share of its own time. 0: none (or its calls are too short, its own time an
   * estimate too loose, to tell). */
  int wait_ev;
  double wait_cpu_hi_ns;   /* an upper bound of its own CPU time (wait_ev != 0), fathom's
                              possible cost inside its own time counted as CPU */
  double kid_calls;        /* calls of other zones made directly from it */
  double fathom_in_ns;     /* how much of its own time may be fathom's hooks (its children's
                              enter and exit, its own calls' part inside their interval), the
                              calibrated cost scaled by measured / calibrated overhead */
} fz_zx;

#define FZ_WAIT_SAMPLED 1
#define FZ_WAIT_BOUND 2
#define FZ_SHORT_X 10.0      /* a call shorter than 10 x what fathom costs per call is "short":
                                its figures are mostly fathom's cost */

/* What one timed call of zone zi costs (its hooks' for a function), 0 when not calibrated. */
double fz_call_cost(const fathom_meta *m, const fathom_zone_info *zi);

typedef struct fz_actx {
  const fathom_profile *p;
  const fathom_thresholds *t;
  double time_ns;          /* the session's time: top-level zone time of every thread, raised
                              to the sum of every node's own time (or the largest zone
                              total) when those exceed it, so no share passes 100 % */
  double top_ns;           /* the threads' top-level zone time as recorded */
  double cpu_ns;           /* the process's CPU time (meta.cpu_time_ns; 0 when unknown) */
  fz_zx *zx;               /* one per zone */
  fz_fa *fa;
} fz_actx;

/* Adds a finding (path copied; NULL = ""). NULL when out of memory or at the cap. */
fathom_finding *fz_fa_new(fz_fa *fa, fathom_finding_class cls, fathom_severity sev,
                          double score, uint32_t zone, uint32_t node, const char *path);
void fz_fa_fig(fz_fa *fa, fathom_finding *f, const char *name, double v, const char *unit);
__attribute__((format(printf, 3, 4)))
void fz_fa_sum(fz_fa *fa, fathom_finding *f, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void fz_fa_sug(fz_fa *fa, fathom_finding *f, const char *fmt, ...);
void fz_finding_free(fathom_finding *f);
void fz_findings_free(fathom_finding *v, uint32_t n);
void fz_slas_free(fathom_sla_result *v, uint32_t n);

/* Calls whose duration was measured: stats.timed, or count where timed is 0 (every call)
 * or out of range. */
static inline uint64_t fz_timed_of(const fathom_stats *st) {
  return st->timed && st->timed <= st->count ? st->timed : st->count;
}
/* 100 * part / whole clamped to [0, 100]; 0 when whole is not positive. */
double fz_share_pct(double part, double whole);

/* 100 * (1 - threshold / value): how far over its threshold a value is, in [0, 100). */
double fz_excess_score(double value, double threshold);

/* Thresholds for a zone's component: the global ones with the component's overrides. */
typedef struct fz_zthr {
  double cpu_ms, memory_mb, io_mb, gpu_memory_mb;
  const char *component;   /* the override's name, or NULL when none applied */
} fz_zthr;
void fz_thr_for(const fathom_thresholds *t, const char *component, fz_zthr *out);
/* Kind of a component for suggestions: 1 data loading, 2 preprocessing, 0 other. */
int fz_comp_kind(const char *component);

/* The rules: each adds what it finds to a->fa. A zone rule looks at one zone (every zone
 * with calls, in turn); a session rule at the whole profile and returns 0 or
 * FATHOM_E_NOMEM. They run in the order of the tables in analyze.c (a third lists the zone
 * rules that also judge stack-sampled zones, whose calls were not counted); adding a rule is
 * its function in a file of its own, declared here, and one entry in its table. */
typedef void (*fz_zone_rule)(fz_actx *a, uint32_t z);
typedef int (*fz_session_rule)(fz_actx *a);
/* analysis/rules_zone.c */
void fz_rule_slow(fz_actx *a, uint32_t z);
void fz_rule_cpu_bound(fz_actx *a, uint32_t z);
void fz_rule_waiting(fz_actx *a, uint32_t z);
void fz_rule_io(fz_actx *a, uint32_t z);
void fz_rule_memory(fz_actx *a, uint32_t z);
void fz_rule_churn(fz_actx *a, uint32_t z);
void fz_rule_tail(fz_actx *a, uint32_t z);
void fz_rule_hot(fz_actx *a, uint32_t z);
/* analysis/rules_session.c */
int fz_rule_leak(fz_actx *a);
int fz_rule_imbalance(fz_actx *a);
int fz_rule_gpu_memory(fz_actx *a);
int fz_rule_gpu_idle(fz_actx *a);
int fz_rule_overhead(fz_actx *a);
int fz_rule_sla(fz_actx *a);
/* analysis/rules_sql.c */
int fz_rule_slow_query(fz_actx *a);
int fz_rule_locks(fz_actx *a);   /* analysis/rules_locks.c */
int fz_rule_slow_endpoint(fz_actx *a);   /* analysis/rules_net.c */
int fz_rule_ext(fz_actx *a);     /* analysis/rules_ext.c: last (evidence for every finding) */

/* Validates an SLA spec (nothing else). 0 or FATHOM_E_INVAL with a message in err. */
int fz_sla_validate(const char *spec, char *err, size_t errlen);
/* At session end (session.c): checks c->sla and runs fathom_analyze(p, c->thresholds);
 * problems go to stderr, the profile is kept whatever happens. */
void fz_session_findings(fathom_profile *p, const fathom_config *c);
/* Checks one SLA ("zone:pQ<=target") against p: r filled as fathom_sla_check_profile fills
 * each result (zone_name not touched); 0 or FATHOM_E_NOMEM. */
int fz_sla_check_zone(const fathom_profile *p, const char *zone, double percentile,
                      double target_ns, fathom_sla_result *r);

#endif
