/* unwind.c: the stacks and names of `fathom run`'s samples, with elfutils' libdwfl.
 *
 * Per process (pid) it keeps the executable mappings the recorder reported (sorted, disjoint:
 * a new mapping cuts away what it overlaps), and builds from them, lazily, one Dwfl: each
 * mapped ELF file reported once at the bias its mapping gives (the mapping's start and file
 * offset against the file's PT_LOAD headers, read once per file). A mapping added beside the
 * others adds its file to the same Dwfl, which keeps the modules it has (their open files and
 * CFI caches); one laid over others ends the Dwfl, and the next need builds a new one. Each
 * Dwfl's thread state is attached once; each fz_unwind points it at the sample being unwound,
 * whose registers start the walk and whose stack copy answers the memory reads (a read
 * outside it comes from the mapped file's contents, else fails).
 *
 * Invariants:
 * - only DWARF CFI unwinds: a frame whose pc has no CFI (no module, no FDE) is the last one,
 *   and once a memory read failed during a walk every later read fails, so libdwfl's
 *   frame-pointer fallback never guesses a frame; each frame's stack pointer must lie above
 *   the one before (no loops on garbage);
 * - at most MAX_DWFL processes hold a Dwfl (open files) at once: the least recently used is
 *   closed and rebuilt when needed again;
 * - names are cached by (file, offset in the file, return address or not): a pc is looked up
 *   in DWARF once per run; every string handed out is interned and lives until
 *   fz_unwinder_free;
 * - nothing is read from the profiled process itself, only from its files ([vdso]: this
 *   process's own copy of the kernel's vDSO, the same for every 64-bit process). */
#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "run/run.h"

#define MAX_DWFL 32       /* processes holding a Dwfl at once */
#define PROC_BUCKETS 1024
#define FILE_BUCKETS 256
#define MAX_INLINE 64     /* entries kept per named address */
#define ARENA_CHUNK 65536

typedef struct umap {      /* one executable mapping */
  uint64_t start, end, pgoff;
  const char *path;        /* interned */
  int reported;            /* looked at for the process's current Dwfl: */
  Dwfl_Module *mod;        /* its file's module there (NULL: none) */
} umap;

typedef struct useg {      /* one PT_LOAD of a file */
  uint64_t off, vaddr, filesz;
} useg;

typedef struct ufile {     /* a mapped file's program headers, read once */
  const char *path;        /* interned: the key */
  int ok;                  /* 1: an ELF file we could read; 0: unusable */
  int nseg;
  useg *seg;
  int fd;                  /* [vdso]: a copy of the image, else -1 */
  struct ufile *next;
} ufile;

typedef struct uproc {
  struct fz_unwinder *u;
  uint32_t pid;
  umap *maps;
  int nmaps, cap;
  Dwfl *dwfl;
  int dirty;               /* a mapping is not reported to dwfl yet */
  int attached;            /* dwfl_attach_state done on dwfl */
  uint64_t used;           /* LRU stamp of dwfl */
  struct uproc *next;
} uproc;

typedef struct achunk {
  struct achunk *next;
  size_t used, cap;
  char data[];
} achunk;

typedef struct nkey {      /* name cache entry */
  const char *path;        /* NULL: empty slot */
  uint64_t off;
  int ra;
  uint32_t first, n;
} nkey;

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

struct fz_unwinder {
  uproc *procs[PROC_BUCKETS];
  ufile *files[FILE_BUCKETS];
  achunk *arena;
  const char **istr;       /* interned strings, open addressing */
  size_t nistr, istr_cap;
  nkey *ncache;
  size_t nnc, nc_cap;
  fz_frame_name *names;    /* the name cache's entries */
  size_t nnames, names_cap;
  int nlive;               /* processes holding a Dwfl */
  uint64_t clock;
  Elf *arch;               /* a bare x86-64 ELF header: the unwinding backend */
  unsigned char arch_img[sizeof(Elf64_Ehdr)];
  const fz_run_sample *cur;   /* the sample being unwound */
  int dm_tried;
  demangle_fn dm;
  void *dm_lib;
};

