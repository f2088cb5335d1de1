/* cmd_bench.c: `fathom bench CMD...`: runs commands again and again, interleaved run by run,
 * and reports their times and resources with statistics (bench_stats.c), a ranking, exports
 * (bench_out.c) and a CI gate.
 * Invariant: options, operands and the baseline file are checked before any command runs,
 * so every usage error exits 2 with nothing run and nothing written; each run is timed from
 * just before fork to wait4's return in fathom's process (CLOCK_MONOTONIC), and its CPU
 * time and resources are the child's own (wait4's rusage), never fathom's; exit 3 only ever
 * means the --fail-if-slower gate failed. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "io.h"
#include "opts.h"
#include "tool.h"

#define CMD "bench"
#define BENCH_EXIT_GATE 3
#define SHELL_CAL_RUNS 20   /* runs of `sh -c ''` whose mean is the shell's startup */

void cmd_bench_help(FILE *f) {
  fputs("Usage: fathom bench [options] [--] COMMAND...\n"
        "\n"
        "Time each COMMAND (run by the shell, like sh -c) again and again: after --warmup\n"
        "untimed runs, the commands run interleaved (A B C A B C ...) until each has at\n"
        "least --min-runs runs and either --min-time seconds of runs or a 95 % confidence\n"
        "interval of its mean within --precision % of the mean. Per command: mean and\n"
        "standard deviation, median, range, the 95 % confidence interval of the mean, user\n"
        "and system CPU time, peak RSS, context switches, page faults, block I/O, and\n"
        "outliers; then the commands ranked fastest first, each against the fastest as a\n"
        "ratio with its error and Welch's t-test (method: docs/bench.md). Options come\n"
        "before the commands.\n"
        "\n"
        "Options:\n"
        "  -w, --warmup N       untimed runs of each command first (default 1)\n"
        "  -m, --min-runs N     at least N timed runs per command (default 10, at least 2)\n"
        "  -M, --max-runs N     at most N timed runs per command (default 10000)\n"
        "  -r, --runs N         exactly N timed runs per command\n"
        "      --min-time S     run each command for at least S seconds in all (default 3),\n"
        "                       unless --precision is reached first\n"
        "      --precision PCT  stop a command early once the 95 % confidence interval of its\n"
        "                       mean is within PCT % of the mean (default 1; 0 = never)\n"
        "  -S, --shell SHELL    the shell that runs each command (default sh); its startup\n"
        "                       time (mean of 20 runs of SHELL -c '') is subtracted from\n"
        "                       every run; 'none': run the command directly, split at spaces\n"
        "  -N                   the same as --shell none\n"
        "      --show-output    let the commands write to this terminal (default: their\n"
        "                       standard output and error go to /dev/null)\n"
        "  -i, --ignore-failure go on when a command exits non-zero (default: stop)\n"
        "  -P, --parameter-scan NAME MIN MAX\n"
        "                       run each command for NAME = MIN, MIN + step, ... MAX,\n"
        "                       replacing {NAME} in it\n"
        "  -D, --parameter-step-size S   the step of --parameter-scan (default 1)\n"
        "  -L, --parameter-list NAME A,B,C\n"
        "                       run each command for NAME = A, B and C\n"
        "      --export-json FILE, --export-csv FILE, --export-markdown FILE\n"
        "                       also write the results to FILE ('-': standard output);\n"
        "                       FILE is replaced atomically\n"
        "      --fail-if-slower PCT\n"
        "                       exit 3 when a command's mean is more than PCT % above the\n"
        "                       baseline's and the difference is significant (Welch, 95 %)\n"
        "      --baseline FILE  the baseline: the same command in FILE, a saved\n"
        "                       --export-json (default: the first command)\n"
        "      --profile DIR    then run each command once more under 'fathom run', saving\n"
        "                       DIR/N.json for benchmark N, and show the biggest differences\n"
        "                       between the fastest one's profile and each other's\n"
        "  -h, --help           show this help and exit\n"
        "\n"
        "Exit status: 0 success, 1 an export could not be written, 2 usage error, a bad\n"
        "baseline file, or a command that failed, 3 --fail-if-slower found a slower command.\n"
        "\n"
        "Examples:\n"
        "  fathom bench 'sleep 0.05' 'sleep 0.1'\n"
        "  fathom bench --export-json new.json --baseline old.json --fail-if-slower 5 ./prog\n"
        "  fathom bench -P threads 1 4 'zstd -T{threads} -q -f -o /dev/null in.txt'\n",
        f);
}

