/* view/html.c: the HTML report: one self-contained page (no network access at all: a
 * Content-Security-Policy forbids every fetch) holding the profile as a JSON data block and
 * the script that renders it: summary, findings, SLAs, throughput, a sortable zone table,
 * an interactive flame graph, the timeline, resource charts, notes and metadata.
 *
 * Invariant: the page's structure is fixed here; model text enters it only escaped (see
 * view/html.h), and the assets (the .js and .css files of src/view/html, embedded at build
 * time) never contain "</script" or "</style" (tests/test_html.sh checks), so nothing can
 * end an element early. The writer makes one pass with buffered stdio and no per-node allocation.
 *
 * Page layout and the data block's fields: docs/html.md. */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "view/html.h"
#include "fz_html_assets.h"
#include "util/jsonw.h"
#include "view/view.h"

/* ---- escaping ---------------------------------------------------------------------- */

void fz_hj_str(FILE *f, const char *str) { fz_json_write_str(f, str, FZ_JSTR_HTML); }

void fz_hj_u64(FILE *f, uint64_t v) { fz_json_write_u64(f, v); }

void fz_hj_num(FILE *f, double v) {
  if (!isfinite(v)) {
    fputs("null", f);
    return;
  }
  if (v == floor(v) && fabs(v) < 9e15) {   /* integral: exact and short */
    if (v < 0) fputc('-', f);
    fz_hj_u64(f, (uint64_t)fabs(v));
    return;
  }
  char b[40];
  snprintf(b, sizeof b, "%.7g", v);
  fputs(b, f);
}

void fz_hj_idx(FILE *f, uint32_t v, uint32_t limit) {
  if (v == FATHOM_NONE || v >= limit) fputs("-1", f);
  else fz_hj_u64(f, v);
}

void fz_html_text(FILE *f, const char *str) {
  const unsigned char *s = (const unsigned char *)(str ? str : "");
  while (*s) {
    size_t k = fz_utf8_seq_len(s);
    switch (*s) {
      case '&': fputs("&amp;", f); break;
      case '<': fputs("&lt;", f); break;
      case '>': fputs("&gt;", f); break;
      case '"': fputs("&quot;", f); break;
      case '\'': fputs("&#39;", f); break;
      default:
        if (k == 0) fputs("\xEF\xBF\xBD", f);
        else if (*s < 0x20) fputc(' ', f);
        else fwrite(s, 1, k, f);
    }
    s += k ? k : 1;
  }
}

/* ---- the page ---------------------------------------------------------------------- */

/* Records errors into the page (data-errors on <html>) before anything else runs, so a
 * headless browser's DOM dump shows them; the render script marks data-rendered="1". */
static const char fz_html_errhook[] =
    "(function(){var errs=[];function note(m){errs.push(String(m));"
    "document.documentElement.setAttribute('data-errors',errs.join(' | '));}"
    "window.addEventListener('error',function(e){note(e.message+' @'+e.lineno+':'+e.colno);});"
    "window.addEventListener('unhandledrejection',function(e){note(e.reason);});"
    "var ce=console.error;console.error=function(){note([].join.call(arguments,' '));"
    "return ce.apply(console,arguments);};})();";

/* The scripts, concatenated in this order into one strict-mode function. */
static const char *const fz_html_js[] = {fz_html_fmt_js, fz_html_charts_js, fz_html_flame_js,
                                         fz_html_timeline_js, fz_html_report_js};

static void page_head(const fathom_profile *p, FILE *f) {
  const char *name = p->meta.session_name && *p->meta.session_name ? p->meta.session_name
                                                                     : "profile";
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        "<meta name=\"generator\" content=\"fathom " FATHOM_VERSION_STRING "\">\n<title>",
        f);
  fz_html_text(f, name);
  fputs(" \xC2\xB7 fathom report</title>\n<style>\n", f);
  fputs(fz_html_report_css, f);
  fputs("</style>\n<script>", f);
  fputs(fz_html_errhook, f);
  fputs("</script>\n</head>\n<body>\n<header id=\"top\"><h1>", f);
  fz_html_text(f, name);
  fputs("</h1><p class=\"sub\">fathom profile report</p></header>\n"
        "<main id=\"app\"><noscript><p>This report is drawn by JavaScript; enable it to see "
        "the profile.</p></noscript></main>\n", f);
}

static int page_data(const fathom_profile *p, FILE *f) {
  fputs("<script type=\"application/json\" id=\"fathom-data\">", f);
  int rc = fz_html_data(p, f);
  fputs("</script>\n", f);
  return rc;
}

static void page_script(FILE *f) {
  fputs("<script>\n(function () {\n'use strict';\n", f);
  for (size_t i = 0; i < sizeof fz_html_js / sizeof fz_html_js[0]; i++) fputs(fz_html_js[i], f);
  fputs("\n})();\n</script>\n</body>\n</html>\n", f);
}

static int write_html_c(const fathom_profile *p, FILE *f) {
  page_head(p, f);
  int rc = page_data(p, f);
  if (rc) return rc;
  page_script(f);
  return ferror(f) ? FATHOM_E_IO : 0;
}

int fz_write_html(const fathom_profile *p, FILE *f, int color) {
  if (!p || !f) return FATHOM_E_INVAL;
  /* numbers must read "0.5" whatever LC_NUMERIC the host program set */
  locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  locale_t prev = c ? uselocale(c) : (locale_t)0;
  int rc = write_html_c(p, f);
  if (c) {
    uselocale(prev);
    freelocale(c);
  }
  return rc;
}
