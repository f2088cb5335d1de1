/* session.c: session begin/end, configuration defaults, outputs written at the end, live
 * reads (status, zone stats, breakdown, counters), reset, and the environment-driven
 * auto-start (FATHOM=1) with its exit hook and fork handling; a session the program begins
 * replaces the auto-started one. (The FATHOM_* variables, output claims and the diagnostics
 * of an empty profile: session/env.c.)
 *
 * Invariant: fz_rec_gen is nonzero exactly while a session records; every transition happens
 * under fz_g.lock, and lock order is always timeline drain lock -> fz_g.lock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "record/alloc.h"
#include "analysis/analysis.h"
#include "util/conffile.h"
#include "util/sched.h"
#include "model/check.h"
#include "record/gov.h"
#include "record/levels.h"
#include "record/locks.h"
#include "live/live.h"
#include "record/ext.h"
#include "probe/monitor.h"
#include "record/record.h"
#include "record/sampler.h"
#include "session/signals.h"
#include "record/tput.h"
#include "session/windows.h"
#include "session/session.h"  /* the environment's side (session/env.c) */
#include "view/view.h"


FATHOM_EXTERN void fathom_config_init(fathom_config *c) {
  memset(c, 0, sizeof *c);
  c->level = FATHOM_LEVEL_BASIC;
  c->max_nodes_per_thread = 16384;
  c->max_depth = 256;
  c->ring_events = 65536;
  c->max_trace_events = (uint64_t)4 << 20;
  c->monitor = -1;
  c->monitor_interval_s = 0.5;
  c->governor = 1;
  c->sample_every = 16;
  c->sample_hz = 1000;
  c->alloc_track = -1;
  c->carbon_g_per_kwh = 475;
  c->throughput_window_s = 60;
}

static void sanitize(fathom_config *c) {
  if ((unsigned)c->level > FATHOM_LEVEL_COMPREHENSIVE) c->level = FATHOM_LEVEL_BASIC;
  if ((unsigned)c->clock > FATHOM_CLOCK_MONOTONIC) c->clock = FATHOM_CLOCK_AUTO;
  if (c->max_nodes_per_thread < 16) c->max_nodes_per_thread = 16;
  if (c->max_depth < 4) c->max_depth = 4;
  if (c->max_depth > 4096) c->max_depth = 4096;
  if (c->ring_events < 64) c->ring_events = 64;
  if (c->ring_events > (1u << 24)) c->ring_events = 1u << 24;
  if (c->max_overhead_percent <= 0) {
    static const double def[] = {0, 1, 5, 10};
    c->max_overhead_percent = def[c->level];
  }
  if (c->monitor_interval_s <= 0) c->monitor_interval_s = 0.5;
  if (c->monitor_interval_s < 0.01) c->monitor_interval_s = 0.01;
  if (c->sample_every == 0) c->sample_every = 16;
  if (!(c->sample_hz >= 0) || c->sample_hz > 20000) c->sample_hz = 1000;
  if (!(c->carbon_g_per_kwh >= 0)) c->carbon_g_per_kwh = 475;
  if (!(c->throughput_window_s > 0)) c->throughput_window_s = 60;
  if (c->autosave_path && !(c->autosave_interval_s > 0) && c->autosave_every_ops == 0)
    c->autosave_interval_s = 60;
}

static int alloc_wanted(const fathom_config *c) {
  return c->alloc_track == 1 || (c->alloc_track == -1 && c->level >= FATHOM_LEVEL_DETAILED);
}

static char *owned_out, *owned_trace, *owned_components, *owned_levels, *owned_metrics;
static char *owned_sla;               /* findings (issue 4): cfg.sla and cfg.thresholds */
static fathom_thresholds owned_thr;
static uint32_t gen_counter;
/* FATHOM=1 / FATHOM_OUT asked for a profile that no session has written yet: the session
 * that begins now serves it (session/env.c: the outputs it takes), and is ended at exit. */
static int env_pending;
/* The active session serves that request (its end is the one that writes the profile). */
static int env_session;
/* The active session is the one the environment started: a session the program begins
 * replaces it (docs/api.md); the end that does so discards it (discard_end). */
static int auto_session, discard_end;

