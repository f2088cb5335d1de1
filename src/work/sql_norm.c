/* sql_norm.c: the normal form of a SQL statement, so that the runs of one statement with
 * different values count as one: numbers, 'strings' and X'blobs' become ?, numbered
 * parameters ?NNN become ? (named ones :a @a $a stay), a minus sign before a number goes with
 * it, IN (?, ?, ...) becomes IN (?), comments go, blanks between tokens become one space (none
 * after "(" or before ")" "," ";"; one after ","), a final ";" goes. Identifiers and keywords
 * keep their spelling.
 *
 * Invariant: the output is always 0-terminated within cap bytes; any input (unterminated
 * strings or comments, bytes that are not SQL) is consumed without reading past its end. */
#include <ctype.h>
#include <string.h>

#include "work/sql.h"

enum { T_WORD, T_LIT, T_PARAM, T_PUNCT };

typedef struct tok {
  int type;
  const char *s;
  size_t n;
  int ws;        /* blanks or a comment before it */
} tok;

typedef struct outbuf {
  char *p;
  size_t n, cap;
} outbuf;

static void put(outbuf *o, const char *s, size_t n) {
  if (!o->cap) return;
  size_t room = o->cap - 1 - o->n;
  if (n > room) n = room;
  memcpy(o->p + o->n, s, n);
  o->n += n;
  o->p[o->n] = 0;
}

static int is_id(int c) { return isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

/* Skips blanks and comments from *s; returns whether there were any. */
static int skip_ws(const char **s) {
  const char *p = *s;
  int any = 0;
  for (;;) {
    if (*p && isspace((unsigned char)*p)) {
      p++;
    } else if (p[0] == '-' && p[1] == '-') {
      while (*p && *p != '\n') p++;
    } else if (p[0] == '/' && p[1] == '*') {
      p += 2;
      while (*p && !(p[0] == '*' && p[1] == '/')) p++;
      if (*p) p += 2;
    } else {
      break;
    }
    any = 1;
  }
  *s = p;
  return any;
}

/* A quoted run ending with q (a doubled q inside stays in it); unterminated: to the end. */
static const char *quoted(const char *p, char q) {
  p++;
  while (*p) {
    if (*p == q) {
      if (p[1] == q) p += 2;
      else return p + 1;
    } else {
      p++;
    }
  }
  return p;
}

static const char *number(const char *p) {
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
    p += 2;
    while (isxdigit((unsigned char)*p)) p++;
    return p;
  }
  while (isdigit((unsigned char)*p) || *p == '_') p++;
  if (*p == '.') {
    p++;
    while (isdigit((unsigned char)*p)) p++;
  }
  if ((*p == 'e' || *p == 'E') &&
      (isdigit((unsigned char)p[1]) ||
       ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
    p += 2;
    while (isdigit((unsigned char)*p)) p++;
  }
  return p;
}

/* The next token at *s (after blanks), 0 at the end. */
static int next_tok(const char **s, tok *t) {
  t->ws = skip_ws(s);
  const char *p = *s, *e;
  if (!*p) return 0;
  unsigned char c = (unsigned char)*p;
  if ((c == 'x' || c == 'X') && p[1] == '\'') {
    t->type = T_LIT;
    e = quoted(p + 1, '\'');
  } else if (c == '\'') {
    t->type = T_LIT;
    e = quoted(p, '\'');
  } else if (isdigit(c) || (c == '.' && isdigit((unsigned char)p[1]))) {
    t->type = T_LIT;
    e = number(p);
  } else if (c == '"' || c == '`') {
    t->type = T_WORD;
    e = quoted(p, (char)c);
  } else if (c == '[') {
    t->type = T_WORD;
    e = strchr(p, ']');
    e = e ? e + 1 : p + strlen(p);
  } else if (is_id(c)) {
    t->type = T_WORD;
    for (e = p + 1; *e && is_id((unsigned char)*e); e++) {}
  } else if (c == '?') {
    t->type = T_PARAM;
    for (e = p + 1; isdigit((unsigned char)*e); e++) {}
  } else if ((c == ':' || c == '@' || c == '$') && is_id((unsigned char)p[1])) {
    t->type = T_PARAM;
    for (e = p + 1; *e && is_id((unsigned char)*e); e++) {}
  } else {
    static const char *const ops[] = {"->>", "<=", ">=", "<>", "!=", "==", "||", "<<",
                                      ">>", "->"};
    t->type = T_PUNCT;
    e = p + 1;
    for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
      size_t l = strlen(ops[k]);
      if (strncmp(p, ops[k], l) == 0) {
        e = p + l;
        break;
      }
    }
  }
  t->s = p;
  t->n = (size_t)(e - p);
  *s = e;
  return 1;
}

