/* signals.c: an auto-started session's profile when the program is ended by a signal or
 * crashes, and the serialised session end.
 *
 * How it works. fz_sig_watch installs a handler for each of SIGTERM, SIGINT, SIGHUP, SIGQUIT
 * (termination) and SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT (crashes) whose action is the
 * default one when the auto-started session begins; crashes run on an alternate stack (set
 * up for the main thread, where none is), so a stack overflow there is caught too. The first
 * signal is the one taken. A handler writes the signal's number to a pipe and then waits,
 * bounded, until a second pipe becomes readable: it never returns to the code it
 * interrupted before the signal has had its course, so a sleep() or a blocking read() of
 * the program's is never cut short and the program never runs on. The watcher thread
 * (every signal blocked) reads the first pipe and ends the session outside signal context:
 * the model, marked cut short by the signal (fz_sig_mark), and the outputs. Then the second
 * pipe is written (finish), and the signal takes its default action: a termination signal
 * is raised again at once by whoever finished the end; a crash's handler, woken, restores
 * the default action and returns, so the faulting instruction faults again (same status,
 * same core dump), or raises the signal again when it was sent (kill, raise, abort).
 *
 * Session end is serialised (fz_sig_end around session.c's end): one thread ends the
 * session at a time; another caller (at exit, the watcher, the program) waits for it,
 * bounded, and then finds the session ended. Whoever finishes an end while a signal is
 * taken lets the signal take its course, so an exit racing a signal still dies of it, and
 * no end is left half done. A handler running on the very thread that is ending the session
 * returns at once (that end raises the signal when done): nothing ever waits for itself.
 *
 * Invariant: the handlers call only async-signal-safe functions and keep errno; every wait
 * is bounded (*_WAIT_MS). When it runs out (fathom's work is stuck: the interrupted thread
 * held a lock it needs, the heap is corrupt), the signal takes its course without a profile.
 * Where fathom's own work faults, the process dies of that fault. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "record/record.h"
#include "session/signals.h"

#define TERM_WAIT_MS 10000  /* a termination signal waits this long for the profile */
#define CRASH_WAIT_MS 5000  /* a crash: its program may be too broken to build one */
#define END_WAIT_MS 10000   /* a second session end waits this long for the first */
#define ALT_STACK_BYTES (64 * 1024)

#define LD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

static const int term_sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
static const int crash_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

static int sig_pipe[2] = {-1, -1};  /* handlers -> watcher: a signal's number */
static int done_pipe[2] = {-1, -1}; /* -> handlers: written once the profile is (never read) */
static int taken;                   /* the first signal taken, 0 none */
static int end_owner;               /* tid of the thread ending the session, 0 none */
static fz_thread *crash_thread;     /* the faulting thread's recorder state */
static uint32_t installed;          /* bit 1 << sig: our handler was installed */

static int is_crash(int sig) {
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGABRT;
}

static const char *sig_name(int sig) {
  switch (sig) {
  case SIGTERM: return "SIGTERM";
  case SIGINT: return "SIGINT";
  case SIGHUP: return "SIGHUP";
  case SIGQUIT: return "SIGQUIT";
  case SIGSEGV: return "SIGSEGV";
  case SIGBUS: return "SIGBUS";
  case SIGILL: return "SIGILL";
  case SIGFPE: return "SIGFPE";
  default: return "SIGABRT";
  }
}

/* ---- async-signal-safe pieces (the handlers use nothing else) ------------------------- */

static int self_tid(void) { return (int)syscall(SYS_gettid); }

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until the done pipe is readable (or gone), at most ms. */
static void wait_done(int ms) {
  int fd = LD(done_pipe[0]);
  if (fd < 0) return;
  for (int64_t until = mono_ms() + ms;;) {
    int64_t left = until - mono_ms();
    if (left <= 0) return;
    struct pollfd pfd = {fd, POLLIN, 0};
    int r = poll(&pfd, 1, (int)left);
    if (r > 0 || (r < 0 && errno != EINTR)) return;
  }
}

