/* probe/thread.c: the per-thread resource probe context (probe.h), which reads the probe
 * kinds (probe/kinds.h; one file each) through one table; the budget of fds that probes may
 * hold; fork handling; the helpers the kinds' descriptions share.
 *
 * Invariant: a read walks the table once (in order at a zone's begin, in reverse at its end)
 * and costs each kind's fixed system calls, with no allocation, lock or stdio; every entry
 * point preserves errno; anything that fails is left out of the returned mask; fds are
 * O_CLOEXEC, at most the budget of them is held process-wide, and an fd is only closed while
 * it still refers to what the probe opened. After fork, a context notices on its next read
 * and closes and reopens its kinds (the inherited files describe the parent's thread). A kind
 * is read when the level uses it or its metric family is switched on, never when its family
 * is switched off (fz_probe_families). */
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe/probe.h"
#include "probe/kinds.h"

#define FD_BUDGET_MAX 512u

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* The probes, in the order a zone's begin reads them: the counters a zone's figures depend on
 * most (CPU time, hardware counters) last, so that at its end (read in reverse) they come
 * first, and the probes' own system calls stay outside the zone's CPU time and counts as far
 * as possible. A probe is one file with its fz_probe_kind and one entry here. */
static const fz_probe_kind *const kinds[] = {&fz_probe_sock, &fz_probe_io, &fz_probe_rss,
                                             &fz_probe_rusage, &fz_probe_perf};
#define NKINDS (sizeof kinds / sizeof kinds[0])
/* Each kind's metric family (FATHOM_METRIC_*), in the table's order. */
static const uint32_t kind_family[] = {FATHOM_METRIC_NETWORK, FATHOM_METRIC_IO,
                                       FATHOM_METRIC_MEMORY, FATHOM_METRIC_CPU,
                                       FATHOM_METRIC_HWCOUNTERS};
_Static_assert(sizeof kind_family / sizeof kind_family[0] == NKINDS, "a family per kind");
#define ALIGN_UP(n) (((n) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1))

struct fz_probe_ctx {
  int level;
  uint32_t fork_gen;                 /* fork_gen when this context's kinds were opened */
  uint32_t n;                        /* kinds the level uses, in table order */
  const fz_probe_kind *kind[NKINDS];
  void *st[NKINDS];                  /* each one's state (NULL: none), in this allocation */
};

/* ---- process-wide state ---------------------------------------------------------------- */

static uint32_t fd_used;          /* fds held by probes (reservations) */
static uint64_t fd_refusals;      /* reservations refused by the budget */
static uint32_t fork_gen;         /* bumped in the child after each fork */
static uint8_t describe_order[NKINDS];   /* table indices, in the order of the descriptions */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static uint32_t fam_off, fam_on;  /* the metric switches (fz_probe_families) */

void fz_probe_families(uint32_t off, uint32_t on) {
  __atomic_store_n(&fam_off, off, __ATOMIC_RELAXED);
  __atomic_store_n(&fam_on, on & ~off, __ATOMIC_RELAXED);
}

uint32_t fz_probe_families_off(void) { return LD(fam_off); }

/* Whether kind i is read at level: its family not switched off, and the level uses it or
 * its family is switched on. */
static int kind_used(size_t i, int level) {
  if (LD(fam_off) & kind_family[i]) return 0;
  return (level >= FATHOM_LEVEL_DETAILED && kinds[i]->level <= level) ||
         (LD(fam_on) & kind_family[i]) != 0;
}

