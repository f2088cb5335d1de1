/* view/text_run.c: the text report's sections for sampled profiles (`fathom run`): the hot
 * lines of the functions with the most self time (each line's samples, with the source text
 * when the file can be read), and the processes the program ran.
 *
 * Invariant: like every text section, whole aligned tables or nothing; a source file is read
 * only up to FZ_SRC_MAX bytes and only the lines shown are printed (cleaned of control
 * characters); a file that cannot be read just leaves the source column empty. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/text.h"

#define FZ_HOT_FUNCS 5          /* functions whose lines are shown */
#define FZ_HOT_LINES 8          /* lines shown per function */
#define FZ_HOT_MIN_SHARE 0.01   /* a function below this share of the sampled time: none */
#define FZ_SRC_MAX (16u << 20)  /* bytes of a source file read at most */
#define FZ_SRC_W 72             /* widest source text shown */

/* Line `line` (1-based) of the text in buf (len bytes) into out, or "" when there is none. */
void fz_src_line(const char *buf, size_t len, uint32_t line, char *out, size_t cap) {
  out[0] = 0;
  if (!buf || !line) return;
  const char *s = buf, *end = buf + len;
  for (uint32_t k = 1; k < line && s < end; k++) {
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    if (!nl) return;
    s = nl + 1;
  }
  if (s >= end) return;
  const char *nl = memchr(s, '\n', (size_t)(end - s));
  size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
  while (n && (*s == ' ' || *s == '\t')) s++, n--;    /* the indentation says little here */
  char raw[512];
  if (n >= sizeof raw) n = sizeof raw - 1;
  memcpy(raw, s, n);
  raw[n] = 0;
  fz_clean(out, cap, raw, FZ_SRC_W);
}

/* The whole file (at most FZ_SRC_MAX bytes), or NULL. */
char *fz_src_read(const char *path, size_t *len) {
  *len = 0;
  FILE *f = path && *path ? fopen(path, "rb") : NULL;
  if (!f) return NULL;
  char *buf = malloc(FZ_SRC_MAX);
  if (buf) *len = fread(buf, 1, FZ_SRC_MAX, f);
  fclose(f);
  return buf;
}

typedef struct hot_fn {
  uint32_t zone;
  double self;
} hot_fn;

static int by_self(const void *a, const void *b) {
  const hot_fn *x = a, *y = b;
  return x->self != y->self ? (x->self > y->self ? -1 : 1) : (x->zone > y->zone) - (x->zone < y->zone);
}

/* The lines of one function (p->lines[a .. b), sorted by self time). */
static int fn_lines(const fz_tx *tx, const fathom_profile *p, uint32_t a, uint32_t b) {
  const fathom_zone_info *z = &p->zones[p->lines[a].zone];
  char zn[256], self[64], tot[64];
  fz_clean(zn, sizeof zn, z->name, FZ_NAME_W);
  fz_fmt_dur_est(self, sizeof self, (double)z->stats.self_ns, z->stats.self_se_ns, 1);
  fz_fmt_dur_est(tot, sizeof tot, (double)z->stats.total_ns, z->stats.total_se_ns, 1);
  fz_on(tx, "1");
  fprintf(tx->f, "  %s", zn);
  fz_off(tx);
  fprintf(tx->f, "  (self %s, total %s)\n", self, tot);
  static const char *const head[] = {"  line", "self", "of self", "total", "source"};
  fz_tab t;
  fz_tab_init(&t, head, "lrrrl");
  const char *cur = NULL;
  char *buf = NULL;
  size_t len = 0;
  uint32_t shown = 0;
  for (uint32_t i = a; i < b && shown < FZ_HOT_LINES; i++) {
    const fathom_line_info *l = &p->lines[i];
    if (l->self_ns <= 0 && l->total_ns <= 0) continue;
    if (!cur || strcmp(cur, l->file) != 0) {   /* inlined code may sit in another file */
      free(buf);
      buf = fz_src_read(l->file, &len);
      cur = l->file;
    }
    char where[300], file[256], s[64], sh[32], tt[64], text[FZ_SRC_W * 4 + 8];
    const char *slash = strrchr(l->file, '/');
    fz_clean(file, sizeof file, slash ? slash + 1 : l->file, 40);
    snprintf(where, sizeof where, "  %s:%u", file, l->line);
    fz_fmt_dur_est(s, sizeof s, l->self_ns, l->self_se_ns, 1);
    if (l->self_ns > 0) fz_fmt_share(sh, sizeof sh, l->self_ns, (double)z->stats.self_ns, 1, NULL);
    else snprintf(sh, sizeof sh, "-");
    fz_fmt_dur_est(tt, sizeof tt, l->total_ns, l->total_se_ns, 1);
    fz_src_line(buf, len, l->line, text, sizeof text);
    const char *cells[] = {where, s, sh, tt, text};
    fz_tab_row(&t, cells);
    shown++;
  }
  free(buf);
  int rc = fz_tab_print(tx, &t);
  if (b - a > shown) fz_more(tx, b - a - shown, "lines");
  return rc;
}

