/* cmd_run.c: `fathom run [options] -- PROGRAM ARGS...`: runs an unmodified program under
 * sampling of its CPU time (src/run: perf_event_open, stacks unwound with libdw; with --wall
 * also its threads' waits, src/run/wallpoll.c) and writes one profile of every thread and
 * child process it ran.
 *
 * With --alloc, libfathom.so is preloaded into the program and its children and samples their
 * allocations by bytes (src/record/allocsample.c); each process leaves a file in a private
 * temporary directory at its exit, read here (src/run/allocfile.c) into the same profile.
 * With --locks, libfathom.so is preloaded with FATHOM_LOCKS=1 and a session of its own in each
 * process (no CPU sampler, no monitor, no report): its pthread hooks profile the program's
 * locks, and the session hands its locks table over with the zones' timeline (FATHOM_RUN_ZONES),
 * read here into the profile's locks. --sql (FATHOM_SQLITE=1: SQLite statements) and --net
 * (FATHOM_CURL=1: libcurl requests) preload it the same way; the first process's statements and
 * requests tables are taken (a second process's are counted as dropped, not merged).
 *
 * Invariant: the program's stdin, stdout and stderr are its own (fathom writes one summary
 * line to stderr after it ended); fathom exits with the program's status (a program killed
 * by a signal: fathom ends with the same signal once the profile is written). Options are
 * checked before the program starts: a usage error never runs it. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "opts.h"
#include "run/allocfile.h"
#include "run/procs.h"
#include "run/prof.h"
#include "run/run.h"
#include "run/zones.h"
#include "util/fmt.h"
#include "view/view.h"
#include "tool.h"

#define CMD "run"

void cmd_run_help(FILE *f) {
  fputs("Usage: fathom run [options] [--] PROGRAM [ARGS...]\n"
        "\n"
        "Run PROGRAM, unmodified, and profile it: the stack of each of its threads is\n"
        "sampled at a steady rate of their CPU time (Linux perf events; no rebuild, no\n"
        "frame pointers needed), unwound with the programs' DWARF call frame information\n"
        "and named to function, file and line (inlined functions included) with elfutils.\n"
        "Threads and child processes are followed. PROGRAM keeps its standard input,\n"
        "output and error; Ctrl-C and the signals sent to fathom reach it, and fathom\n"
        "exits with its status once the profile is written.\n"
        "\n"
        "Options:\n"
        "  -o, --output OUT    write the profile to OUT (default: PROGRAM.fathom.json in\n"
        "                      the current directory); the format follows OUT's name\n"
        "                      (.json, .html, .csv, .folded, .speedscope.json, trace.json,\n"
        "                      .pb.gz for pprof; text otherwise) unless --format is given\n"
        "      --format FMT    text, json, csv, chrome, html, folded, speedscope or pprof\n"
        "  -F, --freq HZ       samples per second of CPU time per thread (default 1000;\n"
        "                      250 with --wall)\n"
        "      --wall          wall-clock time: also sample each thread while it waits\n"
        "                      (sleep, a lock, I/O), at its stack there, -F times a\n"
        "                      second of wall-clock time, and count its time waiting for\n"
        "                      a CPU; self time less CPU time is then time spent waiting\n"
        "      --stack-bytes N user stack copied per sample for unwinding (default 16384;\n"
        "                      more for deep recursion, at more cost per sample)\n"
        "      --no-inline     name each address by its function (the symbol) only, not\n"
        "                      the functions inlined there (by default each is a frame)\n"
        "      --alloc         also record heap allocations by stack: bytes and objects\n"
        "                      allocated, still live at exit (leaks) and live at the\n"
        "                      heap's peak, sampled by bytes (preloads libfathom.so)\n"
        "      --alloc-rate N  mean bytes between sampled allocations (default 524288;\n"
        "                      suffix k or m for KiB, MiB; smaller: finer, slower)\n"
        "      --locks         also profile the pthread locks: acquisitions, contended\n"
        "                      ones and their waits, holds (preloads libfathom.so with\n"
        "                      FATHOM_LOCKS=1; docs/locks.md)\n"
        "      --sql           also profile the program's SQLite statements, per\n"
        "                      normalised statement (preloads libfathom.so with\n"
        "                      FATHOM_SQLITE=1; docs/sql.md)\n"
        "      --net           also profile the program's libcurl requests, per endpoint\n"
        "                      (preloads libfathom.so with FATHOM_CURL=1; docs/network.md)\n"
        "  -q, --quiet         no summary line on stderr\n"
        "  -h, --help          show this help and exit\n"
        "\n"
        "The figures: a sample stands for its period of CPU time; a function's self time\n"
        "is its samples' time in its own code, its total time that of the samples with it\n"
        "on the stack, each with its standard error. Calls are not counted (0 in the\n"
        "profile: a sampled profile says where time went, not how often). Sampling needs\n"
        "perf events for one's own processes (kernel.perf_event_paranoid 2 or less); when\n"
        "they are refused the program still runs and fathom says why. With --wall, a\n"
        "waiting thread's sample stands for the wall-clock time since the one before; its\n"
        "time waiting for a CPU is the frame [waiting for a CPU].\n"
        "\n"
        "Exit status: the program's; 2 for a usage error or a program that could not be\n"
        "started, 1 when the profile could not be written.\n"
        "\n"
        "Examples:\n"
        "  fathom run -- ./myprog --input data.bin\n"
        "  fathom run -o prof.html -- make -j2\n"
        "  fathom run --wall -- ./server --once     # where its threads wait, too\n"
        "  fathom run --alloc -o heap.json -- ./myprog\n"
        "  fathom report myprog.fathom.json\n",
        f);
}

/* ---- the recorder's events, handed to the unwinder and the model ------------------------- */

