/* cmd_compare.c: `fathom compare BASE.json A.json B.json ...`: several saved profiles against
 * one baseline in one table. Each profile is compared with the baseline by `fathom diff`'s
 * engine (diff.h: same matching, same noise tests, same floor), so a cell says what the
 * two-profile diff would say; the table then holds, per zone of the baseline (and the zones
 * only some profiles have, after them), each profile's figure, its change and its judgement;
 * as text, JSON or one self-contained HTML page (diff_html.c's style and sort script).
 *
 * Invariant: every file is loaded and every comparison built before a byte is written, so a
 * usage or input error leaves stdout empty and no output file; exit status 3 only ever means
 * that --fail-on-regression found a regression in some profile. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diff.h"
#include "io.h"
#include "opts.h"
#include "tool.h"
#include "util/fmt.h"
#include "util/jsonw.h"

#define CMD "compare"
#define CMP_MAX 64   /* profiles at most (the baseline included) */

void cmd_compare_help(FILE *f) {
  fputs("Usage: fathom compare BASE.json NEW.json [NEW2.json ...] [options]\n"
        "\n"
        "Compare several saved profiles with one baseline (variants of a program, runs of a\n"
        "series) in one table: per zone, each profile's figure and its change from the\n"
        "baseline, judged against noise exactly as `fathom diff BASE NEW` judges it\n"
        "(docs/diff.md), and per profile the diff's verdict: regressed, improved, mixed or\n"
        "unchanged, with how many zones got worse and better beyond noise.\n"
        "\n"
        "Options:\n"
        "      --format FMT    text (default), json or html (one self-contained page)\n"
        "  -o, --output OUT    write to OUT instead of standard output (atomically)\n"
        "      --metric M      the figure in the table: total (default), mean, self, p50,\n"
        "                      p99 or calls\n"
        "      --fail-on-regression PCT\n"
        "                      exit 3 when any profile's zone grew by more than PCT % and\n"
        "                      beyond noise (the gate of fathom diff, metric mean); for\n"
        "                      sampled profiles (fathom run) also when its sampled CPU time did\n"
        "      --sigma Z       noise threshold in standard errors (default 3)\n"
        "      --top N         zones in the table (default 20; 0 = all)\n"
        "  -h, --help          show this help and exit\n"
        "\n"
        "In the text table a change is marked '+' when it is beyond noise and worse, '-' when\n"
        "beyond noise and better, '~' within noise, '?' when it cannot be judged.\n"
        "\n"
        "Exit status: 0 success, 1 the output could not be written, 2 usage error or a\n"
        "missing, unreadable or invalid file, 3 --fail-on-regression found a regression.\n"
        "\n"
        "Example:\n"
        "  fathom compare base.json variant_a.json variant_b.json --metric mean\n",
        f);
}

typedef struct cmp {
  int n;                            /* profiles compared with the base */
  const char *files[CMP_MAX];       /* [0] the base */
  fathom_profile *p[CMP_MAX];
  diff_result r[CMP_MAX];           /* r[k]: base against p[k], k >= 1 */
  dm_id metric;
  uint32_t top;
  fathom_format fmt;
} cmp;

/* The row of result r for base zone z (FATHOM_NONE: none), and for a zone only on the new
 * side named (name, comp). */
static const diff_row *row_base(const diff_result *r, uint32_t z) {
  for (uint32_t i = 0; i < r->n_zones; i++)
    if (r->zones[i].ia == z) return &r->zones[i];
  return NULL;
}

static char mark(const dm *m, dm_id id) {
  switch (m->judge) {
    case DJ_SAME: return ' ';
    case DJ_NOISE: return '~';
    case DJ_BEYOND: {
      int up = m->b > m->a;
      int worse = id == DM_CALLS ? 0 : up;   /* calls: neither better nor worse */
      return id == DM_CALLS ? '!' : worse ? '+' : '-';
    }
    case DJ_UNKNOWN: return '?';
    default: return ' ';
  }
}

static void fig(char *b, size_t cap, double v, dm_id id) {
  if (isnan(v)) snprintf(b, cap, "-");
  else if (id == DM_CALLS) fz_fmt_count(b, cap, (uint64_t)llround(v));
  else fz_fmt_dur(b, cap, v);
}

