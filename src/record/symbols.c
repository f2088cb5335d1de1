/* symbols.c: function address -> name for -finstrument-functions zones: dladdr for exported
 * symbols, then the module's own ELF symbol table (.symtab, for static functions), then
 * "module+0xoffset". C++ names are demangled through __cxa_demangle when the program
 * already has it loaded (looked up with dlsym; the library never links libstdc++).
 *
 * Invariant: never fails and never allocates on a path that can recurse into the profiler;
 * modules' tables are cached (bounded: 64 modules), read with plain read(2) into memory. */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fsym {
  uint64_t lo, size;
  const char *name;
} fsym;

typedef struct modtab {
  char *path;
  int is_exec;      /* ET_EXEC: symbol values are absolute */
  fsym *syms;
  size_t n;
  char *strtab;
} modtab;

#define MAX_MODULES 64
static modtab mods[MAX_MODULES];
static int n_mods;
static pthread_mutex_t mod_lock = PTHREAD_MUTEX_INITIALIZER;

static int cmp_sym(const void *a, const void *b) {
  const fsym *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void *read_at(int fd, uint64_t off, uint64_t size, uint64_t file_size) {
  if (off > file_size || size > file_size - off || size > ((uint64_t)1 << 31)) return NULL;
  char *buf = malloc(size + 1);
  if (!buf) return NULL;
  uint64_t got = 0;
  while (got < size) {
    ssize_t r = pread(fd, buf + got, size - got, (off_t)(off + got));
    if (r <= 0) {
      free(buf);
      return NULL;
    }
    got += (uint64_t)r;
  }
  buf[size] = 0;
  return buf;
}

/* Loads the function symbols of an ELF64 file (.symtab, else .dynsym). */
static void load_module(modtab *m, const char *path) {
  m->path = strdup(path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st;
  Elf64_Ehdr eh;
  if (fstat(fd, &st) != 0 || pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh ||
      memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_shentsize != sizeof(Elf64_Shdr)) {
    close(fd);
    return;
  }
  uint64_t fsize = (uint64_t)st.st_size;
  m->is_exec = eh.e_type == ET_EXEC;
  Elf64_Shdr *sh = read_at(fd, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof *sh, fsize);
  if (!sh) {
    close(fd);
    return;
  }
  int pick = -1;
  for (int pass = 0; pass < 2 && pick < 0; pass++)
    for (int i = 0; i < eh.e_shnum; i++)
      if (sh[i].sh_type == (pass == 0 ? SHT_SYMTAB : SHT_DYNSYM) && sh[i].sh_link < eh.e_shnum) {
        pick = i;
        break;
      }
  if (pick >= 0) {
    Elf64_Shdr *ss = &sh[pick], *strs = &sh[ss->sh_link];
    Elf64_Sym *syms = read_at(fd, ss->sh_offset, ss->sh_size, fsize);
    char *str = read_at(fd, strs->sh_offset, strs->sh_size, fsize);
    size_t n = syms ? ss->sh_size / sizeof *syms : 0;
    fsym *out = syms && str ? malloc((n ? n : 1) * sizeof *out) : NULL;
    if (out) {
      size_t k = 0;
      for (size_t i = 0; i < n; i++) {
        if (ELF64_ST_TYPE(syms[i].st_info) != STT_FUNC || syms[i].st_value == 0) continue;
        if (syms[i].st_name >= strs->sh_size) continue;
        out[k++] = (fsym){syms[i].st_value, syms[i].st_size, str + syms[i].st_name};
      }
      qsort(out, k, sizeof *out, cmp_sym);
      m->syms = out;
      m->n = k;
      m->strtab = str;
      str = NULL;
    }
    free(syms);
    free(str);
  }
  free(sh);
  close(fd);
}

static const fsym *lookup_sym(const char *path, uint64_t addr, uint64_t base) {
  modtab *m = NULL;
  for (int i = 0; i < n_mods; i++)
    if (mods[i].path && strcmp(mods[i].path, path) == 0) m = &mods[i];
  if (!m) {
    if (n_mods == MAX_MODULES) return NULL;
    m = &mods[n_mods++];
    load_module(m, path);
  }
  if (!m->n) return NULL;
  uint64_t v = m->is_exec ? addr : addr - base;
  size_t lo = 0, hi = m->n;
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (m->syms[mid].lo <= v) lo = mid; else hi = mid;
  }
  fsym *s = &m->syms[lo];
  if (s->lo <= v && (v < s->lo + s->size || (s->size == 0 && v == s->lo))) return s;
  return NULL;
}

static const char *lookup(const char *path, uint64_t addr, uint64_t base) {
  const fsym *s = lookup_sym(path, addr, base);
  return s ? s->name : NULL;
}

static void demangle(const char *in, char *out, size_t cap) {
  typedef char *(*dm_fn)(const char *, char *, size_t *, int *);
  dm_fn dm = NULL;
  if (in[0] == '_' && in[1] == 'Z') {
    void *p = dlsym(RTLD_DEFAULT, "__cxa_demangle");
    memcpy(&dm, &p, sizeof dm);
  }
  if (dm) {
    int status = -1;
    char *r = dm(in, NULL, NULL, &status);
    if (r && status == 0) {
      snprintf(out, cap, "%s", r);
      free(r);
      return;
    }
    free(r);
  }
  snprintf(out, cap, "%s", in);
}

/* The size of the function starting at fn (from its module's symbol table), 0 unknown. */
uint64_t fz_function_size(const void *fn);
uint64_t fz_function_size(const void *fn) {
  Dl_info info;
  memset(&info, 0, sizeof info);
  if (!dladdr(fn, &info) || !info.dli_fname) return 0;
  const char *path = info.dli_fname;
  char exe[512];
  if (!*path || strchr(path, '/') == NULL) {
    ssize_t r = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (r <= 0) return 0;
    exe[r] = 0;
    path = exe;
  }
  uint64_t size = 0;
  pthread_mutex_lock(&mod_lock);
  const fsym *s = lookup_sym(path, (uint64_t)(uintptr_t)fn, (uint64_t)(uintptr_t)info.dli_fbase);
  if (s) {
    modtab *m = NULL;
    for (int i = 0; i < n_mods; i++)
      if (mods[i].path && strcmp(mods[i].path, path) == 0) m = &mods[i];
    uint64_t v = m && m->is_exec ? (uint64_t)(uintptr_t)fn
                                 : (uint64_t)(uintptr_t)fn - (uint64_t)(uintptr_t)info.dli_fbase;
    if (s->lo == v) size = s->size;
  }
  pthread_mutex_unlock(&mod_lock);
  return size;
}

/* Fills name (never empty) and module path for addr. Returns 1 if a symbol was found. */
int fz_symbolize(const void *addr, char *name, size_t cap, char *module, size_t mcap);
int fz_symbolize(const void *addr, char *name, size_t cap, char *module, size_t mcap) {
  Dl_info info;
  memset(&info, 0, sizeof info);
  module[0] = 0;
  if (!dladdr(addr, &info) || !info.dli_fname) {
    snprintf(name, cap, "0x%llx", (unsigned long long)(uintptr_t)addr);
    return 0;
  }
  const char *path = info.dli_fname;
  char exe[512];
  if (!*path || strchr(path, '/') == NULL) { /* the main program is reported as "" or argv0 */
    ssize_t r = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (r > 0) {
      exe[r] = 0;
      path = exe;
    }
  }
  snprintf(module, mcap, "%s", path);
  if (info.dli_sname && info.dli_saddr == addr) {
    demangle(info.dli_sname, name, cap);
    return 1;
  }
  pthread_mutex_lock(&mod_lock);
  const char *s = lookup(path, (uint64_t)(uintptr_t)addr, (uint64_t)(uintptr_t)info.dli_fbase);
  if (s) demangle(s, name, cap);
  pthread_mutex_unlock(&mod_lock);
  if (s) return 1;
  const char *base = strrchr(path, '/');
  snprintf(name, cap, "%s+0x%llx", base ? base + 1 : path,
           (unsigned long long)((uintptr_t)addr - (uintptr_t)info.dli_fbase));
  return 0;
}

/* ---- where the -finstrument-functions hooks go ------------------------------------------
 * A module built with -finstrument-functions that calls the hooks through the dynamic linker
 * gets the first definition in the lookup order; when that is glibc's (empty) one, e.g.
 * because libfathom.so comes after libc in that order, its functions are never recorded.
 * A module calls them through the dynamic linker when its dynamic symbol table holds an
 * undefined __cyg_profile_func_enter: undefined symbols come first in the table, before
 * the GNU hash table's first hashed symbol (or within DT_HASH's nchain entries). */

static const char hook_sym[] = "__cyg_profile_func_enter";

typedef struct hookscan {
  uintptr_t self;        /* an address in fathom's own code */
  int n;                 /* modules whose hooks are bound elsewhere */
  char *module;
  size_t mcap;
} hookscan;

/* A dynamic-section pointer of a module loaded at base (glibc relocates most in place). */
static uintptr_t dyn_ptr(uintptr_t v, uintptr_t base) { return v < base ? v + base : v; }

static int references_hook(const struct dl_phdr_info *info) {
  const ElfW(Dyn) *dyn = NULL;
  for (int i = 0; i < info->dlpi_phnum; i++)
    if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
      dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
  if (!dyn) return 0;
  uintptr_t base = info->dlpi_addr, symtab = 0, strtab = 0, gnu = 0, sysv = 0;
  uint64_t strsz = 0;
  for (; dyn->d_tag != DT_NULL; dyn++) {
    if (dyn->d_tag == DT_SYMTAB) symtab = dyn_ptr(dyn->d_un.d_ptr, base);
    if (dyn->d_tag == DT_STRTAB) strtab = dyn_ptr(dyn->d_un.d_ptr, base);
    if (dyn->d_tag == DT_STRSZ) strsz = dyn->d_un.d_val;
    if (dyn->d_tag == DT_GNU_HASH) gnu = dyn_ptr(dyn->d_un.d_ptr, base);
    if (dyn->d_tag == DT_HASH) sysv = dyn_ptr(dyn->d_un.d_ptr, base);
  }
  if (!symtab || !strtab || !(gnu || sysv)) return 0;
  /* GNU hash: [nbuckets, symoffset, ...]; DT_HASH: [nbucket, nchain, ...] */
  uint32_t n = gnu ? ((const uint32_t *)gnu)[1] : ((const uint32_t *)sysv)[1];
  const ElfW(Sym) *sym = (const ElfW(Sym) *)symtab;
  for (uint32_t i = 1; i < n && i < (1u << 20); i++)
    if (sym[i].st_shndx == SHN_UNDEF && sym[i].st_name < strsz &&
        strcmp((const char *)strtab + sym[i].st_name, hook_sym) == 0)
      return 1;
  return 0;
}

static int holds(const struct dl_phdr_info *info, uintptr_t a) {
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD && a >= lo && a - lo < ph->p_memsz) return 1;
  }
  return 0;
}