int fz_pfd_same_file(int fd, uint64_t dev, uint64_t ino) {
  struct stat st;
  return fstat(fd, &st) == 0 && (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

/* In the child after fork (single-threaded, async-signal-safe calls only): each kind drops
 * what names the parent, and contexts reopen on their next read. */
static void after_fork_child(void) {
  for (size_t i = 0; i < NKINDS; i++)
    if (kinds[i]->after_fork) kinds[i]->after_fork();
  __atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

static void init_once(void) {
  for (size_t i = 0; i < NKINDS; i++) {
    if (kinds[i]->init) kinds[i]->init();
    size_t j = i;   /* insertion sort by listed; the table order breaks ties */
    for (; j > 0 && kinds[describe_order[j - 1]]->listed > kinds[i]->listed; j--)
      describe_order[j] = describe_order[j - 1];
    describe_order[j] = (uint8_t)i;
  }
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
  if ((p->dev == 0 && p->ino == 0) || fz_pfd_same_file(p->fd, p->dev, p->ino)) close(p->fd);
  p->fd = -1;
  fz_pfd_unreserve();
}

void fz_pfd_stats(uint32_t *budget, uint64_t *refusals) {
  *budget = fd_budget();
  *refusals = LD(fd_refusals);
}

/* ---- the context -------------------------------------------------------------------------- */

/* Opens the context's kinds; returns nonzero if any can read. Kinds without per-context state
 * open first: their fds (at most one each, process-wide, e.g. rss's statm) serve every thread,
 * so when the fd budget runs short they get it before the per-thread files. */
static int open_kinds(fz_probe_ctx *c) {
  int any = 0;
  c->fork_gen = LD(fork_gen);
  for (int shared = 1; shared >= 0; shared--)
    for (uint32_t i = 0; i < c->n; i++)
      if ((c->kind[i]->state_size == 0) == shared) any |= c->kind[i]->open(c->st[i]) != 0;
  return any;
}

static void close_kinds(fz_probe_ctx *c) {
  for (uint32_t i = 0; i < c->n; i++) c->kind[i]->close(c->st[i]);
}

fz_probe_ctx *fz_probe_open(int level) {
  int saved = errno;
  fz_probe_ctx *c = NULL;
  size_t used = 0;
  for (size_t i = 0; i < NKINDS; i++) used += kind_used(i, level);
  if (used) {
    pthread_once(&once, init_once);
    size_t size = ALIGN_UP(sizeof *c);
    for (size_t i = 0; i < NKINDS; i++)
      if (kind_used(i, level)) size += ALIGN_UP(kinds[i]->state_size);
    c = calloc(1, size);
    if (c) {
      size_t at = ALIGN_UP(sizeof *c);
      c->level = level;
      for (size_t i = 0; i < NKINDS; i++) {
        if (!kind_used(i, level)) continue;
        c->kind[c->n] = kinds[i];
        c->st[c->n++] = kinds[i]->state_size ? (char *)c + at : NULL;
        at += ALIGN_UP(kinds[i]->state_size);
      }
      if (!open_kinds(c)) {
        close_kinds(c);
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
  close_kinds(c);
  free(c);
  errno = saved;
}

__attribute__((noinline, cold)) static void after_fork_reopen(fz_probe_ctx *c) {
  close_kinds(c);
  (void)open_kinds(c);
}

uint32_t fz_probe_read_at(fz_probe_ctx *c, fz_pval *out, int at_end) {
  if (!c || !out) return 0;
  int saved = errno;
  uint32_t m = 0;
  memset(out, 0, sizeof *out);
  if (__builtin_expect(LD(fork_gen) != c->fork_gen, 0)) after_fork_reopen(c);
  if (at_end)
    for (uint32_t i = c->n; i-- > 0;) m |= c->kind[i]->read(c->st[i], out, 1);
  else
    for (uint32_t i = 0; i < c->n; i++) m |= c->kind[i]->read(c->st[i], out, 0);
  errno = saved;
  return m;
}

uint32_t fz_probe_read(fz_probe_ctx *c, fz_pval *out) { return fz_probe_read_at(c, out, 0); }

/* ---- descriptions ------------------------------------------------------------------------- */

int fz_probe_set_info(fathom_probe_info *o, const char *name, int available, const char *detail) {
  o->name = strdup(name);
  o->detail = strdup(detail);
  o->available = available;
  if (o->name && o->detail) return 1;
  free(o->name);
  free(o->detail);
  o->name = o->detail = NULL;
  return 0;
}

const char *fz_probe_err_text(int err, char *buf, size_t n) { return strerror_r(err, buf, n); }

void fz_probe_budget_note(char *dst, size_t cap) {
  uint32_t budget;
  uint64_t refusals;
  fz_pfd_stats(&budget, &refusals);
  dst[0] = 0;
  if (refusals)
    snprintf(dst, cap, "; %llu probe files were not opened: fathom's budget of %u fds "
             "(a quarter of RLIMIT_NOFILE, at most %u) was reached",
             (unsigned long long)refusals, budget, FD_BUDGET_MAX);
}

uint32_t fz_probe_describe(int level, fathom_probe_info *out, uint32_t cap) {
  size_t used = 0;
  for (size_t i = 0; i < NKINDS; i++) used += kind_used(i, level);
  if (!out || !used) return 0;
  int saved = errno;
  pthread_once(&once, init_once);
  fathom_probe_info tmp[NKINDS * FZ_PROBE_INFOS];
  memset(tmp, 0, sizeof tmp);
  uint32_t n = 0, w = 0;
  for (size_t i = 0; i < NKINDS; i++) {
    const fz_probe_kind *k = kinds[describe_order[i]];
    if (kind_used(describe_order[i], level)) n += k->describe(&tmp[n], FZ_PROBE_INFOS);
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
