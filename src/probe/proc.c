/* probe/proc.c: the monitor's process and host readings: getrusage(RUSAGE_SELF) for CPU
 * time, context switches and faults; /proc/self/stat (RSS, VM size, threads), /proc/self/io
 * (bytes through system calls and storage), /proc/meminfo (system memory), /proc/net/dev
 * (host-wide network bytes, lo excluded).
 *
 * Invariant: nothing here allocates or crashes on a missing, truncated or malformed file:
 * each file is read with open/read into a stack buffer, line by line, and a value that
 * cannot be parsed is NaN with its source's bit set in fz_proc_read.fail. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "probe/machine.h"

static char proc_root[256] = "/proc";

void fz_proc_set_root(const char *root) {
  snprintf(proc_root, sizeof proc_root, "%s", root && *root ? root : "/proc");
}

static const char *const proc_rel[4] = {"/self/stat", "/self/io", "/meminfo", "/net/dev"};

const char *fz_proc_path(uint32_t bit, char *buf, size_t cap) {
  int i = bit == FZ_PROC_STAT ? 0 : bit == FZ_PROC_IO ? 1 : bit == FZ_PROC_MEMINFO ? 2 : 3;
  snprintf(buf, cap, "%s%s", proc_root, proc_rel[i]);
  return buf;
}

/* ---- reading a file line by line --------------------------------------------------- */

#define LINE_BUF 4096

typedef int (*line_fn)(void *ctx, char *line);

/* Calls fn on every line (NUL-terminated, newline removed; a line longer than the buffer is
 * cut). Returns 0, or the errno of open/read. fn returning nonzero stops early. */
static int read_lines(const char *path, line_fn fn, void *ctx) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return errno ? errno : EIO;
  char buf[LINE_BUF + 1];
  size_t have = 0;
  int skipping = 0, err = 0, stop = 0;
  for (;;) {
    ssize_t n = read(fd, buf + have, LINE_BUF - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno ? errno : EIO;
      break;
    }
    size_t end = have + (size_t)n, start = 0;
    for (size_t i = have; i < end && !stop; i++) {
      if (buf[i] != '\n') continue;
      buf[i] = '\0';
      if (!skipping) stop = fn(ctx, buf + start) != 0;
      skipping = 0;
      start = i + 1;
    }
    if (stop) break;
    if (n == 0) {   /* end of file: a last line without newline */
      if (start < end && !skipping) {
        buf[end] = '\0';
        fn(ctx, buf + start);
      }
      break;
    }
    have = end - start;
    memmove(buf, buf + start, have);
    if (have == LINE_BUF) {   /* a line longer than the buffer: keep its start only */
      buf[LINE_BUF] = '\0';
      if (!skipping) stop = fn(ctx, buf) != 0;
      if (stop) break;
      skipping = 1;
      have = 0;
    }
  }
  close(fd);
  return err;
}

/* Parses an unsigned decimal at *s (leading blanks skipped); NaN when there is none. */
static double num_at(const char *s, const char **end) {
  while (*s == ' ' || *s == '\t') s++;
  if (*s < '0' || *s > '9') {
    if (end) *end = s;
    return FZ_MON_NAN;
  }
  char *e;
  errno = 0;
  unsigned long long v = strtoull(s, &e, 10);
  if (end) *end = e;
  if (errno == ERANGE) return FZ_MON_NAN;
  return (double)v;
}

/* ---- /proc/self/stat ---------------------------------------------------------------- */

