/* cmd_diff.c: `fathom diff BASE.json NEW.json`: compare two saved profiles zone by zone and
 * call path by call path, judge each change against noise, and gate CI on regressions.
 * Invariant: options, operands and both files are checked and loaded before a byte of
 * output is written, so every usage or input error leaves stdout empty and no output file;
 * exit status 3 (DIFF_EXIT_REGRESSION) only ever means the --fail-on-regression gate failed. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diff.h"
#include "io.h"
#include "opts.h"
#include "tool.h"

#define CMD "diff"

void cmd_diff_help(FILE *f) {
  fputs("Usage: fathom diff BASE.json NEW.json [options]\n"
        "\n"
        "Compare two saved profiles (before and after a change): per zone (matched by name\n"
        "and component) and per call path, the change in calls, total, mean, p50 and p99\n"
        "time, allocations and RSS, absolute and in %, each judged beyond noise or not\n"
        "(method: docs/diff.md); zones added and gone; a summary and a verdict line.\n"
        "Each zone shows the calls timed on each side: where the governor timed only a\n"
        "sample, totals, means and percentiles are estimates, and a change within their\n"
        "combined standard error is never beyond noise.\n"
        "Either file may be '-' (standard input, once).\n"
        "\n"
        "Options:\n"
        "      --format FMT    text (default), json or html\n"
        "  -o, --output OUT    write to OUT instead of standard output; OUT is replaced\n"
        "                      atomically, or left untouched if anything fails\n"
        "      --color WHEN    colour the text view: auto (default), always or never\n"
        "      --fail-on-regression PCT\n"
        "                      exit 3 when a zone's gate metric grew by more than PCT %\n"
        "                      and beyond noise (a CI gate); for sampled profiles (fathom\n"
        "                      run) also when the run's sampled CPU time did\n"
        "      --fail-metric M the gate metric: mean (default), total, p50 or p99; it also\n"
        "                      decides which zones count as regressed or improved\n"
        "      --sigma Z       noise threshold in standard errors (default 3)\n"
        "      --noise-floor PCT\n"
        "                      a change that moves less than PCT % of the run's total\n"
        "                      zone time is noise, however sure the test (default 1)\n"
        "      --sort KEY      impact (default: |change of own time|), pct, total, mean,\n"
        "                      calls or name\n"
        "      --top N         rows per table (default 20 for text and html, all for json;\n"
        "                      0 = all)\n"
        "      --min-share PCT hide zones below PCT % of total zone time on both sides\n"
        "                      (default 0.1); hidden zones are not gated\n"
        "      --paths         add the per-call-path table to the text and html views\n"
        "  -h, --help          show this help and exit\n"
        "\n"
        "Exit status: 0 success, 1 the output could not be written, 2 usage error or a\n"
        "missing, unreadable or invalid file, 3 --fail-on-regression found a regression.\n"
        "\n"
        "Examples:\n"
        "  fathom diff before.json after.json\n"
        "  fathom diff base.json new.json --fail-on-regression 5 --format json -o diff.json\n"
        "  fathom diff base.json new.json --format html -o diff.html --paths\n",
        f);
}

/* A number from s in [lo, hi] (opts.c). */
static int num_arg(const char *opt, const char *s, double lo, double hi, double *out) {
  return opts_number(CMD, opt, s, lo, hi, out);
}

/* Index of s in names[0..n), or -1 after reporting it. */
static int word_arg(const char *opt, const char *s, const char *const *names, int n,
                    const char *list) {
  for (int i = 0; i < n; i++)
    if (strcasecmp(s, names[i]) == 0) return i;
  tool_usage(CMD, CMD, "unknown --%s value '%s' (use %s)", opt, s, list);
  return -1;
}

static int format_arg(const char *s, fathom_format *fmt) {
  static const char *const names[] = {"text", "json", "html"};
  static const fathom_format v[] = {FATHOM_FORMAT_TEXT, FATHOM_FORMAT_JSON, FATHOM_FORMAT_HTML};
  int i = word_arg("format", s, names, 3, "text, json or html");
  if (i < 0) return TOOL_EXIT_USAGE;
  *fmt = v[i];
  return 0;
}

static int render(const diff_result *r, fathom_format fmt, FILE *f) {
  if (fmt == FATHOM_FORMAT_JSON) return diff_write_json(r, f);
  if (fmt == FATHOM_FORMAT_HTML) return diff_write_html(r, f);
  return diff_write_text(r, f);
}

typedef struct render_ctx {
  diff_result *r;
  fathom_format fmt;
} render_ctx;

static int render_diff(void *ctx, FILE *f, int color) {
  render_ctx *c = ctx;
  c->r->opt.color = c->fmt == FATHOM_FORMAT_TEXT && color;
  return render(c->r, c->fmt, f);
}

typedef struct dargs {
  diff_opts o;
  fathom_format fmt;
  tool_color color;
  const char *out;
  int top_set;
} dargs;

