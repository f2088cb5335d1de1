/* json_ld.h: what the JSON loader's files share (json_load.c: entry points, schema-1 tables;
 * json_res.c: schema-2 sections; json_conv.c: validated conversions of single values).
 *
 * Invariant: every jl_* function returns 0 or a negative FATHOM_E_* code, and on failure has
 * written exactly one message naming the path of the offending value (jl_fail) and has left
 * the model freeable by fathom_profile_free (tables are calloc'd and counted first). */
#ifndef FATHOM_JSON_LD_H
#define FATHOM_JSON_LD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "fathom.h"

/* Oldest schema version read (FATHOM_SCHEMA_VERSION is the newest, the one written). */
#define FATHOM_LOAD_MIN_SCHEMA 1

typedef struct jl_doc jl_doc;

typedef struct jl_ctx {
  char *err;
  size_t errlen;
  const char *name;  /* file name for messages, or NULL (buffer) */
  int version;       /* schema version of the document being read */
  jl_doc *doc;       /* the document's text and its big arrays left in it (json_split.c) */
  /* memory (json_mem.c): what this load holds now and at most, its cap, the input size */
  size_t mem_used, mem_peak, mem_cap, in_len;
  size_t mem_short;  /* 0, or the bytes held plus the request that could not be had */
} jl_ctx;

/* Where a value sits, built on the stack while descending and only formatted on error:
 * a member (key set) or an array element (key NULL, idx). */
typedef struct jp {
  const struct jp *up;
  const char *key;
  uint64_t idx;
} jp;

/* Deepest call path the recorder records (its max_depth is clamped to 4096, session.c):
 * a call-tree node deeper than this was not written by fathom and is refused (its path
 * would make the views quadratic: docs/formats.md, "Bounded output"). */
#define JL_MAX_DEPTH 4096u

/* ---- memory (json_mem.c) ---- */
/* Every allocation of a load (the text, jansson's values, the model's tables and strings) is
 * counted against c->mem_cap (FATHOM_LOAD_MAX_MB, else none); one that fails or would pass
 * the cap sets c->mem_short, and the load then fails with FATHOM_E_NOMEM and
 * "out of memory loading this profile (needs ~N MB)". */
void jl_mem_begin(jl_ctx *c);
void jl_mem_end(jl_ctx *c);
void *jl_malloc(jl_ctx *c, size_t n);
void *jl_calloc(jl_ctx *c, size_t n, size_t size);
void *jl_realloc(jl_ctx *c, void *p, size_t n);
char *jl_strdup(jl_ctx *c, const char *s);

/* ---- the document (json_split.c) ---- */
/* Parses the text of a JSON object into *root without building the big arrays: the members
 * of the root listed in json_split.c (zones, nodes, threads, ...; timeline's events and
 * counter_events; series' rows) stay in the text as placeholders, and jl_m_table,
 * jl_element and jl_tuple read their elements a chunk at a time, in order. A text whose top
 * level is not an object is parsed whole. On failure: one message, *root NULL. */
int jl_doc_open(jl_ctx *c, const char *txt, size_t len, json_t **root);
/* A table's length, and its element i (for a table left in the text: read in order, valid
 * until the next element of that table is read). */
size_t jl_array_size(const jl_ctx *c, const json_t *arr);
int jl_array_get(jl_ctx *c, const json_t *arr, size_t i, json_t **v);
/* Checks the syntax of every element the load did not read (the whole text is JSON). */
int jl_doc_finish(jl_ctx *c);
void jl_doc_close(jl_ctx *c);
/* "truncated or malformed JSON at line L column C: what", L and C of byte off of the text. */
int jl_syntax(jl_ctx *c, size_t off, const char *what);

/* Writes "<file>: <path>: <message>" into the context's buffer and returns code. */
__attribute__((format(printf, 4, 5)))
int jl_fail(jl_ctx *c, int code, const jp *at, const char *fmt, ...);
int jl_nomem(jl_ctx *c);
const char *jl_type_name(const json_t *v);
/* calloc'd table of n elements (NULL when n is 0). */
int jl_alloc_table(jl_ctx *c, void **dst, size_t n, size_t size);

