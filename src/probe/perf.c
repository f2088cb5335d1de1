/* probe/perf.c: the perf probe (kind "perf", COMPREHENSIVE; described as "perf_hw" and
 * "perf_fp"), the hardware counters: one perf_event_open group per thread (pid 0, any CPU,
 * leader = instructions; then cycles, cache references, cache misses, branch misses), read
 * with one read(2) of the leader (PERF_FORMAT_GROUP | ID | TOTAL_TIME_ENABLED |
 * TOTAL_TIME_RUNNING) and scaled by enabled / running when the kernel multiplexed the group.
 * A test seam builds the same group from software events.
 *
 * Invariant: an event the kernel refuses is left out of the mask (a refusal that will not
 * change, e.g. ENOENT on a machine without a PMU, is remembered process-wide so later
 * threads do not retry it); a read returns values that never decrease per context; fds are
 * O_CLOEXEC and counted in the probes' fd budget; errno is preserved where probe/perf.h
 * says so. There is no portable floating-point event, so FATHOM_RES_FP_OPS is never set. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/perf_event.h>

#include "probe/perf.h"

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#define READ_FORMAT                                                                 \
  (PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_TOTAL_TIME_ENABLED |            \
   PERF_FORMAT_TOTAL_TIME_RUNNING)

typedef struct fz_perf_ev {
  uint32_t type;
  uint64_t config;
  uint8_t slot;
  const char *name;   /* the kernel's name of the event, for the descriptions */
} fz_perf_ev;

static const fz_perf_ev hw_events[FZ_PERF_MAX] = {
    {PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, FATHOM_RES_INSTRUCTIONS,
     "PERF_COUNT_HW_INSTRUCTIONS"},
    {PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, FATHOM_RES_CYCLES,
     "PERF_COUNT_HW_CPU_CYCLES"},
    {PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES, FATHOM_RES_CACHE_REFS,
     "PERF_COUNT_HW_CACHE_REFERENCES"},
    {PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, FATHOM_RES_CACHE_MISSES,
     "PERF_COUNT_HW_CACHE_MISSES"},
    {PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES, FATHOM_RES_BRANCH_MISSES,
     "PERF_COUNT_HW_BRANCH_MISSES"},
};

/* The test seam. The leader is a page-fault event, not task-clock: with a task-clock (or
 * cpu-clock) leader the kernel (seen on 6.18) never counted the group's other software
 * events, because the two clocks are separate PMUs from the other software events. */
static const fz_perf_ev sw_events[FZ_PERF_MAX] = {
    {PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, FATHOM_RES_CACHE_REFS,
     "PERF_COUNT_SW_PAGE_FAULTS"},
    {PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, FATHOM_RES_INSTRUCTIONS,
     "PERF_COUNT_SW_TASK_CLOCK"},
    {PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, FATHOM_RES_CYCLES,
     "PERF_COUNT_SW_CPU_CLOCK"},
    {PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN, FATHOM_RES_CACHE_MISSES,
     "PERF_COUNT_SW_PAGE_FAULTS_MIN"},
    {PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, FATHOM_RES_BRANCH_MISSES,
     "PERF_COUNT_SW_CONTEXT_SWITCHES"},
};

/* What the kernel said, per kind of group (0 hardware, 1 software seam), process-wide. */
typedef struct fz_perf_state {
  int leader_err;                 /* permanent refusal of the leader (0: none seen) */
  int xk;                         /* -1 unknown, 0 user+kernel allowed, 1 user mode only */
  uint32_t refused;               /* bit i: sibling i refused for good */
  uint32_t opened;                /* slots some group has opened (for the descriptions) */
  int refused_err[FZ_PERF_MAX];
} fz_perf_state;

static fz_perf_state pstate[2] = {{0, -1, 0, 0, {0}}, {0, -1, 0, 0, {0}}};
static int seam = -1;                 /* fz_perf_set_software */
static uint64_t unscheduled_reads;    /* reads that found the group enabled but never run */

