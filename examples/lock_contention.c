/* lock_contention.c: a worker pool that fights over one lock, and the same work with the
 * lock split. Four threads each add 400 items into a shared hash table; each insertion
 * computes its item's value (the slow part) while holding the lock. Phase "one_lock" guards
 * the whole table with one mutex, so the threads mostly wait; phase "striped" computes the
 * value before taking the lock and guards each of 16 buckets with its own mutex, so they
 * rarely do. The session's text report shows both locks, the zones that waited and held
 * them, and a lock_contention finding for the first.
 *
 *   lock_contention [OUT.json]     the session's profile as JSON too (its locks) */
#include <fathom.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 4
#define ITEMS 400
#define STRIPES 16

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stripe_lock[STRIPES];
static double table[STRIPES];
static pthread_barrier_t start;   /* the workers begin together */

/* The slow part: what an item is worth (some 30 us of arithmetic). */
static double value_of(int item) {
  double v = 0;
  for (int k = 0; k < 30000; k++) v += (double)((item * 31 + k) % 97) * 1e-3;
  return v;
}

static void *one_lock(void *arg) {
  int id = (int)(size_t)arg;
  pthread_barrier_wait(&start);
  FATHOM_ZONE("one_lock_worker", "pool");
  for (int i = 0; i < ITEMS; i++) {
    int item = id * ITEMS + i;
    FATHOM_ZONE("insert_locked", "pool");
    fathom_mutex_lock(&table_lock, "table");
    table[item % STRIPES] += value_of(item);   /* computed inside the critical section */
    fathom_mutex_unlock(&table_lock);
  }
  return NULL;
}

static void *striped(void *arg) {
  int id = (int)(size_t)arg;
  pthread_barrier_wait(&start);
  FATHOM_ZONE("striped_worker", "pool");
  for (int i = 0; i < ITEMS; i++) {
    int item = id * ITEMS + i;
    FATHOM_ZONE("insert_striped", "pool");
    double v = value_of(item);                  /* computed before taking the lock */
    int s = item % STRIPES;
    fathom_mutex_lock(&stripe_lock[s], "stripes");
    table[s] += v;
    fathom_mutex_unlock(&stripe_lock[s]);
  }
  return NULL;
}

static int run(void *(*fn)(void *)) {
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++)
    if (pthread_create(&t[i], NULL, fn, (void *)(size_t)i)) return -1;
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  return 0;
}

int main(int argc, char **argv) {
  for (int s = 0; s < STRIPES; s++) pthread_mutex_init(&stripe_lock[s], NULL);
  pthread_barrier_init(&start, NULL, THREADS);
  fathom_session_begin("lock_contention", NULL);
  if (run(one_lock) || run(striped)) {
    fprintf(stderr, "lock_contention: cannot start the worker threads\n");
    return 1;
  }
  fathom_profile *p = NULL;
  fathom_session_end(&p);
  if (!p) return 1;
  fathom_profile_write(p, FATHOM_FORMAT_TEXT, stdout, 0);
  int bad = argc > 1 && fathom_profile_save(p, FATHOM_FORMAT_JSON, argv[1]);
  if (bad) fprintf(stderr, "lock_contention: cannot write %s\n", argv[1]);
  fathom_profile_free(p);
  double sum = 0;
  for (int s = 0; s < STRIPES; s++) sum += table[s];
  printf("table sum %.3f\n", sum);
  return bad;
}
