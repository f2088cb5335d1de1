/* growth_events.c: which growth strategy buys the most accuracy for its time? A toy model
 * "grows" by one of three strategies; each growth step is an outcome event with its cost
 * (timed by fathom) and its outcomes (accuracy gained, parameters added). The strategies
 * differ in how much work a step does and what it gains. The session's text report ranks
 * them by accuracy gained (and parameters added) per second of their time, most efficient
 * first.
 *
 *   growth_events [OUT.json]     the session's profile as JSON too (its outcome_events) */
#include <fathom.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static volatile double sink;

/* A growth step: work proportional to cost, a gain that shrinks as the model grows. */
static double grow(int cost, double base, int step, unsigned *rng) {
  double acc = 0;
  for (int i = 0; i < cost * 20000; i++) acc += sqrt((double)i + step);
  sink = acc;
  *rng = *rng * 1103515245u + 12345u;
  double noise = 0.8 + 0.4 * ((*rng >> 16) % 1000) / 1000.0;
  return base * noise / (1 + 0.05 * step);
}

int main(int argc, char **argv) {
  static const struct { const char *name; int cost; double gain; int params; } s[] = {
      {"add_layer", 40, 0.020, 4096}, {"widen", 10, 0.008, 1024}, {"random_prune", 5, 0.001, -256}};
  fathom_session_begin("growth", NULL);
  unsigned rng = 42;
  for (int step = 0; step < 24; step++) {
    int k = step % 3;
    fathom_outcome_timer t = fathom_outcome_begin();
    double g = grow(s[k].cost, s[k].gain, step, &rng);
    fathom_outcome o[2] = {{"accuracy_gain", g}, {"params_added", s[k].params}};
    fathom_outcome_desc d = {"growth", s[k].name, "step", NULL, 0, NAN, 2, o};
    if (fathom_outcome_end(t, &d) != 0) {
      fprintf(stderr, "growth_events: could not record step %d\n", step);
      return 1;
    }
  }
  fathom_profile *p = NULL;
  fathom_session_end(&p);
  if (!p) return 1;
  fathom_profile_write(p, FATHOM_FORMAT_TEXT, stdout, 0);
  int bad = argc > 1 && fathom_profile_save(p, FATHOM_FORMAT_JSON, argv[1]);
  if (bad) fprintf(stderr, "growth_events: cannot write %s\n", argv[1]);
  fathom_profile_free(p);
  return bad;
}
