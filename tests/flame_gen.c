/* flame_gen.c: records real profiling sessions and writes them as fathom JSON, folded stacks
 * and speedscope JSON, for test_flame_real.sh to check against speedscope's own importer.
 * Not a ctest itself.
 *
 * Invariant: every figure the test compares comes from the same recorded model: the JSON
 * profile is the reference, the two flame views are what is checked against it.
 *
 * The workload: three named threads, nesting four deep, a recursive zone, a zone name used by
 * two components, and hostile names (';', newline, tab, quotes, backslash, invalid UTF-8,
 * an empty name, a name ending in digits, HTML and JSON look-alikes).
 *
 * usage: flame_gen tree|timeline OUTDIR   (writes OUTDIR/<mode>.{json,folded,speedscope.json}) */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fathom.h"

static _Thread_local volatile uint64_t sink; /* per thread: several threads spin */

static void spin_us(unsigned us) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  do {
    for (int i = 0; i < 200; i++) sink += (uint64_t)i * 7u;
    clock_gettime(CLOCK_MONOTONIC, &b);
  } while ((uint64_t)(b.tv_sec - a.tv_sec) * 1000000000u + (uint64_t)(b.tv_nsec - a.tv_nsec) <
           us * 1000u);
}

static void zone(const char *name, const char *comp, unsigned us) {
  fathom_zone z = fathom_zone_begin(name, comp);
  spin_us(us);
  fathom_zone_end(z);
}

static void rec(int n) {
  fathom_zone z = fathom_zone_begin("recurse", "algo");
  spin_us(20);
  if (n > 0) rec(n - 1);
  fathom_zone_end(z);
}

static const char *const hostile[] = {
    "semi;colon;name", "new\nline", "tab\there", "quote\"and\\backslash", "bad\xff\xfeutf8",
    "", "ends with 123", "</script><b>x</b>", "{\"json\":[1,2]}", "d\xc3\xa9j\xc3\xa0 vu",
};

static void work(int heavy) {
  fathom_zone top = fathom_zone_begin("step", "app");
  spin_us(30);
  fathom_zone load = fathom_zone_begin("load", "data");
  zone("parse", "data", 40);
  zone("dup", "data", 15);
  fathom_zone_end(load);
  fathom_zone comp = fathom_zone_begin("compute", "math");
  rec(heavy ? 4 : 2);
  zone("dup", "math", 25);
  for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) zone(hostile[i], "odd", 10);
  fathom_zone_end(comp);
  fathom_zone_end(top);
}

static void *thread_main(void *arg) {
  const char *name = arg;
  pthread_setname_np(pthread_self(), name);
  for (int i = 0; i < 5; i++) work(name[0] == 'a');
  zone("idle", "app", 50);   /* a top-level zone of its own */
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "tree") && strcmp(argv[1], "timeline"))) {
    fprintf(stderr, "usage: flame_gen tree|timeline OUTDIR\n");
    return 2;
  }
  fathom_config c;
  fathom_config_init(&c);
  c.timeline = strcmp(argv[1], "timeline") == 0;
  c.monitor = 0;
  if (fathom_session_begin("flame", &c)) return 1;
  pthread_setname_np(pthread_self(), "flame-main");
  pthread_t t[2];
  static char n0[] = "alpha", n1[] = "beta";
  if (pthread_create(&t[0], NULL, thread_main, n0) || pthread_create(&t[1], NULL, thread_main, n1))
    return 1;
  for (int i = 0; i < 3; i++) work(1);
  pthread_join(t[0], NULL);
  pthread_join(t[1], NULL);
  fathom_profile *p = NULL;
  if (fathom_session_end(&p) || !p) return 1;
  static const struct { const char *ext; fathom_format fmt; } outs[] = {
      {"json", FATHOM_FORMAT_JSON}, {"folded", FATHOM_FORMAT_FOLDED},
      {"speedscope.json", FATHOM_FORMAT_SPEEDSCOPE}};
  int rc = 0;
  for (size_t i = 0; i < 3; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", argv[2], argv[1], outs[i].ext);
    int r = fathom_profile_save(p, outs[i].fmt, path);
    if (r) {
      fprintf(stderr, "flame_gen: %s: %s\n", path, fathom_strerror(r));
      rc = 1;
    }
  }
  fathom_profile_free(p);
  return rc;
}
