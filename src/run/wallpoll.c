/* wallpoll.c: `fathom run --wall`: the program's threads sampled while they wait.
 *
 * The perf events of perfrec.c sample CPU time only: a thread that sleeps, waits on a lock or
 * reads a pipe is never sampled there. In wall-clock mode a thread of fathom's own (the
 * poller) polls the program's threads about every 1 / freq_hz seconds of wall-clock time,
 * each interval drawn at random between half and one and a half of that, so that no periodic
 * program aliases with the polls; the recorder's own work (unwinding, naming: pauses of tens
 * of milliseconds when a library's debug information is first read) never delays a poll. A
 * poll lists the threads of every process of the program (/proc/PID/task) and reads
 * for each one:
 *   /proc/PID/task/TID/schedstat  its CPU time, its time waiting in a run queue (for a CPU) and
 *                                 how many times it ran, all exact and cumulative;
 *   /proc/PID/task/TID/syscall    "running" when it is runnable, else the system call it waits
 *                                 in and its user stack pointer and program counter there (the
 *                                 kernel checks that the thread stayed off the CPU while it
 *                                 read them); readable by the program's parent;
 * and for a waiting thread a copy of its user stack from that stack pointer (process_vm_readv).
 * Each poll hands out, per thread:
 *   - an off-CPU sample (off_cpu 1) when it waits: its stack pointer and program counter (the
 *     other registers unknown: 0), the stack copy, and as period the wall-clock time since the
 *     previous poll. The polls' times do not depend on the program, so the sum of these
 *     periods over the polls that found a thread waiting at one stack estimates, without bias,
 *     the time it waited there;
 *   - a run-queue sample (off_cpu 2, no stack) of the run-queue time since the previous poll:
 *     an exact figure, not an estimate.
 * A thread that has not run since the previous poll and waits at the same place sends no new
 * copy of its stack (same_wait: the previous one still holds).
 *
 * Bounds: a thread's start is known to a clock tick (/proc/PID/task/TID/stat) and to the
 * polls (a thread not listed at a poll of its process started after it); its first period runs
 * from the later of the two (never from before polling began). Its off-CPU periods never make
 * its CPU time, run-queue time and off-CPU time add up to more than the time since it started:
 * a period is cut to what is left, so that no thread's total passes its lifetime, nor the
 * session's duration. The time after a thread's last poll is not sampled off the CPU (less
 * than about one interval per thread).
 *
 * The poller keeps each poll's samples as records (the layout at the end of this file) and
 * the recorder takes them (fz_wallpoll_take) into its pool, where they meet the kernel's
 * records in time order: take says which time no later sample can precede (the start of a
 * poll in progress). A poll that took longer than the interval delays the next one by as long
 * again: the poller uses at most about half of one CPU however many threads there are.
 *
 * Invariants: nothing here writes to or stops the program (it reads /proc and copies stack
 * memory); the poller and the recorder share only what the mutex guards (the records taken,
 * the processes added, the poll in progress, the stop flag); memory is one stack buffer, one
 * small record per live thread and the records not taken yet (at most OUT_MAX bytes: past it
 * a poll's samples are dropped, and said so); at most MAX_CACHED_FDS threads keep their /proc
 * files open between polls (the others open them at each poll), so the program's thread
 * count cannot exhaust fathom's descriptors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "run/run.h"

#define MAX_CACHED_FDS 256   /* threads that may keep their two /proc files open */
#define MAX_PAGES 20         /* iovecs of a stack copy: one per page (60000 bytes at most) */
#define OUT_MAX (64u << 20)  /* bytes of records not taken yet, at most */

typedef struct wthread {
  uint32_t pid, tid;
  int fd_sys, fd_sched;      /* open /proc files (-1: opened at each poll) */
  uint64_t run_ns, delay_ns, pcount;   /* schedstat at the previous poll */
  uint64_t born_ns;          /* when it started, at the latest (0: not polled yet) */
  uint64_t off_ns;           /* off-CPU periods handed out */
  uint64_t sp, pc;           /* where it waited at the previous poll (0: it did not) */
  int sent_stack;            /* that wait's stack was handed out */
  int new_proc;              /* its process is listed for the first time */
  uint64_t seen;             /* the poll that last listed it */
} wthread;

