/* tool.h: what the parts of the `fathom` command share: the subcommand table, exit codes
 * and the one-line error reporting every command uses.
 *
 * Invariant: a command reports a failure with exactly one line on stderr, "fathom: <what>:
 * <why>", plus at most one hint line for usage errors, and returns one of the TOOL_EXIT_*
 * codes; it writes nothing to stdout before it knows its input is good. */
#ifndef FATHOM_TOOL_H
#define FATHOM_TOOL_H

#include <stdio.h>

#include "fathom_load.h"   /* fathom_quote, FATHOM_QUOTE_MAX */

#define TOOL_NAME "fathom"

enum {
  TOOL_EXIT_OK = 0,      /* success */
  TOOL_EXIT_OUTPUT = 1,  /* the output could not be written */
  TOOL_EXIT_USAGE = 2    /* usage error, or an input that is missing, unreadable or invalid */
};

/* One subcommand. run gets argv[0] = the command's name and returns a TOOL_EXIT_* code;
 * help prints the command's full help to f. */
typedef struct tool_cmd {
  const char *name;
  const char *summary;   /* one line for the command list */
  int (*run)(int argc, char **argv);
  void (*help)(FILE *f);
} tool_cmd;

/* The table (main.c), in the order `fathom --help` lists it. NULL for an unknown name. */
const tool_cmd *tool_cmd_find(const char *name);

/* "fathom: <what>: <why>\n" on stderr; <why> is printf-formatted. Never fails visibly.
 * Always one line: <what> is quoted like a file name when it holds a control byte, '"' or
 * '\\' (fathom_quote), and control bytes in <why> are escaped; pass file names inside <why>
 * through tool_quote. */
void tool_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* tool_error, then "Try 'fathom[ cmd] --help'." (cmd NULL: the top level). Returns
 * TOOL_EXIT_USAGE so callers can `return tool_usage(...)`. */
int tool_usage(const char *cmd, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* name (a file name, an operand) as messages print it, in buf: unchanged, or in double
 * quotes with newlines, tabs, '"', '\\' and other control bytes escaped (fathom_quote). */
const char *tool_quote(char buf[FATHOM_QUOTE_MAX], const char *name);

/* Commands (one file each). */
int cmd_report(int argc, char **argv);      /* cmd_report.c */
void cmd_report_help(FILE *f);
int cmd_diff(int argc, char **argv);        /* cmd_diff.c (exit 3: regression gate) */
void cmd_diff_help(FILE *f);
int cmd_compare(int argc, char **argv);     /* cmd_compare.c (exit 3: regression gate) */
void cmd_compare_help(FILE *f);
int cmd_check(int argc, char **argv);       /* cmd_check.c (exit 1: a rule is violated) */
void cmd_check_help(FILE *f);
int cmd_bench(int argc, char **argv);       /* cmd_bench.c (exit 3: --fail-if-slower gate) */
void cmd_bench_help(FILE *f);
int cmd_run(int argc, char **argv);         /* cmd_run.c (exits with the program's status) */
void cmd_run_help(FILE *f);

/* `fathom check` on the JSON views that are not profiles (check_views.c). */
enum { VIEW_NONE, VIEW_CHROME, VIEW_SPEEDSCOPE };
/* The view path holds, from its first bytes: VIEW_NONE for a profile or anything else. */
int check_view_kind(const char *path);
/* Checks that view's figures add up, printing each violation as `FILE: ...` (and an ok or
 * count line unless quiet): the number of violations, or -1 when it could not be read (the
 * reason reported). */
int check_view_file(const char *path, int kind, int quiet);

#endif
