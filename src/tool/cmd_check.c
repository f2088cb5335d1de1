/* cmd_check.c: `fathom check FILE...`: load each saved profile and check that its figures
 * add up (fathom_profile_check: self <= total, children within their parent, percentiles
 * ordered, indices in range, ...; docs/cli.md lists the rules); a Chrome trace or a
 * speedscope file written by fathom is checked as such (check_views.c).
 * Invariant: every file is checked, whatever the others gave; the exit status is 2 when any
 * file could not be loaded (its error is one line on stderr), else 1 when any rule is
 * violated, else 0. Violations go to stdout, one line each, prefixed with the file's name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "opts.h"
#include "tool.h"

#define CMD "check"
#define CHECK_EXIT_VIOLATIONS 1
#define CHECK_MSG_MIN ((size_t)64 * 1024)
#define CHECK_MSG_MAX ((size_t)64 * 1024 * 1024)

void cmd_check_help(FILE *f) {
  fputs("Usage: fathom check [--quiet] FILE.json...\n"
        "\n"
        "Check that saved profiles add up: per call path and per zone, self <= total,\n"
        "timed <= count, percentiles ordered, inside [min, max] and inside their 95 %\n"
        "intervals, min <= mean <= max, standard errors >= 0, CPU times >= 0; the\n"
        "children's totals within their parent's; each thread's top-level totals within\n"
        "the session's duration; zone roll-ups equal to the sums of their paths; no share\n"
        "above 100 %; overhead >= 0; every index in range (rules: docs/cli.md).\n"
        "Prints 'FILE: ok (N nodes, M zones)' for a profile that holds, else one line per\n"
        "violation, 'FILE: node 12 (main;parse, thread 0): children total ...'.\n"
        "A Chrome trace (trace.json) or a speedscope file is checked too: events nested\n"
        "within their parents per thread, times in order and in range, frames in range.\n"
        "A FILE may be '-' (standard input).\n"
        "\n"
        "Options:\n"
        "  -q, --quiet         print only the violations\n"
        "  -h, --help          show this help and exit\n"
        "\n"
        "Exit status: 0 every rule holds in every FILE, 1 a rule is violated, 2 usage error\n"
        "or a FILE that is missing, unreadable or not a fathom profile (the other FILEs\n"
        "are still checked).\n"
        "\n"
        "Examples:\n"
        "  fathom check run.json\n"
        "  fathom check --quiet out/*.json\n",
        f);
}

/* The violations of p as text (grown until they all fit, up to CHECK_MSG_MAX); *n their
 * number. NULL when out of memory. */
static char *check_text(const fathom_profile *p, int *n) {
  for (size_t cap = CHECK_MSG_MIN;; cap *= 2) {
    char *msg = malloc(cap);
    if (!msg) return NULL;
    *n = fathom_profile_check(p, msg, cap);
    size_t len = strlen(msg);
    int cut = len >= 4 && strcmp(msg + len - 4, "...\n") == 0 && (len == 4 || msg[len - 5] == '\n');
    if (!cut || cap >= CHECK_MSG_MAX) return msg;
    free(msg);
  }
}

enum { FILE_OK, FILE_VIOLATED, FILE_FAILED };

/* Checks one file: FILE_OK, FILE_VIOLATED, or FILE_FAILED (not loaded or not checked: the
 * reason is reported). */
static int check_file(const char *path, int quiet) {
  int kind = check_view_kind(path);
  if (kind != VIEW_NONE) {
    int n = check_view_file(path, kind, quiet);
    return n < 0 ? FILE_FAILED : n ? FILE_VIOLATED : FILE_OK;
  }
  fathom_profile *p = NULL;
  if (io_load(path, &p)) return FILE_FAILED;
  static char q[FATHOM_QUOTE_MAX];
  const char *name = tool_quote(q, io_name(path, 0));   /* one line each, whatever the name */
  int n = 0;
  char *msg = check_text(p, &n);
  if (!msg) {
    tool_error(io_name(path, 0), "out of memory while checking");
    fathom_profile_free(p);
    return FILE_FAILED;
  }
  if (n == 0) {
    if (!quiet) printf("%s: ok (%u nodes, %u zones)\n", name, p->n_nodes, p->n_zones);
  } else {
    for (const char *s = msg; *s;) {
      const char *e = strchr(s, '\n');
      size_t l = e ? (size_t)(e - s) : strlen(s);
      printf("%s: %.*s\n", name, (int)l, s);
      s += l + (e ? 1 : 0);
    }
    if (!quiet)
      printf("%s: %d violation%s (%u nodes, %u zones)\n", name, n, n == 1 ? "" : "s",
             p->n_nodes, p->n_zones);
  }
  free(msg);
  fathom_profile_free(p);
  return n ? FILE_VIOLATED : FILE_OK;
}

int cmd_check(int argc, char **argv) {
  static const struct option longopts[] = {
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  int quiet = 0;
  opts_reset();
  int c;
  while ((c = opts_next(CMD, argc, argv, ":qh", longopts)) != -1) {
    switch (c) {
      case 'q':
        quiet = 1;
        break;
      case 'h':
        cmd_check_help(stdout);
        return TOOL_EXIT_OK;
      default:   /* '?': opts_next has reported it */
        return TOOL_EXIT_USAGE;
    }
  }
  if (optind >= argc) return tool_usage(CMD, CMD, "missing FILE.json (the saved profiles to check)");
  int stdin_used = 0;
  for (int i = optind; i < argc; i++) {
    if (!*argv[i]) return tool_usage(CMD, CMD, "empty FILE name");
    if (strcmp(argv[i], "-") == 0 && stdin_used++)
      return tool_usage(CMD, CMD, "'-' (standard input) given more than once");
  }
  int loaded_bad = 0, violated = 0;
  for (int i = optind; i < argc; i++) {
    int rc = check_file(argv[i], quiet);
    if (rc == FILE_FAILED) loaded_bad = 1;
    else if (rc == FILE_VIOLATED) violated = 1;
    fflush(stdout);
  }
  if (loaded_bad) return TOOL_EXIT_USAGE;
  return violated ? CHECK_EXIT_VIOLATIONS : TOOL_EXIT_OK;
}
