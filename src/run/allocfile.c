/* allocfile.c: reads the allocation file one process of `fathom run --alloc` wrote at its
 * exit (src/record/allocsample.c). The format, text, one record a line:
 *
 *   fathom-alloc 1                    magic and version
 *   pid P | rate N | samples K | dropped D
 *   heap_peak BYTES SLACK             the live heap at its highest, exact to SLACK per thread
 *   map START END PGOFF PATH          an executable mapping (hex numbers; PATH to the end)
 *   stack TID DEPTH F1..F12 PC...     allocated, live and at-peak bytes, objects and their
 *                                     variances (decimal), then DEPTH return addresses (hex)
 *   end                               the end marker: a file without it was cut short
 *
 * Invariant: every number is checked (finite, not negative, in range) before it is kept; a
 * refused file leaves *out freeable and holds no half-read record. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/allocfile.h"

#define MAX_DEPTH 256
#define MAX_RECORDS 10000000u

void fz_alloc_file_free(fz_alloc_file *f) {
  if (!f) return;
  for (uint32_t i = 0; i < f->n_maps; i++) {
    char *path; /* ours: strdup'd by parse_map */
    memcpy(&path, &f->maps[i].path, sizeof path);
    free(path);
  }
  for (uint32_t i = 0; i < f->n_stacks; i++) free(f->stacks[i].pcs);
  free(f->maps);
  free(f->stacks);
  memset(f, 0, sizeof *f);
}

static int grow(void **v, uint32_t *cap, uint32_t n, size_t size) {
  if (n < *cap) return 0;
  uint32_t nc = *cap ? *cap * 2 : 16;
  void *nv = realloc(*v, (size_t)nc * size);
  if (!nv) return -1;
  *v = nv;
  *cap = nc;
  return 0;
}

/* An unsigned decimal (hex when base 16) at *s, advanced past it and the blanks after. */
static int num_u(char **s, int base, uint64_t *out) {
  char *e;
  if (!**s || **s == '-' || **s == '+' || **s == ' ') return -1;
  errno = 0;
  unsigned long long v = strtoull(*s, &e, base);
  if (errno || e == *s || (*e && *e != ' ')) return -1;
  *out = v;
  while (*e == ' ') e++;
  *s = e;
  return 0;
}

static int num_d(char **s, double *out) {
  char *e;
  if (!**s || **s == ' ') return -1;
  errno = 0;
  double v = strtod(*s, &e);
  if (errno || e == *s || (*e && *e != ' ') || !isfinite(v) || v < 0) return -1;
  *out = v;
  while (*e == ' ') e++;
  *s = e;
  return 0;
}

static int parse_stack(fz_alloc_file *f, char *s, uint32_t *cap) {
  uint64_t tid, depth;
  if (num_u(&s, 10, &tid) || tid > UINT32_MAX || num_u(&s, 10, &depth) || depth > MAX_DEPTH)
    return -1;
  fz_alloc_stack st = {(uint32_t)tid, (uint32_t)depth, {0}, NULL};
  for (int k = 0; k < FZ_RUN_ALLOC_N; k++)
    if (num_d(&s, &st.f[k])) return -1;
  st.pcs = malloc((depth ? depth : 1) * sizeof *st.pcs);
  if (!st.pcs) return -2;
  for (uint64_t k = 0; k < depth; k++)
    if (num_u(&s, 16, &st.pcs[k])) {
      free(st.pcs);
      return -1;
    }
  if (*s || grow((void **)&f->stacks, cap, f->n_stacks, sizeof *f->stacks)) {
    free(st.pcs);
    return *s ? -1 : -2;
  }
  f->stacks[f->n_stacks++] = st;
  return 0;
}

static int parse_map(fz_alloc_file *f, char *s, uint32_t *cap) {
  uint64_t lo, hi, off;
  if (num_u(&s, 16, &lo) || num_u(&s, 16, &hi) || num_u(&s, 16, &off) || hi <= lo || !*s)
    return -1;
  if (grow((void **)&f->maps, cap, f->n_maps, sizeof *f->maps)) return -2;
  char *path = strdup(s);
  if (!path) return -2;
  f->maps[f->n_maps++] = (fz_run_mmap){f->pid, lo, hi - lo, off, path};
  return 0;
}

