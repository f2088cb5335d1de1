#!/usr/bin/env bash
# test_install.sh: installs the build into a temporary prefix and builds two consumers
# against it, the way a user would:
#   1. a C program built with `pkg-config --cflags --libs [--static] fathom`,
#      once against libfathom.a and once against libfathom.so;
#   2. a CMake project using find_package(fathom CONFIG REQUIRED), linking
#      fathom::fathom (static) and fathom::fathom_shared.
# Environment (set by ctest): FATHOM_BUILD_DIR, FATHOM_SOURCE_DIR, FATHOM_TEST_TMP.
# Prints `install: N passed, M failed`; exits non-zero when anything failed.
set -uo pipefail

src_dir="${FATHOM_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
build_dir="${FATHOM_BUILD_DIR:-$src_dir/build}"
tmp_root="${FATHOM_TEST_TMP:-${TMPDIR:-/tmp}}"
build_dir="$(cd "$build_dir" && pwd)" || { echo "install: no build directory $build_dir" >&2; exit 1; }

mkdir -p "$tmp_root"
work="$(mktemp -d "$tmp_root/install.XXXXXX")"
prefix="$work/prefix"
cleanup() { [[ "${FATHOM_KEEP_TMP:-}" == 1 ]] || rm -rf "$work"; }
trap cleanup EXIT

# The consumers must not pick up a profiling configuration from the caller's environment.
for v in $(compgen -e); do
  [[ "$v" == FATHOM || ( "$v" == FATHOM_* && "$v" != FATHOM_KEEP_TMP ) ]] && unset "$v"
done
unset DESTDIR

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: runs the command, output to $work/last.log (shown on failure).
check() {
  local what="$1"; shift
  if "$@" >"$work/last.log" 2>&1; then
    ok "$what"
    return 0
  fi
  not_ok "$what"
  sed 's/^/    /' "$work/last.log" | tail -40
  return 1
}
finish() {
  echo "install: $pass passed, $fail failed"
  [[ $fail -eq 0 ]]
  exit
}

cache_get() {  # NAME: a value from the build's CMakeCache.txt
  sed -n "s/^$1:[A-Z]*=//p" "$build_dir/CMakeCache.txt" | head -n1
}
libdir="$(cache_get CMAKE_INSTALL_LIBDIR)"; libdir="${libdir:-lib}"
includedir="$(cache_get CMAKE_INSTALL_INCLUDEDIR)"; includedir="${includedir:-include}"
bindir="$(cache_get CMAKE_INSTALL_BINDIR)"; bindir="${bindir:-bin}"
cc="$(cache_get CMAKE_C_COMPILER)"; cc="${cc:-cc}"
version="$(cache_get CMAKE_PROJECT_VERSION)"
generator="$(cache_get CMAKE_GENERATOR)"
# A sanitizer build's libraries need the same runtime in the program that links them.
san_flags=""
case "$(cache_get FATHOM_SANITIZE)" in
  address) san_flags="-fsanitize=address,undefined" ;;
  thread) san_flags="-fsanitize=thread" ;;
esac

# ---- install ---------------------------------------------------------------------------
if ! check "cmake --install into a temporary prefix" cmake --install "$build_dir" --prefix "$prefix"; then
  finish
fi

for f in "$includedir/fathom.h" "$includedir/fathom_findings.h" "$includedir/fathom_live.h" "$includedir/fathom_model.h" "$includedir/fathom_work.h" "$libdir/libfathom.a" "$libdir/libfathom.so.$version" \
         "$bindir/fathom" "$libdir/pkgconfig/fathom.pc" "$libdir/cmake/fathom/fathomConfig.cmake" \
         "$libdir/cmake/fathom/fathomConfigVersion.cmake" "$libdir/cmake/fathom/fathomTargets.cmake"; do
  check "installed $f" test -f "$prefix/$f"