/* ---- strings ---------------------------------------------------------------------------- */

static char *arena_alloc(fz_unwinder *u, size_t n) {
  achunk *c = u->arena;
  if (!c || c->cap - c->used < n) {
    size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
    achunk *nc = malloc(sizeof *nc + cap);
    if (!nc) return NULL;
    nc->used = 0;
    nc->cap = cap;
    nc->next = u->arena;
    u->arena = nc;
    c = nc;
  }
  char *p = c->data + c->used;
  c->used += n;
  return p;
}

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static uint64_t hash_u64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}

/* The one copy of s (NULL when out of memory or s is NULL). */
static const char *intern(fz_unwinder *u, const char *s) {
  if (!s) return NULL;
  if (u->nistr * 2 >= u->istr_cap) {
    size_t cap = u->istr_cap ? u->istr_cap * 2 : 1024;
    const char **t = calloc(cap, sizeof *t);
    if (!t) return NULL;
    for (size_t i = 0; i < u->istr_cap; i++)
      if (u->istr[i]) {
        size_t j = hash_str(u->istr[i]) & (cap - 1);
        while (t[j]) j = (j + 1) & (cap - 1);
        t[j] = u->istr[i];
      }
    free(u->istr);
    u->istr = t;
    u->istr_cap = cap;
  }
  size_t j = hash_str(s) & (u->istr_cap - 1);
  for (; u->istr[j]; j = (j + 1) & (u->istr_cap - 1))
    if (strcmp(u->istr[j], s) == 0) return u->istr[j];
  size_t len = strlen(s) + 1;
  char *p = arena_alloc(u, len);
  if (!p) return NULL;
  memcpy(p, s, len);
  u->istr[j] = p;
  u->nistr++;
  return p;
}

static const char *base_name(const char *path) {
  const char *b = strrchr(path, '/');
  return b && b[1] ? b + 1 : path;
}

/* A C++ name demangled (interned), or name itself. __cxa_demangle comes from the C++ runtime
 * when it is loaded or loadable; without it names stay mangled. */
static const char *demangled(fz_unwinder *u, const char *name) {
  if (!name || name[0] != '_' || name[1] != 'Z') return intern(u, name);
  if (!u->dm_tried) {
    u->dm_tried = 1;
    void *p = dlsym(RTLD_DEFAULT, "__cxa_demangle");
    if (!p) {
      u->dm_lib = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
      if (u->dm_lib) p = dlsym(u->dm_lib, "__cxa_demangle");
    }
    if (p) memcpy(&u->dm, &p, sizeof u->dm);
  }
  if (!u->dm) return intern(u, name);
  int status = -1;
  char *r = u->dm(name, NULL, NULL, &status);
  const char *out = intern(u, r && status == 0 ? r : name);
  free(r);
  return out;
}

/* A symbol's name without its version (memcpy@@GLIBC_2.14 -> memcpy), demangled. */
static const char *symbol_name(fz_unwinder *u, const char *sym) {
  const char *at = sym ? strchr(sym, '@') : NULL;
  char buf[1024];
  if (!at || at == sym || (size_t)(at - sym) >= sizeof buf) return demangled(u, sym);
  memcpy(buf, sym, (size_t)(at - sym));
  buf[at - sym] = 0;
  return demangled(u, buf);
}

/* ---- files ------------------------------------------------------------------------------ */

/* Paths that name no file we can open: [vdso], [anon:...], //anon, memfd:, deleted files. */
static int special_path(const char *p) {
  if (!p || p[0] != '/' || p[1] == '/') return 1;
  if (strncmp(p, "/memfd:", 7) == 0) return 1;
  size_t n = strlen(p);
  return n >= 10 && strcmp(p + n - 10, " (deleted)") == 0;
}

/* A file holding the kernel's vDSO image as this process has it: every 64-bit process of
 * this kernel maps the same one, so the profiled program's [vdso] is named and unwound with
 * it. -1 when there is none. */