typedef struct wproc {
  uint32_t pid;
  int fd_task;               /* /proc/PID/task */
  uint64_t npoll;            /* the polls that listed its threads */
} wproc;

typedef struct wbuf {         /* records, one after another */
  uint8_t *b;
  size_t len, cap;
} wbuf;

struct fz_wallpoll {
  /* shared with the recorder's thread, under mu */
  pthread_mutex_t mu;
  pthread_cond_t cv;         /* stop */
  int stop, started;
  uint64_t busy_ns;          /* the time of the poll in progress (0: none) */
  wbuf out;                  /* records polled, not taken yet */
  uint32_t *add;             /* processes to poll from the next poll on */
  size_t nadd, cap_add;
  wbuf taken;                /* the recorder's: the records it took last */
  /* the poller's (the recorder reads them once it has stopped) */
  pthread_t thr;
  wbuf mine;                 /* this poll's records */
  uint64_t nmine;            /* records in mine */
  wproc *procs;
  size_t nprocs, cap_procs;
  wthread *th;
  size_t nth, cap_th;
  uint32_t *tab;             /* tid -> index + 1, open addressing */
  size_t tab_cap;
  int tab_stale;
  size_t cached;             /* /proc files held open (2 per thread at most) */
  uint64_t period_ns, last_ns, next_ns, npoll, rng;
  uint64_t start_ns;         /* the first time that counts: when polling began */
  int64_t boot_off;          /* CLOCK_BOOTTIME less CLOCK_MONOTONIC */
  double tick_ns;            /* a clock tick of /proc's stat files */
  uint8_t *stack;
  uint32_t stack_bytes;
  long page;
  uint64_t lost;             /* samples dropped (out of memory) */
  char why[160];
};

/* ---- small helpers ------------------------------------------------------------------------ */

static uint64_t rnd(fz_wallpoll *w) {   /* xorshift64* */
  w->rng ^= w->rng >> 12;
  w->rng ^= w->rng << 25;
  w->rng ^= w->rng >> 27;
  return w->rng * 2685821657736338717ull;
}

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The next poll: uniform in [period / 2, 3 period / 2) after this one's start (mean period, a
 * phase independent of the program), and no sooner than this poll's own length after its end. */
static void next_due(fz_wallpoll *w, uint64_t now, uint64_t end) {
  uint64_t half = w->period_ns / 2;
  w->next_ns = now + half + (w->period_ns ? rnd(w) % w->period_ns : 0);
  if (end > now && w->next_ns < end + (end - now)) w->next_ns = end + (end - now);
}

static int buf_put(wbuf *b, const fz_run_sample *s) {
  size_t need = b->len + fz_wall_rec_size(s);
  if (need > b->cap) {
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < need) cap *= 2;
    uint8_t *q = realloc(b->b, cap);
    if (!q) return -1;
    b->b = q;
    b->cap = cap;
  }
  fz_wall_rec_write(b->b + b->len, s);
  b->len = need;
  return 0;
}

static void say(fz_wallpoll *w, const char *what, int err) {
  if (w->why[0]) return;
  snprintf(w->why, sizeof w->why, "wall-clock mode: %s: %s", what, strerror(err));
}

/* Reads a /proc file of thread t (name: "syscall" or "schedstat") into buf, NUL-terminated;
 * *fd caches its descriptor when the budget allows. Returns the length, or -errno. */
