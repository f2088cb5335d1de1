#!/usr/bin/env bash
# test_autostart_link.sh: FATHOM_OUT / FATHOM=1 with programs linked the ways users link them,
# against an installed copy of this build (a temporary prefix):
#   - programs that only use the zone macros, or only -finstrument-functions, linked with
#     libfathom.a through the pkg-config recipe of docs/building.md and through CMake's
#     fathom::fathom, start a session and write FATHOM_OUT (the anchor in record.c);
#   - a profile asked for that comes out empty, or misses a module, says why on stderr,
#     once, with the fix: hooks bound to glibc's empty ones (an instrumented shared library
#     loaded before libfathom.so), a FATHOM_EXCLUDE pattern matching the program itself, no
#     zone at all; and says nothing when the profile is fine.
# Environment (set by ctest): FATHOM_BUILD_DIR, FATHOM_SOURCE_DIR, FATHOM_TEST_TMP.
set -uo pipefail

build="$(cd "${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}" && pwd)"
mkdir -p "${FATHOM_TEST_TMP:?FATHOM_TEST_TMP not set}"
W="$(mktemp -d "$FATHOM_TEST_TMP/autostart_link.XXXXXX")" || exit 1
trap '[[ "$FATHOM_KEEP_TMP" == 1 ]] || rm -rf "$W"' EXIT
keep="${FATHOM_KEEP_TMP:-}"
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^FATHOM(_|$)')   # no profiling config
FATHOM_KEEP_TMP="$keep"

npass=0
nfail=0
say_fail() { nfail=$((nfail + 1)); printf 'not ok - %s\n' "$1"; shift; printf '    %s\n' "$@"; }
say_ok() { npass=$((npass + 1)); printf 'ok - %s\n' "$1"; }
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt" | head -n1; }

CC="$(cache CMAKE_C_COMPILER)"
LIBDIR="$(cache CMAKE_INSTALL_LIBDIR)"
case "$(cache FATHOM_SANITIZE)" in
  address) SAN=(-fsanitize=address,undefined) ;;
  thread) SAN=(-fsanitize=thread) ;;
  *) SAN=() ;;
esac
P="$W/prefix"
if ! cmake --install "$build" --prefix "$P" >"$W/install.log" 2>&1; then
  say_fail "install into $P" "$(tail -5 "$W/install.log")"
  exit 1
fi
export PKG_CONFIG_PATH="$P/${LIBDIR:-lib}/pkgconfig"
STATIC=$(pkg-config --cflags --libs --static fathom | sed 's/-lfathom/-l:libfathom.a/')

# ---- the programs ------------------------------------------------------------------------
mkdir -p "$W/src"
cat >"$W/src/zones.c" <<'EOF'
#include <fathom.h>
static int work(int n) { FATHOM_ZONE("work", "app"); int s = 0; for (int i = 0; i < n; i++) s += i; return s; }
int main(void) { int s = 0; for (int i = 0; i < 10; i++) s += work(1000); return s == 0; }
EOF
cat >"$W/src/hooks.c" <<'EOF'
__attribute__((noinline)) static int work(int n) { volatile int s = 0; for (int i = 0; i < n; i++) s += i; return s; }
int main(void) { int s = 0; for (int i = 0; i < 10; i++) s += work(1000); return s == 0; }
EOF
cat >"$W/src/idle.c" <<'EOF'
#include <fathom.h>
int main(int argc, char **argv) { (void)argv; if (argc > 5) { FATHOM_ZONE("never", "app"); } return 0; }
EOF
cat >"$W/src/plugin.c" <<'EOF'
__attribute__((noinline)) int plugin_work(int n) { volatile int s = 0; for (int i = 0; i < n; i++) s += i; return s; }
int plugin_run(void) { int s = 0; for (int i = 0; i < 10; i++) s += plugin_work(1000); return s; }
EOF
cat >"$W/src/uses_plugin.c" <<'EOF'
int plugin_run(void);
int main(void) { return plugin_run() == 0; }
EOF

# build NAME CMD...: runs the build command, output in $W/NAME.build.log
build_ok() {
  local name=$1; shift
  if "$@" >"$W/$name.build.log" 2>&1; then return 0; fi
  say_fail "build $name" "$(tail -8 "$W/$name.build.log")"
  return 1
}
# run_prog NAME ENV... -- PROGRAM: runs it with the environment given; stderr in $W/NAME.err
run_prog() {
  local name=$1; shift
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" "$@" >"$W/$name.out" 2>"$W/$name.err"
}
# expect_row NAME FILE ROW: FILE is a CSV profile with a row starting with ROW
expect_row() {
  if [[ -f "$2" ]] && grep -q "^$3" "$2"; then say_ok "$1"; else
    say_fail "$1" "no row '$3' in $2 ($( [[ -f "$2" ]] && echo present || echo missing))" \
      "stderr: $(cat "$W/$1.err" 2>/dev/null)"; fi
}
# expect_err NAME COUNT TEXT: the run's stderr holds TEXT exactly COUNT times
expect_err() {
  local n
  n=$(grep -cF -- "$3" "$W/$1.err")
  if [[ "$n" == "$2" ]]; then say_ok "$1: stderr has '$3' $2 time(s)"; else
    say_fail "$1: stderr has '$3' $n time(s), want $2" "stderr: $(cat "$W/$1.err")"; fi
}

