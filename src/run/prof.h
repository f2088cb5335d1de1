/* prof.h: the samples of `fathom run` as a profile model (prof.c).
 * Invariant: the model built holds every sample fed (or the build fails for memory, NULL);
 * it passes fathom_profile_check. */
#ifndef FATHOM_RUN_PROF_H
#define FATHOM_RUN_PROF_H

#include <stdint.h>

#include "fathom.h"
#include "run/run.h"

typedef struct fz_run_prof fz_run_prof;

/* u names the frames; it must outlive the fz_run_prof. */
fz_run_prof *fz_run_prof_new(fz_unwinder *u);
void fz_run_prof_free(fz_run_prof *rp);
/* A thread's name (its command); an exited thread's later samples start a new one. */
void fz_run_prof_comm(fz_run_prof *rp, uint32_t pid, uint32_t tid, const char *comm);
void fz_run_prof_exit(fz_run_prof *rp, uint32_t pid, uint32_t tid);
/* A new thread or process takes the name of the thread that made it (until it execs). */
void fz_run_prof_fork(fz_run_prof *rp, uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid);
/* Unwinds, names and adds one sample. */
void fz_run_prof_sample(fz_run_prof *rp, const fz_run_sample *s);
uint64_t fz_run_prof_samples(const fz_run_prof *rp);      /* CPU samples */
uint64_t fz_run_prof_off_samples(const fz_run_prof *rp);  /* wall mode: of waiting threads */
/* Places every sample in the zones open on its thread when it was taken (an instrumented
 * program: zones.h), each zone a frame of kind zone after the frame of the function that
 * opened it. Returns the samples placed in a zone, -1 out of memory, -2 when not every
 * sample was kept (FZ_RUN_KEEP_SAMPLES): the profile is then left as it was. */
#define FZ_RUN_KEEP_SAMPLES (2u << 20)
struct fz_run_zones;
int64_t fz_run_prof_zones(fz_run_prof *rp, const struct fz_run_zones *z);
/* The pid of each thread, in the order of the model's threads (n: how many the model has). */
void fz_run_prof_thread_pids(const fz_run_prof *rp, uint32_t *out, uint32_t n);
/* on: name each address by the function its code belongs to (the symbol), leaving out the
 * functions inlined there (`perf report --no-inline`); off (default): each inlined function
 * is a frame of its own. */
void fz_run_prof_no_inline(fz_run_prof *rp, int on);
/* The share of the samples taken in code without a symbol (stripped modules), and in module
 * the file holding most of them ("" when none). */
double fz_run_prof_unnamed(const fz_run_prof *rp, char *module, size_t cap);

/* Allocations by stack (`fathom run --alloc`): the figures of one stack, each an estimate
 * from allocations sampled by bytes, with its variance: allocated, still live at the end, and
 * live when the process's heap was at its peak; bytes, then objects, then their variances. */
enum {
  FZ_RUN_ALLOC_BYTES, FZ_RUN_ALLOC_COUNT, FZ_RUN_ALLOC_BYTES_VAR, FZ_RUN_ALLOC_COUNT_VAR,
  FZ_RUN_LIVE_BYTES, FZ_RUN_LIVE_COUNT, FZ_RUN_LIVE_BYTES_VAR, FZ_RUN_LIVE_COUNT_VAR,
  FZ_RUN_PEAK_BYTES, FZ_RUN_PEAK_COUNT, FZ_RUN_PEAK_BYTES_VAR, FZ_RUN_PEAK_COUNT_VAR,
  FZ_RUN_ALLOC_N
};
/* Adds them to the call path of pcs (return addresses, innermost first; frames of
 * libfathom.so at the top are left out) on thread tid of process pid; a path that only
 * allocates has no time. The innermost frame's source line is the allocating line (a path's
 * alloc_self.line: the one of most bytes). The profile then says it tracked allocations. */
void fz_run_prof_alloc(fz_run_prof *rp, uint32_t pid, uint32_t tid, const uint64_t *pcs, int n,
                       const double figs[FZ_RUN_ALLOC_N]);

typedef struct fz_run_build_info {
  const char *name;        /* the session's name (the program's name) */
  const char *program;     /* its path */
  int64_t pid;
  uint64_t start_unix_ns, duration_ns;
  double cpu_time_ns;      /* the program's CPU time, children included (wait4) */
  double period_ns;        /* the sampling period asked for */
  int wall;                /* wall-clock mode: waiting threads sampled too */
} fz_run_build_info;

/* The model (free with fathom_profile_free), or NULL when out of memory. */
fathom_profile *fz_run_prof_build(fz_run_prof *rp, const fz_run_build_info *bi);

#endif
