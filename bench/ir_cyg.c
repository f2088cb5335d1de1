/* ir_cyg.c: a noinline leaf compiled with -finstrument-functions, called in a loop; bench/run.sh
 * counts its instructions under callgrind (cyg_pair_ir, cyg_idle_extra_ir). Built twice:
 * ir_cyg_fathom (linked with libfathom.a; IR_CYG_FATHOM defined) and ir_cyg_empty (linked
 * with empty_hooks.c, no fathom). Usage: ir_cyg MODE N, MODE one of
 *   idle     no session (ir_cyg_empty: the only mode it has; it accepts any)
 *   basic    a session at BASIC, governor off (every call timed), ir_cyg_fathom only
 * A third argument "rot" runs a loop calling four such leaves in turn instead
 * (cyg_pair_rotating_ir): each call then follows a call of another function, as in real
 * programs, where a caller's callees vary. Only the leaves are instrumented; main and the
 * loops are not. Self-check: the profile counts every call of each leaf (basic), and the
 * loop's result is right in every mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef IR_CYG_FATHOM
#include <fathom.h>
#endif

static volatile long sink;
static int failed;

__attribute__((noinline)) void ir_cyg_leaf(long x);
__attribute__((noinline)) void ir_cyg_leaf(long x) { sink += x; }

__attribute__((noinline)) void ir_cyg_leaf_b(long x);
__attribute__((noinline)) void ir_cyg_leaf_b(long x) { sink += x; }
__attribute__((noinline)) void ir_cyg_leaf_c(long x);
__attribute__((noinline)) void ir_cyg_leaf_c(long x) { sink += x; }
__attribute__((noinline)) void ir_cyg_leaf_d(long x);
__attribute__((noinline)) void ir_cyg_leaf_d(long x) { sink += x; }
static void (*const leaves[4])(long) = {ir_cyg_leaf, ir_cyg_leaf_b, ir_cyg_leaf_c, ir_cyg_leaf_d};

__attribute__((noinline, no_instrument_function)) void ir_loop_cyg4(long n);
__attribute__((noinline, no_instrument_function)) void ir_loop_cyg4(long n) {
  for (long i = 0; i < n; i++) leaves[i & 3](i);
}

__attribute__((noinline, no_instrument_function)) void ir_loop_cyg(long n);
__attribute__((noinline, no_instrument_function)) void ir_loop_cyg(long n) {
  for (long i = 0; i < n; i++) ir_cyg_leaf(i);
}

__attribute__((no_instrument_function)) static void check(int ok, const char *name,
                                                          const char *why) {
  if (!ok) {
    printf("BENCH-FAIL %s: %s\n", name, why);
    failed = 1;
  }
}

__attribute__((no_instrument_function)) int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: ir_cyg idle|basic N [rot]\n");
    return 2;
  }
  const char *mode = argv[1];
  long n = atol(argv[2]);
  int rot = argc > 3 && !strcmp(argv[3], "rot");
  void (*loop)(long) = rot ? ir_loop_cyg4 : ir_loop_cyg;
#ifdef IR_CYG_FATHOM
  if (!strcmp(mode, "basic")) {
    fathom_config c;
    fathom_config_init(&c);
    c.level = FATHOM_LEVEL_BASIC;
    c.governor = 0;
    c.monitor = 0;
    if (fathom_session_begin("ir_cyg", &c) != 0) {
      check(0, "cyg_pair_ir", "session did not begin");
      return 1;
    }
    loop(n);
    fathom_profile *p = NULL;
    fathom_session_end(&p);
    uint64_t count = 0, timed = 0, leaf_a = 0;
    for (uint32_t i = 0; p && i < p->n_zones; i++)
      if (!strncmp(p->zones[i].name, "ir_cyg_leaf", 11)) {
        count += p->zones[i].stats.count;
        timed += p->zones[i].stats.timed;
        if (!strcmp(p->zones[i].name, "ir_cyg_leaf")) leaf_a = p->zones[i].stats.count;
      }
    check(p && count == (uint64_t)n && leaf_a == (uint64_t)(rot ? (n + 3) / 4 : n), "cyg_pair_ir",
          "profile does not hold every call");
    check(p && (timed == 0 || timed == (uint64_t)n), "cyg_pair_ir",
          "governor off, yet not every call was timed");
    if (p) printf("# ir_cyg: clock %s, %llu calls, %llu timed\n", p->meta.clock_source,
                  (unsigned long long)count, (unsigned long long)timed);
    fathom_profile_free(p);
  } else if (!strcmp(mode, "idle")) {
    loop(n);
    fathom_status st;
    check(fathom_status_get(&st) == FATHOM_E_STATE, "cyg_idle_extra_ir", "a session was active");
  } else {
    fprintf(stderr, "ir_cyg: unknown mode %s\n", mode);
    return 2;
  }
#else
  (void)mode;
  loop(n);
#endif
  check(sink == n * (n - 1) / 2, "ir_cyg", "the loop's result is wrong");
  return failed;
}