static int read_proc(fz_wallpoll *w, wthread *t, int *fd, const char *name, char *buf, size_t cap) {
  if (*fd >= 0) {
    ssize_t n = pread(*fd, buf, cap - 1, 0);
    if (n >= 0) {
      buf[n] = 0;
      return (int)n;
    }
    return -errno;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%" PRIu32 "/task/%" PRIu32 "/%s", t->pid, t->tid, name);
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return -errno;
  ssize_t n = pread(f, buf, cap - 1, 0);
  int e = errno;
  if (n >= 0) buf[n] = 0;
  if (n >= 0 && w->cached < MAX_CACHED_FDS * 2) {
    *fd = f;
    w->cached++;
  } else {
    close(f);
  }
  return n >= 0 ? (int)n : -e;
}

/* The numbers of a /proc line, fast (sscanf costs more than the read): decimal, or
 * hexadecimal with its 0x, each after blanks; a leading '-' makes the number's negation.
 * Returns how many were read (at most max). */
static int parse_nums(const char *q, uint64_t *v, int max) {
  int n = 0;
  while (n < max) {
    while (*q == ' ' || *q == '\t') q++;
    int neg = *q == '-';
    q += neg;
    uint64_t x = 0;
    const char *d0;
    if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
      q += 2;
      d0 = q;
      for (;; q++) {
        int c = (unsigned char)*q, h = c >= '0' && c <= '9' ? c - '0'
                                     : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (h < 0) break;
        x = x * 16 + (uint64_t)h;
      }
    } else {
      d0 = q;
      for (; *q >= '0' && *q <= '9'; q++) x = x * 10 + (uint64_t)(*q - '0');
    }
    if (q == d0 || (*q && *q != ' ' && *q != '\t' && *q != '\n')) break;
    v[n++] = neg ? (uint64_t)0 - x : x;
  }
  return n;
}

/* ---- the tables ----------------------------------------------------------------------------- */

static void tab_build(fz_wallpoll *w) {
  size_t cap = 64;
  while (cap < w->nth * 2 + 2) cap *= 2;
  if (cap != w->tab_cap) {
    uint32_t *t = realloc(w->tab, cap * sizeof *t);
    if (!t) return;   /* the old table stays stale: lookups scan */
    w->tab = t;
    w->tab_cap = cap;
  }
  memset(w->tab, 0, w->tab_cap * sizeof *w->tab);
  for (size_t i = 0; i < w->nth; i++) {
    size_t h = (w->th[i].tid * 2654435761u) & (w->tab_cap - 1);
    while (w->tab[h]) h = (h + 1) & (w->tab_cap - 1);
    w->tab[h] = (uint32_t)i + 1;
  }
  w->tab_stale = 0;
}

static wthread *thread_find(fz_wallpoll *w, uint32_t pid, uint32_t tid) {
  if (w->tab_stale) tab_build(w);
  if (w->tab_stale || !w->tab) {
    for (size_t i = 0; i < w->nth; i++)
      if (w->th[i].tid == tid && w->th[i].pid == pid) return &w->th[i];
    return NULL;
  }
  for (size_t h = (tid * 2654435761u) & (w->tab_cap - 1); w->tab[h]; h = (h + 1) & (w->tab_cap - 1))
    if (w->th[w->tab[h] - 1].tid == tid && w->th[w->tab[h] - 1].pid == pid)
      return &w->th[w->tab[h] - 1];
  return NULL;
}

static wthread *thread_add(fz_wallpoll *w, uint32_t pid, uint32_t tid) {
  if (w->nth == w->cap_th) {
    size_t cap = w->cap_th ? w->cap_th * 2 : 16;
    wthread *t = realloc(w->th, cap * sizeof *t);
    if (!t) return NULL;
    w->th = t;
    w->cap_th = cap;
  }
  wthread *t = &w->th[w->nth++];
  memset(t, 0, sizeof *t);
  t->pid = pid;
  t->tid = tid;
  t->fd_sys = t->fd_sched = -1;
  w->tab_stale = 1;
  return t;
}

static void thread_close(fz_wallpoll *w, wthread *t) {
  if (t->fd_sys >= 0) close(t->fd_sys), w->cached--;
  if (t->fd_sched >= 0) close(t->fd_sched), w->cached--;
  t->fd_sys = t->fd_sched = -1;
}

/* Lists the threads of process i, marking them seen (new ones added). 0: the process is gone. */
static int list_threads(fz_wallpoll *w, wproc *p) {
  char buf[4096];
  if (lseek(p->fd_task, 0, SEEK_SET) != 0) return 0;
  for (;;) {
    long n = syscall(SYS_getdents64, p->fd_task, buf, sizeof buf);
    if (n <= 0) return n == 0 || errno == EINTR;
    for (long off = 0; off < n;) {
      struct dirent64 *d = (struct dirent64 *)(void *)(buf + off);
      off += d->d_reclen;
      uint64_t v;
      if (parse_nums(d->d_name, &v, 1) != 1 || v > UINT32_MAX) continue;   /* "." and ".." */
      uint32_t tid = (uint32_t)v;
      wthread *t = thread_find(w, p->pid, tid);
      if (!t) t = thread_add(w, p->pid, tid);
      if (t) {
        t->seen = w->npoll;
        t->new_proc = p->npoll == 0;   /* its process was not listed before */
      }
    }
  }
}

