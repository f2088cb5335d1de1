/* view/pprof.c: the pprof view: a gzip-compressed profile.proto message (perftools.profiles,
 * github.com/google/pprof/proto/profile.proto) that `go tool pprof` and continuous-profiling
 * servers read. Each call path with time of its own is one sample whose stack is its zones,
 * innermost first; one location and one function per zone (file and line where the zone has
 * them); the thread as a label.
 *
 * The values: a stack-sampled profile (`fathom run`: calls not counted) has samples (count)
 * and cpu (nanoseconds), the samples being the path's self time over the sampling period; an
 * instrumented profile has calls (count: the path's calls) and time (nanoseconds: its self
 * time). So pprof's flat figure of a function is its self time, its cum figure its inclusive
 * time (recursion counted once, as pprof counts it). A profile that tracked allocations adds
 * alloc_objects, alloc_space (bytes), inuse_objects and inuse_space (still live at the end)
 * of each path's own code.
 *
 * How it is written: a small protobuf encoder of our own for this one fixed message set
 * (varints and length-delimited fields), no protobuf library; the gzip stream holds "stored"
 * deflate blocks (no compression: no zlib in the library), which every gzip reader accepts.
 *
 * Invariant: the whole message is built in memory before a byte is written; string index 0
 * is ""; every location and function id is its zone's index + 1. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/view.h"

typedef struct buf {
  uint8_t *p;
  size_t n, cap;
  int oom;
} buf;

static void put(buf *b, const void *d, size_t n) {
  if (b->oom) return;
  if (b->n + n > b->cap) {
    size_t c = b->cap ? b->cap : 256;
    while (c < b->n + n) c *= 2;
    uint8_t *q = realloc(b->p, c);
    if (!q) {
      b->oom = 1;
      return;
    }
    b->p = q;
    b->cap = c;
  }
  memcpy(b->p + b->n, d, n);
  b->n += n;
}
static void varint(buf *b, uint64_t v) {
  uint8_t t[10];
  size_t k = 0;
  do {
    t[k++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  put(b, t, k);
}
static void field_int(buf *b, unsigned f, uint64_t v) { /* wire type 0 */
  varint(b, (uint64_t)f << 3);
  varint(b, v);
}
static void field_bytes(buf *b, unsigned f, const void *d, size_t n) { /* wire type 2 */
  varint(b, (uint64_t)f << 3 | 2);
  varint(b, n);
  put(b, d, n);
}
static void field_msg(buf *b, unsigned f, buf *m) {
  field_bytes(b, f, m->p, m->n);
  if (m->oom) b->oom = 1;
  m->n = 0;
}

/* ---- the string table: index of each distinct string ------------------------------------ */

typedef struct strtab {
  buf out;          /* the string_table fields, in index order */
  const char **key; /* open addressing: string -> index + 1 */
  uint32_t *idx, cap, n;
} strtab;

static uint64_t str_hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static uint32_t str_of(strtab *t, const char *s) {
  if (!s) s = "";
  if (t->n * 2 >= t->cap) {
    uint32_t nc = t->cap ? t->cap * 2 : 256;
    const char **nk = calloc(nc, sizeof *nk);
    uint32_t *ni = calloc(nc, sizeof *ni);
    if (!nk || !ni) {
      free(nk);
      free(ni);
      t->out.oom = 1;
      return 0;
    }
    for (uint32_t i = 0; i < t->cap; i++)
      if (t->key[i]) {
        uint32_t h = (uint32_t)(str_hash(t->key[i]) & (nc - 1));
        while (nk[h]) h = (h + 1) & (nc - 1);
        nk[h] = t->key[i];
        ni[h] = t->idx[i];
      }
    free(t->key);
    free(t->idx);
    t->key = nk;
    t->idx = ni;
    t->cap = nc;
  }
  uint32_t h = (uint32_t)(str_hash(s) & (t->cap - 1));
  for (; t->key[h]; h = (h + 1) & (t->cap - 1))
    if (strcmp(t->key[h], s) == 0) return t->idx[h];
  t->key[h] = strdup(s); /* the caller's string may not outlive the call */
  if (!t->key[h]) {
    t->out.oom = 1;
    return 0;
  }
  t->idx[h] = t->n;
  field_bytes(&t->out, 6, s, strlen(s));
  return t->n++;
}

/* ---- gzip with stored blocks ------------------------------------------------------------- */

static uint32_t crc32_of(const uint8_t *p, size_t n) {
  static uint32_t tab[256];
  if (!tab[1])
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      tab[i] = c;
    }
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) c = tab[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

static int write_gzip(FILE *f, const uint8_t *p, size_t n) {
  static const uint8_t hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}; /* deflate, Unix */
  if (fwrite(hdr, 1, sizeof hdr, f) != sizeof hdr) return FATHOM_E_IO;
  size_t off = 0;
  do {
    size_t k = n - off > 65535 ? 65535 : n - off;
    uint8_t h[5] = {off + k == n ? 1 : 0, (uint8_t)(k & 0xff), (uint8_t)(k >> 8),
                    (uint8_t)(~k & 0xff), (uint8_t)((~k >> 8) & 0xff)};
    if (fwrite(h, 1, 5, f) != 5 || (k && fwrite(p + off, 1, k, f) != k)) return FATHOM_E_IO;
    off += k;
  } while (off < n);
  uint32_t crc = crc32_of(p, n), size = (uint32_t)n;
  uint8_t t[8] = {(uint8_t)crc,          (uint8_t)(crc >> 8),  (uint8_t)(crc >> 16),
                  (uint8_t)(crc >> 24),  (uint8_t)size,        (uint8_t)(size >> 8),
                  (uint8_t)(size >> 16), (uint8_t)(size >> 24)};
  if (fwrite(t, 1, 8, f) != 8) return FATHOM_E_IO;
  return ferror(f) ? FATHOM_E_IO : 0;
}

