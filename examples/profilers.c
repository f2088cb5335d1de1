/* profilers.c: one named profiler per implementation. Two word counters — a hash table and a
 * sorted array searched by bisection — count the same text, each under a profiler of its
 * own ("hash" and "sorted"); a shared tokenizer runs under neither. Each profiler's report
 * shows only its own zones; after a warm-up round each is reset, so the reports cover the
 * measured rounds only, while the session's profile (argv[1]) keeps every call.
 *
 * Build: make examples; run: build/profilers [OUT.json] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"

#define WORDS 40000
#define VOCAB 3000

static char text[WORDS][12];

static void make_text(void) {
  unsigned s = 12345;
  for (int i = 0; i < WORDS; i++) {
    s = s * 1103515245u + 12345u;
    unsigned w = (s >> 8) % VOCAB;
    snprintf(text[i], sizeof text[i], "w%u", w * 7919u % 100000u);
  }
}

/* ---- hash table ---- */
typedef struct hent { const char *w; int n; } hent;
static hent htab[8192];
static unsigned hash(const char *s) {
  unsigned h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}
static int count_hash(fathom_profiler *p) {
  FATHOM_PROFILER_ZONE(p, "count");
  memset(htab, 0, sizeof htab);
  int distinct = 0;
  for (int i = 0; i < WORDS; i++) {
    unsigned k = hash(text[i]) & 8191u;
    while (htab[k].w && strcmp(htab[k].w, text[i])) k = (k + 1) & 8191u;
    if (!htab[k].w) htab[k].w = text[i], distinct++;
    htab[k].n++;
  }
  return distinct;
}

/* ---- sorted array (insertion keeps it sorted) ---- */
static hent arr[VOCAB + 1];
static int count_sorted(fathom_profiler *p) {
  FATHOM_PROFILER_ZONE(p, "count");
  int n = 0;
  for (int i = 0; i < WORDS; i++) {
    int lo = 0, hi = n;
    {
      while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (strcmp(arr[mid].w, text[i]) < 0) lo = mid + 1; else hi = mid;
      }
    }
    if (lo < n && !strcmp(arr[lo].w, text[i])) {
      arr[lo].n++;
      continue;
    }
    FATHOM_PROFILER_ZONE(p, "insert");
    memmove(arr + lo + 1, arr + lo, (size_t)(n - lo) * sizeof *arr);
    arr[lo].w = text[i];
    arr[lo].n = 1;
    n++;
  }
  return n;
}

int main(int argc, char **argv) {
  fathom_config cfg;
  fathom_config_init(&cfg);
  cfg.out_path = argc > 1 ? argv[1] : NULL;
  if (fathom_session_begin("profilers", &cfg)) return 1;
  fathom_profiler *ph = fathom_profiler_get("hash"), *ps = fathom_profiler_get("sorted");
  if (!ph || !ps) return 1;
  int dh = 0, ds = 0;
  for (int round = 0; round < 6; round++) {
    {
      FATHOM_ZONE("tokenize", NULL);
      make_text();
    }
    dh = count_hash(ph);
    ds = count_sorted(ps);
    if (round == 0) { /* the first round warms the caches: leave it out of both reports */
      fathom_profiler_reset(ph);
      fathom_profiler_reset(ps);
    }
  }
  if (dh != ds) {
    fprintf(stderr, "profilers: the counters disagree (%d, %d distinct words)\n", dh, ds);
    return 1;
  }
  printf("%d distinct words; each profiler's report covers rounds 2-6:\n\n", dh);
  fathom_stats h, s;
  if (fathom_profiler_stats(ph, "count", &h) || fathom_profiler_stats(ps, "count", &s)) return 1;
  printf("hash: %llu counts, mean %.3f ms; sorted: %llu counts, mean %.3f ms\n\n",
         (unsigned long long)h.count, h.mean_ns / 1e6, (unsigned long long)s.count,
         s.mean_ns / 1e6);
  if (fathom_profiler_write(ph, FATHOM_FORMAT_TEXT, stdout)) return 1;
  if (fathom_profiler_write(ps, FATHOM_FORMAT_TEXT, stdout)) return 1;
  return fathom_session_end(NULL) ? 1 : 0;
}
