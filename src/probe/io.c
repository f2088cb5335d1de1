/* probe/io.c: the thread io probe (kind "thread_io", DETAILED): the calling thread's
 * /proc/thread-self/io, kept open per context and re-read with one pread per read. rchar and
 * wchar (bytes through read/write system calls) fill READ_BYTES and WRITE_BYTES, read_bytes
 * and write_bytes (storage) fill DISK_READ_BYTES and DISK_WRITE_BYTES. Also owns the probes'
 * own-read accounting (every probe read/pread is counted per thread, and subtracted from
 * rchar) and the io file's parser.
 *
 * Invariant: a read is one pread and a parse, no allocation; READ_BYTES never counts the
 * probes' own reads (after fork the count restarts with the kernel's, at 0); the fd is
 * O_CLOEXEC, held under the fd budget, and adopted only after a first read parsed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe/kinds.h"

#define BIT(i) (1u << (i))
#define IO_BUF 512   /* the io file is 7 lines of at most 45 bytes */

/* io fields in the order fz_parse_proc_io returns them, and their slots */
static const uint8_t io_slot[FZ_IO_FIELDS] = {
    FATHOM_RES_READ_BYTES,       FATHOM_RES_WRITE_BYTES, FATHOM_RES_DISK_READ_BYTES,
    FATHOM_RES_DISK_WRITE_BYTES, FATHOM_RES_READ_OPS,    FATHOM_RES_WRITE_OPS};

static int io_worked;   /* 1 once a context opened its thread's io file */
/* bytes this thread's probes read with read/pread (they count in the thread's rchar), and
 * their read calls (each counts in syscr) */
static __thread uint64_t self_rchar __attribute__((tls_model("initial-exec")));
static __thread uint64_t self_syscr __attribute__((tls_model("initial-exec")));

void fz_probe_self_read(uint64_t n) {
  self_rchar += n;
  self_syscr++;
}

ssize_t fz_probe_reread(int fd, char *buf, size_t cap) {
  ssize_t n = pread(fd, buf, cap, 0);
  if (n > 0) self_rchar += (uint64_t)n;
  self_syscr++;
  return n;
}

/* ---- the parser --------------------------------------------------------------------------- */

/* "key" + number + newline at p; returns the position after the newline, or NULL. */
static const char *field_nl(const char *p, const char *end, const char *key, size_t len,
                            int64_t *out) {
  if ((size_t)(end - p) <= len || memcmp(p, key, len) != 0) return NULL;
  p = fz_parse_num(p + len, end, out);
  return p && *p == '\n' ? p + 1 : NULL;
}

/* The kernel's layout (rchar, wchar, syscr, syscw, read_bytes, write_bytes, ...) parsed in
 * one pass; 0 when the text differs in any way (the general parser then runs). */
static int parse_io_fast(const char *p, const char *end, int64_t out[FZ_IO_FIELDS]) {
  if (!(p = field_nl(p, end, "rchar: ", 7, &out[0]))) return 0;
  if (!(p = field_nl(p, end, "wchar: ", 7, &out[1]))) return 0;
  if (!(p = field_nl(p, end, "syscr: ", 7, &out[4]))) return 0;
  if (!(p = field_nl(p, end, "syscw: ", 7, &out[5]))) return 0;
  if (!(p = field_nl(p, end, "read_bytes: ", 12, &out[2]))) return 0;
  return field_nl(p, end, "write_bytes: ", 13, &out[3]) != NULL;
}

#define IO_ALL ((1u << FZ_IO_FIELDS) - 1)

uint32_t fz_parse_proc_io(const char *buf, size_t n, int64_t out[FZ_IO_FIELDS]) {
  static const struct { const char *key; size_t len; } keys[FZ_IO_FIELDS] = {
      {"rchar:", 6}, {"wchar:", 6}, {"read_bytes:", 11}, {"write_bytes:", 12},
      {"syscr:", 6}, {"syscw:", 6}};
  const char *p = buf, *end = buf + n;
  uint32_t m = 0;
  if (parse_io_fast(p, end, out)) return IO_ALL;
  while (p < end && m != IO_ALL) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    for (int k = 0; k < FZ_IO_FIELDS; k++) {
      if ((m >> k & 1) || (size_t)(le - p) <= keys[k].len || memcmp(p, keys[k].key, keys[k].len))
        continue;
      const char *q = p + keys[k].len;
      while (q < le && *q == ' ') q++;
      if (fz_parse_num(q, end, &out[k])) m |= BIT(k);
      break;
    }
    p = le + 1;
  }
  return m;
}

/* ---- opening ------------------------------------------------------------------------------ */

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

/* Opens, checks (one read that parses) and adopts the thread's io file into *io. Returns 0,
 * or an errno value (-1: the fd budget was spent; EPROTO: unparseable content). */
