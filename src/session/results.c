/* session/results.c: what a program reports about its experiments, kept by the running
 * session and handed to every model it builds: optimisation attempts (fathom_attempt, each
 * judged at once: model/attempts.c), rankings of variants (fathom_variants_rank in
 * work/variants.c calls fz_ranking_add) and outcome events (fathom_outcome_event).
 *
 * Invariant: at most FZ_ATTEMPTS_MAX attempts, FZ_RANKINGS_MAX rankings and FZ_EVENTS_MAX
 * events a session, kept
 * under their own lock, which is taken inside fz_g.lock (model builds) and never the other
 * way round; a new session starts with none. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/attempts.h"
#include "record/record.h"
#include "session/session.h"

#define FZ_ATTEMPTS_MAX 4096
#define FZ_RANKINGS_MAX 256
#define FZ_EVENTS_MAX 65536

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static fathom_attempt_info *list;
static uint32_t n_list, cap_list;
static uint64_t gen_of_list, over;
static fathom_ranking_info *ranks;
static uint32_t n_ranks;
static fathom_outcome_event_info *evs;
static uint32_t n_evs, cap_evs;
static uint64_t evs_dropped;

static void event_free(fathom_outcome_event_info *e) {
  free(e->group);
  free(e->subject);
  free(e->kind);
  free(e->attrs);
  for (uint32_t k = 0; k < e->n_outcomes; k++) free(e->outcome_name[k]);
  memset(e, 0, sizeof *e);
}

static void ranking_free(fathom_ranking_info *r) {
  free(r->name);
  for (uint32_t k = 0; k < r->n && r->e; k++) free(r->e[k].variant);
  free(r->e);
  memset(r, 0, sizeof *r);
}

/* The list belongs to session generation g: a list of an older session is dropped. */
static void own(uint32_t g) {
  if (gen_of_list == g) return;
  for (uint32_t i = 0; i < n_list; i++) {
    free(list[i].name);
    free(list[i].metric);
  }
  n_list = 0;
  over = 0;
  for (uint32_t i = 0; i < n_ranks; i++) ranking_free(&ranks[i]);
  n_ranks = 0;
  for (uint32_t i = 0; i < n_evs; i++) event_free(&evs[i]);
  n_evs = 0;
  evs_dropped = 0;
  gen_of_list = g;
}

/* The running session's generation into *g (and its start on CLOCK_MONOTONIC into *t0 when
 * not NULL); 0 when none runs. */
static int session_gen_at(uint32_t *g, uint64_t *t0) {
  pthread_mutex_lock(&fz_g.lock);
  *g = fz_g.session_gen;
  if (t0) *t0 = fz_g.start_mono_ns;
  int active = fz_g.active;
  pthread_mutex_unlock(&fz_g.lock);
  return active;
}
static int session_gen(uint32_t *g) { return session_gen_at(g, NULL); }

FATHOM_EXTERN int fathom_attempt(const char *name, const char *metric, double before,
                                 double before_se, double after, double after_se,
                                 int direction) {
  if (!name || !*name || !metric || !*metric || !isfinite(before) || !isfinite(after) ||
      !isfinite(before_se) || !isfinite(after_se) || before_se < 0 || after_se < 0 ||
      (direction != -1 && direction != 1))
    return FATHOM_E_INVAL;
  uint32_t g;
  if (!session_gen(&g)) return FATHOM_E_STATE;
  int rc = 0;
  pthread_mutex_lock(&lock);
  own(g);
  if (n_list >= FZ_ATTEMPTS_MAX) {
    over++;
    rc = FATHOM_E_LIMIT;
  } else if (n_list == cap_list) {
    uint32_t nc = cap_list ? cap_list * 2 : 16;
    fathom_attempt_info *nl = realloc(list, (size_t)nc * sizeof *nl);
    if (!nl) rc = FATHOM_E_NOMEM;
    else {
      list = nl;
      cap_list = nc;
    }
  }
  if (!rc) {
    fathom_attempt_info *a = &list[n_list];
    memset(a, 0, sizeof *a);
    a->name = strdup(name);
    a->metric = strdup(metric);
    a->before = before;
    a->before_se = before_se;
    a->after = after;
    a->after_se = after_se;
    a->direction = direction;
    fz_attempt_judge(a, &a->outcome, &a->change_pct);
    if (!a->name || !a->metric) {
      free(a->name);
      free(a->metric);
      rc = FATHOM_E_NOMEM;
    } else {
      n_list++;
    }
  }
  pthread_mutex_unlock(&lock);
  return rc;
}