static int vdso_copy(void) {
  const unsigned char *img = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
  Elf64_Ehdr eh;
  if (!img) return -1;
  memcpy(&eh, img, sizeof eh);
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_machine != EM_X86_64)
    return -1;
  uint64_t size = eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize;
  for (int i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    memcpy(&ph, img + eh.e_phoff + (uint64_t)i * eh.e_phentsize, sizeof ph);
    if (ph.p_type == PT_LOAD && ph.p_offset + ph.p_filesz > size) size = ph.p_offset + ph.p_filesz;
  }
  if (size < sizeof eh || size > (1u << 20)) return -1;
  int fd = memfd_create("fathom-vdso", MFD_CLOEXEC);
  if (fd < 0) return -1;
  if (write(fd, img, size) != (ssize_t)size) {   /* a memory file: all or an error */
    close(fd);
    return -1;
  }
  return fd;
}

static ufile *file_get(fz_unwinder *u, const char *path) {
  size_t b = hash_str(path) & (FILE_BUCKETS - 1);
  for (ufile *f = u->files[b]; f; f = f->next)
    if (f->path == path) return f;
  ufile *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->path = path;
  f->fd = -1;
  f->next = u->files[b];
  u->files[b] = f;
  int fd;
  if (strcmp(path, "[vdso]") == 0) {
    if ((f->fd = vdso_copy()) < 0) return f;
    fd = dup(f->fd);
  } else if (special_path(path)) {
    return f;
  } else {
    fd = open(path, O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0) return f;
  Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
  size_t nph = 0;
  if (e && elf_kind(e) == ELF_K_ELF && elf_getphdrnum(e, &nph) == 0 && nph > 0 && nph < 4096) {
    f->seg = calloc(nph, sizeof *f->seg);
    for (size_t i = 0; f->seg && i < nph; i++) {
      GElf_Phdr ph;
      if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
        f->seg[f->nseg++] = (useg){ph.p_offset, ph.p_vaddr, ph.p_filesz};
    }
    f->ok = f->nseg > 0;
  }
  if (e) elf_end(e);
  close(fd);
  return f;
}

/* The load bias of f mapped by m: the PT_LOAD holding the mapping's file offset puts its
 * p_offset at m->start + (p_offset - pgoff), which is p_vaddr + bias. */
static uint64_t map_bias(const ufile *f, const umap *m) {
  for (int i = 0; i < f->nseg; i++) {
    const useg *s = &f->seg[i];
    uint64_t lo = s->off & ~(uint64_t)0xfff;
    if (m->pgoff >= lo && m->pgoff < s->off + s->filesz)
      return m->start + (s->off - m->pgoff) - s->vaddr;
  }
  return m->start - m->pgoff;
}

/* ---- processes -------------------------------------------------------------------------- */

static uproc *proc_find(fz_unwinder *u, uint32_t pid) {
  for (uproc *p = u->procs[hash_u64(pid) & (PROC_BUCKETS - 1)]; p; p = p->next)
    if (p->pid == pid) return p;
  return NULL;
}

static uproc *proc_get(fz_unwinder *u, uint32_t pid) {
  uproc *p = proc_find(u, pid);
  if (p) return p;
  p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->u = u;
  p->pid = pid;
  size_t b = hash_u64(pid) & (PROC_BUCKETS - 1);
  p->next = u->procs[b];
  u->procs[b] = p;
  return p;
}

static void proc_drop_dwfl(uproc *p) {
  if (!p->dwfl) return;
  dwfl_end(p->dwfl);
  p->dwfl = NULL;
  p->attached = 0;
  p->dirty = 1;
  p->u->nlive--;
}

static const umap *map_find(const uproc *p, uint64_t addr) {
  int lo = 0, hi = p->nmaps;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (p->maps[mid].end <= addr) lo = mid + 1;
    else hi = mid;
  }
  if (lo < p->nmaps && p->maps[lo].start <= addr && addr < p->maps[lo].end) return &p->maps[lo];
  return NULL;
}

