/* perfrec.c: `fathom run`'s recorder: runs a program under perf_event_open sampling of its
 * CPU time and hands the kernel's records to a sink, in time order (run.h).
 *
 * The program: fork; the child puts back the signal dispositions and mask this file changed,
 * then waits on a pipe until the events are attached, then execvp()s; an exec failure comes
 * back as errno through a close-on-exec pipe. stdin, stdout and stderr are inherited as they
 * are. SIGINT, SIGTERM, SIGHUP and SIGQUIT received meanwhile are passed on to the program,
 * except those the terminal sent (si_code SI_KERNEL: Ctrl-C, Ctrl-\, a hangup), which the
 * terminal has sent to the program's process group already; a signal the caller ignores
 * (nohup) stays ignored by both. The caller's own handling is back in place on return.
 *
 * Sampling: one software event per online CPU, pid = the program, inherit = 1 (its threads
 * and children are followed), counting its CPU time (task clock; CPU clock where that is
 * missing), enabled at exec, a sample every 1e9 / freq_hz ns with the user registers and a
 * copy of the user stack. Each CPU has its own ring buffer.
 *
 * Ordering: each round (a poll wake-up or 50 ms) copies every complete record out of every
 * ring into a pool (the ring's tail given back at once); the pool is sorted by the records'
 * times (every record carries one: sample_id_all) and the records older than the clock at
 * the round's start minus HOLD_NS are delivered, the others kept for a later round. A record
 * is written to its ring within microseconds of its time stamp, so by then every record with
 * an older time has been read. After the program ends the rings are drained and everything
 * left is delivered. The pool is bounded (POOL_MAX): past it, a round delivers everything it
 * holds.
 *
 * Wall-clock mode (o->wall): once the program has exec'd, wallpoll.c's thread polls its
 * waiting threads; each round takes the off-CPU samples polled meanwhile into the pool as
 * records of their own (FZ_WALL_REC), so that they reach the sink in time order with the
 * kernel's (the cutoff stays below the poll in progress), and a fork record read from a ring
 * names the new process to the poller at once. Without it nothing here changes.
 *
 * Invariants: the sink is called from the calling thread only, with times never decreasing;
 * the pointers in a record passed to the sink (stack, path, comm) live until the callback
 * returns; no allocation per record (the pool's buffers only grow, up to their bound). Not
 * reentrant: one fz_run_exec at a time per process (the signal handler's pipe is global). */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <asm/perf_regs.h>
#endif

#include "fathom.h"
#include "run/run.h"

#define HOLD_NS 10000000ull            /* records younger than this wait for the next round */
#define POLL_MS 50
#define POOL_MAX (64u << 20)           /* bytes of records held between rounds, at most */
#define RING_PAGES_MAX 1024            /* data pages per CPU tried first (4 MiB: ~250 samples
                                          of 16 KiB, so that a pause of the reader (the first
                                          naming of a library with its debug info) loses none) */
#define RING_PAGES_MIN 8
#define SIDE_PAGES 64                  /* the side band's ring per CPU (256 KiB) */

typedef struct ring {
  int fd;
  void *base;                          /* the mapping: control page, then data */
  size_t map_len;
  uint8_t *data;
  uint64_t size;                       /* data bytes, a power of two */
  int hup;                             /* poll said POLLHUP: read it, but poll it no more */
} ring;

typedef struct rec {                   /* a record in the pool */
  uint64_t time, seq;
  size_t off;
  uint32_t size;
} rec;

typedef struct pool {
  uint8_t *buf, *buf2;                 /* records; buf2 takes the held ones at compaction */
  size_t len, cap, cap2;
  rec *recs;
  size_t n, nrecs_cap;
  uint64_t seq;
} pool;

typedef struct rs {                    /* one recording */
  ring *rings;
  int nrings;
  pool p;
  const fz_run_sink *sink;
  fz_run_result *res;
  int nomem;
  fz_wallpoll *wall;                   /* wall-clock mode: the threads polled while they wait */
} rs;