done
soname="$(readelf -d "$prefix/$libdir/libfathom.so.$version" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')"
check "shared library soname is libfathom.so.${version%%.*}" test "$soname" = "libfathom.so.${version%%.*}"
check "soname link libfathom.so.${version%%.*} -> libfathom.so.$version" \
  test "$(readlink "$prefix/$libdir/libfathom.so.${version%%.*}")" = "libfathom.so.$version"
check "development link libfathom.so resolves to libfathom.so.$version" \
  test "$(readlink -f "$prefix/$libdir/libfathom.so")" = "$(readlink -f "$prefix/$libdir/libfathom.so.$version")"
check "installed fathom tool runs (fathom --version)" "$prefix/$bindir/fathom" --version

# ---- the consumer program ------------------------------------------------------------
mkdir -p "$work/consumer"
cat >"$work/consumer/consumer.c" <<'EOF'
/* A program using an installed fathom: one session with nested zones. */
#include <fathom.h>
#include <stdio.h>
#include <string.h>

static double work(int n) {
  FATHOM_FUNC("consumer");
  double s = 0;
  for (int i = 0; i < n; i++) s += i * 0.5;
  return s;
}

int main(void) {
  if (strcmp(fathom_strerror(FATHOM_E_INVAL), "invalid argument") != 0) return 10;
  if (strcmp(fathom_level_name(FATHOM_LEVEL_BASIC), "basic") != 0) return 11;
  fathom_config cfg;
  fathom_config_init(&cfg);
  int rc = fathom_session_begin("install-consumer", &cfg);
  if (rc != 0) {
    fprintf(stderr, "fathom_session_begin: %s\n", fathom_strerror(rc));
    return 12;
  }
  double s = 0;
  for (int i = 0; i < 3; i++) {
    FATHOM_ZONE("outer", "consumer");
    s += work(1000);
  }
  fathom_profile *p = NULL;
  rc = fathom_session_end(&p);
  if (rc != 0 || p == NULL) {
    fprintf(stderr, "fathom_session_end: %s\n", fathom_strerror(rc));
    return 13;
  }
  unsigned long long outer = 0, inner = 0;
  for (uint32_t i = 0; i < p->n_zones; i++) {
    if (strcmp(p->zones[i].name, "outer") == 0) outer = p->zones[i].stats.count;
    if (strcmp(p->zones[i].name, "work") == 0) inner = p->zones[i].stats.count;
  }
  fathom_profile_free(p);
  if (outer != 3 || inner != 3) {
    fprintf(stderr, "expected 3 calls of outer and work, got %llu and %llu\n", outer, inner);
    return 14;
  }
  printf("consumer ok (%s, session: outer=%llu work=%llu, s=%.0f)\n", FATHOM_VERSION_STRING,
         outer, inner, s);
  return 0;
}
EOF

needed_fathom() {  # BINARY: prints the libfathom NEEDED entry, if any
  readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(libfathom[^]]*\)\].*/\1/p'
}
runs_ok() {  # BINARY [LD_LIBRARY_PATH]: runs it, expects "consumer ok"
  local out
  out="$(env ${2:+LD_LIBRARY_PATH="$2"} "$1" 2>&1)"; local rc=$?
  echo "$out"
  [[ $rc -eq 0 && "$out" == *"consumer ok"* ]]
}
static_only() { [[ -z "$(needed_fathom "$1")" ]]; }
shared_dep() { [[ "$(needed_fathom "$1")" == "libfathom.so.${version%%.*}" ]]; }

# ---- 1. pkg-config ---------------------------------------------------------------------
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
check "pkg-config finds fathom $version" test "$(pkg-config --modversion fathom 2>&1)" = "$version"
check "fathom.pc prefix is the install prefix" test "$(pkg-config --variable=prefix fathom)" = "$prefix"
static_libs="$(pkg-config --libs --static fathom)"
check "pkg-config --static --libs has -lfathom -lpthread -ldl -lm ($static_libs)" \
  bash -c '[[ " $1 " == *" -lfathom "* && " $1 " == *" -lpthread "* && " $1 " == *" -ldl "* && " $1 " == *" -lm "* ]]' _ "$static_libs"
