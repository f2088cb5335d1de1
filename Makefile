# Top-level convenience Makefile for fathom. The real build is CMake (CMakeLists.txt);
# this file only drives it. `make help` lists the targets.
#
# Variables (set on the command line or in the environment):
#   BUILD_DIR=build       build directory of the normal build
#   ASAN_DIR=build-asan   build directory of the ASan+UBSan build (make sanitize)
#   TSAN_DIR=build-tsan   build directory of the TSan build (make sanitize)
#   WERROR=1              warnings are errors (also when CI=true)
#   CMAKE_ARGS=...        extra arguments for the cmake configure step
#   CTEST_ARGS=...        extra arguments for ctest (e.g. -R json, -LE slow)
#   JOBS=N                parallel build jobs (default: number of CPUs)
#   CTEST_JOBS=N          test groups run in parallel (default 2)
#   PREFIX=/usr/local     install prefix; DESTDIR is honoured by `make install`
#   FUZZ_DIR=build-fuzz   build directory of the libFuzzer harnesses (make fuzz)
#   FUZZ_SECONDS=60       how long `make fuzz` runs each harness

SHELL := /bin/bash
.DEFAULT_GOAL := build

BUILD_DIR ?= build
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_JOBS ?= 2
CMAKE_ARGS ?=
CTEST_ARGS ?=
DEMO_OUT ?= out/demo
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60

GENERATOR := $(if $(shell command -v ninja 2>/dev/null),Ninja,Unix Makefiles)

ifeq ($(or $(filter true True TRUE 1 yes,$(CI)),$(filter 1 ON on yes true,$(WERROR))),)
  FATHOM_WERROR := OFF
else
  FATHOM_WERROR := ON
endif
# Sanitizer instrumentation makes GCC emit false-positive warnings (-Wstringop-overflow,
# -Wmaybe-uninitialized), so the sanitizer builds do not use -Werror unless asked to with
# SANITIZE_WERROR=ON; the normal build already enforces warnings in CI.
SANITIZE_WERROR ?= OFF

ASAN_OPTIONS_RUN ?= detect_leaks=1:abort_on_error=1
UBSAN_OPTIONS_RUN ?= print_stacktrace=1:halt_on_error=1
TSAN_OPTIONS_RUN ?= halt_on_error=1:second_deadlock_stack=1

# $(call configure,DIR,EXTRA-CMAKE-ARGS): configure DIR (the generator is chosen only the
# first time; an existing build directory keeps its own).
define configure
	@if [ -f "$(1)/CMakeCache.txt" ]; then \
	  out="$$(cmake -S . -B "$(1)" $(2) $(CMAKE_ARGS) 2>&1)" || { echo "$$out"; exit 1; }; \
	else \
	  echo "== configure $(1) ($(GENERATOR))"; \
	  cmake -S . -B "$(1)" -G "$(GENERATOR)" $(2) $(CMAKE_ARGS); \
	fi
endef

# $(call build_dir,DIR,EXTRA-CMAKE-ARGS): configure and build DIR.
define build_dir
	$(call configure,$(1),$(2))
	@echo "== build $(1)"
	cmake --build "$(1)" -j $(JOBS)
endef

.PHONY: all build deps demo examples test bench realworld sanitize sanitize-asan sanitize-tsan fuzz install clean help

all: build

deps:
	@bash scripts/deps.sh

build:
	@bash scripts/deps.sh --build --quiet
	$(call build_dir,$(BUILD_DIR),-DFATHOM_WERROR=$(FATHOM_WERROR))

demo: build
	@mkdir -p "$(DEMO_OUT)"
	@echo "== demo: $(BUILD_DIR)/demo_pipeline $(DEMO_OUT)"
	"$(BUILD_DIR)/demo_pipeline" "$(DEMO_OUT)"
	@echo "== files in $(DEMO_OUT):"
	@ls -l "$(DEMO_OUT)"