/* The program began its own session while the environment's was active: that one ends,
 * what it recorded is discarded, and the program's begins with its own configuration plus
 * the outputs the environment asks for that it lacks. Said once. */
static void replace_auto_session(const char *name, const fathom_config *c) {
  static int said;
  pthread_mutex_lock(&fz_g.lock);
  discard_end = 1;
  pthread_mutex_unlock(&fz_g.lock);
  fathom_session_end(NULL);
  pthread_mutex_lock(&fz_g.lock);
  discard_end = 0;
  pthread_mutex_unlock(&fz_g.lock);
  if (said++) return;
  fprintf(stderr, "fathom: %s began its own session '%s': it replaces the one FATHOM=1/FATHOM_OUT "
          "started (what that one recorded is discarded) and keeps its own configuration; its "
          "profile goes to %s\n", fz_program_name(), name && *name ? name : fz_program_name(),
          c->out_path ? c->out_path : c->report_to_stderr ? "stderr" : "the program only");
}

static int session_begin(const char *name, const fathom_config *cfg, int autostart) {
  uint64_t setup_t0 = fz_mono_ns_cold();
  fz_clock_init();
  fathom_config c;
  if (cfg) {
    c = *cfg;
  } else {
    fathom_config_init(&c);
    fathom_config_from_env(&c);
  }
  pthread_mutex_lock(&fz_g.lock);
  int env = env_pending, replace = fz_g.active && auto_session && !autostart;
  pthread_mutex_unlock(&fz_g.lock);
  fz_env_outputs(&c, env);
  /* levels per component and metric switches: c.level becomes the highest level asked */
  fz_levels_req lreq;
  char lerr[400];
  int lrc = fz_levels_prepare(&c, &lreq, lerr, sizeof lerr);
  if (lrc) {
    fprintf(stderr, "fathom: %s; the session was not begun\n", lerr);
    return lrc;
  }
  if (replace) replace_auto_session(name, &c);
  sanitize(&c);
  pthread_mutex_lock(&fz_g.lock);
  if (fz_g.active) {
    pthread_mutex_unlock(&fz_g.lock);
    fz_levels_discard(&lreq);
    return FATHOM_E_STATE;
  }
  fz_levels_commit(&lreq);
  env_session = env;
  auto_session = autostart;
  fz_threads_reap();
  fz_clock_select(c.clock == FATHOM_CLOCK_MONOTONIC);
  /* the plain path reads the counter and pushes no timeline events */
  fz_g.plain_ok = FZ_LD(fz_clk.use_counter) && !c.timeline;
  fz_g.timeline_ok = FZ_LD(fz_clk.use_counter) && c.timeline;
  fz_g.sampling = c.level != FATHOM_LEVEL_DISABLED && fz_sampler_setup(c.sample_hz) == 0;
  /* the config's strings are the caller's: keep copies for the session's life */
  free(owned_out);
  free(owned_trace);
  free(owned_components);
  free(owned_levels);
  free(owned_metrics);
  owned_out = fz_strdup(c.out_path);
  owned_trace = fz_strdup(c.trace_path);
  owned_components = fz_strdup(c.components);
  owned_levels = fz_strdup(c.component_levels);
  owned_metrics = fz_strdup(c.metrics);
  c.out_path = owned_out;
  c.trace_path = owned_trace;
  c.components = owned_components;
  c.component_levels = owned_levels;
  c.metrics = owned_metrics;
  char slaerr[256];
  free(owned_sla);
  owned_sla = c.sla && fz_sla_validate(c.sla, slaerr, sizeof slaerr) == 0 ? fz_strdup(c.sla) : NULL;
  if (c.sla && !owned_sla && fz_sla_validate(c.sla, slaerr, sizeof slaerr) == FATHOM_E_INVAL)
    fprintf(stderr, "fathom: FATHOM_SLA=%s: %s; no SLAs will be checked\n", c.sla, slaerr);
  c.sla = owned_sla;
  if (c.thresholds) owned_thr = *c.thresholds;
  c.thresholds = c.thresholds ? &owned_thr : NULL;
  fz_g.cfg = c;
  free(fz_g.components);
  fz_g.components = fz_split_list(c.components);
  fz_sites_set_excludes(fz_getenv("FATHOM_EXCLUDE"));
  fz_sites_refilter();
  if (!name || !*name) {
    static char exe[256];
    ssize_t r = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[r > 0 ? r : 0] = 0;
    const char *b = strrchr(exe, '/');
    name = b ? b + 1 : (*exe ? exe : "session");
  }
  size_t nl = strlen(name);
  if (nl >= sizeof fz_g.session_name) nl = sizeof fz_g.session_name - 1;
  memcpy(fz_g.session_name, name, nl);
  fz_g.session_name[nl] = 0;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  fz_g.start_unix_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
  fz_g.session_id = ((uint64_t)getpid() << 40) ^ (fz_g.start_unix_ns & ((1ull << 40) - 1));
  if (++gen_counter == 0) gen_counter = 1;
  fz_g.session_gen = gen_counter;
  fz_g.session_first_gen = gen_counter;
  FZ_ST(fz_g.active, 1);
  fz_g.enabled = 1;
  fz_g.forked_child = 0;
  fz_g.misuse_at_start = fz_misuse_global();
  /* a probed call's cost, measured on this thread with probes of its own */
  fz_g.probe_cost_ns = fz_levels_probing(&c) ? fz_measure_probe_cost((int)c.level) : 0;
  if (fz_levels_probing(&c)) fz_g.probe_cost_ns += fz_ext_probe_cost_ns();   /* ext.c */
  fz_alloc_session(fz_g.session_gen, alloc_wanted(&c));
  fz_alloc_snapshots_clear();
  fz_gov_reset();
  pthread_mutex_unlock(&fz_g.lock);
  if (c.timeline) fz_timeline_start();
  pthread_mutex_lock(&fz_g.lock);
  if (c.level != FATHOM_LEVEL_DISABLED) {
    __atomic_store_n(&fz_rec_gen, fz_g.session_gen, __ATOMIC_SEQ_CST);
    FZ_ST(fz_hooks_armed, 1);
  }
  pthread_mutex_unlock(&fz_g.lock);
  if (c.level != FATHOM_LEVEL_DISABLED)
    fz_measure_zone_cost();
  else
    fz_g.zone_cost_ns = fz_g.zone_in_ns = fz_g.untimed_cost_ns = fz_g.hook_cost_ns =
        fz_g.hook_in_ns = fz_g.hook_untimed_ns = fz_g.zone_sp_ns = fz_g.zone_sp_in_ns =
            fz_g.hook_sp_ns = fz_g.hook_sp_in_ns = 0;
  pthread_mutex_lock(&fz_g.lock);
  fz_g.cpu_at_start_ns = fz_process_cpu_ns();
  fz_g.start_ticks = fz_ticks();
  fz_g.start_mono_ns = fz_mono_ns();
  fz_g.setup_ns = fz_g.start_mono_ns > setup_t0 ? fz_g.start_mono_ns - setup_t0 : 0;
  pthread_mutex_unlock(&fz_g.lock);
  char wwhy[200];
  if (c.windows && fz_windows_parse(c.windows, 1, wwhy, sizeof wwhy))
    fprintf(stderr, "fathom: FATHOM_WINDOWS=%s: %s\n", c.windows, wwhy);
  int sample = c.monitor == 1 || (c.monitor == -1 && c.level >= FATHOM_LEVEL_DETAILED);
  fz_g.monitor_sampling = 0;
  /* endpoint, autosave, sinks (live.h) and windowed throughput arm their tasks before the
   * scheduler's thread starts (wire.c wires them) */
  fz_session_wire();
  if (c.level != FATHOM_LEVEL_DISABLED) fz_live_session_begin(&c);
  fz_tput_session_begin(&c);
  if (c.level != FATHOM_LEVEL_DISABLED && (sample || c.governor || fz_sched_wanted())) {
    if (fz_monitor_begin(sample, c.monitor_interval_s, c.carbon_g_per_kwh,
                         fz_g.start_mono_ns) == 0) {
      char why[160];
      int rc = fz_sched_start(why, sizeof why);
      if (rc == 0 || rc == FATHOM_E_STATE) {
        fz_g.monitor_sampling = sample;
      } else {
        fz_monitor_end();
        fz_monitor_fail(why);
      }
    }
  } else {
    fz_monitor_clear(); /* no monitor this session: forget the last one's data */
  }
  return 0;
}

