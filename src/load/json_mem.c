/* json_mem.c: the JSON loader's memory: every allocation a load makes (the text it reads,
 * jansson's values, the model's tables and strings) is counted on the loading thread, held
 * under the cap FATHOM_LOAD_MAX_MB (in MiB; unset, empty or 0: no cap), and an allocation
 * that fails or would pass the cap is told apart from malformed input: the load fails with
 * FATHOM_E_NOMEM and "out of memory loading this profile (needs ~N MB)".
 *
 * jansson's allocations reach the count through json_set_alloc_funcs, installed once per
 * process: the hooks are malloc and free themselves (blocks are measured with
 * malloc_usable_size, no header), so values made before the hooks, or by other code on other
 * threads, are freed correctly; only a thread that is loading counts them. jansson does not
 * survive its own allocations failing (it can write through the NULL or abort), so the cap
 * never refuses jansson an allocation: one that passes it is made and noted, and the load
 * fails when jansson returns; and when malloc itself fails, a reserve held for the load is
 * given back and the allocation tried once more, so jansson can finish the value it is
 * parsing (at most one chunk of a table, about 1 MB) and the load fail cleanly.
 *
 * Invariant: c->mem_used is what the load holds now (jansson's values freed are taken off),
 * c->mem_peak the most it held, and c->mem_short, once set, is never cleared: a load that saw
 * an allocation fail always reports out of memory, whatever error the failure then caused. */
#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_ld.h"

/* What a load needs at most, per byte of its text: the text itself, the model (about 1.5
 * bytes per byte of a saved profile; up to ~3 for the tersest JSON) and a chunk of values. */
#define JL_NEED_PER_BYTE 3
#define JL_RESERVE (4u << 20)   /* bytes given back to malloc when it fails under jansson */

static _Thread_local jl_ctx *jl_cur;   /* the load running on this thread, if any */
static _Thread_local void *jl_reserve;  /* its reserve, NULL once given back */
static pthread_once_t jl_hooks_once = PTHREAD_ONCE_INIT;

static void note_short(jl_ctx *c, size_t n) {
  if (!c->mem_short) c->mem_short = c->mem_used + n < c->mem_used ? SIZE_MAX : c->mem_used + n;
}

static void add_used(jl_ctx *c, void *p) {
  c->mem_used += malloc_usable_size(p);
  if (c->mem_used > c->mem_peak) c->mem_peak = c->mem_used;
}

static void sub_used(jl_ctx *c, void *p) {
  size_t u = malloc_usable_size(p);
  c->mem_used -= u < c->mem_used ? u : c->mem_used;
}

/* 0 when n more bytes stay under the cap, else notes the shortfall. */
static int over_cap(jl_ctx *c, size_t n) {
  if (!c->mem_cap || (n <= c->mem_cap && c->mem_used <= c->mem_cap - n)) return 0;
  note_short(c, n);
  return 1;
}

void *jl_malloc(jl_ctx *c, size_t n) {
  if (over_cap(c, n)) return NULL;
  void *p = malloc(n ? n : 1);
  if (!p) note_short(c, n);
  else add_used(c, p);
  return p;
}

void *jl_calloc(jl_ctx *c, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) {
    note_short(c, SIZE_MAX - c->mem_used);
    return NULL;
  }
  if (over_cap(c, n * size)) return NULL;
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) note_short(c, n * size);
  else add_used(c, p);
  return p;
}

void *jl_realloc(jl_ctx *c, void *p, size_t n) {
  size_t had = p ? malloc_usable_size(p) : 0;
  if (n > had && over_cap(c, n - had)) return NULL;
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    note_short(c, n);
    return NULL;
  }
  c->mem_used -= had < c->mem_used ? had : c->mem_used;
  add_used(c, q);
  return q;
}

char *jl_strdup(jl_ctx *c, const char *s) {
  size_t n = strlen(s) + 1;
  char *d = jl_malloc(c, n);
  return d ? memcpy(d, s, n) : NULL;
}

/* ---- jansson's allocations ---------------------------------------------------------- */

static void *hook_malloc(size_t n) {
  jl_ctx *c = jl_cur;
  if (!c) return malloc(n);
  if (c->mem_cap && (n > c->mem_cap || c->mem_used > c->mem_cap - n))
    note_short(c, n);   /* past the cap: made anyway, the load fails when jansson returns */
  void *p = malloc(n ? n : 1);
  if (!p && jl_reserve) {
    free(jl_reserve);
    jl_reserve = NULL;
    p = malloc(n ? n : 1);
  }
  if (!p) note_short(c, n);
  else add_used(c, p);
  return p;
}

static void hook_free(void *p) {
  jl_ctx *c = jl_cur;
  if (p && c) sub_used(c, p);
  free(p);
}

static void install_hooks(void) { json_set_alloc_funcs(hook_malloc, hook_free); }

void jl_mem_begin(jl_ctx *c) {
  pthread_once(&jl_hooks_once, install_hooks);
  c->mem_used = c->mem_peak = c->mem_short = 0;
  c->mem_cap = 0;
  const char *e = getenv("FATHOM_LOAD_MAX_MB");
  if (e && *e) {
    char *end;
    unsigned long long mb = strtoull(e, &end, 10);
    if (*end == '\0' && e[0] != '-')
      c->mem_cap = mb > (SIZE_MAX >> 20) ? SIZE_MAX : (size_t)mb << 20;
  }
  jl_cur = c;
  jl_reserve = malloc(JL_RESERVE);   /* not touched: address space only */
}

void jl_mem_end(jl_ctx *c) {
  if (jl_cur != c) return;
  jl_cur = NULL;
  free(jl_reserve);
  jl_reserve = NULL;
}

int jl_nomem(jl_ctx *c) {
  size_t need = c->mem_short > c->mem_peak ? c->mem_short : c->mem_peak;
  size_t est = c->in_len > SIZE_MAX / JL_NEED_PER_BYTE ? SIZE_MAX : c->in_len * JL_NEED_PER_BYTE;
  if (est > need) need = est;
  unsigned long long mb = (unsigned long long)(need >> 20) + ((need & ((1u << 20) - 1)) != 0);
  if (c->mem_cap)
    return jl_fail(c, FATHOM_E_NOMEM, NULL,
                   "out of memory loading this profile (needs ~%llu MB; FATHOM_LOAD_MAX_MB "
                   "allows %llu)", mb, (unsigned long long)(c->mem_cap >> 20));
  return jl_fail(c, FATHOM_E_NOMEM, NULL, "out of memory loading this profile (needs ~%llu MB)",
                 mb);
}
