/* diff_html.c: the HTML view of `fathom diff`: one self-contained page (inline CSS and a few
 * lines of inline script, no network), with the verdict, notes, summary, a sortable zone
 * table (regressions red, improvements green), zones added and gone, and call paths.
 *
 * Invariant: every string from a profile is HTML-escaped, every sortable cell carries its raw
 * value in data-v, and the page reads well with scripts off (the table is already sorted). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "diff.h"
#include "view/text.h"

void diff_html_esc(FILE *f, const char *s) {
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    switch (*p) {
      case '&': fputs("&amp;", f); break;
      case '<': fputs("&lt;", f); break;
      case '>': fputs("&gt;", f); break;
      case '"': fputs("&quot;", f); break;
      case '\'': fputs("&#39;", f); break;
      default: fputc(*p < 0x20 || *p == 0x7F ? '?' : *p, f);
    }
  }
}

static const char css[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;background:#fff}"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}"
    ".meta{color:#555}.verdict{font-weight:600;padding:8px 12px;border-radius:4px;"
    "background:#eef;margin:12px 0}.verdict.bad{background:#fdd;color:#900}"
    ".verdict.good{background:#dfd;color:#060}.note{color:#8a5a00}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
    "th,td{padding:3px 8px;border-bottom:1px solid #e4e4e4;text-align:right;white-space:nowrap}"
    "th{background:#f4f4f4;cursor:pointer;user-select:none;position:sticky;top:0}"
    "th.l,td.l{text-align:left}td.worse{color:#b00;font-weight:600}"
    "td.better{color:#070;font-weight:600}td.changed{color:#8a5a00;font-weight:600}tr.worse td.l:first-child{border-left:3px solid #b00}"
    "tr.better td.l:first-child{border-left:3px solid #070}.dim{color:#888}"
    "td.noise{color:#777}td.unknown{color:#8a5a00;font-style:italic}"
    "th.asc::after{content:' \\25B2'}th.desc::after{content:' \\25BC'}";

/* Click a header to sort by it (numbers by data-v, text otherwise); again to reverse. */
static const char js[] =
    "document.querySelectorAll('table.sortable').forEach(function(t){"
    "t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){"
    "var d=th.classList.contains('desc')?1:-1;t.querySelectorAll('th').forEach(function(h){"
    "h.classList.remove('asc','desc')});th.classList.add(d>0?'asc':'desc');"
    "var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);rows.sort(function(x,y){"
    "var a=x.cells[i],c=y.cells[i],u=a.getAttribute('data-v'),v=c.getAttribute('data-v');"
    "if(u!==null&&v!==null){u=parseFloat(u);v=parseFloat(v);"
    "if(isNaN(u))u=-Infinity;if(isNaN(v))v=-Infinity;return d*(u-v)}"
    "return d*a.textContent.localeCompare(c.textContent)});"
    "rows.forEach(function(r){b.appendChild(r)})})})});";

void diff_html_num(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, "%.17g", v);
  else fputs(isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity", f);
}

static void fig(char *b, size_t cap, double v, int kind) {
  if (kind == 'd') fz_fmt_dur(b, cap, v);
  else if (kind == 'b') fz_fmt_bytes(b, cap, v);
  else fz_fmt_num(b, cap, v);
}

/* A cell showing "base → new" (sorted by new). */
static void td_pair(FILE *f, const dm *m, int kind) {
  char x[40], y[40];
  fputs("<td data-v=\"", f);
  diff_html_num(f, m->b);
  fputs("\">", f);
  fig(x, sizeof x, m->a, kind);
  fig(y, sizeof y, m->b, kind);
  if (m->judge == DJ_SAME) fputs(x, f);
  else fprintf(f, "%s &rarr; %s", x, y);
  fputs("</td>", f);
}

const char *diff_html_cls(const dm *m, int neutral) {
  return m->judge != DJ_BEYOND ? "" : neutral ? " class=\"changed\""
         : m->b > m->a ? " class=\"worse\"" : " class=\"better\"";
}

/* A cell with the change in percent, coloured when beyond noise (larger is worse). */
static void td_pct_as(FILE *f, const dm *m, int neutral) {
  double p = dm_pct(m);
  fprintf(f, "<td%s data-v=\"", diff_html_cls(m, neutral));
  diff_html_num(f, p);
  fprintf(f, "\" title=\"%s\">", dj_name(m->judge));
  if (m->judge == DJ_NA) fputs("&ndash;", f);
  else if (m->judge == DJ_SAME) fputs("<span class=\"dim\">=</span>", f);
  else if (isnan(p)) fputs("new", f);
  else fprintf(f, "%+.1f%%%s", p, m->judge == DJ_BEYOND ? "" : m->judge == DJ_UNKNOWN ? " ?" : "");
  fputs("</td>", f);
}

