/* main.c: the `fathom` command: global options, help, version, and dispatch to the
 * subcommands listed in one table (add a command: a cmd_*.c file and a row below).
 * Invariant: exit status is 0 on success, 1 when output could not be written (or, for check,
 * a rule is violated), 2 for usage and input errors, 3 when a CI gate fails; whatever
 * happens, stderr gets at most one error line and one hint. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fathom.h"
#include "io.h"
#include "opts.h"
#include "tool.h"

static int cmd_help(int argc, char **argv);
static void cmd_help_help(FILE *f);

static const tool_cmd commands[] = {
    {"run", "run a program, unmodified, and profile its CPU time (sampled stacks)",
     cmd_run, cmd_run_help},
    {"report", "render a saved profile: text, HTML, JSON, CSV, traces, folded stacks", cmd_report,
     cmd_report_help},
    {"diff", "compare two saved profiles: changes beyond noise, a CI regression gate",
     cmd_diff, cmd_diff_help},
    {"compare", "compare several saved profiles with one baseline, in one table",
     cmd_compare, cmd_compare_help},
    {"bench", "time commands again and again: statistics, a ranking, a CI gate", cmd_bench,
     cmd_bench_help},
    {"check", "check that saved profiles add up (self <= total, indices in range, ...)",
     cmd_check, cmd_check_help},
    {"help", "show help for fathom or one of its commands", cmd_help, cmd_help_help},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

const tool_cmd *tool_cmd_find(const char *name) {
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

/* "report, diff, check, help" for messages. */
static void command_list(char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < N_COMMANDS && len < cap; i++) {
    int k = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", commands[i].name);
    if (k < 0) break;
    len += (size_t)k;
  }
}

static void usage_line(FILE *f) {
  fputs("Usage: fathom [--help|-h] [--version|-V] <command> [<args>]\n", f);
}

static void main_help(FILE *f) {
  usage_line(f);
  fputs("\nfathom profiles programs and renders, checks and compares their profiles. Any\n"
        "program, unmodified:\n"
        "  fathom run -- ./my_program && fathom report my_program.fathom.json\n"
        "A program linked with libfathom saves one when run with FATHOM_OUT set:\n"
        "  FATHOM_OUT=run.json ./my_program && fathom report run.json\n"
        "\nCommands:\n", f);
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fputs("\nOptions:\n"
        "  -h, --help     show this help and exit\n"
        "  -V, --version  print the version and the profile schema version, and exit\n"
        "\nRun 'fathom help <command>' or 'fathom <command> --help' for a command's options.\n"
        "Exit status: 0 success, 1 the output could not be written (check: a rule is\n"
        "violated), 2 usage or input error, 3 a CI gate failed (report --fail-on-sla,\n"
        "diff --fail-on-regression, bench --fail-if-slower).\n",
        f);
}

static void cmd_help_help(FILE *f) {
  fputs("Usage: fathom help [<command>]\n"
        "\nShow the general help, or the help of one command.\n", f);
}

static int unknown_command(const char *name) {
  char list[256];
  command_list(list, sizeof list);
  return tool_usage(NULL, name, "unknown command (commands: %s)", list);
}

static int cmd_help(int argc, char **argv) {
  static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  opts_reset();
  int c;
  while ((c = opts_next("help", argc, argv, ":h", longopts)) != -1) {
    if (c != 'h') return TOOL_EXIT_USAGE;
    cmd_help_help(stdout);
    return TOOL_EXIT_OK;
  }
  int n = argc - optind;
  if (n == 0) {
    main_help(stdout);
    return TOOL_EXIT_OK;
  }
  if (n > 1) return tool_usage("help", "help", "too many arguments (give one command)");
  const tool_cmd *cmd = tool_cmd_find(argv[optind]);
  if (!cmd) return unknown_command(argv[optind]);
  cmd->help(stdout);
  return TOOL_EXIT_OK;
}

/* A successful run whose help or report could not be written still fails (exit 1). */
static int finish(int rc) {
  errno = 0;
  if (fflush(stdout) != 0 || ferror(stdout)) {
    if (rc == TOOL_EXIT_OK) {
      int e = errno;
      tool_error("standard output", "write error%s%s", e ? ": " : "", e ? strerror(e) : "");
      rc = TOOL_EXIT_OUTPUT;
    }
  }
  return rc;
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0},
  };
  io_signals_init();   /* an output file's temporary is removed if a signal ends us */
  opts_reset();
  int c;
  while ((c = opts_next(NULL, argc, argv, "+:hV", longopts)) != -1) {
    switch (c) {
      case 'h':
        main_help(stdout);
        return finish(TOOL_EXIT_OK);
      case 'V':
        printf("fathom %s (profile schema %d)\n", FATHOM_VERSION_STRING, FATHOM_SCHEMA_VERSION);
        return finish(TOOL_EXIT_OK);
      default:
        return TOOL_EXIT_USAGE;
    }
  }
  if (optind >= argc)
    return tool_usage(NULL, "missing command",
                      "usage: fathom [--help|-h] [--version|-V] <command> [<args>]");
  const char *name = argv[optind];
  const tool_cmd *cmd = tool_cmd_find(name);
  if (!cmd) return unknown_command(name);
  return finish(cmd->run(argc - optind, argv + optind));
}