typedef struct bargs {
  long warmup, min_runs, max_runs, runs;
  double min_time, precision;
  const char *shell;          /* NULL: --shell none */
  int show_output, ignore_failure;
  const char *param_name;
  char **values;              /* the parameter's values (NULL: no parameter) */
  size_t n_values;
  double scan_min, scan_max, scan_step;
  int scan;
  const char *json, *csv, *md, *baseline, *profile;
  double fail_pct;            /* < 0: no gate */
} bargs;

/* A number from s in [lo, hi] (opts.c). */
static int num_arg(const char *opt, const char *s, double lo, double hi, double *out) {
  return opts_number(CMD, opt, s, lo, hi, out);
}

static int int_arg(const char *opt, const char *s, long lo, long hi, long *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (!*s || *end || errno || v < lo || v > hi)
    return tool_usage(CMD, CMD, "option '--%s' needs a whole number from %ld to %ld, not '%s'",
                      opt, lo, hi, s);
  *out = v;
  return 0;
}

static char *xstrdup(const char *s) {
  char *d = strdup(s);
  if (!d) {
    tool_error(CMD, "out of memory");
    exit(TOOL_EXIT_OUTPUT);
  }
  return d;
}

/* The parameter's values from "a,b,c" (empty values allowed, as in hyperfine). */
static int list_values(bargs *a, const char *list) {
  size_t n = 1;
  for (const char *p = list; *p; p++) n += *p == ',';
  a->values = calloc(n, sizeof *a->values);
  if (!a->values) return tool_usage(CMD, CMD, "out of memory");
  const char *p = list;
  for (size_t i = 0; i < n; i++) {
    size_t len = strcspn(p, ",");
    a->values[i] = xstrdup(p);
    a->values[i][len] = '\0';
    p += len + (p[len] == ',');
  }
  a->n_values = n;
  return 0;
}

/* The values MIN, MIN + step, ... up to MAX (with a tolerance of 1e-9 steps). */
static int scan_values(bargs *a) {
  if (a->scan_max < a->scan_min)
    return tool_usage(CMD, CMD, "--parameter-scan: MAX (%g) is below MIN (%g)", a->scan_max,
                      a->scan_min);
  double steps = floor((a->scan_max - a->scan_min) / a->scan_step + 1e-9);
  if (steps >= 1000)
    return tool_usage(CMD, CMD, "--parameter-scan gives %.0f values (at most 1000)", steps + 1);
  a->n_values = (size_t)steps + 1;
  a->values = calloc(a->n_values, sizeof *a->values);
  if (!a->values) return tool_usage(CMD, CMD, "out of memory");
  for (size_t i = 0; i < a->n_values; i++) {
    char buf[64];
    double v = a->scan_min + (double)i * a->scan_step;
    if (fabs(v) < 1e-12 * a->scan_step) v = 0;
    snprintf(buf, sizeof buf, "%.10g", v);
    a->values[i] = xstrdup(buf);
  }
  return 0;
}

/* cmd with each "{name}" replaced by value (a new string). */
static char *substitute(const char *cmd, const char *name, const char *value) {
  size_t nl = strlen(name) + 2, vl = strlen(value), n = 0;
  char pat[256];
  snprintf(pat, sizeof pat, "{%s}", name);
  for (const char *p = strstr(cmd, pat); p; p = strstr(p + nl, pat)) n++;
  char *out = malloc(strlen(cmd) + n * vl + 1), *o = out;
  if (!out) return xstrdup(cmd);   /* unreachable in practice; xstrdup reports */
  for (const char *p = cmd;;) {
    const char *q = strstr(p, pat);
    if (!q) {
      strcpy(o, p);
      break;
    }
    memcpy(o, p, (size_t)(q - p));
    o += q - p;
    memcpy(o, value, vl);
    o += vl;
    p = q + nl;
  }
  return out;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6; }

