/* view/folded.c: the folded-stacks view ("a;b;c 1234" per line), read by flamegraph.pl,
 * inferno and speedscope; also the frame labels shared with view/speedscope.c (flame.h).
 *
 * Invariant: one line per distinct call path (threads merged: the same path on several
 * threads is one line) whose self time is above zero, in the model's node order (a parent's
 * line before its children's); the number is that path's self time in integer nanoseconds,
 * so the lines of a leaf sum to its self time and every path's lines sum to its total. A
 * frame never contains ';' (written as ','), or a control character (written as ' '), and is
 * never empty. Per-thread flame graphs: the speedscope view.
 *
 * A stack longer than FZ_FLAME_STACK_MAX bytes is cut (flame.h): the paths below its last
 * frame that fits become one line, that prefix then FZ_FLAME_CUT, with their self times
 * summed, so widths still add up and no line is longer than the bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/flame.h"
#include "model/model.h"
#include "view/view.h"

/* ---- labels (flame.h) ---------------------------------------------------------------- */

static int cmp_name(const uint32_t *a, const uint32_t *b, const char **n) {
  uint32_t x = *a, y = *b;
  int c = strcmp(n[x], n[y]);
  return c ? c : (x > y) - (x < y);
}

/* Stable merge sort of zone indices by name (qsort_r is a GNU extension). */
static void sort_idx(uint32_t *v, uint32_t *tmp, uint32_t n, const char **names) {
  if (n < 2) return;
  uint32_t h = n / 2;
  sort_idx(v, tmp, h, names);
  sort_idx(v + h, tmp, n - h, names);
  uint32_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = cmp_name(&v[i], &v[j], names) <= 0 ? v[i++] : v[j++];
  while (i < h) tmp[k++] = v[i++];
  while (j < n) tmp[k++] = v[j++];
  memcpy(v, tmp, n * sizeof *v);
}

void fz_flame_labels_free(char **labels, uint32_t n) {
  if (!labels) return;
  for (uint32_t i = 0; i < n; i++) free(labels[i]);
  free(labels);
}

/* At most FZ_FLAME_LABEL_MAX bytes of s, cut at a character boundary: its length in bytes. */
static size_t label_part(const char *s) {
  size_t n = strnlen(s, FZ_FLAME_LABEL_MAX + 1);
  if (n <= FZ_FLAME_LABEL_MAX) return n;
  n = FZ_FLAME_LABEL_MAX;
  while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;   /* UTF-8 continuation */
  return n;
}

/* "name", or "name [component]"; a name or component longer than FZ_FLAME_LABEL_MAX bytes
 * is cut there and ends in "..." (so two such names that share their first bytes share a
 * label: the price of a bounded output). */
static char *label_of(const fathom_zone_info *z, int ambiguous) {
  const char *name = z->name && *z->name ? z->name : "(empty)";
  const char *comp = z->component && *z->component ? z->component : "default";
  size_t nn = label_part(name), nc = ambiguous ? label_part(comp) : 0;
  const char *ncut = name[nn] ? "..." : "", *ccut = ambiguous && comp[nc] ? "..." : "";
  size_t cap = nn + 3 + (ambiguous ? nc + 3 + 3 : 0) + 1;
  char *s = malloc(cap);
  if (!s) return NULL;
  if (ambiguous)
    snprintf(s, cap, "%.*s%s [%.*s%s]", (int)nn, name, ncut, (int)nc, comp, ccut);
  else
    snprintf(s, cap, "%.*s%s", (int)nn, name, ncut);
  return s;
}

