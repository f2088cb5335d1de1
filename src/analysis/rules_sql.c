/* rules_sql.c: the slow_query rule: a database statement (the profile's "queries") that holds
 * a share of the session's time, with advice resting on its own figures: full-scan steps on a
 * statement with a WHERE clause (an index on the columns its WHERE compares, read from its
 * text: "likely"), sorts on one with ORDER BY (an index in that order), automatic indexes
 * (make the index SQLite builds on every run permanent), many runs (prepare once, batch in a
 * transaction or fetch in one statement).
 *
 * Invariant: reads only the model; the columns are read from the normalised text with a
 * small scanner (best effort: identifiers next to a comparison), never more than
 * SQL_COLS of them, and only plain names are written into suggested SQL. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/analysis.h"
#include "util/fmt.h"

#define SQL_COLS 4           /* columns named in an index suggestion */
#define SQL_MANY_RUNS 100    /* runs from which "prepare once / batch" is advised */
#define SQL_NAME 48          /* longest identifier kept */

typedef struct stok {
  char s[SQL_NAME];
  int word;        /* identifier or keyword (quoted identifiers unquoted) */
  int depth;       /* parentheses around it */
} stok;

#define SQL_TOKS 256   /* tokens read of a statement (the clauses past them are not) */

/* Splits the normalised text into tokens (at most SQL_TOKS). */
static uint32_t lex(const char *p, stok *t) {
  uint32_t n = 0;
  int depth = 0;
  while (*p && n < SQL_TOKS) {
    if (isspace((unsigned char)*p)) {
      p++;
      continue;
    }
    stok *k = &t[n];
    memset(k, 0, sizeof *k);
    size_t l = 0;
    if (isalpha((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) {
      k->word = 1;
      while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '$' ||
                    (unsigned char)*p >= 0x80)) {
        if (l + 1 < SQL_NAME) k->s[l++] = *p;
        p++;
      }
    } else if (*p == '"' || *p == '`' || *p == '[') {
      char q = *p == '[' ? ']' : *p;
      k->word = 1;
      for (p++; *p && *p != q; p++)
        if (l + 1 < SQL_NAME) k->s[l++] = *p;
      if (*p) p++;
    } else {
      static const char *const ops[] = {"<=", ">=", "<>", "!=", "=="};
      size_t w = 1;
      for (size_t o = 0; o < sizeof ops / sizeof *ops; o++)
        if (strncmp(p, ops[o], 2) == 0) w = 2;
      memcpy(k->s, p, w);
      l = w;
      if (*p == ')') depth--;
      p += w;
    }
    k->s[l] = 0;
    k->depth = depth;
    if (!k->word && k->s[0] == '(') depth++;
    n++;
  }
  return n;
}

static int kw(const stok *t, const char *w) { return t->word && strcasecmp(t->s, w) == 0; }

static int is_cmp(const stok *t) {
  static const char *const ops[] = {"=", "==", "<", ">", "<=", ">=", "!=", "<>"};
  static const char *const words[] = {"IS", "IN", "LIKE", "GLOB", "BETWEEN", "MATCH", "REGEXP"};
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
    if (!t->word && strcmp(t->s, ops[i]) == 0) return 1;
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (kw(t, words[i])) return 1;
  return 0;
}

/* A column name: an identifier that is no keyword SQL puts next to a comparison. */
static int is_col(const stok *t) {
  static const char *const no[] = {"NOT", "AND", "OR", "NULL", "WHERE", "SELECT", "CASE",
                                   "WHEN", "THEN", "ELSE", "END", "EXISTS", "ESCAPE", "TRUE",
                                   "FALSE", "IS", "IN", "LIKE", "BETWEEN"};
  if (!t->word || !t->s[0]) return 0;
  for (size_t i = 0; i < sizeof no / sizeof *no; i++)
    if (kw(t, no[i])) return 0;
  return 1;
}

static int plain(const char *s) {   /* a name that can go into SQL unquoted */
  if (!*s || isdigit((unsigned char)*s)) return 0;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_') return 0;
  return 1;
}

static void add_col(char cols[][SQL_NAME], uint32_t *n, const char *c) {
  for (uint32_t i = 0; i < *n; i++)
    if (strcasecmp(cols[i], c) == 0) return;
  if (*n < SQL_COLS && plain(c)) snprintf(cols[(*n)++], SQL_NAME, "%s", c);
}

/* The name of the token ending at i: "col" of "t.col" too. */
static const stok *name_at(const stok *t, uint32_t i) { return is_col(&t[i]) ? &t[i] : NULL; }

static int clause_end(const stok *t) {
  return kw(t, "GROUP") || kw(t, "ORDER") || kw(t, "LIMIT") || kw(t, "HAVING") ||
         kw(t, "WINDOW") || kw(t, "RETURNING") || kw(t, "UNION") || kw(t, "EXCEPT") ||
         kw(t, "INTERSECT");
}