/* argv for --shell none: cmd split at spaces and tabs (no quoting), in buf; NULL with errno
 * E2BIG when it has cap - 1 words or more. */
static char **split_words(char *buf, char **argv, size_t cap) {
  size_t n = 0;
  for (char *tok = strtok(buf, " \t"); tok; tok = strtok(NULL, " \t")) {
    if (n + 1 >= cap) {
      errno = E2BIG;
      return NULL;
    }
    argv[n++] = tok;
  }
  argv[n] = NULL;
  return argv;
}

/* Runs cmd once: fills *r, returns 0, or -1 when it could not be started (errno). */
static int run_once(const char *shell, const char *cmd, int show_output, bench_run *r) {
  char *argv_none[256], dash_c[] = "-c";
  char *buf = xstrdup(cmd), *sh = shell ? xstrdup(shell) : NULL;
  char *argv_sh[4] = {sh, dash_c, buf, NULL};
  char **argv = argv_sh;
  if (!shell) {
    argv = split_words(buf, argv_none, sizeof argv_none / sizeof argv_none[0]);
    if (!argv || !argv[0]) {
      if (argv) errno = EINVAL;   /* only spaces */
      int e = errno;
      free(buf);
      errno = e;
      return -1;
    }
  }
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) != 0) {
    free(buf);
    free(sh);
    return -1;
  }
  fflush(NULL);
  double t0 = now_s();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(errpipe[0]);
    close(errpipe[1]);
    free(buf);
    free(sh);
    errno = e;
    return -1;
  }
  if (pid == 0) {
    close(errpipe[0]);
    signal(SIGPIPE, SIG_DFL);   /* what fathom ignores, the command must not inherit */
    signal(SIGXFSZ, SIG_DFL);
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) {
      dup2(nul, 0);
      if (!show_output) {
        dup2(nul, 1);
        dup2(nul, 2);
      }
      if (nul > 2) close(nul);
    }
    execvp(argv[0], argv);
    int e = errno;
    if (write(errpipe[1], &e, sizeof e) < 0) _exit(127);
    _exit(127);
  }
  close(errpipe[1]);
  int status = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  pid_t w;
  while ((w = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR) {}
  double t1 = now_s();
  int e = 0;
  ssize_t got = read(errpipe[0], &e, sizeof e);
  close(errpipe[0]);
  free(buf);
  free(sh);
  if (got == (ssize_t)sizeof e) {
    errno = e;
    return -1;
  }
  memset(r, 0, sizeof *r);
  r->wall = t1 - t0;
  r->user = tv_s(ru.ru_utime);
  r->sys = tv_s(ru.ru_stime);
  r->maxrss_kib = (double)ru.ru_maxrss;
  r->nvcsw = (double)ru.ru_nvcsw;
  r->nivcsw = (double)ru.ru_nivcsw;
  r->minflt = (double)ru.ru_minflt;
  r->majflt = (double)ru.ru_majflt;
  r->inblock = (double)ru.ru_inblock;
  r->oublock = (double)ru.ru_oublock;
  r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return 0;
}

static int push_run(bench_cmd *c, const bench_run *r) {
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 16;
    bench_run *g = realloc(c->runs, cap * sizeof *g);
    if (!g) return -1;
    c->runs = g;
    c->cap = cap;
  }
  c->runs[c->n++] = *r;
  return 0;
}

