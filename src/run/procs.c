/* procs.c: the processes of a `fathom run` (see procs.h).
 *
 * Where the figures come from: /proc/PID/stat (user and system CPU time, page faults, the exit
 * code of a zombie), /proc/PID/status (peak RSS: VmHWM), /proc/PID/io (bytes and calls of
 * read and write), /proc/PID/cmdline. A process caught as a zombie (ended, not yet reaped by
 * its parent) has its final figures: res_age_ns 0. One reaped first keeps those of the last
 * read, and res_age_ns says how long before its end that was (an upper bound: the exit
 * record's time minus the read's). The program fathom started is always read as a zombie.
 * Context switches are per thread in /proc and gone with each thread, so they are not given
 * per process (NaN).
 *
 * Invariant: everything below runs under ps->lock; /proc reads are bounded (fixed buffers). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run/procs.h"

typedef struct proc {
  uint32_t pid;
  int64_t ppid;
  char *command;
  uint64_t start_t, end_t, read_t;   /* recorder clock; 0: not known */
  int ended, status_known, exit_code, sig, read, final;
  double user_ns, sys_ns, minflt, majflt, hwm, rchar, wchar, syscr, syscw;
  double rss, nthreads;              /* now (0 once it ended) */
  double s_user, s_sys;              /* CPU time the series has counted (from its first read) */
  int s_seen;
} proc;

/* The time series of the whole program (every process it ran), one row per poll. */
enum { S_USER, S_SYS, S_RSS, S_THREADS, S_READ, S_WRITE, S_MINFLT, S_MAJFLT, S_N };
static const char *const series_cols[S_N] = {"cpu_user_pct", "cpu_sys_pct", "rss_bytes",
                                             "threads", "read_bytes", "write_bytes", "minflt",
                                             "majflt"};
#define SERIES_CAP 8192   /* rows; past it every other row goes and the interval doubles */

struct fz_run_procs {
  pthread_mutex_t lock;
  pthread_t th;
  int running, stop;
  uint64_t t0, at;
  proc *v;
  uint32_t n, cap;
  uint64_t dropped;
  long hz;
  uint64_t *ts;         /* series rows: ts_ns since t0; sv: S_N values each */
  double *sv;
  uint32_t rows, every, polls;
  uint64_t last_t;
};

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

fz_run_procs *fz_run_procs_new(uint64_t t0_ns) {
  fz_run_procs *ps = calloc(1, sizeof *ps);
  if (!ps) return NULL;
  pthread_mutex_init(&ps->lock, NULL);
  ps->t0 = t0_ns;
  ps->every = 1;
  ps->hz = sysconf(_SC_CLK_TCK);
  if (ps->hz <= 0) ps->hz = 100;
  return ps;
}

void fz_run_procs_free(fz_run_procs *ps) {
  if (!ps) return;
  fz_run_procs_stop(ps);
  for (uint32_t i = 0; i < ps->n; i++) free(ps->v[i].command);
  free(ps->v);
  free(ps->ts);
  free(ps->sv);
  pthread_mutex_destroy(&ps->lock);
  free(ps);
}

static proc *find(fz_run_procs *ps, uint32_t pid) {
  for (uint32_t i = ps->n; i-- > 0;)   /* the newest first: a pid reused is the new one */
    if (ps->v[i].pid == pid) return &ps->v[i];
  return NULL;
}

static proc *add(fz_run_procs *ps, uint32_t pid, int64_t ppid) {
  if (ps->n >= FZ_PROCS_MAX) {
    ps->dropped++;
    return NULL;
  }
  if (ps->n == ps->cap) {
    uint32_t nc = ps->cap ? ps->cap * 2 : 16;
    proc *nv = realloc(ps->v, (size_t)nc * sizeof *nv);
    if (!nv) return NULL;
    ps->v = nv;
    ps->cap = nc;
  }
  proc *q = &ps->v[ps->n++];
  memset(q, 0, sizeof *q);
  q->pid = pid;
  q->ppid = ppid;
  q->start_t = ps->at;
  q->user_ns = q->sys_ns = q->minflt = q->majflt = q->hwm = NAN;
  q->rchar = q->wchar = q->syscr = q->syscw = NAN;
  return q;
}

/* Reads /proc/PID/<name> into buf (NUL-terminated); the bytes read, or -1. */
static ssize_t slurp(uint32_t pid, const char *name, char *buf, size_t cap) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%u/%s", pid, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t n = 0;
  while (n + 1 < cap) {
    ssize_t k = read(fd, buf + n, cap - 1 - n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    n += (size_t)k;
  }
  close(fd);
  buf[n] = 0;
  return (ssize_t)n;
}

