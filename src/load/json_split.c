/* json_split.c: the JSON loader's document: the text of a profile parsed without holding all
 * of it as jansson values at once (jansson's value of a profile is ~13 times its text).
 *
 * How: the root object (and the timeline and series objects in it) are walked here, member by
 * member; each member's value is found by a scan that only follows strings and brackets, and
 * parsed alone by jansson, except the big tables (root_lazy, tl_lazy, series_lazy below):
 * those stay in the text, the root holds an empty array in their place, and their elements
 * are parsed a chunk of about JL_CHUNK bytes at a time, in order, when the loader reads them
 * (jl_array_get), each chunk freed when the next is read. So a load holds the text, the model
 * and one chunk's values.
 *
 * Invariant: the text is accepted only if it is one JSON value that jansson accepts with
 * JSON_REJECT_DUPLICATES: structure here (commas, colons, brackets, keys unique in the objects
 * walked here), everything else by jansson, and jl_doc_finish parses what the loader did not
 * read. An error is reported as "truncated or malformed JSON at line L column C: what", with
 * L and C counted in the whole text. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "json_ld.h"

#define JL_CHUNK (64u << 10)   /* text of a table's elements parsed at once */
#define JL_MAX_LAZY 16         /* tables that can stay in the text (the names below) */

static const char *const root_lazy[] = {"zones",       "nodes",         "threads",  "counters",
                                        "probes",      "gpus",          "mem_snapshots",
                                        "gov_actions", "findings",      "slas",     "throughput",
                                        NULL};
static const char *const tl_lazy[] = {"events", "counter_events", NULL};
static const char *const series_lazy[] = {"rows", NULL};

typedef struct jl_lazy {
  const json_t *ph;   /* its place in the root: an empty array */
  size_t beg;         /* offset of the first element (or of the closing ']') */
  size_t n;           /* elements */
  size_t first, cnt;  /* the chunk held: elements first .. first + cnt - 1 */
  size_t next;        /* offset of element first + cnt */
  json_t *chunk;      /* an array of those cnt elements, or NULL */
} jl_lazy;

struct jl_doc {
  const char *t;
  size_t len;
  jl_lazy lz[JL_MAX_LAZY];
  int n_lz;
  char *buf;   /* '[' + a chunk's text + ']' */
  size_t cap;
};

int jl_syntax(jl_ctx *c, size_t off, const char *what) {
  unsigned long long line = 1, col = 0;
  if (c->doc) {
    const char *t = c->doc->t;
    size_t end = off < c->doc->len ? off + 1 : c->doc->len;
    for (size_t k = 0; k < end; k++) {
      if (t[k] == '\n') line++, col = 0;
      else if (((unsigned char)t[k] & 0xC0) != 0x80) col++;   /* characters, as jansson */
    }
  }
  return jl_fail(c, FATHOM_E_FORMAT, NULL, "truncated or malformed JSON at line %llu column %llu: %s",
                 line, col, what);
}

/* ---- scanning ----------------------------------------------------------------------- */

static size_t ws(const jl_doc *d, size_t i) {
  while (i < d->len && (d->t[i] == ' ' || d->t[i] == '\t' || d->t[i] == '\n' || d->t[i] == '\r'))
    i++;
  return i;
}

/* Offset just past the string whose opening quote is at i, or 0 when the text ends first. */
static size_t skip_string(const jl_doc *d, size_t i) {
  for (i++; i < d->len; i++) {
    if (d->t[i] == '\\') i++;
    else if (d->t[i] == '"') return i + 1;
  }
  return 0;
}

/* The extent [i, *end) of the value at i: strings and brackets followed, nothing else checked
 * (jansson parses the value). */
static int skip_value(jl_ctx *c, const jl_doc *d, size_t i, size_t *end) {
  const char *t = d->t;
  if (i >= d->len) return jl_syntax(c, d->len, "premature end of input");
  if (t[i] == '"') {
    *end = skip_string(d, i);
    return *end ? 0 : jl_syntax(c, d->len, "premature end of input");
  }
  if (t[i] == '{' || t[i] == '[') {
    size_t depth = 0;
    for (; i < d->len; i++) {
      if (t[i] == '"') {
        size_t e = skip_string(d, i);
        if (!e) break;
        i = e - 1;
      } else if (t[i] == '{' || t[i] == '[') {
        depth++;
      } else if ((t[i] == '}' || t[i] == ']') && --depth == 0) {
        *end = i + 1;
        return 0;
      }
    }
    return jl_syntax(c, d->len, "premature end of input");
  }
  size_t s = i;
  while (i < d->len && !strchr(" \t\r\n,:[]{}\"", t[i])) i++;   /* a NUL byte ends it too */
  if (i == s) return jl_syntax(c, s, "unexpected character (a value expected)");
  *end = i;
  return 0;
}

/* jansson's error in text parsed from offset base of the document: base + its position. */
static int parse_error(jl_ctx *c, size_t base, const json_error_t *je) {
  if (c->mem_short || json_error_code(je) == json_error_out_of_memory) return jl_nomem(c);
  size_t pos = je->position > 0 ? (size_t)je->position - 1 : 0;
  return jl_syntax(c, base + pos, je->text);
}

