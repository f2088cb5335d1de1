/* json_outcomes.c: reads the profile's optional "outcome_events" table (fathom_outcome_event;
 * written by src/view/json_run.c) and "outcome_events_dropped".
 *
 * Invariant: an event has a group and a subject, at most FATHOM_OUTCOMES_MAX outcomes each
 * with a name and a finite value, and costs that are NaN or finite and >= 0; anything else is
 * refused with its path. */
#include <math.h>

#include "load/json_ld.h"

static int cost(jl_ctx *c, const json_t *o, const jp *ip, const char *key, double *out) {
  int rc = jl_m_dbl(c, o, ip, key, out);
  if (!rc && (isinf(*out) || *out < 0))
    rc = jl_fail(c, FATHOM_E_FORMAT, ip, "%s is %g: a cost is unknown (null) or >= 0", key, *out);
  return rc;
}

int jl_outcome_events(jl_ctx *c, const json_t *root, fathom_profile *p) {
  int rc = 0;
  if (json_object_get(root, "outcome_events_dropped"))
    rc = jl_m_u64(c, root, NULL, "outcome_events_dropped", &p->outcome_events_dropped);
  if (rc || !json_object_get(root, "outcome_events")) return rc;
  json_t *arr, *o, *outs, *x;
  jp tp, ip, op, xp;
  size_t n;
  rc = jl_m_table(c, root, NULL, "outcome_events", UINT32_MAX - 1, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->outcome_events, n, sizeof *p->outcome_events);
  if (rc) return rc;
  p->n_outcome_events = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_outcome_event_info *e = &p->outcome_events[i];
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_m_str(c, o, &ip, "group", 0, &e->group);
    if (!rc) rc = jl_m_str(c, o, &ip, "subject", 0, &e->subject);
    if (!rc && json_object_get(o, "kind")) rc = jl_m_str(c, o, &ip, "kind", 1, &e->kind);
    if (!rc && json_object_get(o, "attrs")) rc = jl_m_str(c, o, &ip, "attrs", 1, &e->attrs);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "t_ns", &e->t_ns);
    if (!rc) rc = cost(c, o, &ip, "time_ns", &e->time_ns);
    if (!rc) rc = cost(c, o, &ip, "bytes", &e->bytes);
    if (!rc) rc = jl_m_typed(c, o, &ip, "outcomes", JSON_ARRAY, &outs, &op);
    size_t k = rc ? 0 : json_array_size(outs);
    if (!rc && k > FATHOM_OUTCOMES_MAX)
      rc = jl_fail(c, FATHOM_E_FORMAT, &op, "%zu outcomes: at most %d", k, FATHOM_OUTCOMES_MAX);
    for (size_t j = 0; j < k && !rc; j++) {
      rc = jl_element(c, outs, &op, j, &x, &xp);
      if (!rc) rc = jl_m_str(c, x, &xp, "name", 0, &e->outcome_name[j]);
      if (!rc) e->n_outcomes = (uint32_t)j + 1;
      if (!rc) rc = jl_m_dbl(c, x, &xp, "value", &e->outcome[j]);
      if (!rc && !isfinite(e->outcome[j]))
        rc = jl_fail(c, FATHOM_E_FORMAT, &xp, "value is not a finite number");
    }
  }
  return rc;
}
