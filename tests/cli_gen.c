/* cli_gen.c: writes a small real profile to argv[1] for tests/test_cli.sh, using only the
 * public API (sessions, scoped zones, a named zone, counters and a size).
 * Invariant: exits 0 only if the session ended cleanly and the file was written; it never
 * reads FATHOM_* variables, so the test's environment cannot change what it records. */
#include <stdio.h>

#include "fathom.h"

static volatile double sink;

static void spin(int n) {
  for (int i = 0; i < n; i++) sink += (double)i * 0.5;
}

static void load_batch(int i) {
  FATHOM_ZONE("load_batch", "data");
  spin(20000 + 1000 * i);
  FATHOM_RECORD_SIZE("batch_bytes", (uint64_t)(4096 + 512 * i));
}

static void train_step(int i) {
  FATHOM_ZONE("train_step", "training");
  {
    FATHOM_ZONE("forward", "training");
    spin(40000);
  }
  {
    FATHOM_ZONE("backward", "training");
    spin(60000 + 2000 * i);
  }
  FATHOM_COUNTER_ADD("steps", 1);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: cli_gen OUT.json\n");
    return 2;
  }
  fathom_config cfg;
  fathom_config_init(&cfg);
  cfg.timeline = 1;   /* so the chrome view has events */
  cfg.out_path = argv[1];
  int rc = fathom_session_begin("cli_gen", &cfg);
  if (rc) {
    fprintf(stderr, "cli_gen: session_begin: %s\n", fathom_strerror(rc));
    return 1;
  }
  for (int i = 0; i < 8; i++) {
    FATHOM_ZONE("epoch", "training");
    load_batch(i);
    train_step(i);
  }
  fathom_zone z = fathom_zone_begin("evaluate", "eval");
  spin(30000);
  fathom_gauge_set("accuracy", 0.875);
  fathom_zone_end(z);
  rc = fathom_session_end(NULL);
  if (rc) {
    fprintf(stderr, "cli_gen: session_end: %s\n", fathom_strerror(rc));
    return 1;
  }
  FILE *f = fopen(argv[1], "r");
  if (!f) {
    fprintf(stderr, "cli_gen: %s was not written\n", argv[1]);
    return 1;
  }
  fclose(f);
  return 0;
}
