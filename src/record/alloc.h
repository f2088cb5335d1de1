/* alloc.h: heap allocation tracking. alloc.c keeps per-call-path allocation cells and the
 * live-memory snapshots; hooks/alloc_hooks.c (built into libfathom.so only) interposes
 * malloc, calloc, realloc, reallocarray, free, posix_memalign, aligned_alloc, memalign,
 * valloc, pvalloc and malloc_usable_size (C++ new/delete reach them through malloc/free).
 *
 * Invariant: the hooks never fail an allocation that libc would have served, preserve errno,
 * never recurse into themselves, work before main and after the session ends, and take no
 * lock on the common path. */
#ifndef FATHOM_ALLOC_H
#define FATHOM_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "fathom.h"

#pragma GCC visibility push(hidden)

/* 1 while the calling thread must not have its allocations attributed (fathom's own
 * allocations: snapshots, node chunks, interning). Nests. */
void fz_alloc_pause(void);
void fz_alloc_resume(void);

/* Session control (called by session.c under fz_g.lock): tracking starts for generation
 * gen when on != 0; 0 stops attribution (hooks then only pass through). */
void fz_alloc_session(uint32_t gen, int on);
/* 1 if the hooks are the process's malloc (libfathom.so loaded and not overridden, e.g. by
 * a sanitizer runtime); else 0 with a reason in *why (static string). */
int fz_alloc_available(const char **why);

/* Allocation statistics of cell id (fz_node.acell) of generation gen into *out
 * (growth_bytes_per_call left 0). Returns 0, or -1 for an unknown cell. */
int fz_alloc_cell_read(uint32_t id, uint32_t gen, fathom_alloc *out);
/* Totals of every cell of generation gen still live (leaked_bytes/count for the summary). */
void fz_alloc_live_total(uint32_t gen, uint64_t *count, uint64_t *bytes);

/* Bytes currently live from cell id (allocated there, not freed); 0 for none. Owner thread
 * of the cell's node, cheap (for the growth trend at probed zone ends). */
int64_t fz_alloc_cell_live(uint32_t id);

/* The calling thread's own attributed allocations since it started: bytes allocated, bytes
 * live (allocated by it, less those it freed itself: frees by other threads are not seen, so
 * this is at least the true figure) and the highest live figure since the last reset. */
typedef struct fz_alloc_tmark {
  uint64_t bytes;
  int64_t live, peak;
} fz_alloc_tmark;
/* 1 and *m filled when tracking is on for the calling thread's session (reset_peak: the peak
 * starts again at the live figure first); else 0 and *m untouched. Reads only the calling
 * thread's figures. */
int fz_alloc_thread_mark(fz_alloc_tmark *m, int reset_peak);
/* A probed zone's heap high-water mark (special.c). begin: 1 when tracking is on for the
 * calling thread, with its live bytes and its running peak saved, the peak restarted at the
 * live figure; else 0. end: the peak above live0 since that begin (>= 0), the running peak
 * set back to the larger of prev_peak and the zone's, so an enclosing zone sees its child's
 * high-water mark; -1 when tracking is off. */
int fz_alloc_peak_begin(int64_t *live0, int64_t *prev_peak);
int64_t fz_alloc_peak_end(int64_t live0, int64_t prev_peak);

/* Memory snapshots (fathom_mem_snapshot, fathom_leak_check are defined in alloc.c; they walk
 * the threads' call trees under fz_g.lock and sum live bytes of each node's cell by site).
 * collect appends the session's snapshots to p->mem_snapshots, mapping site ids to zone
 * indices with zone_of (FATHOM_NONE: left out), and sets p->meta.dropped_snapshots. */
int fz_alloc_snapshots_collect(fathom_profile *p, uint32_t (*zone_of)(void *ctx, uint32_t site_id),
                               void *ctx);
/* Forgets the snapshots (session begin, fathom_reset). */
void fz_alloc_snapshots_clear(void);

/* ---- sampled allocations by stack (allocsample.c; `fathom run --alloc`) ---- */

/* Per thread: bytes left until the next sample point, the thread's unflushed share of the
 * heap total, its random state. */
typedef struct fz_asmp_tls {
  int64_t left, delta;
  uint64_t rng;
  int inited;
} fz_asmp_tls;
#define FZ_ASMP_BATCH 65536   /* a thread's heap share goes to the process's total past this */
#define FZ_ASMP_TRAILER 8u    /* bytes after a sampled block: pid << 32 | stack slot */

extern uint64_t fz_asmp_mean_;   /* mean bytes between samples; 0: sampling off */
extern __thread fz_asmp_tls fz_asmp_t_ __attribute__((tls_model("initial-exec")));
/* The thread's countdown ran out in an allocation of n bytes: FZ_ASMP_TRAILER when it is to
 * be sampled, else 0. */
size_t fz_asmp_slow(size_t n);
/* Records the sampled allocation (n bytes) just made: its trailer, or 0 (not recorded). */
uint64_t fz_asmp_note_alloc(size_t n);
/* The free of a sampled block of n bytes with trailer tr. */
void fz_asmp_note_free(uint64_t tr, size_t n);
/* The thread's heap share passed +-FZ_ASMP_BATCH. */
void fz_asmp_flush(void);

#pragma GCC visibility pop
#endif