FATHOM_EXTERN int fathom_session_begin(const char *name, const fathom_config *cfg) {
  int saved = errno;
  int rc = session_begin(name, cfg, 0);
  errno = saved;
  return rc;
}

static int write_outputs(const fathom_profile *p, const fathom_config *c) {
  int rc = 0;
  char path[4096];
  if (c->out_path) {
    fz_out_name(c->out_path, fz_g.forked_child, path, sizeof path);
    int r = fathom_profile_save(p, fz_format_for_path(c->out_path), path);
    if (r) {
      fprintf(stderr, "fathom: cannot write the profile to %s: %s\n", path, fathom_strerror(r));
      rc = r;
    }
  }
  if (c->trace_path) {
    fz_out_name(c->trace_path, fz_g.forked_child, path, sizeof path);
    int r = fathom_profile_save(p, FATHOM_FORMAT_CHROME, path);
    if (r) {
      fprintf(stderr, "fathom: cannot write the trace to %s: %s\n", path, fathom_strerror(r));
      if (!rc) rc = r;
    }
  }
  const char *zd = getenv("FATHOM_RUN_ZONES");
  if (zd && *zd && (p->n_events || p->n_locks || p->n_requests || p->n_queries)) {
    /* for `fathom run` (docs/run.md): the zones' timeline, the locks, the requests, the
     * database statements */
    snprintf(path, sizeof path, "%s/zones.%ld.%llu.json", zd, (long)getpid(),
             (unsigned long long)fz_g.start_mono_ns);
    int r = fathom_profile_save(p, FATHOM_FORMAT_JSON, path);
    if (r) fprintf(stderr, "fathom: cannot hand the zones to fathom run (%s): %s\n", path,
                   fathom_strerror(r));
  }
  if (c->report_to_stderr) {
    const char *nc = getenv("NO_COLOR");
    int color = isatty(2) && !(nc && *nc);
    fathom_profile_write(p, FATHOM_FORMAT_TEXT, stderr, color);
  }
  return rc;
}

