/* conffile.c: fathom's options from a file named by FATHOM_CONFIG (see conffile.h).
 *
 * Format: one option a line, `KEY = VALUE` (the `=` may be a space instead); `#` starts a
 * comment line; blank lines are skipped; a VALUE may be wrapped in double quotes (kept
 * verbatim inside). KEY is a FATHOM_* variable's name, with or without the prefix, in any
 * case; an unknown key is reported with its line and skipped, so a typo never passes
 * silently. A later line with the same key wins.
 *
 * Invariant: parsed files are never freed (values are handed out like environment strings);
 * the cache holds at most FZ_CONF_MAX_FILES paths, guarded by one mutex (made new in a forked
 * child, which may have been forked while another thread held it); errno is kept. */
#include "util/conffile.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The variables a file may set: the options users set (docs/config.md). */
static const char *const known[] = {
    "FATHOM", "FATHOM_PRESET", "FATHOM_LEVEL", "FATHOM_TIMELINE", "FATHOM_OUT", "FATHOM_TRACE",
    "FATHOM_REPORT", "FATHOM_MAX_NODES", "FATHOM_MAX_DEPTH", "FATHOM_RING",
    "FATHOM_MAX_EVENTS", "FATHOM_COMPONENTS", "FATHOM_COMPONENT_LEVELS", "FATHOM_METRICS",
    "FATHOM_EXCLUDE", "FATHOM_CLOCK",
    "FATHOM_MAX_OVERHEAD", "FATHOM_MONITOR", "FATHOM_MONITOR_INTERVAL", "FATHOM_GOVERNOR",
    "FATHOM_SAMPLE_EVERY", "FATHOM_SAMPLE_HZ", "FATHOM_ALLOC", "FATHOM_CARBON_INTENSITY",
    "FATHOM_SLA", "FATHOM_WINDOWS", "FATHOM_THROUGHPUT_WINDOW", "FATHOM_LISTEN", "FATHOM_AUTOSAVE",
    "FATHOM_AUTOSAVE_INTERVAL", "FATHOM_AUTOSAVE_OPS", "FATHOM_SINK", "FATHOM_SINK_INTERVAL",
    "FATHOM_THRESHOLDS", "FATHOM_CPU_THRESHOLD_MS", "FATHOM_MEMORY_THRESHOLD_MB",
    "FATHOM_GPU_MEMORY_THRESHOLD_MB", "FATHOM_IO_THRESHOLD_MB", "FATHOM_TRACE_EVENTS",
    "FATHOM_NVML_LIB", "FATHOM_CUDART_LIB", "FATHOM_GPU_MEM_RATE"};

typedef struct entry {
  char key[40];
  char *value;
  char where[48];               /* "file:line: " for messages (the file's name, cut) */
} entry;

struct fz_conf {
  char *path;
  entry e[FZ_CONF_MAX_KEYS];
  unsigned n;
};

static fz_conf *cache[FZ_CONF_MAX_FILES];
static char *failed[FZ_CONF_MAX_FILES];   /* paths that could not be read (said once) */
static unsigned n_cache, n_failed;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
  return s;
}

/* The canonical name of key ("level" -> "FATHOM_LEVEL", "fathom" -> "FATHOM"), or NULL. */
static const char *canon(const char *key) {
  char up[48];
  size_t n = strlen(key);
  if (n + 8 >= sizeof up) return NULL;
  for (size_t i = 0; i <= n; i++) up[i] = (char)toupper((unsigned char)key[i]);
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    if (!strcmp(up, known[i])) return known[i];
    if (!strncmp(known[i], "FATHOM_", 7) && !strcmp(up, known[i] + 7)) return known[i];
  }
  return NULL;
}

static const char *base(const char *path) {
  const char *b = strrchr(path, '/');
  return b ? b + 1 : path;
}

