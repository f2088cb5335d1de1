/* bench_zone.c: per-zone costs of the recorder against the floor of two raw timer reads:
 * tsc_pair_ns, zone_skeleton_ns (a bare push/pop around the two reads, for scale),
 * zone_disabled_ns, session_begin_ms (the first, calibrations included), zone_basic_ns,
 * zone_timeline_ns, counter_ns,
 * basic_bytes_per_zone, threads2_speedup. Each figure is the best of several repeats, and
 * each is printed only after the profile confirms every zone was recorded. */
#include <fathom.h>
#include <pthread.h>
#include <string.h>

#include "benchutil.h"

#define REPEATS 7

static volatile uint64_t sink;

static double time_tsc_pair(long n) {
  double best = 1e18;
  for (int r = 0; r < REPEATS; r++) {
    uint64_t t0 = bench_now_ns(), acc = 0;
    for (long i = 0; i < n; i++) {
      uint64_t a = bench_rdtsc();
      uint64_t b = bench_rdtsc();
      acc += b - a;
    }
    sink += acc;
    double per = (double)(bench_now_ns() - t0) / (double)n;
    if (per < best) best = per;
  }
  return best;
}

/* The skeleton of a zone, for scale: what any recorder with an out-of-line begin and end
 * pays before it records anything. Begin pushes a stack entry and reads the counter; end
 * reads it again, adds the duration to one total and pops. No call tree, no statistics, no
 * histogram, no checks: fathom's zone does all of these on top. */
typedef struct skel_entry { uint64_t t0; } skel_entry;
static __thread skel_entry skel_stack[64];
static __thread unsigned skel_depth;
static __thread uint64_t skel_total, skel_count;
__attribute__((noinline)) static skel_entry *skel_begin(void) {
  skel_entry *e = &skel_stack[++skel_depth & 63];
  e->t0 = bench_rdtsc();
  return e;
}
__attribute__((noinline)) static void skel_end(skel_entry *e) {
  uint64_t t1 = bench_rdtsc();
  skel_total += t1 - e->t0;
  skel_count++;
  skel_depth = (unsigned)(e - skel_stack) - 1;
}
static double time_skeleton(long n) {
  double best = 1e18;
  for (int r = 0; r < REPEATS; r++) {
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
      skel_end(skel_begin());
      __asm__ volatile("" ::: "memory");
    }
    double per = (double)(bench_now_ns() - t0) / (double)n;
    if (per < best) best = per;
  }
  return best;
}

__attribute__((noinline)) static void zone_loop(long n) {
  for (long i = 0; i < n; i++) {
    FATHOM_ZONE("bench_zone", "bench");
    __asm__ volatile("" ::: "memory");
  }
}

static double time_zones(long n) {
  double best = 1e18;
  for (int r = 0; r < REPEATS; r++) {
    uint64_t t0 = bench_now_ns();
    zone_loop(n);
    double per = (double)(bench_now_ns() - t0) / (double)n;
    if (per < best) best = per;
  }
  return best;
}

static uint64_t zone_count(const fathom_profile *p, const char *name) {
  uint64_t c = 0;
  for (uint32_t i = 0; i < p->n_zones; i++)
    if (strcmp(p->zones[i].name, name) == 0) c += p->zones[i].stats.count;
  return c;
}

static fathom_config cfg_for(fathom_level level, int timeline) {
  fathom_config c;
  fathom_config_init(&c);
  c.level = level;
  c.timeline = timeline;
  c.max_trace_events = (uint64_t)64 << 20;
  c.ring_events = 1u << 18;
  c.governor = 0; /* the raw cost of each level: nothing thinned */
  c.monitor = 0;
  return c;
}

typedef struct tharg { long n; double ns; } tharg;
static pthread_barrier_t bar;

static void *thread_zones(void *arg) {
  tharg *a = arg;
  zone_loop(1000); /* register the thread before the clock starts */
  pthread_barrier_wait(&bar);
  uint64_t t0 = bench_now_ns();
  zone_loop(a->n);
  a->ns = (double)(bench_now_ns() - t0);
  return NULL;
}

