/* session/env.c: the environment's side of a session. fathom_config_from_env (the FATHOM_*
 * variables); the request for a profile that FATHOM=1 / FATHOM_OUT make, and the outputs a
 * session serving it takes; claims of those output files, so that two running processes
 * (a program and a fathom-linked program it runs) never write the same file; and the
 * diagnostics at session end when a profile the user asked for holds nothing (or misses a
 * module), each said once on stderr with its fix.
 *
 * How a claim works: a process claims an output path by binding an abstract Unix socket
 * named after a hash of the path's canonical form. The kernel frees the name when the last
 * descriptor of the socket closes, so a claim ends with its process (crash included) and
 * leaves no file; the socket is close-on-exec, so a program exec'd by the claimant does not
 * inherit it, and its own claim fails. It listens, so that a process that finds the name
 * taken learns the holder's pid (SO_PEERCRED) for its message. Where sockets cannot be made,
 * nothing is claimed and the path is used as given.
 *
 * Invariant: nothing here fails a session: a claim that cannot be made leaves the path as
 * it is; every message is one line, said once per process. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "record/record.h"
#include "session/session.h"
#include "session/windows.h"
#include "util/conffile.h"

/* Where an option's values come from: the environment, then the file FATHOM_CONFIG names
 * (file NULL), or one file alone. */
typedef struct src {
  const fz_conf *file;
} src;
static const char *get(const src *s, const char *name) {
  return s->file ? fz_conf_get(s->file, name) : fz_getenv(name);
}
static const char *where(const src *s, const char *name) {
  return s->file ? fz_conf_where(s->file, name) : fz_getenv_where(name);
}

static int opt_double(const src *s, const char *var, double *out, double lo, double hi) {
  const char *v = get(s, var);
  if (!v || !*v) return 0;
  char *end;
  double d = strtod(v, &end);
  if (*end || !(d >= lo && d <= hi)) {
    fprintf(stderr, "fathom: %s%s=%s: expected a number in [%g, %g]; ignored\n", where(s, var),
            var, v, lo, hi);
    return FATHOM_E_INVAL;
  }
  *out = d;
  return 0;
}

static int opt_u64(const src *s, const char *var, uint64_t *out, uint64_t lo, uint64_t hi) {
  const char *v = get(s, var);
  if (!v || !*v) return 0;
  char *end;
  errno = 0;
  unsigned long long x = strtoull(v, &end, 10);
  if (errno || *end || x < lo || x > hi || *v == '-') {
    fprintf(stderr, "fathom: %s%s=%s: expected an integer in [%llu, %llu]; ignored\n",
            where(s, var), var, v, (unsigned long long)lo, (unsigned long long)hi);
    return FATHOM_E_INVAL;
  }
  *out = x;
  return 0;
}

static int opt_u32(const src *s, const char *var, uint32_t *out, uint64_t lo, uint64_t hi) {
  uint64_t x = *out;
  int rc = opt_u64(s, var, &x, lo, hi);
  *out = (uint32_t)x;
  return rc;
}

static int opt_bool(const src *s, const char *var, int *out) {
  const char *v = get(s, var);
  if (!v || !*v) return 0;
  if (!strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on")) {
    *out = 1;
  } else if (!strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "false") ||
             !strcasecmp(v, "off")) {
    *out = 0;
  } else {
    fprintf(stderr, "fathom: %s%s=%s: expected 0 or 1; ignored\n", where(s, var), var, v);
    return FATHOM_E_INVAL;
  }
  return 0;
}

static void opt_str(const src *s, const char *var, const char **out) {
  const char *v = get(s, var);
  if (v && *v) *out = v;
}

/* FATHOM_COMPONENT_LEVELS: "comp=level,..." (record/levels.c parses it). */
static int opt_levels(const src *s, fathom_config *c) {
  const char *v = get(s, "FATHOM_COMPONENT_LEVELS");
  if (!v || !*v) return 0;
  fz_clevel *lv;
  uint32_t n;
  char *buf, err[200];
  int rc = fz_levels_parse(v, &lv, &n, &buf, err, sizeof err);
  free(lv);
  free(buf);
  if (rc) {
    fprintf(stderr, "fathom: %sFATHOM_COMPONENT_LEVELS=%s: %s; ignored\n",
            where(s, "FATHOM_COMPONENT_LEVELS"), v, rc == FATHOM_E_NOMEM ? "out of memory" : err);
    return FATHOM_E_INVAL;
  }
  c->component_levels = v;
  return 0;
}