/* ---- signals ---------------------------------------------------------------------------- */

static const int fwd_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_FWD 4
static volatile sig_atomic_t sig_wr = -1;

static void on_signal(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  if (si && si->si_code == SI_KERNEL) return;   /* the terminal: the program has it too */
  int e = errno;
  unsigned char b = (unsigned char)sig;
  if (sig_wr >= 0 && write(sig_wr, &b, 1) < 0) { /* a full pipe: enough are pending */ }
  errno = e;
}

typedef struct sigstate {
  struct sigaction old[N_FWD], old_chld, old_xfsz;
  int caught[N_FWD];
  sigset_t oldmask;
} sigstate;

/* Blocks the forwarded signals and installs the handlers (the caller unblocks). */
static void signals_take(sigstate *s) {
  sigset_t set;
  sigemptyset(&set);
  for (int i = 0; i < N_FWD; i++) sigaddset(&set, fwd_signals[i]);
  pthread_sigmask(SIG_BLOCK, &set, &s->oldmask);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < N_FWD; i++) {
    sigaction(fwd_signals[i], NULL, &s->old[i]);
    s->caught[i] = s->old[i].sa_handler != SIG_IGN;
    if (s->caught[i]) sigaction(fwd_signals[i], &sa, NULL);
  }
  /* waitpid needs SIGCHLD not ignored (an ignored one reaps children on its own) */
  sigaction(SIGCHLD, NULL, &s->old_chld);
  if (s->old_chld.sa_handler == SIG_IGN) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGCHLD, &dfl, NULL);
  }
  sigaction(SIGXFSZ, NULL, &s->old_xfsz);
}

static void signals_restore(const sigstate *s) {
  for (int i = 0; i < N_FWD; i++)
    if (s->caught[i]) sigaction(fwd_signals[i], &s->old[i], NULL);
  sigaction(SIGCHLD, &s->old_chld, NULL);
}

/* In the child, before exec: what the program would have got without this file. SIGXFSZ
 * goes back to its default action: the `fathom` command ignores it for itself (a write
 * past `ulimit -f` is an error it reports), which the program must not inherit. */
static void signals_child(const sigstate *s) {
  for (int i = 0; i < N_FWD; i++)
    if (s->caught[i]) sigaction(fwd_signals[i], &s->old[i], NULL);
  sigaction(SIGCHLD, &s->old_chld, NULL);
  if (s->old_xfsz.sa_handler == SIG_IGN) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGXFSZ, &dfl, NULL);
  }
  sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
}

/* ---- events ----------------------------------------------------------------------------- */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int perf_open(struct perf_event_attr *a, pid_t pid, int cpu) {
  return (int)syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

#if defined(__x86_64__)
#define REGS_MASK                                                                            \
  ((1ull << PERF_REG_X86_AX) | (1ull << PERF_REG_X86_BX) | (1ull << PERF_REG_X86_CX) |     \
   (1ull << PERF_REG_X86_DX) | (1ull << PERF_REG_X86_SI) | (1ull << PERF_REG_X86_DI) |     \
   (1ull << PERF_REG_X86_BP) | (1ull << PERF_REG_X86_SP) | (1ull << PERF_REG_X86_IP) |     \
   (0xffull << PERF_REG_X86_R8))
/* The registers as the sample holds them (mask order: ax bx cx dx si di bp sp ip r8..r15)
 * to their DWARF numbers (rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip). */
static const uint8_t perf_to_dwarf[17] = {0, 3, 2, 1, 4, 5, 6, 7, 16,
                                          8, 9, 10, 11, 12, 13, 14, 15};
#define NREGS 17
#endif

/* Online CPUs from /sys (e.g. "0-3,6"), into cpus; returns how many (0: unknown). */
static int online_cpus(int *cpus, int max) {
  FILE *f = fopen("/sys/devices/system/cpu/online", "re");
  int n = 0;
  if (f) {
    int a, b;
    char sep;
    while (n < max && fscanf(f, "%d", &a) == 1) {
      b = a;
      if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
        if (fscanf(f, "%d", &b) != 1) break;
        if (fscanf(f, "%c", &sep) != 1) sep = '\n';
      }
      for (int c = a; c <= b && n < max; c++) cpus[n++] = c;
      if (sep != ',') break;
    }
    fclose(f);
  }
  if (n == 0) {
    long k = sysconf(_SC_NPROCESSORS_ONLN);
    for (int c = 0; c < k && n < max; c++) cpus[n++] = c;
  }
  return n;
}