/* The base's zones with the metric, largest first (only those with a figure). */
static uint32_t *base_order(const cmp *c, uint32_t *n) {
  const fathom_profile *b = c->p[0];
  uint32_t *o = malloc((b->n_zones ? b->n_zones : 1) * sizeof *o);
  double *v = malloc((b->n_zones ? b->n_zones : 1) * sizeof *v);
  *n = 0;
  if (!o || !v) {
    free(o);
    free(v);
    return NULL;
  }
  for (uint32_t z = 0; z < b->n_zones; z++) {
    const diff_row *row = c->n ? row_base(&c->r[1], z) : NULL;
    double x = row ? row->m[c->metric].a : NAN;
    if (isnan(x)) continue;
    v[z] = x;
    o[(*n)++] = z;
  }
  for (uint32_t i = 1; i < *n; i++) {   /* insertion sort: tables are short */
    uint32_t k = o[i], j = i;
    while (j > 0 && v[o[j - 1]] < v[k]) {
      o[j] = o[j - 1];
      j--;
    }
    o[j] = k;
  }
  free(v);
  return o;
}

static int write_text(const cmp *c, FILE *f) {
  fprintf(f, "Compared with %s (%s per zone; + worse, - better beyond noise, ~ within noise)\n\n",
          c->files[0], dm_name((int)c->metric));
  for (int k = 1; k <= c->n; k++) {
    const diff_result *r = &c->r[k];
    fprintf(f, "  [%d] %s: %s — ", k, c->files[k], r->status);
    const dm *rc = &r->run_cpu;   /* sampled profiles: the run's CPU time too */
    if (r->run_judged && rc->judge == DJ_SAME)
      fprintf(f, "sampled CPU time unchanged, ");
    else if (r->run_judged && isfinite(dm_pct(rc)))
      fprintf(f, "sampled CPU time %+.1f%% %c, ", dm_pct(rc), mark(rc, DM_CPU));
    fprintf(f, "%u zones worse, %u better beyond noise, %u unchanged", r->n_worse, r->n_better,
            r->n_unchanged);
    if (r->run_gated) fprintf(f, "; the run's CPU time over the regression gate");
    if (r->n_gated) fprintf(f, "; %u over the regression gate", r->n_gated);
    fputc('\n', f);
  }
  fputc('\n', f);
  uint32_t n;
  uint32_t *o = base_order(c, &n);
  if (!o) return FATHOM_E_NOMEM;
  fprintf(f, "  %-40s %12s", "zone", "base");
  for (int k = 1; k <= c->n; k++) fprintf(f, "  %20s", "");
  fputc('\n', f);
  uint32_t shown = 0;
  for (uint32_t i = 0; i < n && (!c->top || shown < c->top); i++, shown++) {
    uint32_t z = o[i];
    char nm[48], base[32];
    snprintf(nm, sizeof nm, "%.40s", c->p[0]->zones[z].name ? c->p[0]->zones[z].name : "");
    const diff_row *r1 = row_base(&c->r[1], z);
    fig(base, sizeof base, r1 ? r1->m[c->metric].a : NAN, c->metric);
    fprintf(f, "  %-40s %12s", nm, base);
    for (int k = 1; k <= c->n; k++) {
      const diff_row *row = row_base(&c->r[k], z);
      char cell[64], v[32];
      if (!row || row->status != DROW_BOTH) {
        snprintf(cell, sizeof cell, "(gone)");
      } else {
        const dm *m = &row->m[c->metric];
        double pct = dm_pct(m);
        fig(v, sizeof v, m->b, c->metric);
        if (isnan(pct)) snprintf(cell, sizeof cell, "%s", v);
        else snprintf(cell, sizeof cell, "%s %+.1f%% %c", v, pct, mark(m, c->metric));
      }
      fprintf(f, "  %20s", cell);
    }
    fputc('\n', f);
  }
  if (n > shown) fprintf(f, "  ... %u more zones (--top 0 shows all)\n", n - shown);
  for (int k = 1; k <= c->n; k++)
    if (c->r[k].n_added)
      fprintf(f, "  [%d] has %u zones the base does not have\n", k, c->r[k].n_added);
  free(o);
  return ferror(f) ? FATHOM_E_IO : 0;
}

static void jnum(FILE *f, double v) {
  if (isnan(v)) fputs("null", f);
  else fz_json_write_double(f, v);
}