/* One run of command i (timed or not). Returns 0, or a TOOL_EXIT_* code after reporting. */
static int run_cmd(bench_set *s, const bargs *a, size_t i, int timed) {
  bench_cmd *c = &s->cmds[i];
  bench_run r;
  if (run_once(s->shell, c->cmd, a->show_output, &r) != 0) {
    int e = errno;
    tool_error(CMD, "cannot run '%s': %s", s->shell ? s->shell : c->cmd, strerror(e));
    return TOOL_EXIT_USAGE;
  }
  if (r.status != 0) {
    if (!a->ignore_failure) {
      fputs(isatty(2) ? "\r\033[K" : "", stderr);
      tool_error(CMD, "command '%s' failed (%s %d) on its %s run; use --ignore-failure to "
                 "time it anyway", c->cmd, r.status > 128 ? "signal" : "exit status",
                 r.status > 128 ? r.status - 128 : r.status, timed ? "timed" : "warm-up");
      return TOOL_EXIT_USAGE;
    }
    if (timed) c->failed++;
  }
  if (!timed) return 0;
  r.wall = fmax(0, r.wall - s->shell_wall);
  r.user = fmax(0, r.user - s->shell_user);
  r.sys = fmax(0, r.sys - s->shell_sys);
  c->elapsed += r.wall + s->shell_wall;
  if (push_run(c, &r) != 0) {
    tool_error(CMD, "out of memory");
    return TOOL_EXIT_OUTPUT;
  }
  return 0;
}

/* Whether command c has run enough. */
static int enough(const bench_cmd *c, const bargs *a) {
  if ((long)c->n >= a->max_runs) return 1;
  if ((long)c->n < a->min_runs) return 0;
  if (a->runs > 0) return 1;
  if (c->elapsed >= a->min_time) return 1;
  if (a->precision > 0 && c->n >= 2) {
    double sum = 0, ss = 0;
    for (size_t i = 0; i < c->n; i++) sum += c->runs[i].wall;
    double m = sum / (double)c->n;
    for (size_t i = 0; i < c->n; i++) ss += (c->runs[i].wall - m) * (c->runs[i].wall - m);
    double half = bs_t_quantile(0.975, (double)(c->n - 1)) * sqrt(ss / (double)(c->n - 1)) /
                  sqrt((double)c->n);
    if (m > 0 && half <= a->precision / 100 * m) return 1;
  }
  return 0;
}

static void progress(const bench_set *s, size_t round, double t_start, const bargs *a) {
  if (!isatty(2)) return;
  size_t left = 0, done = 0;
  double per_round = 0;
  for (size_t i = 0; i < s->n; i++) {
    const bench_cmd *c = &s->cmds[i];
    done += c->done;
    if (c->done || c->n == 0) continue;
    double mean = c->elapsed / (double)c->n;
    long want = a->runs > 0 ? a->runs : a->min_runs;
    double by_time = c->elapsed < a->min_time ? (a->min_time - c->elapsed) / mean : 0;
    double more = fmax((double)want - (double)c->n, by_time);
    more = fmin(more, (double)a->max_runs - (double)c->n);
    if (more > (double)left) left = (size_t)more;
    per_round += mean;
  }
  fprintf(stderr, "\r\033[Kfathom bench: round %zu, %zu of %zu commands done, %.1f s, ETA %.1f s",
          round, done, s->n, now_s() - t_start, (double)left * per_round);
  fflush(stderr);
}

/* The mean startup of the shell (SHELL -c ''), subtracted from every run. */
static int calibrate_shell(bench_set *s) {
  double w = 0, u = 0, y = 0;
  for (int i = 0; i < SHELL_CAL_RUNS; i++) {
    bench_run r;
    if (run_once(s->shell, "", 0, &r) != 0) {
      int e = errno;
      tool_error(CMD, "cannot run the shell '%s': %s", s->shell, strerror(e));
      return TOOL_EXIT_USAGE;
    }
    if (r.status != 0) {
      tool_error(CMD, "the shell '%s' fails on an empty command (exit status %d)", s->shell,
                 r.status);
      return TOOL_EXIT_USAGE;
    }
    w += r.wall;
    u += r.user;
    y += r.sys;
  }
  s->shell_wall = w / SHELL_CAL_RUNS;
  s->shell_user = u / SHELL_CAL_RUNS;
  s->shell_sys = y / SHELL_CAL_RUNS;
  return 0;
}

/* The baseline file: for each command of s, its wall-time summary in the saved export
 * (matched by the command's text). Returns 0, or TOOL_EXIT_USAGE after reporting. */