typedef struct run_ctx {
  fz_unwinder *u;
  fz_run_prof *rp;
  fz_run_procs *ps;
  uint64_t lost;
} run_ctx;

static void on_mmap(void *c, const fz_run_mmap *m) { fz_unwinder_mmap(((run_ctx *)c)->u, m); }
static void on_comm(void *c, uint32_t pid, uint32_t tid, const char *comm, int exec) {
  run_ctx *x = c;
  if (exec && pid == tid) {
    fz_unwinder_exec(x->u, pid);
    fz_run_procs_exec(x->ps, pid, comm);
  }
  fz_run_prof_comm(x->rp, pid, tid, comm);
}
static void on_fork(void *c, uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid) {
  run_ctx *x = c;
  if (pid != ppid) {                                  /* a new process */
    fz_unwinder_fork(x->u, pid, ppid);
    fz_run_procs_fork(x->ps, pid, ppid);
  }
  fz_run_prof_fork(x->rp, pid, ppid, tid, ptid);
}
static void on_exit_(void *c, uint32_t pid, uint32_t tid) {
  run_ctx *x = c;
  if (pid == tid) fz_run_procs_exit(x->ps, pid);
  fz_run_prof_exit(x->rp, pid, tid);
}
static void on_at(void *c, uint64_t t) { fz_run_procs_at(((run_ctx *)c)->ps, t); }
static void on_ending(void *c, pid_t pid) { fz_run_procs_final(((run_ctx *)c)->ps, pid); }
static void on_sample(void *c, const fz_run_sample *s) {
  fz_run_prof_sample(((run_ctx *)c)->rp, s);
}
static void on_lost(void *c, uint64_t n) { ((run_ctx *)c)->lost += n; }

static uint64_t now_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Whether prog (searched in PATH like execvp) is set-user-ID or set-group-ID. */
static int setid_program(const char *prog) {
  struct stat st;
  if (strchr(prog, '/')) return stat(prog, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID));
  const char *path = getenv("PATH");
  if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
  while (*path) {
    size_t n = strcspn(path, ":");
    char full[4096];
    if (n + strlen(prog) + 2 < sizeof full) {
      snprintf(full, sizeof full, "%.*s/%s", n ? (int)n : 1, n ? path : ".", prog);
      if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
        return (st.st_mode & (S_ISUID | S_ISGID)) != 0;
    }
    path += n + (path[n] == ':');
  }
  return 0;
}

/* The zones of an instrumented program (zones.PID.START.json in dir, its session's end): each
 * sample is placed in the zones open on its thread then. The files and dir are removed. */
/* ---- --locks: the locks tables the processes' sessions handed over ------------------ */