int fz_alloc_file_read(const char *path, fz_alloc_file *out, char *why, size_t cap) {
  memset(out, 0, sizeof *out);
  FILE *in = fopen(path, "re");
  if (!in) {
    snprintf(why, cap, "%s: %s", path, strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t lcap = 0;
  ssize_t len;
  uint64_t lineno = 0, v;
  uint32_t map_cap = 0, st_cap = 0;
  int rc = 0, ended = 0, have_pid = 0;
  const char *bad = NULL;
  while (!rc && (len = getline(&line, &lcap, in)) >= 0) {
    lineno++;
    if (ended) { bad = "text after the end marker"; rc = -1; break; }
    if (len > 0 && line[len - 1] == '\n') line[--len] = 0;
    if (lineno == 1) {
      if (strncmp(line, "fathom-alloc ", 13) != 0 || (size_t)len != strlen(line)) {
        snprintf(why, cap, "%s: not an allocation file of fathom run", path);
        rc = -2;
      } else if (strcmp(line + 13, "1") != 0) {
        snprintf(why, cap, "%s: allocation file version %.20s, this fathom reads version 1",
                 path, line + 13);
        rc = -2;
      }
      continue;
    }
    if ((size_t)len != strlen(line)) { bad = "a NUL byte"; rc = -1; break; }
    if (lineno > MAX_RECORDS) { bad = "too many records"; rc = -1; break; }
    char *sp = strchr(line, ' ');
    char *arg = sp ? sp + 1 : line + len;
    size_t kl = sp ? (size_t)(sp - line) : (size_t)len;
    int r = -1;
    if (kl == 3 && !strncmp(line, "end", 3) && !*arg) {
      ended = 1;
      r = 0;
    } else if (kl == 5 && !strncmp(line, "stack", 5)) {
      r = have_pid ? parse_stack(out, arg, &st_cap) : -1;
    } else if (kl == 3 && !strncmp(line, "map", 3)) {
      r = have_pid ? parse_map(out, arg, &map_cap) : -1;
    } else if (kl == 3 && !strncmp(line, "pid", 3)) {
      r = num_u(&arg, 10, &v) || *arg || v == 0 || v > INT32_MAX ? -1 : 0;
      out->pid = (uint32_t)v;
      have_pid = !r;
    } else if (kl == 4 && !strncmp(line, "rate", 4)) {
      r = num_u(&arg, 10, &out->rate) || *arg || !out->rate ? -1 : 0;
    } else if (kl == 7 && !strncmp(line, "samples", 7)) {
      r = num_u(&arg, 10, &out->samples) || *arg ? -1 : 0;
    } else if (kl == 7 && !strncmp(line, "dropped", 7)) {
      r = num_u(&arg, 10, &out->dropped) || *arg ? -1 : 0;
    } else if (kl == 9 && !strncmp(line, "heap_peak", 9)) {
      r = num_u(&arg, 10, &out->heap_peak) || num_u(&arg, 10, &out->heap_slack) || *arg ? -1 : 0;
    }
    if (r == -2) {
      snprintf(why, cap, "%s: out of memory", path);
      rc = -2;
    } else if (r) {
      bad = "a bad record";
      rc = -1;
    }
  }
  if (!rc && ferror(in)) {
    snprintf(why, cap, "%s: %s", path, strerror(errno ? errno : EIO));
    rc = -2;
  }
  if (!rc && lineno == 0) {
    snprintf(why, cap, "%s: empty: not an allocation file of fathom run", path);
    rc = -2;
  } else if (!rc && !ended) {
    snprintf(why, cap, "%s: cut short (no end marker): the program's allocation file is "
             "incomplete", path);
    rc = -2;
  } else if (!rc && (!have_pid || !out->rate)) {
    snprintf(why, cap, "%s: no pid or rate record", path);
    rc = -2;
  }
  if (rc == -1)
    snprintf(why, cap, "%s: line %" PRIu64 ": %s", path, lineno, bad ? bad : "bad");
  free(line);
  fclose(in);
  if (rc) {
    fz_alloc_file_free(out);
    return -1;
  }
  return 0;
}
