/* sock_hooks.c: the process's socket send and receive calls when libfathom.so is loaded
 * (linked or LD_PRELOADed): send, sendto, sendmsg, sendmmsg, recv, recvfrom, recvmsg and
 * recvmmsg, forwarded to the next definition (glibc's) and counted: the bytes each call moved
 * go to the calling thread's counters, which the socket probe (probe/sock.c) reads at zone
 * boundaries. Built into the shared library only.
 *
 * Invariant: a hook calls the real function exactly once with the same arguments and returns
 * its result with errno as it left it; it allocates nothing, takes no lock and counts only
 * what the call reports moved (nothing on failure). The next definitions are resolved with
 * dlsym(RTLD_NEXT) once per function (a race resolves twice, to the same address). */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "fathom.h"

extern __thread uint64_t fz_sock_sent_ __attribute__((tls_model("initial-exec")));
extern __thread uint64_t fz_sock_recv_ __attribute__((tls_model("initial-exec")));
extern int fz_sock_hooked_;

__attribute__((constructor)) static void sock_hooks_on(void) {
  __atomic_store_n(&fz_sock_hooked_, 1, __ATOMIC_RELAXED);
}

/* The next definition of name, resolved once into *slot; NULL when there is none (then the
 * hook fails with ENOSYS: a program calling it has a libc that defines it, so this does not
 * happen in practice). */
static void *next_of(void **slot, const char *name) {
  void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (!f) {
    int saved = errno;
    f = dlsym(RTLD_NEXT, name);
    errno = saved;
    __atomic_store_n(slot, f, __ATOMIC_RELEASE);
  }
  return f;
}

typedef ssize_t (*send_fn)(int, const void *, size_t, int);
typedef ssize_t (*sendto_fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
typedef int (*sendmmsg_fn)(int, struct mmsghdr *, unsigned int, int);
typedef ssize_t (*recv_fn)(int, void *, size_t, int);
typedef ssize_t (*recvfrom_fn)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
typedef ssize_t (*recvmsg_fn)(int, struct msghdr *, int);
typedef int (*recvmmsg_fn)(int, struct mmsghdr *, unsigned int, int, struct timespec *);

/* real: the next name (of type name_fn); a hook without one fails with ENOSYS */
#define NEXT(name)                                                   \
  static void *name##_slot;                                          \
  union {                                                            \
    void *p;                                                         \
    name##_fn f;                                                     \
  } u_ = {next_of(&name##_slot, #name)};                             \
  name##_fn real = u_.f;                                             \
  if (!real) {                                                       \
    errno = ENOSYS;                                                  \
    return -1;                                                       \
  }

static inline void sent(ssize_t n) {
  if (n > 0) fz_sock_sent_ += (uint64_t)n;
}
static inline void got(ssize_t n) {
  if (n > 0) fz_sock_recv_ += (uint64_t)n;
}

FATHOM_EXTERN ssize_t send(int fd, const void *buf, size_t n, int flags) {
  NEXT(send);
  ssize_t r = real(fd, buf, n, flags);
  sent(r);
  return r;
}

FATHOM_EXTERN ssize_t sendto(int fd, const void *buf, size_t n, int flags,
                             const struct sockaddr *to, socklen_t tolen) {
  NEXT(sendto);
  ssize_t r = real(fd, buf, n, flags, to, tolen);
  sent(r);
  return r;
}

FATHOM_EXTERN ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
  NEXT(sendmsg);
  ssize_t r = real(fd, msg, flags);
  sent(r);
  return r;
}

FATHOM_EXTERN int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags) {
  NEXT(sendmmsg);
  int r = real(fd, v, n, flags);
  for (int i = 0; i < r; i++) sent((ssize_t)v[i].msg_len);
  return r;
}

FATHOM_EXTERN ssize_t recv(int fd, void *buf, size_t n, int flags) {
  NEXT(recv);
  ssize_t r = real(fd, buf, n, flags);
  got(r);
  return r;
}

FATHOM_EXTERN ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from,
                               socklen_t *fromlen) {
  NEXT(recvfrom);
  ssize_t r = real(fd, buf, n, flags, from, fromlen);
  got(r);
  return r;
}

FATHOM_EXTERN ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
  NEXT(recvmsg);
  ssize_t r = real(fd, msg, flags);
  got(r);
  return r;
}

FATHOM_EXTERN int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags,
                           struct timespec *timeout) {
  NEXT(recvmmsg);
  int r = real(fd, v, n, flags, timeout);
  for (int i = 0; i < r; i++) got((ssize_t)v[i].msg_len);
  return r;
}