static void read_cmdline(proc *q) {
  char buf[1024];
  ssize_t n = slurp(q->pid, "cmdline", buf, sizeof buf);
  if (n <= 0) return;
  while (n > 0 && buf[n - 1] == 0) n--;
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == 0) buf[i] = ' ';
  buf[n] = 0;
  char *c = strdup(buf);
  if (!c) return;
  free(q->command);
  q->command = c;
}

/* One read of q's figures. Returns 1 when q was a zombie (its figures are final). */
static int read_proc(fz_run_procs *ps, proc *q) {
  char buf[2048];
  if (slurp(q->pid, "stat", buf, sizeof buf) <= 0) return 0;
  char *rp = strrchr(buf, ')');
  if (!rp) return 0;
  /* fields from 3 on: state is field 3 */
  char *save = NULL, *tok = strtok_r(rp + 1, " ", &save);
  double f[53] = {0};
  char state = tok ? tok[0] : '?';
  for (int i = 4; i <= 52 && (tok = strtok_r(NULL, " ", &save)); i++) f[i] = strtod(tok, NULL);
  if (!q->command) {
    char *lp = strchr(buf, '(');
    if (lp && rp > lp) {
      *rp = 0;
      q->command = strdup(lp + 1);
    }
  }
  double tick = 1e9 / (double)ps->hz;
  q->minflt = f[10];
  q->majflt = f[12];
  q->user_ns = f[14] * tick;
  q->sys_ns = f[15] * tick;
  q->nthreads = f[20];
  q->rss = f[24] * (double)sysconf(_SC_PAGESIZE);
  if (slurp(q->pid, "status", buf, sizeof buf) > 0) {
    char *h = strstr(buf, "VmHWM:");
    if (h) {
      double kb = strtod(h + 6, NULL);
      if (kb > q->hwm || isnan(q->hwm)) q->hwm = kb * 1024;
    }
  }
  if (slurp(q->pid, "io", buf, sizeof buf) > 0) {
    char *s;
    if ((s = strstr(buf, "rchar:"))) q->rchar = strtod(s + 6, NULL);
    if ((s = strstr(buf, "wchar:"))) q->wchar = strtod(s + 6, NULL);
    if ((s = strstr(buf, "syscr:"))) q->syscr = strtod(s + 6, NULL);
    if ((s = strstr(buf, "syscw:"))) q->syscw = strtod(s + 6, NULL);
  }
  q->read = 1;
  q->read_t = mono_ns();
  if (state == 'Z' || state == 'X') {
    int code = (int)f[52];
    q->final = 1;
    q->rss = q->nthreads = 0;
    q->status_known = 1;
    q->exit_code = (code >> 8) & 0xff;
    q->sig = code & 0x7f;
    return 1;
  }
  return 0;
}

/* One row of the series from the figures just read (under the lock). */
static void series_row(fz_run_procs *ps) {
  if (!ps->n || ps->polls++ % ps->every) return;
  if (ps->rows == SERIES_CAP) {   /* every other row goes; the interval doubles */
    for (uint32_t r = 0; r < SERIES_CAP / 2; r++) {
      ps->ts[r] = ps->ts[2 * r];
      memcpy(ps->sv + (size_t)r * S_N, ps->sv + (size_t)2 * r * S_N, S_N * sizeof *ps->sv);
    }
    ps->rows = SERIES_CAP / 2;
    ps->every *= 2;
  }
  if (!ps->ts) {
    ps->ts = malloc(SERIES_CAP * sizeof *ps->ts);
    ps->sv = malloc((size_t)SERIES_CAP * S_N * sizeof *ps->sv);
    if (!ps->ts || !ps->sv) {
      free(ps->ts);
      free(ps->sv);
      ps->ts = NULL;
      ps->sv = NULL;
      ps->every = UINT32_MAX;   /* no series */
      return;
    }
  }
  double v[S_N] = {0}, user = 0, sys = 0;   /* CPU used since the reading before */
  for (uint32_t i = 0; i < ps->n; i++) {
    proc *q = &ps->v[i];
    if (!q->read) continue;
    /* a process read for the first time counts from then: the CPU it used before is not
     * this interval's */
    if (q->s_seen && q->user_ns >= q->s_user) user += q->user_ns - q->s_user;
    if (q->s_seen && q->sys_ns >= q->s_sys) sys += q->sys_ns - q->s_sys;
    q->s_user = q->user_ns;
    q->s_sys = q->sys_ns;
    q->s_seen = 1;
    v[S_RSS] += q->rss;
    v[S_THREADS] += q->nthreads;
    if (!isnan(q->rchar)) v[S_READ] += q->rchar;
    if (!isnan(q->wchar)) v[S_WRITE] += q->wchar;
    v[S_MINFLT] += q->minflt;
    v[S_MAJFLT] += q->majflt;
  }
  uint64_t now = mono_ns();
  double dt = ps->last_t && now > ps->last_t ? (double)(now - ps->last_t) : 0;
  v[S_USER] = dt > 0 ? 100 * user / dt : NAN;
  v[S_SYS] = dt > 0 ? 100 * sys / dt : NAN;
  ps->last_t = now;
  ps->ts[ps->rows] = now > ps->t0 ? now - ps->t0 : 0;
  memcpy(ps->sv + (size_t)ps->rows * S_N, v, sizeof v);
  ps->rows++;
}

