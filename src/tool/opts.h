/* opts.h: command-line option helpers shared by the `fathom` subcommands: getopt_long with
 * the project's error messages, and the --color / --format values.
 *
 * Invariant: every option error is reported here, once, as "fathom: <cmd>: <why>" plus the
 * hint line, so a command only has to return TOOL_EXIT_USAGE when opts_next says so. */
#ifndef FATHOM_TOOL_OPTS_H
#define FATHOM_TOOL_OPTS_H

#include <getopt.h>

#include "fathom.h"

/* The format names fathom_format_parse accepts, for messages and help. */
#define OPTS_FORMAT_NAMES "text, json, csv, chrome, html, folded, speedscope or pprof"

typedef enum tool_color {
  TOOL_COLOR_AUTO = 0,   /* colour when the destination is a terminal and NO_COLOR is unset */
  TOOL_COLOR_ALWAYS = 1,
  TOOL_COLOR_NEVER = 2
} tool_color;

/* Starts a fresh parse (each subcommand parses its own argv). */
void opts_reset(void);

/* The next option of argv for command cmd (NULL: the top level), as getopt_long returns it;
 * shortopts must begin with ':'. Returns the option's value, -1 when the options are over
 * (optind is then the first operand), or '?' after reporting an unknown, ambiguous or
 * badly used option or a missing argument (the caller returns TOOL_EXIT_USAGE). */
int opts_next(const char *cmd, int argc, char **argv, const char *shortopts,
              const struct option *longopts);

/* Parses --format's value; on error reports it and returns TOOL_EXIT_USAGE, else 0. */
int opts_format(const char *cmd, const char *s, fathom_format *out);
/* A number from s in [lo, hi] for option --opt into *out: 0, or TOOL_EXIT_USAGE after
 * reporting it. */
int opts_number(const char *cmd, const char *opt, const char *s, double lo, double hi,
                double *out);
/* Parses --color's value (auto, always, never); same returns as opts_format. */
int opts_color(const char *cmd, const char *s, tool_color *out);
/* Whether to colour output going to file descriptor fd: always / never as given; auto when
 * fd is a terminal and NO_COLOR is unset or empty. */
int opts_color_enabled(tool_color c, int fd);

#endif
