/* test_sampler.c: the CPU sampler (sampler.c). A zone that spins gets its CPU time as its own
 * (self_cpu_ns, within the samples' error of the thread CPU clock the test reads), a zone
 * that sleeps none; nested zones share the samples so they add up; fathom's own share is
 * counted apart; FATHOM_SAMPLE_HZ=0 and a program's own SIGPROF handler leave it off, said so.
 * Truths are computed here (CLOCK_THREAD_CPUTIME_ID); only ratios with generous error bars are
 * asserted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fathom.h"

static volatile uint64_t sink;

static uint64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void spin_cpu_ns(uint64_t ns) {
  uint64_t end = thread_cpu_ns() + ns;
  while (thread_cpu_ns() < end)
    for (int i = 0; i < 1000; i++) sink += (uint64_t)i * 2654435761u;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static const fathom_zone_info *zone(const fathom_profile *p, const char *name) {
  for (uint32_t i = 0; i < p->n_zones; i++)
    if (strcmp(p->zones[i].name, name) == 0) return &p->zones[i];
  fail_msg("no zone %s", name);
  return NULL;
}

static const fathom_probe_info *probe(const fathom_profile *p, const char *name) {
  for (uint32_t i = 0; i < p->n_probes; i++)
    if (strcmp(p->probes[i].name, name) == 0) return &p->probes[i];
  return NULL;
}

static fathom_profile *run(double hz, uint64_t *cpu_outer_self, uint64_t *cpu_inner) {
  fathom_config c;
  fathom_config_init(&c);
  c.sample_hz = hz;
  c.monitor = 0;
  assert_int_equal(fathom_session_begin("sampler", &c), 0);
  uint64_t a = thread_cpu_ns(), b, d;
  {
    FATHOM_ZONE("outer", "t");
    spin_cpu_ns(150000000);
    b = thread_cpu_ns();
    {
      FATHOM_ZONE("inner", "t");
      spin_cpu_ns(100000000);
    }
    d = thread_cpu_ns();
  }
  {
    FATHOM_ZONE("sleeps", "t");
    sleep_ms(150);
  }
  *cpu_outer_self = b - a;
  *cpu_inner = d - b;
  fathom_profile *p = NULL;
  fathom_session_end(&p);
  assert_non_null(p);
  char msg[4096];
  int v = fathom_profile_check(p, msg, sizeof msg);
  if (v) fail_msg("%d violations:\n%s", v, msg);
  return p;
}

/* Within 5 standard errors of the samples (Poisson), plus a tick. */
static void near_samples(const char *what, double got, double se, double truth, double per) {
  double tol = 5 * (se > 0 ? se : per) + per;
  print_message("%s: self CPU %.1f ms +- %.1f, truth %.1f ms\n", what, got / 1e6, se / 1e6,
                truth / 1e6);
  if (fabs(got - truth) > tol) fail_msg("%s: %.0f ns, truth %.0f ns (tolerance %.0f)", what, got, truth, tol);
}

static void test_attribution(void **state) {
  (void)state;
  const char *san = getenv("FATHOM_SANITIZE");
  uint64_t outer_self, inner;
  fathom_profile *p = run(1000, &outer_self, &inner);
  const fathom_probe_info *sp = probe(p, "sampler");
  assert_non_null(sp);
  if (!sp->available) { /* a machine without CPU timers: said so, nothing measured */
    print_message("sampler not available here: %s\n", sp->detail);
    assert_true(p->meta.sample_period_ns == 0 && p->meta.cpu_samples == 0);
    fathom_profile_free(p);
    return;
  }
  double per = p->meta.sample_period_ns;
  assert_true(per > 0);
  assert_true(p->meta.cpu_samples > 0);
  assert_true(p->meta.cpu_samples_fathom <= p->meta.cpu_samples);
  const fathom_zone_info *o = zone(p, "outer"), *in = zone(p, "inner"), *sl = zone(p, "sleeps");
  if (!(san && *san)) { /* timings mean little under a sanitizer */
    near_samples("outer", o->stats.self_cpu_ns, o->stats.self_cpu_se_ns, (double)outer_self, per);
    near_samples("inner", in->stats.self_cpu_ns, in->stats.self_cpu_se_ns, (double)inner, per);
  }
  assert_true(sl->stats.self_cpu_ns <= 3 * per); /* asleep: no CPU, no samples */
  /* every period is somewhere: zones, outside them, or fathom */
  double zones = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) zones += p->nodes[i].stats.self_cpu_ns;
  assert_true(zones <= (double)p->meta.cpu_samples * per + 1);
  assert_true(p->meta.overhead_measured_ns >= (double)p->meta.cpu_samples_fathom * per);
  fathom_profile_free(p);
}

/* The sampler is reported not available, its detail saying why, and took no sample. */
static void sampler_off(const fathom_profile *p, const char *why) {
  const fathom_probe_info *sp = probe(p, "sampler");
  assert_non_null(sp);
  assert_int_equal(sp->available, 0);
  assert_non_null(strstr(sp->detail, why));
  assert_true(p->meta.cpu_samples == 0);
}

static void test_off(void **state) {
  (void)state;
  uint64_t a, b;
  fathom_profile *p = run(0, &a, &b);
  sampler_off(p, "off");
  assert_true(p->meta.sample_period_ns == 0);
  assert_true(zone(p, "outer")->stats.self_cpu_ns == 0);
  assert_true(p->meta.overhead_ns == p->meta.overhead_calibrated_ns); /* the estimate, then */
  fathom_profile_free(p);
}

static int program_handler_hits;
static void program_handler(int sig) {
  (void)sig;
  program_handler_hits++;
}

/* SIGPROF is the program's (set after fathom's was): the sampler stays off, says why, and the
 * program's handler gets only the program's own signals. */
static void test_program_sigprof(void **state) {
  (void)state;
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = program_handler;
  assert_int_equal(sigaction(SIGPROF, &sa, &old), 0);
  raise(SIGPROF);
  assert_int_equal(program_handler_hits, 1);
  uint64_t a, b;
  fathom_profile *p = run(1000, &a, &b);
  sampler_off(p, "SIGPROF");
  assert_int_equal(program_handler_hits, 1); /* none of fathom's */
  fathom_profile_free(p);
  sigaction(SIGPROF, &old, NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_attribution),
      cmocka_unit_test(test_off),
      cmocka_unit_test(test_program_sigprof),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