/* ---- one value ---- */
int jl_want(jl_ctx *c, const json_t *v, const jp *at, json_type t, const char *what);
/* Unsigned: a non-negative integer or a string of decimal digits. */
int jl_u64(jl_ctx *c, const json_t *v, const jp *at, uint64_t *out);
int jl_u32(jl_ctx *c, const json_t *v, const jp *at, uint32_t *out);
/* An index into a table of n entries; nullable: null means FATHOM_NONE. */
int jl_index(jl_ctx *c, const json_t *v, const jp *at, uint64_t n, const char *table,
             int nullable, uint32_t *out);
int jl_i64(jl_ctx *c, const json_t *v, const jp *at, int64_t *out);
int jl_int(jl_ctx *c, const json_t *v, const jp *at, int *out);
/* A number; null and "NaN" are NaN, "Infinity" and "-Infinity" the infinities. */
int jl_double(jl_ctx *c, const json_t *v, const jp *at, double *out);
int jl_bool(jl_ctx *c, const json_t *v, const jp *at, int *out);
/* A string copied into *out; null gives NULL when nullable. */
int jl_str(jl_ctx *c, const json_t *v, const jp *at, int nullable, char **out);
/* One of names[0..n-1] (written form), or its number. */
int jl_enum(jl_ctx *c, const json_t *v, const jp *at, const char *const *names, int n,
            int *out);

/* ---- members of an object (missing members are errors) ---- */
int jl_get(jl_ctx *c, const json_t *obj, const jp *at, const char *key, json_t **v, jp *kp);
int jl_m_u64(jl_ctx *c, const json_t *obj, const jp *at, const char *key, uint64_t *out);
/* jl_m_u64, refused above max: "N <what> of MAX (more than were made)" (json_est.c). */
int jl_m_u64_upto(jl_ctx *c, const json_t *obj, const jp *at, const char *key, uint64_t *out,
                  uint64_t max, const char *what);
int jl_m_u32(jl_ctx *c, const json_t *obj, const jp *at, const char *key, uint32_t *out);
int jl_m_i64(jl_ctx *c, const json_t *obj, const jp *at, const char *key, int64_t *out);
int jl_m_int(jl_ctx *c, const json_t *obj, const jp *at, const char *key, int *out);
int jl_m_dbl(jl_ctx *c, const json_t *obj, const jp *at, const char *key, double *out);
int jl_m_bool(jl_ctx *c, const json_t *obj, const jp *at, const char *key, int *out);
int jl_m_str(jl_ctx *c, const json_t *obj, const jp *at, const char *key, int nullable,
             char **out);
/* Member key that must be of type t (object or array). */
int jl_m_typed(jl_ctx *c, const json_t *obj, const jp *at, const char *key, json_type t,
               json_t **v, jp *kp);
/* A table member: an array of at most max entries. Its elements are read through
 * jl_element or jl_tuple (an array left in the text is read in order, and element i stays
 * valid until the next element of that array is read). */
int jl_m_table(jl_ctx *c, const json_t *obj, const jp *at, const char *key, size_t max,
               json_t **v, jp *kp, size_t *n);
/* Element i of array arr (at tp) that must be an object. */
int jl_element(jl_ctx *c, const json_t *arr, const jp *tp, size_t i, json_t **v, jp *ip);
/* Element i of array arr that must be an array of exactly n values (shape names them). */
int jl_tuple(jl_ctx *c, const json_t *arr, const jp *tp, size_t i, size_t n, const char *shape,
             json_t **v, jp *ip);

/* ---- sampled profiles' tables, optional (json_run.c) ---- */
int jl_processes(jl_ctx *c, const json_t *root, fathom_profile *p);
int jl_thread_process(jl_ctx *c, const json_t *o, const jp *ip, const fathom_profile *p,
                      uint32_t *out);
