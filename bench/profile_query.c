/* profile_query.c: reads a saved profile with the loader and prints what bench/run.sh
 * compares, as tab-separated lines:
 *   M <key> <value>             meta figures (overhead_pct, overhead_ns, cpu_time_ns, ...)
 *   Z <kind> <count> <timed> <self_nodes_ns> <self_ns> <total_ns> <overhead_ns>
 *     <time_every> <gov> <n_nodes> <self_se_ns> <name> <self_cpu_ns> <self_cpu_se_ns>
 * one Z line per zone: kind "function" or "zone", self_nodes_ns is self_ns summed over the
 * zone's call-tree nodes, self_ns/total_ns/overhead_ns are the zone's rolled-up figures.
 * Exit 1 when the profile cannot be loaded. Usage: bench_profile_query FILE.json */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom_load.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_profile_query FILE.json\n");
    return 2;
  }
  fathom_profile *p = NULL;
  char err[256];
  if (fathom_profile_load(argv[1], &p, err, sizeof err) != 0) {
    fprintf(stderr, "bench_profile_query: %s: %s\n", argv[1], err);
    return 1;
  }
  const fathom_meta *m = &p->meta;
  printf("M\tclock_source\t%s\n", m->clock_source ? m->clock_source : "");
  printf("M\tlevel\t%d\n", (int)m->level);
  printf("M\tgovernor\t%d\n", m->governor);
  printf("M\toverhead_pct\t%.6f\n", m->overhead_pct);
  printf("M\toverhead_ns\t%.0f\n", m->overhead_ns);
  printf("M\tcpu_time_ns\t%.0f\n", m->cpu_time_ns);
  printf("M\tduration_ns\t%llu\n", (unsigned long long)m->duration_ns);
  printf("M\tfixed_cost_ns\t%.0f\n", m->fixed_cost_ns);
  printf("M\tsetup_ns\t%.0f\n", m->setup_ns);
  printf("M\tbuild_ns\t%.0f\n", m->build_ns);
  printf("M\tmonitor_cpu_ns\t%.0f\n", m->monitor_cpu_ns);
  printf("M\tn_zones\t%llu\n", (unsigned long long)m->n_zones);
  printf("M\tn_timed\t%llu\n", (unsigned long long)m->n_timed);
  printf("M\tdropped_zones\t%llu\n", (unsigned long long)m->dropped_zones);
  printf("M\tmisuse\t%llu\n", (unsigned long long)m->misuse);
  printf("M\tzone_cost_ns\t%.3f\n", m->zone_cost_ns);
  printf("M\tzone_cost_in_ns\t%.3f\n", m->zone_cost_in_ns);
  printf("M\tuntimed_cost_ns\t%.3f\n", m->untimed_cost_ns);
  printf("M\thook_cost_ns\t%.3f\n", m->hook_cost_ns);
  printf("M\thook_cost_in_ns\t%.3f\n", m->hook_cost_in_ns);
  printf("M\thook_untimed_cost_ns\t%.3f\n", m->hook_untimed_cost_ns);
  printf("M\thook_special_cost_ns\t%.3f\n", m->hook_special_cost_ns);
  printf("M\tzone_special_cost_ns\t%.3f\n", m->zone_special_cost_ns);
  printf("M\tn_nodes\t%u\n", p->n_nodes);
  printf("M\tn_threads\t%u\n", p->n_threads);
  printf("M\tn_gov_actions\t%u\n", p->n_gov_actions);
  double *self_nodes = calloc(p->n_zones ? p->n_zones : 1, sizeof *self_nodes);
  uint32_t *nn = calloc(p->n_zones ? p->n_zones : 1, sizeof *nn);
  if (!self_nodes || !nn) return 1;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    uint32_t z = p->nodes[i].zone;
    if (z < p->n_zones) {
      self_nodes[z] += (double)p->nodes[i].stats.self_ns;
      nn[z]++;
    }
  }
  for (uint32_t i = 0; i < p->n_zones; i++) {
    const fathom_zone_info *z = &p->zones[i];
    printf("Z\t%s\t%llu\t%llu\t%.0f\t%llu\t%llu\t%.0f\t%u\t%u\t%u\t%.0f\t%s\t%.0f\t%.0f\n",
           z->kind == FATHOM_ZONE_KIND_FUNCTION ? "function" : "zone",
           (unsigned long long)z->stats.count, (unsigned long long)z->stats.timed, self_nodes[i],
           (unsigned long long)z->stats.self_ns, (unsigned long long)z->stats.total_ns,
           z->stats.overhead_ns, z->time_every, z->gov, nn[i], z->stats.self_se_ns,
           z->name ? z->name : "", z->stats.self_cpu_ns, z->stats.self_cpu_se_ns);
  }
  free(self_nodes);
  free(nn);
  fathom_profile_free(p);
  return 0;
}