void fz_perf_set_software(int mode) { ST(seam, mode < 0 ? -1 : mode ? 1 : 0); }

static int want_software(void) {
  int s = LD(seam);
  if (s >= 0) return s;
  const char *e = getenv("FATHOM_PERF_SOFTWARE");
  return e && e[0] == '1' && e[1] == 0;
}

/* Refusals that will not go away while the process runs (unlike EMFILE, ENOMEM, EBUSY). */
static int permanent(int err) {
  return err == ENOENT || err == ENODEV || err == EOPNOTSUPP || err == EINVAL ||
         err == EACCES || err == EPERM || err == ENOSYS || err == E2BIG;
}

static int perf_open(const fz_perf_ev *e, int xk, int group_fd) {
#ifdef SYS_perf_event_open
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = e->type;
  a.config = e->config;
  a.read_format = READ_FORMAT;
  a.exclude_kernel = (unsigned)xk;
  a.exclude_hv = 1;
  return (int)syscall(SYS_perf_event_open, &a, 0, -1, group_fd, PERF_FLAG_FD_CLOEXEC);
#else
  (void)e, (void)xk, (void)group_fd;
  errno = ENOSYS;
  return -1;
#endif
}

/* Opens g; returns the mask of slots. When the leader did not open, g->n is 0 and
 * *leader_err says why: an errno value, or -1 when the fd budget was spent. */
static uint32_t perf_open_err(fz_perf_group *g, int *leader_err) {
  int sw = want_software();
  fz_perf_state *s = &pstate[sw];
  const fz_perf_ev *ev = sw ? sw_events : hw_events;
  uint32_t mask = 0;
  g->n = 0;
  g->software = (uint32_t)sw;
  for (int i = 0; i < FZ_PERF_MAX; i++) g->fd[i].fd = -1;
  *leader_err = LD(s->leader_err);
  if (*leader_err) return 0;
  int xk = LD(s->xk);
  if (xk < 0) xk = 0;
  uint32_t refused = LD(s->refused);
  for (int i = 0; i < FZ_PERF_MAX; i++) {
    if (i > 0 && g->n == 0) break;
    if (refused >> i & 1) continue;
    if (!fz_pfd_reserve()) {
      if (i == 0) *leader_err = -1;
      break;
    }
    int fd = perf_open(&ev[i], xk, i ? g->fd[0].fd : -1);
    if (fd < 0 && i == 0 && xk == 0 && (errno == EACCES || errno == EPERM)) {
      xk = 1;   /* perf_event_paranoid forbids counting the kernel: user mode only */
      fd = perf_open(&ev[i], xk, -1);
    }
    if (fd < 0) {
      int err = errno;
      fz_pfd_unreserve();
      if (i == 0) {
        *leader_err = err;
        if (permanent(err)) ST(s->leader_err, err);
        break;
      }
      if (permanent(err)) {
        ST(s->refused_err[i], err);
        __atomic_or_fetch(&s->refused, 1u << i, __ATOMIC_RELAXED);
      }
      continue;
    }
    if (i == 0) ST(s->xk, xk);
    uint64_t id = 0;
    if (ioctl(fd, PERF_EVENT_IOC_ID, &id) != 0) id = 0;   /* then matched by position */
    fz_pfd_adopt(&g->fd[g->n], fd);
    g->id[g->n] = id;
    g->slot[g->n] = ev[i].slot;
    g->last[g->n] = 0;
    g->n++;
    mask |= 1u << ev[i].slot;
  }
  if (mask) __atomic_or_fetch(&s->opened, mask, __ATOMIC_RELAXED);
  return mask;
}

uint32_t fz_perf_open(fz_perf_group *g) {
  int saved = errno, err;
  uint32_t m = perf_open_err(g, &err);
  errno = saved;
  return m;
}

void fz_perf_close(fz_perf_group *g) {
  int saved = errno;
  for (uint32_t i = g->n; i-- > 0;) fz_pfd_close(&g->fd[i]);   /* siblings, then the leader */
  g->n = 0;
  errno = saved;
}

