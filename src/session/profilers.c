/* session/profilers.c: named profilers (fathom_profiler_get and friends,
 * include/fathom_profilers.h). A profiler is a name and the component of that name; its
 * zones are recorded by the ordinary zone path, its reads are snapshots of the session cut
 * down to the component (model/subset.c), and its reset sets the component's dynamic sites
 * aside under another component (record/sites.c), so later calls make fresh ones.
 *
 * Invariant: at most FATHOM_PROFILERS_MAX profilers, never freed (a pointer handed out stays
 * valid); the table is guarded by its own lock, never held while taking another; errno is
 * preserved and the caller's allocations are kept out of allocation tracking while a read
 * runs. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/alloc.h"
#include "record/record.h"

struct fathom_profiler {
  char name[FATHOM_PROFILER_NAME_MAX + 1];
  uint32_t resets;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static fathom_profiler table[FATHOM_PROFILERS_MAX];
static uint32_t n_table;

static int name_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > FATHOM_PROFILER_NAME_MAX) return 0;
  if (!strcmp(s, "default") || !strcmp(s, "functions")) return 0;
  for (const char *c = s; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
          *c == '_' || *c == '-' || *c == '.' || *c == ':'))
      return 0;
  return 1;
}

FATHOM_EXTERN fathom_profiler *fathom_profiler_get(const char *name) {
  if (!name || !name_ok(name)) return NULL;
  fathom_profiler *r = NULL;
  pthread_mutex_lock(&lock);
  for (uint32_t i = 0; i < n_table && !r; i++)
    if (!strcmp(table[i].name, name)) r = &table[i];
  if (!r && n_table < FATHOM_PROFILERS_MAX) {
    r = &table[n_table++];
    memcpy(r->name, name, strlen(name) + 1);
  }
  pthread_mutex_unlock(&lock);
  return r;
}

FATHOM_EXTERN const char *fathom_profiler_name(const fathom_profiler *p) {
  return p ? p->name : "";
}

FATHOM_EXTERN fathom_zone fathom_profiler_begin(fathom_profiler *p, const char *zone) {
  if (!p) {
    fathom_zone z = {0};
    if (FZ_LD(fz_rec_gen)) {
      fz_thread *t = fz_thread_get_fast();
      if (t)
        FZ_ST(t->misuse, t->misuse + 1);
      else
        fz_misuse_count();
    }
    return z;
  }
  return fathom_zone_begin(zone, p->name);
}

FATHOM_EXTERN fathom_profile *fathom_profiler_snapshot(fathom_profiler *p) {
  if (!p) return NULL;
  int saved = errno;
  fz_alloc_pause();
  fathom_profile *m = fathom_snapshot();
  if (m && fathom_profile_keep_component(m, p->name) != 0) {
    fathom_profile_free(m);
    m = NULL;
  }
  if (m) {
    size_t l = strlen(m->meta.session_name ? m->meta.session_name : "") + strlen(p->name) + 16;
    char *nm = malloc(l);
    if (nm) {
      snprintf(nm, l, "%s [profiler %s]", m->meta.session_name ? m->meta.session_name : "",
               p->name);
      free(m->meta.session_name);
      m->meta.session_name = nm;
    }
    if (fathom_analyze(m, NULL) != 0) {
      fathom_profile_free(m);
      m = NULL;
    }
  }
  fz_alloc_resume();
  errno = saved;
  return m;
}

FATHOM_EXTERN int fathom_profiler_stats(fathom_profiler *p, const char *zone, fathom_stats *out) {
  if (!p || !zone || !out) return FATHOM_E_INVAL;
  if (!FZ_LD(fz_rec_gen)) return FATHOM_E_STATE;
  int saved = errno;
  fz_alloc_pause();
  fathom_profile *m = fathom_snapshot();
  int rc = FATHOM_E_NOTFOUND;
  if (!m) rc = FATHOM_E_STATE;
  for (uint32_t i = 0; m && i < m->n_zones; i++) {
    if (strcmp(m->zones[i].name, zone) || strcmp(m->zones[i].component, p->name)) continue;
    *out = m->zones[i].stats;
    rc = 0;
    break;
  }
  fathom_profile_free(m);
  fz_alloc_resume();
  errno = saved;
  return rc;
}

FATHOM_EXTERN int fathom_profiler_write(fathom_profiler *p, fathom_format fmt, FILE *f) {
  if (!p || !f) return FATHOM_E_INVAL;
  fathom_profile *m = fathom_profiler_snapshot(p);
  if (!m) return FZ_LD(fz_rec_gen) ? FATHOM_E_NOMEM : FATHOM_E_STATE;
  int rc = fathom_profile_write(m, fmt, f, 0);
  fathom_profile_free(m);
  return rc;
}

FATHOM_EXTERN int fathom_profiler_save(fathom_profiler *p, fathom_format fmt, const char *path) {
  if (!p || !path) return FATHOM_E_INVAL;
  fathom_profile *m = fathom_profiler_snapshot(p);
  if (!m) return FZ_LD(fz_rec_gen) ? FATHOM_E_NOMEM : FATHOM_E_STATE;
  int rc = fathom_profile_save(m, fmt, path);
  fathom_profile_free(m);
  return rc;
}

FATHOM_EXTERN int fathom_profiler_reset(fathom_profiler *p) {
  if (!p) return FATHOM_E_INVAL;
  pthread_mutex_lock(&lock);
  uint32_t k = ++p->resets;
  pthread_mutex_unlock(&lock);
  char retired[FATHOM_PROFILER_NAME_MAX + 40];
  snprintf(retired, sizeof retired, "%s (before reset %u)", p->name, k);
  return fz_sites_retire_component(p->name, retired);
}