static int load_baseline(const char *path, const bench_set *s, bs_summary *base) {
  char q[FATHOM_QUOTE_MAX];
  json_error_t jerr;
  json_t *root = json_load_file(path, 0, &jerr);
  if (!root) {
    tool_error(path, "cannot read the baseline: %s", jerr.text);
    return TOOL_EXIT_USAGE;
  }
  json_t *results = json_object_get(root, "results");
  int rc = 0;
  if (!json_is_array(results)) {
    tool_error(path, "not a saved 'fathom bench --export-json' (no results array)");
    rc = TOOL_EXIT_USAGE;
  }
  for (size_t i = 0; rc == 0 && i < s->n; i++) {
    json_t *hit = NULL, *r;
    size_t k;
    json_array_foreach(results, k, r) {
      const char *c = json_string_value(json_object_get(r, "command"));
      if (c && strcmp(c, s->cmds[i].cmd) == 0) hit = r;
    }
    json_t *times = hit ? json_object_get(hit, "times") : NULL;
    size_t n = json_array_size(times);
    if (!hit || n < 2) {
      tool_error(path, "no result with at least 2 times for the command %s",
                 tool_quote(q, s->cmds[i].cmd));
      rc = TOOL_EXIT_USAGE;
      break;
    }
    double *v = malloc(n * sizeof *v);
    if (!v) {
      rc = TOOL_EXIT_OUTPUT;
      break;
    }
    json_t *t;
    json_array_foreach(times, k, t) {
      v[k] = json_number_value(t);
      if (!json_is_number(t) || !isfinite(v[k]) || v[k] < 0) {
        tool_error(path, "a time of the command %s is not a number >= 0",
                   tool_quote(q, s->cmds[i].cmd));
        rc = TOOL_EXIT_USAGE;
        break;
      }
    }
    if (rc == 0 && bs_summarize(v, n, &base[i]) != 0) rc = TOOL_EXIT_OUTPUT;
    free(v);
  }
  json_decref(root);
  return rc;
}

/* The --fail-if-slower gate: each command against its baseline (the saved one, or the
 * first command). Prints the verdict of each to f; returns the number slower beyond PCT. */
static int gate(const bench_set *s, const bs_summary *saved, double pct, FILE *f) {
  int slower = 0;
  fprintf(f, "\nGate (--fail-if-slower %g %%, against %s):\n", pct,
          saved ? "the baseline file" : "the first command");
  for (size_t i = saved ? 0 : 1; i < s->n; i++) {
    const bs_summary *b = saved ? &saved[i] : &s->cmds[0].wall, *c = &s->cmds[i].wall;
    bs_welch w = bs_welch_test(c->mean, c->sd, c->n, b->mean, b->sd, b->n);
    double change = (c->mean / b->mean - 1) * 100;
    int bad = change > pct && w.p < 0.05;
    slower += bad;
    fprintf(f, "  %s: %s%.1f %% (Welch p = %.3g): %s\n", s->cmds[i].cmd, change >= 0 ? "+" : "",
            change, w.p, bad ? "SLOWER beyond the limit" : "ok");
  }
  return slower;
}