static int session_end(fathom_profile **out) {
  int saved = errno;
  if (out) *out = NULL;
  pthread_mutex_lock(&fz_g.lock);
  if (!fz_g.active) {
    pthread_mutex_unlock(&fz_g.lock);
    return FATHOM_E_STATE;
  }
  /* the auto-started session a session of the program replaces: neither built nor written */
  int env = env_session, discard = discard_end && auto_session;
  env_session = auto_session = discard_end = 0;
  if (env && !discard) env_pending = 0;
  fz_g.end_ticks = fz_ticks();
  fz_g.cpu_at_end_ns = fz_process_cpu_ns();
  fz_clock_refine();
  uint32_t g = fz_g.session_gen;
  __atomic_store_n(&fz_rec_gen, 0, __ATOMIC_SEQ_CST);
  fz_nodes_set_live(0);
  for (fz_thread *t = fz_g.threads; t; t = t->next) fz_sampler_disarm(t);
  FZ_ST(fz_g.active, 0);
  fz_g.ended_duration_ns = fz_ticks_to_ns(fz_g.end_ticks - fz_g.start_ticks);
  fathom_config c = fz_g.cfg;
  fz_alloc_session(0, 0);
  pthread_mutex_unlock(&fz_g.lock);
  fz_sched_stop();   /* no task ticks past here */
  fz_monitor_end();
  fz_live_session_stop();   /* the endpoint's thread is joined before the model is built */
  if (c.timeline) fz_timeline_stop();
  if (discard) {
    fz_live_session_end(NULL);
    errno = saved;
    return 0;
  }
  uint64_t build_t0 = fz_mono_ns();
  fz_timeline_lock();
  pthread_mutex_lock(&fz_g.lock);
  fathom_profile *p = fz_build_profile(g, 1);
  if (p) fz_results_fill(p, g);   /* out of memory: the profile keeps those copied */
  if (p) fz_locks_fill(p, g);     /* lock profiling (record/locks.c) */
  pthread_mutex_unlock(&fz_g.lock);
  fz_timeline_unlock();
  if (!p) {
    fprintf(stderr, "fathom: out of memory building the profile\n");
    errno = saved;
    return FATHOM_E_NOMEM;
  }
  fz_tput_fill(p, 1);   /* windowed throughput, before findings and outputs */
  fz_win_fill(p, g, 0); /* rolling windows at the session's end (session/windows.c) */
  fz_queries_fill(p, g);   /* database statements (work/sql_out.c), before the findings */
  fz_requests_fill(p, g);  /* network requests (work/net_out.c), before the findings */
  fz_gpu_fill(p, g, 1);    /* GPU zones (work/gpu_zones.c), pending pairs waited for */
  fz_sig_mark(p);       /* cut short by a signal (signals.c) */
  fz_session_findings(p, &c);  /* SLAs and findings (analysis/sla.c) before any output */
  fz_ext_session_report(p);    /* extensions' report sections (record/ext.c) */
  p->meta.build_ns = (double)(fz_mono_ns() - build_t0);
  p->meta.fixed_cost_ns += p->meta.build_ns;
  fz_check_env(p, "session end");
  fz_live_session_end(p);   /* the last autosave and sink flush, with the final model */
  int rc = write_outputs(p, &c);
  fz_session_diagnose(p, env);
  if (out)
    *out = p;
  else
    fathom_profile_free(p);
  errno = saved;
  return rc;
}