/* FATHOM_METRICS: "-io,gpu=off,cpu=on" (record/levels.c parses it). */
static int opt_metrics(const src *s, fathom_config *c) {
  const char *v = get(s, "FATHOM_METRICS");
  if (!v || !*v) return 0;
  uint32_t off, on;
  char err[200];
  int rc = fz_metrics_parse(v, &off, &on, err, sizeof err);
  if (rc) {
    fprintf(stderr, "fathom: %sFATHOM_METRICS=%s: %s; ignored\n", where(s, "FATHOM_METRICS"), v,
            rc == FATHOM_E_NOMEM ? "out of memory" : err);
    return FATHOM_E_INVAL;
  }
  c->metrics = v;
  return 0;
}

FATHOM_EXTERN int fathom_config_preset(fathom_config *c, const char *name) {
  if (!c || !name) return FATHOM_E_INVAL;
  fathom_config d;
  fathom_config_init(&d);
  /* the fields a preset sets, from the defaults (the others keep the caller's values) */
  fathom_level level = FATHOM_LEVEL_BASIC;
  double budget = 0, interval = d.monitor_interval_s;
  int monitor = d.monitor, alloc = d.alloc_track, timeline = 0, governor = 1;
  uint32_t every = d.sample_every;
  const char *metrics = NULL;
  if (!strcasecmp(name, "standard")) {
  } else if (!strcasecmp(name, "lightweight")) {
    budget = 1;
    monitor = 0;
    alloc = 0;
    /* time only: no probe is read, even for a component given a higher level */
    metrics = "-memory,-cpu,-io,-network,-hwcounters,-gpu,-energy";
  } else if (!strcasecmp(name, "detailed")) {
    level = FATHOM_LEVEL_DETAILED;
  } else if (!strcasecmp(name, "comprehensive")) {
    level = FATHOM_LEVEL_COMPREHENSIVE;
    monitor = 1;
    alloc = 1;
    timeline = 1;
  } else if (!strcasecmp(name, "research")) {
    level = FATHOM_LEVEL_COMPREHENSIVE;
    monitor = 1;
    interval = 0.1;
    alloc = 1;
    timeline = 1;
    every = 1;
    governor = 0;
  } else {
    return FATHOM_E_INVAL;
  }
  c->level = level;
  c->max_overhead_percent = budget;
  c->monitor = monitor;
  c->monitor_interval_s = interval;
  c->alloc_track = alloc;
  c->timeline = timeline;
  c->governor = governor;
  c->sample_every = every;
  c->metrics = metrics;
  return 0;
}

