/* run.h: `fathom run`: profiling an unmodified program. The parts, one file each:
 *   perfrec.c  runs the program (fork, exec, stdio untouched, signals forwarded, exit status)
 *              under per-CPU perf_event_open sampling of its CPU time (threads and children
 *              followed by inheritance), and turns the ring buffers' records into the events
 *              below, in time order;
 *   wallpoll.c in wall-clock mode, polls the program's threads and samples those that wait
 *              (their stack where they wait, their time waiting for a CPU);
 *   unwind.c   keeps each process's memory map from those events and unwinds a sample's
 *              stack with elfutils' libdw (DWARF CFI, no frame pointers needed), then names
 *              each frame: function, file, line, and the functions inlined at that address;
 *   (the rest: the samples as a profile model, and the `fathom run` command.)
 *
 * Invariant: nothing here runs inside the profiled program; what cannot be read (a stripped
 * module, a stack cut short) leaves a shorter stack or an address, never a failure. */
#ifndef FATHOM_RUN_H
#define FATHOM_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Unaligned native-endian words of a record (perf's ring records, wallpoll.c's own). */
static inline uint32_t fz_rd32(const uint8_t *q) {
  uint32_t v;
  __builtin_memcpy(&v, q, 4);
  return v;
}
static inline uint64_t fz_rd64(const uint8_t *q) {
  uint64_t v;
  __builtin_memcpy(&v, q, 8);
  return v;
}
static inline void fz_wr32(uint8_t *q, uint32_t v) { __builtin_memcpy(q, &v, 4); }
static inline void fz_wr64(uint8_t *q, uint64_t v) { __builtin_memcpy(q, &v, 8); }

/* ---- events from the recorder (perfrec.c) --------------------------------------------- */