/* Copies the stack of t from sp, page by page so that the end of the stack's mapping cuts the
 * copy rather than failing it. Returns the bytes copied. */
static uint64_t copy_stack(fz_wallpoll *w, const wthread *t, uint64_t sp) {
  struct iovec local = {w->stack, w->stack_bytes}, remote[MAX_PAGES];
  int n = 0;
  uint64_t at = sp, left = w->stack_bytes;
  while (left && n < MAX_PAGES) {
    uint64_t page_end = (at | (uint64_t)(w->page - 1)) + 1;
    uint64_t len = page_end - at < left ? page_end - at : left;
    remote[n++] = (struct iovec){(void *)(uintptr_t)at, (size_t)len};
    at += len;
    left -= len;
  }
  local.iov_len = (size_t)(w->stack_bytes - left);
  ssize_t got = process_vm_readv((pid_t)t->tid, &local, 1, remote, (unsigned long)n, 0);
  if (got < 0) {   /* a permission problem is worth saying; a stack pointer at the end of
                      its mapping (nothing to read) or a thread gone meanwhile is not */
    if (errno == EPERM || errno == EACCES)
      say(w, "reading a waiting thread's stack (process_vm_readv)", errno);
    return 0;
  }
  return (uint64_t)got;
}

/* From /proc/PID/task/TID/stat: the thread's state letter (0: unknown) and its start time on
 * CLOCK_MONOTONIC, rounded down to a clock tick (0: unknown). */
static char read_stat(const fz_wallpoll *w, const wthread *t, uint64_t *start) {
  char path[64], buf[1024];
  *start = 0;
  snprintf(path, sizeof path, "/proc/%" PRIu32 "/task/%" PRIu32 "/stat", t->pid, t->tid);
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return 0;
  ssize_t n = read(f, buf, sizeof buf - 1);
  close(f);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char *rp = strrchr(buf, ')');
  if (!rp || rp[1] != ' ' || !rp[2]) return 0;
  /* after ") ": the state (field 3), ..., the start time in ticks since boot (field 22) */
  const char *q = rp + 2;
  for (int field = 3; field < 22 && q; field++) {
    q = strchr(q, ' ');
    if (q) q++;
  }
  uint64_t ticks;
  if (q && parse_nums(q, &ticks, 1) == 1) {
    double boot = (double)ticks * w->tick_ns - (double)w->boot_off;
    *start = boot > 0 ? (uint64_t)boot : 0;
  }
  return rp[2];
}

/* Polls thread t; returns 0 when it is gone. */
static void put(fz_wallpoll *w, const fz_run_sample *s) {
  if (buf_put(&w->mine, s) != 0) w->lost++;
  else w->nmine++;
}

