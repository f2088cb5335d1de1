/* tput.c: windowed throughput. A background task (util/sched.h) samples, every period, each zone's
 * call count (all threads and paths) and each counter's value into a ring of timestamps and
 * one row of values per series; fathom_throughput answers "ops/s over the last N seconds"
 * from a fresh reading and the ring, and fz_tput_fill fills the model at session end.
 *
 * Invariant: every series value is a cumulative figure since the session began (or the last
 * fathom_reset), so any two readings give the ops between them. A series created at reading
 * k gets 0 for the earlier samples: it was created because a reading first saw it, so it did
 * not exist, or had no update, at those times. Memory: FZ_TPUT_MAX_SERIES rows of at most
 * FZ_TPUT_MAX_SLOTS values, plus a map from site id to series (one word per site).
 *
 * How it works: the period is window / 60 (at least 100 ms, the background tick), so the
 * ring of 62 samples always holds one sample at least `window` before the newest. The
 * reference for a window ending at t is the newest sample at or before t - window; the
 * session's start, (0 s, 0), is the implicit oldest sample until the ring wraps. Readings
 * walk the threads' call trees under fz_g.lock with relaxed/acquire loads, exactly as
 * snapshot.c does (owners keep recording: a count may lag by a call). Lock order: T.lock,
 * then fz_g.lock; neither is held while waiting for anything else. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/sched.h"
#include "record/record.h"
#include "record/tput.h"

#define MAP_UNSEEN UINT32_MAX
#define MAP_UNTRACKED (UINT32_MAX - 1)
#define REF_START UINT32_MAX       /* the session's start as the reference sample */
#define REF_NONE (UINT32_MAX - 1)

typedef struct series {
  fathom_tput_kind kind;
  char *name, *component;   /* component: zones only */
  double peak;              /* highest rate over a full window at a sample, NaN before */
  double *v;                /* n_slots cumulative values, parallel to T.ts */
} series;

static struct {
  pthread_mutex_t lock;
  int armed, oom;
  uint32_t gen;                       /* generation the ring holds */
  uint64_t start_mono;                /* its start (CLOCK_MONOTONIC ns) */
  uint64_t window_ns, period_ns, next_rel;
  uint32_t n_slots, head, n_samples;
  uint64_t total_samples;
  uint64_t ts[FZ_TPUT_MAX_SLOTS];     /* ns since the start */
  series s[FZ_TPUT_MAX_SERIES];
  uint32_t n_series;
  uint64_t dropped;
  uint32_t *site_map, n_site_map;     /* site id -> series / MAP_* */
  uint32_t *metric_map, n_metric_map; /* metric id -> series / MAP_* */
  double cur[FZ_TPUT_MAX_SERIES];     /* the latest reading */
} T = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- series ---------------------------------------------------------------------------- */

/* A new series (values 0 at every sample held). MAP_UNTRACKED at the cap or on NOMEM. */
static uint32_t series_new(fathom_tput_kind kind, const char *name, const char *component) {
  if (T.n_series == FZ_TPUT_MAX_SERIES) {
    T.dropped++;
    return MAP_UNTRACKED;
  }
  series *s = &T.s[T.n_series];
  s->kind = kind;
  s->name = strdup(name ? name : "");
  s->component = component ? strdup(component) : NULL;
  s->v = calloc(T.n_slots, sizeof *s->v);
  s->peak = NAN;
  if (!s->name || (component && !s->component) || !s->v) {
    free(s->name);
    free(s->component);
    free(s->v);
    memset(s, 0, sizeof *s);
    T.dropped++;
    return MAP_UNTRACKED;
  }
  T.cur[T.n_series] = 0;
  return T.n_series++;
}

static uint32_t series_find(fathom_tput_kind kind, const char *name, const char *component) {
  for (uint32_t i = 0; i < T.n_series; i++)
    if (T.s[i].kind == kind && strcmp(T.s[i].name, name) == 0 &&
        (kind == FATHOM_TPUT_COUNTER || strcmp(T.s[i].component, component) == 0))
      return i;
  return MAP_UNSEEN;
}