static int parse_opt(int c, bargs *a, int argc, char **argv) {
  switch (c) {
    case 'w': return int_arg("warmup", optarg, 0, 1000000, &a->warmup);
    case 'm': return int_arg("min-runs", optarg, 2, 100000000, &a->min_runs);
    case 'M': return int_arg("max-runs", optarg, 2, 100000000, &a->max_runs);
    case 'r': return int_arg("runs", optarg, 2, 100000000, &a->runs);
    case 'T': return num_arg("min-time", optarg, 0, 1e6, &a->min_time);
    case 'p': return num_arg("precision", optarg, 0, 100, &a->precision);
    case 'S':
      if (!*optarg) return tool_usage(CMD, CMD, "option '--shell' needs a shell or 'none'");
      a->shell = strcmp(optarg, "none") == 0 ? NULL : optarg;
      return 0;
    case 'N': a->shell = NULL; return 0;
    case 'O': a->show_output = 1; return 0;
    case 'i': a->ignore_failure = 1; return 0;
    case 'P':
    case 'L':
      if (a->param_name)
        return tool_usage(CMD, CMD, "give one --parameter-scan or --parameter-list");
      if (!*optarg || strpbrk(optarg, "{}") || strlen(optarg) > 200)
        return tool_usage(CMD, CMD, "a parameter's NAME must be a word, not '%s'", optarg);
      a->param_name = optarg;
      if (c == 'L') {
        if (optind >= argc) return tool_usage(CMD, CMD, "--parameter-list needs NAME VALUES");
        return list_values(a, argv[optind++]);
      }
      if (optind + 1 >= argc) return tool_usage(CMD, CMD, "--parameter-scan needs NAME MIN MAX");
      a->scan = 1;
      if (num_arg("parameter-scan", argv[optind], -1e15, 1e15, &a->scan_min) ||
          num_arg("parameter-scan", argv[optind + 1], -1e15, 1e15, &a->scan_max))
        return TOOL_EXIT_USAGE;
      optind += 2;
      return 0;
    case 'D': return num_arg("parameter-step-size", optarg, 1e-9, 1e15, &a->scan_step);
    case 'J': a->json = optarg; return 0;
    case 'C': a->csv = optarg; return 0;
    case 'K': a->md = optarg; return 0;
    case 'B': a->baseline = optarg; return 0;
    case 'Q':
      if (!*optarg) return tool_usage(CMD, CMD, "option '--profile' needs a folder");
      a->profile = optarg;
      return 0;
    case 'F': return num_arg("fail-if-slower", optarg, 0, 1e9, &a->fail_pct);
    default: return TOOL_EXIT_USAGE;
  }
}

static void free_set(bench_set *s, bargs *a) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->cmds[i].cmd);
    free(s->cmds[i].runs);
  }
  free(s->cmds);
  free(s->rank);
  free(s->vs_fastest);
  for (size_t i = 0; i < a->n_values; i++) free(a->values[i]);
  free(a->values);
}

/* Warm-up, then rounds until every command has run enough. */
static int run_all(bench_set *s, const bargs *a) {
  int rc;
  for (long w = 0; w < a->warmup; w++)
    for (size_t i = 0; i < s->n; i++)
      if ((rc = run_cmd(s, a, i, 0)) != 0) return rc;
  double t0 = now_s();
  for (size_t round = 1;; round++) {
    size_t active = 0;
    for (size_t i = 0; i < s->n; i++) {
      if (s->cmds[i].done) continue;
      if ((rc = run_cmd(s, a, i, 1)) != 0) return rc;
      s->cmds[i].done = enough(&s->cmds[i], a);
      active++;
    }
    if (!active) break;
    progress(s, round, t0, a);
  }
  if (isatty(2)) fputs("\r\033[K", stderr);
  return 0;
}

