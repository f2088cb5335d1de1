/* record/manual.c: zones by name (fathom_zone_begin), zone ends with custom metrics, named
 * timers and durations the program measured itself (fathom_zone_record).
 *
 * Invariant: names are interned once per (name, component) pointer pair and cached per
 * thread; nothing here runs on the macros' hot path. */
#include <errno.h>
#include <string.h>

#include "record/record.h"
#include "record/window.h"

/* ---- manual zones, metrics, timers ------------------------------------------------ */

typedef struct name_cache {
  const char *name, *comp;
  fathom_site *site;
} name_cache;
static __thread name_cache ncache[64]; /* default TLS model: see metrics.c */

FZ_TEXT static fathom_site *site_by_name(const char *name, const char *comp) {
  uintptr_t h = ((uintptr_t)name >> 3) ^ ((uintptr_t)comp >> 5);
  name_cache *c = &ncache[h % 64];
  /* the component is read with an acquire load: a named profiler's reset renames it */
  if (c->site && c->name == name && c->comp == comp && strcmp(c->site->name, name) == 0 &&
      strcmp(__atomic_load_n(&c->site->component, __ATOMIC_ACQUIRE),
             comp && *comp ? comp : "default") == 0)
    return c->site;
  fathom_site *s = fz_site_intern(name, comp);
  if (s) {
    c->name = name;
    c->comp = comp;
    c->site = s;
  }
  return s;
}

FZ_TEXT FATHOM_EXTERN fathom_zone fathom_zone_begin(const char *name, const char *component) {
  fathom_zone z = {0};
  if (FZ_UNLIKELY(!FZ_LD(fz_rec_gen))) return z;
  if (!name || !*name) {
    fz_thread *t = fz_thread_get_fast();
    if (t)
      FZ_ST(t->misuse, t->misuse + 1);
    else
      fz_misuse_count();
    name = name ? "(empty)" : "(null)";
  }
  fathom_site *s = site_by_name(name, component);
  if (!s) return z;
  return fathom_zone_begin_site(s);
}

FZ_TEXT static void add_metric(fz_thread *t, fz_node *n, const char *name, double v) {
  fz_mrec *m = n->metrics;
  while (m && strcmp(m->name, name) != 0) m = m->next;
  if (!m) {
    const char *in = fz_intern(name);
    if (!in) return;
    int saved = errno;
    m = fz_chunk_alloc(t, sizeof *m);
    errno = saved;
    if (!m) return;
    memset(m, 0, sizeof *m);
    m->name = in;
    memcpy(&m->min_bits, &v, 8);
    memcpy(&m->max_bits, &v, 8);
    m->next = n->metrics;
    FZ_STR(n->metrics, m);
  }
  /* doubles stored as 64-bit patterns through relaxed atomics for concurrent readers */
  double sum, mn, mx;
  memcpy(&sum, &m->sum_bits, 8);
  memcpy(&mn, &m->min_bits, 8);
  memcpy(&mx, &m->max_bits, 8);
  sum += v;
  if (v < mn) mn = v;
  if (v > mx) mx = v;
  uint64_t b;
  memcpy(&b, &sum, 8);
  FZ_ST(m->sum_bits, b);
  memcpy(&b, &mn, 8);
  FZ_ST(m->min_bits, b);
  memcpy(&b, &mx, 8);
  FZ_ST(m->max_bits, b);
  FZ_ST(m->count, m->count + 1);
}

FZ_TEXT FATHOM_EXTERN int fathom_zone_end_metrics(fathom_zone z, const fathom_metric *m, size_t n) {
  uint64_t t1 = fz_ticks();
  fz_thread *t = fz_tls_real();
  fz_entry *e = t ? fz_entry_of(t, z.tag_) : NULL;
  if (e && m && e->node != &fz_nil_node) {
    for (size_t i = 0; i < n; i++)
      if (m[i].name) add_metric(t, e->node, m[i].name, m[i].value);
  }
  return fz_zone_end_tag(z.tag_, t1, NULL);
}

FZ_TEXT FATHOM_EXTERN int fathom_timer_start(const char *name) {
  if (!FZ_LD(fz_rec_gen)) return FATHOM_E_STATE;
  fathom_zone z = fathom_zone_begin(name, NULL);
  return z.tag_ ? 0 : FATHOM_E_LIMIT;
}

FZ_TEXT FATHOM_EXTERN int64_t fathom_timer_stop(const char *name) {
  uint64_t t1 = fz_ticks();
  if (!FZ_LD(fz_rec_gen)) return FATHOM_E_STATE;
  fz_thread *t = fz_tls_real();
  if (!t || t->gen != FZ_LD(fz_rec_gen)) return FATHOM_E_NOTFOUND;
  if (!name) name = "(null)";
  else if (!*name) name = "(empty)";
  for (fz_entry *e = t->top; e > t->stack; e--) {
    fathom_site *s = e->node->site;
    if (s && e->node != &fz_nil_node && !(e->node->flags & FZ_NODE_FUNC) &&
        strcmp(s->name, name) == 0) {
      uint64_t ns = 0;
      int rc = fz_zone_end_tag(e->t0 & ~FZ_T0_SPECIAL, t1, &ns);
      return rc == 0 || rc == FATHOM_E_UNBALANCED ? (int64_t)ns : rc;
    }
  }
  FZ_ST(t->misuse, t->misuse + 1);
  return FATHOM_E_NOTFOUND;
}

FZ_TEXT FATHOM_EXTERN int fathom_zone_record(fathom_site *s, uint64_t duration_ns) {
  if (!FZ_LD(fz_rec_gen)) return FATHOM_E_STATE;
  if (!s) return FATHOM_E_INVAL;
  fz_thread *t = fz_thread_get_fast();
  if (!t) return FATHOM_E_NOMEM;
  if (FZ_LDA(s->state_) != 1 && fz_site_register(s) != 1) return 0;
  fz_entry *e = t->top;
  if (e->node == &fz_nil_node || e >= t->last) { /* inside a dropped call, or at the cap */
    FZ_ST(t->dropped_zones, t->dropped_zones + 1);
    return FATHOM_E_LIMIT;
  }
  fz_node *c = fz_child_slow(t, e->node, s, s, 0);
  if (!c) return FATHOM_E_LIMIT;
  fz_node_record_cold(t, c, fz_ns_to_ticks(duration_ns));
  FZ_ST(c->ext, c->ext + 1);
  uint32_t win = FZ_LDA(c->win);
  if (t->ring || win) {
    uint64_t t1 = fz_ticks();
    if (t->ring)
      fz_ring_push(t->ring, t1 - fz_ns_to_ticks(duration_ns), t1, c->site_id, c->depth);
    if (win) fz_win_record(t, win, t1, duration_ns); /* ends now */
  }
  return 0;
}