static void series_free_all(void) {
  for (uint32_t i = 0; i < T.n_series; i++) {
    free(T.s[i].name);
    free(T.s[i].component);
    free(T.s[i].v);
  }
  memset(T.s, 0, sizeof T.s);
  T.n_series = 0;
  T.dropped = 0;
  free(T.site_map);
  free(T.metric_map);
  T.site_map = T.metric_map = NULL;
  T.n_site_map = T.n_metric_map = 0;
}

/* Grows a map to n entries (new ones MAP_UNSEEN). 0 or -1. */
static int map_grow(uint32_t **map, uint32_t *cap, uint32_t n) {
  if (n <= *cap) return 0;
  uint32_t *m = realloc(*map, n * sizeof *m);
  if (!m) return -1;
  for (uint32_t i = *cap; i < n; i++) m[i] = MAP_UNSEEN;
  *map = m;
  *cap = n;
  return 0;
}

/* The figure a counter's throughput counts: counter units, bytes recorded, gauge updates. */
static double counter_figure(const fathom_counter_info *c) {
  return c->kind == FATHOM_METRIC_GAUGE ? (double)c->n_updates : c->total;
}

/* ---- readings --------------------------------------------------------------------------- */

static void ring_clear(void) {
  T.n_samples = T.head = 0;
  T.total_samples = 0;
  T.next_rel = T.period_ns;
  for (uint32_t i = 0; i < T.n_series; i++) T.s[i].peak = NAN;
}

typedef struct query { const char *name; int untracked; } query;

static void visit(const fz_node *n, query *q) {
  const fathom_site *site = n->site;
  if (!site) return;
  uint32_t id = site->id_, k = id < T.n_site_map ? T.site_map[id] : MAP_UNTRACKED;
  if (k == MAP_UNSEEN) {
    k = series_find(FATHOM_TPUT_ZONE, site->name, site->component);
    if (k == MAP_UNSEEN) k = series_new(FATHOM_TPUT_ZONE, site->name, site->component);
    T.site_map[id] = k;
  }
  uint64_t c = FZ_LD(n->count) + FZ_LD(n->s_n) + FZ_LD(n->untimed);
  if (k < T.n_series)
    T.cur[k] += (double)c;
  else if (q && q->name && strcmp(site->name, q->name) == 0)
    q->untracked = 1;
}

/* Depth first through parent links (no stack): children are reached through an acquire
 * load of first_child, siblings' links never change once published (record.h). */
static void walk_thread(fz_thread *t, query *q) {
  const fz_node *root = &t->root, *n = FZ_LDA(t->root.first_child);
  while (n) {
    if (!(n->flags & FZ_NODE_MUTED)) visit(n, q);
    const fz_node *c = FZ_LDA(n->first_child);
    if (c) {
      n = c;
      continue;
    }
    while (n != root && !n->next_sibling) n = n->parent;
    if (n == root) break;
    n = n->next_sibling;
  }
}

static void read_counters(uint32_t g, query *q) {
  uint32_t nm = fz_metrics_count();
  if (!nm) return;
  fathom_counter_info *ci = calloc(nm, sizeof *ci);
  if (!ci || map_grow(&T.metric_map, &T.n_metric_map, nm)) {
    free(ci);
    T.oom = 1;
    return;
  }
  nm = fz_metrics_collect(g, ci, nm);
  for (uint32_t i = 0; i < nm; i++) {
    if (!ci[i].n_updates) continue;
    uint32_t k = T.metric_map[i];
    if (k == MAP_UNSEEN) k = T.metric_map[i] = series_new(FATHOM_TPUT_COUNTER, fz_metric_name(i), NULL);
    if (k < T.n_series)
      T.cur[k] = counter_figure(&ci[i]);
    else if (q && q->name && strcmp(fz_metric_name(i), q->name) == 0)
      q->untracked = 1;
  }
  free(ci);
}