int cmd_bench(int argc, char **argv) {
  static const struct option longopts[] = {
      {"warmup", required_argument, NULL, 'w'},
      {"min-runs", required_argument, NULL, 'm'},
      {"max-runs", required_argument, NULL, 'M'},
      {"runs", required_argument, NULL, 'r'},
      {"min-time", required_argument, NULL, 'T'},
      {"precision", required_argument, NULL, 'p'},
      {"shell", required_argument, NULL, 'S'},
      {"show-output", no_argument, NULL, 'O'},
      {"ignore-failure", no_argument, NULL, 'i'},
      {"parameter-scan", required_argument, NULL, 'P'},
      {"parameter-step-size", required_argument, NULL, 'D'},
      {"parameter-list", required_argument, NULL, 'L'},
      {"export-json", required_argument, NULL, 'J'},
      {"export-csv", required_argument, NULL, 'C'},
      {"export-markdown", required_argument, NULL, 'K'},
      {"baseline", required_argument, NULL, 'B'},
      {"profile", required_argument, NULL, 'Q'},
      {"fail-if-slower", required_argument, NULL, 'F'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  bargs a = {.warmup = 1, .min_runs = 10, .max_runs = 10000, .min_time = 3, .precision = 1,
             .shell = "sh", .scan_step = 1, .fail_pct = -1};
  bench_set s = {0};
  int c, rc = 0;
  opts_reset();
  while ((c = opts_next(CMD, argc, argv, "+:w:m:M:r:S:NiP:D:L:h", longopts)) != -1) {
    if (c == 'h') {
      cmd_bench_help(stdout);
      free_set(&s, &a);
      return TOOL_EXIT_OK;
    }
    if ((rc = parse_opt(c, &a, argc, argv)) != 0) {
      free_set(&s, &a);
      return rc;
    }
  }
  if (a.runs > 0) a.min_runs = a.max_runs = a.runs;
  if (a.min_runs > a.max_runs)
    rc = tool_usage(CMD, CMD, "--min-runs (%ld) is above --max-runs (%ld)", a.min_runs,
                    a.max_runs);
  else if (optind >= argc)
    rc = tool_usage(CMD, CMD, "no command to benchmark");
  else if (a.baseline && a.fail_pct < 0)
    rc = tool_usage(CMD, CMD, "--baseline needs --fail-if-slower");
  else if (a.fail_pct >= 0 && !a.baseline && argc - optind < 2 && !a.param_name)
    rc = tool_usage(CMD, CMD, "--fail-if-slower needs two commands or --baseline");
  else if (a.scan && (rc = scan_values(&a)) != 0) {}
  if (rc) {
    free_set(&s, &a);
    return rc;
  }
  int dashdash = optind > 0 && strcmp(argv[optind - 1], "--") == 0;
  for (int i = optind; i < argc; i++) {
    if (!*argv[i]) rc = tool_usage(CMD, CMD, "an empty command");
    else if (argv[i][0] == '-' && !dashdash)
      rc = tool_usage(CMD, CMD, "'%s': options come before the commands (put '--' before a "
                      "command that starts with '-')", argv[i]);
    if (rc) {
      free_set(&s, &a);
      return rc;
    }
  }
  size_t nv = a.values ? a.n_values : 1, nt = (size_t)(argc - optind);
  s.shell = a.shell;
  s.cmds = calloc(nt * nv, sizeof *s.cmds);
  if (!s.cmds) {
    tool_error(CMD, "out of memory");
    free_set(&s, &a);
    return TOOL_EXIT_OUTPUT;
  }
  for (size_t t = 0; t < nt; t++)
    for (size_t v = 0; v < nv; v++) {
      bench_cmd *bc = &s.cmds[s.n++];
      const char *tmpl = argv[optind + (int)t];
      bc->cmd = a.values ? substitute(tmpl, a.param_name, a.values[v]) : xstrdup(tmpl);
      bc->param_name = a.values ? a.param_name : NULL;
      bc->param_value = a.values ? a.values[v] : NULL;
    }
  bs_summary *saved = NULL;
  if (a.baseline) {
    saved = calloc(s.n, sizeof *saved);
    if (!saved) rc = TOOL_EXIT_OUTPUT;
    else rc = load_baseline(a.baseline, &s, saved);
  }
  if (rc == 0 && s.shell) rc = calibrate_shell(&s);
  if (rc == 0) rc = run_all(&s, &a);
  if (rc == 0 && bench_analyze(&s) != 0) {
    tool_error(CMD, "out of memory");
    rc = TOOL_EXIT_OUTPUT;
  }
  if (rc == 0) {
    for (size_t i = 0; i < s.n; i++) bench_print_cmd(&s, i, stdout);
    bench_print_summary(&s, stdout);
    if (a.json) rc = io_write(a.json, TOOL_COLOR_NEVER, bench_write_json, &s);
    if (rc == 0 && a.csv) rc = io_write(a.csv, TOOL_COLOR_NEVER, bench_write_csv, &s);
    if (rc == 0 && a.md) rc = io_write(a.md, TOOL_COLOR_NEVER, bench_write_markdown, &s);
    if (rc == 0 && a.profile) rc = bench_profile(&s, a.profile, a.show_output, stdout);
  }
  if (rc == 0 && a.fail_pct >= 0) {
    int slower = gate(&s, saved, a.fail_pct, stdout);
    if (slower) {
      tool_error(CMD, "%d command%s slower than the baseline by more than %g %%", slower,
                 slower == 1 ? " is" : "s are", a.fail_pct);
      rc = BENCH_EXIT_GATE;
    }
  }
  free(saved);
  free_set(&s, &a);
  return rc;
}