typedef struct sql_shape {
  char table[SQL_NAME];
  char where[SQL_COLS][SQL_NAME];
  uint32_t n_where;
  char order[SQL_COLS][SQL_NAME];
  uint32_t n_order;
  int has_where, has_order, write;
} sql_shape;

static void shape_of(const char *text, sql_shape *s) {
  stok t[SQL_TOKS];   /* ~14 KiB of stack */
  memset(s, 0, sizeof *s);
  uint32_t n = lex(text, t);
  if (n && (kw(&t[0], "INSERT") || kw(&t[0], "UPDATE") || kw(&t[0], "DELETE") ||
            kw(&t[0], "REPLACE")))
    s->write = 1;
  for (uint32_t i = 0; i + 1 < n; i++) {   /* the first table named */
    if ((kw(&t[i], "FROM") || kw(&t[i], "UPDATE") || kw(&t[i], "INTO")) && is_col(&t[i + 1])) {
      uint32_t j = i + 1;
      if (j + 2 < n && !strcmp(t[j + 1].s, ".") && is_col(&t[j + 2])) j += 2;   /* schema.t */
      snprintf(s->table, sizeof s->table, "%s", t[j].s);
      break;
    }
  }
  for (uint32_t i = 0; i < n; i++) {
    if (!kw(&t[i], "WHERE") || s->has_where) continue;
    s->has_where = 1;
    int d = t[i].depth;
    for (uint32_t j = i + 1; j < n && t[j].depth >= d; j++) {
      if (t[j].depth == d && clause_end(&t[j])) break;
      if (!is_cmp(&t[j])) continue;
      uint32_t b = j;
      if (b > i + 1 && kw(&t[b - 1], "NOT")) b--;   /* NOT IN, NOT LIKE */
      const stok *c = b > i + 1 ? name_at(t, b - 1) : NULL;
      if (!c && j + 1 < n) {   /* ? = col */
        uint32_t a = j + 1;
        if (a + 2 < n && !strcmp(t[a + 1].s, ".")) a += 2;
        c = name_at(t, a);
        if (c && (a + 1 < n && !strcmp(t[a + 1].s, "("))) c = NULL;   /* a function */
      }
      if (c) add_col(s->where, &s->n_where, c->s);
    }
  }
  for (uint32_t i = 0; i + 1 < n; i++) {
    if (!kw(&t[i], "ORDER") || !kw(&t[i + 1], "BY")) continue;
    s->has_order = 1;
    int d = t[i].depth;
    for (uint32_t j = i + 2; j < n && t[j].depth >= d; j++) {
      if (t[j].depth == d && (kw(&t[j], "LIMIT") || kw(&t[j], "OFFSET"))) break;
      if (kw(&t[j], "ASC") || kw(&t[j], "DESC") || kw(&t[j], "NULLS") ||
          kw(&t[j], "FIRST") || kw(&t[j], "LAST"))
        continue;
      if (kw(&t[j], "COLLATE")) {
        j++;
        continue;
      }
      if (j + 1 < n && !strcmp(t[j + 1].s, ".")) continue;   /* the table of t.col */
      if (is_col(&t[j])) add_col(s->order, &s->n_order, t[j].s);
    }
    break;
  }
}

static void col_list(char *b, size_t cap, char cols[][SQL_NAME], uint32_t n) {
  size_t l = 0;
  b[0] = 0;
  for (uint32_t i = 0; i < n && l < cap; i++)
    l += (size_t)snprintf(b + l, cap - l, "%s%s", i ? ", " : "", cols[i]);
}

static void index_name(char *b, size_t cap, const char *table, char cols[][SQL_NAME],
                       uint32_t n) {
  size_t l = (size_t)snprintf(b, cap, "idx_%s", table);
  for (uint32_t i = 0; i < n && l < cap; i++)
    l += (size_t)snprintf(b + l, cap - l, "_%s", cols[i]);
}