static void set_default(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

/* The default action of sig, on this thread, now (blocked or not, in its handler or not). */
static void die_by(int sig) {
  set_default(sig);
  syscall(SYS_tgkill, (long)getpid(), (long)self_tid(), (long)sig);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* The first signal is the one taken. */
static void take(int sig) {
  int zero = 0;
  __atomic_compare_exchange_n(&taken, &zero, sig, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* Whether this thread is the one ending the session (it must not wait for itself). */
static int ending_here(void) { return LD(end_owner) == self_tid(); }

/* Hands sig to the watcher and waits, at most ms, for the profile. */
static void hand_over(int sig, int ms) {
  int fd = LD(sig_pipe[1]);
  unsigned char b = (unsigned char)sig;
  if (fd >= 0 && write(fd, &b, 1) == 1) wait_done(ms);
}

static void on_term(int sig) {
  int saved = errno;
  take(sig);
  if (!ending_here()) {
    hand_over(sig, TERM_WAIT_MS);
    int t = LD(taken);
    die_by(t ? t : sig);
  }
  errno = saved; /* this thread ends the session: that end raises the signal when done */
}

static void on_crash(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  int saved = errno;
  if (!LD(taken)) {
    fz_thread *none = NULL;
    __atomic_compare_exchange_n(&crash_thread, &none, fz_tls, 0, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
  }
  take(sig);
  if (!ending_here()) hand_over(sig, CRASH_WAIT_MS);
  if (si->si_code <= 0) /* sent (kill, raise, abort): raised again */
    die_by(sig);
  else                  /* a fault: on return, the instruction faults again */
    set_default(sig);
  errno = saved;
}

/* ---- the watcher and the session end ---------------------------------------------------- */

/* A signal taken has its course once its profile is written or could not be: the handlers
 * waiting are woken; a termination signal ends the process here; a crash's own thread faults
 * again when woken, so this one waits for that (bounded). */
static void finish(void) {
  int sig = LD(taken);
  if (!sig) return;
  int fd = LD(done_pipe[1]);
  unsigned char b = 1;
  ssize_t w = fd >= 0 ? write(fd, &b, 1) : 0;
  (void)w;
  if (!is_crash(sig)) {
    die_by(sig);
    return;
  }
  for (int64_t until = mono_ms() + CRASH_WAIT_MS; mono_ms() < until;) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

int fz_sig_end(int (*end)(fathom_profile **out), fathom_profile **out) {
  int saved = errno, me = self_tid();
  for (int64_t until = mono_ms() + END_WAIT_MS;;) {
    int cur = 0;
    if (__atomic_compare_exchange_n(&end_owner, &cur, me, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST))
      break;
    if (cur == me || mono_ms() >= until) { /* an end inside our own end; a stuck one */
      if (out) *out = NULL;
      if (cur != me) finish();
      errno = saved;
      return FATHOM_E_STATE;
    }
    struct timespec ts = {0, 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  int rc = end(out);
  ST(end_owner, 0);
  finish();
  errno = saved;
  return rc;
}

static void *watch_main(void *arg) {
  (void)arg;
  for (;;) {
    unsigned char b;
    ssize_t r = read(sig_pipe[0], &b, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r != 1) { /* the program closed fathom's pipe (a daemon closing every fd): the handlers
                   * must not write to whatever reuses its number, nor wait */
      ST(sig_pipe[1], -1);
      ST(done_pipe[0], -1);
      return NULL;
    }
    fathom_session_end(NULL); /* serialised; finishes the signal's course */
    finish();                 /* the same where no end could run */
  }
}

/* The zones open on thread t, outermost first, "a;b" (NULL: none). t is stopped in its
 * crash handler, so its stack holds still. */
static char *zone_path(fz_thread *t) {
  size_t cap = 256, len = 0;
  char *s = malloc(cap);
  if (!s) return NULL;
  fz_entry *top = FZ_LD(t->top);
  if (top - t->stack >= FZ_STACK_ENTRIES) top = t->stack + FZ_STACK_ENTRIES - 1;
  for (fz_entry *e = t->stack + 1; e <= top; e++) {
    const fz_node *n = e->node;
    if (!n || n == &fz_nil_node || (n->flags & FZ_NODE_MUTED) || !n->site || !n->site->name)
      continue; /* a dropped call's marker, an excluded function's frame */
    size_t k = strlen(n->site->name);
    if (len + k + 2 > cap) {
      while (len + k + 2 > cap) cap *= 2;
      char *g = realloc(s, cap);
      if (!g) break;
      s = g;
    }
    if (len) s[len++] = ';';
    memcpy(s + len, n->site->name, k);
    len += k;
  }
  s[len] = 0;
  if (len) return s;
  free(s);
  return NULL;
}

void fz_sig_mark(fathom_profile *p) {
  int sig = LD(taken);
  if (!p || !sig) return;
  fathom_meta *m = &p->meta;
  free(m->cut_short_by);
  m->cut_short_by = strdup(sig_name(sig));
  fz_thread *t = is_crash(sig) ? LD(crash_thread) : NULL;
  if (t && t != &fz_nil_thread && FZ_LD(t->gen) == fz_g.session_gen) {
    free(m->cut_short_path);
    m->cut_short_path = zone_path(t);
  }
}

/* ---- installing -------------------------------------------------------------------------- */

static void install(int sig, int crash) {
  struct sigaction cur, sa;
  if (sigaction(sig, NULL, &cur) != 0) return;
  if ((cur.sa_flags & SA_SIGINFO) || cur.sa_handler != SIG_DFL) return; /* not ours to take */
  memset(&sa, 0, sizeof sa);
  sigfillset(&sa.sa_mask);
  if (crash) {
    sa.sa_sigaction = on_crash;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  } else {
    sa.sa_handler = on_term;
#ifndef FZ_TSAN
    sa.sa_flags = SA_RESTART;
#else /* ThreadSanitizer runs a handler only where its interceptor returns: a read() that
       * restarted would never return, nor run it */
    sa.sa_flags = 0;
#endif
  }
  if (sigaction(sig, &sa, NULL) == 0) __atomic_or_fetch(&installed, 1u << sig, __ATOMIC_SEQ_CST);
}

/* An alternate signal stack for this thread, unless it has one (a sanitizer's, say). */
static void alt_stack(void) {
  stack_t cur;
  if (sigaltstack(NULL, &cur) != 0 || !(cur.ss_flags & SS_DISABLE)) return;
  void *mem = mmap(NULL, ALT_STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
  if (mem == MAP_FAILED) return;
  stack_t ss = {.ss_sp = mem, .ss_size = ALT_STACK_BYTES, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) munmap(mem, ALT_STACK_BYTES);
}

static void close_pipes(void) {
  for (int i = 0; i < 2; i++) {
    if (sig_pipe[i] >= 0) close(sig_pipe[i]);
    if (done_pipe[i] >= 0) close(done_pipe[i]);
    ST(sig_pipe[i], -1);
    ST(done_pipe[i], -1);
  }
}

void fz_sig_watch(void) {
  if (pipe2(sig_pipe, O_CLOEXEC) != 0) return;
  if (pipe2(done_pipe, O_CLOEXEC | O_NONBLOCK) != 0 ||
      fcntl(sig_pipe[1], F_SETFL, O_NONBLOCK) != 0) { /* a handler's write never blocks */
    close_pipes();
    return;
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t th;
  int ok = pthread_create(&th, NULL, watch_main, NULL) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (!ok) {
    close_pipes();
    return;
  }
  pthread_detach(th);
  alt_stack();
  for (size_t i = 0; i < sizeof term_sigs / sizeof term_sigs[0]; i++) install(term_sigs[i], 0);
  for (size_t i = 0; i < sizeof crash_sigs / sizeof crash_sigs[0]; i++) install(crash_sigs[i], 1);
}

void fz_sig_after_fork_child(void) {
  uint32_t mine = LD(installed);
  for (int sig = 1; sig < 32; sig++) {
    struct sigaction cur;
    if (!(mine & (1u << sig)) || sigaction(sig, NULL, &cur) != 0) continue;
    if ((cur.sa_flags & SA_SIGINFO) ? cur.sa_sigaction == on_crash : cur.sa_handler == on_term)
      set_default(sig);
  }
  ST(installed, 0);
  ST(taken, 0);
  ST(end_owner, 0);
  ST(crash_thread, NULL);
  close_pipes();
}
