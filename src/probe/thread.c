/* probe/thread.c: the per-thread resource probe context (probe.h) and the DETAILED probes:
 * getrusage(RUSAGE_THREAD) (CPU user/system, context switches, page faults), the thread's
 * /proc/thread-self/io (syscall and storage bytes) and the process RSS from /proc/self/statm;
 * at COMPREHENSIVE the context also holds the perf counter group of probe/perf.c. Also owns
 * the budget of fds that probes may hold and the /proc parsers.
 *
 * Invariant: a read costs a fixed number of system calls (getrusage, one pread per /proc
 * file, one read of the perf group) and no allocation, lock or stdio; every entry point
 * preserves errno; anything that fails is left out of the returned mask; fds are O_CLOEXEC,
 * at most the budget of them is held process-wide, and an fd is only closed while it still
 * refers to what the probe opened. After fork, a context notices on its next read and
 * reopens its thread's files (the inherited ones describe the parent's thread). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe/probe.h"
#include "probe/perf.h"

#define BIT(i) (1u << (i))
#define RUSAGE_MASK                                                                        \
  (BIT(FATHOM_RES_CPU_USER_NS) | BIT(FATHOM_RES_CPU_SYS_NS) | BIT(FATHOM_RES_CPU_NS) |      \
   BIT(FATHOM_RES_CTX_VOL) |                                                               \
   BIT(FATHOM_RES_CTX_INVOL) | BIT(FATHOM_RES_MINFLT) | BIT(FATHOM_RES_MAJFLT))
#define FD_BUDGET_MAX 512u
#define IO_BUF 512   /* the io file is 7 lines of at most 45 bytes */

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

struct fz_probe_ctx {
  int level;
  uint32_t fork_gen;     /* fork_gen when this context's thread files were opened */
  fz_pfd io;             /* /proc/thread-self/io of the owner thread */
  fz_perf_group perf;    /* COMPREHENSIVE only (perf.n == 0 otherwise) */
};

/* io fields in the order fz_parse_proc_io returns them, and their slots */
static const uint8_t io_slot[4] = {FATHOM_RES_READ_BYTES, FATHOM_RES_WRITE_BYTES,
                                   FATHOM_RES_DISK_READ_BYTES, FATHOM_RES_DISK_WRITE_BYTES};

/* ---- process-wide state ---------------------------------------------------------------- */

static uint32_t fd_used;          /* fds held by probes (reservations) */
static uint64_t fd_refusals;      /* reservations refused by the budget */
static int statm_fd = -1;         /* /proc/self/statm, opened lazily, published with CAS */
static uint64_t statm_dev, statm_ino;
static uint32_t fork_gen;         /* bumped in the child after each fork */
static int io_worked;             /* 1 once a context opened its thread's io file */
static long page_bytes = 4096;
static pthread_once_t once = PTHREAD_ONCE_INIT;
/* bytes this thread's probes read with read/pread (they count in the thread's rchar) */
static __thread uint64_t self_rchar __attribute__((tls_model("initial-exec")));

void fz_probe_self_read(uint64_t n) { self_rchar += n; }