/* Reads every series now into T.cur (caller holds T.lock); *now_rel: ns since the start.
 * Returns 0, FATHOM_E_STATE (no session), FATHOM_E_NOMEM. */
static int read_now(uint64_t *now_rel, query *q) {
  fz_glock();
  if (!fz_g.active) {
    fz_gunlock();
    return FATHOM_E_STATE;
  }
  uint32_t g = fz_g.session_gen;
  if (g != T.gen || fz_g.start_mono_ns != T.start_mono) { /* a reset: counts began again */
    T.gen = g;
    T.start_mono = fz_g.start_mono_ns;
    ring_clear();
  }
  uint64_t now = fz_mono_ns();
  *now_rel = now > T.start_mono ? now - T.start_mono : 0;
  for (uint32_t i = 0; i < T.n_series; i++) T.cur[i] = 0;
  int rc = map_grow(&T.site_map, &T.n_site_map, fz_site_count()) ? FATHOM_E_NOMEM : 0;
  for (fz_thread *t = fz_g.threads; !rc && t; t = t->next)
    if (FZ_LD(t->gen) == g && !t->hidden) walk_thread(t, q);
  if (!rc) read_counters(g, q);
  fz_gunlock();
  if (T.oom) rc = FATHOM_E_NOMEM;
  return rc;
}

/* ---- the ring ------------------------------------------------------------------------- */

static uint32_t slot_back(uint32_t k) { return (T.head + T.n_slots - k) % T.n_slots; }

/* Reference sample for a window of w ns ending at t: the newest sample at or before t - w;
 * else, with fallback, the oldest one held (the start while the ring has not wrapped);
 * without, REF_START when the start is that far back and still the implicit oldest, or
 * REF_NONE. ring: whether the ring's samples may be used at all. */
static uint32_t ref_for(uint64_t t, uint64_t w, int fallback, int ring) {
  uint32_t n = ring ? T.n_samples : 0;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = slot_back(k);
    if (T.ts[i] <= t && t - T.ts[i] >= w) return i;
  }
  int start_ok = !ring || T.total_samples <= T.n_slots;
  if (start_ok && (fallback || t >= w)) return REF_START;
  if (fallback && n) return slot_back(n - 1);
  return REF_NONE;
}
static uint64_t ref_ts(uint32_t r) { return r == REF_START ? 0 : T.ts[r]; }
static double ref_v(uint32_t r, uint32_t s) { return r == REF_START ? 0 : T.s[s].v[r]; }

static void store_sample(uint64_t now_rel) {
  uint32_t slot = T.n_samples ? (T.head + 1) % T.n_slots : 0;
  uint32_t ref = ref_for(now_rel, T.window_ns, 0, 1);   /* before this sample lands */
  uint64_t t_ref = ref == REF_NONE ? 0 : ref_ts(ref);
  T.head = slot;
  T.ts[slot] = now_rel;
  if (T.n_samples < T.n_slots) T.n_samples++;
  T.total_samples++;
  for (uint32_t s = 0; s < T.n_series; s++) {
    series *x = &T.s[s];
    if (ref != REF_NONE) {   /* ref may be the slot being overwritten: read it first */
      double dt = (double)(now_rel - t_ref) / 1e9;
      double rate = dt > 0 ? (T.cur[s] - ref_v(ref, s)) / dt : NAN;
      if (rate == rate && !(rate <= x->peak)) x->peak = rate;
    }
    x->v[slot] = T.cur[s];
  }
}

static int wanted(void) { return __atomic_load_n(&T.armed, __ATOMIC_RELAXED); }