static int read_stat(fz_proc_read *o) {
  char path[320], buf[1024];
  snprintf(path, sizeof path, "%s/self/stat", proc_root);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return errno ? errno : EIO;
  size_t have = 0;
  for (;;) {
    ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno ? errno : EIO;
      close(fd);
      return e;
    }
    if (n == 0) break;
    have += (size_t)n;
    if (have == sizeof buf - 1) break;
  }
  close(fd);
  buf[have] = '\0';
  /* "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are
   * counted from the last ')'; field 3 (state) follows it. */
  const char *p = strrchr(buf, ')');
  if (!p) return -1;
  p++;
  double thr = FZ_MON_NAN, vsz = FZ_MON_NAN, rss = FZ_MON_NAN;
  for (int field = 3; field <= 24 && *p; field++) {
    while (*p == ' ') p++;
    if (!*p) break;
    if (field == 20 || field == 23 || field == 24) {
      double v = num_at(p, &p);
      if (field == 20) thr = v;
      else if (field == 23) vsz = v;
      else rss = v;
    }
    while (*p && *p != ' ') p++;
  }
  if (thr != thr || vsz != vsz || rss != rss) return -1;
  long page = sysconf(_SC_PAGESIZE);
  o->threads = thr;
  o->vm_bytes = vsz;
  o->rss_bytes = rss * (double)(page > 0 ? page : 4096);
  return 0;
}

/* ---- "key: value" files --------------------------------------------------------------- */

typedef struct kv_want {
  const char *key;   /* with its colon */
  double *out;
  double scale;
} kv_want;

typedef struct kv_ctx {
  const kv_want *w;
  int n, found;
} kv_ctx;

static int kv_line(void *vctx, char *line) {
  kv_ctx *c = vctx;
  for (int i = 0; i < c->n; i++) {
    size_t k = strlen(c->w[i].key);
    if (strncmp(line, c->w[i].key, k) != 0) continue;
    double v = num_at(line + k, NULL);
    if (v == v && *c->w[i].out != *c->w[i].out) {
      *c->w[i].out = v * c->w[i].scale;
      c->found++;
    }
    break;
  }
  return c->found == c->n;
}

static int read_kv(const char *rel, const kv_want *w, int n) {
  char path[320];
  snprintf(path, sizeof path, "%s%s", proc_root, rel);
  kv_ctx c = {w, n, 0};
  int e = read_lines(path, kv_line, &c);
  if (e) return e;
  return c.found == n ? 0 : -1;
}

/* ---- /proc/net/dev -------------------------------------------------------------------- */

typedef struct net_ctx {
  double rx, tx;
  uint32_t n, bad;
} net_ctx;

static int net_line(void *vctx, char *line) {
  net_ctx *c = vctx;
  char *colon = strchr(line, ':');
  if (!colon) return 0;   /* the two header lines */
  char *name = line;
  while (*name == ' ') name++;
  *colon = '\0';
  if (strcmp(name, "lo") == 0) return 0;
  /* receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes ... */
  const char *p = colon + 1;
  double rx = FZ_MON_NAN, tx = FZ_MON_NAN;
  for (int field = 0; field <= 8; field++) {
    double v = num_at(p, &p);
    if (v != v) break;
    if (field == 0) rx = v;
    if (field == 8) tx = v;
  }
  if (rx != rx || tx != tx) {
    c->bad++;
    return 0;
  }
  c->rx += rx;
  c->tx += tx;
  c->n++;
  return 0;
}

/* ---- the host's CPU (/proc/stat) and disks (/proc/diskstats) ------------------------- */

static int host_cpu_line(void *vctx, char *line) {
  fz_proc_read *o = vctx;
  if (strncmp(line, "cpu ", 4) != 0) return 0;
  /* user nice system idle iowait irq softirq steal (guest time is inside user) */
  double f[8];
  const char *p = line + 4;
  for (int i = 0; i < 8; i++) {
    f[i] = num_at(p, &p);
    if (f[i] != f[i]) return 1;   /* malformed: stays NaN */
  }
  double total = 0;
  for (int i = 0; i < 8; i++) total += f[i];
  o->host_total = total;
  o->host_busy = total - f[3] - f[4];
  return 1;
}

/* A partition's name extends its disk's (sda1 of sda, nvme0n1p1 of nvme0n1). */
static void drop_partitions(fz_proc_read *o) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < o->n_disks; i++) {
    int part = 0;
    for (uint32_t j = 0; j < o->n_disks && !part; j++) {
      size_t l = strlen(o->disk[j].name);
      part = j != i && strlen(o->disk[i].name) > l && !strncmp(o->disk[i].name, o->disk[j].name, l);
    }
    if (!part) o->disk[k++] = o->disk[i];
  }
  o->n_disks = k;
}

