/* subset.c: a profile cut down to the zones of one component (fathom_profile_keep_component:
 * a named profiler's own report, `fathom report --component`).
 *
 * What is kept: the zones of the component (renumbered in their order), their call-tree nodes
 * (a node whose parent belongs to another component hangs from its nearest ancestor of the
 * component, or becomes a top-level node), the threads, the timeline events, source lines,
 * memory snapshots, governor actions and GPU zones that refer to kept zones, and the session's
 * metadata. What is dropped: the session-wide tables (resources, counters, the monitor's
 * series, findings, SLAs, throughput, processes, attempts, rankings, outcome events, database
 * statements, locks, network requests, rolling windows), since their figures are the whole
 * program's, not the component's, and the extensions' figures (their self parts are each path
 * less its child paths, which the cut changes).
 *
 * Invariant: the figures of a kept zone and node are the session's own, unchanged: a node's
 * self time still excludes every zone nested in it (whatever its component), so self <=
 * total, and the kept descendants' totals never exceed their new parent's (they ran inside
 * the dropped nodes between, which ran inside it). Counts in the metadata and the threads
 * are recomputed from what is kept. On failure (out of memory) the profile is untouched. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* Moves the session-wide tables of p into a scratch profile and frees them there. */
static void drop_session_tables(fathom_profile *p, fathom_profile *t) {
  t->n_counters = p->n_counters, t->counters = p->counters;
  t->n_counter_events = p->n_counter_events, t->counter_events = p->counter_events;
  t->n_probes = p->n_probes, t->probes = p->probes;
  t->n_gpus = p->n_gpus, t->gpus = p->gpus;
  t->series = p->series;
  t->n_findings = p->n_findings, t->findings = p->findings;
  t->n_slas = p->n_slas, t->slas = p->slas;
  t->n_throughput = p->n_throughput, t->throughput = p->throughput;
  t->n_processes = p->n_processes, t->processes = p->processes;
  t->n_attempts = p->n_attempts, t->attempts = p->attempts;
  t->n_rankings = p->n_rankings, t->rankings = p->rankings;
  t->n_outcome_events = p->n_outcome_events, t->outcome_events = p->outcome_events;
  t->n_queries = p->n_queries, t->queries = p->queries;
  t->n_locks = p->n_locks, t->locks = p->locks;
  t->n_requests = p->n_requests, t->requests = p->requests;
  t->n_windows = p->n_windows, t->windows = p->windows;
  /* extensions: their figures' self parts are each path less its child paths, which a cut
   * tree changes; left out rather than shown inconsistent */
  t->n_exts = p->n_exts, t->exts = p->exts;
  p->n_counters = 0, p->counters = NULL;
  p->n_counter_events = 0, p->counter_events = NULL;
  p->n_probes = 0, p->probes = NULL;
  p->n_gpus = 0, p->gpus = NULL;
  memset(&p->series, 0, sizeof p->series);
  p->n_findings = 0, p->findings = NULL;
  p->n_slas = 0, p->slas = NULL;
  p->n_throughput = 0, p->throughput = NULL;
  p->n_processes = 0, p->processes = NULL;
  p->n_attempts = 0, p->attempts = NULL;
  p->n_rankings = 0, p->rankings = NULL;
  p->n_outcome_events = 0, p->outcome_events = NULL;
  p->outcome_events_dropped = 0;
  p->n_queries = 0, p->queries = NULL;
  p->queries_dropped = 0;
  p->n_locks = 0, p->locks = NULL;
  p->locks_dropped = 0;
  p->n_requests = 0, p->requests = NULL;
  p->requests_dropped = 0;
  p->n_windows = 0, p->windows = NULL;
  p->n_exts = 0, p->exts = NULL;
  p->n_ext_metrics = 0;
  fathom_profile_free(t);
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    free(p->nodes[i].ext);
    p->nodes[i].ext = NULL;
  }
  for (uint32_t i = 0; i < p->n_zones; i++) {
    free(p->zones[i].ext);
    p->zones[i].ext = NULL;
  }
  /* the resources are the whole program's: not measured for a part of it */
  double carbon = p->res.carbon_g_per_kwh;
  fz_res_unmeasured(&p->res);
  p->res.carbon_g_per_kwh = carbon;
}

