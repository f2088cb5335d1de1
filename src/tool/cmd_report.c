/* cmd_report.c: `fathom report FILE.json`: render a saved profile in any view format.
 * Invariant: options and operands are all checked before the file is loaded, and the file
 * is fully loaded before a byte of output is written, so every usage or input error leaves
 * stdout empty and no output file behind. Exit 3 only ever means the --fail-on-sla gate failed
 * (after the report was written in full). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "opts.h"
#include "tool.h"

#define CMD "report"

void cmd_report_help(FILE *f) {
  fputs("Usage: fathom report FILE.json [options]\n"
        "\n"
        "Render a saved profile (the JSON a fathom session wrote) as a report.\n"
        "FILE may be '-' to read the profile from standard input. Profiles of schema 1\n"
        "to 4 are read; resources (memory, CPU, I/O, GPUs, leaks, snapshots, the\n"
        "overhead governor) appear in every format when the profile has them. Findings\n"
        "(bottlenecks with suggestions) are those the session found; profiles older\n"
        "than schema 3 are analysed here (thresholds: FATHOM_THRESHOLDS and friends).\n"
        "\n"
        "Options:\n"
        "      --format FMT    output format: text (default), json, csv, chrome, html,\n"
        "                      folded, speedscope or pprof (html: one self-contained page with\n"
        "                      findings, a sortable table, a flame graph, the timeline and\n"
        "                      resource charts; chrome: a trace for chrome://tracing or\n"
        "                      Perfetto, with the monitor's samples as counter tracks;\n"
        "                      folded: 'a;b;c <self ns>' lines for flamegraph.pl;\n"
        "                      speedscope: speedscope's JSON, one profile per thread)\n"
        "  -o, --output OUT    write to OUT instead of standard output; OUT is replaced\n"
        "                      atomically, or left untouched if anything fails ('-' = stdout)\n"
        "      --color WHEN    colour the text view: auto (default: only on a terminal and\n"
        "                      when NO_COLOR is unset or empty), always or never\n"
        "      --thresholds SPEC  analyse again with these bottleneck thresholds, e.g.\n"
        "                      'cpu_ms=50,tail_ratio=8,data.cpu_ms=400' (docs/findings.md)\n"
        "      --sla SPEC      check latency SLAs and analyse again, e.g.\n"
        "                      'request:p95<=50ms;parse:p99<=2ms'\n"
        "      --fail-on-sla   exit 3 unless every SLA (those of --sla, else the file's)\n"
        "                      was met; an SLA not verified (not enough timed calls, or\n"
        "                      its zone made no calls) fails it too (a CI gate)\n"
        "      --sla-unverified WHEN  fail (default) or pass: whether --fail-on-sla fails\n"
        "                      on SLAs not verified (each passed one is named on stderr)\n"
        "      --component NAME  only the zones of component NAME (a named profiler's\n"
        "                      zones): their figures, call tree and findings, without the\n"
        "                      whole program's tables\n"
        "  -h, --help          show this help and exit\n"
        "\n"
        "Exit status: 0 success, 1 the output could not be written, 2 usage error or\n"
        "a missing, unreadable or invalid FILE, 3 --fail-on-sla: an SLA was not met.\n"
        "\n"
        "Examples:\n"
        "  fathom report run.json\n"
        "  fathom report run.json --format csv -o run.csv\n"
        "  fathom report run.json --format=chrome -o run.trace.json\n"
        "  fathom report run.json --format html -o run.html\n"
        "  fathom report run.json --sla 'parse_record:p99<=20us'\n"
        "  fathom report run.json --component impl_a\n",
        f);
}

/* --fail-on-sla: TOOL_EXIT_OK when every SLA was met, else 3 (the report is written in full
 * first). An SLA not verified (met -2: not enough timed calls; -1: no calls) fails the gate
 * unless unverified_pass, which names it on stderr instead: never a silent pass. */
#define REPORT_EXIT_SLA 3
static int sla_gate(const fathom_profile *p, int unverified_pass) {
  if (!p->n_slas) {
    tool_error(CMD, "--fail-on-sla: no SLA was checked (give --sla SPEC)");
    return REPORT_EXIT_SLA;
  }
  int failed = 0;
  for (uint32_t i = 0; i < p->n_slas; i++) {
    const fathom_sla_result *s = &p->slas[i];
    if (s->met == 1) continue;
    if (s->met == 0 || !unverified_pass) {
      failed = 1;
      continue;
    }
    if (s->met == -2)
      fprintf(stderr, "fathom: %s: SLA %s:p%g not verified: not enough data (%llu timed calls); "
              "passed (--sla-unverified pass)\n", CMD, s->zone_name ? s->zone_name : "?",
              s->percentile, (unsigned long long)s->timed);
    else
      fprintf(stderr, "fathom: %s: SLA %s:p%g not verified: the zone made no calls; passed "
              "(--sla-unverified pass)\n", CMD, s->zone_name ? s->zone_name : "?", s->percentile);
  }
  return failed ? REPORT_EXIT_SLA : TOOL_EXIT_OK;
}