/* ---- the profile ---------------------------------------------------------------------------- */

static void value_type(buf *b, unsigned field, strtab *st, const char *type, const char *unit) {
  buf m = {0};
  field_int(&m, 1, str_of(st, type));
  field_int(&m, 2, str_of(st, unit));
  field_msg(b, field, &m);
  free(m.p);
}

static int sampled_only(const fathom_profile *p) {
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (p->nodes[i].stats.count) return 0;
  return p->n_nodes > 0 && p->meta.sample_period_ns > 0;
}

int fz_write_pprof(const fathom_profile *p, FILE *f, int color) {
  (void)color;
  buf out = {0}, m = {0}, sub = {0}, ids = {0}, vals = {0};
  strtab st = {0};
  (void)str_of(&st, ""); /* index 0 */
  int sampled = sampled_only(p);
  /* `fathom run --wall`: wall-clock time, waiting threads included (pprof's "wall") */
  int wall = p->meta.clock_source && strcmp(p->meta.clock_source, "perf_event+wall") == 0;
  const char *kind = !sampled ? "time" : wall ? "wall" : "cpu";
  double period = p->meta.sample_period_ns > 0 ? p->meta.sample_period_ns : 0;
  value_type(&out, 1, &st, sampled ? "samples" : "calls", "count");
  value_type(&out, 1, &st, kind, "nanoseconds");
  int allocs = p->meta.alloc_tracking != 0;   /* heap figures of each path's own code */
  if (allocs) {
    value_type(&out, 1, &st, "alloc_objects", "count");
    value_type(&out, 1, &st, "alloc_space", "bytes");
    value_type(&out, 1, &st, "inuse_objects", "count");
    value_type(&out, 1, &st, "inuse_space", "bytes");
  }
  uint32_t key_thread = str_of(&st, "thread");
  /* one sample per path with time of its own */
  for (uint32_t i = 0; i < p->n_nodes && !out.oom; i++) {
    const fathom_node *nd = &p->nodes[i];
    const fathom_alloc *al = &nd->alloc_self;
    if (!nd->stats.self_ns && !(nd->stats.count && !sampled) && !(allocs && al->alloc_count))
      continue;
    ids.n = vals.n = 0;
    uint32_t steps = 0;
    for (uint32_t k = i; k != FATHOM_NONE && k < p->n_nodes && steps++ <= p->n_nodes;
         k = p->nodes[k].parent)
      varint(&ids, (uint64_t)p->nodes[k].zone + 1);
    field_bytes(&m, 1, ids.p, ids.n);
    uint64_t v0 = sampled ? (uint64_t)llround(period > 0 ? (double)nd->stats.self_ns / period : 0)
                          : nd->stats.count;
    varint(&vals, v0);
    varint(&vals, nd->stats.self_ns);
    if (allocs) {
      varint(&vals, al->alloc_count);
      varint(&vals, al->alloc_bytes);
      varint(&vals, al->live_count);
      varint(&vals, al->live_bytes);
    }
    field_bytes(&m, 2, vals.p, vals.n);
    if (nd->thread < p->n_threads) {
      const fathom_thread_info *t = &p->threads[nd->thread];
      char tn[160];
      snprintf(tn, sizeof tn, "%s%s%llu", t->name && *t->name ? t->name : "",
               t->name && *t->name ? " " : "", (unsigned long long)t->tid);
      field_int(&sub, 1, key_thread);
      field_int(&sub, 2, str_of(&st, tn));
      field_msg(&m, 3, &sub);
    }
    field_msg(&out, 2, &m);
  }
  /* one location and one function per zone */
  for (uint32_t z = 0; z < p->n_zones && !out.oom; z++) {
    const fathom_zone_info *zi = &p->zones[z];
    field_int(&m, 1, z + 1);
    field_int(&sub, 1, z + 1); /* Line.function_id */
    if (zi->line > 0) field_int(&sub, 2, (uint64_t)zi->line);
    field_msg(&m, 4, &sub);
    field_msg(&out, 4, &m);
  }
  for (uint32_t z = 0; z < p->n_zones && !out.oom; z++) {
    const fathom_zone_info *zi = &p->zones[z];
    field_int(&m, 1, z + 1);
    field_int(&m, 2, str_of(&st, zi->name));
    field_int(&m, 3, str_of(&st, zi->func && *zi->func ? zi->func : zi->name));
    if (zi->file && *zi->file) field_int(&m, 4, str_of(&st, zi->file));
    if (zi->line > 0) field_int(&m, 5, (uint64_t)zi->line);
    field_msg(&out, 5, &m);
  }
  if (p->meta.start_unix_ns) field_int(&out, 9, p->meta.start_unix_ns);
  if (p->meta.duration_ns) field_int(&out, 10, p->meta.duration_ns);
  if (sampled) {
    value_type(&out, 11, &st, kind, "nanoseconds");
    field_int(&out, 12, (uint64_t)llround(period));
  }
  field_int(&out, 14, str_of(&st, kind)); /* default_sample_type */
  /* the string table last: its fields may come anywhere in the message */
  put(&out, st.out.p, st.out.n);
  int rc = out.oom || st.out.oom || m.oom || sub.oom || ids.oom || vals.oom
               ? FATHOM_E_NOMEM
               : write_gzip(f, out.p, out.n);
  free(out.p);
  free(m.p);
  free(sub.p);
  free(ids.p);
  free(vals.p);
  free(st.out.p);
  for (uint32_t i = 0; i < st.cap; i++) free((void *)(uintptr_t)st.key[i]);
  free(st.key);
  free(st.idx);
  return rc;
}
