/* sink_tracker.c: forwarding fathom's metrics to an experiment tracker through the sink API.
 *
 * A "tracker" here is a W&B-style history file: one flat JSON object per step, keys like
 * "zone/train_step/p99_ms", with "_step" and "_timestamp" (what wandb.log() records). A real
 * integration would call its tracker's client in the callback instead of writing the file.
 *
 *   sink_tracker [HISTORY.jsonl]     (default: tracker-history.jsonl)
 *
 * The sink is called every second (cfg.sink_interval_s) on fathom's background thread and
 * once more at session end; FATHOM_SINK=path.jsonl would add fathom's own JSON-lines stream. */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "fathom.h"

typedef struct tracker {
  FILE *history;
  unsigned steps;
} tracker;

/* Tracker keys are plain: zone names are written as they are, only quotes and backslashes
 * escaped (a real client would do this for us). */
static void key(FILE *f, const char *prefix, const char *name, const char *suffix) {
  fprintf(f, ",\"%s/", prefix);
  for (const char *s = name; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    if ((unsigned char)*s >= 0x20) fputc(*s, f);
  }
  fprintf(f, "%s\":", suffix);
}

static void to_tracker(const fathom_sink_metrics *m, void *user) {
  tracker *t = user;
  FILE *f = t->history;
  fprintf(f, "{\"_step\":%llu,\"_timestamp\":%.3f,\"_final\":%s,\"fathom/zone_calls\":%llu",
          (unsigned long long)m->seq, (double)m->unix_ns / 1e9, m->final ? "true" : "false",
          (unsigned long long)m->zone_calls);
  if (isfinite(m->rss_bytes)) fprintf(f, ",\"fathom/rss_mb\":%.3f", m->rss_bytes / 1048576);
  fprintf(f, ",\"fathom/overhead_pct\":%.4f", m->overhead_pct);
  for (uint32_t i = 0; i < m->n_zones && i < 10; i++) {   /* the top 10 zones by time */
    const fathom_sink_zone *z = &m->zones[i];
    key(f, "zone", z->name, "/calls");
    fprintf(f, "%llu", (unsigned long long)z->calls);
    key(f, "zone", z->name, "/mean_ms");
    fprintf(f, "%.4f", z->mean_s * 1e3);
    key(f, "zone", z->name, "/p99_ms");
    fprintf(f, "%.4f", z->p99_s * 1e3);
  }
  for (uint32_t i = 0; i < m->n_counters; i++) {
    key(f, "counter", m->counters[i].name, "");
    fprintf(f, "%.17g", m->counters[i].value);
  }
  fputs("}\n", f);
  fflush(f);
  t->steps++;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static double train_step(int i) {
  FATHOM_ZONE("train_step", "training");
  double loss = 0;
  {
    FATHOM_ZONE("load_batch", "data");
    sleep_ms(20);
  }
  {
    FATHOM_ZONE("forward_backward", "training");
    for (int k = 1; k < 200000; k++) loss += 1.0 / ((double)k * (i + 1));
  }
  FATHOM_COUNTER_ADD("samples", 32);
  return loss;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "tracker-history.jsonl";
  tracker t = {fopen(path, "w"), 0};
  if (!t.history) {
    perror(path);
    return 1;
  }
  fathom_sink_add(to_tracker, &t);   /* before the session: periodic flushes are ticked */
  fathom_config cfg;
  fathom_config_init(&cfg);
  fathom_config_from_env(&cfg);
  cfg.sink_interval_s = 1.0;
  if (fathom_session_begin("sink_tracker", &cfg) != 0) return 1;
  double loss = 0;
  for (int i = 0; i < 100; i++) {
    loss = train_step(i);
    FATHOM_GAUGE_SET("loss", loss);
  }
  fathom_session_end(NULL);   /* the final flush reaches the tracker too */
  fathom_sink_remove(to_tracker, &t);
  fclose(t.history);
  printf("%u tracker steps written to %s\n", t.steps, path);
  return 0;
}