typedef struct lock_take {
  fathom_lock_info *v;
  uint32_t n, procs;     /* locks; processes that had some */
  uint64_t dropped;
  int bad;               /* a file could not be read */
  fathom_profile *req;   /* the first process that made network requests (its profile) */
  fathom_profile *sql;   /* the first process that ran database statements (its profile) */
} lock_take;

/* Moves the locks of every "zones.PID.T.json" in dir into *lt (names prefixed "pid PID: " once
 * a second process has some). */
static void take_locks(const char *dir, lock_take *lt) {
  DIR *d = opendir(dir);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    unsigned long pid;
    unsigned long long t0;
    char tail[8];
    if (sscanf(de->d_name, "zones.%lu.%llu.%7s", &pid, &t0, tail) != 3 || strcmp(tail, "json"))
      continue;
    char path[4096 + 300], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    fathom_profile *p = NULL;
    if (fathom_profile_load(path, &p, err, sizeof err) || !p) {
      lt->bad = 1;
      continue;
    }
    lt->dropped += p->locks_dropped;
    fathom_lock_info *nv = p->n_locks ? realloc(lt->v, (lt->n + p->n_locks) * sizeof *nv) : NULL;
    if (nv) {
      lt->v = nv;
      for (uint32_t i = 0; i < p->n_locks; i++) {
        char *nm = malloc(strlen(p->locks[i].name) + 32);
        if (nm) {
          snprintf(nm, strlen(p->locks[i].name) + 32, "pid %lu: %s", pid, p->locks[i].name);
          free(p->locks[i].name);
          p->locks[i].name = nm;
        }
        lt->v[lt->n++] = p->locks[i];
      }
      lt->procs++;
      free(p->locks);
      p->locks = NULL;
      p->n_locks = 0;
    } else if (p->n_locks) {
      lt->bad = 1;
    }
    for (uint32_t i = 0; i < p->n_requests && lt->req; i++)   /* a second process's: */
      lt->req->requests_dropped += p->requests[i].count;   /* counted, not merged */
    for (uint32_t i = 0; p && i < p->n_queries && lt->sql; i++)
      lt->sql->queries_dropped += p->queries[i].count;
    if (p && p->queries && !lt->sql) {   /* its statements move to a profile of their own */
      fathom_profile *q = calloc(1, sizeof *q);
      if (q) {
        q->queries = p->queries, q->n_queries = p->n_queries;
        q->queries_dropped = p->queries_dropped;
        p->queries = NULL, p->n_queries = 0;
        lt->sql = q;
      }
    }
    if (p && p->requests && !lt->req) lt->req = p, p = NULL;
    fathom_profile_free(p);
  }
  if (d) closedir(d);
}

/* The locks of lt into p (the most waited on first); one process: its names without pids. */
static int lock_cmp(const void *a, const void *b) {
  const fathom_lock_info *x = a, *y = b;
  if (x->wait_ns != y->wait_ns) return x->wait_ns > y->wait_ns ? -1 : 1;
  return strcmp(x->name, y->name);
}

static void put_locks(fathom_profile *p, lock_take *lt) {
  for (uint32_t i = 0; lt->procs == 1 && i < lt->n; i++) {
    char *c = strstr(lt->v[i].name, ": ");
    if (c) memmove(lt->v[i].name, c + 2, strlen(c + 2) + 1);
  }
  if (lt->n) qsort(lt->v, lt->n, sizeof *lt->v, lock_cmp);
  p->locks = lt->v;
  p->n_locks = lt->n;
  p->locks_dropped = lt->dropped;
  lt->v = NULL;
  lt->n = 0;
  if (lt->sql) {
    p->queries = lt->sql->queries, p->n_queries = lt->sql->n_queries;
    p->queries_dropped = lt->sql->queries_dropped;
    lt->sql->queries = NULL, lt->sql->n_queries = 0;
  }
  if (!lt->req) return;
  p->requests = lt->req->requests, p->n_requests = lt->req->n_requests;
  p->requests_dropped = lt->req->requests_dropped;
  lt->req->requests = NULL, lt->req->n_requests = 0;
}