static int maps_reserve(uproc *p, int n) {
  if (n <= p->cap) return 0;
  int cap = p->cap ? p->cap : 16;
  while (cap < n) cap *= 2;
  umap *m = realloc(p->maps, (size_t)cap * sizeof *m);
  if (!m) return -1;
  p->maps = m;
  p->cap = cap;
  return 0;
}

fz_unwinder *fz_unwinder_new(void) {
  fz_unwinder *u = calloc(1, sizeof *u);
  if (!u) return NULL;
  elf_version(EV_CURRENT);
  const Elf64_Ehdr eh = {
      .e_ident = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT},
      .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT, .e_ehsize = sizeof eh};
  memcpy(u->arch_img, &eh, sizeof eh);
  u->arch = elf_memory((char *)u->arch_img, sizeof u->arch_img);
  return u;
}

void fz_unwinder_free(fz_unwinder *u) {
  if (!u) return;
  for (int b = 0; b < PROC_BUCKETS; b++)
    for (uproc *p = u->procs[b], *nx; p; p = nx) {
      nx = p->next;
      proc_drop_dwfl(p);
      free(p->maps);
      free(p);
    }
  for (int b = 0; b < FILE_BUCKETS; b++)
    for (ufile *f = u->files[b], *nx; f; f = nx) {
      nx = f->next;
      if (f->fd >= 0) close(f->fd);
      free(f->seg);
      free(f);
    }
  for (achunk *c = u->arena, *nx; c; c = nx) {
    nx = c->next;
    free(c);
  }
  free(u->istr);
  free(u->ncache);
  free(u->names);
  if (u->arch) elf_end(u->arch);
  if (u->dm_lib) dlclose(u->dm_lib);
  free(u);
}

void fz_unwinder_mmap(fz_unwinder *u, const fz_run_mmap *m) {
  if (!u || !m || m->len == 0 || m->start + m->len < m->start) return;
  uproc *p = proc_get(u, m->pid);
  if (!p) return;
  const char *path = intern(u, m->path && m->path[0] ? m->path : "[anon]");
  if (!path) return;
  umap nm = {m->start, m->start + m->len, m->pgoff, path, 0, NULL};
  const umap *same = map_find(p, nm.start);
  if (same && same->start == nm.start && same->end == nm.end && same->pgoff == nm.pgoff &&
      same->path == nm.path)
    return;   /* reported twice: nothing changes */
  if (maps_reserve(p, p->nmaps + 2) != 0) return;
  /* rebuild in place from the end: at most one old mapping splits in two (the new one
   * inside it), so the array grows by at most 2 */
  umap *out = malloc((size_t)(p->nmaps + 2) * sizeof *out);
  if (!out) return;
  int n = 0, placed = 0, overlap = 0;
  for (int i = 0; i < p->nmaps; i++) {
    umap o = p->maps[i];
    if (o.end <= nm.start || o.start >= nm.end) {
      if (!placed && o.start >= nm.end) {
        out[n++] = nm;
        placed = 1;
      }
      out[n++] = o;
      continue;
    }
    overlap = 1;
    if (o.start < nm.start) out[n++] = (umap){o.start, nm.start, o.pgoff, o.path, 0, NULL};
    if (!placed) {
      out[n++] = nm;
      placed = 1;
    }
    if (o.end > nm.end)
      out[n++] = (umap){nm.end, o.end, o.pgoff + (nm.end - o.start), o.path, 0, NULL};
  }
  if (!placed) out[n++] = nm;
  memcpy(p->maps, out, (size_t)n * sizeof *out);
  free(out);
  p->nmaps = n;
  p->dirty = 1;
  /* libdwfl can add modules to a Dwfl but not move one (reporting a module again swaps its
   * ELF handle under its CFI): a mapping replaced means a new Dwfl */
  if (overlap) proc_drop_dwfl(p);
}