static int same_file(int fd, uint64_t dev, uint64_t ino) {
  struct stat st;
  return fstat(fd, &st) == 0 && (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

/* In the child after fork (single-threaded, async-signal-safe calls only): the statm fd
 * names the parent, and the thread's rchar restarts at 0 (the kernel zeroes the child's I/O
 * accounting). */
static void after_fork_child(void) {
  int fd = LD(statm_fd);
  if (fd >= 0) {
    if (same_file(fd, LD(statm_dev), LD(statm_ino))) close(fd);
    ST(statm_fd, -1);
    fz_pfd_unreserve();
  }
  self_rchar = 0;
  __atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

static void init_once(void) {
  long p = sysconf(_SC_PAGESIZE);
  if (p > 0) page_bytes = p;
  (void)pthread_atfork(NULL, NULL, after_fork_child);
}

/* ---- the fd budget ---------------------------------------------------------------------- */

/* A quarter of the soft RLIMIT_NOFILE, at most FD_BUDGET_MAX (read at each reservation, so a
 * program that changes its limit is followed). */
static uint32_t fd_budget(void) {
  struct rlimit rl;
  uint64_t lim = 1024;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
    lim = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
  lim /= 4;
  return lim > FD_BUDGET_MAX ? FD_BUDGET_MAX : (uint32_t)lim;
}

int fz_pfd_reserve(void) {
  uint32_t b = fd_budget();
  uint32_t u = LD(fd_used);
  do {
    if (u >= b) {
      __atomic_add_fetch(&fd_refusals, 1, __ATOMIC_RELAXED);
      return 0;
    }
  } while (!__atomic_compare_exchange_n(&fd_used, &u, u + 1, 1, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED));
  return 1;
}

void fz_pfd_unreserve(void) {
  uint32_t u = LD(fd_used);
  while (u && !__atomic_compare_exchange_n(&fd_used, &u, u - 1, 1, __ATOMIC_RELAXED,
                                           __ATOMIC_RELAXED)) {
  }
}

void fz_pfd_adopt(fz_pfd *p, int fd) {
  struct stat st;
  p->fd = fd;
  if (fstat(fd, &st) == 0) {
    p->dev = (uint64_t)st.st_dev;
    p->ino = (uint64_t)st.st_ino;
  } else {
    p->dev = p->ino = 0;   /* unknown identity: closed without a check */
  }
}

void fz_pfd_close(fz_pfd *p) {
  if (p->fd < 0) return;
  if ((p->dev == 0 && p->ino == 0) || same_file(p->fd, p->dev, p->ino)) close(p->fd);
  p->fd = -1;
  fz_pfd_unreserve();
}

void fz_pfd_stats(uint32_t *budget, uint64_t *refusals) {
  *budget = fd_budget();
  *refusals = LD(fd_refusals);
}

/* ---- parsers ------------------------------------------------------------------------------ */

/* Decimal digits at p (before end) into *out, saturating at INT64_MAX; the number must be
 * followed by a space or newline inside the buffer (a number cut by the buffer's end is not
 * trusted). Returns the position after the number, or NULL. */
static const char *parse_num(const char *p, const char *end, int64_t *out) {
  const char *s = p;
  uint64_t v = 0;
  while (p < end && (unsigned)(*p - '0') <= 9u && p - s < 18) v = v * 10 + (unsigned)(*p++ - '0');
  while (p < end && (unsigned)(*p - '0') <= 9u) {   /* 19 digits and more: rare, checked */
    unsigned dg = (unsigned)(*p++ - '0');
    v = v > ((uint64_t)INT64_MAX - dg) / 10 ? (uint64_t)INT64_MAX : v * 10 + dg;
  }
  if (p == s || p == end || (*p != ' ' && *p != '\n')) return NULL;
  *out = (int64_t)v;
  return p;
}

/* "key" + number + newline at p; returns the position after the newline, or NULL. */
static const char *field_nl(const char *p, const char *end, const char *key, size_t len,
                            int64_t *out) {
  if ((size_t)(end - p) <= len || memcmp(p, key, len) != 0) return NULL;
  p = parse_num(p + len, end, out);
  return p && *p == '\n' ? p + 1 : NULL;
}

/* The kernel's layout (rchar, wchar, syscr, syscw, read_bytes, write_bytes, ...) parsed in
 * one pass; 0 when the text differs in any way (the general parser then runs). */
static int parse_io_fast(const char *p, const char *end, int64_t out[4]) {
  int64_t skip;
  if (!(p = field_nl(p, end, "rchar: ", 7, &out[0]))) return 0;
  if (!(p = field_nl(p, end, "wchar: ", 7, &out[1]))) return 0;
  if (!(p = field_nl(p, end, "syscr: ", 7, &skip))) return 0;
  if (!(p = field_nl(p, end, "syscw: ", 7, &skip))) return 0;
  if (!(p = field_nl(p, end, "read_bytes: ", 12, &out[2]))) return 0;
  return field_nl(p, end, "write_bytes: ", 13, &out[3]) != NULL;
}

uint32_t fz_parse_proc_io(const char *buf, size_t n, int64_t out[4]) {
  static const struct { const char *key; size_t len; } keys[4] = {
      {"rchar:", 6}, {"wchar:", 6}, {"read_bytes:", 11}, {"write_bytes:", 12}};
  const char *p = buf, *end = buf + n;
  uint32_t m = 0;
  if (parse_io_fast(p, end, out)) return 15u;
  while (p < end && m != 15u) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    for (int k = 0; k < 4; k++) {
      if ((m >> k & 1) || (size_t)(le - p) <= keys[k].len || memcmp(p, keys[k].key, keys[k].len))
        continue;
      const char *q = p + keys[k].len;
      while (q < le && *q == ' ') q++;
      if (parse_num(q, end, &out[k])) m |= BIT(k);
      break;
    }
    p = le + 1;
  }
  return m;
}

int fz_parse_statm(const char *buf, size_t n, int64_t *resident_pages) {
  const char *p = buf, *end = buf + n;
  int64_t size;
  if (!(p = parse_num(p, end, &size)) || *p != ' ') return 0;
  while (p < end && *p == ' ') p++;
  return parse_num(p, end, resident_pages) != NULL;
}

/* ---- opening the files -------------------------------------------------------------------- */

/* Opens the calling thread's io file (/proc/thread-self/io, else /proc/self/task/TID/io on
 * kernels before 3.17). -1 with errno set on failure. */
static int open_thread_io(void) {
  int fd = open("/proc/thread-self/io", O_RDONLY | O_CLOEXEC);
  if (fd >= 0 || errno != ENOENT) return fd;
  char path[48] = "/proc/self/task/", digits[24];
  long tid = syscall(SYS_gettid);
  int n = 0;
  do digits[n++] = (char)('0' + tid % 10); while ((tid /= 10) > 0 && n < 20);
  size_t at = strlen(path);
  while (n) path[at++] = digits[--n];
  memcpy(path + at, "/io", 4);
  return open(path, O_RDONLY | O_CLOEXEC);
}

/* pread of the whole small file at fd into buf (size cap); counts the bytes as the probe's
 * own reads. Returns the byte count, or -1. */
static ssize_t reread(int fd, char *buf, size_t cap) {
  ssize_t n = pread(fd, buf, cap, 0);
  if (n > 0) self_rchar += (uint64_t)n;
  return n;
}

/* Opens, checks (one read that parses) and adopts the thread's io file into c->io. Returns
 * 0, or an errno value (-1: the fd budget was spent; EPROTO: unparseable content). */
static int open_io(fz_pfd *io) {
  char buf[IO_BUF];
  int64_t f[4];
  io->fd = -1;
  if (!fz_pfd_reserve()) return -1;
  int fd = open_thread_io();
  if (fd < 0) {
    int err = errno;
    fz_pfd_unreserve();
    return err;
  }
  ssize_t n = reread(fd, buf, sizeof buf);
  if (n <= 0 || fz_parse_proc_io(buf, (size_t)n, f) == 0) {
    int err = n < 0 ? errno : EPROTO;
    close(fd);
    fz_pfd_unreserve();
    return err;
  }
  fz_pfd_adopt(io, fd);
  ST(io_worked, 1);
  return 0;
}

/* The process-wide statm fd, opened on first use; -1 when it cannot be. */
static int statm_get(void) {
  int fd = __atomic_load_n(&statm_fd, __ATOMIC_ACQUIRE);
  if (fd >= 0) return fd;
  if (!fz_pfd_reserve()) return -1;
  fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fz_pfd_unreserve();
    return -1;
  }
  int expect = -1;
  if (!__atomic_compare_exchange_n(&statm_fd, &expect, fd, 0, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE)) {
    close(fd);   /* another thread published first */
    fz_pfd_unreserve();
    return expect;
  }
  struct stat st;
  if (fstat(fd, &st) == 0) {
    ST(statm_dev, (uint64_t)st.st_dev);
    ST(statm_ino, (uint64_t)st.st_ino);
  }
  return fd;
}

/* Opens the context's thread files, and the process's statm fd if no context has yet (reads
 * only use the published one, so a read never opens anything but after a fork). */
static void open_thread_files(fz_probe_ctx *c) {
  c->fork_gen = LD(fork_gen);
  (void)statm_get();
  (void)open_io(&c->io);
  if (c->level >= FATHOM_LEVEL_COMPREHENSIVE) (void)fz_perf_open(&c->perf);
}

static void close_thread_files(fz_probe_ctx *c) {
  fz_pfd_close(&c->io);
  fz_perf_close(&c->perf);
}

/* ---- probe.h -------------------------------------------------------------------------------- */

fz_probe_ctx *fz_probe_open(int level) {
  int saved = errno;
  fz_probe_ctx *c = NULL;
  if (level >= FATHOM_LEVEL_DETAILED) {
    pthread_once(&once, init_once);
    c = calloc(1, sizeof *c);
    if (c) {
      c->level = level;
      c->io.fd = -1;
      c->perf.n = 0;
      open_thread_files(c);
      struct rusage ru;
      int any = getrusage(RUSAGE_THREAD, &ru) == 0 || c->io.fd >= 0 || c->perf.n > 0 ||
                __atomic_load_n(&statm_fd, __ATOMIC_ACQUIRE) >= 0;
      if (!any) {
        close_thread_files(c);
        free(c);
        c = NULL;
      }
    }
  }
  errno = saved;
  return c;
}

void fz_probe_close(fz_probe_ctx *c) {
  if (!c) return;
  int saved = errno;
  close_thread_files(c);
  free(c);
  errno = saved;
}

static inline int64_t tv_ns(struct timeval tv) {
  return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

__attribute__((noinline, cold)) static void after_fork_reopen(fz_probe_ctx *c) {
  close_thread_files(c);
  open_thread_files(c);
}

/* CPU time: getrusage's user/system figures only advance when the scheduler accounts the
 * thread (ticks, switches), so a zone of a few µs often shows none. The total comes from
 * CLOCK_THREAD_CPUTIME_ID, which brings the thread's runtime up to date; the system part is
 * getrusage's (tick-sampled) and user is the rest, so user + system is exact. */
static uint32_t read_rusage(fz_pval *out, int at_end) {
  struct rusage ru;
  struct timespec ts;
  int clk = at_end ? clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) : 0; /* nearest the zone */
  if (getrusage(RUSAGE_THREAD, &ru) != 0) return 0;
  if (!at_end) clk = clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  int64_t sys = tv_ns(ru.ru_stime);
  int64_t total = clk == 0 ? (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec
                           : tv_ns(ru.ru_utime) + sys;
  out->v[FATHOM_RES_CPU_NS] = total;
  out->v[FATHOM_RES_CPU_USER_NS] = total - sys;   /* a delta's split is checked by the caller */
  out->v[FATHOM_RES_CPU_SYS_NS] = sys;
  out->v[FATHOM_RES_CTX_VOL] = ru.ru_nvcsw;
  out->v[FATHOM_RES_CTX_INVOL] = ru.ru_nivcsw;
  out->v[FATHOM_RES_MINFLT] = ru.ru_minflt;
  out->v[FATHOM_RES_MAJFLT] = ru.ru_majflt;
  return RUSAGE_MASK;
}

static uint32_t read_io(fz_probe_ctx *c, fz_pval *out) {
  if (c->io.fd < 0) return 0;
  uint32_t m = 0;
  char buf[IO_BUF];
  int64_t f[4];
  uint64_t own = self_rchar;   /* the probes' reads so far: all counted in this rchar */
  ssize_t n = reread(c->io.fd, buf, sizeof buf);
  uint32_t fm = n > 0 ? fz_parse_proc_io(buf, (size_t)n, f) : 0;
  if (fm & 1) {
    f[0] -= (int64_t)own;
    if (f[0] < 0) f[0] = 0;
  }
  for (int k = 0; k < 4; k++)
    if (fm >> k & 1) {
      out->v[io_slot[k]] = f[k];
      m |= BIT(io_slot[k]);
    }
  return m;
}

static uint32_t read_rss(fz_pval *out) {
  int sfd = __atomic_load_n(&statm_fd, __ATOMIC_ACQUIRE);
  if (sfd < 0) return 0;
  char buf[128];
  int64_t pages;
  ssize_t n = reread(sfd, buf, sizeof buf);
  if (n <= 0 || !fz_parse_statm(buf, (size_t)n, &pages)) return 0;
  out->v[FATHOM_RES_RSS_DELTA_BYTES] = pages * page_bytes;
  return BIT(FATHOM_RES_RSS_DELTA_BYTES);
}

/* The counters a zone's figures depend on most (CPU time, hardware counters) are read
 * nearest to the zone: last at its begin, first at its end, so the probe's own system calls
 * stay out of the zone's CPU time and counts as far as possible. */
uint32_t fz_probe_read_at(fz_probe_ctx *c, fz_pval *out, int at_end) {
  if (!c || !out) return 0;
  int saved = errno;
  uint32_t m = 0;
  memset(out, 0, sizeof *out);
  if (__builtin_expect(LD(fork_gen) != c->fork_gen, 0)) after_fork_reopen(c);
  if (at_end) {
    if (c->perf.n) m |= fz_perf_read(&c->perf, out->v);
    m |= read_rusage(out, 1);
    m |= read_rss(out);
    m |= read_io(c, out);
  } else {
    m |= read_io(c, out);
    m |= read_rss(out);
    m |= read_rusage(out, 0);
    if (c->perf.n) m |= fz_perf_read(&c->perf, out->v);
  }
  errno = saved;
  return m;
}

uint32_t fz_probe_read(fz_probe_ctx *c, fz_pval *out) { return fz_probe_read_at(c, out, 0); }

/* ---- descriptions ------------------------------------------------------------------------- */

static int set_info(fathom_probe_info *o, const char *name, int available, const char *detail) {
  o->name = strdup(name);
  o->detail = strdup(detail);
  o->available = available;
  if (o->name && o->detail) return 1;
  free(o->name);
  free(o->detail);
  o->name = o->detail = NULL;
  return 0;
}

static const char *err_text(int err, char *buf, size_t n) {
  return strerror_r(err, buf, n);
}

/* " (N opens went without probe fds: fathom's budget of B fds was reached)" or "". */
static void budget_note(char *dst, size_t cap) {
  uint32_t budget;
  uint64_t refusals;
  fz_pfd_stats(&budget, &refusals);
  dst[0] = 0;
  if (refusals)
    snprintf(dst, cap, "; %llu probe files were not opened: fathom's budget of %u fds "
             "(a quarter of RLIMIT_NOFILE, at most %u) was reached",
             (unsigned long long)refusals, budget, FD_BUDGET_MAX);
}

static int describe_rusage(fathom_probe_info *o) {
  struct rusage ru;
  char eb[128], d[256];
  if (getrusage(RUSAGE_THREAD, &ru) == 0)
    return set_info(o, "rusage", 1,
                    "getrusage(RUSAGE_THREAD) per thread: user and system CPU time (1 us "
                    "resolution), voluntary and involuntary context switches, minor and major "
                    "page faults");
  snprintf(d, sizeof d, "getrusage(RUSAGE_THREAD): %s", err_text(errno, eb, sizeof eb));
  return set_info(o, "rusage", 0, d);
}

static int describe_io(fathom_probe_info *o) {
  static const char *const names[4] = {"rchar", "wchar", "read_bytes", "write_bytes"};
  char eb[128], d[640], note[200];
  fz_pfd io;
  int err = open_io(&io);
  budget_note(note, sizeof note);
  if (err == 0 || (err < 0 && LD(io_worked))) {
    /* (when the budget is spent now, contexts opened it before: report what it measures) */
    char buf[IO_BUF];
    int64_t f[4];
    ssize_t n = err ? 0 : reread(io.fd, buf, sizeof buf);
    uint32_t fm = err ? 15u : n > 0 ? fz_parse_proc_io(buf, (size_t)n, f) : 0;
    if (!err) fz_pfd_close(&io);
    char missing[80] = "";
    for (int k = 0; k < 4; k++)
      if (!(fm >> k & 1)) {
        strcat(missing, missing[0] ? ", " : "; fields missing: ");
        strcat(missing, names[k]);
      }
    snprintf(d, sizeof d,
             "/proc/thread-self/io per thread (kept open, re-read with pread): read_bytes and "
             "write_bytes are rchar and wchar (bytes through read/write system calls; the "
             "probes' own reads are subtracted), disk_read_bytes and disk_write_bytes are "
             "read_bytes and write_bytes (bytes read from storage, page-cache bytes dirtied; "
             "0 on filesystems without writeback, e.g. tmpfs)%s%s",
             missing, note);
    return set_info(o, "thread_io", fm != 0, d);
  }
  if (err < 0)
    snprintf(d, sizeof d, "not opened: fathom's fd budget was reached%s", note);
  else if (err == EPROTO)
    snprintf(d, sizeof d, "/proc/thread-self/io: unexpected content (no field parsed)");
  else
    snprintf(d, sizeof d, "/proc/thread-self/io: %s%s%s", err_text(err, eb, sizeof eb),
             err == ENOENT ? " (the kernel lacks task I/O accounting, CONFIG_TASK_IO_ACCOUNTING, "
                             "or /proc is not mounted)" : "",
             note);
  return set_info(o, "thread_io", 0, d);
}

static int describe_rss(fathom_probe_info *o) {
  char eb[128], d[256];
  int fd = statm_get(), own = 0;
  if (fd < 0) {   /* budget spent: a momentary fd of its own */
    fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    own = 1;
  }
  if (fd < 0) {
    snprintf(d, sizeof d, "/proc/self/statm: %s", err_text(errno, eb, sizeof eb));
    return set_info(o, "rss", 0, d);
  }
  char buf[128];
  int64_t pages;
  ssize_t n = reread(fd, buf, sizeof buf);
  if (own) close(fd);
  if (n <= 0 || !fz_parse_statm(buf, (size_t)n, &pages))
    return set_info(o, "rss", 0, "/proc/self/statm: unexpected content");
  return set_info(o, "rss", 1,
                  "/proc/self/statm resident pages x page size, one process-wide fd re-read "
                  "with pread: the whole process's RSS, so a zone's delta includes other "
                  "threads' memory changes");
}

uint32_t fz_probe_describe(int level, fathom_probe_info *out, uint32_t cap) {
  if (level < FATHOM_LEVEL_DETAILED || !out) return 0;
  int saved = errno;
  pthread_once(&once, init_once);
  fathom_probe_info tmp[5];
  memset(tmp, 0, sizeof tmp);
  uint32_t n = 0, w = 0;
  n += (uint32_t)describe_rusage(&tmp[n]);
  n += (uint32_t)describe_io(&tmp[n]);
  n += (uint32_t)describe_rss(&tmp[n]);
  if (level >= FATHOM_LEVEL_COMPREHENSIVE) {
    fathom_probe_info hw = {0}, fp = {0};
    (void)fz_perf_describe(&hw, &fp);
    if (hw.name) tmp[n++] = hw;
    if (fp.name) tmp[n++] = fp;
  }
  for (uint32_t i = 0; i < n; i++) {
    if (w < cap) {
      out[w++] = tmp[i];
    } else {
      free(tmp[i].name);
      free(tmp[i].detail);
    }
  }
  errno = saved;
  return w;
}