static void take_zones(fz_run_prof *rp, const char *dir, int quiet, lock_take *lt) {
  if (lt) take_locks(dir, lt);
  int bad = 0;
  fz_run_zones *z = fz_run_zones_load(dir, &bad);
  if (z) {
    int64_t k = fz_run_prof_zones(rp, z);
    if (k < 0 && !quiet)
      fprintf(stderr, "fathom: the program's zones are not shown in the samples: %s\n",
              k == -2 ? "too many samples were kept to place them" : "out of memory");
  }
  if (bad && !quiet)
    fprintf(stderr, "fathom: %d of the program's zone timelines could not be read\n", bad);
  fz_run_zones_free(z);
  DIR *d = opendir(dir);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (!strncmp(de->d_name, "zones.", 6)) {
      char path[4096 + 300];
      snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
      unlink(path);
    }
  }
  if (d) closedir(d);
  rmdir(dir);
}

/* Ends fathom with the program's status: its exit code, or its signal (default action). */
static int pass_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    fflush(NULL);
    signal(sig, SIG_DFL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core); /* the program dumped its own core, if any */
    raise(sig);
    return 128 + sig;
  }
  return TOOL_EXIT_OUTPUT;
}

/* ---- --alloc: libfathom.so preloaded, the processes' allocation files read back -------- */

#define ALLOC_RATE_DEFAULT 524288u

/* libfathom.so: next to the fathom binary (the build tree) or in the install's lib folders.
 * 0, or -1 when there is none. */
static int find_preload_lib(char *out, size_t cap) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return -1;
  exe[n] = 0;
  char *slash = strrchr(exe, '/');
  if (!slash) return -1;
  *slash = 0;
  static const char *const rel[] = {"", "/../lib", "/../lib64", "/../lib/x86_64-linux-gnu",
                                    "/../lib/aarch64-linux-gnu"};
  for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
    char cand[PATH_MAX + 64];
    snprintf(cand, sizeof cand, "%s%s/libfathom.so", exe, rel[i]);
    char full[PATH_MAX];
    if (access(cand, R_OK) == 0 && realpath(cand, full) && strlen(full) < cap) {
      memcpy(out, full, strlen(full) + 1);
      return 0;
    }
  }
  return -1;
}

/* Appends lib to LD_PRELOAD (the program's own first), unless it is there. 0, or -1. */
static int preload_env(const char *lib) {
  const char *old = getenv("LD_PRELOAD");
  if (old && strstr(old, lib)) return 0;
  size_t n = strlen(lib) + (old ? strlen(old) : 0) + 2;
  char *pre = malloc(n);
  if (!pre) return -1;
  if (old && *old)
    snprintf(pre, n, "%s:%s", old, lib);
  else
    snprintf(pre, n, "%s", lib);
  int rc = setenv("LD_PRELOAD", pre, 1);
  free(pre);
  return rc ? -1 : 0;
}

/* Sets what the preloaded library reads: LD_PRELOAD, the sampling rate and the files'
 * prefix. 0, or -1 (out of memory). */
static int alloc_env(const char *lib, uint64_t rate, const char *prefix) {
  char r[32];
  snprintf(r, sizeof r, "%llu", (unsigned long long)rate);
  return preload_env(lib) || setenv("FATHOM_ALLOC_SAMPLE", r, 1) ||
                 setenv("FATHOM_ALLOC_STACKS", prefix, 1)
             ? -1
             : 0;
}

/* --locks, --sql, --net: the preloaded library's hooks asked for on, and a session in each
 * process that only they feed (no CPU sampler, no monitor, no report of its own: the profile
 * is handed over). */
static int hooks_env(const char *lib, int locks, int sql, int net) {
  return preload_env(lib) || setenv("FATHOM", "1", 1) ||
                 (locks && setenv("FATHOM_LOCKS", "1", 1)) ||
                 (net && setenv("FATHOM_CURL", "1", 1)) ||
                 (sql && setenv("FATHOM_SQLITE", "1", 1)) ||
                 setenv("FATHOM_SAMPLE_HZ", "0", 1) || setenv("FATHOM_MONITOR", "0", 1) ||
                 setenv("FATHOM_REPORT", "0", 1)
             ? -1
             : 0;
}

typedef struct alloc_sum {
  uint64_t files, samples, dropped, peak, peak_pid, slack;
  int bad;   /* a file was refused */
} alloc_sum;

