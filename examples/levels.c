/* levels.c: a level per component, and a metric family switched off. A toy program has three
 * components: "parse" (the part being tuned: measured in detail, CPU time per call), "render"
 * (timed only: its calls are short and many) and "net" (not recorded at all). The session runs
 * at BASIC; FATHOM_COMPONENT_LEVELS gives each component its level and FATHOM_METRICS=-io
 * switches the thread I/O probe off, so parse's file writes are not measured (shown as not
 * measured, never as 0). Either variable set in the environment wins over the defaults here.
 *
 *   levels [OUT.json]     prints what each zone measured and the text report; the profile
 *                         as JSON too */
#include <fathom.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile double sink;

static void work(int n) {
  double acc = 0;
  for (int i = 0; i < n; i++) acc += (double)i * 0.5;
  sink = acc;
}

/* parse: CPU work, and a small file written (I/O that the switched-off probe does not read) */
static void parse(FILE *scratch, int i) {
  FATHOM_ZONE("parse_record", "parse");
  work(400000);
  fprintf(scratch, "record %d\n", i);
  fflush(scratch);
}

static void render(void) {
  FATHOM_ZONE("render_row", "render");
  work(2000);
}

static void net_send(void) {
  FATHOM_ZONE("net_send", "net");
  work(1000);
}

int main(int argc, char **argv) {
  fathom_config c;
  fathom_config_init(&c);
  c.level = FATHOM_LEVEL_BASIC;
  c.component_levels = "parse=detailed,render=basic,net=off";
  c.metrics = "-io";
  c.monitor = 0;
  if (fathom_config_from_env(&c) != 0) return 2; /* the message is on stderr */
  if (argc > 1) c.out_path = argv[1];
  if (fathom_session_begin("levels", &c) != 0) {
    fprintf(stderr, "levels: the session could not begin\n");
    return 1;
  }
  FILE *scratch = tmpfile();
  if (!scratch) {
    perror("levels: tmpfile");
    return 1;
  }
  for (int i = 0; i < 40; i++) {
    parse(scratch, i);
    for (int k = 0; k < 50; k++) render();
    net_send();
  }
  fclose(scratch);
  fathom_profile *p = NULL;
  int rc = fathom_session_end(&p);
  if (!p) {
    fprintf(stderr, "levels: no profile: %s\n", fathom_strerror(rc));
    return 1;
  }
  for (uint32_t i = 0; i < p->n_zones; i++) {
    const fathom_zone_info *z = &p->zones[i];
    const fathom_res *r = &z->res;
    char cpu[64] = "not measured", io[64] = "not measured";
    if (r->samples && (r->mask >> FATHOM_RES_CPU_NS & 1))
      snprintf(cpu, sizeof cpu, "%.2f ms", r->sum[FATHOM_RES_CPU_NS] / 1e6);
    if (r->samples && (r->mask >> FATHOM_RES_WRITE_BYTES & 1))
      snprintf(io, sizeof io, "%.0f B", r->sum[FATHOM_RES_WRITE_BYTES]);
    printf("%-12s %-7s %5llu calls, %8.2f ms; CPU %s; written %s\n", z->name, z->component,
           (unsigned long long)z->stats.count, z->stats.total_ns / 1e6, cpu, io);
  }
  int net = 0;
  for (uint32_t i = 0; i < p->n_zones; i++) net |= strcmp(p->zones[i].name, "net_send") == 0;
  printf("net_send %s\n", net ? "recorded" : "not recorded (its component is off)");
  putchar('\n');
  fathom_profile_write(p, FATHOM_FORMAT_TEXT, stdout, 0);
  fathom_profile_free(p);
  return rc ? 1 : 0;
}