static int poll_thread(fz_wallpoll *w, wthread *t, uint64_t now, uint64_t dt) {
  char buf[256];
  uint64_t ss[3];
  int n = read_proc(w, t, &t->fd_sched, "schedstat", buf, sizeof buf);
  if (n < 0 || parse_nums(buf, ss, 3) != 3) return 0;
  uint64_t run = ss[0], delay = ss[1], pcount = ss[2];
  fz_run_sample s;
  memset(&s, 0, sizeof s);
  s.pid = t->pid;
  s.tid = t->tid;
  s.time_ns = now;
  if (delay > t->delay_ns) {   /* waiting for a CPU: exact */
    s.off_cpu = 2;
    s.period_ns = delay - t->delay_ns;
    put(w, &s);
  }
  int ran = run != t->run_ns || pcount != t->pcount, first = !t->born_ns;
  if (first) {
    /* first listed now: it started after the previous poll when its process was listed then,
     * and after its start time in /proc (a tick's precision), never before polling began */
    uint64_t st;
    read_stat(w, t, &st);
    t->born_ns = t->new_proc ? w->start_ns : w->last_ns;
    if (st > t->born_ns) t->born_ns = st;
    if (t->born_ns > now) t->born_ns = now;
  }
  t->run_ns = run;
  t->delay_ns = delay > t->delay_ns ? delay : t->delay_ns;
  t->pcount = pcount;

  n = read_proc(w, t, &t->fd_sys, "syscall", buf, sizeof buf);
  int waiting = 0, known = 0;
  uint64_t sp = 0, pc = 0;
  if (n >= 0) {
    if (strncmp(buf, "running", 7) != 0) {
      /* "NR A1 .. A6 SP PC" in a system call, "-1 SP PC" blocked outside one */
      uint64_t v[9];
      int k = parse_nums(buf, v, 9);
      if (k == 3 && v[0] == (uint64_t)-1) sp = v[1], pc = v[2];
      else if (k == 9) sp = v[7], pc = v[8];
      else return 1;
      if (sp == 0 && pc == 0) return 1;   /* an exited thread not reaped yet: no wait */
      waiting = known = 1;
    }
  } else if (n == -ESRCH || n == -ENOENT) {
    return 0;
  } else {
    say(w, "reading a thread's /proc/PID/task/TID/syscall (its stack is unknown)", -n);
    uint64_t st;
    char c = read_stat(w, t, &st);
    waiting = c == 'S' || c == 'D' || c == 'T' || c == 't';   /* sleeping or stopped */
  }
  if (!waiting) {
    t->sp = t->pc = 0;
    t->sent_stack = 0;
    return 1;
  }
  /* the period: the time since the previous poll (or since the thread started), cut so that
   * its CPU, run-queue and off-CPU time never add up to more than the time since it started */
  uint64_t life = now - t->born_ns, used = run + t->delay_ns + t->off_ns;
  uint64_t left = life > used ? life - used : 0;
  if (first || dt > life) dt = life;
  s.off_cpu = 1;
  s.period_ns = dt < left ? dt : left;
  t->off_ns += s.period_ns;
  if (known && s.period_ns) {
    s.regs_ok = 1;
    s.regs[7] = sp;
    s.regs[16] = pc;
    if (t->sent_stack && !ran && sp == t->sp && pc == t->pc) {
      s.same_wait = 1;
    } else {
      s.stack_size = copy_stack(w, t, sp);
      s.stack = s.stack_size ? w->stack : NULL;
    }
  }
  t->sp = sp;
  t->pc = pc;
  /* a stack not sent (no period) or not read is copied again next time */
  t->sent_stack = s.period_ns && (s.same_wait || s.stack_size > 0);
  if (s.period_ns) put(w, &s);
  return 1;
}

/* One poll at now (the poller's thread). */
static void poll_once(fz_wallpoll *w, uint64_t now) {
  uint64_t dt = now - w->last_ns;
  w->npoll++;
  for (size_t i = 0; i < w->nprocs;) {
    if (list_threads(w, &w->procs[i])) {
      w->procs[i].npoll++;
      i++;
      continue;
    }
    close(w->procs[i].fd_task);   /* the process ended */
    w->procs[i] = w->procs[--w->nprocs];
  }
  for (size_t i = 0; i < w->nth;) {
    wthread *t = &w->th[i];
    if (t->seen == w->npoll && poll_thread(w, t, now, dt)) {
      i++;
      continue;
    }
    thread_close(w, t);   /* gone: its slot goes to the last thread */
    w->th[i] = w->th[--w->nth];
    w->tab_stale = 1;
  }
  w->last_ns = now;
}

/* A process to poll (the poller's thread): its task folder, kept open. */
static void proc_open(fz_wallpoll *w, uint32_t pid) {
  for (size_t i = 0; i < w->nprocs; i++)
    if (w->procs[i].pid == pid) return;
  if (w->nprocs == w->cap_procs) {
    size_t cap = w->cap_procs ? w->cap_procs * 2 : 8;
    wproc *p = realloc(w->procs, cap * sizeof *p);
    if (!p) return;
    w->procs = p;
    w->cap_procs = cap;
  }
  char path[48];
  snprintf(path, sizeof path, "/proc/%" PRIu32 "/task", pid);
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;   /* gone already */
  w->procs[w->nprocs++] = (wproc){pid, fd, 0};
}

