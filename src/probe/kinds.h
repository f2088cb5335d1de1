/* probe/kinds.h: private interface of the per-thread probes (probe.h). The context
 * (probe/thread.c) reads its probes through one table of probe kinds; each kind is one file
 * that exports a `const fz_probe_kind fz_probe_<name>`: probe/io.c (the thread's
 * /proc/thread-self/io), probe/rss.c (the process RSS from /proc/self/statm), probe/rusage.c
 * (getrusage(RUSAGE_THREAD) and the thread's CPU clock) and probe/perf.c (the perf_event_open
 * counter group) and probe/sock.c (the thread's socket bytes, counted by libfathom.so's
 * hooks). Also the helpers the kinds share: the fd budget, the probes' own-read
 * accounting, the number parser of /proc files and the description strings. Tests include
 * it to reach the parsers.
 *
 * Adding a probe: a new file defining its fz_probe_kind (declared at the end of this header)
 * and one entry in the table of probe/thread.c, at the place where it should be read.
 *
 * Invariant: a kind's read costs a fixed number of system calls, and neither allocates nor
 * locks nor uses stdio; only describe allocates (the strings it returns). Kinds need not
 * preserve errno: the entry points of probe.h do. */
#ifndef FATHOM_PROBE_KINDS_H
#define FATHOM_PROBE_KINDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fathom.h"
#include "probe/probe.h"

#pragma GCC visibility push(hidden)

#define FZ_PROBE_INFOS 2   /* the most descriptions one kind writes */

/* One probe. The context calls open, read and close on the thread that owns it; describe
 * and the process-wide hooks may run on any thread. */
typedef struct fz_probe_kind {
  const char *name;        /* the kind's name (its file's) */
  int level;               /* the lowest level using it (FATHOM_LEVEL_DETAILED or higher) */
  int listed;              /* where its descriptions go in fz_probe_describe's list (lowest
                              first); profiles keep that order */
  size_t state_size;       /* per-context state, zeroed before open; 0 when the kind keeps only
                              process-wide state (such kinds open first: see thread.c) */
  void (*init)(void);      /* once per process before any open or describe; NULL: none */
  void (*after_fork)(void);  /* in the child after fork, async-signal-safe calls only (the
                                context then closes and reopens every kind); NULL: none */
  int (*open)(void *st);   /* opens the calling thread's files; nonzero if it can read */
  void (*close)(void *st); /* closes what open opened (also after an open that failed) */
  /* Reads the current values into out (for a zone's begin, at_end 0, or its end, 1); returns
   * the mask of the indices written (0 when it could not read). */
  uint32_t (*read)(void *st, fz_pval *out, int at_end);
  /* Writes at most cap (<= FZ_PROBE_INFOS) descriptions with malloc'ed strings (see
   * fz_probe_describe); returns how many (an entry whose strings could not be allocated is
   * left out). */
  uint32_t (*describe)(fathom_probe_info *out, uint32_t cap);
} fz_probe_kind;

/* ---- fds held by probes (probe/thread.c) ----------------------------------------------
 * Probes hold at most a budget of fds process-wide (a quarter of RLIMIT_NOFILE's soft limit,
 * at most 512), so profiling never exhausts the program's descriptors. An fd remembers the
 * identity of what it opened, and is closed only if it still refers to that (a program that
 * closed it and reused the number keeps its own file). */
typedef struct fz_pfd {
  int fd;             /* -1: none */
  uint64_t dev, ino;  /* identity of the open file */
} fz_pfd;

/* Reserves one fd of the budget: 1, or 0 when the budget is spent (counted as a refusal). */
int fz_pfd_reserve(void);
/* Returns a reservation that was not used (async-signal-safe). */
void fz_pfd_unreserve(void);
/* Records fd (opened under a reservation, >= 0) in *p with its identity. */
void fz_pfd_adopt(fz_pfd *p, int fd);
/* Closes *p if it still refers to what was adopted, returns the reservation, sets fd -1. */
void fz_pfd_close(fz_pfd *p);
/* Budget figures for the descriptions. */
void fz_pfd_stats(uint32_t *budget, uint64_t *refusals);
/* Whether fd still refers to the file of identity dev, ino (async-signal-safe). */
int fz_pfd_same_file(int fd, uint64_t dev, uint64_t ino);

/* ---- the probes' own reads (probe/io.c) ------------------------------------------------- */

/* Bytes the calling thread's probes have read through read(2)/pread(2) (these count in the
 * thread's rchar; the io probe subtracts them so READ_BYTES shows only the program's reads). */
void fz_probe_self_read(uint64_t n);
/* pread of the whole small file at fd into buf (size cap), counted as the probes' own read.
 * Returns the byte count, or -1 with errno set. */
ssize_t fz_probe_reread(int fd, char *buf, size_t cap);

/* ---- /proc parsers; robust to any content ---------------------------------------------- */

/* Decimal digits at p (before end) into *out, saturating at INT64_MAX; the number must be
 * followed by a space or newline inside the buffer (a number cut by the buffer's end is not
 * trusted). Returns the position after the number, or NULL. */
static inline const char *fz_parse_num(const char *p, const char *end, int64_t *out) {
  const char *s = p;
  uint64_t v = 0;
  while (p < end && (unsigned)(*p - '0') <= 9u && p - s < 18) v = v * 10 + (unsigned)(*p++ - '0');
  while (p < end && (unsigned)(*p - '0') <= 9u) {   /* 19 digits and more: rare, checked */
    unsigned dg = (unsigned)(*p++ - '0');
    v = v > ((uint64_t)INT64_MAX - dg) / 10 ? (uint64_t)INT64_MAX : v * 10 + dg;
  }
  if (p == s || p == end || (*p != ' ' && *p != '\n')) return NULL;
  *out = (int64_t)v;
  return p;
}

/* Parses /proc/<tid>/io text of n bytes: out[0..5] = rchar, wchar, read_bytes, write_bytes,
 * syscr, syscw.
 * Returns the mask of fields found (bit k: out[k] valid). (probe/io.c) */
#define FZ_IO_FIELDS 6   /* rchar, wchar, read_bytes, write_bytes, syscr, syscw */
uint32_t fz_parse_proc_io(const char *buf, size_t n, int64_t out[FZ_IO_FIELDS]);
/* Parses /proc/self/statm text: *resident_pages = second field. Returns 1, or 0 if absent.
 * (probe/rss.c) */
int fz_parse_statm(const char *buf, size_t n, int64_t *resident_pages);

/* ---- descriptions (probe/thread.c) ------------------------------------------------------ */

/* Fills *o with malloc'ed copies of name and detail. Returns 1, or 0 when out of memory (the
 * strings are then NULL). */
int fz_probe_set_info(fathom_probe_info *o, const char *name, int available, const char *detail);
/* strerror_r's text of err (buf, of n bytes, may hold it). */
const char *fz_probe_err_text(int err, char *buf, size_t n);
/* "; N probe files were not opened: fathom's budget of B fds (...) was reached", or "" when
 * the budget never refused an fd; into dst of cap bytes. */
void fz_probe_budget_note(char *dst, size_t cap);

/* ---- the kinds, in the order of the table in probe/thread.c ------------------------------ */

extern const fz_probe_kind fz_probe_sock;     /* probe/sock.c */
extern const fz_probe_kind fz_probe_io;       /* probe/io.c */
extern const fz_probe_kind fz_probe_rss;      /* probe/rss.c */
extern const fz_probe_kind fz_probe_rusage;   /* probe/rusage.c */
extern const fz_probe_kind fz_probe_perf;     /* probe/perf.c */

#pragma GCC visibility pop
#endif
