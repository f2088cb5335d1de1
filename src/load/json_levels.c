/* json_levels.c: reads the profile's optional levels per component and metric switches
 * ("component_levels", "default_level", "metrics_off", "metrics_on", written by
 * src/view/json_run.c). Absent members: none configured (every component at meta.level, no
 * family switched).
 *
 * Invariant: as every jl_* reader: one message naming the offending value on failure, the
 * model left freeable. Levels are level names; components non-empty and listed once, at
 * most MAX_COMPONENTS; families are the names of fathom_metric_family_name, none both
 * switched off and on; no component runs above meta.level (the highest level asked). */
#include <string.h>

#include "json_ld.h"

#define MAX_COMPONENTS 4096

static const char *const levels[] = {"disabled", "basic", "detailed", "comprehensive"};

static int families(jl_ctx *c, const json_t *root, const char *k, uint32_t *out) {
  *out = 0;
  if (!json_object_get(root, k)) return 0;
  json_t *arr, *v;
  jp tp, ip;
  size_t n;
  int rc = jl_m_table(c, root, NULL, k, 32, &arr, &tp, &n);
  for (size_t i = 0; i < n && !rc; i++) {
    ip = (jp){&tp, NULL, i};
    rc = jl_array_get(c, arr, i, &v);
    if (!rc) rc = jl_want(c, v, &ip, JSON_STRING, "a metric family's name");
    if (rc) break;
    uint32_t bit = 0;
    for (uint32_t b = 1; b & FATHOM_METRIC_ALL && !bit; b <<= 1)
      if (strcmp(json_string_value(v), fathom_metric_family_name(b)) == 0) bit = b;
    if (!bit)
      rc = jl_fail(c, FATHOM_E_FORMAT, &ip, "unknown metric family '%s'", json_string_value(v));
    else if (*out & bit)
      rc = jl_fail(c, FATHOM_E_FORMAT, &ip, "'%s' listed twice", json_string_value(v));
    *out |= bit;
  }
  return rc;
}

int jl_levels(jl_ctx *c, const json_t *root, fathom_profile *p) {
  int rc = families(c, root, "metrics_off", &p->metrics_off);
  if (!rc) rc = families(c, root, "metrics_on", &p->metrics_on);
  if (!rc && (p->metrics_off & p->metrics_on)) {
    jp kp = {NULL, "metrics_on", 0};
    rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "'%s' is also in metrics_off",
                 fathom_metric_family_name(p->metrics_off & p->metrics_on & -(p->metrics_off & p->metrics_on)));
  }
  p->default_level = p->meta.level;
  if (rc || !json_object_get(root, "component_levels")) return rc;
  json_t *arr, *o, *lv;
  jp tp, ip, lp;
  size_t n;
  int level;
  rc = jl_m_table(c, root, NULL, "component_levels", MAX_COMPONENTS, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->component_levels, n, sizeof *p->component_levels);
  if (rc) return rc;
  p->n_component_levels = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_component_level *e = &p->component_levels[i];
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_m_str(c, o, &ip, "component", 0, &e->component);
    if (!rc && !*e->component) {
      jp kp = {&ip, "component", 0};
      rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "empty component name");
    }
    for (size_t j = 0; j < i && !rc; j++)
      if (strcmp(p->component_levels[j].component, e->component) == 0) {
        jp kp = {&ip, "component", 0};
        rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "component '%s' listed twice", e->component);
      }
    if (!rc) rc = jl_get(c, o, &ip, "level", &lv, &lp);
    if (!rc) rc = jl_enum(c, lv, &lp, levels, 4, &level);
    if (!rc) e->level = (fathom_level)level;
    if (!rc && e->level > p->meta.level)
      rc = jl_fail(c, FATHOM_E_FORMAT, &lp, "%s is above the session's level %s", levels[level],
                   levels[p->meta.level]);
  }
  if (!rc) rc = jl_get(c, root, NULL, "default_level", &lv, &lp);
  if (!rc) rc = jl_enum(c, lv, &lp, levels, 4, &level);
  if (!rc) p->default_level = (fathom_level)level;
  if (!rc && p->default_level > p->meta.level)
    rc = jl_fail(c, FATHOM_E_FORMAT, &lp, "%s is above the session's level %s", levels[level],
                 levels[p->meta.level]);
  return rc;
}
