# tests/lib/common.sh: sourced by the shell tests that build a generator program
# (test_chrome_real.sh, test_flame_real.sh, test_html.sh).
# Needs SRC, BUILD, TMP and a fail() that exits.

# build_gen NAME: builds tests/NAME.c into $TMP/NAME, linked with libfathom.a like the
# library was built (with its sanitizer, if any).
build_gen() {
  local name=$1 lib=$BUILD/libfathom.a san
  [ -f "$lib" ] || fail "$lib not built"
  san=$(sed -n 's/^FATHOM_SANITIZE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
  local flags=()
  case "$san" in
    address) flags=(-fsanitize=address,undefined) ;;
    thread) flags=(-fsanitize=thread) ;;
  esac
  cc -std=gnu11 -O1 -g "${flags[@]}" -I"$SRC/include" "$SRC/tests/$name.c" "$lib" \
    -lpthread -ldl -lm -o "$TMP/$name" || fail "could not build tests/$name.c"
}
