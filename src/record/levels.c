/* record/levels.c: a level per component and the metric switches. Parses
 * fathom_config.component_levels ("data=detailed,render=basic,net=off") and
 * fathom_config.metrics ("-io,gpu=off,cpu=on"), sets the session up from them (the highest
 * level any component runs at is the level whose machinery is set up; the switches decide
 * allocation tracking, the timeline, the monitor and which probes are opened), answers which
 * level a site runs at, and copies what was asked into the profile.
 *
 * How a zone's level is used: it is decided once per call site (off: the site is muted, like
 * a component filter) and once per call-tree node when the node is made (probed or not:
 * record/special.c's fz_node_sampling_init); the hot path never asks.
 *
 * Invariant: fz_g.clevels and the switches change only at session begin, under fz_g.lock,
 * before the session records; readers (node creation, the governor) run while they stand. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "record/record.h"
#include "record/levels.h"

/* The FATHOM_METRIC_* families by bit (bit i: family_names[i]). */
static const char *const family_names[] = {"memory", "cpu",        "io",    "network",
                                           "gpu",    "energy",     "hwcounters", "alloc",
                                           "timeline", "monitor"};
#define N_FAMILIES (sizeof family_names / sizeof family_names[0])

FATHOM_EXTERN const char *fathom_metric_family_name(uint32_t bit) {
  for (uint32_t i = 0; i < N_FAMILIES; i++)
    if (bit == 1u << i) return family_names[i];
  return NULL;
}

/* The item [a, b) with blanks at both ends removed, in place (b written with a NUL). */
static char *trim(char *a, char *b) {
  while (a < b && isspace((unsigned char)*a)) a++;
  while (b > a && isspace((unsigned char)b[-1])) b--;
  *b = 0;
  return a;
}

/* A level's name (any case), "off" or a digit 0-3, as fathom_level_parse reads them (the
 * model's stage, above this one, holds that). */
static int level_of(const char *v, fathom_level *out) {
  static const char *const names[] = {"disabled", "basic", "detailed", "comprehensive"};
  for (int i = 0; i < 4; i++)
    if (!strcasecmp(v, names[i]) || (v[0] == '0' + i && !v[1])) {
      *out = (fathom_level)i;
      return 0;
    }
  if (strcasecmp(v, "off")) return FATHOM_E_INVAL;
  *out = FATHOM_LEVEL_DISABLED;
  return 0;
}

int fz_levels_parse(const char *s, fz_clevel **out, uint32_t *n, char **buf, char *err,
                    size_t cap) {
  *out = NULL;
  *n = 0;
  *buf = NULL;
  if (cap) err[0] = 0;
  if (!s || !*s) return 0;
  size_t items = 1;
  for (const char *p = s; *p; p++) items += *p == ',';
  char *copy = strdup(s);
  fz_clevel *v = calloc(items, sizeof *v);
  if (!copy || !v) {
    free(copy);
    free(v);
    return FATHOM_E_NOMEM;
  }
  uint32_t k = 0;
  int rc = 0;
  for (char *p = copy; p && !rc;) {
    char *end = strchr(p, ',');
    char *next = end ? end + 1 : NULL;
    char *item = trim(p, end ? end : p + strlen(p));
    p = next;
    if (!*item) continue;
    char *eq = strchr(item, '=');
    if (!eq) {
      snprintf(err, cap, "'%s': expected COMPONENT=LEVEL", item);
      rc = FATHOM_E_INVAL;
      break;
    }
    char *comp = trim(item, eq), *lv = trim(eq + 1, eq + 1 + strlen(eq + 1));
    fathom_level level;
    if (!*comp) {
      snprintf(err, cap, "'=%s': no component named", lv);
      rc = FATHOM_E_INVAL;
    } else if (level_of(lv, &level) != 0) {
      snprintf(err, cap, "'%s=%s': unknown level '%s' (expected off, basic, detailed or "
               "comprehensive)", comp, lv, lv);
      rc = FATHOM_E_INVAL;
    } else {
      for (uint32_t i = 0; i < k && !rc; i++)
        if (strcmp(v[i].component, comp) == 0) {
          snprintf(err, cap, "component '%s' is listed twice", comp);
          rc = FATHOM_E_INVAL;
        }
      if (!rc) v[k++] = (fz_clevel){comp, level};
    }
  }
  if (rc || !k) {
    free(copy);
    free(v);
    return rc;
  }
  *out = v;
  *n = k;
  *buf = copy;
  return 0;
}

