/* pipeline_work.h: a small but real multi-threaded data pipeline, instrumented with fathom:
 * a loader thread parses text records, a preprocess thread normalises them, two compute
 * threads run a dense layer over each record; bounded queues connect the stages.
 *
 * Invariant: the result (a checksum of every output) depends only on the record count, so
 * runs with and without fathom (FATHOM_DISABLE) can be checked against each other. */
#ifndef PIPELINE_WORK_H
#define PIPELINE_WORK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setname_np */
#endif

#include <fathom.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PW_DIM 48
#define PW_BATCH 64
#define PW_QCAP 16
#define PW_COMPUTE_THREADS 2
#define PW_LOAD_THREADS 2

typedef struct pw_batch {
  int n;
  float x[PW_BATCH][PW_DIM];
} pw_batch;

typedef struct pw_queue {
  pthread_mutex_t mu;
  pthread_cond_t not_empty, not_full;
  pw_batch *items[PW_QCAP];
  int head, count, closed;
} pw_queue;

typedef struct pw_run {
  long n_records;
  long next_batch;      /* claimed atomically by loaders */
  int loaders_left;
  pw_queue q_raw, q_ready;
  float w[PW_DIM][PW_DIM];
  pthread_mutex_t sum_mu;
  double checksum;
} pw_run;

static void pw_queue_init(pw_queue *q) {
  memset(q, 0, sizeof *q);
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->not_empty, NULL);
  pthread_cond_init(&q->not_full, NULL);
}

static void pw_queue_push(pw_queue *q, pw_batch *b) {
  FATHOM_ZONE("queue_push", "sync");
  pthread_mutex_lock(&q->mu);
  while (q->count == PW_QCAP) pthread_cond_wait(&q->not_full, &q->mu);
  q->items[(q->head + q->count) % PW_QCAP] = b;
  q->count++;
  FATHOM_GAUGE_SET("queue_depth", q->count);
  pthread_cond_signal(&q->not_empty);
  pthread_mutex_unlock(&q->mu);
}

/* NULL once the queue is closed and empty. */
static pw_batch *pw_queue_pop(pw_queue *q) {
  FATHOM_ZONE("queue_pop", "sync");
  pthread_mutex_lock(&q->mu);
  while (q->count == 0 && !q->closed) pthread_cond_wait(&q->not_empty, &q->mu);
  pw_batch *b = NULL;
  if (q->count) {
    b = q->items[q->head];
    q->head = (q->head + 1) % PW_QCAP;
    q->count--;
    pthread_cond_signal(&q->not_full);
  }
  pthread_mutex_unlock(&q->mu);
  return b;
}

static void pw_queue_close(pw_queue *q) {
  pthread_mutex_lock(&q->mu);
  q->closed = 1;
  pthread_cond_broadcast(&q->not_empty);
  pthread_mutex_unlock(&q->mu);
}

/* Formats record i as a text line: the raw input of the "load" stage. */
static int pw_format_record(long i, char *line, size_t cap) {
  FATHOM_ZONE("format_record", "data");
  int k = 0;
  uint32_t s = (uint32_t)i * 2654435761u + 12345u;
  for (int d = 0; d < PW_DIM; d++) {
    s = s * 1664525u + 1013904223u;
    k += snprintf(line + k, cap - (size_t)k, "%d.%02u,", (int)(s >> 24) - 128, (s >> 8) % 100);
  }
  return k;
}

/* Parses a text line back into PW_DIM floats. */
static void pw_parse_record(const char *line, float *out) {
  FATHOM_ZONE("parse_record", "data");
  char *p = (char *)(uintptr_t)line;
  for (int d = 0; d < PW_DIM; d++) out[d] = strtof(p, &p), p++;
}

static void *pw_loader(void *arg) {
  pw_run *r = arg;
  pthread_setname_np(pthread_self(), "loader");
  FATHOM_ZONE("loader", "data");
  for (;;) {
    long first = __atomic_fetch_add(&r->next_batch, 1, __ATOMIC_RELAXED) * PW_BATCH;
    if (first >= r->n_records) break;
    pw_batch *b = malloc(sizeof *b);
    {
      FATHOM_ZONE("load_batch", "data");
      b->n = 0;
      char line[PW_DIM * 12];
      for (long i = first; b->n < PW_BATCH && i < r->n_records; i++) {
        pw_format_record(i, line, sizeof line);
        pw_parse_record(line, b->x[b->n++]);
      }
      FATHOM_RECORD_SIZE("batch_bytes", sizeof *b);
      FATHOM_COUNTER_ADD("records_loaded", b->n);
    }
    pw_queue_push(&r->q_raw, b);
  }
  if (__atomic_sub_fetch(&r->loaders_left, 1, __ATOMIC_ACQ_REL) == 0) pw_queue_close(&r->q_raw);
  return NULL;
}

