/* variants.c: which growth strategy for a dynamic array is fastest? Three strategies append
 * the same 20,000 integers to an array that grows by copying into a new block when full (no
 * realloc, so each growth's copy is paid): by 16 elements, by half, by doubling.
 * fathom_variants_rank runs them interleaved until their ranking is settled and prints it,
 * with the memory of each run: linked with libfathom.so and allocation tracking asked, it
 * also shows the bytes each strategy allocates per run (growing by 16 copies, and allocates,
 * quadratically) and its peak. The session's profile has each strategy as a zone and the
 * ranking in its rankings table.
 *
 *   variants_example [OUT.json]     the session's profile too, as JSON (fathom report shows
 *                                   the ranking in its Variants section; fathom check reads it) */
#include <fathom.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 20000

typedef struct strategy {
  int add;          /* grow by this many elements, or */
  double factor;    /* by this factor (when add is 0) */
} strategy;

static volatile int sink;

static void append_all(void *user) {
  const strategy *s = user;
  size_t cap = 16, n = 0;
  int *a = malloc(cap * sizeof *a);
  if (!a) abort();
  for (int i = 0; i < N; i++) {
    if (n == cap) {
      size_t nc = s->add ? cap + (size_t)s->add : (size_t)((double)cap * s->factor);
      int *b = malloc(nc * sizeof *b);
      if (!b) abort();
      memcpy(b, a, n * sizeof *a);
      free(a);
      a = b;
      cap = nc;
    }
    a[n++] = i;
  }
  sink = a[n - 1];
  free(a);
}

int main(int argc, char **argv) {
  static strategy add16 = {16, 0}, half = {0, 1.5}, twice = {0, 2};
  const fathom_variant v[] = {{"grow by 16", append_all, &add16},
                              {"grow by half", append_all, &half},
                              {"double", append_all, &twice}};
  fathom_config c;
  fathom_config_init(&c);
  c.alloc_track = 1;   /* bytes allocated and peak per run (needs libfathom.so's hooks) */
  fathom_session_begin("growth strategies", &c);
  fathom_variants_result r;
  int rc = fathom_variants_rank("growth", v, 3, NULL, &r);
  if (rc) {
    fprintf(stderr, "variants_example: %s\n", fathom_strerror(rc));
    return 1;
  }
  fathom_variants_print(stdout, &r);
  fathom_variants_result_free(&r);
  fathom_profile *p = NULL;
  fathom_session_end(&p);
  if (argc > 1 && (!p || fathom_profile_save(p, FATHOM_FORMAT_JSON, argv[1]))) {
    fprintf(stderr, "variants_example: cannot write %s\n", argv[1]);
    fathom_profile_free(p);
    return 1;
  }
  fathom_profile_free(p);
  return 0;
}