/* Parses text (NUL-terminated, modified) into c; reports bad lines on stderr. */
static void parse(fz_conf *c, char *text) {
  unsigned line = 0;
  for (char *p = text, *nl; p && *p; p = nl) {
    nl = strchr(p, '\n');
    if (nl) *nl++ = '\0';
    line++;
    char *s = trim(p);
    if (!*s || *s == '#') continue;
    char *k = s;
    size_t kl = strcspn(s, " \t=");
    char *v = s + kl;
    if (*v) *v++ = '\0';
    v = trim(v);
    if (*v == '=') v = trim(v + 1);
    size_t vl = strlen(v);
    if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
      v[vl - 1] = '\0';
      v++;
    }
    const char *name = canon(k);
    if (!name) {
      fprintf(stderr, "fathom: %s:%u: unknown option '%s' (the FATHOM_* variables of "
                      "docs/config.md, with or without FATHOM_); line ignored\n",
              c->path, line, k);
      continue;
    }
    entry *e = NULL;
    for (unsigned i = 0; i < c->n; i++)
      if (!strcmp(c->e[i].key, name)) e = &c->e[i];
    if (!e) {
      if (c->n == FZ_CONF_MAX_KEYS) {
        fprintf(stderr, "fathom: %s:%u: more than %u options; line ignored\n", c->path, line,
                FZ_CONF_MAX_KEYS);
        continue;
      }
      e = &c->e[c->n++];
    }
    snprintf(e->key, sizeof e->key, "%s", name);
    e->value = v;
    snprintf(e->where, sizeof e->where, "%.36s:%u: ", base(c->path), line);
  }
}

static fz_conf *read_file(const char *path) {
  FILE *f = fopen(path, "re");
  if (!f) {
    fprintf(stderr, "fathom: FATHOM_CONFIG=%s: cannot read it (%s); no options taken from "
                    "it\n", path, strerror(errno));
    return NULL;
  }
  fz_conf *c = calloc(1, sizeof *c);
  char *text = malloc(FZ_CONF_MAX_BYTES + 2);
  size_t n = c && text ? fread(text, 1, FZ_CONF_MAX_BYTES + 1, f) : 0;
  int err = ferror(f);
  fclose(f);
  if (!c || !text || err || n > FZ_CONF_MAX_BYTES || memchr(text, '\0', n)) {
    fprintf(stderr, "fathom: FATHOM_CONFIG=%s: %s; no options taken from it\n", path,
            !c || !text ? "out of memory"
            : err      ? "a read error"
            : n > FZ_CONF_MAX_BYTES ? "larger than 64 KiB (is it a config file?)"
                                    : "a NUL byte (not a text file)");
    free(c);
    free(text);
    return NULL;
  }
  text[n] = '\0';
  c->path = strdup(path);
  if (!c->path) {
    free(c);
    free(text);
    return NULL;
  }
  parse(c, text);   /* values point into text, kept with c */
  return c;
}

/* A child forked while another thread read a file must not inherit the held lock. */
static void child_after_fork(void) { pthread_mutex_init(&mu, NULL); }
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void register_atfork(void) { pthread_atfork(NULL, NULL, child_after_fork); }

const fz_conf *fz_conf_load(const char *path) {
  if (!path || !*path) return NULL;
  int saved = errno;
  pthread_once(&atfork_once, register_atfork);
  pthread_mutex_lock(&mu);
  fz_conf *c = NULL;
  int said = 0;
  for (unsigned i = 0; i < n_cache && !c; i++)
    if (!strcmp(cache[i]->path, path)) c = cache[i];
  for (unsigned i = 0; i < n_failed && !c; i++)
    if (!strcmp(failed[i], path)) said = 1;
  if (!c && !said) {
    if (n_cache == FZ_CONF_MAX_FILES) {
      fprintf(stderr, "fathom: FATHOM_CONFIG=%s: more than %u config files in one process; "
                      "no options taken from it\n", path, FZ_CONF_MAX_FILES);
    } else {
      c = read_file(path);
      if (c) cache[n_cache++] = c;
    }
    char *d = !c && n_failed < FZ_CONF_MAX_FILES ? strdup(path) : NULL;
    if (d) failed[n_failed++] = d;
  }
  pthread_mutex_unlock(&mu);
  errno = saved;
  return c;
}

static const entry *find(const fz_conf *c, const char *name) {
  if (!c) return NULL;
  for (unsigned i = 0; i < c->n; i++)
    if (!strcmp(c->e[i].key, name)) return &c->e[i];
  return NULL;
}

const char *fz_conf_get(const fz_conf *c, const char *name) {
  const entry *e = find(c, name);
  return e ? e->value : NULL;
}

const char *fz_conf_where(const fz_conf *c, const char *name) {
  const entry *e = find(c, name);
  return e ? e->where : "";
}

const char *fz_getenv(const char *name) {
  const char *v = getenv(name);
  if (v && *v) return v;
  const char *path = getenv("FATHOM_CONFIG");
  if (!path || !*path) return NULL;
  return fz_conf_get(fz_conf_load(path), name);
}

const char *fz_getenv_where(const char *name) {
  const char *v = getenv(name);
  if (v && *v) return "";
  const char *path = getenv("FATHOM_CONFIG");
  if (!path || !*path) return "";
  return fz_conf_where(fz_conf_load(path), name);
}