int jl_lines(jl_ctx *c, const json_t *root, fathom_profile *p);   /* needs the zones */
int jl_attempts(jl_ctx *c, const json_t *root, fathom_profile *p);
/* ---- database statements, optional (json_sql.c) ---- */
int jl_queries(jl_ctx *c, const json_t *root, fathom_profile *p);
int jl_rankings(jl_ctx *c, const json_t *root, fathom_profile *p);
int jl_gpu_zones(jl_ctx *c, const json_t *root, fathom_profile *p);   /* json_gpu.c */
int jl_levels(jl_ctx *c, const json_t *root, fathom_profile *p);      /* json_levels.c */
int jl_outcome_events(jl_ctx *c, const json_t *root, fathom_profile *p);   /* json_outcomes.c */
int jl_locks(jl_ctx *c, const json_t *root, fathom_profile *p);   /* json_locks.c */
int jl_requests(jl_ctx *c, const json_t *root, fathom_profile *p);   /* json_net.c */
int jl_windows(jl_ctx *c, const json_t *root, fathom_profile *p);   /* json_win.c */
int jl_ext(jl_ctx *c, const json_t *root, fathom_profile *p);     /* json_ext.c */

/* ---- schema 2 (json_res.c) ---- */
/* The optional resource members of a zone (flops_self NULL) or node object o at ip: res,
 * alloc, alloc_self, flops, flops_self, gov, time_every; absent ones get their empty value. */
/* The optional "heap_peak" member of a zone or node ({"bytes": B, "calls": N}): 0 and 0
 * when absent; N above count is refused (more calls measured than were made). */
int jl_heap_peak(jl_ctx *c, const json_t *o, const jp *ip, uint64_t count, double *bytes,
                 uint64_t *calls);
int jl_resource_members(jl_ctx *c, const json_t *o, const jp *ip, fathom_res *res,
                        fathom_alloc *alloc, fathom_alloc *alloc_self, double *flops,
                        double *flops_self, uint32_t *gov, uint32_t *time_every);
/* The schema-2 members of meta (required from version 2; defaults for version 1). */
int jl_meta2(jl_ctx *c, const json_t *meta, const jp *mp, fathom_meta *m);
/* The session-wide sections: resources, probes, gpus, series, mem_snapshots, gov_actions
 * (required from version 2; empty for version 1). Needs zones loaded. */
int jl_sections2(jl_ctx *c, const json_t *root, fathom_profile *p);

/* ---- schema 3 (json_find.c) ---- */
/* findings, slas, throughput (required from version 3; empty before). Needs zones, nodes and
 * counters loaded. */
int jl_sections3(jl_ctx *c, const json_t *root, fathom_profile *p);

/* ---- schema 4 (json_est.c) ---- */
/* Member key of obj: a number that must be finite and >= 0 (an error, a cost). */
int jl_cost(jl_ctx *c, const json_t *obj, const jp *at, const char *key, double *out);
/* Refuses [lo, hi] unless it holds v (a relative slack of 1e-6); v not finite: accepted. */
int jl_check_interval(jl_ctx *c, const jp *at, double v, double lo, double hi,
                      const char *what);
/* The schema-4 members of a stats object s at sp (count, timed and percentiles already read):
 * total_se_ns, self_se_ns, overhead_ns (required), pct_lo_ns, pct_hi_ns (optional: absent
 * means equal to the percentiles); timed <= count. */
int jl_stats4(jl_ctx *c, const json_t *s, const jp *sp, fathom_stats *st);
/* Schemas 1-3: the schema-4 figures of st derived from what the file holds (the error of
 * sampled timing from stddev, intervals from the histogram h; 0 where every call was timed). */
void jl_stats_old(jl_ctx *c, fathom_stats *st, const fathom_hist *h);
/* Schemas 2-3: resource sums over the probed calls become estimates over all count calls. */
void jl_res_old(fathom_res *r, uint64_t count);
/* The schema-4 members of meta (required from version 4; derived defaults before: call after
 * jl_meta2). */
int jl_meta4(jl_ctx *c, const json_t *meta, const jp *mp, fathom_meta *m);
/* Schemas 1-3: meta.n_timed from the nodes (n_zones less the calls they counted untimed). */
void jl_meta_old_timed(fathom_profile *p);

#endif