void fz_unwinder_fork(fz_unwinder *u, uint32_t pid, uint32_t ppid) {
  if (!u || pid == ppid) return;
  uproc *c = proc_get(u, pid);
  if (!c) return;
  proc_drop_dwfl(c);
  c->nmaps = 0;
  c->dirty = 1;
  uproc *par = proc_find(u, ppid);
  if (!par || par->nmaps == 0 || maps_reserve(c, par->nmaps) != 0) return;
  memcpy(c->maps, par->maps, (size_t)par->nmaps * sizeof *c->maps);
  c->nmaps = par->nmaps;
}

void fz_unwinder_exec(fz_unwinder *u, uint32_t pid) {
  uproc *p = u ? proc_find(u, pid) : NULL;
  if (!p) return;
  proc_drop_dwfl(p);
  p->nmaps = 0;
}

/* ---- libdwfl callbacks ------------------------------------------------------------------ */

static char *debuginfo_path;
static const Dwfl_Callbacks dwfl_cbs = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

/* An 8-byte word of p's memory from the mapped file's contents (read-only code and data). */
static bool file_read(uproc *p, uint64_t addr, Dwarf_Word *out) {
  const umap *m = map_find(p, addr);
  if (!m || !m->mod || m->end - addr < 8) return false;
  Dwarf_Addr bias;
  Elf *e = dwfl_module_getelf(m->mod, &bias);
  size_t size = 0;
  const char *img = e ? elf_rawfile(e, &size) : NULL;
  uint64_t off = m->pgoff + (addr - m->start);
  if (!img || off > size || size - off < 8) return false;
  memcpy(out, img + off, 8);
  return true;
}

static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg) {
  uproc *p = arg;
  fz_unwinder *u = p->u;
  const fz_run_sample *s = u->cur;
  if (!s) return false;
  uint64_t sp = s->regs[7], size = s->stack ? s->stack_size : 0;
  if (addr >= sp && addr - sp < size && size - (addr - sp) >= 8) {
    memcpy(result, s->stack + (addr - sp), 8);
    return true;
  }
  if (file_read(p, addr, result)) return true;
  /* a register saved below the stack pointer (a leaf's epilogue) is outside the copy: libdw
   * leaves it undefined and fails only where a later frame needs it */
  return false;
}

static pid_t cb_next_thread(Dwfl *dwfl, void *arg, void **thread_argp) {
  uproc *p = arg;
  if (*thread_argp || !p->u->cur) return 0;
  *thread_argp = p;
  return p->u->cur->tid ? (pid_t)p->u->cur->tid : (pid_t)p->pid;
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp) {
  uproc *p = arg;
  if (!p->u->cur) return false;
  *thread_argp = p;
  return true;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *thread_arg) {
  uproc *p = thread_arg;
  const fz_run_sample *s = p->u->cur;
  if (!s) return false;
  Dwarf_Word regs[FZ_RUN_NREGS];
  for (int i = 0; i < FZ_RUN_NREGS; i++) regs[i] = s->regs[i];
  if (!dwfl_thread_state_registers(thread, 0, FZ_RUN_NREGS, regs)) return false;
  dwfl_thread_state_register_pc(thread, s->regs[16]);
  return true;
}

static const Dwfl_Thread_Callbacks thread_cbs = {
    .next_thread = cb_next_thread,
    .get_thread = cb_get_thread,
    .memory_read = cb_memory_read,
    .set_initial_registers = cb_set_initial_registers,
};