static void *poller(void *arg) {
  fz_run_procs *ps = arg;
  for (;;) {
    pthread_mutex_lock(&ps->lock);
    int stop = ps->stop;
    for (uint32_t i = 0; !stop && i < ps->n; i++) {
      proc *q = &ps->v[i];
      if (q->final || (q->ended && q->read)) continue;
      read_proc(ps, q);
    }
    if (!stop) series_row(ps);
    pthread_mutex_unlock(&ps->lock);
    if (stop) break;
    struct timespec d = {0, FZ_PROCS_POLL_MS * 1000000L};
    nanosleep(&d, NULL);
  }
  return NULL;
}

int fz_run_procs_start(fz_run_procs *ps) {
  if (ps->running) return 0;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);   /* the program's signals are fathom's loop's */
  int rc = pthread_create(&ps->th, NULL, poller, ps);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc) return -1;
  ps->running = 1;
  return 0;
}

void fz_run_procs_stop(fz_run_procs *ps) {
  if (!ps->running) return;
  pthread_mutex_lock(&ps->lock);
  ps->stop = 1;
  pthread_mutex_unlock(&ps->lock);
  pthread_join(ps->th, NULL);
  ps->running = 0;
}

void fz_run_procs_at(fz_run_procs *ps, uint64_t t_ns) {
  pthread_mutex_lock(&ps->lock);
  ps->at = t_ns;
  pthread_mutex_unlock(&ps->lock);
}

void fz_run_procs_fork(fz_run_procs *ps, uint32_t pid, uint32_t ppid) {
  pthread_mutex_lock(&ps->lock);
  proc *q = find(ps, pid);
  if (!q || q->ended) {
    const proc *parent = find(ps, ppid);
    char *cmd = parent && parent->command ? strdup(parent->command) : NULL;
    q = add(ps, pid, ppid);   /* may move the table: parent is not used after it */
    if (q) q->command = cmd;
    else free(cmd);
  }
  pthread_mutex_unlock(&ps->lock);
}

void fz_run_procs_exec(fz_run_procs *ps, uint32_t pid, const char *comm) {
  pthread_mutex_lock(&ps->lock);
  proc *q = find(ps, pid);
  if (!q && ps->n == 0) q = add(ps, pid, -1);   /* the program itself, at its exec */
  if (q && comm) {                               /* until the command line is read */
    char *c = strdup(comm);
    if (c) {
      free(q->command);
      q->command = c;
    }
  }
  if (q && !q->ended) read_cmdline(q);
  pthread_mutex_unlock(&ps->lock);
}

void fz_run_procs_exit(fz_run_procs *ps, uint32_t pid) {
  pthread_mutex_lock(&ps->lock);
  proc *q = find(ps, pid);
  if (q && !q->ended) {
    if (!q->final) read_proc(ps, q);   /* a zombie still, perhaps */
    q->ended = 1;
    q->end_t = ps->at;
  }
  pthread_mutex_unlock(&ps->lock);
}

void fz_run_procs_final(fz_run_procs *ps, pid_t pid) {
  pthread_mutex_lock(&ps->lock);
  proc *q = find(ps, (uint32_t)pid);
  if (!q && ps->n == 0) q = add(ps, (uint32_t)pid, -1);
  if (q && !q->final) read_proc(ps, q);
  pthread_mutex_unlock(&ps->lock);
}