static int scan_module(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  hookscan *h = arg;
  if (holds(info, h->self) || !references_hook(info)) return 0;
  if (h->n++ == 0) {
    const char *name = info->dlpi_name;
    if (!name || !*name) {  /* the program itself */
      ssize_t r = readlink("/proc/self/exe", h->module, h->mcap - 1);
      h->module[r > 0 ? r : 0] = 0;
    } else {
      snprintf(h->module, h->mcap, "%s", name);
    }
  }
  return 0;
}

/* The loader's counts of modules loaded and unloaded so far (first module only). */
static int load_counts(struct dl_phdr_info *info, size_t size, void *arg) {
  unsigned long long *c = arg;
  if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
    c[0] = info->dlpi_adds;
    c[1] = info->dlpi_subs;
  }
  return 1;
}

int fz_hooks_misbound(char *module, size_t mcap, char *provider, size_t pcap);
int fz_hooks_misbound(char *module, size_t mcap, char *provider, size_t pcap) {
  static unsigned long long seen[2];   /* the counts at the last scan that found nothing */
  unsigned long long now[2] = {0, 0};
  module[0] = provider[0] = 0;
  dl_iterate_phdr(load_counts, now);
  if (now[0] && __atomic_load_n(&seen[0], __ATOMIC_RELAXED) == now[0] &&
      __atomic_load_n(&seen[1], __ATOMIC_RELAXED) == now[1])
    return 0;   /* the same modules as last time */
  Dl_info self, def;
  void *p = dlsym(RTLD_DEFAULT, hook_sym);
  if (!p || !dladdr((void *)fz_hooks_misbound, &self) || !dladdr(p, &def)) return 0;
  if (def.dli_fbase == self.dli_fbase) return 0;  /* the hooks found first are fathom's */
  snprintf(provider, pcap, "%s", def.dli_fname ? def.dli_fname : "?");
  hookscan h = {(uintptr_t)(void *)fz_hooks_misbound, 0, module, mcap};
  dl_iterate_phdr(scan_module, &h);
  if (!h.n) {
    __atomic_store_n(&seen[0], now[0], __ATOMIC_RELAXED);
    __atomic_store_n(&seen[1], now[1], __ATOMIC_RELAXED);
  }
  return h.n;
}
