/* procs.h: the processes of a `fathom run` (procs.c): which processes the program ran (from
 * the recorder's fork, command and exit records), their command lines and the kernel's
 * figures for each (/proc: CPU time, page faults, peak RSS, I/O), read by a background
 * thread every FZ_PROCS_POLL_MS and once more when a process is seen as a zombie (its final
 * figures, exact), and the program's own exit status.
 *
 * Invariant: calls from the recorder's thread and the poller are serialised by one lock;
 * memory is bounded by FZ_PROCS_MAX processes (the rest are counted, not described). */
#ifndef FATHOM_RUN_PROCS_H
#define FATHOM_RUN_PROCS_H

#include <stdint.h>
#include <sys/types.h>

#include "fathom.h"

#define FZ_PROCS_POLL_MS 100
#define FZ_PROCS_MAX 4096

typedef struct fz_run_procs fz_run_procs;

/* t0_ns: the session's start on the recorder's clock (CLOCK_MONOTONIC). */
fz_run_procs *fz_run_procs_new(uint64_t t0_ns);
void fz_run_procs_free(fz_run_procs *ps);
/* Starts / stops the poller thread (0, or -1 when it could not start: figures then come
 * from the final reads only). */
int fz_run_procs_start(fz_run_procs *ps);
void fz_run_procs_stop(fz_run_procs *ps);

/* Recorder events. The time of the next one (t_ns, recorder clock), then the event. */
void fz_run_procs_at(fz_run_procs *ps, uint64_t t_ns);
void fz_run_procs_fork(fz_run_procs *ps, uint32_t pid, uint32_t ppid);
/* pid ran a new program, named comm: its command line is read (comm when it cannot be). */
void fz_run_procs_exec(fz_run_procs *ps, uint32_t pid, const char *comm);
void fz_run_procs_exit(fz_run_procs *ps, uint32_t pid);
/* The program (a zombie, not yet reaped): its final figures; then its wait status. */
void fz_run_procs_final(fz_run_procs *ps, pid_t pid);
void fz_run_procs_status(fz_run_procs *ps, pid_t pid, int wait_status);

/* Fills p->processes and each thread's process (thread_pid[i]: the pid of p->threads[i])
 * and each process's sampled CPU time from its threads' self times. end_ns: the session's
 * end (processes still running end there). 0, or -1 out of memory. */
int fz_run_procs_build(fz_run_procs *ps, fathom_profile *p, const uint32_t *thread_pid,
                       uint64_t end_ns);

#endif
