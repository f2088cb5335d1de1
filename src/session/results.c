/* session/results.c: what a program reports about its experiments, kept by the running
 * session and handed to every model it builds: optimisation attempts (fathom_attempt, each
 * judged at once: model/attempts.c) and rankings of variants (fathom_variants_rank in
 * work/variants.c calls fz_ranking_add).
 *
 * Invariant: at most FZ_ATTEMPTS_MAX attempts and FZ_RANKINGS_MAX rankings a session, kept
 * under their own lock, which is taken inside fz_g.lock (model builds) and never the other
 * way round; a new session starts with none. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model/attempts.h"
#include "record/record.h"
#include "session/session.h"

#define FZ_ATTEMPTS_MAX 4096
#define FZ_RANKINGS_MAX 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static fathom_attempt_info *list;
static uint32_t n_list, cap_list;
static uint64_t gen_of_list, over;
static fathom_ranking_info *ranks;
static uint32_t n_ranks;

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
  gen_of_list = g;
}

/* The running session's generation into *g; 0 when none runs. */
static int session_gen(uint32_t *g) {
  pthread_mutex_lock(&fz_g.lock);
  *g = fz_g.session_gen;
  int active = fz_g.active;
  pthread_mutex_unlock(&fz_g.lock);
  return active;
}

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

int fz_results_fill(fathom_profile *p, uint32_t g) {
  int rc = 0;
  pthread_mutex_lock(&lock);
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
