/* opts.c: error reporting and option parsing for the `fathom` command (see opts.h, tool.h).
 * Invariant: getopt's own messages are off (opterr = 0); each error becomes exactly one line
 * of ours plus the hint, never a getopt message and never two lines of ours. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "opts.h"
#include "tool.h"

void tool_error(const char *what, const char *fmt, ...) {
  va_list ap;
  fflush(stdout);   /* keep the order readable when both go to one terminal */
  fprintf(stderr, "%s: %s: ", TOOL_NAME, what);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

int tool_usage(const char *cmd, const char *what, const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  fprintf(stderr, "%s: %s: ", TOOL_NAME, what);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fprintf(stderr, "Try '%s%s%s --help'.\n", TOOL_NAME, cmd ? " " : "", cmd ? cmd : "");
  return TOOL_EXIT_USAGE;
}

void opts_reset(void) {
  optind = 0;   /* glibc: 0 fully re-initialises getopt (a new argv, permutation state) */
  opterr = 0;
}

/* How many long options start with the n characters of name, and whether one matches it
 * exactly (getopt_long accepts unique prefixes). */
static int long_matches(const struct option *lo, const char *name, size_t n, int *exact) {
  int hits = 0;
  *exact = 0;
  for (; lo && lo->name; lo++) {
    if (strncmp(lo->name, name, n) != 0) continue;
    hits++;
    if (strlen(lo->name) == n) *exact = 1;
  }
  return hits;
}

int opts_next(const char *cmd, int argc, char **argv, const char *shortopts,
              const struct option *longopts) {
  opterr = 0;
  int c = getopt_long(argc, argv, shortopts, longopts, NULL);
  if (c != '?' && c != ':') return c;

  const char *arg = (optind > 0 && optind <= argc) ? argv[optind - 1] : "";
  int is_long = strncmp(arg, "--", 2) == 0 && arg[2] != '\0';
  size_t n = is_long ? strcspn(arg + 2, "=") : 0;
  char opt[80];
  const char *why;
  int about_arg = 0;   /* the option is known; its argument is missing or not allowed */
  if (c == ':') {
    why = "needs an argument";
    about_arg = 1;
  } else if (optopt != 0 && !(is_long && arg[2 + n] == '=')) {
    is_long = 0;   /* an unknown short option (perhaps inside a cluster like -xV) */
    why = "unknown option";
  } else {
    int exact = 0;
    int hits = is_long ? long_matches(longopts, arg + 2, n, &exact) : 0;
    about_arg = hits == 1 || exact;
    why = about_arg ? "takes no argument" : hits > 1 ? "ambiguous option" : "unknown option";
  }
  if (is_long) snprintf(opt, sizeof opt, "--%.*s", (int)(n > 64 ? 64 : n), arg + 2);
  else snprintf(opt, sizeof opt, "-%c", optopt ? optopt : '?');
  if (!cmd) tool_usage(NULL, opt, "%s", why);    /* fathom: --frob: unknown option */
  else if (about_arg) tool_usage(cmd, cmd, "option '%s' %s", opt, why);   /* ...'-o' needs.. */
  else tool_usage(cmd, cmd, "%s '%s'", why, opt);   /* fathom: report: unknown option '-x' */
  return '?';
}

int opts_format(const char *cmd, const char *s, fathom_format *out) {
  if (fathom_format_parse(s, out) == 0) return 0;
  return tool_usage(cmd, cmd ? cmd : TOOL_NAME, "unknown format '%s' (use " OPTS_FORMAT_NAMES ")",
                    s);
}

int opts_color(const char *cmd, const char *s, tool_color *out) {
  static const char *const names[] = {"auto", "always", "never"};
  for (int i = 0; i < 3; i++) {
    if (strcasecmp(s, names[i]) == 0) {
      *out = (tool_color)i;
      return 0;
    }
  }
  return tool_usage(cmd, cmd ? cmd : TOOL_NAME,
                    "unknown --color value '%s' (use auto, always or never)", s);
}

int opts_color_enabled(tool_color c, int fd) {
  if (c == TOOL_COLOR_ALWAYS) return 1;
  if (c == TOOL_COLOR_NEVER) return 0;
  const char *no = getenv("NO_COLOR");
  if (no && *no) return 0;
  return isatty(fd) ? 1 : 0;
}