/* Reads every "<dir>/a.<pid>" into the profile (rp NULL: none) and removes the directory. */
static void alloc_read_all(const char *dir, fz_unwinder *u, fz_run_prof *rp, alloc_sum *sum) {
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    const char *num = e->d_name + 2;
    if (rp && strncmp(e->d_name, "a.", 2) == 0 && *num &&
        strspn(num, "0123456789") == strlen(num)) {
      fz_alloc_file f;
      char why[PATH_MAX + 256];
      if (fz_alloc_file_read(path, &f, why, sizeof why) == 0) {
        for (uint32_t i = 0; i < f.n_maps; i++) fz_unwinder_mmap(u, &f.maps[i]);
        for (uint32_t i = 0; i < f.n_stacks; i++)
          fz_run_prof_alloc(rp, f.pid, f.stacks[i].tid, f.stacks[i].pcs, (int)f.stacks[i].depth,
                            f.stacks[i].f);
        sum->files++;
        sum->samples += f.samples;
        sum->dropped += f.dropped;
        if (f.heap_peak > sum->peak) {
          sum->peak = f.heap_peak;
          sum->peak_pid = f.pid;
          sum->slack = f.heap_slack;
        }
      } else {
        fprintf(stderr, "fathom: run: allocations of one process left out: %s\n", why);
        sum->bad = 1;
      }
      fz_alloc_file_free(&f);
    }
    unlink(path);
  }
  if (d) closedir(d);
  rmdir(dir);
}

/* "524288", "512k", "1m": bytes; 0 when not such a number. */
static uint64_t parse_rate(const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *s == '-') return 0;
  if (*end == 'k' || *end == 'K') v <<= 10, end++;
  else if (*end == 'm' || *end == 'M') v <<= 20, end++;
  if (*end || v > (1ull << 40)) return 0;
  return v;
}

int cmd_run(int argc, char **argv) {
  enum { OPT_FORMAT = 256, OPT_STACK, OPT_NO_INLINE, OPT_WALL, OPT_ALLOC, OPT_ALLOC_RATE,
         OPT_LOCKS, OPT_SQL, OPT_NET };
  static const struct option longopts[] = {
      {"output", required_argument, NULL, 'o'},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"freq", required_argument, NULL, 'F'},
      {"stack-bytes", required_argument, NULL, OPT_STACK},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {"no-inline", no_argument, NULL, OPT_NO_INLINE},
      {"wall", no_argument, NULL, OPT_WALL},
      {"alloc", no_argument, NULL, OPT_ALLOC},
      {"alloc-rate", required_argument, NULL, OPT_ALLOC_RATE},
      {"locks", no_argument, NULL, OPT_LOCKS},
      {"sql", no_argument, NULL, OPT_SQL},
      {"net", no_argument, NULL, OPT_NET},
      {NULL, 0, NULL, 0},
  };
  fz_run_opts o = {1000, 0, 16384, 0};
  const char *out_path = NULL;
  fathom_format fmt = FATHOM_FORMAT_JSON;
  int fmt_given = 0, no_inline = 0, freq_given = 0, alloc = 0, locks = 0, sql = 0, net = 0;
  uint64_t alloc_rate = ALLOC_RATE_DEFAULT;
  char *end;
  opts_reset();
  int c;
  /* '+': options end at the first operand (PROGRAM's own options are its own) */
  while ((c = opts_next(CMD, argc, argv, "+:o:F:qh", longopts)) != -1) {
    switch (c) {
    case 'o':
      if (!*optarg) return tool_usage(CMD, CMD, "option '--output' needs a file name");
      out_path = optarg;
      break;
    case OPT_FORMAT:
      if (opts_format(CMD, optarg, &fmt)) return TOOL_EXIT_USAGE;
      fmt_given = 1;
      break;
    case 'F':
      errno = 0;
      o.freq_hz = strtod(optarg, &end);
      if (errno || end == optarg || *end || !(o.freq_hz >= 1 && o.freq_hz <= 100000))
        return tool_usage(CMD, CMD, "--freq '%s': expected samples per second, 1 to 100000",
                          optarg);
      freq_given = 1;
      break;
    case OPT_STACK: {
      errno = 0;
      unsigned long v = strtoul(optarg, &end, 10);
      if (errno || end == optarg || *end || v < 1024 || v > 65528)
        return tool_usage(CMD, CMD, "--stack-bytes '%s': expected 1024 to 65528", optarg);
      o.stack_bytes = (uint32_t)(v & ~7ul);
      break;
    }
    case 'q':
      o.quiet = 1;
      break;
    case OPT_NO_INLINE:
      no_inline = 1;
      break;
    case OPT_WALL:
      o.wall = 1;
      break;
    case OPT_LOCKS:
      locks = 1;
      break;
    case OPT_SQL:
      sql = 1;
      break;
    case OPT_NET:
      net = 1;
      break;
    case OPT_ALLOC:
      alloc = 1;
      break;
    case OPT_ALLOC_RATE:
      alloc_rate = parse_rate(optarg);
      if (!alloc_rate)
        return tool_usage(CMD, CMD, "--alloc-rate '%s': expected bytes, 1 to 1T (k, m: KiB, MiB)",
                          optarg);
      alloc = 1;
      break;
    case 'h':
      cmd_run_help(stdout);
      return TOOL_EXIT_OK;
    default:
      return TOOL_EXIT_USAGE;
    }
  }
  /* wall mode polls every thread at -F: each poll costs about 2 us of fathom's CPU per thread
   * (docs/run.md), so its default is lower */
  if (o.wall && !freq_given) o.freq_hz = 250;
  if (optind >= argc)
    return tool_usage(CMD, CMD, "missing PROGRAM (what to run: fathom run -- PROGRAM ARGS...)");
  char **prog = argv + optind;
  if (!*prog[0]) return tool_usage(CMD, CMD, "empty PROGRAM name");
  const char *base = strrchr(prog[0], '/');
  base = base ? base + 1 : prog[0];
  char def_out[512];
  if (!out_path) {
    snprintf(def_out, sizeof def_out, "%s.fathom.json", *base ? base : "program");
    out_path = def_out;
  }
  if (!fmt_given) fmt = fz_format_for_path(out_path);
  char preload[PATH_MAX], alloc_dir[PATH_MAX] = "";
  int hooks = locks || sql || net;
  const char *hopt = locks ? "--locks" : sql ? "--sql" : "--net";
  if (hooks) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    tool_error(CMD, "%s is not available in this build of fathom: it was built with a "
               "sanitizer, whose libfathom.so has no hooks and cannot be preloaded into "
               "other programs", hopt);
    return TOOL_EXIT_USAGE;