static void why_perf(fz_run_result *res, int err) {
  char extra[160] = "";
  if (err == EACCES || err == EPERM) {
    int lvl = -100;
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
    if (f) {
      if (fscanf(f, "%d", &lvl) != 1) lvl = -100;
      fclose(f);
    }
    if (lvl > 2)
      snprintf(extra, sizeof extra, " (kernel.perf_event_paranoid is %d: only privileged "
               "users may sample; 2 or lower lets users sample their own programs)", lvl);
    else if (lvl != -100)
      snprintf(extra, sizeof extra, " (kernel.perf_event_paranoid is %d; a container or "
               "seccomp filter may forbid perf_event_open)", lvl);
  } else if (err == ENOSYS) {
    snprintf(extra, sizeof extra, " (this kernel has no perf events)");
  } else if (err == ENOENT || err == EOPNOTSUPP) {
    snprintf(extra, sizeof extra, " (no software clock event here)");
  }
  snprintf(res->why, sizeof res->why, "perf_event_open: %s%s; the program ran unsampled",
           strerror(err), extra);
}

static void rings_close(rs *r) {
  for (int i = 0; i < r->nrings; i++) {
    if (r->rings[i].base) munmap(r->rings[i].base, r->rings[i].map_len);
    if (r->rings[i].fd >= 0) close(r->rings[i].fd);
  }
  free(r->rings);
  r->rings = NULL;
  r->nrings = 0;
}

/* Opens and maps one event per online CPU on pid. Returns 0, or an errno value with no
 * event left open. */