static int switch_value(const char *v, int *on) {
  static const char *const yes[] = {"on", "1", "yes", "true"}, *const no[] = {"off", "0", "no",
                                                                             "false"};
  for (int i = 0; i < 4; i++) {
    if (!strcasecmp(v, yes[i])) return *on = 1, 0;
    if (!strcasecmp(v, no[i])) return *on = 0, 0;
  }
  return -1;
}

int fz_metrics_parse(const char *s, uint32_t *off, uint32_t *on, char *err, size_t cap) {
  *off = *on = 0;
  if (cap) err[0] = 0;
  if (!s || !*s) return 0;
  char *copy = strdup(s);
  if (!copy) return FATHOM_E_NOMEM;
  int rc = 0;
  for (char *p = copy; p && !rc;) {
    char *end = strchr(p, ',');
    char *next = end ? end + 1 : NULL;
    char *item = trim(p, end ? end : p + strlen(p));
    p = next;
    if (!*item) continue;
    int want = 1;
    char *name = item, *eq = strchr(item, '=');
    if (eq) {
      char *val = trim(eq + 1, eq + 1 + strlen(eq + 1));
      name = trim(item, eq);
      if (switch_value(val, &want) != 0) {
        snprintf(err, cap, "'%s=%s': expected on or off", name, val);
        rc = FATHOM_E_INVAL;
        break;
      }
    } else if (*item == '-' || *item == '+') {
      want = *item == '+';
      name = trim(item + 1, item + strlen(item));
    }
    uint32_t bits = 0;
    if (!strcasecmp(name, "all")) bits = FATHOM_METRIC_ALL;
    for (uint32_t i = 0; i < N_FAMILIES && !bits; i++)
      if (!strcasecmp(name, family_names[i])) bits = 1u << i;
    if (!bits) {
      snprintf(err, cap, "unknown metric family '%s' (expected memory, cpu, io, network, gpu, "
               "energy, hwcounters, alloc, timeline, monitor or all)", name);
      rc = FATHOM_E_INVAL;
      break;
    }
    if (want) {
      *on |= bits;
      *off &= ~bits;
    } else {
      *off |= bits;
      *on &= ~bits;
    }
  }
  free(copy);
  if (rc) *off = *on = 0;
  return rc;
}

/* The level listed for s's component, or NULL when it runs at the session's. */
static const fz_clevel *listed(const fathom_site *s) {
  /* acquire: a named profiler's reset renames a site's component (record/sites.c) */
  const char *comp = s ? __atomic_load_n(&s->component, __ATOMIC_ACQUIRE) : NULL;
  if (!comp) comp = "default";
  for (uint32_t i = 0; i < fz_g.n_clevels; i++)
    if (strcmp(fz_g.clevels[i].component, comp) == 0) return &fz_g.clevels[i];
  return NULL;
}

fathom_level fz_site_level(const fathom_site *s) {
  const fz_clevel *c = listed(s);
  return c ? c->level : fz_g.base_level;
}

int fz_site_probed(const fathom_site *s) {
  if (!(FZ_METRIC_PROBED & ~fz_g.metrics_off)) return 0; /* every probe switched off */
  const fz_clevel *c = listed(s);
  if (c) return c->level >= FATHOM_LEVEL_DETAILED;
  if (fz_g.base_level == FATHOM_LEVEL_DISABLED) return 0;
  return fz_g.base_level >= FATHOM_LEVEL_DETAILED ||
         (fz_g.metrics_on & ~fz_g.metrics_off & FZ_METRIC_PROBED) != 0;
}