static int is_punct(const tok *t, char c) { return t->type == T_PUNCT && t->n == 1 && *t->s == c; }
static int is_value(const tok *t) {
  return t->type == T_LIT || (t->type == T_PARAM && t->s[0] == '?');
}

size_t fz_sql_normalise(const char *sql, char *out, size_t cap) {
  outbuf o = {out, 0, cap};
  if (cap) out[0] = 0;
  if (!sql) return 0;
  const char *s = sql;
  tok prev = {T_PUNCT, "(", 1, 0}, t;
  int first = 1, minus = 0;
  tok pend;   /* a '-' held back: it may be the sign of the next number */
  while (next_tok(&s, &t)) {
    if (minus) {
      minus = 0;
      if (t.type != T_LIT) {   /* not a sign: emit the '-' held back */
        if (!first && pend.ws) put(&o, " ", 1);
        put(&o, "-", 1);
        first = 0;
        prev = pend;
      } else {
        t.ws = pend.ws;
      }
    }
    if (is_punct(&t, '-') && prev.type == T_PUNCT && !is_punct(&prev, ')')) {
      pend = t;
      minus = 1;
      continue;
    }
    /* a final ';' (only blanks after it) goes */
    if (is_punct(&t, ';')) {
      const char *r = s;
      skip_ws(&r);
      if (!*r) break;
    }
    int sp = t.ws;
    if (is_punct(&prev, ',')) sp = 1;
    if (is_punct(&prev, '(') || is_punct(&t, ')') || is_punct(&t, ',') || is_punct(&t, ';'))
      sp = 0;
    if (first) sp = 0;
    if (sp) put(&o, " ", 1);
    first = 0;
    if (t.type == T_WORD && t.n == 2 && strncasecmp(t.s, "in", 2) == 0) {
      /* IN (v, v, ...) with values only: IN (?). The look-ahead stops at the first token
       * that is not part of such a list, and each token is in one list at most: linear. */
      const char *r = s;
      tok a;
      int ok = 0;
      if (next_tok(&r, &a) && is_punct(&a, '(')) {
        while (next_tok(&r, &a)) {
          if (is_punct(&a, '-') && next_tok(&r, &a) && a.type != T_LIT) break;
          if (!is_value(&a) || !next_tok(&r, &a)) break;
          if (is_punct(&a, ')')) {
            ok = 1;
            break;
          }
          if (!is_punct(&a, ',')) break;
        }
      }
      put(&o, t.s, t.n);
      if (ok) {
        put(&o, " (?)", 4);
        s = r;
        prev = a;
        continue;
      }
    } else if (t.type == T_LIT || (t.type == T_PARAM && t.s[0] == '?')) {
      put(&o, "?", 1);
    } else {
      put(&o, t.s, t.n);
    }
    prev = t;
  }
  if (minus) {
    if (!first && pend.ws) put(&o, " ", 1);
    put(&o, "-", 1);
  }
  return o.n;
}

uint64_t fz_sql_hash(const char *s, size_t n) {   /* 8 bytes a step, then FNV-1a's tail */
  uint64_t h = 1469598103934665603ull ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
  }
  for (; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}