static int disk_line(void *vctx, char *line) {
  fz_proc_read *o = vctx;
  /* major minor name, then reads ... : the 10th number after the name is io_ticks (ms) */
  const char *p = line;
  num_at(p, &p);
  num_at(p, &p);
  while (*p == ' ' || *p == '\t') p++;
  const char *name = p;
  while (*p && *p != ' ' && *p != '\t') p++;
  size_t nl = (size_t)(p - name);
  if (!nl || nl >= sizeof o->disk[0].name || !strncmp(name, "loop", 4) ||
      !strncmp(name, "ram", 3) || !strncmp(name, "zram", 4) || o->n_disks == FZ_MAX_DISKS)
    return 0;
  double v = FZ_MON_NAN;
  for (int i = 0; i < 10; i++) v = num_at(p, &p);
  if (v != v) return 0;
  memcpy(o->disk[o->n_disks].name, name, nl);
  o->disk[o->n_disks].name[nl] = '\0';
  o->disk[o->n_disks++].io_ms = v;
  return 0;
}

/* ---- all of it ------------------------------------------------------------------------ */

static void set_fail(fz_proc_read *o, uint32_t bit, int e) {
  o->fail |= bit;
  int i = bit == FZ_PROC_STAT ? 0 : bit == FZ_PROC_IO ? 1 : bit == FZ_PROC_MEMINFO ? 2 : 3;
  o->err[i] = e < 0 ? 0 : e;
}

void fz_proc_read_all(fz_proc_read *o) {
  const double nan = FZ_MON_NAN;
  memset(o, 0, sizeof *o);
  o->utime_s = o->stime_s = o->ctx_vol = o->ctx_invol = o->minflt = o->majflt = nan;
  o->maxrss_bytes = nan;
  o->rss_bytes = o->vm_bytes = o->threads = nan;
  o->rchar = o->wchar = o->disk_read = o->disk_write = nan;
  o->mem_total = o->mem_avail = o->net_rx = o->net_tx = nan;

  struct rusage ru;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  o->at_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    o->utime_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
    o->stime_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    o->ctx_vol = (double)ru.ru_nvcsw;
    o->ctx_invol = (double)ru.ru_nivcsw;
    o->minflt = (double)ru.ru_minflt;
    o->majflt = (double)ru.ru_majflt;
    o->maxrss_bytes = (double)ru.ru_maxrss * 1024;   /* KiB on Linux */
  }

  int e = read_stat(o);
  if (e) set_fail(o, FZ_PROC_STAT, e);

  kv_want io[4] = {{"rchar:", &o->rchar, 1},
                   {"wchar:", &o->wchar, 1},
                   {"read_bytes:", &o->disk_read, 1},
                   {"write_bytes:", &o->disk_write, 1}};
  e = read_kv("/self/io", io, 4);
  if (e) set_fail(o, FZ_PROC_IO, e);

  kv_want mi[2] = {{"MemTotal:", &o->mem_total, 1024}, {"MemAvailable:", &o->mem_avail, 1024}};
  e = read_kv("/meminfo", mi, 2);
  if (e) set_fail(o, FZ_PROC_MEMINFO, e);
  if (o->mem_total != o->mem_total || o->mem_total <= 0) o->mem_total = o->mem_avail = nan;

  char path[320];
  o->host_busy = o->host_total = nan;
  snprintf(path, sizeof path, "%s/stat", proc_root);
  read_lines(path, host_cpu_line, o);   /* unreadable: NaN, the column says not measured */
  snprintf(path, sizeof path, "%s/diskstats", proc_root);
  if (read_lines(path, disk_line, o) == 0) drop_partitions(o);
  else o->n_disks = 0;
  snprintf(path, sizeof path, "%s/net/dev", proc_root);
  net_ctx nc = {0, 0, 0, 0};
  e = read_lines(path, net_line, &nc);
  if (e) set_fail(o, FZ_PROC_NETDEV, e);
  else if (nc.bad && !nc.n) set_fail(o, FZ_PROC_NETDEV, -1);
  else {
    o->net_rx = nc.rx;
    o->net_tx = nc.tx;
    o->net_ifaces = nc.n;
  }
}
