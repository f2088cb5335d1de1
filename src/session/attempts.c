/* session/attempts.c: fathom_attempt — optimisation attempts recorded in the running session
 * (each judged at once: model/attempts.c) and handed to every model the session builds.
 *
 * Invariant: at most FZ_ATTEMPTS_MAX a session, kept under their own lock, which is taken
 * inside fz_g.lock (model builds) and never the other way round; a new session starts with
 * none. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model/attempts.h"
#include "record/record.h"
#include "session/session.h"

#define FZ_ATTEMPTS_MAX 4096

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static fathom_attempt_info *list;
static uint32_t n_list, cap_list;
static uint64_t gen_of_list, over;

/* The list belongs to session generation g: a list of an older session is dropped. */
static void own(uint32_t g) {
  if (gen_of_list == g) return;
  for (uint32_t i = 0; i < n_list; i++) {
    free(list[i].name);
    free(list[i].metric);
  }
  n_list = 0;
  over = 0;
  gen_of_list = g;
}

FATHOM_EXTERN int fathom_attempt(const char *name, const char *metric, double before,
                                 double before_se, double after, double after_se,
                                 int direction) {
  if (!name || !*name || !metric || !*metric || !isfinite(before) || !isfinite(after) ||
      !isfinite(before_se) || !isfinite(after_se) || before_se < 0 || after_se < 0 ||
      (direction != -1 && direction != 1))
    return FATHOM_E_INVAL;
  pthread_mutex_lock(&fz_g.lock);
  uint32_t g = fz_g.session_gen;
  int active = fz_g.active;
  pthread_mutex_unlock(&fz_g.lock);
  if (!active) return FATHOM_E_STATE;
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

int fz_attempts_fill(fathom_profile *p, uint32_t g) {
  int rc = 0;
  pthread_mutex_lock(&lock);
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