uint32_t fz_perf_decode(fz_perf_group *g, const uint64_t *buf, size_t nwords,
                        int64_t v[FATHOM_RES_N]) {
  if (nwords < 3) return 0;
  uint64_t nr = buf[0], enabled = buf[1], running = buf[2];
  if (nr > FZ_PERF_MAX || nwords < 3 + 2 * nr) return 0;
  if (running == 0 && enabled != 0) {   /* never got counters: values mean nothing */
    __atomic_add_fetch(&unscheduled_reads, 1, __ATOMIC_RELAXED);
    return 0;
  }
  uint32_t m = 0;
  for (uint32_t k = 0; k < nr; k++) {
    uint64_t val = buf[3 + 2 * k], id = buf[4 + 2 * k];
    uint32_t e = FZ_PERF_MAX;
    for (uint32_t j = 0; j < g->n; j++)
      if (g->id[j] && g->id[j] == id) e = j;
    if (e == FZ_PERF_MAX && k < g->n && g->id[k] == 0) e = k;
    if (e == FZ_PERF_MAX) continue;
    if (running && running < enabled) {
      unsigned __int128 x = (unsigned __int128)val * enabled / running;
      val = x > (unsigned __int128)INT64_MAX ? (uint64_t)INT64_MAX : (uint64_t)x;
    }
    int64_t sv = val > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)val;
    if (sv < g->last[e]) sv = g->last[e];   /* a new scaling estimate may be lower */
    g->last[e] = sv;
    v[g->slot[e]] = sv;
    m |= 1u << g->slot[e];
  }
  return m;
}

uint32_t fz_perf_read(fz_perf_group *g, int64_t v[FATHOM_RES_N]) {
  uint64_t buf[3 + 2 * FZ_PERF_MAX];
  if (!g->n) return 0;
  ssize_t r = read(g->fd[0].fd, buf, sizeof buf);
  if (r <= 0) return 0;
  fz_probe_self_read((uint64_t)r);
  return fz_perf_decode(g, buf, (size_t)r / sizeof buf[0], v);
}

/* ---- descriptions ------------------------------------------------------------------------ */

/* /proc/sys/kernel/perf_event_paranoid, or -99 when unreadable. */
static int paranoid_level(void) {
  char buf[32];
  int fd = open("/proc/sys/kernel/perf_event_paranoid", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -99;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -99;
  fz_probe_self_read((uint64_t)n);
  buf[n] = 0;
  return atoi(buf);
}

static const char *slot_name(uint8_t slot) {
  switch (slot) {
    case FATHOM_RES_INSTRUCTIONS: return "instructions";
    case FATHOM_RES_CYCLES: return "cycles";
    case FATHOM_RES_CACHE_REFS: return "cache_refs";
    case FATHOM_RES_CACHE_MISSES: return "cache_misses";
    default: return "branch_misses";
  }
}

static void append(char *d, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *d, size_t cap, const char *fmt, ...) {
  size_t len = strlen(d);
  if (len + 1 >= cap) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d + len, cap - len, fmt, ap);
  va_end(ap);
}