/* One end at a time; a signal taken meanwhile has its course after it (signals.c). */
FATHOM_EXTERN int fathom_session_end(fathom_profile **out) {
  return fz_sig_end(session_end, out);
}

FATHOM_EXTERN fathom_profile *fathom_snapshot(void) {
  int saved = errno;
  uint64_t t_snap = fz_ticks(); /* the windows' calls ended by then are in the zones */
  fz_timeline_lock();
  pthread_mutex_lock(&fz_g.lock);
  fathom_profile *p = NULL;
  uint32_t g = 0;
  if (fz_g.active) {
    pthread_mutex_unlock(&fz_g.lock);
    fz_timeline_unlock();
    if (fz_g.cfg.timeline) fz_timeline_drain();
    fz_timeline_lock();
    pthread_mutex_lock(&fz_g.lock);
    if (fz_g.active) p = fz_build_profile(fz_g.session_gen, 0);
    if (p) fz_results_fill(p, g = fz_g.session_gen);
    if (p) fz_locks_fill(p, fz_g.session_gen);
  }
  pthread_mutex_unlock(&fz_g.lock);
  fz_timeline_unlock();
  fz_queries_fill(p, g);
  fz_requests_fill(p, g);
  if (p) fz_gpu_fill(p, g, 0);
  fz_tput_fill(p, 0);   /* windowed throughput so far (NULL: nothing) */
  fz_win_fill(p, g, t_snap); /* rolling windows as the snapshot began */
  fz_check_env(p, "snapshot");
  errno = saved;
  return p;
}

FATHOM_EXTERN int fathom_session_info_get(fathom_session_info *info) {
  if (!info) return FATHOM_E_INVAL;
  memset(info, 0, sizeof *info);
  pthread_mutex_lock(&fz_g.lock);
  int rc = 0;
  if (!fz_g.session_gen) {
    rc = FATHOM_E_STATE;
  } else {
    info->active = fz_g.active;
    info->id = fz_g.session_id;
    snprintf(info->name, sizeof info->name, "%s", fz_g.session_name);
    info->start_unix_ns = fz_g.start_unix_ns;
    info->duration_ns = fz_g.active ? fz_ticks_to_ns(fz_ticks() - fz_g.start_ticks)
                                    : fz_g.ended_duration_ns;
    info->level = fz_g.cfg.level;
  }
  pthread_mutex_unlock(&fz_g.lock);
  return rc;
}

FATHOM_EXTERN void fathom_set_enabled(int enabled) {
  pthread_mutex_lock(&fz_g.lock);
  if (fz_g.active && fz_g.cfg.level != FATHOM_LEVEL_DISABLED) {
    fz_g.enabled = enabled != 0;
    __atomic_store_n(&fz_rec_gen, enabled ? fz_g.session_gen : 0, __ATOMIC_SEQ_CST);
    fz_nodes_set_live(enabled != 0);
  }
  pthread_mutex_unlock(&fz_g.lock);
}