static void td_pct(FILE *f, const dm *m) { td_pct_as(f, m, 0); }

/* A cell with the change of a count as a count ("+21,699,999"), sorted by it. */
static void td_count_delta(FILE *f, const dm *m) {
  double d = m->b - m->a;
  char x[40];
  fprintf(f, "<td%s data-v=\"", m->judge == DJ_BEYOND ? " class=\"changed\"" : "");
  diff_html_num(f, d);
  fprintf(f, "\" title=\"%s\">", dj_name(m->judge));
  if (m->judge == DJ_NA) fputs("&ndash;", f);
  else if (m->judge == DJ_SAME) fputs("<span class=\"dim\">=</span>", f);
  else {
    fz_fmt_num(x, sizeof x, fabs(d));
    fprintf(f, "%s%s", d < 0 ? "&minus;" : "+", x);
  }
  fputs("</td>", f);
}

/* A cell with the calls timed on each side ("all" when every call was). */
static void td_timed(FILE *f, const diff_row *w) {
  char x[32], y[32];
  diff_timed_cell(x, sizeof x, w->timed_a, w->m[DM_CALLS].a);
  diff_timed_cell(y, sizeof y, w->timed_b, w->m[DM_CALLS].b);
  fputs("<td data-v=\"", f);
  diff_html_num(f, (double)w->timed_b);
  fputs("\">", f);
  if (strcmp(x, y) == 0) fputs(x, f);
  else fprintf(f, "%s &rarr; %s", x, y);
  fputs("</td>", f);
}

static const char *row_cls(const diff_row *w) {
  return w->change == DCH_WORSE ? " class=\"worse\"" : w->change == DCH_BETTER ? " class=\"better\"" : "";
}

static void zone_rows(FILE *f, const diff_result *r) {
  fputs("<table class=\"sortable\" id=\"zones\"><thead><tr><th class=\"l\">zone</th>"
        "<th class=\"l\">component</th><th>calls</th><th>&Delta; calls</th>"
        "<th title=\"calls whose duration was measured\">timed</th><th>total</th>"
        "<th>&Delta; total</th><th>mean</th><th>&Delta; mean</th><th>&Delta; p50</th>"
        "<th>&Delta; p99</th><th>alloc bytes</th><th>&Delta; alloc</th><th class=\"l\">"
        "verdict</th></tr></thead><tbody>\n", f);
  for (uint32_t i = 0; i < r->n_zshown; i++) {
    const diff_row *w = &r->zones[r->zord[i]];
    fprintf(f, "<tr%s><td class=\"l\">", row_cls(w));
    diff_html_esc(f, diff_row_name(r, w));
    fputs("</td><td class=\"l\">", f);
    diff_html_esc(f, diff_row_comp(r, w));
    fputs("</td>", f);
    td_pair(f, &w->m[DM_CALLS], 'n');
    td_count_delta(f, &w->m[DM_CALLS]);   /* more calls is neither better nor worse */
    td_timed(f, w);
    td_pair(f, &w->m[DM_TOTAL], 'd');
    td_pct(f, &w->m[DM_TOTAL]);
    td_pair(f, &w->m[DM_MEAN], 'd');
    td_pct(f, &w->m[DM_MEAN]);
    td_pct(f, &w->m[DM_P50]);
    td_pct(f, &w->m[DM_P99]);
    td_pair(f, &w->m[DM_ALLOC_BYTES], 'b');
    td_pct(f, &w->m[DM_ALLOC_BYTES]);
    fprintf(f, "<td class=\"l\">%s</td></tr>\n",
            w->gated ? "FAIL" : w->change == DCH_WORSE ? "slower"
                              : w->change == DCH_BETTER ? "faster" : "");
  }
  fputs("</tbody></table>\n", f);
}