static int write_json(const cmp *c, FILE *f) {
  static const char *const judges[] = {"not_comparable", "unchanged", "within_noise",
                                       "beyond_noise", "unknown"};
  fputs("{\"format\":\"fathom-compare\",\"version\":1,\"base\":", f);
  fz_json_write_str(f, c->files[0], 0);
  fprintf(f, ",\"metric\":\"%s\",\"profiles\":[", dm_name((int)c->metric));
  for (int k = 1; k <= c->n; k++) {
    const diff_result *r = &c->r[k];
    fputs(k > 1 ? ",\n{\"file\":" : "\n{\"file\":", f);
    fz_json_write_str(f, c->files[k], 0);
    fprintf(f, ",\"status\":\"%s\",\"worse\":%u,\"better\":%u,\"unchanged\":%u,\"gated\":%u,"
               "\"added\":%u,\"gone\":%u,\"verdict\":",
            r->status, r->n_worse, r->n_better, r->n_unchanged, r->n_gated, r->n_added,
            r->n_gone);
    fz_json_write_str(f, r->verdict, 0);
    fputs(",\"run_cpu\":", f);   /* sampled profiles: the run's CPU time, judged */
    if (r->run_judged) {
      fputs("{\"base\":", f);
      jnum(f, r->run_cpu.a);
      fputs(",\"value\":", f);
      jnum(f, r->run_cpu.b);
      fputs(",\"pct\":", f);
      jnum(f, dm_pct(&r->run_cpu));
      fprintf(f, ",\"judge\":\"%s\",\"gated\":%s}", dj_name(r->run_cpu.judge),
              r->run_gated ? "true" : "false");
    } else {
      fputs("null", f);
    }
    fputc('}', f);
  }
  fputs("],\n\"zones\":[", f);
  uint32_t n;
  uint32_t *o = base_order(c, &n);
  if (!o) return FATHOM_E_NOMEM;
  for (uint32_t i = 0; i < n && (!c->top || i < c->top); i++) {
    uint32_t z = o[i];
    const fathom_zone_info *zi = &c->p[0]->zones[z];
    fputs(i ? ",\n{\"name\":" : "\n{\"name\":", f);
    fz_json_write_str(f, zi->name, 0);
    fputs(",\"component\":", f);
    fz_json_write_str(f, zi->component, 0);
    const diff_row *r1 = row_base(&c->r[1], z);
    fputs(",\"base\":", f);
    jnum(f, r1 ? r1->m[c->metric].a : NAN);
    fputs(",\"values\":[", f);
    for (int k = 1; k <= c->n; k++) {
      const diff_row *row = row_base(&c->r[k], z);
      if (k > 1) fputc(',', f);
      if (!row || row->status != DROW_BOTH) {
        fputs("null", f);
        continue;
      }
      const dm *m = &row->m[c->metric];
      fputs("{\"value\":", f);
      jnum(f, m->b);
      fputs(",\"pct\":", f);
      jnum(f, dm_pct(m));
      fprintf(f, ",\"judge\":\"%s\"}", (unsigned)m->judge < 5 ? judges[m->judge] : "unknown");
    }
    fputs("]}", f);
  }
  fputs("]}\n", f);
  free(o);
  return ferror(f) ? FATHOM_E_IO : 0;
}

/* The HTML view: the text view's verdicts, table and notes in one self-contained page
 * (diff_html.c's style and sort script); each cell coloured by its mark. */
static const char *mark_word(char m) {
  return m == '+' ? "worse beyond noise" : m == '-' ? "better beyond noise"
         : m == '~' ? "within noise" : m == '?' ? "cannot be judged"
         : m == '!' ? "changed (a count)" : "unchanged";
}

