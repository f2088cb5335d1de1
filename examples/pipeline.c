/* pipeline.c: the demo: profiles the bundled data pipeline with fathom, prints the text
 * report (findings first), and writes profile.json, profile.csv, trace.json, report.html,
 * profile.folded and profile.speedscope.json into the given directory.
 * Usage: demo_pipeline [OUT_DIR] [RECORDS] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline_work.h"

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "out/demo";
  long n = argc > 2 ? atol(argv[2]) : 20000;
  if (n <= 0) {
    fprintf(stderr, "demo_pipeline: RECORDS must be a positive integer\n");
    return 2;
  }
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "demo_pipeline: cannot create %s: %s\n", dir, strerror(errno));
    return 1;
  }
  fathom_config cfg;
  fathom_config_init(&cfg);
  cfg.timeline = 1;                     /* for trace.json */
  cfg.level = FATHOM_LEVEL_DETAILED;    /* resources per zone; FATHOM_LEVEL overrides */
  cfg.monitor_interval_s = 0.05;        /* a short run: sample often */
  fathom_config_from_env(&cfg);
  if (fathom_session_begin("demo_pipeline", &cfg) != 0) {
    fprintf(stderr, "demo_pipeline: cannot begin a fathom session\n");
    return 1;
  }
  double checksum = pw_run_pipeline(n);
  fathom_profile *p = NULL;
  int rc = fathom_session_end(&p);
  if (rc || !p) {
    fprintf(stderr, "demo_pipeline: ending the session failed: %s\n", fathom_strerror(rc));
    return 1;
  }
  const char *nc = getenv("NO_COLOR");
  fathom_profile_write(p, FATHOM_FORMAT_TEXT, stdout, isatty(1) && !(nc && *nc));
  printf("\npipeline checksum: %.6f over %ld records\n", checksum, n);
  static const struct { const char *file; fathom_format fmt; } outs[] = {
      {"profile.json", FATHOM_FORMAT_JSON},
      {"profile.csv", FATHOM_FORMAT_CSV},
      {"trace.json", FATHOM_FORMAT_CHROME},
      {"report.html", FATHOM_FORMAT_HTML},
      {"profile.folded", FATHOM_FORMAT_FOLDED},
      {"profile.speedscope.json", FATHOM_FORMAT_SPEEDSCOPE},
  };
  int bad = 0;
  for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, outs[i].file);
    int w = fathom_profile_save(p, outs[i].fmt, path);
    if (w) {
      fprintf(stderr, "demo_pipeline: writing %s failed: %s\n", path, fathom_strerror(w));
      bad = 1;
    } else {
      printf("wrote %s\n", path);
    }
  }
  fathom_profile_free(p);
  return bad;
}