/* p's Dwfl, its modules reported from the current maps (NULL when none could be made). */
static Dwfl *proc_dwfl(fz_unwinder *u, uproc *p) {
  if (p->dwfl && !p->dirty) {
    p->used = ++u->clock;
    return p->dwfl;
  }
  if (!p->dwfl) {
    while (u->nlive >= MAX_DWFL) {   /* close the least recently used */
      uproc *lru = NULL;
      for (int b = 0; b < PROC_BUCKETS; b++)
        for (uproc *q = u->procs[b]; q; q = q->next)
          if (q->dwfl && q != p && (!lru || q->used < lru->used)) lru = q;
      if (!lru) break;
      proc_drop_dwfl(lru);
    }
    p->dwfl = dwfl_begin(&dwfl_cbs);
    if (!p->dwfl) return NULL;
    u->nlive++;
    for (int i = 0; i < p->nmaps; i++) {
      p->maps[i].reported = 0;
      p->maps[i].mod = NULL;
    }
  }
  p->used = ++u->clock;
  /* only the files not reported yet, added to the modules there are */
  dwfl_report_begin_add(p->dwfl);
  for (int i = 0; i < p->nmaps; i++) {
    umap *m = &p->maps[i];
    if (m->reported) continue;
    m->reported = 1;
    ufile *f = file_get(u, m->path);
    if (!f || !f->ok) continue;
    uint64_t bias = map_bias(f, m);
    int seen = 0;   /* a file mapped in several pieces is one module */
    for (int j = 0; j < p->nmaps && !seen; j++)
      if (j != i && p->maps[j].reported && p->maps[j].path == m->path &&
          map_bias(f, &p->maps[j]) == bias) {
        m->mod = p->maps[j].mod;
        seen = 1;
      }
    if (seen) continue;
    int fd = f->fd >= 0 ? dup(f->fd) : -1;   /* the library takes it */
    if (f->fd >= 0 && fd < 0) continue;
    m->mod = dwfl_report_elf(p->dwfl, m->path, m->path, fd, bias, false);
    if (!m->mod && fd >= 0) close(fd);
  }
  dwfl_report_end(p->dwfl, NULL, NULL);
  p->dirty = 0;
  if (!p->attached && u->arch && dwfl_attach_state(p->dwfl, u->arch, (pid_t)p->pid, &thread_cbs, p))
    p->attached = 1;
  return p->dwfl;
}

/* ---- unwinding -------------------------------------------------------------------------- */

typedef struct walk {
  uproc *p;
  uint64_t *pcs;
  int n, max;
  uint64_t sp;
} walk;

/* Whether CFI describes the frame at addr (a pc inside its function), in the module of the
 * file mapped there (not another module whose address range spans the mapping). */
static bool has_cfi(const uproc *p, uint64_t addr) {
  const umap *m = map_find(p, addr);
  Dwfl_Module *mod = m ? m->mod : NULL;
  if (!mod || dwfl_addrmodule(p->dwfl, addr) != mod) return false;
  for (int dw = 0; dw < 2; dw++) {   /* .eh_frame, then .debug_frame */
    Dwarf_Addr bias;
    Dwarf_Frame *fr = NULL;
    Dwarf_CFI *cfi = dw ? dwfl_module_dwarf_cfi(mod, &bias) : dwfl_module_eh_cfi(mod, &bias);
    if (cfi && dwarf_cfi_addrframe(cfi, addr - bias, &fr) == 0) {
      free(fr);
      return true;
    }
  }
  return false;
}

static int cb_frame(Dwfl_Frame *st, void *arg) {
  walk *w = arg;
  Dwarf_Addr pc;
  bool activation = false;
  if (!dwfl_frame_pc(st, &pc, &activation)) return DWARF_CB_ABORT;
  if (w->n > 0) {
    Dwarf_Word sp;
    if (pc == 0 || !map_find(w->p, pc)) return DWARF_CB_ABORT;
    if (dwfl_frame_reg(st, 7, &sp) != 0 || sp <= w->sp) return DWARF_CB_ABORT;
    w->sp = sp;
  }
  w->pcs[w->n++] = pc;
  if (w->n >= w->max) return DWARF_CB_ABORT;
  if (!has_cfi(w->p, activation ? pc : pc - 1)) return DWARF_CB_ABORT;
  return DWARF_CB_OK;
}

