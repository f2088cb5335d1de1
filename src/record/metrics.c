/* metrics.c: counters (add), gauges (set) and recorded sizes, thread-safe without shared
 * writes: each thread updates its own shard; readers sum shards.
 *
 * Invariant: a metric name has one kind for the life of the process (first use decides);
 * using it as another kind is refused (FATHOM_E_INVAL, counted as misuse). At most
 * FZ_MAX_METRICS names; more are refused with FATHOM_E_LIMIT. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "record/timeline.h"

#define FZ_MAX_METRICS 4096
#define SHARD_CHUNK 64

typedef struct fz_mval {
  uint64_t n;
  int64_t isum;          /* counters: exact sum */
  uint64_t sum_bits, min_bits, max_bits, last_bits; /* doubles */
  uint64_t last_ticks;
} fz_mval;

struct fz_mshard {
  fz_mval *chunk[FZ_MAX_METRICS / SHARD_CHUNK];
};

typedef struct mdef {
  const char *name;
  fathom_metric_kind kind;
} mdef;
static mdef defs[FZ_MAX_METRICS];
static uint32_t n_defs;


/* Caller holds the lock. Returns id or a negative code. */
static int find_or_add(const char *name, fathom_metric_kind kind) {
  for (uint32_t i = 0; i < n_defs; i++)
    if (strcmp(defs[i].name, name) == 0) return defs[i].kind == kind ? (int)i : FATHOM_E_INVAL;
  if (n_defs == FZ_MAX_METRICS) return FATHOM_E_LIMIT;
  extern const char *fz_intern_locked(const char *s);
  const char *in = fz_intern_locked(name);
  if (!in) return FATHOM_E_NOMEM;
  defs[n_defs] = (mdef){in, kind};
  return (int)n_defs++;
}

typedef struct mcache { const char *ptr; int id; fathom_metric_kind kind; } mcache;
static __thread mcache mc[64]; /* default TLS model: 1.5 KB would strain static TLS on dlopen */

static int metric_id(const char *name, fathom_metric_kind kind) {
  mcache *c = &mc[((uintptr_t)name >> 3) % 64];
  if (c->ptr == name && c->kind == kind && strcmp(defs[c->id].name, name) == 0) return c->id;
  fz_glock();
  int id = find_or_add(name, kind);
  fz_gunlock();
  if (id >= 0) *c = (mcache){name, id, kind};
  return id;
}

static fz_mval *shard_val(fz_thread *t, int id) {
  if (!t->mshard) {
    fz_alloc_pause();
    fz_mshard *ms = calloc(1, sizeof *ms);
    fz_alloc_resume();
    if (!ms) return NULL;
    FZ_STR(t->mshard, ms);
    FZ_ST(t->bytes, t->bytes + sizeof *ms);
  }
  fz_mval **ch = &t->mshard->chunk[id / SHARD_CHUNK];
  if (!*ch) {
    fz_alloc_pause();
    fz_mval *c = calloc(SHARD_CHUNK, sizeof **ch);
    fz_alloc_resume();
    if (!c) return NULL;
    FZ_STR(*ch, c);
    FZ_ST(t->bytes, t->bytes + SHARD_CHUNK * sizeof **ch);
  }
  return &(*ch)[id % SHARD_CHUNK];
}

void fz_mshard_reset(fz_thread *t) {
  if (!t->mshard) return;
  for (int i = 0; i < FZ_MAX_METRICS / SHARD_CHUNK; i++)
    if (t->mshard->chunk[i]) memset(t->mshard->chunk[i], 0, SHARD_CHUNK * sizeof(fz_mval));
}

void fz_mshard_free(fz_thread *t) {
  if (!t->mshard) return;
  for (int i = 0; i < FZ_MAX_METRICS / SHARD_CHUNK; i++) free(t->mshard->chunk[i]);
  free(t->mshard);
  t->mshard = NULL;
}