FATHOM_EXTERN int fathom_profile_keep_component(fathom_profile *p, const char *component) {
  if (!p || !component) return FATHOM_E_INVAL;
  int saved = errno;
  uint32_t nz = p->n_zones, nn = p->n_nodes;
  uint32_t *zmap = malloc((nz ? nz : 1) * sizeof *zmap);
  uint32_t *nmap = malloc((nn ? nn : 1) * sizeof *nmap);  /* kept: new index */
  uint32_t *anc = malloc((nn ? nn : 1) * sizeof *anc);    /* nearest kept at or above */
  fathom_profile *scratch = calloc(1, sizeof *scratch);
  if (!zmap || !nmap || !anc || !scratch) {
    free(zmap), free(nmap), free(anc), free(scratch);
    errno = saved;
    return FATHOM_E_NOMEM;
  }

  /* zones */
  uint32_t kz = 0;
  for (uint32_t z = 0; z < nz; z++) {
    fathom_zone_info *zi = &p->zones[z];
    if (zi->component && strcmp(zi->component, component) == 0) {
      zmap[z] = kz;
      if (kz != z) p->zones[kz] = *zi;
      kz++;
    } else {
      zmap[z] = FATHOM_NONE;
      free(zi->name), free(zi->component), free(zi->tags), free(zi->file), free(zi->func);
      free(zi->ext);
      fz_hist_free(&zi->hist);
    }
  }
  p->n_zones = kz;

  /* nodes: parents precede children, so one pass finds each node's nearest kept ancestor */
  uint32_t kn = 0;
  uint64_t n_calls = 0, n_timed = 0;
  for (uint32_t t = 0; t < p->n_threads; t++) p->threads[t].n_zones = 0;
  for (uint32_t i = 0; i < nn; i++) {
    fathom_node nd = p->nodes[i];
    uint32_t up = nd.parent != FATHOM_NONE && nd.parent < i ? anc[nd.parent] : FATHOM_NONE;
    uint32_t z = nd.zone < nz ? zmap[nd.zone] : FATHOM_NONE;
    if (z == FATHOM_NONE) {
      nmap[i] = FATHOM_NONE;
      anc[i] = up;
      fz_hist_free(&nd.hist);
      for (uint32_t k = 0; k < nd.n_metrics && nd.metrics; k++) free(nd.metrics[k].name);
      free(nd.metrics);
      free(nd.ext);
      continue;
    }
    nd.zone = z;
    nd.parent = up;
    nd.depth = up == FATHOM_NONE ? 1 : p->nodes[up].depth + 1;
    nmap[i] = anc[i] = kn;
    p->nodes[kn++] = nd;
    n_calls += nd.stats.count;
    n_timed += nd.stats.timed ? nd.stats.timed : nd.stats.count;
    if (nd.thread < p->n_threads) p->threads[nd.thread].n_zones += nd.stats.count;
  }
  p->n_nodes = kn;
  p->meta.n_zones = n_calls;
  p->meta.n_timed = n_timed < n_calls ? n_timed : n_calls;

  /* tables that point at zones */
  uint64_t ke = 0;
  for (uint64_t i = 0; i < p->n_events; i++) {
    fathom_event e = p->events[i];
    if (e.zone >= nz || zmap[e.zone] == FATHOM_NONE) continue;
    e.zone = zmap[e.zone];
    p->events[ke++] = e;
  }
  p->n_events = ke;
  uint32_t kl = 0;
  for (uint32_t i = 0; i < p->n_lines; i++) {
    fathom_line_info l = p->lines[i];
    if (l.zone >= nz || zmap[l.zone] == FATHOM_NONE) {
      free(l.file);
      continue;
    }
    l.zone = zmap[l.zone];
    p->lines[kl++] = l;
  }
  p->n_lines = kl;
  for (uint32_t i = 0; i < p->n_mem_snapshots; i++) {
    fathom_mem_snapshot_info *s = &p->mem_snapshots[i];
    uint32_t k = 0;
    uint64_t cnt = 0, by = 0;
    for (uint32_t j = 0; j < s->n; j++) {
      if (s->zone[j] >= nz || zmap[s->zone[j]] == FATHOM_NONE) continue;
      s->zone[k] = zmap[s->zone[j]];
      s->zone_live_count[k] = s->zone_live_count[j];
      s->zone_live_bytes[k] = s->zone_live_bytes[j];
      cnt += s->zone_live_count[k];
      by += s->zone_live_bytes[k];
      k++;
    }
    s->n = k;
    s->live_count = cnt; /* the component's own live heap */
    s->live_bytes = by;
    s->rss_bytes = NAN;
  }
  uint32_t kg = 0;
  for (uint32_t i = 0; i < p->n_gov_actions; i++) {
    fathom_gov_action a = p->gov_actions[i];
    if (a.zone != FATHOM_NONE) {
      if (a.zone >= nz || zmap[a.zone] == FATHOM_NONE) continue;
      a.zone = zmap[a.zone];
    }
    p->gov_actions[kg++] = a;
  }
  p->n_gov_actions = kg;
  for (uint32_t i = 0; i < p->n_gpu_zones; i++) {
    uint32_t z = p->gpu_zones[i].zone;
    p->gpu_zones[i].zone = z < nz ? zmap[z] : FATHOM_NONE;
  }
  free(zmap), free(nmap), free(anc);
  drop_session_tables(p, scratch);
  errno = saved;
  return 0;
}