/* A deep copy of r into d (d zeroed first). 0, or -1 out of memory (d freed). */
static int ranking_copy(fathom_ranking_info *d, const fathom_ranking_info *r) {
  memset(d, 0, sizeof *d);
  d->name = strdup(r->name);
  d->settled = r->settled;
  d->disagree = r->disagree;
  d->confidence = r->confidence;
  d->e = calloc(r->n ? r->n : 1, sizeof *d->e);
  if (!d->name || !d->e) {
    ranking_free(d);
    return -1;
  }
  for (uint32_t k = 0; k < r->n; k++) {
    d->e[k] = r->e[k];
    d->e[k].variant = strdup(r->e[k].variant);
    d->n = k + 1;
    if (!d->e[k].variant) {
      ranking_free(d);
      return -1;
    }
  }
  return 0;
}

int fz_ranking_add(const fathom_ranking_info *r) {
  uint32_t g;
  if (!session_gen(&g)) return FATHOM_E_STATE;
  int rc = 0;
  pthread_mutex_lock(&lock);
  own(g);
  if (n_ranks >= FZ_RANKINGS_MAX) rc = FATHOM_E_LIMIT;
  if (!rc && !ranks && !(ranks = calloc(FZ_RANKINGS_MAX, sizeof *ranks))) rc = FATHOM_E_NOMEM;
  if (!rc && ranking_copy(&ranks[n_ranks], r)) rc = FATHOM_E_NOMEM;
  if (!rc) n_ranks++;
  pthread_mutex_unlock(&lock);
  return rc;
}

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static char *dup_or_null(const char *s, int *oom) {
  if (!s || !*s) return NULL;
  char *d = strdup(s);
  if (!d) *oom = 1;
  return d;
}

static int event_add(const fathom_outcome_desc *e, double time_ns) {
  if (!e || !e->group || !*e->group || !e->subject || !*e->subject ||
      e->n_outcomes > FATHOM_OUTCOMES_MAX || (e->n_outcomes && !e->outcomes) ||
      isinf(time_ns) || time_ns < 0 || isinf(e->bytes) || e->bytes < 0)
    return FATHOM_E_INVAL;
  for (uint32_t k = 0; k < e->n_outcomes; k++)
    if (!e->outcomes[k].name || !*e->outcomes[k].name || !isfinite(e->outcomes[k].value))
      return FATHOM_E_INVAL;
  uint32_t g;
  uint64_t t0;
  if (!session_gen_at(&g, &t0)) return FATHOM_E_STATE;
  uint64_t now = mono_ns();
  int rc = 0;
  pthread_mutex_lock(&lock);
  own(g);
  if (n_evs >= FZ_EVENTS_MAX) {
    evs_dropped++;
    rc = FATHOM_E_LIMIT;
  } else if (n_evs == cap_evs) {
    uint32_t nc = cap_evs ? cap_evs * 2 : 64;
    fathom_outcome_event_info *ne = realloc(evs, (size_t)nc * sizeof *ne);
    if (!ne) rc = FATHOM_E_NOMEM;
    else {
      evs = ne;
      cap_evs = nc;
    }
  }
  if (!rc) {
    fathom_outcome_event_info *d = &evs[n_evs];
    memset(d, 0, sizeof *d);
    int oom = 0;
    d->group = dup_or_null(e->group, &oom);
    d->subject = dup_or_null(e->subject, &oom);
    d->kind = dup_or_null(e->kind, &oom);
    d->attrs = dup_or_null(e->attrs, &oom);
    d->t_ns = now > t0 ? (double)(now - t0) : 0;
    d->time_ns = time_ns;
    d->bytes = e->bytes;
    for (uint32_t k = 0; k < e->n_outcomes; k++) {
      d->outcome_name[k] = dup_or_null(e->outcomes[k].name, &oom);
      d->outcome[k] = e->outcomes[k].value;
      d->n_outcomes = k + 1;
    }
    if (oom) {
      event_free(d);
      rc = FATHOM_E_NOMEM;
    } else {
      n_evs++;
    }
  }
  pthread_mutex_unlock(&lock);
  return rc;
}