# ---- 1. libfathom.a: the zone macros alone, the hooks alone -------------------------------
# shellcheck disable=SC2086
if build_ok pc_zones "$CC" -std=gnu11 "${SAN[@]}" "$W/src/zones.c" -o "$W/pc_zones" $STATIC; then
  run_prog pc_zones FATHOM_OUT="$W/pc_zones.csv" -- "$W/pc_zones"
  expect_row pc_zones "$W/pc_zones.csv" "work,work,app,"
  expect_err pc_zones 0 "fathom:"
fi
# shellcheck disable=SC2086
if build_ok pc_hooks "$CC" -std=gnu11 "${SAN[@]}" -finstrument-functions "$W/src/hooks.c" \
     -o "$W/pc_hooks" $STATIC; then
  run_prog pc_hooks FATHOM_OUT="$W/pc_hooks.csv" -- "$W/pc_hooks"
  expect_row pc_hooks "$W/pc_hooks.csv" "main/work,work,functions,"
  # FATHOM_EXCLUDE matching the program's own file: everything excluded, said once
  run_prog pc_hooks_excluded FATHOM_OUT="$W/excl.csv" FATHOM_EXCLUDE="pc_hook*" -- "$W/pc_hooks"
  expect_err pc_hooks_excluded 1 "FATHOM_EXCLUDE pattern 'pc_hook*' matches the program itself"
  expect_err pc_hooks_excluded 1 "fathom:"
  # a pattern that leaves something to record: no message
  run_prog pc_hooks_main_excluded FATHOM_OUT="$W/excl2.csv" FATHOM_EXCLUDE="main" -- "$W/pc_hooks"
  expect_err pc_hooks_main_excluded 0 "fathom:"
fi

mkdir -p "$W/cm"
cp "$W/src/zones.c" "$W/src/hooks.c" "$W/cm/"
cat >"$W/cm/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.18)
project(autostart_consumer LANGUAGES C)
find_package(fathom CONFIG REQUIRED)
add_executable(cm_zones zones.c)
target_link_libraries(cm_zones PRIVATE fathom::fathom)
add_executable(cm_hooks hooks.c)
target_compile_options(cm_hooks PRIVATE -finstrument-functions)
target_link_libraries(cm_hooks PRIVATE fathom::fathom)
EOF
if build_ok cmake_configure cmake -S "$W/cm" -B "$W/cm/b" -G "$(cache CMAKE_GENERATOR)" \
     -DCMAKE_PREFIX_PATH="$P" -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="${SAN[*]}" \
     -DCMAKE_EXE_LINKER_FLAGS="${SAN[*]}" &&
   build_ok cmake_build cmake --build "$W/cm/b"; then
  run_prog cm_zones FATHOM_OUT="$W/cm_zones.csv" -- "$W/cm/b/cm_zones"
  expect_row cm_zones "$W/cm_zones.csv" "work,work,app,"
  run_prog cm_hooks FATHOM_OUT="$W/cm_hooks.csv" -- "$W/cm/b/cm_hooks"
  expect_row cm_hooks "$W/cm_hooks.csv" "main/work,work,functions,"
fi

# ---- 2. a profile that comes out empty says why --------------------------------------------
# shellcheck disable=SC2086
if build_ok idle "$CC" -std=gnu11 "${SAN[@]}" "$W/src/idle.c" -o "$W/idle" $STATIC; then
  run_prog idle FATHOM_OUT="$W/idle.csv" -- "$W/idle"
  expect_err idle 1 "fathom: the session recorded no zones"
  expect_err idle 1 "add FATHOM_ZONE"
  run_prog idle_report FATHOM=1 -- "$W/idle"     # the text report on stderr, then the reason
  expect_err idle_report 1 "fathom: the session recorded no zones"
fi

# ---- 3. an instrumented shared library whose hooks resolve to glibc's -----------------------
# The program links only libplugin.so, which links libfathom.so: the dynamic linker searches
# the program's own libraries (libc) before libplugin's (libfathom), so the plugin's hook calls
# go to glibc's empty __cyg_profile_func_enter and the profile stays empty.
L="$P/${LIBDIR:-lib}"
if build_ok plugin "$CC" -std=gnu11 "${SAN[@]}" -shared -fPIC -finstrument-functions \
     "$W/src/plugin.c" -o "$W/libplugin.so" -L"$L" -lfathom &&
   build_ok uses_plugin "$CC" -std=gnu11 "${SAN[@]}" "$W/src/uses_plugin.c" -o "$W/uses_plugin" \
     -L"$W" -lplugin &&
   build_ok uses_plugin_fixed "$CC" -std=gnu11 "${SAN[@]}" "$W/src/uses_plugin.c" \
     -o "$W/uses_plugin_fixed" -L"$W" -lplugin -L"$L" -Wl,--no-as-needed -lfathom; then
  run_prog plugin_bound_to_libc LD_LIBRARY_PATH="$W:$L" FATHOM_OUT="$W/plugin.csv" -- "$W/uses_plugin"
  expect_err plugin_bound_to_libc 1 "libplugin.so was built with -finstrument-functions, but its hook calls go to"
  expect_err plugin_bound_to_libc 1 "-Wl,--no-as-needed -lfathom"
  expect_err plugin_bound_to_libc 0 "the session recorded no zones"   # the cause was given
  # the fix the message gives works: the plugin's functions are recorded, nothing said
  run_prog plugin_fixed LD_LIBRARY_PATH="$W:$L" FATHOM_OUT="$W/plugin_fixed.csv" -- "$W/uses_plugin_fixed"
  expect_row plugin_fixed "$W/plugin_fixed.csv" "plugin_run/plugin_work,plugin_work,functions,"
  expect_err plugin_fixed 0 "fathom:"
fi

echo "autostart_link: $npass passed, $nfail failed"
[[ $nfail -eq 0 ]]
