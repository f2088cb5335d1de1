/* probe/rusage.c: the rusage probe (kind "rusage", DETAILED): the calling thread's CPU time,
 * context switches and page faults from getrusage(RUSAGE_THREAD), with the CPU total from
 * CLOCK_THREAD_CPUTIME_ID. No file and no per-context state.
 *
 * Invariant: a read is one getrusage and one clock_gettime; CPU_USER_NS + CPU_SYS_NS ==
 * CPU_NS in every read; the CPU clock is read nearest the zone (after getrusage at a zone's
 * begin, before it at its end). */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "probe/kinds.h"

#define BIT(i) (1u << (i))
#define RUSAGE_MASK                                                                        \
  (BIT(FATHOM_RES_CPU_USER_NS) | BIT(FATHOM_RES_CPU_SYS_NS) | BIT(FATHOM_RES_CPU_NS) |      \
   BIT(FATHOM_RES_CTX_VOL) |                                                               \
   BIT(FATHOM_RES_CTX_INVOL) | BIT(FATHOM_RES_MINFLT) | BIT(FATHOM_RES_MAJFLT))

static inline int64_t tv_ns(struct timeval tv) {
  return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

static int rusage_open(void *st) {
  (void)st;
  struct rusage ru;
  return getrusage(RUSAGE_THREAD, &ru) == 0;
}

static void rusage_close(void *st) { (void)st; }

/* CPU time: getrusage's user/system figures only advance when the scheduler accounts the
 * thread (ticks, switches), so a zone of a few µs often shows none. The total comes from
 * CLOCK_THREAD_CPUTIME_ID, which brings the thread's runtime up to date; the system part is
 * getrusage's (tick-sampled) and user is the rest, so user + system is exact. */
static uint32_t rusage_read(void *st, fz_pval *out, int at_end) {
  (void)st;
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

static uint32_t rusage_describe(fathom_probe_info *o, uint32_t cap) {
  struct rusage ru;
  char eb[128], d[256];
  if (cap < 1) return 0;
  if (getrusage(RUSAGE_THREAD, &ru) == 0)
    return (uint32_t)fz_probe_set_info(o, "rusage", 1,
                                       "getrusage(RUSAGE_THREAD) per thread: user and system "
                                       "CPU time (1 us resolution), voluntary and involuntary "
                                       "context switches, minor and major page faults");
  snprintf(d, sizeof d, "getrusage(RUSAGE_THREAD): %s", fz_probe_err_text(errno, eb, sizeof eb));
  return (uint32_t)fz_probe_set_info(o, "rusage", 0, d);
}

const fz_probe_kind fz_probe_rusage = {
    .name = "rusage",
    .level = FATHOM_LEVEL_DETAILED,
    .listed = 0,
    .state_size = 0,
    .open = rusage_open,
    .close = rusage_close,
    .read = rusage_read,
    .describe = rusage_describe,
};