#define FZ_RUN_NREGS 17   /* x86-64 DWARF register numbers 0..16: rax rdx rcx rbx rsi rdi
                             rbp rsp r8..r15 rip (the order libdw's x86_64 backend takes) */

typedef struct fz_run_sample {
  uint32_t pid, tid;
  uint64_t time_ns;            /* CLOCK_MONOTONIC-like perf clock */
  uint64_t period_ns;          /* CPU time (or wall time in wall mode) this sample stands for */
  uint64_t regs[FZ_RUN_NREGS]; /* user registers at the sample, in DWARF order above */
  int regs_ok;                 /* 0: the sample caught no user registers (kernel thread) */
  const uint8_t *stack;        /* a copy of the user stack from regs[7] (rsp) upward */
  uint64_t stack_size;         /* bytes valid in stack */
  int off_cpu;                 /* wall mode: 1 the thread was waiting (off the CPU; only rsp and
                                  rip are known), 2 it was runnable, waiting for a CPU (no
                                  stack; the period is exact) */
  int same_wait;               /* off_cpu 1: the thread has not run since its previous off-CPU
                                  sample and waits at the same place: the same stack (no
                                  copy of it here) */
} fz_run_sample;

typedef struct fz_run_mmap {   /* an executable mapping of a file */
  uint32_t pid;
  uint64_t start, len, pgoff;  /* address range and file offset */
  const char *path;            /* the file ("[vdso]" and the like for special ones) */
} fz_run_mmap;

typedef struct fz_run_sink {   /* what perfrec.c calls, in time order */
  void *ctx;
  void (*mmap)(void *ctx, const fz_run_mmap *m);
  void (*comm)(void *ctx, uint32_t pid, uint32_t tid, const char *comm, int exec);
  void (*fork)(void *ctx, uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid);
  void (*exit)(void *ctx, uint32_t pid, uint32_t tid);
  void (*sample)(void *ctx, const fz_run_sample *s);
  void (*lost)(void *ctx, uint64_t n);   /* records the kernel dropped (ring full) */
  /* optional (NULL: not called): the time of the side-band record delivered next */
  void (*at)(void *ctx, uint64_t time_ns);
  /* optional: the program has ended and is not reaped yet (its /proc entry is a zombie's) */
  void (*ending)(void *ctx, pid_t pid);
} fz_run_sink;

typedef struct fz_run_opts {
  double freq_hz;              /* samples per second of CPU time (default 1000) */
  int wall;                    /* 1: also sample threads while they wait (wall-clock mode) */
  uint32_t stack_bytes;        /* user stack copied per sample (default 16384) */
  int quiet;                   /* 1: no "fathom: ..." lines on stderr */
} fz_run_opts;

typedef struct fz_run_result {
  int status;                  /* the program's wait status (as waitpid gives it) */
  pid_t pid;                   /* the program's pid */
  uint64_t samples, lost;      /* samples delivered, records lost */
  uint64_t off_cpu_samples;    /* of the samples, those of waiting threads (wall mode) */
  char why[256];               /* when sampling was not possible: why (the run still runs) */
} fz_run_result;

/* Runs argv[0] (PATH searched) with argv, stdin/stdout/stderr inherited, under sampling;
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT received meanwhile are passed to the program. Calls
 * the sink for every record, in time order, from the calling thread. Returns 0 when the
 * program ran (whatever its status: see res->status), or a negative FATHOM_E_* with res->why
 * when it could not be started. Sampling that cannot be set up (perf_event_paranoid, no
 * perf_event_open) is no failure: the program runs, res->why says why nothing was sampled. */
int fz_run_exec(char *const argv[], const fz_run_opts *o, const fz_run_sink *sink,
                fz_run_result *res);

/* ---- wall-clock mode (wallpoll.c) ------------------------------------------------------ */

typedef struct fz_wallpoll fz_wallpoll;
typedef void (*fz_wall_emit)(void *ctx, const fz_run_sample *s);

/* Starts polling pid's threads (and those of the processes fz_wallpoll_add names) on a
 * thread of its own, about freq_hz times a second from now; NULL when that is not possible
 * (out of memory, no thread). */
fz_wallpoll *fz_wallpoll_start(uint32_t pid, double freq_hz, uint32_t stack_bytes);
void fz_wallpoll_add(fz_wallpoll *w, uint32_t pid);  /* a new process of the program's */
/* Hands the samples polled since the last take to emit, in time order (a sample's stack
 * lives until emit returns). Returns a time (CLOCK_MONOTONIC ns) that no later sample will
 * precede. */
uint64_t fz_wallpoll_take(fz_wallpoll *w, fz_wall_emit emit, void *ctx);
void fz_wallpoll_stop(fz_wallpoll *w);               /* no more polls (a take gets the rest) */
void fz_wallpoll_free(fz_wallpoll *w);               /* stops it first */
/* After fz_wallpoll_stop: a problem met ("" when none). */
const char *fz_wallpoll_why(const fz_wallpoll *w);

/* An off-CPU sample as a record of perfrec.c's pool (a perf_event_header of type FZ_WALL_REC,
 * its time 16 bytes in): its size, writing it, reading it back (-1: malformed; s->stack then
 * points into q). */
#define FZ_WALL_REC 0x7a11u
size_t fz_wall_rec_size(const fz_run_sample *s);
void fz_wall_rec_write(uint8_t *q, const fz_run_sample *s);
int fz_wall_rec_read(const uint8_t *q, size_t size, fz_run_sample *s);

/* ---- unwinding and names (unwind.c) ------------------------------------------------------ */

typedef struct fz_unwinder fz_unwinder;

fz_unwinder *fz_unwinder_new(void);
void fz_unwinder_free(fz_unwinder *u);
/* Process bookkeeping, fed from the recorder's events. */
void fz_unwinder_mmap(fz_unwinder *u, const fz_run_mmap *m);
void fz_unwinder_fork(fz_unwinder *u, uint32_t pid, uint32_t ppid);   /* copies the parent's map */
void fz_unwinder_exec(fz_unwinder *u, uint32_t pid);                  /* forgets pid's map */
/* The sample's call stack, innermost first: program counters (pcs[0] the sampled ip, the
 * others return addresses). Returns how many (0 when even the ip is unknown). */
int fz_unwind(fz_unwinder *u, const fz_run_sample *s, uint64_t *pcs, int max);

typedef struct fz_frame_name {
  const char *func;            /* function name (demangled when C++), NULL when unknown */
  const char *file;            /* source file, NULL without debug info */
  uint32_t line;               /* 0 without debug info */
  const char *module;          /* the file the address lies in */
  uint64_t module_off;         /* the address as an offset into that file's mapping */
} fz_frame_name;

/* Names pc in pid's map: out[0] the innermost function at pc (an inlined one when pc lies in
 * inlined code), then the functions it is inlined into, outermost last. return_addr: pc is a
 * return address (pcs[1..]): it is looked up at pc - 1, inside the call. Returns how many
 * entries (at least 1: an unknown address gets func NULL and its module). The strings live
 * as long as u. */
int fz_unwinder_name(fz_unwinder *u, uint32_t pid, uint64_t pc, int return_addr,
                     fz_frame_name *out, int max);

#endif