static int describe_hw(fathom_probe_info *o) {
  char d[1024] = "", eb[128];
  fz_perf_group g;
  int err;
  uint32_t mask = perf_open_err(&g, &err);
  int sw = (int)g.software;
  const fz_perf_ev *ev = sw ? sw_events : hw_events;
  fz_perf_state *s = &pstate[sw];
  uint32_t budget;
  uint64_t refusals;
  fz_pfd_stats(&budget, &refusals);
  if (!g.n && err < 0 && LD(s->opened)) mask = LD(s->opened);   /* budget spent now only */
  if (!mask) {
    if (err < 0)
      append(d, sizeof d, "not opened: fathom's fd budget of %u fds was reached", budget);
    else if (permanent(err))
      append(d, sizeof d, "not supported here: perf_event_open(%s): %s%s", ev[0].name,
             fz_probe_err_text(err, eb, sizeof eb),
             err == ENOENT || err == ENODEV || err == EOPNOTSUPP
                 ? (sw ? " (the kernel counts no software events)"
                       : " (this machine exposes no hardware counters)")
                 : err == EACCES || err == EPERM ? " (not permitted by perf_event_paranoid)"
                 : err == ENOSYS ? " (the kernel has no perf_event_open)" : "");
    else
      append(d, sizeof d, "not opened: perf_event_open(%s): %s", ev[0].name,
             fz_probe_err_text(err, eb, sizeof eb));
    return fz_probe_set_info(o, "perf_hw", 0, d);
  }
  if (sw)
    append(d, sizeof d,
           "software test seam (FATHOM_PERF_SOFTWARE=1), not hardware counts: instructions = "
           "task-clock ns, cycles = cpu-clock ns, cache_refs = page faults, cache_misses = "
           "minor page faults, branch_misses = context switches");
  else
    append(d, sizeof d, "perf_event_open group per thread, one read per probe:");
  if (!sw)
    for (int i = 0, k = 0; i < FZ_PERF_MAX; i++)
      if (mask >> ev[i].slot & 1) append(d, sizeof d, "%s %s", k++ ? "," : "", slot_name(ev[i].slot));
  if (LD(s->xk) == 1)
    append(d, sizeof d, "; user mode only (perf_event_paranoid = %d)", paranoid_level());
  else
    append(d, sizeof d, "; user and kernel mode");
  uint32_t refused = LD(s->refused);
  for (int i = 1; i < FZ_PERF_MAX; i++)
    if (!(mask >> ev[i].slot & 1))
      append(d, sizeof d, "; %s left out: perf_event_open(%s): %s", slot_name(ev[i].slot),
             ev[i].name,
             refused >> i & 1 ? fz_probe_err_text(LD(s->refused_err[i]), eb, sizeof eb)
                              : "not opened (fd budget or a passing error)");
  append(d, sizeof d, "; counts scaled by time_enabled/time_running when multiplexed");
  uint64_t un = LD(unscheduled_reads);
  if (un)
    append(d, sizeof d, "; %llu reads found the group never scheduled (more events than free "
           "counters?) and left the counters out", (unsigned long long)un);
  if (refusals)
    append(d, sizeof d, "; %llu probe files were not opened: fd budget of %u reached",
           (unsigned long long)refusals, budget);
  fz_perf_close(&g);
  return fz_probe_set_info(o, "perf_hw", 1, d);
}

/* ---- the kind ----------------------------------------------------------------------------- */

static int perf_open_kind(void *st) {
  fz_perf_group *g = st;
  (void)fz_perf_open(g);
  return g->n > 0;
}

static void perf_close_kind(void *st) { fz_perf_close(st); }

static uint32_t perf_read_kind(void *st, fz_pval *out, int at_end) {
  (void)at_end;
  return fz_perf_read(st, out->v);
}

/* "perf_hw" (opens and closes a group on the calling thread to find out) and "perf_fp". */
static uint32_t perf_describe(fathom_probe_info *out, uint32_t cap) {
  fathom_probe_info hw = {0}, fp = {0};
  uint32_t n = 0;
  (void)describe_hw(&hw);
  (void)fz_probe_set_info(&fp, "perf_fp", 0,
                          "not available: no portable floating-point event; declare FLOPs with "
                          "fathom_flops_add");
  fathom_probe_info *both[2] = {&hw, &fp};
  for (int i = 0; i < 2; i++) {
    if (!both[i]->name) continue;
    if (n < cap) {
      out[n++] = *both[i];
    } else {
      free(both[i]->name);
      free(both[i]->detail);
    }
  }
  return n;
}

const fz_probe_kind fz_probe_perf = {
    .name = "perf",
    .level = FATHOM_LEVEL_COMPREHENSIVE,
    .listed = 3,
    .state_size = sizeof(fz_perf_group),
    .open = perf_open_kind,
    .close = perf_close_kind,
    .read = perf_read_kind,
    .describe = perf_describe,
};