FATHOM_EXTERN int fathom_reset(void) {
  fz_timeline_lock();
  pthread_mutex_lock(&fz_g.lock);
  int rc = 0;
  if (!fz_g.active) {
    rc = FATHOM_E_STATE;
  } else {
    if (++gen_counter == 0) gen_counter = 1;
    fz_g.session_gen = gen_counter;
    if (fz_g.enabled && fz_g.cfg.level != FATHOM_LEVEL_DISABLED)
      __atomic_store_n(&fz_rec_gen, fz_g.session_gen, __ATOMIC_SEQ_CST);
    fz_nodes_set_live(0); /* every thread's old tree: recycled at its next zone */
    fz_sites_refilter();
    fz_alloc_session(fz_g.session_gen, alloc_wanted(&fz_g.cfg));
    fz_alloc_snapshots_clear();
    fz_gov_reset();
    fz_g.misuse_at_start = fz_misuse_global();
    fz_g.start_ticks = fz_ticks();
    fz_g.start_mono_ns = fz_mono_ns();
    fz_g.cpu_at_start_ns = fz_process_cpu_ns();
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    fz_g.start_unix_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
  }
  pthread_mutex_unlock(&fz_g.lock);
  fz_timeline_unlock();
  if (!rc && fz_g.cfg.timeline) {
    fz_timeline_stop();
    fz_timeline_start();
  }
  return rc;
}

FATHOM_EXTERN int fathom_status_get(fathom_status *st) {
  if (!st) return FATHOM_E_INVAL;
  memset(st, 0, sizeof *st);
  pthread_mutex_lock(&fz_g.lock);
  st->active = fz_g.active;
  st->enabled = fz_g.active && fz_g.enabled;
  st->level = fz_g.cfg.level;
  uint32_t g = fz_g.session_gen;
  st->misuse = fz_misuse_global() - fz_g.misuse_at_start;
  for (fz_thread *t = fz_g.threads; t; t = t->next) {
    st->fathom_bytes += FZ_LD(t->bytes);
    if (FZ_LD(t->gen) != g || t->hidden || !fz_g.active) continue;
    st->n_threads++;
    st->n_nodes += FZ_LD(t->n_nodes);
    st->dropped_zones += FZ_LD(t->dropped_zones);
    st->misuse += FZ_LD(t->misuse);
  }
  st->dropped_events = fz_g.active && fz_g.cfg.timeline ? fz_timeline_dropped() : 0;
  pthread_mutex_unlock(&fz_g.lock);
  if (st->active) { /* zone count needs the trees: a snapshot */
    fathom_profile *p = fathom_snapshot();
    if (p) {
      st->n_zones = p->meta.n_zones;
      st->n_sites = p->n_zones; /* distinct zones recorded in this session */
      fathom_profile_free(p);
    }
  }
  return st->active ? 0 : FATHOM_E_STATE;
}

FATHOM_EXTERN int fathom_zone_stats(const char *name, fathom_stats *out) {
  if (!name || !out) return FATHOM_E_INVAL;
  fathom_profile *p = fathom_snapshot();
  if (!p) return FATHOM_E_STATE;
  int found = 0;
  fathom_stats acc;
  fathom_hist h = {0, NULL, NULL, 0};
  memset(&acc, 0, sizeof acc);
  for (uint32_t i = 0; i < p->n_zones; i++) {
    if (strcmp(p->zones[i].name, name) != 0) continue;
    found = 1;
    fz_stats_merge(&acc, &p->zones[i].stats);
    fz_hist_merge(&h, &p->zones[i].hist);
  }
  fz_stats_set_percentiles(&acc, &h);
  fz_hist_free(&h);
  fathom_profile_free(p);
  if (!found) return FATHOM_E_NOTFOUND;
  *out = acc;
  return 0;
}

static int cmp_breakdown(const void *a, const void *b) {
  const fathom_breakdown *x = a, *y = b;
  return x->total_s < y->total_s ? 1 : x->total_s > y->total_s ? -1 : 0;
}