static void tick_work(uint64_t now_mono) {
  pthread_mutex_lock(&T.lock);
  if (T.armed && !T.oom && now_mono >= T.start_mono + T.next_rel) {
    uint64_t now_rel;
    if (read_now(&now_rel, NULL) == 0) {
      store_sample(now_rel);
      T.next_rel = (now_rel / T.period_ns + 1) * T.period_ns;
    }
  }
  pthread_mutex_unlock(&T.lock);
}

static uint64_t tick(uint64_t now) {
  tick_work(now);
  return FZ_SCHED_IDLE_NS;
}

const fz_sched_task fz_tput_task = {"throughput", wanted, tick, NULL};

void fz_tput_after_fork_child(void) {
  int consistent = pthread_mutex_trylock(&T.lock) == 0;
  pthread_mutex_init(&T.lock, NULL);
  if (!consistent) ring_clear();
}

/* ---- entry points ------------------------------------------------------------------- */

void fz_tput_session_begin(const fathom_config *c) {
  pthread_mutex_lock(&T.lock);
  series_free_all();
  double w = c->throughput_window_s;
  if (!(w >= 0.1)) w = 0.1;
  if (w > 31536000.0) w = 31536000.0;   /* a year */
  T.window_ns = (uint64_t)(w * 1e9);
  T.period_ns = T.window_ns / FZ_TPUT_SLOTS_PER_WINDOW;
  if (T.period_ns < FZ_TPUT_MIN_PERIOD_NS) T.period_ns = FZ_TPUT_MIN_PERIOD_NS;
  uint64_t slots = (T.window_ns + T.period_ns - 1) / T.period_ns + 2;
  T.n_slots = slots < FZ_TPUT_MAX_SLOTS ? (uint32_t)slots : FZ_TPUT_MAX_SLOTS;
  T.oom = 0;
  T.gen = 0;
  T.start_mono = 0;
  ring_clear();
  __atomic_store_n(&T.armed, c->level != FATHOM_LEVEL_DISABLED, __ATOMIC_RELAXED);
  pthread_mutex_unlock(&T.lock);
}

FATHOM_EXTERN int fathom_throughput(const char *name, double window_s,
                                    fathom_throughput_stats *out) {
  if (!name || !out || !(window_s > 0) || !isfinite(window_s)) return FATHOM_E_INVAL;
  int saved = errno;
  pthread_mutex_lock(&T.lock);
  uint64_t now_rel = 0;
  query q = {name, 0};
  int rc = T.armed ? read_now(&now_rel, &q) : FATHOM_E_STATE;
  if (!rc) {
    double v = 0;
    int found = 0;
    fathom_tput_kind kind = FATHOM_TPUT_ZONE;
    for (int pass = 0; pass < 2 && !found; pass++) {
      kind = pass ? FATHOM_TPUT_COUNTER : FATHOM_TPUT_ZONE;
      for (uint32_t s = 0; s < T.n_series; s++)
        if (T.s[s].kind == kind && strcmp(T.s[s].name, name) == 0) found = 1;
    }
    if (!found) {
      rc = q.untracked ? FATHOM_E_LIMIT : FATHOM_E_NOTFOUND;
    } else {
      uint64_t w = window_s * 1e9 >= 1.8e19 ? UINT64_MAX : (uint64_t)(window_s * 1e9);
      uint32_t ref = ref_for(now_rel, w, 1, 1);
      double v_ref = 0;
      for (uint32_t s = 0; s < T.n_series; s++)
        if (T.s[s].kind == kind && strcmp(T.s[s].name, name) == 0) {
          v += T.cur[s];
          v_ref += ref_v(ref, s);
        }
      memset(out, 0, sizeof *out);
      out->kind = kind;
      out->ops = v - v_ref;
      out->window_s = (double)(now_rel - ref_ts(ref)) / 1e9;
      out->ops_per_s = out->window_s > 0 ? out->ops / out->window_s : 0;
      out->total = v;
    }
  }
  pthread_mutex_unlock(&T.lock);
  errno = saved;
  return rc;
}