# The workload examples, each printing its result and writing it to $(DEMO_OUT)/.
examples: build
	@mkdir -p "$(DEMO_OUT)"
	@echo "== examples: $(BUILD_DIR)/parallel_map (a CPU-bound and an I/O-bound map, auto-tuned)"
	FATHOM_OUT="$(DEMO_OUT)/parallel_map.json" "$(BUILD_DIR)/parallel_map"
	@echo "== examples: $(BUILD_DIR)/variants_example $(DEMO_OUT)/variants.json"
	"$(BUILD_DIR)/variants_example" "$(DEMO_OUT)/variants.json"
	@echo "== examples: $(BUILD_DIR)/batch_loader $(DEMO_OUT)/batch_loader.json (loader configurations compared)"
	"$(BUILD_DIR)/batch_loader" "$(DEMO_OUT)/batch_loader.json"
	@echo "== examples: $(BUILD_DIR)/preprocess $(DEMO_OUT)/preprocess.json (a pipeline step by step)"
	"$(BUILD_DIR)/preprocess" "$(DEMO_OUT)/preprocess.json"
	@echo "== examples: $(BUILD_DIR)/growth_events $(DEMO_OUT)/growth_events.json (strategies ranked by gain per second)"
	"$(BUILD_DIR)/growth_events" "$(DEMO_OUT)/growth_events.json"
	@echo "== examples: $(BUILD_DIR)/lock_contention $(DEMO_OUT)/lock_contention.json (one lock, then striped locks)"
	"$(BUILD_DIR)/lock_contention" "$(DEMO_OUT)/lock_contention.json"
	@echo "== examples: $(BUILD_DIR)/profilers $(DEMO_OUT)/profilers.json (one named profiler per implementation)"
	"$(BUILD_DIR)/profilers" "$(DEMO_OUT)/profilers.json"
	@echo "== examples: $(BUILD_DIR)/levels_example $(DEMO_OUT)/levels.json (a level per component, I/O switched off)"
	"$(BUILD_DIR)/levels_example" "$(DEMO_OUT)/levels.json"
	@echo "== examples: $(BUILD_DIR)/sqlite_slow $(DEMO_OUT)/sqlite_slow.json (a query without and with an index)"
	"$(BUILD_DIR)/sqlite_slow" "$(DEMO_OUT)/sqlite_slow.json"
	@echo "== examples: $(BUILD_DIR)/http_client $(DEMO_OUT)/http_client.json (libcurl requests per endpoint, one slow)"
	FATHOM_CURL=1 "$(BUILD_DIR)/http_client" "$(DEMO_OUT)/http_client.json"
	@echo "== examples: $(BUILD_DIR)/latency_window $(DEMO_OUT)/latency_window.json (a slowdown the run's p95 hides, a rolling window shows)"
	"$(BUILD_DIR)/latency_window" "$(DEMO_OUT)/latency_window.json"
	@echo "== examples: $(BUILD_DIR)/ext_profiler $(DEMO_OUT)/ext_profiler.json (an extension: a pool's hits and misses per zone)"
	"$(BUILD_DIR)/ext_profiler" "$(DEMO_OUT)/ext_profiler.json"
	@echo "== examples: fathom bench of two sorts (examples/bench_sorts.sh)"
	bash examples/bench_sorts.sh "$(BUILD_DIR)" "$(DEMO_OUT)"

test:
	@bash scripts/deps.sh --quiet
	$(call build_dir,$(BUILD_DIR),-DFATHOM_WERROR=$(FATHOM_WERROR))
	@echo "== test $(BUILD_DIR)"
	ctest --test-dir "$(BUILD_DIR)" --output-on-failure -j $(CTEST_JOBS) $(CTEST_ARGS)

bench: build
	@if [ ! -f bench/run.sh ]; then echo "bench: bench/run.sh does not exist yet" >&2; exit 1; fi
	bash bench/run.sh "$(BUILD_DIR)"

# A real program profiled as the README tells users to: zstd from Debian's source package,
# built with -finstrument-functions and libfathom.a (bench/realworld/run.sh; not run by CI).
# Prints BENCH lines, or BENCH-SKIP when the sources cannot be fetched (never a failure then).
realworld: build
	bash bench/realworld/run.sh "$(BUILD_DIR)"

# Both builds run even when the first fails; the target fails if either did.
sanitize:
	@rc=0; \
	$(MAKE) --no-print-directory sanitize-asan || rc=1; \
	$(MAKE) --no-print-directory sanitize-tsan || rc=1; \
	if [ $$rc -ne 0 ]; then echo "== sanitize: FAILED (see above)" >&2; else echo "== sanitize: both builds passed"; fi; \
	exit $$rc

sanitize-asan:
	@bash scripts/deps.sh --quiet
	$(call build_dir,$(ASAN_DIR),-DFATHOM_SANITIZE=address -DFATHOM_WERROR=$(SANITIZE_WERROR))
	@echo "== test $(ASAN_DIR) (ASan+UBSan)"
	ASAN_OPTIONS=$(ASAN_OPTIONS_RUN) UBSAN_OPTIONS=$(UBSAN_OPTIONS_RUN) \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  ctest --test-dir "$(ASAN_DIR)" --output-on-failure -j $(CTEST_JOBS) $(CTEST_ARGS)