static int update(const char *name, fathom_metric_kind kind, int64_t ival, double v) {
  uint32_t g = FZ_LD(fz_rec_gen);
  if (!g) return FATHOM_E_STATE;
  int saved = errno;
  fz_thread *t = fz_thread_get_fast();
  if (!t) return FATHOM_E_NOMEM;
  if (!name || !*name) {
    FZ_ST(t->misuse, t->misuse + 1);
    name = name ? "(empty)" : "(null)";
  }
  int id = metric_id(name, kind);
  if (id < 0) {
    FZ_ST(t->misuse, t->misuse + 1);
    errno = saved;
    return id;
  }
  fz_mval *m = shard_val(t, id);
  errno = saved;
  if (!m) return FATHOM_E_NOMEM;
  /* gauges and sizes keep the last value across threads by time; counters only need a time
   * for the timeline */
  uint64_t now = kind != FATHOM_METRIC_COUNTER || t->ring ? fz_ticks() : 0;
  double sum = fz_bits_d(m->sum_bits) + v;
  if (m->n == 0 || v < fz_bits_d(m->min_bits)) FZ_ST(m->min_bits, fz_d_bits(v));
  if (m->n == 0 || v > fz_bits_d(m->max_bits)) FZ_ST(m->max_bits, fz_d_bits(v));
  FZ_ST(m->isum, m->isum + ival);
  FZ_ST(m->sum_bits, fz_d_bits(sum));
  FZ_ST(m->last_bits, fz_d_bits(v));
  FZ_ST(m->last_ticks, now);
  FZ_ST(m->n, m->n + 1);
  if (t->ring) fz_ring_push_counter(t, (uint32_t)id, now, kind == FATHOM_METRIC_COUNTER ? (double)m->isum : v);
  return 0;
}

FATHOM_EXTERN int fathom_counter_add(const char *name, int64_t delta) {
  return update(name, FATHOM_METRIC_COUNTER, delta, (double)delta);
}
FATHOM_EXTERN int fathom_gauge_set(const char *name, double value) {
  return update(name, FATHOM_METRIC_GAUGE, 0, value);
}
FATHOM_EXTERN int fathom_record_size(const char *name, uint64_t bytes) {
  return update(name, FATHOM_METRIC_SIZE, (int64_t)bytes, (double)bytes);
}

/* Caller holds the lock. Sums shards of threads of generation g into out (n_defs entries,
 * zeroed by the caller; names not set). Returns the number of metrics defined. */
uint32_t fz_metrics_collect(uint32_t g, fathom_counter_info *out, uint32_t cap) {
  uint32_t n = n_defs < cap ? n_defs : cap;
  uint64_t *last_t = calloc(n ? n : 1, sizeof *last_t);
  if (!last_t) return 0;
  for (uint32_t i = 0; i < n; i++) out[i].kind = defs[i].kind;
  for (fz_thread *t = fz_g.threads; t; t = t->next) {
    fz_mshard *ms = FZ_LDA(t->mshard);
    if (FZ_LD(t->gen) != g || !ms) continue;
    for (uint32_t i = 0; i < n; i++) {
      fz_mval *ch = FZ_LDA(ms->chunk[i / SHARD_CHUNK]);
      if (!ch) continue;
      fz_mval *m = &ch[i % SHARD_CHUNK];
      uint64_t cnt = FZ_LD(m->n);
      if (!cnt) continue;
      fathom_counter_info *o = &out[i];
      double mn = fz_bits_d(FZ_LD(m->min_bits)), mx = fz_bits_d(FZ_LD(m->max_bits));
      if (o->n_updates == 0 || mn < o->min) o->min = mn;
      if (o->n_updates == 0 || mx > o->max) o->max = mx;
      o->n_updates += cnt;
      if (defs[i].kind == FATHOM_METRIC_COUNTER)
        o->total += (double)FZ_LD(m->isum);
      else
        o->total += fz_bits_d(FZ_LD(m->sum_bits));
      uint64_t lt = FZ_LD(m->last_ticks);
      if (lt >= last_t[i]) {
        last_t[i] = lt;
        o->value = fz_bits_d(FZ_LD(m->last_bits));
      }
    }
  }
  for (uint32_t i = 0; i < n; i++)
    if (defs[i].kind == FATHOM_METRIC_COUNTER) out[i].value = out[i].total;
  free(last_t);
  return n;
}

uint32_t fz_metrics_count(void) { return n_defs; }
const char *fz_metric_name(uint32_t id) { return id < n_defs ? defs[id].name : "?"; }