/* Applies the options of s to c: the preset first, then each option over it. */
static int apply(fathom_config *c, const src *s) {
  int rc = 0;
  const char *v = get(s, "FATHOM_PRESET");
  if (v && *v && fathom_config_preset(c, v) != 0) {
    fprintf(stderr, "fathom: %sFATHOM_PRESET=%s: expected standard, lightweight, detailed, "
                    "comprehensive or research; ignored\n", where(s, "FATHOM_PRESET"), v);
    rc = FATHOM_E_INVAL;
  }
  v = get(s, "FATHOM_LEVEL");
  if (v && *v && fathom_level_parse(v, &c->level) != 0) {
    fprintf(stderr, "fathom: %sFATHOM_LEVEL=%s: expected disabled, basic, detailed or "
                    "comprehensive; ignored\n", where(s, "FATHOM_LEVEL"), v);
    rc = FATHOM_E_INVAL;
  }
  if (opt_bool(s, "FATHOM_TIMELINE", &c->timeline)) rc = FATHOM_E_INVAL;
  if (opt_bool(s, "FATHOM_REPORT", &c->report_to_stderr)) rc = FATHOM_E_INVAL;
  if (opt_u32(s, "FATHOM_MAX_NODES", &c->max_nodes_per_thread, 16, 1u << 26)) rc = FATHOM_E_INVAL;
  if (opt_u32(s, "FATHOM_MAX_DEPTH", &c->max_depth, 4, 4096)) rc = FATHOM_E_INVAL;
  if (opt_u32(s, "FATHOM_RING", &c->ring_events, 64, 1u << 24)) rc = FATHOM_E_INVAL;
  if (opt_u64(s, "FATHOM_MAX_EVENTS", &c->max_trace_events, 0, (uint64_t)1 << 32))
    rc = FATHOM_E_INVAL;
  opt_str(s, "FATHOM_OUT", &c->out_path);
  if ((v = get(s, "FATHOM_TRACE")) && *v) {
    c->trace_path = v;
    c->timeline = 1;
  }
  opt_str(s, "FATHOM_COMPONENTS", &c->components);
  if (opt_levels(s, c)) rc = FATHOM_E_INVAL;
  if (opt_metrics(s, c)) rc = FATHOM_E_INVAL;
  if ((v = get(s, "FATHOM_CLOCK")) && *v) {
    if (!strcasecmp(v, "auto") || !strcasecmp(v, "tsc")) {
      c->clock = FATHOM_CLOCK_AUTO;
    } else if (!strcasecmp(v, "monotonic")) {
      c->clock = FATHOM_CLOCK_MONOTONIC;
    } else {
      fprintf(stderr, "fathom: %sFATHOM_CLOCK=%s: expected auto or monotonic; ignored\n",
              where(s, "FATHOM_CLOCK"), v);
      rc = FATHOM_E_INVAL;
    }
  }
  if (opt_double(s, "FATHOM_MAX_OVERHEAD", &c->max_overhead_percent, 0, 100)) rc = FATHOM_E_INVAL;
  if (opt_bool(s, "FATHOM_MONITOR", &c->monitor)) rc = FATHOM_E_INVAL;
  if (opt_double(s, "FATHOM_MONITOR_INTERVAL", &c->monitor_interval_s, 0.01, 86400))
    rc = FATHOM_E_INVAL;
  if (opt_bool(s, "FATHOM_GOVERNOR", &c->governor)) rc = FATHOM_E_INVAL;
  if (opt_u32(s, "FATHOM_SAMPLE_EVERY", &c->sample_every, 1, 1u << 20)) rc = FATHOM_E_INVAL;
  if (opt_double(s, "FATHOM_SAMPLE_HZ", &c->sample_hz, 0, 20000)) rc = FATHOM_E_INVAL;
  if (opt_bool(s, "FATHOM_ALLOC", &c->alloc_track)) rc = FATHOM_E_INVAL;
  if (opt_double(s, "FATHOM_CARBON_INTENSITY", &c->carbon_g_per_kwh, 0, 10000))
    rc = FATHOM_E_INVAL;
  opt_str(s, "FATHOM_SLA", &c->sla);
  opt_str(s, "FATHOM_WINDOWS", &c->windows);
  char wwhy[200];
  if (c->windows && fz_windows_parse(c->windows, 0, wwhy, sizeof wwhy)) {
    fprintf(stderr, "fathom: %sFATHOM_WINDOWS=%s: %s; ignored\n", where(s, "FATHOM_WINDOWS"),
            c->windows, wwhy);
    c->windows = NULL;
    rc = FATHOM_E_INVAL;
  }
  if (opt_double(s, "FATHOM_THROUGHPUT_WINDOW", &c->throughput_window_s, 0.1, 86400))
    rc = FATHOM_E_INVAL;
  opt_str(s, "FATHOM_LISTEN", &c->listen);
  opt_str(s, "FATHOM_AUTOSAVE", &c->autosave_path);
  if (opt_double(s, "FATHOM_AUTOSAVE_INTERVAL", &c->autosave_interval_s, 0.01, 86400 * 365))
    rc = FATHOM_E_INVAL;
  if (opt_u64(s, "FATHOM_AUTOSAVE_OPS", &c->autosave_every_ops, 0, UINT64_MAX))
    rc = FATHOM_E_INVAL;
  opt_str(s, "FATHOM_SINK", &c->sink_path);
  if (opt_double(s, "FATHOM_SINK_INTERVAL", &c->sink_interval_s, 0.1, 86400 * 365))
    rc = FATHOM_E_INVAL;
  return rc;
}

FATHOM_EXTERN int fathom_config_from_env(fathom_config *c) {
  if (!c) return FATHOM_E_INVAL;
  int saved = errno;
  src s = {NULL};
  int rc = apply(c, &s);
  const char *path = getenv("FATHOM_CONFIG");
  if (path && *path && !fz_conf_load(path)) rc = FATHOM_E_INVAL;
  errno = saved;
  return rc;
}

FATHOM_EXTERN int fathom_config_from_file(fathom_config *c, const char *path) {
  if (!c || !path || !*path) return FATHOM_E_INVAL;
  int saved = errno;
  src s = {fz_conf_load(path)};
  int rc = s.file ? apply(c, &s) : FATHOM_E_IO;
  errno = saved;
  return rc;
}

int fz_env_wants_profile(void) {
  const char *on = fz_getenv("FATHOM"), *out = fz_getenv("FATHOM_OUT");
  if (on && strcmp(on, "0") == 0) return 0;
  return (on && *on) || (out && *out);
}

