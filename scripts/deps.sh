#!/usr/bin/env bash
# deps.sh: checks the tools and Debian packages needed to build and test fathom.
#
#   bash scripts/deps.sh            everything: build + tests (nodejs, npm)
#   bash scripts/deps.sh --build    only what building needs
#   bash scripts/deps.sh --fuzz     what building needs, and clang with libFuzzer (make fuzz)
#   bash scripts/deps.sh --check    report only, never install (exit 1 if anything is missing)
#
# When something is missing and this runs as root (and --check was not given), it installs
# the missing Debian packages with apt-get (apt-get update first only when the package lists
# are absent or do not know a package). Otherwise it prints the packages to install and
# exits 1. When everything is present it makes no apt call at all.
set -euo pipefail

want_tests=1
want_fuzz=0
may_install=1
quiet=0
for arg in "$@"; do
  case "$arg" in
    --build) want_tests=0 ;;
    --fuzz) want_tests=0; want_fuzz=1 ;;
    --check) may_install=0 ;;
    --quiet|-q) quiet=1 ;;
    -h|--help)
      sed -n '2,12s/^# \{0,1\}//p' "$0"
      exit 0 ;;
    *) echo "deps.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
[[ "${FATHOM_DEPS_NO_INSTALL:-}" == 1 ]] && may_install=0

say() { [[ $quiet == 1 ]] || echo "deps: $*"; }

have_cmd() { command -v "$1" >/dev/null 2>&1; }

# A Debian package is installed (dpkg knows it as "install ok installed").
have_pkg() {
  have_cmd dpkg-query || return 1
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

# A library usable through pkg-config, or at least its Debian package installed.
have_lib() {  # pkg-config-name debian-package
  if have_cmd pkg-config && pkg-config --exists "$1" 2>/dev/null; then return 0; fi
  have_pkg "$2"
}

missing=()      # Debian packages to install
why=()          # what each one is for

need() {  # package reason
  local p
  for p in "${missing[@]:-}"; do [[ "$p" == "$1" ]] && return 0; done
  missing+=("$1"); why+=("$2")
}

# ---- build ---------------------------------------------------------------------------
have_cmd cmake || need cmake "cmake (configure, >= 3.18)"
if have_cmd cmake; then
  ver="$(cmake --version 2>/dev/null | sed -n '1s/^cmake version \([0-9.]*\).*/\1/p')"
  maj="${ver%%.*}"; rest="${ver#*.}"; min="${rest%%.*}"
  if [[ -n "$ver" ]] && { (( maj < 3 )) || { (( maj == 3 )) && (( min < 18 )); }; }; then
    echo "deps: cmake $ver is too old; fathom needs cmake >= 3.18" >&2
    exit 1
  fi
fi
have_cmd make || need make "make (the top-level Makefile)"
have_cmd gcc || need gcc "gcc (C11 compiler)"
have_cmd g++ || need g++ "g++ (the CMake project enables C++)"
have_cmd pkg-config || need pkg-config "pkg-config (finds jansson and cmocka)"
have_lib jansson libjansson-dev || need libjansson-dev "jansson (profile loader)"
have_lib cmocka libcmocka-dev || need libcmocka-dev "cmocka (unit tests)"
have_lib sqlite3 libsqlite3-dev || need libsqlite3-dev "SQLite (the statement profiling test)"
have_lib libcurl libcurl4-openssl-dev || need libcurl4-openssl-dev "libcurl (the network requests test and example)"
have_lib libdw libdw-dev || need libdw-dev "elfutils libdw (fathom run: unwinding and source lines)"

# ---- tests ---------------------------------------------------------------------------
if [[ $want_tests == 1 ]]; then
  have_cmd node || need nodejs "node (JavaScript-based test checks)"
  have_cmd npm || need npm "npm (test tooling)"
  have_cmd chromium || need chromium "chromium (headless browser: the HTML report test)"
  have_cmd go || need golang-go "go (go tool pprof reads the pprof view back in its test)"
  have_cmd promtool || need prometheus "promtool (the live tests check /metrics with it)"
  have_cmd curl || need curl "curl (the live endpoint tests fetch with it)"
  have_cmd hyperfine || need hyperfine "hyperfine (bench/bench_cmd.sh times commands with it beside fathom bench)"
  [[ -f /usr/share/i18n/locales/de_DE ]] && have_cmd localedef ||
    need locales "locale sources (the tests compile a decimal-comma locale with localedef)"
fi

# ---- fuzzing (make fuzz) --------------------------------------------------------------
# clang's libFuzzer runtime is in libclang-rt-dev, only recommended by clang: a probe links
# an empty harness with -fsanitize=fuzzer,address,undefined.
if [[ $want_fuzz == 1 ]]; then
  if ! have_cmd clang; then
    need clang "clang (the libFuzzer harnesses, make fuzz)"
    need libclang-rt-dev "clang's libFuzzer and sanitizer runtimes (make fuzz)"
  elif ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }' |
      clang -x c -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1; then
    need libclang-rt-dev "clang's libFuzzer and sanitizer runtimes (make fuzz)"
  fi
fi

if ! have_cmd ninja; then
  say "note: ninja not found; the build uses Unix Makefiles (apt-get install ninja-build for faster builds)"
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  say "all build$([[ $want_tests == 1 ]] && echo ' and test')$([[ $want_fuzz == 1 ]] && echo ' and fuzz') dependencies present"
  exit 0
fi

echo "deps: missing:" >&2
for i in "${!missing[@]}"; do
  printf '  %-16s %s\n' "${missing[$i]}" "${why[$i]}" >&2
done

if [[ $may_install == 0 || "$(id -u)" != 0 ]] || ! have_cmd apt-get; then
  echo "deps: install them with:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# apt-get update only when the lists are absent or do not know one of the packages.
lists_know_all() {
  compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || return 1
  local p cand
  for p in "${missing[@]}"; do
    cand="$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')"
    [[ -n "$cand" && "$cand" != "(none)" ]] || return 1
  done
}

updated=0
if ! lists_know_all; then
  echo "deps: running apt-get update (package lists missing or stale)" >&2
  apt-get update
  updated=1
fi
echo "deps: installing: ${missing[*]}" >&2
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
  if [[ $updated == 1 ]]; then
    echo "deps: apt-get install failed" >&2
    exit 1
  fi
  echo "deps: apt-get install failed; retrying after apt-get update" >&2
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
echo "deps: installed ${missing[*]}" >&2
