/* sig.c: what the `fathom` command does when a signal ends it while it writes an output
 * file: the temporary file (fz_afile's "<OUT>.tmp.XXXXXX") is removed before the process
 * dies of the signal, so an interrupted `fathom report -o OUT` leaves OUT as it was and no
 * temporary file.
 *
 * Invariant: the handler only calls async-signal-safe functions (unlink, raise) on a name
 * stored beforehand in a static buffer; it then dies of the same signal with its default
 * action, so the exit status is the usual one (130 for SIGINT, 143 for SIGTERM...). A signal
 * the command inherited as ignored (nohup, a background job) stays ignored. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "io.h"

static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_FATAL (sizeof fatal_signals / sizeof fatal_signals[0])

static char tmp_path[8192];
static volatile sig_atomic_t tmp_armed;

static void on_fatal(int sig) {
  int e = errno;
  if (tmp_armed) unlink(tmp_path);
  /* SA_RESETHAND put the default action back; sig (and the other fatal signals) stay
   * blocked while this runs, so a second one (timeout(1) signals its child, then its whole
   * process group) cannot end the process before the unlink. raise() leaves sig pending: the
   * process ends of it as this handler returns. */
  raise(sig);
  errno = e;
}

void io_signals_init(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fatal;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < N_FATAL; i++) sigaddset(&sa.sa_mask, fatal_signals[i]);
  sa.sa_flags = SA_RESETHAND;
  for (size_t i = 0; i < N_FATAL; i++) {
    struct sigaction old;
    if (sigaction(fatal_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(fatal_signals[i], &sa, NULL);
  }
  /* a write past the file size limit (ulimit -f) fails with EFBIG and is reported like any
   * write error (the temporary file removed), instead of killing the command */
  signal(SIGXFSZ, SIG_IGN);
}

void io_signals_hold(sigset_t *old) {
  sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < N_FATAL; i++) sigaddset(&set, fatal_signals[i]);
  sigprocmask(SIG_BLOCK, &set, old);
}

void io_signals_release(const sigset_t *old) {
  sigprocmask(SIG_SETMASK, old, NULL);
}

void io_signals_track(const char *path) {
  tmp_armed = 0;
  if (!path || strlen(path) >= sizeof tmp_path) return;
  memcpy(tmp_path, path, strlen(path) + 1);
  atomic_signal_fence(memory_order_seq_cst);   /* the name is whole before it is armed */
  tmp_armed = 1;
}