int cmd_report(int argc, char **argv) {
  enum { OPT_FORMAT = 256, OPT_COLOR, OPT_THRESHOLDS, OPT_SLA, OPT_FAIL_SLA, OPT_SLA_UNVERIFIED,
         OPT_COMPONENT };
  static const struct option longopts[] = {
      {"format", required_argument, NULL, OPT_FORMAT},
      {"output", required_argument, NULL, 'o'},
      {"color", required_argument, NULL, OPT_COLOR},
      {"colour", required_argument, NULL, OPT_COLOR},
      {"thresholds", required_argument, NULL, OPT_THRESHOLDS},
      {"sla", required_argument, NULL, OPT_SLA},
      {"fail-on-sla", no_argument, NULL, OPT_FAIL_SLA},
      {"sla-unverified", required_argument, NULL, OPT_SLA_UNVERIFIED},
      {"component", required_argument, NULL, OPT_COMPONENT},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  fathom_format fmt = FATHOM_FORMAT_TEXT;
  tool_color color = TOOL_COLOR_AUTO;
  const char *out_path = NULL, *sla = NULL, *component = NULL;
  int reanalyze = 0, fail_sla = 0, unverified_pass = 0;
  char err[256];
  fathom_thresholds th;
  fathom_thresholds_init(&th);
  if (fathom_thresholds_from_env(&th)) return TOOL_EXIT_USAGE;

  opts_reset();
  int c;
  while ((c = opts_next(CMD, argc, argv, ":o:h", longopts)) != -1) {
    switch (c) {
      case OPT_FORMAT:
        if (opts_format(CMD, optarg, &fmt)) return TOOL_EXIT_USAGE;
        break;
      case OPT_COLOR:
        if (opts_color(CMD, optarg, &color)) return TOOL_EXIT_USAGE;
        break;
      case 'o':
        if (!*optarg) return tool_usage(CMD, CMD, "option '--output' needs a file name");
        out_path = optarg;
        break;
      case OPT_THRESHOLDS:
        if (fathom_thresholds_parse(&th, optarg, err, sizeof err))
          return tool_usage(CMD, CMD, "--thresholds: %s", err);
        reanalyze = 1;
        break;
      case OPT_SLA:
        sla = optarg;
        reanalyze = 1;
        break;
      case OPT_COMPONENT:
        if (!*optarg) return tool_usage(CMD, CMD, "option '--component' needs a name");
        component = optarg;
        reanalyze = 1;
        break;
      case OPT_FAIL_SLA:
        fail_sla = 1;
        break;
      case OPT_SLA_UNVERIFIED:
        if (strcmp(optarg, "pass") && strcmp(optarg, "fail"))
          return tool_usage(CMD, CMD, "unknown --sla-unverified value '%s' (use fail or pass)",
                            optarg);
        unverified_pass = strcmp(optarg, "pass") == 0;
        break;
      case 'h':
        cmd_report_help(stdout);
        return TOOL_EXIT_OK;
      default:   /* '?': opts_next has reported it */
        return TOOL_EXIT_USAGE;
    }
  }
  int n = argc - optind;
  if (n < 1) return tool_usage(CMD, CMD, "missing FILE.json (the saved profile to render)");
  char q1[FATHOM_QUOTE_MAX], q2[FATHOM_QUOTE_MAX];
  if (n > 1) return tool_usage(CMD, CMD, "too many arguments ('%s' after '%s')",
                               tool_quote(q1, argv[optind + 1]), tool_quote(q2, argv[optind]));
  const char *in_path = argv[optind];
  if (!*in_path) return tool_usage(CMD, CMD, "empty FILE name");

  fathom_profile *p = NULL;
  int rc = io_load(in_path, &p);
  if (rc) return rc;
  if (component) {
    int found = 0;
    for (uint32_t i = 0; i < p->n_zones && !found; i++)
      found = strcmp(p->zones[i].component, component) == 0;
    if (!found) {
      fathom_profile_free(p);
      return tool_usage(CMD, CMD, "no zone of component '%s' in %s", tool_quote(q2, component),
                        tool_quote(q1, in_path));
    }
    if (fathom_profile_keep_component(p, component)) {
      fathom_profile_free(p);
      tool_error(CMD, "out of memory while selecting component '%s'", tool_quote(q2, component));
      return TOOL_EXIT_OUTPUT;
    }
    const char *sn = p->meta.session_name ? p->meta.session_name : "";
    size_t l = strlen(sn) + strlen(component) + 16;
    char *nm = malloc(l);
    if (nm) {   /* the header says which part this is */
      snprintf(nm, l, "%s [component %s]", sn, component);
      free(p->meta.session_name);
      p->meta.session_name = nm;
    }
  }
  /* findings: those the file carries, unless asked for others; a profile written before
   * findings existed (schema 1 or 2) is analysed here with the thresholds in force */
  if (sla && fathom_sla_check_profile(p, sla, err, sizeof err)) {
    fathom_profile_free(p);
    return tool_usage(CMD, CMD, "--sla: %s", err);
  }
  if ((reanalyze || p->meta.schema_version < 3) && fathom_analyze(p, &th)) {
    fathom_profile_free(p);
    tool_error(CMD, "out of memory while analysing %s", tool_quote(q1, in_path));
    return TOOL_EXIT_OUTPUT;
  }
  rc = io_save(p, fmt, out_path, color);
  if (rc == TOOL_EXIT_OK && fail_sla) rc = sla_gate(p, unverified_pass);
  fathom_profile_free(p);
  return rc;
}