static void pw_normalize(float *x) {
  FATHOM_ZONE("normalize", "preprocess");
  double mean = 0, var = 0;
  for (int d = 0; d < PW_DIM; d++) mean += x[d];
  mean /= PW_DIM;
  for (int d = 0; d < PW_DIM; d++) var += (x[d] - mean) * (x[d] - mean);
  float inv = (float)(1.0 / sqrt(var / PW_DIM + 1e-6));
  for (int d = 0; d < PW_DIM; d++) x[d] = (float)(x[d] - mean) * inv;
}

static void *pw_preprocess(void *arg) {
  pw_run *r = arg;
  pthread_setname_np(pthread_self(), "preprocess");
  FATHOM_ZONE("preprocessor", "preprocess");
  pw_batch *b;
  while ((b = pw_queue_pop(&r->q_raw))) {
    {
      FATHOM_ZONE("preprocess_batch", "preprocess");
      for (int j = 0; j < b->n; j++) pw_normalize(b->x[j]);
    }
    pw_queue_push(&r->q_ready, b);
  }
  pw_queue_close(&r->q_ready);
  return NULL;
}

static double pw_dense(const pw_run *r, const float *x) {
  FATHOM_ZONE("dense_layer", "compute");
  double s = 0;
  for (int o = 0; o < PW_DIM; o++) {
    float acc = 0;
    for (int d = 0; d < PW_DIM; d++) acc += r->w[o][d] * x[d];
    s += acc > 0 ? acc : 0.01f * acc; /* leaky ReLU */
  }
  FATHOM_FLOPS(2.0 * PW_DIM * PW_DIM + PW_DIM); /* multiply-adds, then the activation */
  return s;
}

static void *pw_compute(void *arg) {
  pw_run *r = arg;
  pthread_setname_np(pthread_self(), "compute");
  FATHOM_ZONE("compute_worker", "compute");
  pw_batch *b;
  double local = 0;
  while ((b = pw_queue_pop(&r->q_ready))) {
    FATHOM_ZONE("compute_batch", "compute");
    for (int j = 0; j < b->n; j++) local += pw_dense(r, b->x[j]);
    FATHOM_COUNTER_ADD("records_done", b->n);
    free(b);
  }
  pthread_mutex_lock(&r->sum_mu);
  r->checksum += local;
  pthread_mutex_unlock(&r->sum_mu);
  return NULL;
}

/* Runs the whole pipeline over n records; returns the checksum. */
static double pw_run_pipeline(long n_records) {
  pw_run *r = calloc(1, sizeof *r);
  r->n_records = n_records;
  r->loaders_left = PW_LOAD_THREADS;
  pw_queue_init(&r->q_raw);
  pw_queue_init(&r->q_ready);
  pthread_mutex_init(&r->sum_mu, NULL);
  for (int o = 0; o < PW_DIM; o++)
    for (int d = 0; d < PW_DIM; d++) r->w[o][d] = (float)((o * 31 + d * 17) % 13 - 6) / 8.0f;
  pthread_t load[PW_LOAD_THREADS], pre, comp[PW_COMPUTE_THREADS];
  {
    FATHOM_ZONE("run_pipeline", "pipeline");
    for (int i = 0; i < PW_LOAD_THREADS; i++) pthread_create(&load[i], NULL, pw_loader, r);
    pthread_create(&pre, NULL, pw_preprocess, r);
    for (int i = 0; i < PW_COMPUTE_THREADS; i++) pthread_create(&comp[i], NULL, pw_compute, r);
    for (int i = 0; i < PW_LOAD_THREADS; i++) pthread_join(load[i], NULL);
    pthread_join(pre, NULL);
    for (int i = 0; i < PW_COMPUTE_THREADS; i++) pthread_join(comp[i], NULL);
  }
  double c = r->checksum;
  pthread_mutex_destroy(&r->sum_mu);
  free(r);
  return c;
}

#endif