int fz_unwind(fz_unwinder *u, const fz_run_sample *s, uint64_t *pcs, int max) {
  if (!u || !s || !pcs || max <= 0 || !s->regs_ok) return 0;
  pcs[0] = s->regs[16];
  uproc *p = proc_find(u, s->pid);
  if (max == 1 || !p || !map_find(p, s->regs[16])) return 1;
  Dwfl *d = proc_dwfl(u, p);
  if (!d || !p->attached) return 1;
  walk w = {p, pcs, 0, max, s->regs[7]};
  u->cur = s;
  dwfl_getthread_frames(d, s->tid ? (pid_t)s->tid : (pid_t)s->pid, cb_frame, &w);
  u->cur = NULL;
  if (w.n == 0) pcs[0] = s->regs[16];
  return w.n > 0 ? w.n : 1;
}

/* ---- names ------------------------------------------------------------------------------ */

static const char *die_name(fz_unwinder *u, Dwarf_Die *die) {
  Dwarf_Attribute a;
  const char *n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
  if (!n) n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a));
  if (!n) n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
  return n ? demangled(u, n) : NULL;
}

static int names_push(fz_unwinder *u, const fz_frame_name *f) {
  if (u->nnames == u->names_cap) {
    size_t cap = u->names_cap ? u->names_cap * 2 : 256;
    fz_frame_name *t = realloc(u->names, cap * sizeof *t);
    if (!t) return -1;
    u->names = t;
    u->names_cap = cap;
  }
  u->names[u->nnames++] = *f;
  return 0;
}

/* Looks addr up in mod and appends the entries (innermost first) to u->names; returns how
 * many (0: nothing known). */
static int resolve(fz_unwinder *u, Dwfl_Module *mod, uint64_t addr, const char *module,
                   uint64_t module_off) {
  int ln = 0;
  Dwfl_Line *line = dwfl_module_getsrc(mod, addr);
  const char *file = line ? dwfl_lineinfo(line, NULL, &ln, NULL, NULL, NULL) : NULL;
  const char *pc_file = file && ln > 0 ? intern(u, file) : NULL;
  uint32_t pc_line = pc_file ? (uint32_t)ln : 0;
  fz_frame_name cur = {NULL, pc_file, pc_line, module, module_off};
  GElf_Off symoff;
  GElf_Sym sym;
  const char *symname = dwfl_module_addrinfo(mod, addr, &symoff, &sym, NULL, NULL, NULL);
  int n = 0, whole = 0;   /* whole: up to the subprogram */
  Dwarf_Addr bias;
  Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
  Dwarf_Die *scopes = NULL;
  int ns = cu ? dwarf_getscopes(cu, addr - bias, &scopes) : 0;
  if (ns > 0) {
    Dwarf_Die inner = scopes[0];
    free(scopes);
    scopes = NULL;
    int nc = dwarf_getscopes_die(&inner, &scopes);
    for (int i = 0; i < nc && n < MAX_INLINE; i++) {
      int tag = dwarf_tag(&scopes[i]);
      if (tag == DW_TAG_inlined_subroutine) {
        cur.func = die_name(u, &scopes[i]);
        if (names_push(u, &cur) != 0) break;
        n++;
        /* the enclosing function's line is the call site's */
        Dwarf_Attribute a;
        Dwarf_Word fileno = 0, lineno = 0;
        Dwarf_Die cudie;
        Dwarf_Files *files = NULL;
        const char *cf = NULL;
        if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &a), &fileno) == 0 &&
            dwarf_diecu(&scopes[i], &cudie, NULL, NULL) &&
            dwarf_getsrcfiles(&cudie, &files, NULL) == 0)
          cf = dwarf_filesrc(files, fileno, NULL, NULL);
        if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &a), &lineno) != 0)
          lineno = 0;
        cur.file = cf && lineno ? intern(u, cf) : NULL;
        cur.line = cf && lineno ? (uint32_t)lineno : 0;
      } else if (tag == DW_TAG_subprogram || tag == DW_TAG_entry_point) {
        cur.func = symname ? symbol_name(u, symname) : die_name(u, &scopes[i]);
        if (names_push(u, &cur) == 0) n++, whole = 1;
        break;
      }
    }
    free(scopes);
    if (whole && u->names[u->nnames - 1].func) return n;
    u->nnames -= (size_t)n;   /* no named subprogram found: the symbol alone */
  }
  cur.func = symname ? symbol_name(u, symname) : NULL;
  cur.file = pc_file;
  cur.line = pc_line;
  if (!cur.func && !cur.file) return 0;
  return names_push(u, &cur) == 0 ? 1 : 0;
}

