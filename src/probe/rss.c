/* probe/rss.c: the rss probe (kind "rss", DETAILED): the process's resident set from
 * /proc/self/statm (resident pages x page size) into RSS_DELTA_BYTES, an absolute value (a
 * zone's delta includes other threads' memory changes). One fd serves every thread: opened by
 * the first context that can, published with a compare-and-swap, kept until exit, re-read
 * with one pread per read. Also the statm parser.
 *
 * Invariant: a read never opens anything (it uses the published fd, or reads nothing), is one
 * pread and a parse; the fd is O_CLOEXEC and counted in the fd budget; in a child after fork
 * it is closed (it would read the parent) and the next context open publishes a new one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe/kinds.h"

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static int statm_fd = -1;         /* /proc/self/statm, opened lazily, published with CAS */
static uint64_t statm_dev, statm_ino;
static long page_bytes = 4096;    /* set once by rss_init, before any open */

int fz_parse_statm(const char *buf, size_t n, int64_t *resident_pages) {
  const char *p = buf, *end = buf + n;
  int64_t size;
  if (!(p = fz_parse_num(p, end, &size)) || *p != ' ') return 0;
  while (p < end && *p == ' ') p++;
  return fz_parse_num(p, end, resident_pages) != NULL;
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

/* ---- the kind ----------------------------------------------------------------------------- */

static void rss_init(void) {
  long p = sysconf(_SC_PAGESIZE);
  if (p > 0) page_bytes = p;
}

/* In the child after fork (single-threaded, async-signal-safe calls only): the statm fd names
 * the parent. */
static void rss_after_fork(void) {
  int fd = LD(statm_fd);
  if (fd >= 0) {
    if (fz_pfd_same_file(fd, LD(statm_dev), LD(statm_ino))) close(fd);
    ST(statm_fd, -1);
    fz_pfd_unreserve();
  }
}

/* Opens the process's statm fd if no context has yet (no per-context state). */
static int rss_open(void *st) {
  (void)st;
  return statm_get() >= 0;
}

static void rss_close(void *st) { (void)st; }   /* the fd is the process's: kept */

static uint32_t rss_read(void *st, fz_pval *out, int at_end) {
  (void)st, (void)at_end;
  int sfd = __atomic_load_n(&statm_fd, __ATOMIC_ACQUIRE);
  if (sfd < 0) return 0;
  char buf[128];
  int64_t pages;
  ssize_t n = fz_probe_reread(sfd, buf, sizeof buf);
  if (n <= 0 || !fz_parse_statm(buf, (size_t)n, &pages)) return 0;
  out->v[FATHOM_RES_RSS_DELTA_BYTES] = pages * page_bytes;
  return 1u << FATHOM_RES_RSS_DELTA_BYTES;
}

static uint32_t rss_describe(fathom_probe_info *o, uint32_t cap) {
  char eb[128], d[256];
  if (cap < 1) return 0;
  int fd = statm_get(), own = 0;
  if (fd < 0) {   /* budget spent: a momentary fd of its own */
    fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    own = 1;
  }
  if (fd < 0) {
    snprintf(d, sizeof d, "/proc/self/statm: %s", fz_probe_err_text(errno, eb, sizeof eb));
    return (uint32_t)fz_probe_set_info(o, "rss", 0, d);
  }
  char buf[128];
  int64_t pages;
  ssize_t n = fz_probe_reread(fd, buf, sizeof buf);
  if (own) close(fd);
  if (n <= 0 || !fz_parse_statm(buf, (size_t)n, &pages))
    return (uint32_t)fz_probe_set_info(o, "rss", 0, "/proc/self/statm: unexpected content");
  return (uint32_t)fz_probe_set_info(o, "rss", 1,
                                     "/proc/self/statm resident pages x page size, one "
                                     "process-wide fd re-read with pread: the whole process's "
                                     "RSS, so a zone's delta includes other threads' memory "
                                     "changes");
}

const fz_probe_kind fz_probe_rss = {
    .name = "rss",
    .level = FATHOM_LEVEL_DETAILED,
    .listed = 2,
    .state_size = 0,
    .init = rss_init,
    .after_fork = rss_after_fork,
    .open = rss_open,
    .close = rss_close,
    .read = rss_read,
    .describe = rss_describe,
};
