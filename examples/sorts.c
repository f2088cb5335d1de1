/* sorts.c: sorts N pseudo-random 32-bit keys with the C library's qsort and a comparison
 * function, or with a least-significant-digit radix sort (four passes of 8 bits), and prints
 * a checksum of the sorted keys (the same for both). A command to compare with `fathom bench`
 * (examples/bench_sorts.sh): two commands, one program, and its functions named in the
 * profiles.
 *
 *   sorts qsort|radix [N]     N keys (default 2,000,000) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_keys(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static void radix_pass(const uint32_t *in, uint32_t *out, size_t n, int shift) {
  size_t count[257] = {0};
  for (size_t i = 0; i < n; i++) count[((in[i] >> shift) & 255) + 1]++;
  for (int d = 0; d < 256; d++) count[d + 1] += count[d];
  for (size_t i = 0; i < n; i++) out[count[(in[i] >> shift) & 255]++] = in[i];
}

static int radix_sort(uint32_t *a, size_t n) {
  uint32_t *tmp = malloc(n * sizeof *tmp);
  if (!tmp) return -1;
  for (int shift = 0; shift < 32; shift += 16) {
    radix_pass(a, tmp, n, shift);
    radix_pass(tmp, a, n, shift + 8);
  }
  free(tmp);
  return 0;
}

int main(int argc, char **argv) {
  const char *how = argc > 1 ? argv[1] : "";
  long n = argc > 2 ? atol(argv[2]) : 2000000;
  if ((strcmp(how, "qsort") && strcmp(how, "radix")) || n <= 0 || n > 500000000) {
    fprintf(stderr, "usage: sorts qsort|radix [N]   (N keys, 1 to 500000000)\n");
    return 2;
  }
  uint32_t *a = malloc((size_t)n * sizeof *a);
  if (!a) {
    fprintf(stderr, "sorts: out of memory for %ld keys\n", n);
    return 1;
  }
  uint64_t s = 88172645463325252ull;
  for (long i = 0; i < n; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    a[i] = (uint32_t)s;
  }
  if (!strcmp(how, "qsort")) qsort(a, (size_t)n, sizeof *a, cmp_keys);
  else if (radix_sort(a, (size_t)n)) {
    fprintf(stderr, "sorts: out of memory\n");
    return 1;
  }
  uint64_t sum = 0;
  for (long i = 1; i < n; i++) {
    if (a[i - 1] > a[i]) {
      fprintf(stderr, "sorts: not sorted at %ld\n", i);
      return 1;
    }
    sum = sum * 31 + a[i];
  }
  printf("%s: %ld keys sorted, checksum %016llx\n", how, n, (unsigned long long)sum);
  free(a);
  return 0;
}