static size_t ncache_slot(const fz_unwinder *u, const char *path, uint64_t off, int ra) {
  size_t j = (hash_u64(off ^ (uint64_t)(uintptr_t)path) + (size_t)ra) & (u->nc_cap - 1);
  while (u->ncache[j].path &&
         !(u->ncache[j].path == path && u->ncache[j].off == off && u->ncache[j].ra == ra))
    j = (j + 1) & (u->nc_cap - 1);
  return j;
}

static int ncache_grow(fz_unwinder *u) {
  if (u->nc_cap && u->nnc * 2 < u->nc_cap) return 0;
  size_t cap = u->nc_cap ? u->nc_cap * 2 : 1024;
  nkey *old = u->ncache;
  size_t ocap = u->nc_cap;
  u->ncache = calloc(cap, sizeof *u->ncache);
  if (!u->ncache) {
    u->ncache = old;
    return -1;
  }
  u->nc_cap = cap;
  for (size_t i = 0; i < ocap; i++)
    if (old[i].path) u->ncache[ncache_slot(u, old[i].path, old[i].off, old[i].ra)] = old[i];
  free(old);
  return 0;
}

static int copy_out(const fz_unwinder *u, uint32_t first, uint32_t n, fz_frame_name *out,
                    int max) {
  if ((int)n <= max) {
    memcpy(out, u->names + first, n * sizeof *out);
    return (int)n;
  }
  /* too many for out: the innermost ones and the outermost (the real function) */
  memcpy(out, u->names + first, (size_t)(max - 1) * sizeof *out);
  out[max - 1] = u->names[first + n - 1];
  return max;
}

int fz_unwinder_name(fz_unwinder *u, uint32_t pid, uint64_t pc, int return_addr,
                     fz_frame_name *out, int max) {
  if (!u || !out || max <= 0) return 0;
  return_addr = return_addr && pc > 0;
  uint64_t addr = return_addr ? pc - 1 : pc;
  uproc *p = proc_find(u, pid);
  const umap *m = p ? map_find(p, addr) : NULL;
  if (!m) {
    out[0] = (fz_frame_name){NULL, NULL, 0, "[unknown]", pc};
    return 1;
  }
  uint64_t off = m->pgoff + (pc - m->start);
  const char *module = intern(u, base_name(m->path));
  const char *path = m->path;
  if (!module) module = "[unknown]";
  fz_frame_name unknown = {NULL, NULL, 0, module, off};
  if (ncache_grow(u) != 0) {
    out[0] = unknown;
    return 1;
  }
  size_t j = ncache_slot(u, path, off, return_addr);
  if (u->ncache[j].path) {
    if (u->ncache[j].n == 0) {
      out[0] = unknown;
      return 1;
    }
    return copy_out(u, u->ncache[j].first, u->ncache[j].n, out, max);
  }
  uint32_t first = (uint32_t)u->nnames;
  int n = 0;
  ufile *f = file_get(u, path);
  Dwfl *d = f && f->ok ? proc_dwfl(u, p) : NULL;
  m = d ? map_find(p, addr) : NULL;   /* proc_dwfl set its module */
  if (m && m->mod && dwfl_addrmodule(d, addr) == m->mod) n = resolve(u, m->mod, addr, module, off);
  u->ncache[j] = (nkey){path, off, return_addr, first, (uint32_t)n};
  u->nnc++;
  if (n == 0) {
    out[0] = unknown;
    return 1;
  }
  return copy_out(u, first, (uint32_t)n, out, max);
}