static void *poller(void *arg) {
  fz_wallpoll *w = arg;
  pthread_mutex_lock(&w->mu);
  while (!w->stop) {
    uint64_t now = mono_ns();
    if (now < w->next_ns) {
      struct timespec ts = {(time_t)(w->next_ns / 1000000000u), (long)(w->next_ns % 1000000000u)};
      pthread_cond_timedwait(&w->cv, &w->mu, &ts);
      continue;
    }
    w->busy_ns = now;
    for (size_t i = 0; i < w->nadd; i++) proc_open(w, w->add[i]);
    w->nadd = 0;
    pthread_mutex_unlock(&w->mu);
    w->mine.len = 0;
    w->nmine = 0;
    poll_once(w, now);
    uint64_t end = mono_ns();
    next_due(w, now, end);
    pthread_mutex_lock(&w->mu);
    if (w->out.len + w->mine.len > OUT_MAX) {
      w->lost += w->nmine;
    } else if (w->mine.len) {
      wbuf tmp = w->mine;
      if (w->out.len + tmp.len > w->out.cap) {
        size_t cap = w->out.cap ? w->out.cap : 65536;
        while (cap < w->out.len + tmp.len) cap *= 2;
        uint8_t *q = realloc(w->out.b, cap);
        if (q) w->out.b = q, w->out.cap = cap;
      }
      if (w->out.len + tmp.len <= w->out.cap) {
        memcpy(w->out.b + w->out.len, tmp.b, tmp.len);
        w->out.len += tmp.len;
      } else {
        w->lost += w->nmine;
      }
    }
    w->busy_ns = 0;
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

fz_wallpoll *fz_wallpoll_start(uint32_t pid, double freq_hz, uint32_t stack_bytes) {
  fz_wallpoll *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->page = sysconf(_SC_PAGESIZE);
  if (w->page <= 0) w->page = 4096;
  if (stack_bytes > 60000) stack_bytes = 60000;   /* a record's size is 16 bits (perfrec.c) */
  w->stack_bytes = stack_bytes & ~7u;
  w->stack = malloc(w->stack_bytes ? w->stack_bytes : 8);
  w->period_ns = (uint64_t)(freq_hz >= 1 ? 1e9 / freq_hz : 1e6);
  w->last_ns = w->start_ns = mono_ns();
  struct timespec bt;
  clock_gettime(CLOCK_BOOTTIME, &bt);
  w->boot_off = (int64_t)((uint64_t)bt.tv_sec * 1000000000ull + (uint64_t)bt.tv_nsec) -
                (int64_t)mono_ns();
  long hz = sysconf(_SC_CLK_TCK);
  w->tick_ns = 1e9 / (double)(hz > 0 ? hz : 100);
  w->rng = (w->last_ns ^ ((uint64_t)pid << 32)) | 1;
  next_due(w, w->last_ns, 0);
  pthread_condattr_t ca;
  int ok = w->stack && pthread_mutex_init(&w->mu, NULL) == 0;
  if (ok && pthread_condattr_init(&ca) == 0) {
    ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
         pthread_cond_init(&w->cv, &ca) == 0;
    pthread_condattr_destroy(&ca);
  } else if (ok) {
    pthread_mutex_destroy(&w->mu);
    ok = 0;
  }
  if (!ok) {
    free(w->stack);
    free(w);
    return NULL;
  }
  proc_open(w, pid);
  /* the poller takes no signal: they stay the recorder's (perfrec.c forwards them) */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  w->started = pthread_create(&w->thr, NULL, poller, w) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (!w->started) {
    fz_wallpoll_free(w);
    return NULL;
  }
  return w;
}

void fz_wallpoll_stop(fz_wallpoll *w) {
  if (!w || !w->started) return;
  pthread_mutex_lock(&w->mu);
  w->stop = 1;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->thr, NULL);
  w->started = 0;
  if (w->lost && !w->why[0])
    snprintf(w->why, sizeof w->why, "wall-clock mode: fathom fell behind (out of memory for the "
             "samples of waiting threads); some were dropped");
}

void fz_wallpoll_free(fz_wallpoll *w) {
  if (!w) return;
  fz_wallpoll_stop(w);
  for (size_t i = 0; i < w->nth; i++) thread_close(w, &w->th[i]);
  for (size_t i = 0; i < w->nprocs; i++)
    if (w->procs[i].fd_task >= 0) close(w->procs[i].fd_task);
  pthread_cond_destroy(&w->cv);
  pthread_mutex_destroy(&w->mu);
  free(w->procs);
  free(w->add);
  free(w->th);
  free(w->tab);
  free(w->stack);
  free(w->out.b);
  free(w->mine.b);
  free(w->taken.b);
  free(w);
}

void fz_wallpoll_add(fz_wallpoll *w, uint32_t pid) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  if (w->nadd == w->cap_add) {
    size_t cap = w->cap_add ? w->cap_add * 2 : 8;
    uint32_t *a = realloc(w->add, cap * sizeof *a);
    if (a) w->add = a, w->cap_add = cap;
  }
  if (w->nadd < w->cap_add) w->add[w->nadd++] = pid;
  pthread_mutex_unlock(&w->mu);
}

