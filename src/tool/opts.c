/* opts.c: error reporting and option parsing for the `fathom` command (see opts.h, tool.h).
 * Invariant: getopt's own messages are off (opterr = 0); each error becomes exactly one line
 * of ours plus the hint, never a getopt message and never two lines of ours, whatever bytes
 * a file name or argument holds (fathom_quote). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fathom_load.h"
#include "opts.h"
#include "tool.h"

/* "fathom: <what>: <why>\n" on stderr, one line whatever what and why hold: what is quoted
 * like a file name (it often is one), and control bytes in why are escaped. */
__attribute__((format(printf, 2, 0)))
static void vreport(const char *what, const char *fmt, va_list ap) {
  static char why[2 * FATHOM_QUOTE_MAX + 1024], safe[2 * FATHOM_QUOTE_MAX + 1024],
      name[FATHOM_QUOTE_MAX];
  fflush(stdout);   /* keep the order readable when both go to one terminal */
  vsnprintf(why, sizeof why, fmt, ap);
  fprintf(stderr, "%s: %s: %s\n", TOOL_NAME, fathom_quote(name, sizeof name, what, 1),
          fathom_quote(safe, sizeof safe, why, 0));
}

void tool_error(const char *what, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(what, fmt, ap);
  va_end(ap);
}

int tool_usage(const char *cmd, const char *what, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(what, fmt, ap);
  va_end(ap);
  fprintf(stderr, "Try '%s%s%s --help'.\n", TOOL_NAME, cmd ? " " : "", cmd ? cmd : "");
  return TOOL_EXIT_USAGE;
}

const char *tool_quote(char buf[FATHOM_QUOTE_MAX], const char *name) {
  return fathom_quote(buf, FATHOM_QUOTE_MAX, name, 1);
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

int opts_number(const char *cmd, const char *opt, const char *s, double lo, double hi,
                double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (!*s || *end || errno || !isfinite(v) || v < lo || v > hi)
    return tool_usage(cmd, cmd, "option '--%s' needs a number from %g to %g, not '%s'", opt, lo,
                      hi, s);
  *out = v;
  return 0;
}