/* After jansson returned v (NULL: failed): an allocation it made went past the cap or
 * failed (json_mem.c), the load is out of memory whatever jansson made of it. */
static int short_of_memory(jl_ctx *c, json_t **v) {
  if (!c->mem_short) return 0;
  json_decref(*v);
  *v = NULL;
  return jl_nomem(c);
}

/* The value in [s, e) of the text, parsed by jansson. */
static int parse_slice(jl_ctx *c, const jl_doc *d, size_t s, size_t e, json_t **v) {
  json_error_t je;
  *v = json_loadb(d->t + s, e - s, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
  int rc = short_of_memory(c, v);
  if (rc) return rc;
  return *v ? 0 : parse_error(c, s, &je);
}

/* ---- tables left in the text -------------------------------------------------------- */

static int in_list(const char *key, const char *const *list) {
  for (; list && *list; list++)
    if (strcmp(key, *list) == 0) return 1;
  return 0;
}

/* The array at i: counts its elements, checks its commas, and puts its placeholder in obj. */
static int add_lazy(jl_ctx *c, jl_doc *d, json_t *obj, const char *key, size_t i, size_t *end) {
  size_t j = ws(d, i + 1), beg = j, n = 0;
  int rc = 0;
  if (j < d->len && d->t[j] == ']') {
    *end = j + 1;
  } else {
    for (;;) {
      size_t e;
      if ((rc = skip_value(c, d, j, &e)) != 0) return rc;
      n++;
      j = ws(d, e);
      if (j >= d->len) return jl_syntax(c, d->len, "premature end of input");
      if (d->t[j] == ']') break;
      if (d->t[j] != ',') return jl_syntax(c, j, "',' or ']' expected");
      j = ws(d, j + 1);
    }
    *end = j + 1;
  }
  if (d->n_lz == JL_MAX_LAZY) return jl_syntax(c, i, "too many tables");   /* not reached */
  json_t *ph = json_array();
  if (!ph || json_object_set_new(obj, key, ph)) return jl_nomem(c);
  d->lz[d->n_lz++] = (jl_lazy){ph, beg, n, 0, 0, beg, NULL};
  return 0;
}

static jl_lazy *lazy_of(const jl_ctx *c, const json_t *arr) {
  if (!c->doc || !arr) return NULL;
  for (int k = 0; k < c->doc->n_lz; k++)
    if (c->doc->lz[k].ph == arr) return &c->doc->lz[k];
  return NULL;
}

/* Drops the chunk held and parses the next one (z->first + z->cnt < z->n). */
static int lazy_fill(jl_ctx *c, jl_doc *d, jl_lazy *z) {
  json_decref(z->chunk);
  z->chunk = NULL;
  z->first += z->cnt;
  z->cnt = 0;
  size_t s = z->next, j = s, e = s, k = 0;
  int rc = 0;
  while (z->first + k < z->n) {   /* the commas were checked by add_lazy */
    if ((rc = skip_value(c, d, j, &e)) != 0) return rc;
    k++;
    j = ws(d, e);
    if (j < d->len && d->t[j] == ',') j = ws(d, j + 1);
    if (e - s >= JL_CHUNK) break;
  }
  size_t len = e - s;
  if (len + 2 > d->cap) {
    char *nb = jl_realloc(c, d->buf, len + 2);
    if (!nb) return jl_nomem(c);
    d->buf = nb;
    d->cap = len + 2;
  }
  d->buf[0] = '[';
  memcpy(d->buf + 1, d->t + s, len);
  d->buf[len + 1] = ']';
  json_error_t je;
  json_t *a = json_loadb(d->buf, len + 2, JSON_REJECT_DUPLICATES, &je);
  if ((rc = short_of_memory(c, &a)) != 0) return rc;
  if (!a) return parse_error(c, s - 1, &je);   /* buf[1] is text offset s */
  if (json_array_size(a) != k) {
    json_decref(a);
    return jl_syntax(c, s, "malformed table");
  }
  z->chunk = a;
  z->cnt = k;
  z->next = j;
  return 0;
}

static int lazy_at(jl_ctx *c, jl_lazy *z, size_t i, json_t **v) {
  *v = NULL;
  if (i >= z->n) return jl_syntax(c, z->beg, "element out of range");   /* not reached */
  if (i < z->first) {   /* read again from the start */
    json_decref(z->chunk);
    *z = (jl_lazy){z->ph, z->beg, z->n, 0, 0, z->beg, NULL};
  }
  while (i >= z->first + z->cnt) {
    int rc = lazy_fill(c, c->doc, z);
    if (rc) return rc;
  }
  *v = json_array_get(z->chunk, i - z->first);
  return 0;
}

size_t jl_array_size(const jl_ctx *c, const json_t *arr) {
  const jl_lazy *z = lazy_of(c, arr);
  return z ? z->n : json_array_size(arr);
}

int jl_array_get(jl_ctx *c, const json_t *arr, size_t i, json_t **v) {
  jl_lazy *z = lazy_of(c, arr);
  if (z) return lazy_at(c, z, i, v);
  *v = json_array_get(arr, i);
  return 0;
}

/* ---- objects walked member by member ------------------------------------------------ */

static const char *const *sub_lazy(const char *key) {
  if (strcmp(key, "timeline") == 0) return tl_lazy;
  if (strcmp(key, "series") == 0) return series_lazy;
  return NULL;
}

static int split_object(jl_ctx *c, jl_doc *d, size_t *pos, json_t *obj,
                        const char *const *lazy, int level);

/* The member value at i for key into obj; *end: just past it. */
static int split_member(jl_ctx *c, jl_doc *d, json_t *obj, const char *key,
                        const char *const *lazy, int level, size_t i, size_t *end) {
  const char *const *sub = level == 0 ? sub_lazy(key) : NULL;
  if (i >= d->len) return jl_syntax(c, d->len, "premature end of input");
  if (d->t[i] == '[' && in_list(key, lazy)) return add_lazy(c, d, obj, key, i, end);
  json_t *v;
  int rc;
  if (d->t[i] == '{' && sub) {
    v = json_object();
    if (!v || json_object_set_new(obj, key, v)) return jl_nomem(c);
    *end = i;
    return split_object(c, d, end, v, sub, level + 1);
  }
  if ((rc = skip_value(c, d, i, end)) != 0) return rc;
  if ((rc = parse_slice(c, d, i, *end, &v)) != 0) return rc;
  return json_object_set_new(obj, key, v) ? jl_nomem(c) : 0;
}

/* The object at *pos (its '{') into obj; *pos: just past its '}'. */
static int split_object(jl_ctx *c, jl_doc *d, size_t *pos, json_t *obj,
                        const char *const *lazy, int level) {
  size_t i = ws(d, *pos + 1);
  if (i < d->len && d->t[i] == '}') {
    *pos = i + 1;
    return 0;
  }
  for (;;) {
    if (i >= d->len) return jl_syntax(c, d->len, "premature end of input");
    if (d->t[i] != '"') return jl_syntax(c, i, "string or '}' expected");
    size_t ks = i, ke = skip_string(d, i), e;
    if (!ke) return jl_syntax(c, d->len, "premature end of input");
    json_t *kv;
    int rc = parse_slice(c, d, ks, ke, &kv);
    if (rc) return rc;
    i = ws(d, ke);
    if (i >= d->len) rc = jl_syntax(c, d->len, "premature end of input");
    else if (d->t[i] != ':') rc = jl_syntax(c, i, "':' expected");
    else if (json_object_get(obj, json_string_value(kv))) rc = jl_syntax(c, ks, "duplicate object key");
    else rc = split_member(c, d, obj, json_string_value(kv), lazy, level, ws(d, i + 1), &e);
    json_decref(kv);
    if (rc) return rc;
    i = ws(d, e);
    if (i >= d->len) return jl_syntax(c, d->len, "premature end of input");
    if (d->t[i] == '}') {
      *pos = i + 1;
      return 0;
    }
    if (d->t[i] != ',') return jl_syntax(c, i, "',' or '}' expected");
    i = ws(d, i + 1);
  }
}

/* ---- entry points ------------------------------------------------------------------- */

int jl_doc_open(jl_ctx *c, const char *txt, size_t len, json_t **root) {
  *root = NULL;
  jl_doc *d = jl_calloc(c, 1, sizeof *d);
  if (!d) return jl_nomem(c);
  d->t = txt;
  d->len = len;
  c->doc = d;
  size_t i = ws(d, 0);
  if (i >= len || txt[i] != '{') {   /* not an object: whole, for the loader's message */
    json_error_t je;
    *root = json_loadb(txt, len, JSON_REJECT_DUPLICATES, &je);
    int rc = short_of_memory(c, root);
    if (rc) return rc;
    if (*root) return 0;
    if (json_error_code(&je) == json_error_out_of_memory) return jl_nomem(c);
    return jl_fail(c, FATHOM_E_FORMAT, NULL,
                   "truncated or malformed JSON at line %d column %d: %s", je.line, je.column,
                   je.text);
  }
  json_t *r = json_object();
  if (!r) return jl_nomem(c);
  int rc = split_object(c, d, &i, r, root_lazy, 0);
  if (!rc && (i = ws(d, i)) < len) rc = jl_syntax(c, i, "end of file expected");
  if (rc) {
    json_decref(r);
    return rc;
  }
  *root = r;
  return 0;
}

int jl_doc_finish(jl_ctx *c) {
  jl_doc *d = c->doc;
  for (int k = 0; d && k < d->n_lz; k++) {
    jl_lazy *z = &d->lz[k];
    while (z->first + z->cnt < z->n) {
      int rc = lazy_fill(c, d, z);
      if (rc) return rc;
    }
  }
  return 0;
}

void jl_doc_close(jl_ctx *c) {
  jl_doc *d = c->doc;
  if (!d) return;
  for (int k = 0; k < d->n_lz; k++) json_decref(d->lz[k].chunk);
  free(d->buf);
  free(d);
  c->doc = NULL;
}
