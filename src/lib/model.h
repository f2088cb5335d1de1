/* model.h: internal helpers over the public profile model (fathom_profile in fathom.h):
 * histogram bucketing and merging, statistics merging, string and file helpers shared by the
 * recorder, the exporters and the loader.
 *
 * Invariant: a fathom_profile owns every pointer inside it; fathom_profile_free frees them
 * all, and every helper here leaves a model either updated or untouched on failure. */
#ifndef FATHOM_MODEL_H
#define FATHOM_MODEL_H

#include <stdio.h>
#include "fathom.h"

/* ---- histogram buckets (scheme documented on fathom_hist) ---- */
#define FZ_HIST_SUB 64        /* sub-buckets per power of two */
#define FZ_HIST_BLOCKS 40     /* blocks: 0 = [0,64), k>=1 = [2^(k+5), 2^(k+6)) */
#define FZ_HIST_MAX_NS ((uint64_t)1 << (FZ_HIST_BLOCKS + 5))

/* How it works: with m the top bit of (ns | 64) and sh = m - 6, ns >> sh has 7 significant
 * bits; below 128 that is ns itself (exact buckets), above it lies in [64, 128), i.e. 64
 * sub-buckets of width 2^sh. b = 64 * sh + (ns >> sh) numbers the buckets of every block
 * consecutively with no branch; values past the last block are clamped into it. */
static inline uint32_t fz_hist_bucket_of(uint64_t ns) {
  unsigned sh = 57u - (unsigned)__builtin_clzll(ns | 64);
  uint64_t b = (uint64_t)sh * FZ_HIST_SUB + (ns >> sh);
  return b < FATHOM_HIST_BUCKETS ? (uint32_t)b : FATHOM_HIST_BUCKETS - 1;
}
/* Lowest value in bucket b, and its width. */
uint64_t fz_hist_bucket_lo(uint32_t b);
uint64_t fz_hist_bucket_width(uint32_t b);
/* Midpoint used to report a value from bucket b. */
double fz_hist_bucket_mid(uint32_t b);

/* dst += src (bucket-wise). Returns 0 or FATHOM_E_NOMEM (dst untouched then). */
int fz_hist_merge(fathom_hist *dst, const fathom_hist *src);
/* Deep copy into an empty dst. */
int fz_hist_copy(fathom_hist *dst, const fathom_hist *src);
/* Builds a sparse histogram from a dense array of FATHOM_HIST_BUCKETS counts. */
int fz_hist_from_dense(fathom_hist *dst, const uint64_t *dense);
void fz_hist_free(fathom_hist *h);
uint64_t fz_hist_total(const fathom_hist *h);

/* Merges src into dst: count, total_ns, self_ns add; min/max; mean and stddev combined
 * exactly (Chan et al. pairwise update). Percentiles are NOT touched: recompute them from the
 * merged histogram with fz_stats_set_percentiles. */
void fz_stats_merge(fathom_stats *dst, const fathom_stats *src);
/* Fills p50..p999 from h using min_ns/max_ns of st for clamping. */
void fz_stats_set_percentiles(fathom_stats *st, const fathom_hist *h);

/* ---- memory and strings ---- */
char *fz_strdup(const char *s);            /* NULL -> NULL */
char *fz_strdup_or_empty(const char *s);   /* NULL -> "" (allocated) */

/* ---- call paths merged across threads (for text and CSV views) ----
 * One entry per distinct path of zones from a top-level zone, whatever the thread. Parents
 * precede children; children of one parent are linked in descending total_ns order. */
typedef struct fz_path {
  uint32_t zone;
  uint32_t parent;        /* FATHOM_NONE for top level */
  uint32_t depth;         /* 1 for top level */
  uint32_t first_child, next_sibling;   /* FATHOM_NONE when absent */
  uint32_t n_threads;     /* threads on which this path ran */
  fathom_stats stats;     /* merged; percentiles from hist */
  fathom_hist hist;
} fz_path;
/* Builds the merged path list. *out freed with fz_paths_free. *first_top receives the first
 * top-level path (FATHOM_NONE if none); top-level paths are linked through next_sibling. */
int fz_paths_build(const fathom_profile *p, fz_path **out, uint32_t *n_out, uint32_t *first_top);
void fz_paths_free(fz_path *paths, uint32_t n);
/* "a/b/c" path string for a path entry into buf (truncated with "..." if needed). */
void fz_path_string(const fathom_profile *p, const fz_path *paths, uint32_t i, char *buf,
                    size_t cap);

/* ---- atomic files: write to "<path>.tmp.<pid>", then rename ---- */
typedef struct fz_afile {
  FILE *f;
  char *path, *tmp;
} fz_afile;
/* Opens; path "-" means stdout (commit then only flushes). Returns 0 or FATHOM_E_IO. */
int fz_afile_open(fz_afile *a, const char *path);
/* Checks the stream for errors, fsyncs, closes and renames. On any failure removes the
 * temporary file and returns FATHOM_E_IO: no partial file is ever left at path. */
int fz_afile_commit(fz_afile *a);
/* Closes and removes the temporary file. */
void fz_afile_abort(fz_afile *a);

/* ---- views (one file each) ---- */
int fz_write_text(const fathom_profile *p, FILE *f, int color);   /* export_text.c */
int fz_write_json(const fathom_profile *p, FILE *f);              /* export_json.c */
int fz_write_csv(const fathom_profile *p, FILE *f);               /* export_csv.c */
int fz_write_chrome(const fathom_profile *p, FILE *f);            /* export_chrome.c */

#endif