static void one(fz_actx *a, const fathom_query_info *q, double whole) {
  const fathom_thresholds *th = a->t;
  double share = fz_share_pct(q->total_ns, whole);
  if (!q->count || share < th->min_share_pct) return;
  sql_shape s;
  shape_of(q->statement ? q->statement : "", &s);
  int scan = q->sqlite && q->fullscan_steps > 0 && s.has_where;
  int sort = q->sqlite && q->sorts > 0 && s.has_order;
  int autoidx = q->sqlite && q->autoindexes > 0;
  int many = q->count >= SQL_MANY_RUNS;
  if (!scan && !sort && !autoidx && !many && share < th->classify_share_pct) return;
  fathom_severity sev = share >= 50 ? FATHOM_SEV_CRITICAL
                        : scan || sort || autoidx || share >= 25 ? FATHOM_SEV_WARNING
                                                                 : FATHOM_SEV_INFO;
  char path[256];
  fz_clean(path, sizeof path, q->statement ? q->statement : "", 200);
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_SLOW_QUERY, sev, share, FATHOM_NONE,
                                FATHOM_NONE, path);
  if (!f) return;
  char runs[32], mean[32], tot[32], p99[32], stmt[128];
  fz_fmt_count(runs, sizeof runs, q->count);
  fz_fmt_dur(mean, sizeof mean, q->mean_ns);
  fz_fmt_dur(tot, sizeof tot, q->total_ns);
  fz_fmt_dur(p99, sizeof p99, q->p99_ns);
  fz_clean(stmt, sizeof stmt, q->statement ? q->statement : "", 80);
  char scans[64] = "";
  if (q->sqlite) {
    char c[32];
    fz_fmt_count(c, sizeof c, q->fullscan_steps);
    snprintf(scans, sizeof scans, ", %s full-scan steps", c);
  }
  fz_fa_sum(a->fa, f, "statement \"%s\" on %s: %s runs, %s in all (%.1f%% of the time), "
            "%s per run (p99 %s%s)%s", stmt, q->db ? q->db : "?", runs, tot, share, mean,
            q->exact ? "" : "~", p99, scans);
  fz_fa_fig(a->fa, f, "share_pct", share, "%");
  fz_fa_fig(a->fa, f, "count", (double)q->count, "runs");
  fz_fa_fig(a->fa, f, "total_ns", q->total_ns, "ns");
  fz_fa_fig(a->fa, f, "mean_ns", q->mean_ns, "ns");
  fz_fa_fig(a->fa, f, "p99_ns", q->p99_ns, "ns");
  fz_fa_fig(a->fa, f, "rows", (double)q->rows, "rows");
  if (q->sqlite) {
    fz_fa_fig(a->fa, f, "fullscan_steps", (double)q->fullscan_steps, "steps");
    fz_fa_fig(a->fa, f, "sorts", (double)q->sorts, "sorts");
    fz_fa_fig(a->fa, f, "autoindexes", (double)q->autoindexes, "rows");
  }
  char cols[SQL_COLS * (SQL_NAME + 2)], idx[SQL_COLS * (SQL_NAME + 1) + SQL_NAME + 8];
  const char *table = s.table[0] ? s.table : "the table";
  char per_run[32];
  fz_fmt_count(per_run, sizeof per_run,
               (uint64_t)llround((double)q->fullscan_steps / (double)q->count));
  if (scan && s.n_where) {
    col_list(cols, sizeof cols, s.where, s.n_where);
    index_name(idx, sizeof idx, s.table[0] ? s.table : "t", s.where, s.n_where);
    fz_fa_sug(a->fa, f, "It scanned a whole table (%s full-scan steps per run): likely an "
              "index on the columns its WHERE compares, %s(%s): CREATE INDEX %s ON %s(%s); "
              "check with EXPLAIN QUERY PLAN (SEARCH, not SCAN)", per_run, table, cols, idx,
              table, cols);
  } else if (scan) {
    fz_fa_sug(a->fa, f, "It scanned a whole table (%s full-scan steps per run) although it "
              "has a WHERE clause: an index on the columns the WHERE compares would likely "
              "serve it; see EXPLAIN QUERY PLAN", per_run);
  }
  if (sort && s.n_order) {
    col_list(cols, sizeof cols, s.order, s.n_order);
    fz_fa_sug(a->fa, f, "It sorted its rows %s (%.2f sorts per run): likely an index on "
              "%s(%s) in the ORDER BY's order would hand them over sorted",
              s.n_where ? "after filtering" : "on every run", (double)q->sorts / (double)q->count,
              table, cols);
  }
  if (autoidx)
    fz_fa_sug(a->fa, f, "SQLite built an automatic index for it on its runs (%.0f rows per "
              "run): create that index once (EXPLAIN QUERY PLAN shows AUTOMATIC INDEX and its "
              "columns)", (double)q->autoindexes / (double)q->count);
  if (many && s.write)
    fz_fa_sug(a->fa, f, "It ran %s times: prepare it once and rerun it with sqlite3_bind_* "
              "and sqlite3_reset, and put the runs inside one transaction (BEGIN ... COMMIT): "
              "each write outside one commits on its own", runs);
  else if (many)
    fz_fa_sug(a->fa, f, "It ran %s times: prepare it once and rerun it with sqlite3_bind_* "
              "and sqlite3_reset, or fetch what the runs fetch in one statement (IN (...) or "
              "a JOIN) instead of one run per value", runs);
  if (!scan && !sort && !autoidx && !many)
    fz_fa_sug(a->fa, f, "Look at its plan with EXPLAIN QUERY PLAN, and at its slowest runs "
              "(the statements' table) for the values that make it slow");
}

int fz_rule_slow_query(fz_actx *a) {
  const fathom_profile *p = a->p;
  if (!p->queries || !p->n_queries) return 0;
  /* the session's wall time, as the report's statements table (runs are no zones) */
  double whole = p->meta.duration_ns ? (double)p->meta.duration_ns : a->time_ns;
  for (uint32_t i = 0; i < p->n_queries; i++) one(a, &p->queries[i], whole);
  return a->fa->nomem ? FATHOM_E_NOMEM : 0;
}