static int parse_opt(int c, dargs *d) {
  static const char *const metrics[] = {"mean", "total", "p50", "p99"};
  static const dm_id metric_ids[] = {DM_MEAN, DM_TOTAL, DM_P50, DM_P99};
  static const char *const sorts[] = {"impact", "pct", "total", "mean", "calls", "name"};
  double v;
  int i;
  switch (c) {
    case 'F': return format_arg(optarg, &d->fmt);
    case 'C': return opts_color(CMD, optarg, &d->color);
    case 'o':
      if (!*optarg) return tool_usage(CMD, CMD, "option '--output' needs a file name");
      d->out = optarg;
      return 0;
    case 'R': return num_arg("fail-on-regression", optarg, 0, 1e9, &d->o.fail_pct);
    case 'M':
      if ((i = word_arg("fail-metric", optarg, metrics, 4, "mean, total, p50 or p99")) < 0)
        return TOOL_EXIT_USAGE;
      d->o.fail_metric = metric_ids[i];
      return 0;
    case 'S': return num_arg("sigma", optarg, 0.5, 20, &d->o.sigma);
    case 'N': return num_arg("noise-floor", optarg, 0, 100, &d->o.floor_pct);
    case 'O':
      if ((i = word_arg("sort", optarg, sorts, 6, "impact, pct, total, mean, calls or name")) < 0)
        return TOOL_EXIT_USAGE;
      d->o.sort = (dsort)i;
      return 0;
    case 'T':
      if (num_arg("top", optarg, 0, 1e9, &v)) return TOOL_EXIT_USAGE;
      if (v != floor(v)) return tool_usage(CMD, CMD, "option '--top' needs a whole number");
      d->o.top = (uint32_t)v;
      d->top_set = 1;
      return 0;
    case 'H': return num_arg("min-share", optarg, 0, 100, &d->o.min_share_pct);
    case 'P':
      d->o.paths = 1;
      return 0;
    default: return TOOL_EXIT_USAGE;   /* '?': opts_next has reported it */
  }
}

int cmd_diff(int argc, char **argv) {
  static const struct option longopts[] = {
      {"format", required_argument, NULL, 'F'},
      {"output", required_argument, NULL, 'o'},
      {"color", required_argument, NULL, 'C'},
      {"colour", required_argument, NULL, 'C'},
      {"fail-on-regression", required_argument, NULL, 'R'},
      {"fail-metric", required_argument, NULL, 'M'},
      {"sigma", required_argument, NULL, 'S'},
      {"noise-floor", required_argument, NULL, 'N'},
      {"sort", required_argument, NULL, 'O'},
      {"top", required_argument, NULL, 'T'},
      {"min-share", required_argument, NULL, 'H'},
      {"paths", no_argument, NULL, 'P'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  dargs d = {.fmt = FATHOM_FORMAT_TEXT, .color = TOOL_COLOR_AUTO};
  diff_opts_init(&d.o);
  opts_reset();
  int c;
  while ((c = opts_next(CMD, argc, argv, ":o:h", longopts)) != -1) {
    if (c == 'h') {
      cmd_diff_help(stdout);
      return TOOL_EXIT_OK;
    }
    if (parse_opt(c, &d)) return TOOL_EXIT_USAGE;
  }
  int n = argc - optind;
  if (n < 2)
    return tool_usage(CMD, CMD, "missing %s (give BASE.json and NEW.json)",
                      n ? "NEW.json" : "BASE.json and NEW.json");
  char q1[FATHOM_QUOTE_MAX], q2[FATHOM_QUOTE_MAX];
  if (n > 2) return tool_usage(CMD, CMD, "too many arguments ('%s' after '%s')",
                               tool_quote(q1, argv[optind + 2]), tool_quote(q2, argv[optind + 1]));
  const char *pa = argv[optind], *pb = argv[optind + 1];
  if (!*pa || !*pb) return tool_usage(CMD, CMD, "empty file name");
  if (strcmp(pa, "-") == 0 && strcmp(pb, "-") == 0)
    return tool_usage(CMD, CMD, "standard input ('-') can be read only once");
  if (!d.top_set && d.fmt == FATHOM_FORMAT_JSON) d.o.top = 0;

  fathom_profile *a = NULL, *b = NULL;
  int rc = io_load(pa, &a);
  if (!rc) rc = io_load(pb, &b);
  if (rc) {
    if (a) fathom_profile_free(a);
    return rc;
  }
  diff_result r;
  if (diff_build(&r, a, pa, b, pb, &d.o)) {
    tool_error(CMD, "%s", fathom_strerror(FATHOM_E_NOMEM));
    rc = TOOL_EXIT_OUTPUT;
  } else {
    render_ctx rctx = {&r, d.fmt};
    rc = io_write(d.out, d.color, render_diff, &rctx);
    if (rc == TOOL_EXIT_OK && diff_failed(&r)) rc = DIFF_EXIT_REGRESSION;
    diff_free(&r);
  }
  fathom_profile_free(a);
  fathom_profile_free(b);
  return rc;
}
