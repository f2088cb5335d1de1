// test_cxx.cpp: the public header from C++: scoped zones (ended on return and on exception
// unwinding), FATHOM_FUNC, manual zones with metrics, counters, and the model read back.
#include <fathom.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

static int failures = 0, passes = 0;
#define CHECK(cond)                                                        \
  do {                                                                     \
    if (cond) {                                                            \
      passes++;                                                            \
    } else {                                                               \
      failures++;                                                          \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                      \
  } while (0)
#define CHECK_EQ(a, b)                                                                       \
  do {                                                                                       \
    unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);           \
    if (a_ == b_) {                                                                          \
      passes++;                                                                              \
    } else {                                                                                 \
      failures++;                                                                            \
      std::fprintf(stderr, "%s:%d: %s == %s failed: %llu != %llu\n", __FILE__, __LINE__, #a, \
                   #b, a_, b_);                                                              \
    }                                                                                        \
  } while (0)

static const fathom_zone_info *zone(const fathom_profile *p, const char *name) {
  for (uint32_t i = 0; i < p->n_zones; i++)
    if (std::strcmp(p->zones[i].name, name) == 0) return &p->zones[i];
  return nullptr;
}

static void may_throw(int i) {
  FATHOM_ZONE("may_throw", "cxx");
  if (i % 2) throw std::runtime_error("odd");
}

template <typename T>
static T twice(T v) {
  FATHOM_FUNC("cxx");
  return v + v;
}

int main() {
  fathom_config cfg;
  fathom_config_init(&cfg);
  CHECK_EQ(fathom_session_begin("cxx", &cfg), 0);
  int caught = 0;
  for (int i = 0; i < 10; i++) {
    FATHOM_ZONE("loop", "cxx");
    try {
      may_throw(i);
    } catch (const std::exception &) {
      caught++;
    }
  }
  CHECK_EQ(twice(21), 42);
  CHECK(twice(std::string("ab")) == "abab");
  fathom_zone z = fathom_zone_begin("manual", "cxx");
  fathom_metric m[] = {{"bytes", 10.0}};
  CHECK_EQ(fathom_zone_end_metrics(z, m, 1), 0);
  FATHOM_COUNTER_ADD("items", 3);
  fathom_profile *p = nullptr;
  CHECK_EQ(fathom_session_end(&p), 0);
  CHECK(p != nullptr);
  if (p) {
    CHECK_EQ(caught, 5);
    const fathom_zone_info *mt = zone(p, "may_throw"), *lp = zone(p, "loop");
    CHECK(mt && lp);
    if (mt) CHECK_EQ(mt->stats.count, 10);  // ended by unwinding too
    if (lp) CHECK_EQ(lp->stats.count, 10);
    CHECK(zone(p, "manual") != nullptr);
    // every thread's stack is balanced: no zone left open
    for (uint32_t i = 0; i < p->n_threads; i++) CHECK_EQ(p->threads[i].n_open, 0);
    CHECK_EQ(p->meta.misuse, 0);
    fathom_profile_free(p);
  }
  std::printf("cxx: %d passed, %d failed\n", passes, failures);
  return failures != 0;
}