# TSan needs its fixed memory layout; on kernels with many mmap randomisation bits it dies
# with "unexpected memory mapping". A probe program finds out, and then the tests run with
# address-space randomisation disabled (setarch -R) when that is possible.
sanitize-tsan:
	@bash scripts/deps.sh --quiet
	$(call build_dir,$(TSAN_DIR),-DFATHOM_SANITIZE=thread -DFATHOM_WERROR=$(SANITIZE_WERROR))
	@set -e; \
	probe="$(TSAN_DIR)/tsan-probe"; \
	printf '#include <pthread.h>\nstatic void *f(void *a) { return a; }\nint main(void) { pthread_t t; if (pthread_create(&t, 0, f, 0)) return 1; return pthread_join(t, 0); }\n' \
	  | $(CC) -x c -fsanitize=thread -o "$$probe" - -lpthread; \
	prefix=""; \
	if ! TSAN_OPTIONS=$(TSAN_OPTIONS_RUN) "$$probe" >"$$probe.log" 2>&1; then \
	  if setarch "$$(uname -m)" -R true 2>/dev/null && \
	     TSAN_OPTIONS=$(TSAN_OPTIONS_RUN) setarch "$$(uname -m)" -R "$$probe" >/dev/null 2>&1; then \
	    echo "== TSan cannot run with ASLR here ($$(head -c 200 "$$probe.log" | tr '\n' ' ')); using setarch -R"; \
	    prefix="setarch $$(uname -m) -R"; \
	  else \
	    echo "== TSan does not work on this machine:" >&2; cat "$$probe.log" >&2; exit 1; \
	  fi; \
	fi; \
	echo "== test $(TSAN_DIR) (TSan; TSAN_OPTIONS=$(TSAN_OPTIONS_RUN))"; \
	TSAN_OPTIONS=$(TSAN_OPTIONS_RUN) $$prefix ctest --test-dir "$(TSAN_DIR)" --output-on-failure -j $(CTEST_JOBS) $(CTEST_ARGS)

# libFuzzer harnesses (fuzz/): clang with -fsanitize=fuzzer,address,undefined, each harness
# run FUZZ_SECONDS with its seeds and dictionary; fails on any crash, leak or hang.
fuzz:
	FUZZ_SECONDS="$(FUZZ_SECONDS)" FUZZ_DIR="$(FUZZ_DIR)" JOBS="$(JOBS)" bash fuzz/run.sh

install: build
	@echo "== install to $(DESTDIR)$(PREFIX)"
	DESTDIR="$(DESTDIR)" cmake --install "$(BUILD_DIR)" --prefix "$(PREFIX)"

clean:
	rm -rf "$(BUILD_DIR)" "$(ASAN_DIR)" "$(TSAN_DIR)" "$(FUZZ_DIR)" "$(DEMO_OUT)"

help:
	@echo "fathom make targets:"
	@echo "  make / make build   check dependencies, configure (cmake, $(GENERATOR)) and build in $(BUILD_DIR)/"
	@echo "  make demo           build, run $(BUILD_DIR)/demo_pipeline $(DEMO_OUT) and list the files it wrote"
	@echo "  make examples       build, then run the workload examples (parallel map, variant ranking, batch loader, pipeline, fathom bench) into $(DEMO_OUT)/"
	@echo "  make test           build, then run every test group with ctest"
	@echo "  make bench          build, then run the benchmarks (bench/run.sh)"
	@echo "  make realworld      build, then profile zstd (Debian source package) as a user would (bench/realworld/run.sh)"
	@echo "  make sanitize       ASan+UBSan build in $(ASAN_DIR)/ and TSan build in $(TSAN_DIR)/, each running the tests"
	@echo "                      (also: make sanitize-asan, make sanitize-tsan)"
	@echo "  make fuzz           build the libFuzzer harnesses (clang) in $(FUZZ_DIR)/ and run each FUZZ_SECONDS (60)"
	@echo "  make install        install to PREFIX (default /usr/local); honours DESTDIR"
	@echo "  make deps           check (and as root, install) build and test dependencies"
	@echo "  make clean          remove $(BUILD_DIR)/, $(ASAN_DIR)/, $(TSAN_DIR)/, $(FUZZ_DIR)/ and $(DEMO_OUT)/"
	@echo "variables: WERROR=1 (or CI=true) warnings are errors; JOBS=N; CMAKE_ARGS=...; CTEST_ARGS=...;"
	@echo "           BUILD_DIR/ASAN_DIR/TSAN_DIR/FUZZ_DIR=dir; FUZZ_SECONDS=N; PREFIX=dir; DESTDIR=dir"