uint64_t fz_wallpoll_take(fz_wallpoll *w, fz_wall_emit emit, void *ctx) {
  if (!w) return UINT64_MAX;
  pthread_mutex_lock(&w->mu);
  wbuf t = w->taken;
  w->taken = w->out;
  w->out = t;
  w->out.len = 0;
  uint64_t low = w->busy_ns ? w->busy_ns : mono_ns();
  pthread_mutex_unlock(&w->mu);
  fz_run_sample s;
  for (size_t off = 0; off + 8 <= w->taken.len;) {
    uint16_t size;
    memcpy(&size, w->taken.b + off + 6, 2);
    if (size < 8 || off + size > w->taken.len) break;
    if (fz_wall_rec_read(w->taken.b + off, size, &s) == 0 && emit) emit(ctx, &s);
    off += size;
  }
  w->taken.len = 0;
  return low;
}

const char *fz_wallpoll_why(const fz_wallpoll *w) { return w ? w->why : ""; }

/* ---- the record that carries an off-CPU sample through perfrec.c's pool ---------------- */

/* Layout after the 8-byte perf_event_header: pid, tid (u32), time, period (u64), off_cpu,
 * flags (u32: 1 registers known, 2 same wait), sp, pc, stack size (u64), the stack. */
#define REC_FIXED 64

size_t fz_wall_rec_size(const fz_run_sample *s) {
  return REC_FIXED + (((s->stack ? s->stack_size : 0) + 7) & ~(uint64_t)7);
}

void fz_wall_rec_write(uint8_t *q, const fz_run_sample *s) {
  size_t size = fz_wall_rec_size(s);
  uint64_t ss = s->stack ? s->stack_size : 0;
  fz_wr32(q, FZ_WALL_REC);
  uint16_t misc = 0, sz = (uint16_t)size;
  memcpy(q + 4, &misc, 2);
  memcpy(q + 6, &sz, 2);
  fz_wr32(q + 8, s->pid);
  fz_wr32(q + 12, s->tid);
  fz_wr64(q + 16, s->time_ns);
  fz_wr64(q + 24, s->period_ns);
  fz_wr32(q + 32, (uint32_t)s->off_cpu);
  fz_wr32(q + 36, (s->regs_ok ? 1u : 0u) | (s->same_wait ? 2u : 0u));
  fz_wr64(q + 40, s->regs[7]);
  fz_wr64(q + 48, s->regs[16]);
  fz_wr64(q + 56, ss);
  if (ss) memcpy(q + REC_FIXED, s->stack, ss);
  if (size > REC_FIXED + ss) memset(q + REC_FIXED + ss, 0, size - REC_FIXED - ss);
}

int fz_wall_rec_read(const uint8_t *q, size_t size, fz_run_sample *s) {
  if (size < REC_FIXED) return -1;
  memset(s, 0, sizeof *s);
  s->pid = fz_rd32(q + 8);
  s->tid = fz_rd32(q + 12);
  s->time_ns = fz_rd64(q + 16);
  s->period_ns = fz_rd64(q + 24);
  s->off_cpu = (int)fz_rd32(q + 32);
  uint32_t flags = fz_rd32(q + 36);
  s->regs_ok = (flags & 1) != 0;
  s->same_wait = (flags & 2) != 0;
  s->regs[7] = fz_rd64(q + 40);
  s->regs[16] = fz_rd64(q + 48);
  uint64_t ss = fz_rd64(q + 56);
  if (ss > size - REC_FIXED) return -1;
  s->stack = ss ? q + REC_FIXED : NULL;
  s->stack_size = ss;
  return 0;
}
