/* calib.c: measures what fathom's own work costs on this machine, so the model can report
 * fathom's overhead and the governor can hold its budget: one zone (begin + end, BASIC), one
 * counted-only call (time sampling), one probed call's probes.
 *
 * Invariant: the zone calibrations run on a hidden thread of fathom's own whose data never
 * appears in a profile (marked hidden at registration) and which exits before
 * fathom_session_begin returns; the probe calibration uses probes of its own, not a
 * thread's. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"
#include "record.h"

__thread int fz_calibrating __attribute__((tls_model("initial-exec")));

typedef struct calib_out { double zone_ns, untimed_ns; } calib_out;

static double loop_cost(fathom_site *site) {
  double best = 0;
  for (int r = 0; r < 5; r++) {
    enum { N = 4000 };
    uint64_t a = fz_mono_ns();
    for (int i = 0; i < N; i++) {
      fathom_zone z = fathom_zone_begin_site(site);
      fathom_zone_end(z);
    }
    double per = (double)(fz_mono_ns() - a) / N;
    if (r == 0 || per < best) best = per;
  }
  return best;
}

static void *calib_main(void *arg) {
  calib_out *out = arg;
  fz_calibrating = 1;
  static fathom_site site = {"fathom.calibration", "fathom", NULL, __FILE__, "calib_main", __LINE__, 0, 0};
  fathom_zone_end(fathom_zone_begin_site(&site));   /* creates the node */
  fz_thread *t = fz_tls;
  fz_node *n = t ? FZ_LDA(t->root.first_child) : NULL;
  if (!n) return NULL;
  FZ_ST(n->p_every, 0); /* the plain timed path, whatever the level */
  FZ_ST(n->t_every, 1);
  fz_node_update_special(n);
  out->zone_ns = loop_cost(&site);
  FZ_ST(n->t_every, 1u << 30); /* every call counted, none timed */
  fz_node_update_special(n);
  out->untimed_ns = loop_cost(&site);
  return NULL;
}

void fz_measure_zone_cost(double *zone_ns, double *untimed_ns) {
  calib_out out = {0, 0};
  pthread_t th;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int ok = pthread_create(&th, NULL, calib_main, &out) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (ok) pthread_join(th, NULL);
  *zone_ns = out.zone_ns;
  *untimed_ns = out.untimed_ns;
}

double fz_probe_cpu_bias_ns;

/* Sum of one word per cache line of buf (the reference work of the probe calibration). */
static __attribute__((noinline)) uint64_t touch_lines(const uint64_t *buf, size_t words) {
  uint64_t s = 0;
  for (size_t i = 0; i < words; i += 8) s += buf[i];
  return s;
}

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* What one probe read costs the program: its own time plus what the program then loses
 * refilling caches and TLB the system calls disturbed. Measured as the extra time of a
 * reference loop over a 128 KiB working set when each pass is preceded by a probe read,
 * median of 9 tries (a tight loop of reads alone sees only the direct cost, about half of
 * it on a virtual machine). Falls back to the direct cost when that is larger. */
static double probe_read_cost(fz_probe_ctx *c, double direct) {
  enum { WORDS = 128 * 1024 / 8, K = 12, TRIES = 9 };
  uint64_t *buf = calloc(WORDS, sizeof *buf);
  if (!buf) return direct;
  double d[TRIES];
  uint64_t sink = 0;
  fz_pval v;
  for (int r = 0; r < TRIES; r++) {
    uint64_t t0 = fz_mono_ns();
    for (int i = 0; i < K; i++) sink += touch_lines(buf, WORDS);
    uint64_t t1 = fz_mono_ns();
    for (int i = 0; i < K; i++) {
      (void)fz_probe_read(c, &v);
      sink += touch_lines(buf, WORDS);
    }
    uint64_t t2 = fz_mono_ns();
    d[r] = ((double)(t2 - t1) - (double)(t1 - t0)) / K;
  }
  __asm__ volatile("" : : "r"(sink));
  free(buf);
  qsort(d, TRIES, sizeof d[0], cmp_dbl);
  if (getenv("FATHOM_DEBUG_CALIB"))
    fprintf(stderr, "fathom calib: probe read direct %.0f ns, in a loop %.0f ns\n", direct, d[TRIES / 2]);
  return d[TRIES / 2] > direct ? d[TRIES / 2] : direct;
}

double fz_measure_probe_cost(int level) {
  int saved = errno;
  fz_alloc_pause();
  fz_probe_ctx *c = fz_probe_open(level);
  double best = 0;
  if (c) {
    fz_pval v;
    for (int r = 0; r < 5; r++) {
      enum { N = 16 };
      uint64_t a = fz_mono_ns();
      for (int i = 0; i < N; i++) (void)fz_probe_read(c, &v);
      double per = (double)(fz_mono_ns() - a) / N;
      if (r == 0 || per < best) best = per;
    }
    best = probe_read_cost(c, best);
    /* the CPU time an empty probed zone shows: the probes' own share, taken off each
     * probed call's CPU (the smallest of several tries) */
    fz_probe_cpu_bias_ns = 0;
    for (int r = 0; r < 16; r++) {
      fz_pval a, b;
      uint32_t m = fz_probe_read_at(c, &a, 0) & fz_probe_read_at(c, &b, 1);
      if (!(m >> FATHOM_RES_CPU_USER_NS & 1) || !(m >> FATHOM_RES_CPU_SYS_NS & 1)) break;
      double d = (double)(b.v[FATHOM_RES_CPU_USER_NS] + b.v[FATHOM_RES_CPU_SYS_NS] -
                          a.v[FATHOM_RES_CPU_USER_NS] - a.v[FATHOM_RES_CPU_SYS_NS]);
      if (r == 0 || d < fz_probe_cpu_bias_ns) fz_probe_cpu_bias_ns = d > 0 ? d : 0;
    }
    fz_probe_close(c);
  }
  fz_alloc_resume();
  errno = saved;
  return 2 * best; /* a probed call reads at its begin and at its end */
}
