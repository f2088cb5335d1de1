#!/usr/bin/env bash
# build.sh BUILD_DIR: builds the Lua 5.4 interpreter from Debian's source package (fetched
# with ../shared/tools/debsrc, or $DEBSRC) with the same flags in every variant, under
# BUILD_DIR/bench-lua (never in the source tree), for bench/run_lua.sh:
#   lua-plain   no instrumentation
#   lua-empty   -finstrument-functions, linked with bench/empty_hooks.c (hooks doing nothing)
#   lua-fathom  the same objects as lua-empty, linked with BUILD_DIR/libfathom.a as documented
#               (objects, then libfathom.a -lpthread -ldl -lm)
#   lua-count   the same objects with hooks that count calls (bench/count_hooks.c): the
#               number of calls the fathom build's profile must hold
#   lua-fathom-u  lua-fathom with fathom's session code pulled in by hand (a check, see below)
# lua-empty, lua-fathom and lua-count share their object files: only the hooks differ.
# Sources and objects are kept between runs; the binaries are relinked every time (libfathom.a
# may have changed). Prints the directory holding the binaries; exit 3 when the sources
# cannot be had.
set -eu
B=$(cd "${1:?usage: build.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
W=$B/bench-lua
DEBSRC=${DEBSRC:-$HERE/../../../shared/tools/debsrc}
CC=${CC:-cc}
# -O2 -g as the project's own build (-g: names of inlined functions for perf; code unchanged);
# the hash seed fixed so every build makes the same calls
CFLAGS_LUA=(-O2 -g -std=gnu99 -DLUA_COMPAT_5_3 -DLUA_USE_LINUX "-Dluai_makeseed(L)=0x5eed")
mkdir -p "$W"
if [[ ! -f $W/src.path ]] || [[ ! -d $(cat "$W/src.path")/src ]]; then
  [[ -x $DEBSRC ]] || { echo "build.sh: $DEBSRC not found" >&2; exit 3; }
  "$DEBSRC" lua5.4 "$W/debsrc" >"$W/src.path.tmp" 2>"$W/debsrc.log" || { cat "$W/debsrc.log" >&2; exit 3; }
  tail -1 "$W/src.path.tmp" >"$W/src.path"
fi
S=$(cat "$W/src.path")/src
# Debian's patched luaconf.h includes a header its build generates
mkdir -p "$W/include"
echo "#define DEB_HOST_MULTIARCH \"$(gcc -print-multiarch 2>/dev/null || echo unknown)\"" >"$W/include/lua5.4-deb-multiarch.h"
CFLAGS_LUA+=(-I"$W/include")
CORE="lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser lstate lstring ltable ltm lundump lvm lzio"
LIBS="lauxlib lbaselib lcorolib ldblib liolib lmathlib loadlib loslib lstrlib ltablib lutf8lib linit"
compile() {  # compile VARIANT EXTRA-FLAGS...
  local v=$1; shift
  mkdir -p "$W/obj-$v"
  local stamp="${CFLAGS_LUA[*]} $*"
  if [[ -f $W/obj-$v/flags && $(cat "$W/obj-$v/flags") == "$stamp" && -f $W/obj-$v/lua.o ]]; then return 0; fi
  rm -f "$W/obj-$v"/*.o
  # shellcheck disable=SC2086
  printf '%s\n' $CORE $LIBS lua | xargs -P "$(nproc)" -I{} \
    "$CC" "${CFLAGS_LUA[@]}" "$@" -c "$S/{}.c" -o "$W/obj-$v/{}.o"
  for f in $CORE $LIBS lua; do [[ -f $W/obj-$v/$f.o ]] || { echo "build.sh: $f.c did not compile" >&2; exit 1; }; done
  echo "$stamp" >"$W/obj-$v/flags"
}
compile plain
compile inst -finstrument-functions
objs() { for f in $CORE $LIBS lua; do echo "$W/obj-$1/$f.o"; done; }
"$CC" -O2 -c "$HERE/../empty_hooks.c" -o "$W/empty_hooks.o"
"$CC" -O2 -c "$HERE/../count_hooks.c" -o "$W/count_hooks.o"
# shellcheck disable=SC2046
"$CC" -o "$W/lua-plain" $(objs plain) -lm -ldl
# shellcheck disable=SC2046
"$CC" -o "$W/lua-empty" $(objs inst) "$W/empty_hooks.o" -lm -ldl
# shellcheck disable=SC2046
"$CC" -o "$W/lua-count" $(objs inst) "$W/count_hooks.o" -lm -ldl
# shellcheck disable=SC2046
"$CC" -o "$W/lua-fathom" $(objs inst) "$B/libfathom.a" -lpthread -ldl -lm
# the same, with fathom's session code pulled from the archive by hand. The link above pulls
# it in too (the hooks refer to it); run.sh checks that it does, and measures this one only
# if it does not (then a BENCH-FAIL says the documented link is broken)
# shellcheck disable=SC2046
"$CC" -o "$W/lua-fathom-u" $(objs inst) -Wl,-u,fathom_session_begin "$B/libfathom.a" -lpthread -ldl -lm
echo "$W"