static int write_html(const cmp *c, FILE *f) {
  char title[512];
  snprintf(title, sizeof title, "%d profile%s against %s", c->n, c->n == 1 ? "" : "s",
           c->files[0]);
  diff_html_begin(f, "fathom compare", title);
  fputs("<p class=\"meta\">Baseline <b>", f);
  diff_html_esc(f, c->files[0]);
  fprintf(f, "</b>; the figure per zone: %s. Red &ldquo;+&rdquo;: worse beyond noise, green "
          "&ldquo;&minus;&rdquo;: better beyond noise, grey &ldquo;~&rdquo;: within noise, "
          "&ldquo;?&rdquo;: cannot be judged, &ldquo;!&rdquo;: a count that changed. Click a "
          "column to sort.</p>\n<h2>Verdicts</h2>\n<ol id=\"verdicts\">\n",
          dm_name((int)c->metric));
  for (int k = 1; k <= c->n; k++) {
    char id[32];
    snprintf(id, sizeof id, "verdict-%d", k);
    fputs("<li><b>", f);
    diff_html_esc(f, c->files[k]);
    fputs("</b>", f);
    diff_html_verdict(f, &c->r[k], id);
    fputs("</li>\n", f);
  }
  fputs("</ol>\n<h2>Zones</h2>\n<table class=\"sortable\" id=\"zones\"><thead><tr>"
        "<th class=\"l\">zone</th><th class=\"l\">component</th><th>base</th>", f);
  for (int k = 1; k <= c->n; k++) {
    fprintf(f, "<th title=\"[%d] ", k);
    diff_html_esc(f, c->files[k]);
    fprintf(f, "\">[%d] ", k);
    diff_html_esc(f, c->files[k]);
    fputs("</th>", f);
  }
  fputs("</tr></thead><tbody>\n", f);
  uint32_t n;
  uint32_t *o = base_order(c, &n);
  if (!o) return FATHOM_E_NOMEM;
  uint32_t shown = 0;
  for (uint32_t i = 0; i < n && (!c->top || shown < c->top); i++, shown++) {
    uint32_t z = o[i];
    const fathom_zone_info *zi = &c->p[0]->zones[z];
    const diff_row *r1 = row_base(&c->r[1], z);
    double base = r1 ? r1->m[c->metric].a : NAN;
    char v[32];
    fputs("<tr><td class=\"l\">", f);
    diff_html_esc(f, zi->name);
    fputs("</td><td class=\"l\">", f);
    diff_html_esc(f, zi->component && *zi->component ? zi->component : "default");
    fig(v, sizeof v, base, c->metric);
    fputs("</td><td data-v=\"", f);
    diff_html_num(f, base);
    fprintf(f, "\">%s</td>", v);
    for (int k = 1; k <= c->n; k++) {
      const diff_row *row = row_base(&c->r[k], z);
      if (!row || row->status != DROW_BOTH) {
        fputs("<td class=\"dim\" data-v=\"NaN\">(gone)</td>", f);
        continue;
      }
      const dm *m = &row->m[c->metric];
      double pct = dm_pct(m);
      char mk = mark(m, c->metric);
      fig(v, sizeof v, m->b, c->metric);
      const char *cls = m->judge == DJ_NOISE ? " class=\"noise\""
                        : m->judge == DJ_UNKNOWN ? " class=\"unknown\""
                                                 : diff_html_cls(m, c->metric == DM_CALLS);
      fprintf(f, "<td%s data-v=\"", cls);
      diff_html_num(f, pct);
      fprintf(f, "\" title=\"%s\">%s", mark_word(mk), v);
      if (!isnan(pct)) fprintf(f, " %+.1f%% %c", pct, mk == ' ' ? '=' : mk);
      fputs("</td>", f);
    }
    fputs("</tr>\n", f);
  }
  fputs("</tbody></table>\n", f);
  if (n > shown)
    fprintf(f, "<p class=\"dim\">&hellip; %u more zones (--top 0 shows all)</p>\n", n - shown);
  for (int k = 1; k <= c->n; k++)
    if (c->r[k].n_added)
      fprintf(f, "<p class=\"note\">[%d] has %u zones the base does not have</p>\n", k,
              c->r[k].n_added);
  free(o);
  diff_html_end(f);
  return ferror(f) ? FATHOM_E_IO : 0;
}

static int render(void *ctx, FILE *f, int color) {
  (void)color;
  const cmp *c = ctx;
  if (c->fmt == FATHOM_FORMAT_JSON) return write_json(c, f);
  return c->fmt == FATHOM_FORMAT_HTML ? write_html(c, f) : write_text(c, f);
}