/* zones per second with k threads each running n zones (best of 5) */
static double throughput(int k, long n) {
  double best = 0;
  for (int r = 0; r < 5; r++) {
    pthread_t th[8];
    tharg a[8];
    pthread_barrier_init(&bar, NULL, (unsigned)k);
    for (int i = 0; i < k; i++) {
      a[i].n = n;
      pthread_create(&th[i], NULL, thread_zones, &a[i]);
    }
    double worst = 0;
    for (int i = 0; i < k; i++) {
      pthread_join(th[i], NULL);
      if (a[i].ns > worst) worst = a[i].ns;
    }
    pthread_barrier_destroy(&bar);
    double tp = (double)k * (double)n / worst * 1e9;
    if (tp > best) best = tp;
  }
  return best;
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, res = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
    fclose(f);
  }
  return res * 4;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 2000000;
  fathom_profile *p = NULL;

  double pair = time_tsc_pair(n);
  bench_check(sink != 0, "tsc_pair_ns", "timer did not advance");
  bench_print("tsc_pair_ns", pair, "ns");

  double skel = time_skeleton(n);
  bench_check(skel_count == (uint64_t)n * REPEATS && skel_total > 0 && skel_depth == 0,
              "zone_skeleton_ns", "skeleton zones not all recorded");
  bench_print("zone_skeleton_ns", skel, "ns");
  bench_print("zone_skeleton_over_tsc_pair", skel / pair, "ratio");

  /* disabled: no session at all (the macro's runtime check only) */
  double dis = time_zones(n * 5);
  fathom_status st;
  bench_check(fathom_status_get(&st) == FATHOM_E_STATE, "zone_disabled_ns", "a session was active");
  bench_print("zone_disabled_ns", dis, "ns");

  fathom_config c = cfg_for(FATHOM_LEVEL_BASIC, 0);
  /* the process's first session begin: the clock's calibration and the zone cost's */
  uint64_t sb0 = bench_now_ns();
  int sb_rc = fathom_session_begin("bench_basic", &c);
  double sb_ms = (double)(bench_now_ns() - sb0) / 1e6;
  bench_check(sb_rc == 0, "session_begin_ms", "session did not begin");
  bench_print("session_begin_ms", sb_ms, "ms");
  double basic = time_zones(n);
  fathom_session_end(&p);
  bench_check(p && zone_count(p, "bench_zone") == (uint64_t)n * REPEATS, "zone_basic_ns",
              "profile does not hold every zone");
  bench_print("zone_basic_ns", basic, "ns");
  bench_print("zone_basic_over_tsc_pair", basic / pair, "ratio");
  fathom_profile_free(p);

  c = cfg_for(FATHOM_LEVEL_BASIC, 1);
  fathom_session_begin("bench_timeline", &c);
  double tl = time_zones(n);
  fathom_session_end(&p);
  if (p) {
    uint64_t got = zone_count(p, "bench_zone"), ev = p->n_events, dropped = p->meta.dropped_events;
    bench_check(got == (uint64_t)n * REPEATS, "zone_timeline_ns", "profile does not hold every zone");
    bench_check(ev + dropped == got, "zone_timeline_ns", "events + dropped != zones");
    bench_print("zone_timeline_ns", tl, "ns");
    bench_print("zone_timeline_dropped_pct", 100.0 * (double)dropped / (double)got, "%");
  } else {
    bench_check(0, "zone_timeline_ns", "no profile");
  }
  fathom_profile_free(p);

  /* DETAILED and COMPREHENSIVE at the default sampling (first 8 calls of a path, then 1 in
   * 16, probed): the mean cost per zone, probes amortised; and the special path unprobed */
  static const struct { fathom_level level; uint32_t every; const char *name; } lv[] = {
      {FATHOM_LEVEL_DETAILED, 16, "zone_detailed_ns"},
      {FATHOM_LEVEL_COMPREHENSIVE, 16, "zone_comprehensive_ns"},
      {FATHOM_LEVEL_DETAILED, 1u << 20, "zone_detailed_unprobed_ns"}};
  for (size_t k = 0; k < sizeof lv / sizeof lv[0]; k++) {
    c = cfg_for(lv[k].level, 0);
    c.sample_every = lv[k].every;
    fathom_session_begin("bench_level", &c);
    double per = time_zones(n / 4);
    fathom_session_end(&p);
    uint64_t samples = 0;
    for (uint32_t i = 0; p && i < p->n_zones; i++)
      if (strcmp(p->zones[i].name, "bench_zone") == 0) samples = p->zones[i].res.samples;
    bench_check(p && zone_count(p, "bench_zone") == (uint64_t)(n / 4) * REPEATS, lv[k].name,
                "profile does not hold every zone");
    bench_check(lv[k].every > 16 || samples >= 8, lv[k].name, "no call was probed");
    bench_print(lv[k].name, per, "ns");
    if (k == 0 && p) bench_print("probe_cost_ns", p->meta.probe_cost_ns, "ns");
    fathom_profile_free(p);
  }

  c = cfg_for(FATHOM_LEVEL_BASIC, 0);
  fathom_session_begin("bench_counter", &c);
  double best = 1e18;
  for (int r = 0; r < REPEATS; r++) {
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) FATHOM_COUNTER_ADD("bench_counter", 1);
    double per = (double)(bench_now_ns() - t0) / (double)n;
    if (per < best) best = per;
  }
  double v = 0;
  bench_check(fathom_counter_get("bench_counter", &v) == 0 && v == (double)n * REPEATS,
              "counter_ns", "counter total wrong");
  bench_print("counter_ns", best, "ns");

  /* memory growth per zone over >= 10 M zones, in place after the first calls */
  zone_loop(1000);
  fathom_status_get(&st);
  uint64_t b0 = st.fathom_bytes;
  long r0 = rss_kib();
  long big = n * 5 > 10000000 ? n * 5 : 10000000;
  zone_loop(big);
  fathom_status_get(&st);
  long r1 = rss_kib();
  fathom_session_end(&p);
  bench_check(p && zone_count(p, "bench_zone") == (uint64_t)big + 1000, "basic_bytes_per_zone",
              "profile does not hold every zone");
  fathom_profile_free(p);
  bench_print("basic_bytes_per_zone", (double)(st.fathom_bytes - b0) / (double)big, "B");
  bench_print("basic_rss_growth_kib", (double)(r1 - r0), "KiB");

  c = cfg_for(FATHOM_LEVEL_BASIC, 0);
  fathom_session_begin("bench_threads", &c);
  double t1 = throughput(1, n);
  double t2 = throughput(2, n);
  fathom_session_end(&p);
  bench_check(p != NULL, "threads2_speedup", "no profile");
  fathom_profile_free(p);
  bench_print("zones_per_s_1thread", t1 / 1e6, "M/s");
  bench_print("zones_per_s_2threads", t2 / 1e6, "M/s");
  bench_print("threads2_speedup", t2 / t1, "x");
  return bench_failed;
}
