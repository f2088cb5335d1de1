/* sampler.c: the CPU sampler. Every thread that records gets a sampling clock on its own CPU
 * time: a perf_event task-clock counter that signals the thread at each period (exact
 * periods, from the kernel's high-resolution timers), or where perf_event_open is refused a
 * POSIX CPU timer (timer_create(CLOCK_THREAD_CPUTIME_ID), SIGEV_THREAD_ID; the kernel checks
 * those at its scheduler tick, so a signal may stand for several periods); at each
 * one (every 1/sample_hz s of the thread's CPU time) the handler looks at where the
 * thread was: inside fathom's own code (the interrupted instruction lies in the fathom_text
 * section, or the thread is in one of fathom's slow paths), or else in the program, whose
 * sample goes to the zone on top of the thread's stack of open zones. So:
 *  - fathom's real cost on the program's CPU is measured where it is paid (its share of the
 *    samples), not only estimated from calibrated costs per call;
 *  - every zone's own CPU time (self_cpu_ns) is estimated from its samples, fathom's code
 *    excluded, and these add up by construction.
 * A CPU-time timer only fires while its thread runs, so a thread blocked in a system call is
 * not interrupted; the handler is installed with SA_RESTART and keeps errno.
 *
 * Invariant: the handler is async-signal-safe: it reads the thread's own state (initial-exec
 * or local-exec TLS) and adds to counters only it writes (relaxed atomic stores, read by
 * snapshots); it never touches nodes while the thread is inside fathom (fz_thread.busy or
 * the interrupted instruction in fathom_text), where they may be being made or freed. The
 * handler stays installed once installed (a SIGPROF still queued must never meet the
 * default action, which ends the process); with no session it does nothing but chain to the
 * handler that was there before, for signals that are not its own. */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "record/record.h"
#include "record/sampler.h"

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

/* The section holding fathom's hot code (FZ_TEXT); the linker names its bounds. */
extern char __start_fathom_text[] __attribute__((weak, visibility("hidden")));
extern char __stop_fathom_text[] __attribute__((weak, visibility("hidden")));

static struct {
  int installed;               /* our handler is in place (never removed) */
  int usable;                  /* 0: not available here (why says why) */
  char why[160];
  struct sigaction prev;       /* the disposition before ours, for other SIGPROFs */
  uint64_t period_ns;          /* CPU time between samples */
  uintptr_t lo, hi;            /* fathom_text */
  double cost_ns;              /* one sample's signal, measured once */
  int no_perf;                 /* perf_event_open was refused: POSIX CPU timers */
} S;

static int tag_ours; /* its address marks our timers' signals (si_value) */

static uintptr_t interrupted_ip(const void *ucv) {
  const ucontext_t *uc = ucv;
#if defined(__x86_64__)
  return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
  return (uintptr_t)uc->uc_mcontext.pc;
#else
  (void)uc;
  return 0;
#endif
}

/* The node a sample at ip belongs to, n being the innermost open zone. A function's hooks are
 * called after its prologue and before its epilogue, so its first and last instructions run
 * while its caller is the innermost open zone: a sample in the code of one of n's callees
 * (n's cached child first, then up to 16 of its children) goes to that callee. Anything
 * else (n's own code, an inlined callee's, a library's) is n's. Reads only. */
static fz_node *by_code(fz_node *n, uintptr_t ip) {
  uintptr_t end = FZ_LD(n->fn_end);
  if (!end || (ip >= (uintptr_t)n->rkey && ip < end)) return n;
  fz_node *c = n->cache;
  end = FZ_LD(c->fn_end);
  if (end && ip >= (uintptr_t)c->rkey && ip < end) return c;
  c = FZ_LDA(n->first_child);
  for (int k = 0; c && k < 16; k++, c = c->next_sibling) {
    end = FZ_LD(c->fn_end);
    if (end && ip >= (uintptr_t)c->rkey && ip < end) return c;
  }
  return n;
}