FATHOM_EXTERN int fathom_timing_breakdown(fathom_breakdown *out, size_t cap) {
  static __thread char *names __attribute__((tls_model("initial-exec"))); /* returned names */
  fathom_profile *p = fathom_snapshot();
  if (!p) return FATHOM_E_STATE;
  double top = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (p->nodes[i].parent == FATHOM_NONE) top += (double)p->nodes[i].stats.total_ns;
  size_t bytes = 0;
  for (uint32_t i = 0; i < p->n_zones; i++) bytes += strlen(p->zones[i].name) + 1;
  fathom_breakdown *all = calloc(p->n_zones ? p->n_zones : 1, sizeof *all);
  char *buf = malloc(bytes ? bytes : 1);
  if (!all || !buf) {
    free(all);
    free(buf);
    fathom_profile_free(p);
    return FATHOM_E_NOMEM;
  }
  char *w = buf;
  for (uint32_t i = 0; i < p->n_zones; i++) {
    size_t l = strlen(p->zones[i].name) + 1;
    memcpy(w, p->zones[i].name, l);
    all[i].name = w;
    w += l;
    all[i].total_s = (double)p->zones[i].stats.total_ns / 1e9;
    all[i].count = p->zones[i].stats.count;
    all[i].percent = top > 0 ? 100.0 * (double)p->zones[i].stats.total_ns / top : 0;
  }
  qsort(all, p->n_zones, sizeof *all, cmp_breakdown);
  int n = (int)p->n_zones;
  if (out) memcpy(out, all, (cap < p->n_zones ? cap : p->n_zones) * sizeof *all);
  free(all);
  free(names);
  names = buf;
  fathom_profile_free(p);
  return n;
}

FATHOM_EXTERN int fathom_counter_get(const char *name, double *value) {
  if (!name || !value) return FATHOM_E_INVAL;
  fathom_profile *p = fathom_snapshot();
  if (!p) return FATHOM_E_STATE;
  int rc = FATHOM_E_NOTFOUND;
  for (uint32_t i = 0; i < p->n_counters; i++)
    if (strcmp(p->counters[i].name, name) == 0 && p->counters[i].n_updates) {
      *value = p->counters[i].value;
      rc = 0;
    }
  fathom_profile_free(p);
  return rc;
}

/* ---- auto-start from the environment ---------------------------------------------- */

static void at_exit(void) {
  if (fz_g.autostarted) fathom_session_end(NULL); /* waits for an end in progress */
}

static void atfork_prepare(void) {
  fz_timeline_lock();
  pthread_mutex_lock(&fz_g.lock);
}
static void atfork_parent(void) {
  pthread_mutex_unlock(&fz_g.lock);
  fz_timeline_unlock();
}
static void atfork_child(void) {
  fz_sig_after_fork_child();
  fz_threads_after_fork();
  fz_timeline_after_fork();
  fz_sched_after_fork_child();
  fz_monitor_after_fork_child();
  fz_live_after_fork_child();
  fz_tput_after_fork_child();
  fz_g.forked_child = 1;
}

/* record.c refers to this, so that a program linking libfathom.a for its zones or hooks
 * alone (no call into this file) still gets the auto-start below. */
const char fz_session_anchor = 1;

/* The program began its own session before the constructor below ran: that session serves
 * the environment's request (the outputs it lacks; ended at exit). 1 when it does. */
static int adopt_active_session(void) {
  pthread_mutex_lock(&fz_g.lock);
  int ok = fz_g.active && !env_session;
  fathom_config c = fz_g.cfg;
  pthread_mutex_unlock(&fz_g.lock);
  if (!ok) return 0;
  const char *trace = c.trace_path;
  fz_env_outputs(&c, 1);
  char *o = fz_strdup(c.out_path);
  pthread_mutex_lock(&fz_g.lock);
  ok = fz_g.active && !env_session && (o || !c.out_path);
  if (ok) {
    free(owned_out);
    fz_g.cfg.out_path = owned_out = o;
    fz_g.cfg.report_to_stderr = c.report_to_stderr;
    env_session = 1;
  } else {
    free(o);
  }
  pthread_mutex_unlock(&fz_g.lock);
  if (ok && c.trace_path != trace)
    fprintf(stderr, "fathom: FATHOM_TRACE is ignored: the program's own session, begun before "
            "fathom's start-up, has no timeline\n");
  return ok;
}

__attribute__((constructor)) static void fz_autostart(void) {
  pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
  if (!fz_env_wants_profile()) return;
  env_pending = 1;
  fathom_config c;
  fathom_config_init(&c);
  fathom_config_from_env(&c);
  if (session_begin(NULL, &c, 1) == 0 || adopt_active_session()) {
    fz_g.autostarted = 1;
    atexit(at_exit);
    fz_sig_watch();
  }
}
