/* preprocess.c: which step of a text preprocessing pipeline is the bottleneck? Four steps
 * prepare a corpus of generated sentences for counting: lowercase it, split it into words,
 * count the words (a hash table) and sort the vocabulary by frequency. The counting step
 * looks every word up with a slow hash (a loop of rounds a byte), so it is the bottleneck.
 * fathom_pipeline_run runs the pipeline a few times, measures each step (time with its
 * interval, share, words a second, heap and RSS growth), names the bottleneck and prints
 * suggestions for steps over the thresholds.
 *
 *   preprocess [OUT.json [--json]]   the session's profile as JSON (each step a zone);
 *                                    --json: the result as JSON too */
#include <ctype.h>
#include <fathom.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORDS 200000
#define TABLE (1u << 16)

typedef struct corpus {
  char *text;                   /* the sentences */
  size_t len;
  char **words;                 /* pointers into a copy of text, after tokenize */
  size_t n_words;
  char *copy;
  struct { const char *w; unsigned n; } *table;   /* open addressing, TABLE slots */
  size_t vocab;
} corpus;

static int lowercase(void *d, void *u) {
  (void)u;
  corpus *c = d;
  for (size_t i = 0; i < c->len; i++) c->text[i] = (char)tolower((unsigned char)c->text[i]);
  return 0;
}

static int tokenize(void *d, void *u) {
  (void)u;
  corpus *c = d;
  free(c->copy);
  c->copy = strdup(c->text);
  if (!c->copy) return 1;
  c->n_words = 0;
  for (char *save = NULL, *w = strtok_r(c->copy, " .,\n", &save); w;
       w = strtok_r(NULL, " .,\n", &save))
    if (c->n_words < WORDS * 2) c->words[c->n_words++] = w;
  return 0;
}

static unsigned slow_hash(const char *w) {
  unsigned h = 2166136261u;
  for (; *w; w++)
    for (int r = 0; r < 24; r++) h = (h ^ (unsigned char)*w) * 16777619u + (unsigned)r;
  return h;
}

static int count(void *d, void *u) {
  (void)u;
  corpus *c = d;
  memset(c->table, 0, TABLE * sizeof *c->table);
  c->vocab = 0;
  for (size_t i = 0; i < c->n_words; i++) {
    unsigned h = slow_hash(c->words[i]) & (TABLE - 1);
    while (c->table[h].w && strcmp(c->table[h].w, c->words[i])) h = (h + 1) & (TABLE - 1);
    if (!c->table[h].w) {
      if (c->vocab + 1 >= TABLE) return 1;
      c->table[h].w = c->words[i];
      c->vocab++;
    }
    c->table[h].n++;
  }
  return 0;
}

static int by_count(const void *a, const void *b) {
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
  return x < y ? 1 : x > y ? -1 : 0;
}

static int sort_vocab(void *d, void *u) {
  (void)u;
  corpus *c = d;
  unsigned *n = malloc((c->vocab + 1) * sizeof *n);
  if (!n) return 1;
  size_t k = 0;
  for (size_t i = 0; i < TABLE; i++)
    if (c->table[i].w) n[k++] = c->table[i].n;
  qsort(n, k, sizeof *n, by_count);
  free(n);
  return 0;
}

int main(int argc, char **argv) {
  static const char *vocab[] = {"The", "quick", "Brown", "fox", "jumps", "over", "a", "lazy",
                                "Dog", "while", "profilers", "Measure", "every", "step"};
  corpus c = {0};
  c.text = malloc((size_t)WORDS * 12);
  c.words = malloc((size_t)WORDS * 2 * sizeof *c.words);
  c.table = calloc(TABLE, sizeof *c.table);
  if (!c.text || !c.words || !c.table) {
    fprintf(stderr, "preprocess: out of memory\n");
    return 1;
  }
  unsigned s = 7;
  for (int i = 0; i < WORDS; i++) {
    s = s * 1103515245u + 12345u;
    const char *w = vocab[(s >> 16) % 14];
    size_t l = strlen(w);
    memcpy(c.text + c.len, w, l);
    c.len += l;
    c.text[c.len++] = i % 9 == 8 ? '.' : ' ';
  }
  c.text[c.len] = 0;
  const fathom_step steps[] = {{"lowercase", lowercase, NULL}, {"tokenize", tokenize, NULL},
                               {"count words", count, NULL}, {"sort vocabulary", sort_vocab, NULL}};
  fathom_pipeline_opts o = {0};
  o.runs = 8;
  o.items = WORDS;
  o.slow_ms = 20;   /* a budget of 20 ms a step: over it, fathom suggests what to try */
  fathom_session_begin("preprocess", NULL);
  fathom_pipeline_result r;
  int rc = fathom_pipeline_run("preprocess", steps, 4, &c, &o, &r);
  if (rc) {
    fprintf(stderr, "preprocess: %s\n", fathom_strerror(rc));
    return 1;
  }
  fathom_pipeline_print(stdout, &r);
  fathom_profile *p = NULL;
  fathom_session_end(&p);
  int bad = 0;
  if (argc > 1 && (!p || fathom_profile_save(p, FATHOM_FORMAT_JSON, argv[1]))) {
    fprintf(stderr, "preprocess: cannot write %s\n", argv[1]);
    bad = 1;
  }
  if (argc > 2 && !strcmp(argv[2], "--json")) fathom_pipeline_write_json(stdout, &r);
  fathom_profile_free(p);
  fathom_pipeline_result_free(&r);
  free(c.copy);
  free(c.text);
  free(c.words);
  free(c.table);
  return bad;
}