static int rings_open(rs *r, pid_t pid, const fz_run_opts *o) {
#if defined(__x86_64__)
  enum { MAXCPU = 4096 };
  int *cpus = malloc(MAXCPU * sizeof *cpus);
  if (!cpus) return ENOMEM;
  int ncpu = online_cpus(cpus, MAXCPU);
  r->rings = calloc((size_t)(ncpu > 0 ? 2 * ncpu : 1), sizeof *r->rings);
  if (!r->rings) {
    free(cpus);
    return ENOMEM;
  }
  double hz = o && o->freq_hz > 0 ? o->freq_hz : 1000.0;
  uint64_t period = (uint64_t)(1e9 / hz);
  if (period < 10000) period = 10000;                 /* the kernel's own floor (10 us) */
  uint32_t stack = o && o->stack_bytes ? o->stack_bytes : 16384;
  if (stack > 60000) stack = 60000;                   /* a record's size is 16 bits */
  stack &= ~7u;
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = PERF_TYPE_SOFTWARE;
  a.config = PERF_COUNT_SW_TASK_CLOCK;
  a.sample_period = period;
  a.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD |
                  PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
  a.sample_regs_user = REGS_MASK;
  a.sample_stack_user = stack;
  a.exclude_kernel = 1;
  a.exclude_hv = 1;
  a.disabled = 1;
  a.enable_on_exec = 1;
  a.inherit = 1;
  a.mmap = 1;
  a.mmap2 = 1;
  a.comm = 1;
  a.comm_exec = 1;
  a.task = 1;
  a.sample_id_all = 1;
  a.use_clockid = 1;
  a.clockid = CLOCK_MONOTONIC;
  a.watermark = 1;
  /* The side band (maps, commands, forks, exits) goes through an event of its own on each CPU
   * (a dummy software event, as perf does), so that samples lost to a full ring never take a
   * memory map with them: without it, every later stack of that process would be cut at its
   * first frame. Kernels without the dummy event keep the side band on the sampling event. */
  struct perf_event_attr side = a;
  side.config = PERF_COUNT_SW_DUMMY;
  side.sample_period = 0;
  side.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
  side.sample_regs_user = 0;
  side.sample_stack_user = 0;
  side.watermark = 0;
  side.wakeup_events = 1;
  int have_side = 1;
  int err = 0;
  size_t pages = RING_PAGES_MAX;
  long pg = sysconf(_SC_PAGESIZE);
  for (int i = 0; i < ncpu && !err; i++) {
    if (have_side) {                                   /* the side band first: no loss */
      ring *sg = &r->rings[r->nrings];
      sg->fd = perf_open(&side, pid, cpus[i]);
      if (sg->fd < 0 && i == 0) {
        have_side = 0;                                 /* no dummy event: all on one */
      } else if (sg->fd < 0) {
        if (errno == ENODEV) continue;
        err = errno;
        break;
      } else {
        r->nrings++;
        sg->map_len = (SIDE_PAGES + 1) * (size_t)pg;
        sg->base = mmap(NULL, sg->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, sg->fd, 0);
        if (sg->base == MAP_FAILED) {
          sg->base = NULL;
          err = errno ? errno : ENOMEM;
          break;
        }
        sg->data = (uint8_t *)sg->base + pg;
        sg->size = (uint64_t)SIDE_PAGES * (uint64_t)pg;
        if (i == 0) a.mmap = a.mmap2 = a.comm = a.comm_exec = a.task = 0;
      }
    }
    ring *g = &r->rings[r->nrings];
    g->fd = perf_open(&a, pid, cpus[i]);
    if (g->fd < 0 && i == 0 && a.config == PERF_COUNT_SW_TASK_CLOCK &&
        (errno == ENOENT || errno == EINVAL || errno == EOPNOTSUPP)) {
      a.config = PERF_COUNT_SW_CPU_CLOCK;
      g->fd = perf_open(&a, pid, cpus[i]);
    }
    if (g->fd < 0) {
      if (errno == ENODEV) continue;                  /* went offline meanwhile */
      err = errno;
      break;
    }
    r->nrings++;
    for (;;) {                                        /* the largest ring the limits allow */
      g->map_len = (pages + 1) * (size_t)pg;
      g->base = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 0);
      if (g->base != MAP_FAILED) break;
      g->base = NULL;
      if (errno != EPERM && errno != ENOMEM) break;
      if (pages <= RING_PAGES_MIN) break;
      pages /= 2;
    }
    if (!g->base) {
      err = errno ? errno : ENOMEM;
      break;
    }
    g->data = (uint8_t *)g->base + pg;
    g->size = (uint64_t)pages * (uint64_t)pg;
  }
  free(cpus);
  if (!err && r->nrings == 0) err = ENODEV;
  if (err) rings_close(r);
  return err;
#else
  (void)r; (void)pid; (void)o;
  return EOPNOTSUPP;
#endif
}

/* ---- the pool: records copied out of the rings, delivered in time order -------------- */

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : 4096 / elem + 1;
  while (c < need) c *= 2;
  void *q = realloc(*p, c * elem);
  if (!q) return -1;
  *p = q;
  *cap = c;
  return 0;
}

static void pool_free(pool *p) {
  free(p->buf);
  free(p->buf2);
  free(p->recs);
  memset(p, 0, sizeof *p);
}

/* The record's time: after ip, pid/tid in a sample; the last 8 bytes of the sample_id
 * trailer (pid/tid, time) in the others. Returns 0 for a record too short to hold it. */
static int rec_time(const uint8_t *q, uint32_t size, uint64_t *t) {
  struct perf_event_header h;
  memcpy(&h, q, sizeof h);
  if (h.type == PERF_RECORD_SAMPLE) {
    if (size < 32) return 0;
    *t = fz_rd64(q + 24);
  } else if (h.type == FZ_WALL_REC) {
    if (size < 24) return 0;
    *t = fz_rd64(q + 16);
  } else {
    if (size < sizeof h + 16) return 0;
    *t = fz_rd64(q + size - 8);
  }
  return 1;
}

