/* cli_gen.c: writes profiles for tests/test_cli.sh, using only the public API:
 *   cli_gen OUT.json             a small real BASIC session (scoped zones, a named zone,
 *                                counters and a size), with a timeline;
 *   cli_gen --detailed OUT.json  the same workload recorded at DETAILED (probes, the monitor,
 *                                FLOPs, a memory snapshot where allocation tracking works);
 *   cli_gen --model OUT.json     a hand-built model with every resource section filled
 *                                (series, GPUs, snapshots, governor actions, leaks) and
 *                                schema-4 estimates (a zone's timing sampled, fixed costs, CPU
 *                                known only as user + system), saved with fathom_profile_save.
 * Invariant: exits 0 only if the session ended cleanly (or the model was saved) and the file
 * was written; it never reads FATHOM_* variables, so the test's environment cannot change
 * what it records. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"

static volatile double sink;

static void spin(int n) {
  for (int i = 0; i < n; i++) sink += (double)i * 0.5;
}

static void load_batch(int i) {
  FATHOM_ZONE("load_batch", "data");
  spin(20000 + 1000 * i);
  FATHOM_RECORD_SIZE("batch_bytes", (uint64_t)(4096 + 512 * i));
}

static void train_step(int i) {
  FATHOM_ZONE("train_step", "training");
  {
    FATHOM_ZONE("forward", "training");
    spin(40000);
    FATHOM_FLOPS(40000.0);
  }
  {
    FATHOM_ZONE("backward", "training");
    spin(60000 + 2000 * i);
  }
  FATHOM_COUNTER_ADD("steps", 1);
}

/* ---- the hand-built model ---- */

static char *dup(const char *s) {
  char *d = malloc(strlen(s) + 1);
  if (!d) exit(2);
  return strcpy(d, s);
}

static void *zalloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  if (!p) exit(2);
  return p;
}