/* One entry: mean over the session; last and peak over windows of the ring (or NaN). */
static void fill_one(fathom_throughput_info *o, uint32_t s, double v_end, uint64_t t_end,
                     int ring, int zero_if_unseen) {
  double dur = (double)t_end / 1e9;
  o->mean_per_s = dur > 0 ? v_end / dur : NAN;
  o->window_s = (double)T.window_ns / 1e9;
  o->last_per_s = o->peak_per_s = NAN;
  if (s >= T.n_series && !zero_if_unseen) return;   /* beyond the cap: never sampled */
  uint32_t ref = ref_for(t_end, T.window_ns, 0, ring);
  if (ref == REF_NONE) ref = REF_START;   /* the session is shorter than one window */
  double dt = (double)(t_end - ref_ts(ref)) / 1e9;
  double v_ref = s < T.n_series ? ref_v(ref, s) : 0;
  o->last_per_s = dt > 0 ? (v_end - v_ref) / dt : NAN;
  o->peak_per_s = o->last_per_s;
  if (s < T.n_series && ring && T.s[s].peak > o->peak_per_s) o->peak_per_s = T.s[s].peak;
}

void fz_tput_fill(fathom_profile *p, int final) {
  if (!p) return;
  pthread_mutex_lock(&T.lock);
  fz_glock();
  int ring = T.armed && T.gen == fz_g.session_gen;   /* no reset since the last sample */
  fz_gunlock();
  uint32_t n = p->n_zones + p->n_counters;
  fathom_throughput_info *v = n ? malloc(n * sizeof *v) : NULL;
  if (v || !n) {
    uint64_t t_end = p->meta.duration_ns;
    /* a zone or counter no reading saw was at 0 at every sample, unless the cap refused it */
    int zero_if_unseen = T.armed && T.dropped == 0;
    for (uint32_t i = 0; i < p->n_zones; i++) {
      const fathom_zone_info *z = &p->zones[i];
      uint32_t s = series_find(FATHOM_TPUT_ZONE, z->name ? z->name : "", z->component ? z->component : "");
      /* calls are exact; the time per call rests on the timed ones (every call where the
       * model leaves timed 0, never more than were made) */
      uint64_t timed = z->stats.timed && z->stats.timed <= z->stats.count ? z->stats.timed
                                                                           : z->stats.count;
      v[i] = (fathom_throughput_info){FATHOM_TPUT_ZONE, i, 0, 0, 0, 0, z->stats.count, timed};
      fill_one(&v[i], s, (double)z->stats.count, t_end, ring, zero_if_unseen);
    }
    for (uint32_t i = 0; i < p->n_counters; i++) {
      const fathom_counter_info *c = &p->counters[i];
      uint32_t s = series_find(FATHOM_TPUT_COUNTER, c->name ? c->name : "", NULL);
      fathom_throughput_info *o = &v[p->n_zones + i];
      *o = (fathom_throughput_info){FATHOM_TPUT_COUNTER, i, 0, 0, 0, 0, c->n_updates, 0};
      fill_one(o, s, counter_figure(c), t_end, ring, zero_if_unseen);
    }
    free(p->throughput);
    p->throughput = v;
    p->n_throughput = n;
  }
  if (final) __atomic_store_n(&T.armed, 0, __ATOMIC_RELAXED);
  pthread_mutex_unlock(&T.lock);
}

void fz_tput_debug(uint32_t *n_series, uint64_t *dropped_series, uint32_t *n_samples,
                   uint32_t *n_slots) {
  pthread_mutex_lock(&T.lock);
  if (n_series) *n_series = T.n_series;
  if (dropped_series) *dropped_series = T.dropped;
  if (n_samples) *n_samples = T.n_samples;
  if (n_slots) *n_slots = T.n_slots;
  pthread_mutex_unlock(&T.lock);
}