static void path_rows(FILE *f, const diff_result *r) {
  fputs("<h2>Call paths</h2><table class=\"sortable\" id=\"paths\"><thead><tr>"
        "<th class=\"l\">call path</th><th>calls</th><th>total</th><th>&Delta; total</th>"
        "<th>mean</th><th>&Delta; mean</th><th>&Delta; p99</th></tr></thead><tbody>\n", f);
  for (uint32_t i = 0; i < r->n_pshown; i++) {
    const diff_row *w = &r->paths[r->pord[i]];
    char path[2048];
    diff_path_string(r, w, path, sizeof path);
    fprintf(f, "<tr%s><td class=\"l\">", row_cls(w));
    diff_html_esc(f, path);
    fputs("</td>", f);
    td_pair(f, &w->m[DM_CALLS], 'n');
    td_pair(f, &w->m[DM_TOTAL], 'd');
    td_pct(f, &w->m[DM_TOTAL]);
    td_pair(f, &w->m[DM_MEAN], 'd');
    td_pct(f, &w->m[DM_MEAN]);
    td_pct(f, &w->m[DM_P99]);
    fputs("</tr>\n", f);
  }
  fputs("</tbody></table>\n", f);
}

static void lone(FILE *f, const diff_result *r, drow_status st) {
  uint32_t n = st == DROW_ADDED ? r->n_added : r->n_gone, shown = 0;
  if (!n) return;
  fprintf(f, "<h2>Zones %s (%u)</h2><ul id=\"%s\">\n", st == DROW_ADDED ? "added" : "gone", n,
          st == DROW_ADDED ? "added" : "gone");
  for (uint32_t i = 0; i < r->n_zones && (!r->opt.top || shown < r->opt.top); i++) {
    const diff_row *w = &r->zones[i];
    if (w->status != st) continue;
    shown++;
    char calls[32], tot[32];
    fz_fmt_num(calls, sizeof calls, st == DROW_ADDED ? w->m[DM_CALLS].b : w->m[DM_CALLS].a);
    fz_fmt_dur(tot, sizeof tot, st == DROW_ADDED ? w->m[DM_TOTAL].b : w->m[DM_TOTAL].a);
    fputs("<li>", f);
    diff_html_esc(f, diff_row_name(r, w));
    fputs(" <span class=\"dim\">(", f);
    diff_html_esc(f, diff_row_comp(r, w));
    fprintf(f, ")</span>: %s calls, %s total</li>\n", calls, tot);
  }
  if (shown < n) fprintf(f, "<li class=\"dim\">&hellip; %u more</li>\n", n - shown);
  fputs("</ul>\n", f);
}

static void summary(FILE *f, const diff_result *r) {
  const dm *m[4] = {&r->wall, &r->zone_time, &r->cpu, &r->run_cpu};
  static const char *const label[4] = {"wall time", "total zone time", "CPU time",
                                       "sampled CPU time"};
  fputs("<h2>Summary</h2><table id=\"summary\"><thead><tr><th class=\"l\"></th><th>base</th>"
        "<th>new</th><th>change</th></tr></thead><tbody>\n", f);
  for (int i = 0; i < (r->run_judged ? 4 : 3); i++) {   /* the sampled one where judged */
    char a[40], b[40];
    fz_fmt_dur(a, sizeof a, m[i]->a);
    fz_fmt_dur(b, sizeof b, m[i]->b);
    double p = dm_pct(m[i]);
    const char *cls = m[i]->judge != DJ_BEYOND ? "" : m[i]->b > m[i]->a ? " class=\"worse\""
                                                                        : " class=\"better\"";
    fprintf(f, "<tr><td class=\"l\">%s</td><td>%s</td><td>%s</td><td%s>", label[i], a, b,
            cls);
    if (isfinite(p)) fprintf(f, "%+.1f%%", p);
    else fputs("&ndash;", f);
    fputs("</td></tr>\n", f);
  }
  char run[DIFF_NOTE_LEN];
  diff_run_line(r, run, sizeof run);
  fputs("</tbody></table>", f);
  if (*run) {
    fputs("<p id=\"run-cpu\">", f);
    diff_html_esc(f, run);
    fputs("</p>", f);
  }
  fprintf(f, "<p>%u zones compared: %u slower, %u faster, %u unchanged beyond "
          "noise, %u below --min-share; %u added, %u gone; %u not shown.</p>\n",
          r->n_worse + r->n_better + r->n_unchanged + r->n_small, r->n_worse, r->n_better,
          r->n_unchanged, r->n_small, r->n_added, r->n_gone, r->n_zhidden);
}