static int wanted(uint32_t type) {
  return type == PERF_RECORD_SAMPLE || type == PERF_RECORD_MMAP2 || type == PERF_RECORD_MMAP ||
         type == PERF_RECORD_COMM || type == PERF_RECORD_FORK || type == PERF_RECORD_EXIT ||
         type == PERF_RECORD_LOST;
}

/* Copies every complete record of ring g into the pool and gives the ring its space back. */
static void ring_read(rs *r, ring *g) {
  struct perf_event_mmap_page *m = g->base;
  uint64_t head = __atomic_load_n(&m->data_head, __ATOMIC_ACQUIRE);
  uint64_t tail = m->data_tail, mask = g->size - 1;
  pool *p = &r->p;
  while (tail + sizeof(struct perf_event_header) <= head) {
    struct perf_event_header h;
    uint64_t at = tail & mask;   /* headers are 8-aligned in a ring of 2^k bytes: never split */
    memcpy(&h, g->data + at, sizeof h);
    if (h.size < sizeof h || h.size > head - tail) {   /* cannot be: drop what is there */
      tail = head;
      break;
    }
    if (wanted(h.type)) {
      if (grow((void **)&p->buf, &p->cap, p->len + h.size, 1) ||
          grow((void **)&p->recs, &p->nrecs_cap, p->n + 1, sizeof *p->recs)) {
        r->nomem = 1;
      } else {
        uint8_t *dst = p->buf + p->len;
        uint64_t first = g->size - at < h.size ? g->size - at : h.size;
        memcpy(dst, g->data + at, first);                 /* a record that wraps the end */
        memcpy(dst + first, g->data, h.size - first);     /* comes out in one piece */
        uint64_t t;
        if (r->wall && h.type == PERF_RECORD_FORK && h.size >= 16 &&
            fz_rd32(dst + 8) != fz_rd32(dst + 12))
          fz_wallpoll_add(r->wall, fz_rd32(dst + 8));        /* a new process: poll it too */
        if (rec_time(dst, h.size, &t))
          p->recs[p->n++] = (rec){.time = t, .seq = p->seq++, .off = p->len, .size = h.size};
        p->len += h.size;
      }
    }
    tail += h.size;
  }
  __atomic_store_n(&m->data_tail, tail, __ATOMIC_RELEASE);
}