cflags="$(pkg-config --cflags fathom)"
# Both libraries are installed and -lfathom would pick the shared one, so the static link
# names the archive: -l:libfathom.a.
# shellcheck disable=SC2086
if check "C consumer: static link with pkg-config --cflags --libs --static" \
     "$cc" -std=c11 -Wall -Wextra -Werror $san_flags $cflags "$work/consumer/consumer.c" \
     -o "$work/consumer/pc_static" ${static_libs//-lfathom/-l:libfathom.a}; then
  check "C consumer (static) does not need libfathom.so" static_only "$work/consumer/pc_static"
  check "C consumer (static) runs" runs_ok "$work/consumer/pc_static"
fi
# shellcheck disable=SC2086,SC2046
if check "C consumer: shared link with pkg-config --cflags --libs" \
     "$cc" -std=c11 -Wall -Wextra -Werror $san_flags $cflags "$work/consumer/consumer.c" \
     -o "$work/consumer/pc_shared" $(pkg-config --libs fathom); then
  check "C consumer (shared) needs libfathom.so.${version%%.*}" shared_dep "$work/consumer/pc_shared"
  check "C consumer (shared) runs with LD_LIBRARY_PATH" runs_ok "$work/consumer/pc_shared" "$prefix/$libdir"
fi

# ---- 2. CMake find_package -------------------------------------------------------------
mkdir -p "$work/cmake-consumer"
cp "$work/consumer/consumer.c" "$work/cmake-consumer/consumer.c"
cat >"$work/cmake-consumer/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.18)
project(fathom_consumer LANGUAGES C)
find_package(fathom 0.1 CONFIG REQUIRED)
add_executable(consumer_static consumer.c)
target_link_libraries(consumer_static PRIVATE fathom::fathom)
add_executable(consumer_shared consumer.c)
target_link_libraries(consumer_shared PRIVATE fathom::fathom_shared)
EOF
gen_args=()
[[ -n "$generator" ]] && gen_args=(-G "$generator")
if check "CMake consumer: configure with find_package(fathom) (CMAKE_PREFIX_PATH)" \
     cmake -S "$work/cmake-consumer" -B "$work/cmake-consumer/build" "${gen_args[@]}" \
     -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
     -DCMAKE_C_FLAGS="-Wall -Wextra -Werror $san_flags" -DCMAKE_EXE_LINKER_FLAGS="$san_flags" \
     -DCMAKE_SKIP_RPATH=ON; then
  check "CMake consumer: fathom_DIR is the installed package" \
    grep -qx "fathom_DIR:PATH=$prefix/$libdir/cmake/fathom" "$work/cmake-consumer/build/CMakeCache.txt"
  if check "CMake consumer: build" cmake --build "$work/cmake-consumer/build"; then
    check "CMake consumer (fathom::fathom) does not need libfathom.so" \
      static_only "$work/cmake-consumer/build/consumer_static"
    check "CMake consumer (fathom::fathom) runs" runs_ok "$work/cmake-consumer/build/consumer_static"
    check "CMake consumer (fathom::fathom_shared) needs libfathom.so.${version%%.*}" \
      shared_dep "$work/cmake-consumer/build/consumer_shared"
    check "CMake consumer (fathom::fathom_shared) runs with LD_LIBRARY_PATH" \
      runs_ok "$work/cmake-consumer/build/consumer_shared" "$prefix/$libdir"
  fi
fi
mkdir -p "$work/cmake-version"
cat >"$work/cmake-version/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.18)
project(fathom_version_check LANGUAGES C)
find_package(fathom 9.0 CONFIG QUIET)
if(fathom_FOUND)
  message(FATAL_ERROR "find_package(fathom 9.0) accepted version ${fathom_VERSION}")
endif()
EOF
check "CMake package version file rejects find_package(fathom 9.0)" \
  cmake -S "$work/cmake-version" -B "$work/cmake-version/build" "${gen_args[@]}" -DCMAKE_PREFIX_PATH="$prefix"

finish