static char *owned_buf;   /* the components' names of the session's list */

int fz_levels_prepare(fathom_config *c, fz_levels_req *r, char *err, size_t cap) {
  char e[200];
  memset(r, 0, sizeof *r);
  int rc = fz_levels_parse(c->component_levels, &r->v, &r->n, &r->buf, e, sizeof e);
  if (rc) {
    snprintf(err, cap, "FATHOM_COMPONENT_LEVELS=%s: %s", c->component_levels,
             rc == FATHOM_E_NOMEM ? "out of memory" : e);
    return rc;
  }
  rc = fz_metrics_parse(c->metrics, &r->off, &r->on, e, sizeof e);
  if (rc) {
    fz_levels_discard(r);
    snprintf(err, cap, "FATHOM_METRICS=%s: %s", c->metrics,
             rc == FATHOM_E_NOMEM ? "out of memory" : e);
    return rc;
  }
  /* the switches over the other fields: they win over a level's defaults */
  if (r->off & FATHOM_METRIC_ALLOC) c->alloc_track = 0;
  if (r->on & FATHOM_METRIC_ALLOC) c->alloc_track = 1;
  if (r->off & FATHOM_METRIC_TIMELINE) c->timeline = 0;
  if (r->on & FATHOM_METRIC_TIMELINE) c->timeline = 1;
  if (r->off & FATHOM_METRIC_MONITOR) c->monitor = 0;
  if (r->on & (FATHOM_METRIC_MONITOR | FATHOM_METRIC_GPU | FATHOM_METRIC_ENERGY) &&
      !(r->off & FATHOM_METRIC_MONITOR))
    c->monitor = 1;
  r->base = c->level;
  for (uint32_t i = 0; i < r->n; i++)
    if (r->v[i].level > c->level) c->level = r->v[i].level;
  return 0;
}

void fz_levels_discard(fz_levels_req *r) {
  free(r->v);
  free(r->buf);
  memset(r, 0, sizeof *r);
}

void fz_levels_commit(fz_levels_req *r) {
  free(fz_g.clevels);
  free(owned_buf);
  owned_buf = r->buf;
  fz_g.clevels = r->v;
  fz_g.n_clevels = r->n;
  fz_g.base_level = r->base;
  fz_g.metrics_off = r->off;
  fz_g.metrics_on = r->on;
  fz_probe_families(r->off, r->on);
  memset(r, 0, sizeof *r);
}

int fz_levels_probing(const fathom_config *c) {
  return (c->level >= FATHOM_LEVEL_DETAILED ||
         (fz_g.metrics_on & ~fz_g.metrics_off & FZ_METRIC_PROBED) != 0) &&
         (FZ_METRIC_PROBED & ~fz_g.metrics_off) != 0;
}

int fz_levels_fill(fathom_profile *p) {
  p->metrics_off = fz_g.metrics_off;
  p->metrics_on = fz_g.metrics_on;
  p->default_level = fz_g.base_level;
  if (!fz_g.n_clevels) return 0;
  fathom_component_level *v = calloc(fz_g.n_clevels, sizeof *v);
  if (!v) return FATHOM_E_NOMEM;
  for (uint32_t i = 0; i < fz_g.n_clevels; i++) {
    v[i].level = fz_g.clevels[i].level;
    if (!(v[i].component = strdup(fz_g.clevels[i].component))) {
      for (uint32_t j = 0; j < i; j++) free(v[j].component);
      free(v);
      return FATHOM_E_NOMEM;
    }
  }
  p->component_levels = v;
  p->n_component_levels = fz_g.n_clevels;
  return 0;
}