int cmd_compare(int argc, char **argv) {
  static const struct option longopts[] = {
      {"format", required_argument, NULL, 'F'},
      {"output", required_argument, NULL, 'o'},
      {"metric", required_argument, NULL, 'M'},
      {"fail-on-regression", required_argument, NULL, 'R'},
      {"sigma", required_argument, NULL, 'S'},
      {"top", required_argument, NULL, 'T'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  static const char *const metrics[] = {"total", "mean", "self", "p50", "p99", "calls"};
  static const dm_id mids[] = {DM_TOTAL, DM_MEAN, DM_SELF, DM_P50, DM_P99, DM_CALLS};
  static cmp c;
  memset(&c, 0, sizeof c);
  c.metric = DM_TOTAL;
  c.top = 20;
  c.fmt = FATHOM_FORMAT_TEXT;
  diff_opts o;
  diff_opts_init(&o);
  o.top = 0;
  o.min_share_pct = 0;
  const char *out = NULL;
  char *end;
  opts_reset();
  int ch;
  while ((ch = opts_next(CMD, argc, argv, ":o:h", longopts)) != -1) {
    switch (ch) {
      case 'h':
        cmd_compare_help(stdout);
        return TOOL_EXIT_OK;
      case 'F':
        if (!strcasecmp(optarg, "text")) c.fmt = FATHOM_FORMAT_TEXT;
        else if (!strcasecmp(optarg, "json")) c.fmt = FATHOM_FORMAT_JSON;
        else if (!strcasecmp(optarg, "html")) c.fmt = FATHOM_FORMAT_HTML;
        else return tool_usage(CMD, CMD, "unknown --format value '%s' (use text, json or html)",
                               optarg);
        break;
      case 'o':
        if (!*optarg) return tool_usage(CMD, CMD, "option '--output' needs a file name");
        out = optarg;
        break;
      case 'M': {
        int i = 0;
        while (i < 6 && strcasecmp(optarg, metrics[i])) i++;
        if (i == 6)
          return tool_usage(CMD, CMD, "unknown --metric value '%s' (use total, mean, self, p50, "
                            "p99 or calls)", optarg);
        c.metric = mids[i];
        break;
      }
      case 'R':
      case 'S':
      case 'T': {
        errno = 0;
        double v = strtod(optarg, &end);
        double hi = ch == 'S' ? 20 : 1e9, lo = ch == 'S' ? 0.5 : 0;
        if (!*optarg || *end || errno || !(v >= lo && v <= hi))
          return tool_usage(CMD, CMD, "option '--%s' needs a number from %g to %g, not '%s'",
                            ch == 'R' ? "fail-on-regression" : ch == 'S' ? "sigma" : "top", lo,
                            hi, optarg);
        if (ch == 'R') o.fail_pct = v;
        else if (ch == 'S') o.sigma = v;
        else if (v != floor(v)) return tool_usage(CMD, CMD, "option '--top' needs a whole number");
        else c.top = (uint32_t)v;
        break;
      }
      default:
        return TOOL_EXIT_USAGE;
    }
  }
  int n = argc - optind;
  if (n < 2) return tool_usage(CMD, CMD, "give a baseline and at least one profile to compare");
  if (n > CMP_MAX) return tool_usage(CMD, CMD, "at most %d profiles", CMP_MAX);
  int stdin_used = 0;
  for (int k = 0; k < n; k++) {
    c.files[k] = argv[optind + k];
    if (!*c.files[k]) return tool_usage(CMD, CMD, "empty file name");
    if (!strcmp(c.files[k], "-") && stdin_used++)
      return tool_usage(CMD, CMD, "standard input ('-') can be read only once");
  }
  int rc = 0, built = 0;
  for (int k = 0; k < n && !rc; k++) rc = io_load(c.files[k], &c.p[k]);
  c.n = n - 1;
  for (int k = 1; k <= c.n && !rc; k++) {
    if (diff_build(&c.r[k], c.p[0], c.files[0], c.p[k], c.files[k], &o)) {
      tool_error(CMD, "%s", fathom_strerror(FATHOM_E_NOMEM));
      rc = TOOL_EXIT_OUTPUT;
    } else {
      built = k;
    }
  }
  if (!rc) {
    rc = io_write(out, TOOL_COLOR_NEVER, render, &c);
    for (int k = 1; rc == TOOL_EXIT_OK && k <= c.n; k++)
      if (diff_failed(&c.r[k])) rc = DIFF_EXIT_REGRESSION;
  }
  for (int k = 1; k <= built; k++) diff_free(&c.r[k]);
  for (int k = 0; k < n; k++) fathom_profile_free(c.p[k]);
  return rc;
}