char **fz_flame_labels(const fathom_profile *p) {
  uint32_t n = p->n_zones;
  char **labels = calloc(n ? n : 1, sizeof *labels);
  const char **names = malloc((n ? n : 1) * sizeof *names);
  uint32_t *idx = malloc((n ? n : 1) * sizeof *idx), *tmp = malloc((n ? n : 1) * sizeof *tmp);
  unsigned char *amb = calloc(n ? n : 1, 1);
  int oom = !labels || !names || !idx || !tmp || !amb;
  if (!oom) {
    for (uint32_t i = 0; i < n; i++) {
      names[i] = p->zones[i].name ? p->zones[i].name : "";
      idx[i] = i;
    }
    sort_idx(idx, tmp, n, names);   /* equal names are neighbours */
    for (uint32_t i = 1; i < n; i++)
      if (strcmp(names[idx[i]], names[idx[i - 1]]) == 0) amb[idx[i]] = amb[idx[i - 1]] = 1;
    for (uint32_t i = 0; i < n && !oom; i++)
      if (!(labels[i] = label_of(&p->zones[i], amb[i]))) oom = 1;
  }
  free(names);
  free(idx);
  free(tmp);
  free(amb);
  if (oom) {
    fz_flame_labels_free(labels, n);
    return NULL;
  }
  return labels;
}

int64_t fz_flame_cuts(const fathom_profile *p, char *const *labels, uint32_t *cut) {
  uint32_t n = p->n_nodes;
  size_t *len = malloc((n ? n : 1) * sizeof *len);   /* bytes of node i's stack */
  if (!len) return -1;
  int64_t ncut = 0;
  for (uint32_t i = 0; i < n; i++) {   /* parents first: one pass */
    const fathom_node *nd = &p->nodes[i];
    size_t own = strlen(labels[nd->zone]);
    if (nd->parent == FATHOM_NONE) {
      len[i] = own;
      cut[i] = i;
      continue;
    }
    uint32_t up = nd->parent;
    len[i] = len[up] > FZ_FLAME_STACK_MAX ? len[up] : len[up] + 1 + own;
    if (len[i] <= FZ_FLAME_STACK_MAX) {
      cut[i] = i;
    } else {
      cut[i] = cut[up];   /* the parent's, or the parent itself when it fits */
      ncut++;
    }
  }
  free(len);
  return ncut;
}

int fz_flame_check(const fathom_profile *p) {
  if (p->n_nodes && !p->nodes) return FATHOM_E_FORMAT;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *nd = &p->nodes[i];
    if (nd->zone >= p->n_zones || nd->thread >= p->n_threads) return FATHOM_E_FORMAT;
    if (nd->parent != FATHOM_NONE && nd->parent >= i) return FATHOM_E_FORMAT;
  }
  return 0;
}

/* ---- the view ------------------------------------------------------------------------ */

/* One frame: ';' -> ',', control characters -> ' '. */
static void put_frame(FILE *f, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    fputc(c == ';' ? ',' : (c < 0x20 || c == 0x7f) ? ' ' : c, f);
  }
}

typedef struct mtab {   /* (merged parent, zone) -> merged path, open addressing */
  uint64_t *key;
  uint32_t *val;
  size_t mask;
} mtab;

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 29;
  return x;
}

typedef struct fmerge {   /* the merged paths */
  uint32_t m;      /* how many */
  uint32_t *par;   /* merged path -> parent path */
  uint32_t *zone;
  uint64_t *self;  /* self time of its nodes that are written */
  uint64_t *deep;  /* self time of the nodes cut below it (fz_flame_cuts) */
} fmerge;

/* One line: the stack of merged path k (root first), then tail (NULL: none), then v. The
 * stack is at most FZ_FLAME_STACK_MAX bytes, so at most that many frames: *stack holds them. */
static int put_line(FILE *f, const fmerge *g, char **labels, uint32_t k, const char *tail,
                    uint64_t v, uint32_t **stack, uint32_t *scap) {
  uint32_t depth = 0;
  for (uint32_t a = k; a != FATHOM_NONE; a = g->par[a]) {
    if (depth == *scap) {
      uint32_t *ns = realloc(*stack, *scap * 2 * sizeof **stack);
      if (!ns) return FATHOM_E_NOMEM;
      *stack = ns;
      *scap *= 2;
    }
    (*stack)[depth++] = g->zone[a];
  }
  while (depth-- > 0) {
    put_frame(f, labels[(*stack)[depth]]);
    fputc(depth || tail ? ';' : ' ', f);
  }
  if (tail) fprintf(f, "%s ", tail);
  fprintf(f, "%llu\n", (unsigned long long)v);
  return 0;
}