static void on_sample(int sig, siginfo_t *si, void *ucv) {
  fz_thread *me = fz_tls;
  /* read once: a session's end (another thread) sets it to -1 before closing it */
  int pfd = me != &fz_nil_thread ? FZ_LD(me->perf_fd) : -1;
  int perf = si && pfd >= 0 && si->si_fd == pfd &&
             si->si_code != SI_TIMER && si->si_code != SI_USER && si->si_code != SI_TKILL;
  if (!perf && (!si || si->si_code != SI_TIMER || si->si_value.sival_ptr != &tag_ours)) {
    /* not ours: what was there before */
    if (S.prev.sa_flags & SA_SIGINFO) {
      if (S.prev.sa_sigaction) S.prev.sa_sigaction(sig, si, ucv);
    } else if (S.prev.sa_handler != SIG_DFL && S.prev.sa_handler != SIG_IGN && S.prev.sa_handler) {
      S.prev.sa_handler(sig);
    }
    return;
  }
  int saved = errno;
  fz_thread *t = fz_tls;
  if (t != &fz_nil_thread && t->gen == FZ_LD(fz_rec_gen)) {
    /* the kernel checks CPU timers at its scheduler tick: a signal may stand for several
     * periods (si_overrun more), all of them spent where the thread is now as far as
     * anyone knows (the tick is independent of the program: an unbiased sample) */
    uint64_t k = perf ? 1 : 1 + (uint64_t)(si->si_overrun > 0 ? si->si_overrun : 0);
    FZ_ST(t->s_all, t->s_all + k);
    FZ_ST(t->s_sig, t->s_sig + 1);
    uintptr_t ip = interrupted_ip(ucv);
    if (FZ_LD(t->busy) || (ip >= S.lo && ip < S.hi)) {
      FZ_ST(t->s_fathom, t->s_fathom + k);
    } else {
      fz_entry *e = FZ_LD(t->top);
      fz_node *n = e->node;
      if (e > t->stack && n != &fz_nil_node) {
        n = by_code(n, ip);
        FZ_ST(n->ss, n->ss + k);
      } else {
        FZ_ST(t->s_root, t->s_root + k);
      }
    }
  }
  if (perf) ioctl(pfd, PERF_EVENT_IOC_REFRESH, 1); /* the next period */
  errno = saved;
}