/* The top list (the order the verdict names them in): gate metric, own time, total, calls. */
static void top_html(FILE *f, const diff_result *r, const uint32_t *top, uint32_t n,
                     const char *title, const char *cls) {
  if (!n) return;
  fprintf(f, "<h2>%s</h2><ol id=\"%s\">\n", title, cls);
  for (uint32_t i = 0; i < n; i++) {
    const diff_row *w = &r->zones[top[i]];
    const dm *m = &w->m[r->cpu_ok ? DM_CPU : r->opt.fail_metric];
    char x[40], y[40], own[40], tot[40];
    fig(x, sizeof x, m->a, 'd');
    fig(y, sizeof y, m->b, 'd');
    fz_fmt_dur(own, sizeof own, fabs(w->impact_ns));
    fz_fmt_dur(tot, sizeof tot, fabs(w->m[DM_TOTAL].b - w->m[DM_TOTAL].a));
    fputs("<li><b>", f);
    diff_html_esc(f, diff_row_name(r, w));
    char pc[48] = "new";
    if (isfinite(w->gate_pct))
      snprintf(pc, sizeof pc, "%+.1f%%%s", w->gate_pct, r->cpu_ok ? " per call" : "");
    fprintf(f, "</b> %s%s &rarr; %s (%s), own time %s%s, total %s%s",
            r->cpu_ok ? "own CPU " : "", x, y, pc,
            w->impact_ns < 0 ? "&minus;" : "+", own,
            w->m[DM_TOTAL].b < w->m[DM_TOTAL].a ? "&minus;" : "+", tot);
    if (w->m[DM_CALLS].judge == DJ_BEYOND) {
      fig(x, sizeof x, w->m[DM_CALLS].a, 'n');
      fig(y, sizeof y, w->m[DM_CALLS].b, 'n');
      fprintf(f, ", calls %s &rarr; %s", x, y);
    }
    fputs(w->gated ? " <b>FAIL</b></li>\n" : "</li>\n", f);
  }
  fputs("</ol>\n", f);
}

void diff_html_begin(FILE *f, const char *cmd, const char *title) {
  fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
          "<title>%s: ", cmd);
  diff_html_esc(f, title);
  fprintf(f, "</title><style>%s</style></head><body>\n<h1>%s</h1>\n", css, cmd);
}

void diff_html_end(FILE *f) { fprintf(f, "<script>%s</script>\n</body></html>\n", js); }

void diff_html_verdict(FILE *f, const diff_result *r, const char *id) {
  int bad = diff_failed(r) || !strcmp(r->status, "regressed") || !strcmp(r->status, "mixed");
  fprintf(f, "<div class=\"verdict%s\" id=\"%s\">", bad ? " bad"
          : !strcmp(r->status, "improved") ? " good" : "", id);
  diff_html_esc(f, r->verdict);
  fputs("</div>\n", f);
}

int diff_write_html(const diff_result *r, FILE *f) {
  errno = 0;
  char title[1024];
  snprintf(title, sizeof title, "%s \xe2\x86\x92 %s", r->a.file, r->b.file);
  diff_html_begin(f, "fathom diff", title);
  const diff_side *s[2] = {&r->a, &r->b};
  for (int i = 0; i < 2; i++) {
    const fathom_meta *m = &s[i]->p->meta;
    fprintf(f, "<div class=\"meta\"><b>%s</b> ", i ? "new" : "base");
    diff_html_esc(f, s[i]->file);
    fputs(": session &ldquo;", f);
    diff_html_esc(f, m->session_name);
    fprintf(f, "&rdquo;, level %s, clock ", fathom_level_name(m->level));
    diff_html_esc(f, m->clock_source ? m->clock_source : "unknown");
    if (s[i]->n_timed < m->n_zones)
      fprintf(f, ", %llu zone calls of which %llu timed (a sample)",
              (unsigned long long)m->n_zones, (unsigned long long)s[i]->n_timed);
    fputs("</div>\n", f);
  }
  diff_html_verdict(f, r, "verdict");
  for (uint32_t i = 0; i < r->n_notes; i++) {
    fputs("<p class=\"note\">&#9888; ", f);
    diff_html_esc(f, r->notes[i]);
    fputs("</p>\n", f);
  }
  summary(f, r);
  top_html(f, r, r->top_worse, r->n_top_worse, "Top regressions", "worse");
  top_html(f, r, r->top_better, r->n_top_better, "Top improvements", "better");
  fprintf(f, "<h2>Zones (%u of %u compared shown)</h2>\n<p class=\"dim\">Coloured: beyond noise"
          " (red slower, green faster); &ldquo;?&rdquo;: cannot judge (one timed call, or no "
          "recorded spread). "
          "Click a column to sort.</p>\n", r->n_zshown, r->n_zshown + r->n_zhidden);
  zone_rows(f, r);
  lone(f, r, DROW_ADDED);
  lone(f, r, DROW_GONE);
  if (r->opt.paths) path_rows(f, r);
  diff_html_end(f);
  return ferror(f) ? FATHOM_E_IO : 0;
}