void fz_run_procs_status(fz_run_procs *ps, pid_t pid, int st) {
  pthread_mutex_lock(&ps->lock);
  proc *q = find(ps, (uint32_t)pid);
  if (q) {
    q->ended = 1;
    q->status_known = 1;
    q->exit_code = (st >> 8) & 0xff;
    q->sig = st & 0x7f;
    if (!q->end_t) q->end_t = mono_ns();
  }
  pthread_mutex_unlock(&ps->lock);
}

/* The series into p (when it has at least two rows). 0, or -1 out of memory. */
static int series_fill(fz_run_procs *ps, fathom_profile *p) {
  if (ps->rows < 2) return 0;
  fathom_series *s = &p->series;
  s->cols = calloc(S_N, sizeof *s->cols);
  s->ts_ns = malloc(ps->rows * sizeof *s->ts_ns);
  s->v = malloc((size_t)ps->rows * S_N * sizeof *s->v);
  if (!s->cols || !s->ts_ns || !s->v) return -1;
  s->n_cols = S_N;
  for (int c = 0; c < S_N; c++)
    if (!(s->cols[c] = strdup(series_cols[c]))) return -1;
  memcpy(s->ts_ns, ps->ts, ps->rows * sizeof *s->ts_ns);
  memcpy(s->v, ps->sv, (size_t)ps->rows * S_N * sizeof *s->v);
  s->n = ps->rows;
  s->interval_s = FZ_PROCS_POLL_MS / 1000.0 * ps->every;
  return 0;
}

int fz_run_procs_build(fz_run_procs *ps, fathom_profile *p, const uint32_t *thread_pid,
                       uint64_t end_ns) {
  pthread_mutex_lock(&ps->lock);
  int rc = 0;
  uint32_t n = ps->n;
  fathom_process_info *out = n ? calloc(n, sizeof *out) : NULL;
  if (n && !out) rc = -1;
  for (uint32_t i = 0; !rc && i < n; i++) {
    const proc *q = &ps->v[i];
    fathom_process_info *o = &out[i];
    o->pid = q->pid;
    o->ppid = q->ppid;
    o->command = strdup(q->command ? q->command : "");
    if (!o->command) rc = -1;
    o->ended = q->ended;
    o->status_known = q->status_known && q->ended;
    o->exit_code = q->sig ? 0 : q->exit_code;
    o->signal = q->sig;
    o->start_ns = q->start_t > ps->t0 ? (double)(q->start_t - ps->t0) : 0;
    uint64_t e = q->ended && q->end_t > ps->t0 ? q->end_t - ps->t0 : end_ns;
    o->end_ns = (double)e < o->start_ns ? o->start_ns : (double)e;
    o->user_ns = q->user_ns;
    o->sys_ns = q->sys_ns;
    o->rss_peak_bytes = q->hwm;
    o->read_bytes = q->rchar;
    o->write_bytes = q->wchar;
    o->read_ops = q->syscr;
    o->write_ops = q->syscw;
    o->minor_faults = q->minflt;
    o->major_faults = q->majflt;
    o->ctx_voluntary = o->ctx_involuntary = NAN;
    o->res_age_ns = 0;
    if (q->read && !q->final && q->ended && q->end_t > q->read_t)
      o->res_age_ns = (double)(q->end_t - q->read_t);
    else if (q->read && !q->final && !q->ended)
      o->res_age_ns = 0;   /* still running: the figures so far, read at the end */
  }
  /* sampled CPU: each thread's self times, on the process of its pid (the newest one) */
  double *var = n ? calloc(n, sizeof *var) : NULL;
  for (uint32_t t = 0; !rc && t < p->n_threads; t++) {
    p->threads[t].process = FATHOM_NONE;
    for (uint32_t i = n; i-- > 0;)
      if (ps->v[i].pid == thread_pid[t]) {
        p->threads[t].process = i;
        break;
      }
  }
  for (uint32_t k = 0; !rc && k < p->n_nodes; k++) {
    uint32_t pi = p->threads[p->nodes[k].thread].process;
    if (pi == FATHOM_NONE) continue;
    out[pi].cpu_ns += p->nodes[k].stats.self_cpu_ns;
    if (var) var[pi] += p->nodes[k].stats.self_cpu_se_ns * p->nodes[k].stats.self_cpu_se_ns;
  }
  for (uint32_t i = 0; !rc && var && i < n; i++) out[i].cpu_se_ns = sqrt(var[i]);
  free(var);
  pthread_mutex_unlock(&ps->lock);
  if (rc) {
    for (uint32_t i = 0; out && i < n; i++) free(out[i].command);
    free(out);
    return -1;
  }
  p->processes = out;
  p->n_processes = n;
  return series_fill(ps, p);
}