static int open_io(fz_pfd *io) {
  char buf[IO_BUF];
  int64_t f[FZ_IO_FIELDS];
  io->fd = -1;
  if (!fz_pfd_reserve()) return -1;
  int fd = open_thread_io();
  if (fd < 0) {
    int err = errno;
    fz_pfd_unreserve();
    return err;
  }
  ssize_t n = fz_probe_reread(fd, buf, sizeof buf);
  if (n <= 0 || fz_parse_proc_io(buf, (size_t)n, f) == 0) {
    int err = n < 0 ? errno : EPROTO;
    close(fd);
    fz_pfd_unreserve();
    return err;
  }
  fz_pfd_adopt(io, fd);
  __atomic_store_n(&io_worked, 1, __ATOMIC_RELAXED);
  return 0;
}

/* ---- the kind ----------------------------------------------------------------------------- */

/* In the child after fork: the kernel zeroes the child's I/O accounting, and so restarts the
 * count of the probes' own reads. */
static void io_after_fork(void) { self_rchar = self_syscr = 0; }

static int io_open(void *st) { return open_io(st) == 0; }

static void io_close(void *st) { fz_pfd_close(st); }

static uint32_t io_read(void *st, fz_pval *out, int at_end) {
  (void)at_end;
  const fz_pfd *io = st;
  if (io->fd < 0) return 0;
  uint32_t m = 0;
  char buf[IO_BUF];
  int64_t f[FZ_IO_FIELDS];
  /* the probes' reads so far: all counted in this rchar and syscr (this read is not: the
   * kernel counts a read once it is done) */
  uint64_t own = self_rchar, own_calls = self_syscr;
  ssize_t n = fz_probe_reread(io->fd, buf, sizeof buf);
  uint32_t fm = n > 0 ? fz_parse_proc_io(buf, (size_t)n, f) : 0;
  if (fm & 1) {
    f[0] -= (int64_t)own;
    if (f[0] < 0) f[0] = 0;
  }
  if (fm & BIT(4)) {
    f[4] -= (int64_t)own_calls;
    if (f[4] < 0) f[4] = 0;
  }
  for (int k = 0; k < FZ_IO_FIELDS; k++)
    if (fm >> k & 1) {
      out->v[io_slot[k]] = f[k];
      m |= BIT(io_slot[k]);
    }
  return m;
}

static uint32_t io_describe(fathom_probe_info *o, uint32_t cap) {
  static const char *const names[FZ_IO_FIELDS] = {"rchar", "wchar", "read_bytes",
                                                  "write_bytes", "syscr", "syscw"};
  char eb[128], d[900], note[200];
  fz_pfd io;
  if (cap < 1) return 0;
  int err = open_io(&io);
  fz_probe_budget_note(note, sizeof note);
  if (err == 0 || (err < 0 && __atomic_load_n(&io_worked, __ATOMIC_RELAXED))) {
    /* (when the budget is spent now, contexts opened it before: report what it measures) */
    char buf[IO_BUF];
    int64_t f[FZ_IO_FIELDS];
    ssize_t n = err ? 0 : fz_probe_reread(io.fd, buf, sizeof buf);
    uint32_t fm = err ? IO_ALL : n > 0 ? fz_parse_proc_io(buf, (size_t)n, f) : 0;
    if (!err) fz_pfd_close(&io);
    char missing[96] = "";
    for (int k = 0; k < FZ_IO_FIELDS; k++)
      if (!(fm >> k & 1)) {
        strcat(missing, missing[0] ? ", " : "; fields missing: ");
        strcat(missing, names[k]);
      }
    snprintf(d, sizeof d,
             "/proc/thread-self/io per thread (kept open, re-read with pread): read_bytes and "
             "write_bytes are rchar and wchar (bytes through read/write system calls; the "
             "probes' own reads are subtracted), disk_read_bytes and disk_write_bytes are "
             "read_bytes and write_bytes (bytes read from storage, page-cache bytes dirtied; "
             "0 on filesystems without writeback, e.g. tmpfs), read_ops and write_ops are "
             "syscr and syscw (read and write system calls; the probes' own are subtracted)%s%s",
             missing, note);
    return (uint32_t)fz_probe_set_info(o, "thread_io", fm != 0, d);
  }
  if (err < 0)
    snprintf(d, sizeof d, "not opened: fathom's fd budget was reached%s", note);
  else if (err == EPROTO)
    snprintf(d, sizeof d, "/proc/thread-self/io: unexpected content (no field parsed)");
  else
    snprintf(d, sizeof d, "/proc/thread-self/io: %s%s%s", fz_probe_err_text(err, eb, sizeof eb),
             err == ENOENT ? " (the kernel lacks task I/O accounting, CONFIG_TASK_IO_ACCOUNTING, "
                             "or /proc is not mounted)" : "",
             note);
  return (uint32_t)fz_probe_set_info(o, "thread_io", 0, d);
}

const fz_probe_kind fz_probe_io = {
    .name = "thread_io",
    .level = FATHOM_LEVEL_DETAILED,
    .listed = 1,
    .state_size = sizeof(fz_pfd),
    .after_fork = io_after_fork,
    .open = io_open,
    .close = io_close,
    .read = io_read,
    .describe = io_describe,
};