static int write_model(const char *path) {
  fathom_profile *p = zalloc(1, sizeof *p);
  fathom_meta *m = &p->meta;
  m->schema_version = FATHOM_SCHEMA_VERSION;
  m->fathom_version = dup(FATHOM_VERSION_STRING);
  m->session_name = dup("cli_model");
  m->duration_ns = 4000000000ULL;
  m->pid = 4242;
  m->n_cpus = 2;
  m->level = FATHOM_LEVEL_DETAILED;
  m->clock_source = dup("clock_monotonic");
  m->cpu_time_ns = 3.5e9;
  m->overhead_pct = 2.5;
  m->overhead_budget_pct = 5;
  m->governor = 1;
  m->probe_cost_ns = 900;
  m->sample_every = 16;
  m->alloc_tracking = 1;
  p->n_zones = 2;
  p->zones = zalloc(2, sizeof *p->zones);
  p->zones[0].name = dup("train_step");
  p->zones[0].component = dup("training");
  p->zones[1].name = dup("load_batch");
  p->zones[1].component = dup("data");
  p->n_threads = 1;
  p->threads = zalloc(1, sizeof *p->threads);
  p->threads[0].tid = 4242;
  p->threads[0].name = dup("main");
  p->n_nodes = 2;
  p->nodes = zalloc(2, sizeof *p->nodes);
  for (uint32_t i = 0; i < 2; i++) {
    fathom_node *nd = &p->nodes[i];
    nd->zone = i;
    nd->parent = i ? 0 : FATHOM_NONE;
    nd->depth = i + 1;
    nd->stats.count = nd->stats.timed = 100 * (i + 1);
    nd->stats.total_ns = i ? 1000000000 : 3000000000;
    nd->stats.self_ns = 2000000000 - 1000000000 * i;
    nd->stats.min_ns = nd->stats.max_ns = nd->stats.total_ns / nd->stats.count;
    nd->stats.mean_ns = (double)nd->stats.min_ns;
    nd->time_every = 1;
    nd->res.samples = 20;
    nd->res.sample_every = 16;
    nd->res.mask = 1u << FATHOM_RES_CPU_USER_NS | 1u << FATHOM_RES_READ_BYTES;
    nd->res.sum[FATHOM_RES_CPU_USER_NS] = 1e8;
    nd->res.sum[FATHOM_RES_READ_BYTES] = 1048576;
    nd->alloc_self = (fathom_alloc){50, 51200, 40, 40960, 10, 10240, 102.4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    nd->alloc = nd->alloc_self;
    p->zones[i].stats = nd->stats;
    p->zones[i].res = nd->res;
    p->zones[i].alloc = nd->alloc;
    p->zones[i].alloc_self = nd->alloc_self;
    p->zones[i].time_every = 1;
  }
  p->zones[0].flops = p->nodes[0].flops = 2e9;
  p->zones[1].gov = p->nodes[1].gov = FATHOM_GOV_PROBES_THINNED;
  /* schema 4: load_batch's timing sampled (50 of 200 calls timed), its total an estimate
   * with a standard error of 20 ms and its p99 with a 95 % interval; train_step's CPU known
   * only as user + system */
  for (int k = 0; k < 2; k++) {
    fathom_stats *st = k ? &p->zones[1].stats : &p->nodes[1].stats;
    st->timed = 50;
    st->total_se_ns = st->self_se_ns = 20e6;
    st->p50_ns = st->p90_ns = st->p95_ns = st->p99_ns = st->p999_ns = 5e6;
    for (int q = 0; q < FATHOM_PCT_N; q++) st->pct_lo_ns[q] = 4.5e6, st->pct_hi_ns[q] = 5.5e6;
  }
  p->zones[1].gov |= FATHOM_GOV_TIME_SAMPLED;
  p->zones[1].time_every = p->nodes[1].time_every = 4;
  for (int k = 0; k < 2; k++) {
    fathom_res *r = k ? &p->zones[0].res : &p->nodes[0].res;
    r->mask = 1u << FATHOM_RES_CPU_NS | 1u << FATHOM_RES_READ_BYTES;
    r->sum[FATHOM_RES_CPU_NS] = 1e8;
  }
  m->n_zones = 300;
  m->n_timed = 150;
  m->setup_ns = 2e6;
  m->build_ns = 5e6;
  m->fixed_cost_ns = 7e6;
  fathom_resources *r = &p->res;
  *r = (fathom_resources){.monitored = 1, .n_samples = 2, .wall_s = 4, .cpu_user_s = 3,
                          .cpu_sys_s = 0.5, .cpu_pct_mean = 87.5, .cpu_pct_max = 99,
                          .rss_initial_bytes = 1e8, .rss_peak_bytes = 2e8, .rss_final_bytes = 1.5e8,
                          .vm_peak_bytes = 4e8, .sys_mem_total_bytes = 8e9,
                          .sys_mem_used_pct_max = 30, .threads_max = 2, .read_bytes = 2097152,
                          .write_bytes = 0, .disk_read_bytes = NAN, .disk_write_bytes = NAN,
                          .net_rx_bytes = NAN, .net_tx_bytes = NAN, .ctx_vol = 10,
                          .ctx_invol = 2, .minflt = 100, .majflt = 0,
                          .gpu_mem_peak_bytes = 1e9, .gpu_util_mean_pct = 60,
                          .gpu_util_max_pct = 95, .cpu_energy_j = NAN, .gpu_energy_j = 200,
                          .energy_j = 200, .carbon_g_per_kwh = 475, .carbon_g = 0.0264,
                          .flops = 2e9, .flops_per_s = 5e8, .leaked_bytes = 20480,
                          .leaked_count = 20};
  p->n_probes = 2;
  p->probes = zalloc(2, sizeof *p->probes);
  p->probes[0] = (fathom_probe_info){dup("rusage"), 1, dup("thread CPU time")};
  p->probes[1] = (fathom_probe_info){dup("perf_hw"), 0, dup("not supported here")};
  p->n_gpus = 1;
  p->gpus = zalloc(1, sizeof *p->gpus);
  p->gpus[0] = (fathom_gpu_info){0, dup("stand-in GPU"), 8e9, 1e9, NAN, 60, 95, 150, 65, 200};
  static const char *const cols[] = {"cpu_user_pct", "cpu_sys_pct", "rss_bytes",
                                     "gpu0_util_pct", "gpu0_mem_used_bytes"};
  fathom_series *se = &p->series;
  se->interval_s = 0.5;
  se->n_cols = 5;
  se->cols = zalloc(5, sizeof *se->cols);
  for (int k = 0; k < 5; k++) se->cols[k] = dup(cols[k]);
  se->n = 2;
  se->ts_ns = zalloc(2, sizeof *se->ts_ns);
  se->v = zalloc(10, sizeof *se->v);
  const double v[] = {80, 5, 1e8, 50, 5e8, 95, 4, 2e8, NAN, 1e9};
  se->ts_ns[0] = 500000000;
  se->ts_ns[1] = 1000000000;
  memcpy(se->v, v, sizeof v);
  p->n_mem_snapshots = 2;
  p->mem_snapshots = zalloc(2, sizeof *p->mem_snapshots);
  for (uint32_t i = 0; i < 2; i++) {
    fathom_mem_snapshot_info *sn = &p->mem_snapshots[i];
    sn->label = dup(i ? "after" : "before");
    sn->ts_ns = 1000000000ULL * (i + 1);
    sn->rss_bytes = 1e8 * (i + 1);
    sn->n = 1;
    sn->zone = zalloc(1, sizeof *sn->zone);
    sn->zone_live_count = zalloc(1, sizeof *sn->zone_live_count);
    sn->zone_live_bytes = zalloc(1, sizeof *sn->zone_live_bytes);
    sn->zone[0] = 1;
    sn->live_count = sn->zone_live_count[0] = 5 * (i + 1);
    sn->live_bytes = sn->zone_live_bytes[0] = 5120 * (i + 1);
  }
  p->n_gov_actions = 1;
  p->gov_actions = zalloc(1, sizeof *p->gov_actions);
  p->gov_actions[0] = (fathom_gov_action){1500000000, 1, FATHOM_GOV_PROBES_THINNED, 32, 5.5};
  int rc = fathom_profile_save(p, FATHOM_FORMAT_JSON, path);
  fathom_profile_free(p);
  if (rc) fprintf(stderr, "cli_gen: %s: %s\n", path, fathom_strerror(rc));
  return rc ? 1 : 0;
}

int main(int argc, char **argv) {
  int detailed = argc == 3 && strcmp(argv[1], "--detailed") == 0;
  if (argc == 3 && strcmp(argv[1], "--model") == 0) return write_model(argv[2]);
  if (argc != 2 && !detailed) {
    fprintf(stderr, "usage: cli_gen [--detailed|--model] OUT.json\n");
    return 2;
  }
  const char *out = argv[argc - 1];
  fathom_config cfg;
  fathom_config_init(&cfg);
  cfg.timeline = 1;   /* so the chrome view has events */
  cfg.out_path = out;
  if (detailed) {
    cfg.level = FATHOM_LEVEL_DETAILED;
    cfg.monitor = 1;
    cfg.monitor_interval_s = 0.01;
  }
  int rc = fathom_session_begin("cli_gen", &cfg);
  if (rc) {
    fprintf(stderr, "cli_gen: session_begin: %s\n", fathom_strerror(rc));
    return 1;
  }
  for (int i = 0; i < 8; i++) {
    FATHOM_ZONE("epoch", "training");
    load_batch(i);
    train_step(i);
    if (detailed && i % 4 == 0) (void)fathom_mem_snapshot(i ? "epoch 4" : "epoch 0");
  }
  fathom_zone z = fathom_zone_begin("evaluate", "eval");
  spin(30000);
  fathom_gauge_set("accuracy", 0.875);
  fathom_zone_end(z);
  rc = fathom_session_end(NULL);
  if (rc) {
    fprintf(stderr, "cli_gen: session_end: %s\n", fathom_strerror(rc));
    return 1;
  }
  FILE *f = fopen(out, "r");
  if (!f) {
    fprintf(stderr, "cli_gen: %s was not written\n", out);
    return 1;
  }
  fclose(f);
  return 0;
}