#endif
    if (find_preload_lib(preload, sizeof preload)) {
      tool_error(CMD, "%s needs libfathom.so (next to the fathom program, or in the lib "
                 "folder beside its bin folder), and there is none: reinstall fathom", hopt);
      return TOOL_EXIT_USAGE;
    }
    if (hooks_env(preload, locks, sql, net)) {
      tool_error(CMD, "out of memory");
      return TOOL_EXIT_OUTPUT;
    }
  }
  if (alloc) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    tool_error(CMD, "--alloc is not available in this build of fathom: it was built with a "
               "sanitizer, whose runtime must come first in a process, so its libfathom.so "
               "cannot be preloaded into other programs");
    return TOOL_EXIT_USAGE;
#endif
    if (find_preload_lib(preload, sizeof preload)) {
      tool_error(CMD, "--alloc needs libfathom.so (next to the fathom program, or in the lib "
                 "folder beside its bin folder), and there is none: reinstall fathom");
      return TOOL_EXIT_USAGE;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(alloc_dir, sizeof alloc_dir, "%s/fathom-alloc.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char prefix[PATH_MAX + 8];
    if (!mkdtemp(alloc_dir)) {
      tool_error(CMD, "--alloc: cannot make a temporary folder in %s: %s",
                 tmp && *tmp ? tmp : "/tmp", strerror(errno));
      return TOOL_EXIT_OUTPUT;
    }
    char abs_dir[PATH_MAX]; /* absolute: the program may change its working directory */
    if (realpath(alloc_dir, abs_dir) && strlen(abs_dir) < sizeof alloc_dir)
      memcpy(alloc_dir, abs_dir, strlen(abs_dir) + 1);
    snprintf(prefix, sizeof prefix, "%s/a", alloc_dir);
    if (alloc_env(preload, alloc_rate, prefix)) {
      rmdir(alloc_dir);
      tool_error(CMD, "out of memory");
      return TOOL_EXIT_OUTPUT;
    }
  }

  if (!o.quiet && geteuid() != 0 && setid_program(prog[0]))
    fprintf(stderr, "fathom: %s is set-user-ID or set-group-ID: the kernel does not let fathom "
            "sample it (run fathom as root, or profile a copy without the bit)\n", base);
  uint64_t start_unix = now_ns(CLOCK_REALTIME), t0 = now_ns(CLOCK_MONOTONIC);
  run_ctx x = {fz_unwinder_new(), NULL, fz_run_procs_new(t0), 0};
  x.rp = x.u ? fz_run_prof_new(x.u) : NULL;
  if (x.rp) fz_run_prof_no_inline(x.rp, no_inline);
  if (!x.rp || !x.ps) {
    fz_run_prof_free(x.rp);
    fz_run_procs_free(x.ps);
    fz_unwinder_free(x.u);
    if (alloc) rmdir(alloc_dir);
    tool_error(CMD, "out of memory");
    return TOOL_EXIT_OUTPUT;
  }
  fz_run_sink sink = {&x,      on_mmap, on_comm, on_fork, on_exit_, on_sample,
                      on_lost, on_at,   on_ending};
  fz_run_result res;
  memset(&res, 0, sizeof res);
  fz_run_procs_start(x.ps);   /* without it, the final reads alone */
  /* a program instrumented with fathom hands its zones' timeline over here */
  char zdir[4096];
  const char *tmp = getenv("TMPDIR");
  snprintf(zdir, sizeof zdir, "%s/fathom-run.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  int have_zdir = mkdtemp(zdir) != NULL;
  if (have_zdir) setenv("FATHOM_RUN_ZONES", zdir, 1);
  int rc = fz_run_exec(prog, &o, &sink, &res);
  if (have_zdir) unsetenv("FATHOM_RUN_ZONES");
  uint64_t wall = now_ns(CLOCK_MONOTONIC) - t0;
  fz_run_procs_stop(x.ps);
  if (rc) {
    fprintf(stderr, "%s\n", res.why[0] ? res.why : "fathom: run: the program could not be started");
    fz_run_prof_free(x.rp);
    fz_run_procs_free(x.ps);
    fz_unwinder_free(x.u);
    if (alloc) {
      alloc_sum none = {0};
      alloc_read_all(alloc_dir, NULL, NULL, &none);
    }
    if (have_zdir) rmdir(zdir);
    return TOOL_EXIT_USAGE;
  }
  lock_take lt = {NULL, 0, 0, 0, 0, NULL, NULL};
  if (have_zdir) take_zones(x.rp, zdir, o.quiet, hooks ? &lt : NULL);   /* before the
                                                           allocations' paths join */
  alloc_sum asum = {0};
  if (alloc) alloc_read_all(alloc_dir, x.u, x.rp, &asum);
  struct rusage ru;
  double cpu = 0;
  if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
    cpu = ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
          ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
  fz_run_build_info bi = {base, prog[0], res.pid, start_unix, wall, cpu, 1e9 / o.freq_hz, o.wall};
  char unnamed_mod[256];
  double unnamed = fz_run_prof_unnamed(x.rp, unnamed_mod, sizeof unnamed_mod);
  fathom_profile *p = fz_run_prof_build(x.rp, &bi);
  fz_run_procs_status(x.ps, res.pid, res.status);
  uint32_t *tpid = p ? calloc(p->n_threads ? p->n_threads : 1, sizeof *tpid) : NULL;
  if (tpid) fz_run_prof_thread_pids(x.rp, tpid, p->n_threads);
  if (p && (!tpid || fz_run_procs_build(x.ps, p, tpid, wall))) {
    fathom_profile_free(p);
    p = NULL;
  }
  free(tpid);
  fz_run_procs_free(x.ps);
  uint32_t lock_procs = lt.procs, n_locks = lt.n;
  uint64_t contended = 0;
  for (uint32_t i = 0; i < lt.n; i++) contended += lt.v[i].contended;
  if (p) put_locks(p, &lt);
  for (uint32_t i = 0; i < lt.n; i++) {   /* not handed to a profile: freed here */
    free(lt.v[i].name);
    free(lt.v[i].kind);
    for (uint32_t k = 0; k < lt.v[i].n_waiters; k++) free(lt.v[i].waiters[k].zone);
    for (uint32_t k = 0; k < lt.v[i].n_holders; k++) free(lt.v[i].holders[k].zone);
    free(lt.v[i].waiters);
    free(lt.v[i].holders);
  }
  free(lt.v);
  fathom_profile_free(lt.req);
  fathom_profile_free(lt.sql);
  uint64_t samples = fz_run_prof_samples(x.rp), off_samples = fz_run_prof_off_samples(x.rp);
  fz_run_prof_free(x.rp);
  fz_unwinder_free(x.u);
  int out_rc = TOOL_EXIT_OUTPUT;
  if (!p)
    tool_error(CMD, "out of memory building the profile");
  else
    out_rc = io_save(p, fmt, out_path, TOOL_COLOR_NEVER);
  fathom_profile_free(p);
  if (!o.quiet) {
    char st[64];
    if (WIFEXITED(res.status))
      snprintf(st, sizeof st, "exited with status %d", WEXITSTATUS(res.status));
    else if (WIFSIGNALED(res.status))
      snprintf(st, sizeof st, "was killed by signal %d", WTERMSIG(res.status));
    else
      snprintf(st, sizeof st, "ended");
    char q[FATHOM_QUOTE_MAX];
    fprintf(stderr, "fathom: %s %s; %llu samples (%.3f s of CPU)", base, st,
            (unsigned long long)samples, cpu / 1e9);
    if (o.wall)
      fprintf(stderr, ", %llu of waiting threads", (unsigned long long)off_samples);
    if (res.why[0]) fprintf(stderr, "; %s", res.why);
    if (x.lost)
      fprintf(stderr, "; %llu records lost (the rings were full)", (unsigned long long)x.lost);
    if (alloc && asum.files) {
      char pk[48], sl[48];
      fz_fmt_bytes(pk, sizeof pk, (double)asum.peak);
      fz_fmt_bytes(sl, sizeof sl, (double)asum.slack);
      fprintf(stderr, "; %llu allocations sampled (1 per %llu bytes) in %llu process%s, heap "
              "peak %s ±%s a thread (pid %llu)", (unsigned long long)asum.samples,
              (unsigned long long)alloc_rate, (unsigned long long)asum.files,
              asum.files == 1 ? "" : "es", pk, sl, (unsigned long long)asum.peak_pid);
      if (asum.dropped)
        fprintf(stderr, " (%llu samples beyond the table of stacks: \"[no stack]\")",
                (unsigned long long)asum.dropped);
    }
    if (locks && n_locks)
      fprintf(stderr, "; %u lock%s in %u process%s, %llu contended acquisition%s", n_locks,
              n_locks == 1 ? "" : "s", lock_procs, lock_procs == 1 ? "" : "es",
              (unsigned long long)contended, contended == 1 ? "" : "s");
    if (out_rc == TOOL_EXIT_OK)
      fprintf(stderr, "; profile: %s\n", tool_quote(q, out_path));
    else
      fputc('\n', stderr);
    if (unnamed >= 0.2)
      fprintf(stderr,
              "fathom: %.0f %% of the samples are in code without symbols, most in %s "
              "(stripped): install its debug symbols (Debian: its -dbgsym package) to see its "
              "functions\n",
              100 * unnamed, unnamed_mod[0] ? unnamed_mod : "?");
  }
  if (alloc && !asum.files && !asum.bad)
    fprintf(stderr, "fathom: run: no process of the program reported its allocations (a "
            "statically linked or set-user-ID program ignores LD_PRELOAD; a process that ends "
            "by a signal or _exit writes none; another allocator may come first)\n");
  if (locks && !n_locks && !o.quiet)
    fprintf(stderr, "fathom: run: no process of the program reported a lock (it took none, or "
            "it is statically linked or set-user-ID and ignores LD_PRELOAD)\n");
  if (lt.bad && !o.quiet)
    fprintf(stderr, "fathom: run: the locks of a process could not be read\n");
  if (asum.bad && out_rc == TOOL_EXIT_OK) out_rc = TOOL_EXIT_OUTPUT;
  if (out_rc != TOOL_EXIT_OK && WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0)
    return out_rc;
  return pass_status(res.status);
}