static char exe_path[PATH_MAX];
static pthread_once_t exe_once = PTHREAD_ONCE_INIT;
static void exe_init(void) {
  ssize_t r = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
  if (r > 0)
    exe_path[r] = 0;
  else
    snprintf(exe_path, sizeof exe_path, "the program");
}

const char *fz_program_name(void) {
  pthread_once(&exe_once, exe_init);
  const char *b = strrchr(exe_path, '/');
  return b ? b + 1 : exe_path;
}

/* ---- claims of the environment's output files -------------------------------------- */

typedef struct claim {
  char *from, *to;   /* the path as the environment gives it; the one this process writes */
} claim;
#define MAX_CLAIMS 8
static claim claims[MAX_CLAIMS];
static int n_claims;
static pthread_mutex_t claim_lock = PTHREAD_MUTEX_INITIALIZER;

/* The socket name of path: a hash of its canonical form (the directory's real path and the
 * file's name when the file does not exist yet). */
static socklen_t claim_addr(const char *path, struct sockaddr_un *a) {
  char real[PATH_MAX + 256];
  if (!realpath(path, real)) {
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
    if (!realpath(dir, real)) snprintf(real, sizeof real, "%s", dir);
    size_t n = strlen(real);
    snprintf(real + n, sizeof real - n, "%s%s", n && real[n - 1] == '/' ? "" : "/",
             slash ? slash + 1 : path);
  }
  uint64_t h = 1469598103934665603ull;
  for (const char *c = real; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ull;
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "fathom-out-%016llx",
                   (unsigned long long)h);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* 1: this process holds path's claim now (its socket stays open until the process ends);
 * 0: another process holds it (its pid in *owner when it could be learned); -1: no claim
 * could be made. */
static int take_claim(const char *path, long *owner) {
  struct sockaddr_un a;
  socklen_t len = claim_addr(path, &a);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (bind(fd, (struct sockaddr *)&a, len) == 0) {
    (void)listen(fd, 16);
    return 1;
  }
  int taken = errno == EADDRINUSE;
  close(fd);
  if (!taken) return -1;
  int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct ucred cr;
  socklen_t cl = sizeof cr;
  if (c >= 0 && connect(c, (struct sockaddr *)&a, len) == 0 &&
      getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0)
    *owner = (long)cr.pid;
  if (c >= 0) close(c);
  return 0;
}

/* path with ".<pid>" before its extension (the one that decides its format), or "<pid>."
 * before a name that is all extension. */
static char *derived_name(const char *path, long pid) {
  static const char *const ext[] = {".speedscope.json", ".trace.json", "trace.json", ".html",
                                    ".htm", ".folded", ".json", ".csv", ".txt"};
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(path), at = n, b = (size_t)(base - path);
  for (size_t i = 0; i < sizeof ext / sizeof ext[0] && at == n; i++) {
    size_t l = strlen(ext[i]);
    if (n - b >= l && strcasecmp(path + n - l, ext[i]) == 0) at = n - l;
  }
  const char *dot = strrchr(base, '.');
  if (at == n && dot && dot > base) at = (size_t)(dot - path);
  char *r = malloc(n + 32);
  if (r)
    snprintf(r, n + 32, at == b ? "%.*s%ld.%s" : "%.*s.%ld%s", (int)at, path, pid, path + at);
  return r;
}

/* The path this process writes the environment's path `path` (variable var) to. */
static const char *claimed(const char *path, const char *var) {
  struct stat st;
  if (strstr(path, "%p") || strcmp(path, "-") == 0 || (stat(path, &st) == 0 && !S_ISREG(st.st_mode)))
    return path;   /* a name per process already, stdout, a device or a FIFO: no claim */
  const char *r = path;
  pthread_mutex_lock(&claim_lock);
  for (int i = 0; i < n_claims; i++)
    if (strcmp(claims[i].from, path) == 0) r = claims[i].to;
  if (r == path && n_claims < MAX_CLAIMS) {
    long owner = 0, pid = (long)getpid();
    char *to = take_claim(path, &owner) == 0 ? derived_name(path, pid) : NULL;
    char *from = strdup(path);
    if (to) {
      char who[48] = "";
      if (owner > 0) snprintf(who, sizeof who, " (pid %ld)", owner);
      fprintf(stderr, "fathom: %s=%s is claimed by another running process%s; this one (pid %ld) "
              "writes its profile to %s\n", var, path, who, pid, to);
    }
    if (from) {
      claims[n_claims++] = (claim){from, to ? to : from};
      r = to ? to : from;
    } else {
      free(to);
    }
  }
  pthread_mutex_unlock(&claim_lock);
  return r;
}

void fz_env_outputs(fathom_config *c, int inherit) {
  int saved = errno;
  const char *out = fz_getenv("FATHOM_OUT"), *trace = fz_getenv("FATHOM_TRACE");
  if (out && !*out) out = NULL;
  if (trace && !*trace) trace = NULL;
  if (inherit && !c->out_path) c->out_path = out;
  if (inherit && !c->trace_path && trace) {
    c->trace_path = trace;
    c->timeline = 1;
  }
  if (inherit && !c->out_path && !fz_getenv("FATHOM_REPORT")) c->report_to_stderr = 1;
  /* under `fathom run`, whatever the program's own configuration: the zones' timeline tells
   * it which zones each sample was taken in (session.c writes it there at the end) */
  const char *rz = getenv("FATHOM_RUN_ZONES");
  if (rz && *rz) c->timeline = 1;
  if (out && c->out_path && strcmp(c->out_path, out) == 0) c->out_path = claimed(out, "FATHOM_OUT");
  if (trace && c->trace_path && strcmp(c->trace_path, trace) == 0)
    c->trace_path = claimed(trace, "FATHOM_TRACE");
  errno = saved;
}

/* ---- diagnostics at session end ------------------------------------------------------ */

/* A profile with none of what the user asked for, or missing a module: why. */
void fz_session_diagnose(const fathom_profile *p, int env_session) {
  static int said_hooks, said_overflow, said_empty;
  int saved = errno;
  char mod[512], prov[512];
  if (!said_hooks && fz_hooks_misbound(mod, sizeof mod, prov, sizeof prov) > 0) {
    said_hooks = 1;
    fprintf(stderr, "fathom: %s was built with -finstrument-functions, but its hook calls go to "
            "%s's empty hooks, not fathom's, so its functions are not recorded; put fathom first: "
            "-lfathom after the objects on the link line (a program that only loads it through a "
            "shared library: -Wl,--no-as-needed -lfathom), or LD_PRELOAD=libfathom.so.0\n", mod, prov);
  }
  uint64_t over = 0;
  for (uint32_t i = 0; i < p->n_zones; i++)
    if (strcmp(p->zones[i].name, fz_overflow_zone_name) == 0) over += p->zones[i].stats.count;
  if (over && !said_overflow) {
    said_overflow = 1;
    fprintf(stderr, "fathom: more than %u distinct dynamic zone names: %llu calls of further names "
            "are recorded as '%s'\n", fz_dynamic_names_cap(), (unsigned long long)over,
            fz_overflow_zone_name);
  }
  if (!env_session || said_empty || p->n_zones || p->n_queries || p->n_locks ||
      p->meta.level == FATHOM_LEVEL_DISABLED) {
    errno = saved;
    return;
  }
  said_empty = 1;
  uint32_t excl, filt;
  char pat[256];
  const char *lvar = "FATHOM_COMPONENTS=";
  fz_sites_muted(fz_program_name(), &excl, &filt, pat, sizeof pat);
  const char *ex = fz_getenv("FATHOM_EXCLUDE"), *co = fz_getenv("FATHOM_COMPONENTS");
  if (!co && fz_g.cfg.component_levels) { /* muted by a component at off */
    co = fz_g.cfg.component_levels;
    lvar = "FATHOM_COMPONENT_LEVELS=";
  }
  if (excl && *pat)
    fprintf(stderr, "fathom: FATHOM_EXCLUDE pattern '%s' matches the program itself (%s), so "
            "every function in it is excluded and the session recorded no zones; narrow the "
            "pattern (patterns match function names and module file names)\n", pat, fz_program_name());
  else if (excl)
    fprintf(stderr, "fathom: FATHOM_EXCLUDE=%s excluded every function that ran (%u), so the "
            "session recorded no zones; narrow its patterns\n", ex ? ex : "", excl);
  else if (filt)
    fprintf(stderr, "fathom: %s%s left out every zone that ran (%u), so the session recorded no "
            "zones; name the components to record\n", co ? lvar : "the site filter",
            co ? co : "", filt);
  else if (p->meta.dropped_zones)
    fprintf(stderr, "fathom: the session recorded no zones: all %llu were dropped at the depth or "
            "node cap; raise FATHOM_MAX_DEPTH or FATHOM_MAX_NODES\n",
            (unsigned long long)p->meta.dropped_zones);
  else if (!said_hooks && !p->n_counters)
    fprintf(stderr, "fathom: the session recorded no zones: no zone of %s ran; add FATHOM_ZONE or "
            "FATHOM_FUNC, or build with -finstrument-functions (-lfathom after the objects on "
            "the link line)\n", fz_program_name());
  errno = saved;
}
