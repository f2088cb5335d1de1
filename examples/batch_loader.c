/* batch_loader.c: which loader configuration keeps a consumer busy? A loader parses batches
 * of records (three numbers a line) from a text file; a consumer does a few hundred
 * operations on each record, about as long as parsing it. fathom_batches_run measures three
 * configurations: small batches and large batches loaded on demand, and large batches loaded
 * ahead on a thread (prefetch 2). Loaded on demand, the consumer waits for every batch;
 * loaded ahead, loading overlaps consuming and the throughput rises, up to twice on two free
 * CPUs. The report ranks them and says where the time goes.
 *
 *   batch_loader [OUT.json [--json]]   the session's profile as JSON (each load and each
 *                                      consume a zone); --json: the result as JSON too */
#include <fathom.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORDS 100000

typedef struct loader {
  FILE *f;                      /* the records */
  size_t batch;                 /* records a batch */
} loader;

static int next(fathom_batch *b, void *user) {
  loader *l = user;
  float *v = malloc(l->batch * 3 * sizeof *v);
  if (!v) return -1;
  char line[128];
  size_t n = 0;
  while (n < l->batch && fgets(line, sizeof line, l->f)) {
    char *p = line, *end;
    for (int k = 0; k < 3; k++, p = end) v[n * 3 + k] = strtof(p + (k > 0), &end);
    n++;
  }
  if (n == 0) {
    free(v);
    return ferror(l->f) ? -1 : 0;
  }
  b->data = v;
  b->items = n;
  b->bytes = n * 3 * sizeof *v;
  return 1;
}

static void release(fathom_batch *b, void *user) {
  (void)user;
  free(b->data);
}

static int rewind_loader(void *user) {
  loader *l = user;
  rewind(l->f);
  return 0;
}

static volatile double sink;

/* The "training step": a few hundred operations per record. */
static int consume(fathom_batch *b, void *user) {
  (void)user;
  const float *v = b->data;
  double acc = 0;
  for (uint64_t i = 0; i < b->items; i++) {
    double x = v[i * 3], y = v[i * 3 + 1], z = v[i * 3 + 2];
    for (int k = 0; k < 150; k++) acc += sqrt(x * x + y * y + z * z + k);
  }
  sink = acc;
  return 0;
}

int main(int argc, char **argv) {
  char path[] = "/tmp/fathom-batch-loader-XXXXXX";
  int fd = mkstemp(path);
  FILE *data = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!data) {
    perror("batch_loader: a temporary file");
    return 1;
  }
  unsigned s = 12345;
  for (int i = 0; i < RECORDS; i++) {
    s = s * 1103515245u + 12345u;
    fprintf(data, "%.6f,%.6f,%.6f\n", (s >> 8) % 100000 / 7.0, (s >> 4) % 1000 / 3.0,
            (s % 977) / 11.0);
  }
  int werr = fclose(data) != 0;
  /* each configuration reads its own stream: the rounds interleave them */
  loader small = {fopen(path, "r"), 64}, large = {fopen(path, "r"), 2048},
         ahead = {fopen(path, "r"), 2048};
  unlink(path);
  if (werr || !small.f || !large.f || !ahead.f) {
    fprintf(stderr, "batch_loader: cannot write and read back %s\n", path);
    return 1;
  }
  const fathom_loader configs[] = {
      {"batch 64", next, release, rewind_loader, &small, 0},
      {"batch 2048", next, release, rewind_loader, &large, 0},
      {"batch 2048, prefetch 2", next, release, rewind_loader, &ahead, 2},
  };
  fathom_batches_opts o = {0};
  o.batches = 40;
  o.rounds = 8;   /* 8 rounds of 5 batches: the comparisons are paired over 8 rounds */
  fathom_session_begin("batch loader", NULL);
  fathom_batches_result r;
  int rc = fathom_batches_run("loader", configs, 3, consume, NULL, &o, &r);
  if (rc) {
    fprintf(stderr, "batch_loader: %s\n", fathom_strerror(rc));
    return 1;
  }
  fathom_batches_print(stdout, &r);
  fathom_profile *p = NULL;
  fathom_session_end(&p);
  int bad = 0;
  if (argc > 1 && (!p || fathom_profile_save(p, FATHOM_FORMAT_JSON, argv[1]))) {
    fprintf(stderr, "batch_loader: cannot write %s\n", argv[1]);
    bad = 1;
  }
  if (argc > 2 && !strcmp(argv[2], "--json")) fathom_batches_write_json(stdout, &r);
  fathom_profile_free(p);
  fathom_batches_result_free(&r);
  fclose(small.f);
  fclose(large.f);
  fclose(ahead.f);
  return bad;
}