int fz_sampler_setup(double hz) {
  if (!(hz > 0)) {
    S.usable = 0;
    snprintf(S.why, sizeof S.why, "off (FATHOM_SAMPLE_HZ=0)");
    return FATHOM_E_NOTSUP;
  }
  S.period_ns = (uint64_t)(1e9 / hz);
  if (S.period_ns < 50000) S.period_ns = 50000; /* at most 20 kHz */
  S.lo = (uintptr_t)__start_fathom_text;
  S.hi = (uintptr_t)__stop_fathom_text;
  if (!S.lo || S.hi <= S.lo) {
    S.usable = 0;
    snprintf(S.why, sizeof S.why, "fathom's code section was not found in this build");
    return FATHOM_E_NOTSUP;
  }
#if !defined(__x86_64__) && !defined(__aarch64__)
  S.usable = 0;
  snprintf(S.why, sizeof S.why, "not available on this architecture");
  return FATHOM_E_NOTSUP;
#endif
  struct sigaction cur;
  if (sigaction(SIGPROF, NULL, &cur) != 0) {
    S.usable = 0;
    snprintf(S.why, sizeof S.why, "sigaction(SIGPROF): %s", strerror(errno));
    return FATHOM_E_NOTSUP;
  }
  int ours = (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_sample;
  if (!ours) S.installed = 0; /* the program set SIGPROF since: look again */
  if (!S.installed) {
    if ((cur.sa_flags & SA_SIGINFO) ? cur.sa_sigaction != NULL
                                    : (cur.sa_handler != SIG_DFL && cur.sa_handler != SIG_IGN)) {
      S.usable = 0;
      snprintf(S.why, sizeof S.why, "SIGPROF has a handler of the program's (gprof, another "
                                    "profiler?): the CPU sampler stays off");
      return FATHOM_E_NOTSUP;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sample;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    if (sigaction(SIGPROF, &sa, &S.prev) != 0) {
      S.usable = 0;
      snprintf(S.why, sizeof S.why, "sigaction(SIGPROF): %s", strerror(errno));
      return FATHOM_E_NOTSUP;
    }
    S.installed = 1;
  }
  if (S.cost_ns <= 0) { /* what a sample costs the thread: a signal delivered and returned
                           from (our handler, told it is not a timer's, does nothing else) */
    pid_t pid = getpid(), tid = (pid_t)syscall(SYS_gettid);
    double best = 0;
    for (int r = 0; r < 3; r++) {
      uint64_t a = fz_mono_ns();
      for (int i = 0; i < 32; i++) syscall(SYS_tgkill, pid, tid, SIGPROF);
      double per = (double)(fz_mono_ns() - a) / 32;
      if (r == 0 || per < best) best = per;
    }
    S.cost_ns = best;
  }
  S.usable = 1;
  snprintf(S.why, sizeof S.why, "every %.3g ms of each thread's CPU time (perf_event task "
           "clock, else a POSIX CPU timer), SIGPROF (%.1f us each)",
           (double)S.period_ns / 1e6, S.cost_ns / 1e3);
  return 0;
}

double fz_sampler_cost_ns(void) { return S.usable ? S.cost_ns : 0; }

int fz_sampler_usable(void) { return S.usable; }
uint64_t fz_sampler_period_ns(void) { return S.usable ? S.period_ns : 0; }
const char *fz_sampler_why(void) { return S.why; }

/* A task-clock counter on the calling thread that signals it every period: the fd, or -1. */
static int perf_clock(void) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = PERF_TYPE_SOFTWARE;
  a.config = PERF_COUNT_SW_TASK_CLOCK;
  a.sample_period = S.period_ns;
  a.exclude_kernel = 1; /* allowed at perf_event_paranoid 2 */
  a.exclude_hv = 1;
  a.disabled = 1;
  a.wakeup_events = 1;
  int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) return -1;
  struct f_owner_ex o = {F_OWNER_TID, (pid_t)syscall(SYS_gettid)};
  if (fcntl(fd, F_SETFL, O_ASYNC) != 0 || fcntl(fd, F_SETSIG, SIGPROF) != 0 ||
      fcntl(fd, F_SETOWN_EX, &o) != 0 || ioctl(fd, PERF_EVENT_IOC_REFRESH, 1) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void fz_sampler_arm(fz_thread *t) {
  if (!S.usable || t->hidden || t->timer_armed) return;
  int saved = errno;
  if (!S.no_perf) {
    int fd = perf_clock();
    if (fd >= 0) {
      FZ_ST(t->perf_fd, fd);
      FZ_ST(t->timer_armed, 2);
      errno = saved;
      return;
    }
    S.no_perf = 1; /* refused once: refused for every thread */
  }
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = SIGPROF;
  ev.sigev_value.sival_ptr = &tag_ours;
  ev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
  timer_t id;
  if (timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &id) == 0) {
    struct itimerspec its;
    its.it_value.tv_sec = (time_t)(S.period_ns / 1000000000u);
    its.it_value.tv_nsec = (long)(S.period_ns % 1000000000u);
    its.it_interval = its.it_value;
    if (timer_settime(id, 0, &its, NULL) == 0) {
      t->timer = id;
      FZ_ST(t->timer_armed, 1);
    } else {
      timer_delete(id);
    }
  }
  errno = saved;
}

void fz_sampler_disarm(fz_thread *t) {
  int was = __atomic_exchange_n(&t->timer_armed, 0, __ATOMIC_ACQ_REL);
  if (!was) return;
  int saved = errno;
  if (was == 2) {
    int fd = t->perf_fd;
    FZ_ST(t->perf_fd, -1);
    close(fd);
  } else {
    timer_delete(t->timer);
  }
  errno = saved;
}

void fz_sampler_after_fork(fz_thread *t) {
  /* the child has no timers, but the parent's counters' fds: not its own */
  if (t->timer_armed == 2 && t->perf_fd >= 0) close(t->perf_fd);
  t->perf_fd = -1;
  t->timer_armed = 0;
}