FATHOM_EXTERN int fathom_outcome_event(const fathom_outcome_desc *e) {
  return event_add(e, e ? e->time_ns : NAN);
}

FATHOM_EXTERN fathom_outcome_timer fathom_outcome_begin(void) {
  fathom_outcome_timer t = {mono_ns()};
  return t;
}

FATHOM_EXTERN int fathom_outcome_end(fathom_outcome_timer t, const fathom_outcome_desc *e) {
  uint64_t now = mono_ns();
  if (!t.start_ns || t.start_ns > now) return FATHOM_E_INVAL;
  return event_add(e, (double)(now - t.start_ns));
}

/* A deep copy of event e into d. 0, or -1 out of memory (d freed). */
static int event_copy(fathom_outcome_event_info *d, const fathom_outcome_event_info *e) {
  int oom = 0;
  *d = *e;
  d->group = dup_or_null(e->group, &oom);
  d->subject = dup_or_null(e->subject, &oom);
  d->kind = dup_or_null(e->kind, &oom);
  d->attrs = dup_or_null(e->attrs, &oom);
  for (uint32_t k = 0; k < e->n_outcomes; k++)
    d->outcome_name[k] = dup_or_null(e->outcome_name[k], &oom);
  if (oom) event_free(d);
  return oom ? -1 : 0;
}

int fz_results_fill(fathom_profile *p, uint32_t g) {
  int rc = 0;
  pthread_mutex_lock(&lock);
  if (gen_of_list == g && (n_evs || evs_dropped)) {
    p->outcome_events_dropped = evs_dropped;
    p->outcome_events = n_evs ? calloc(n_evs, sizeof *p->outcome_events) : NULL;
    if (n_evs && !p->outcome_events) rc = -1;
    for (uint32_t i = 0; !rc && i < n_evs; i++) {
      if (event_copy(&p->outcome_events[i], &evs[i])) rc = -1;
      else p->n_outcome_events = i + 1;
    }
  }
  if (gen_of_list == g && n_ranks) {
    p->rankings = calloc(n_ranks, sizeof *p->rankings);
    if (!p->rankings) rc = -1;
    for (uint32_t i = 0; !rc && i < n_ranks; i++) {
      if (ranking_copy(&p->rankings[i], &ranks[i])) rc = -1;
      else p->n_rankings = i + 1;
    }
  }
  if (gen_of_list == g && n_list) {
    p->attempts = calloc(n_list, sizeof *p->attempts);
    if (!p->attempts) rc = -1;
    for (uint32_t i = 0; !rc && i < n_list; i++) {
      p->attempts[i] = list[i];
      p->attempts[i].name = strdup(list[i].name);
      p->attempts[i].metric = strdup(list[i].metric);
      p->n_attempts = i + 1;
      if (!p->attempts[i].name || !p->attempts[i].metric) rc = -1;
    }
  }
  pthread_mutex_unlock(&lock);
  return rc;
}

static fz_queries_fill_fn queries_fill;

void fz_session_set_queries(fz_queries_fill_fn fn) {
  __atomic_store_n(&queries_fill, fn, __ATOMIC_RELEASE);
}

void fz_queries_fill(fathom_profile *p, uint32_t g) {
  fz_queries_fill_fn fn = __atomic_load_n(&queries_fill, __ATOMIC_ACQUIRE);
  if (p && fn) fn(p, g);   /* out of memory: the profile has no statements */
}

static fz_gpu_fill_fn gpu_fill;

void fz_session_set_gpu(fz_gpu_fill_fn fn) { __atomic_store_n(&gpu_fill, fn, __ATOMIC_RELEASE); }

void fz_gpu_fill(fathom_profile *p, uint32_t g, int final) {
  fz_gpu_fill_fn fn = __atomic_load_n(&gpu_fill, __ATOMIC_ACQUIRE);
  if (fn) fn(p, g, final);   /* p NULL at the end: the pending pairs are still settled */
}

static fz_requests_fill_fn requests_fill;

void fz_session_set_requests(fz_requests_fill_fn fn) {
  __atomic_store_n(&requests_fill, fn, __ATOMIC_RELEASE);
}

void fz_requests_fill(fathom_profile *p, uint32_t g) {
  fz_requests_fill_fn fn = __atomic_load_n(&requests_fill, __ATOMIC_ACQUIRE);
  if (p && fn) fn(p, g);   /* out of memory: the profile has no requests */
}
