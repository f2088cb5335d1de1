/* calib.c: measures what one zone (begin + end, BASIC) costs on this machine, on a hidden
 * thread of fathom's own, so the model can report fathom's overhead: zones x cost.
 *
 * Invariant: the calibration thread's data never appears in a profile (it is marked hidden
 * at registration) and it exits before fathom_session_begin returns. */
#include <pthread.h>
#include <signal.h>

#include "record.h"

__thread int fz_calibrating __attribute__((tls_model("initial-exec")));

static void *calib_main(void *arg) {
  fz_calibrating = 1;
  static fathom_site site = {"fathom.calibration", "fathom", NULL, __FILE__, "calib_main", __LINE__, 0, 0};
  double best = 0;
  for (int r = 0; r < 5; r++) {
    enum { N = 20000 };
    uint64_t a = fz_mono_ns();
    for (int i = 0; i < N; i++) {
      fathom_zone z = fathom_zone_begin_site(&site);
      fathom_zone_end(z);
    }
    double per = (double)(fz_mono_ns() - a) / N;
    if (r == 0 || per < best) best = per;
  }
  *(double *)arg = best;
  return NULL;
}

double fz_measure_zone_cost(void) {
  double cost = 0;
  pthread_t th;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int ok = pthread_create(&th, NULL, calib_main, &cost) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (ok) pthread_join(th, NULL);
  return cost;
}