/* How it works: node i's merged path is looked up by (merged path of its parent, zone);
 * since parents precede children, one pass numbers every distinct path in node order, and
 * par[] links each to its parent path. Self times add per path (a node whose stack is cut
 * adds to the deep time of the path it is cut to); a line is then written by walking its
 * parents into a stack of zones. */
static int write_folded(const fathom_profile *p, FILE *f, char **labels) {
  uint32_t n = p->n_nodes, nn = n ? n : 1;
  size_t cap = 16;
  while (cap < (size_t)n * 2) cap <<= 1;
  mtab t = {malloc(cap * sizeof *t.key), malloc(cap * sizeof *t.val), cap - 1};
  uint32_t *mid = malloc(nn * sizeof *mid);      /* node -> merged path */
  uint32_t *cut = malloc(nn * sizeof *cut);      /* node -> node it is written as */
  fmerge g = {0, malloc(nn * sizeof *g.par), malloc(nn * sizeof *g.zone),
              calloc(nn, sizeof *g.self), calloc(nn, sizeof *g.deep)};
  uint32_t scap = 64, *stack = malloc(scap * sizeof *stack);
  int rc = 0;
  if (!t.key || !t.val || !mid || !cut || !g.par || !g.zone || !g.self || !g.deep || !stack ||
      fz_flame_cuts(p, labels, cut) < 0)
    rc = FATHOM_E_NOMEM;
  if (!rc) {
    memset(t.val, 0xff, cap * sizeof *t.val);
    for (uint32_t i = 0; i < n; i++) {
      const fathom_node *nd = &p->nodes[i];
      uint32_t par = nd->parent == FATHOM_NONE ? FATHOM_NONE : mid[nd->parent];
      uint64_t key = ((uint64_t)(par + 1u) << 32) | nd->zone;  /* NONE + 1 wraps to 0 */
      size_t s = mix(key) & t.mask;
      while (t.val[s] != FATHOM_NONE && t.key[s] != key) s = (s + 1) & t.mask;
      if (t.val[s] == FATHOM_NONE) {
        t.key[s] = key;
        t.val[s] = g.m;
        g.par[g.m] = par;
        g.zone[g.m] = nd->zone;
        g.m++;
      }
      mid[i] = t.val[s];
      if (cut[i] == i) g.self[mid[i]] += nd->stats.self_ns;
      else g.deep[mid[cut[i]]] += nd->stats.self_ns;
    }
  }
  for (uint32_t k = 0; !rc && k < g.m; k++) {
    if (g.self[k]) rc = put_line(f, &g, labels, k, NULL, g.self[k], &stack, &scap);
    if (!rc && g.deep[k]) rc = put_line(f, &g, labels, k, FZ_FLAME_CUT, g.deep[k], &stack, &scap);
  }
  free(t.key);
  free(t.val);
  free(mid);
  free(cut);
  free(g.par);
  free(g.zone);
  free(g.self);
  free(g.deep);
  free(stack);
  return rc;
}

int fz_write_folded(const fathom_profile *p, FILE *f, int color) {
  if (!p || !f) return FATHOM_E_INVAL;
  int rc = fz_flame_check(p);
  if (rc) return rc;
  char **labels = fz_flame_labels(p);
  if (!labels) return FATHOM_E_NOMEM;
  rc = write_folded(p, f, labels);
  fz_flame_labels_free(labels, p->n_zones);
  if (!rc && ferror(f)) rc = FATHOM_E_IO;
  return rc;
}