uint32_t fz_hot_functions(const fathom_profile *p, uint32_t *out, uint32_t max) {
  if (!p->n_lines || !p->lines || !p->n_zones || !p->zones) return 0;
  double all = 0;
  for (uint32_t z = 0; z < p->n_zones; z++) all += (double)p->zones[z].stats.self_ns;
  hot_fn *h = calloc(p->n_zones, sizeof *h);
  if (!h) return 0;
  uint32_t nh = 0;
  for (uint32_t i = 0; i < p->n_lines; i++) {   /* functions with lines, each once */
    uint32_t z = p->lines[i].zone;
    if (z >= p->n_zones || (i && p->lines[i - 1].zone == z)) continue;
    double s = (double)p->zones[z].stats.self_ns;
    if (all > 0 && s > 0 && s >= FZ_HOT_MIN_SHARE * all) h[nh++] = (hot_fn){z, s};
  }
  qsort(h, nh, sizeof *h, by_self);
  uint32_t n = nh < max ? nh : max;
  for (uint32_t k = 0; k < n; k++) out[k] = h[k].zone;
  free(h);
  return n;
}

int fz_text_lines(const fz_tx *tx, const fathom_profile *p) {
  uint32_t hot[FZ_HOT_FUNCS];
  uint32_t nh = fz_hot_functions(p, hot, FZ_HOT_FUNCS);
  if (!nh) return 0;
  fz_section(tx, "Hot lines");
  fz_on(tx, "2");
  fprintf(tx->f, "  The functions with the most self time, line by line. self: the samples taken "
                 "at the line;\n  total: those with the line on the stack (its calls "
                 "included).\n");
  fz_off(tx);
  int rc = 0;
  for (uint32_t k = 0; k < nh && !rc; k++) {
    uint32_t a = 0;
    while (a < p->n_lines && p->lines[a].zone != hot[k]) a++;
    uint32_t b = a;
    while (b < p->n_lines && p->lines[b].zone == hot[k]) b++;
    rc = fn_lines(tx, p, a, b);
  }
  return rc;
}

/* ---- the processes ---- */

static void fig(char *b, size_t cap, double v, int bytes) {
  if (isnan(v)) snprintf(b, cap, "?");
  else if (bytes) fz_fmt_bytes(b, cap, v);
  else fz_fmt_count(b, cap, (uint64_t)llround(v));
}

int fz_text_processes(const fz_tx *tx, const fathom_profile *p) {
  if (!p->n_processes || !p->processes) return 0;
  fz_section(tx, "Processes");
  static const char *const head[] = {"pid", "parent", "command", "ended", "CPU (sampled)",
                                     "user+sys", "peak RSS", "read", "written", "ctx sw",
                                     "faults"};
  fz_tab t;
  fz_tab_init(&t, head, "rrllrrrrrrr");
  int stale = 0;
  for (uint32_t i = 0; i < p->n_processes && i < FZ_MAX_ROWS; i++) {
    const fathom_process_info *q = &p->processes[i];
    char pid[32], pp[32], cmd[256], st[48], cpu[64], us[64], rss[32], rd[32], wr[32], cs[32],
        pf[32];
    snprintf(pid, sizeof pid, "%lld", (long long)q->pid);
    if (q->ppid < 0) snprintf(pp, sizeof pp, "-");
    else snprintf(pp, sizeof pp, "%lld", (long long)q->ppid);
    fz_clean(cmd, sizeof cmd, q->command, 48);
    if (!q->ended) snprintf(st, sizeof st, "running");
    else if (!q->status_known) snprintf(st, sizeof st, "exited");
    else if (q->signal) snprintf(st, sizeof st, "signal %d", q->signal);
    else snprintf(st, sizeof st, "status %d", q->exit_code);
    fz_fmt_dur_est(cpu, sizeof cpu, q->cpu_ns, q->cpu_se_ns, 1);
    if (isnan(q->user_ns) || isnan(q->sys_ns)) snprintf(us, sizeof us, "?");
    else fz_fmt_dur(us, sizeof us, q->user_ns + q->sys_ns);
    fig(rss, sizeof rss, q->rss_peak_bytes, 1);
    fig(rd, sizeof rd, q->read_bytes, 1);
    fig(wr, sizeof wr, q->write_bytes, 1);
    fig(cs, sizeof cs, q->ctx_voluntary + q->ctx_involuntary, 0);
    fig(pf, sizeof pf, q->minor_faults + q->major_faults, 0);
    if (q->res_age_ns > 0 && !isnan(q->user_ns)) {
      stale = 1;
      size_t l = strlen(us);
      if (l + 2 < sizeof us) memcpy(us + l, " *", 3);
    }
    const char *cells[] = {pid, pp, cmd, st, cpu, us, rss, rd, wr, cs, pf};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  if (p->n_processes > FZ_MAX_ROWS) fz_more(tx, p->n_processes - FZ_MAX_ROWS, "processes");
  fz_on(tx, "2");
  fprintf(tx->f, "  CPU (sampled): the samples of its threads (an estimate); user+sys, peak RSS, "
                 "I/O, context switches\n  and page faults: the kernel's figures%s; ?: never "
                 "read (it ended between two reads)\n",
          stale ? " (*: as last read, up to one reading interval before it ended)" : "");
  fz_off(tx);
  return rc;
}