static int rec_cmp(const void *x, const void *y) {
  const rec *a = x, *b = y;
  if (a->time != b->time) return a->time < b->time ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Hands one record to the sink. */
static void deliver(rs *r, const uint8_t *q, uint32_t size) {
  const fz_run_sink *k = r->sink;
  struct perf_event_header h;
  memcpy(&h, q, sizeof h);
  const uint8_t *end = q + size, *b = q + sizeof h;
  uint64_t t;
  if (k->at && h.type != PERF_RECORD_SAMPLE && rec_time(q, size, &t)) k->at(k->ctx, t);
  switch (h.type) {
  case PERF_RECORD_SAMPLE: {
#if defined(__x86_64__)
    fz_run_sample s;
    memset(&s, 0, sizeof s);
    if (end - b < 8 + 8 + 8 + 8 + 8) return;
    uint64_t ip = fz_rd64(b);
    s.pid = fz_rd32(b + 8);
    s.tid = fz_rd32(b + 12);
    s.time_ns = fz_rd64(b + 16);
    s.period_ns = fz_rd64(b + 24);
    b += 32;
    uint64_t abi = fz_rd64(b);
    b += 8;
    if (abi != PERF_SAMPLE_REGS_ABI_NONE) {
      if (end - b < NREGS * 8) return;
      for (int i = 0; i < NREGS; i++) s.regs[perf_to_dwarf[i]] = fz_rd64(b + 8 * i);
      b += NREGS * 8;
      s.regs_ok = abi == PERF_SAMPLE_REGS_ABI_64;    /* a 32-bit program: no x86-64 frame */
    } else {
      s.regs[16] = ip;
    }
    if (end - b >= 8) {
      uint64_t sz = fz_rd64(b);
      b += 8;
      if (sz && (uint64_t)(end - b) >= sz + 8) {
        uint64_t dyn = fz_rd64(b + sz);
        s.stack = b;
        s.stack_size = dyn < sz ? dyn : sz;
      }
    }
    r->res->samples++;
    if (k->sample) k->sample(k->ctx, &s);
#endif
    break;
  }
  case PERF_RECORD_MMAP2:
  case PERF_RECORD_MMAP: {
    int two = h.type == PERF_RECORD_MMAP2;
    size_t fixed = two ? 8 + 24 + 24 + 8 : 8 + 24;     /* pid/tid, addr/len/pgoff, ids, prot */
    if ((size_t)(end - b) < fixed + 1 + 16) return;
    uint32_t prot = two ? fz_rd32(b + 56) : PROT_EXEC;
    if (!(prot & PROT_EXEC) || (h.misc & PERF_RECORD_MISC_MMAP_DATA)) return;
    const char *path = (const char *)(b + fixed);
    if (!memchr(path, 0, (size_t)(end - 16 - (b + fixed)))) return;
    fz_run_mmap mm = {.pid = fz_rd32(b), .start = fz_rd64(b + 8), .len = fz_rd64(b + 16),
                      .pgoff = fz_rd64(b + 24), .path = path};
    if (k->mmap) k->mmap(k->ctx, &mm);
    break;
  }
  case PERF_RECORD_COMM: {
    if (end - b < 8 + 1 + 16) return;
    const char *comm = (const char *)(b + 8);
    if (!memchr(comm, 0, (size_t)(end - 16 - (b + 8)))) return;
    if (k->comm) k->comm(k->ctx, fz_rd32(b), fz_rd32(b + 4), comm,
                         (h.misc & PERF_RECORD_MISC_COMM_EXEC) != 0);
    break;
  }
  case PERF_RECORD_FORK:
  case PERF_RECORD_EXIT:
    if (end - b < 16) return;
    if (h.type == PERF_RECORD_FORK) {
      if (k->fork) k->fork(k->ctx, fz_rd32(b), fz_rd32(b + 4), fz_rd32(b + 8), fz_rd32(b + 12));
    } else if (k->exit) {
      k->exit(k->ctx, fz_rd32(b), fz_rd32(b + 8));
    }
    break;
  case FZ_WALL_REC: {                                  /* wall mode: a waiting thread */
    fz_run_sample s;
    if (fz_wall_rec_read(q, size, &s) != 0) return;
    r->res->samples++;
    r->res->off_cpu_samples++;
    if (k->sample) k->sample(k->ctx, &s);
    break;
  }
  case PERF_RECORD_LOST:
    if (end - b < 16) return;
    r->res->lost += fz_rd64(b + 8);
    if (k->lost) k->lost(k->ctx, fz_rd64(b + 8));
    break;
  default:
    break;
  }
}

/* Sorts the pool, delivers the records with time <= cutoff and keeps the others. */
static void pool_flush(rs *r, uint64_t cutoff) {
  pool *p = &r->p;
  if (p->len > POOL_MAX) cutoff = UINT64_MAX;
  qsort(p->recs, p->n, sizeof *p->recs, rec_cmp);
  size_t i = 0;
  for (; i < p->n && p->recs[i].time <= cutoff; i++)
    deliver(r, p->buf + p->recs[i].off, p->recs[i].size);
  size_t keep = 0;
  for (size_t j = i; j < p->n; j++) keep += p->recs[j].size;
  if (keep && grow((void **)&p->buf2, &p->cap2, keep, 1)) {   /* cannot hold: deliver all */
    for (; i < p->n; i++) deliver(r, p->buf + p->recs[i].off, p->recs[i].size);
    r->nomem = 1;
  }
  size_t len = 0, n = 0;
  for (; i < p->n; i++) {
    memcpy(p->buf2 + len, p->buf + p->recs[i].off, p->recs[i].size);
    p->recs[n] = p->recs[i];
    p->recs[n++].off = len;
    len += p->recs[i].size;
  }
  uint8_t *t = p->buf;
  size_t tc = p->cap;
  p->buf = p->buf2;
  p->cap = p->cap2;
  p->buf2 = t;
  p->cap2 = tc;
  p->len = len;
  p->n = n;
}

static void rings_read_all(rs *r) {
  for (int i = 0; i < r->nrings; i++) ring_read(r, &r->rings[i]);
}

/* Wall mode: an off-CPU sample of wallpoll.c into the pool, to be delivered in time order. */
static void wall_emit(void *ctx, const fz_run_sample *s) {
  rs *r = ctx;
  pool *p = &r->p;
  size_t size = fz_wall_rec_size(s);
  if (grow((void **)&p->buf, &p->cap, p->len + size, 1) ||
      grow((void **)&p->recs, &p->nrecs_cap, p->n + 1, sizeof *p->recs)) {
    r->nomem = 1;
    return;
  }
  fz_wall_rec_write(p->buf + p->len, s);
  p->recs[p->n++] =
      (rec){.time = s->time_ns, .seq = p->seq++, .off = p->len, .size = (uint32_t)size};
  p->len += size;
}

/* ---- running the program ---------------------------------------------------------------- */

int fz_run_exec(char *const argv[], const fz_run_opts *o, const fz_run_sink *sink,
                fz_run_result *res) {
  static const fz_run_sink none;
  if (!res) return FATHOM_E_INVAL;
  memset(res, 0, sizeof *res);
  res->pid = -1;
  if (!argv || !argv[0] || !argv[0][0]) {
    snprintf(res->why, sizeof res->why, "fathom: no program to run");
    return FATHOM_E_INVAL;
  }
  rs r;
  memset(&r, 0, sizeof r);
  r.sink = sink ? sink : &none;
  r.res = res;

  int sync[2], errp[2], sigp[2];
  if (pipe2(sync, O_CLOEXEC) != 0) goto io_fail0;
  if (pipe2(errp, O_CLOEXEC) != 0) goto io_fail1;
  if (pipe2(sigp, O_CLOEXEC | O_NONBLOCK) != 0) goto io_fail2;
  sig_wr = sigp[1];
  sigstate ss;
  signals_take(&ss);
  fflush(NULL);                        /* no buffered output written twice */
  pid_t pid = fork();
  if (pid == 0) {
    signals_child(&ss);
    close(sync[1]);
    close(errp[0]);
    char go;
    ssize_t n;
    while ((n = read(sync[0], &go, 1)) < 0 && errno == EINTR) continue;
    if (n != 1) _exit(127);
    execvp(argv[0], argv);
    int e = errno;
    if (write(errp[1], &e, sizeof e) < 0) { /* the parent sees a closed pipe: status 127 */ }
    _exit(127);
  }
  int fork_err = errno;
  pthread_sigmask(SIG_SETMASK, &ss.oldmask, NULL);
  close(sync[0]);
  close(errp[1]);
  if (pid < 0) {
    close(sync[1]);
    close(errp[0]);
    signals_restore(&ss);
    sig_wr = -1;
    close(sigp[0]);
    close(sigp[1]);
    snprintf(res->why, sizeof res->why, "fathom: cannot run '%s': fork: %s", argv[0],
             strerror(fork_err));
    return FATHOM_E_NOMEM;
  }
  res->pid = pid;

  int perr = rings_open(&r, pid, o);
  if (perr) why_perf(res, perr);
  /* the events are attached: let the child exec */
  char go = 1;
  if (write(sync[1], &go, 1) != 1) { /* the child reads EOF and exits 127 */ }
  close(sync[1]);
  int exec_err = 0;
  ssize_t n;
  while ((n = read(errp[0], &exec_err, sizeof exec_err)) < 0 && errno == EINTR) continue;
  close(errp[0]);
  int rc = 0;
  if (n == (ssize_t)sizeof exec_err) {
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) continue;
    res->status = st;
    snprintf(res->why, sizeof res->why, "fathom: cannot run '%s': %s", argv[0],
             strerror(exec_err));
    rc = exec_err == ENOENT ? FATHOM_E_NOTFOUND : FATHOM_E_INVAL;
    rings_close(&r);
    goto done;
  }

  /* wall mode, once the program runs (not the child waiting to exec): needs the perf events,
   * whose memory maps name the waiting threads' stacks */
  if (o && o->wall && r.nrings > 0) {
    r.wall = fz_wallpoll_start((uint32_t)pid, o->freq_hz, o->stack_bytes);
    if (!r.wall)
      snprintf(res->why, sizeof res->why, "wall-clock mode: cannot start its thread; waiting "
               "threads were not sampled");
  }
  int pidfd = -1;
#ifdef SYS_pidfd_open
  pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
  struct pollfd *pf = calloc((size_t)r.nrings + 2, sizeof *pf);
  int reaped = 0, st = 0;
  while (!reaped) {
    int np = 0;
    if (pf) {
      pf[np++] = (struct pollfd){.fd = sigp[0], .events = POLLIN};
      if (pidfd >= 0) pf[np++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
      for (int i = 0; i < r.nrings; i++)
        pf[np++] = (struct pollfd){.fd = r.rings[i].hup ? -1 : r.rings[i].fd, .events = POLLIN};
      int k = poll(pf, (nfds_t)np, POLL_MS);
      if (k > 0)
        for (int i = 0; i < r.nrings; i++)
          if (pf[np - r.nrings + i].revents & (POLLHUP | POLLERR)) r.rings[i].hup = 1;
    } else {
      poll(NULL, 0, POLL_MS);
    }
    unsigned char sigs[16];
    ssize_t ns;
    while ((ns = read(sigp[0], sigs, sizeof sigs)) > 0)
      for (ssize_t i = 0; i < ns; i++) kill(pid, sigs[i]);
    uint64_t t0 = now_ns();
    uint64_t low = r.wall ? fz_wallpoll_take(r.wall, wall_emit, &r) : UINT64_MAX;
    rings_read_all(&r);
    uint64_t cut = t0 > HOLD_NS ? t0 - HOLD_NS : 0;
    pool_flush(&r, low <= cut ? low - 1 : cut);
    siginfo_t si;
    si.si_pid = 0;
    if (r.sink->ending && waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        si.si_pid == pid)
      r.sink->ending(r.sink->ctx, pid);     /* before it is reaped: its final figures */
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) reaped = 1;
  }
  res->status = st;
  free(pf);
  if (pidfd >= 0) close(pidfd);
  rings_read_all(&r);                  /* what the program wrote before it ended */
  fz_wallpoll_stop(r.wall);
  fz_wallpoll_take(r.wall, wall_emit, &r);
  pool_flush(&r, UINT64_MAX);
  rings_close(&r);
  if (r.wall && fz_wallpoll_why(r.wall)[0] && !res->why[0])
    snprintf(res->why, sizeof res->why, "%s", fz_wallpoll_why(r.wall));
  fz_wallpoll_free(r.wall);
  if (r.nomem && !res->why[0])
    snprintf(res->why, sizeof res->why, "fathom: out of memory while recording; some records "
             "were dropped");
done:
  pool_free(&r.p);
  signals_restore(&ss);
  sig_wr = -1;
  close(sigp[0]);
  close(sigp[1]);
  return rc;

io_fail2:
  close(errp[0]);
  close(errp[1]);
io_fail1:
  close(sync[0]);
  close(sync[1]);
io_fail0:
  snprintf(res->why, sizeof res->why, "fathom: cannot run '%s': pipe: %s", argv[0],
           strerror(errno));
  return FATHOM_E_IO;
}
