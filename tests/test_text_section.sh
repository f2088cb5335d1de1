# test_text_section.sh: every function of the recorder (src/record: record.c, special.c, threads.c, manual.c) lies in the
# section fathom_text. The CPU sampler tells fathom's own samples from the program's by that
# section: a recorder function outside it (a new noinline helper without FZ_TEXT, an inline
# one the compiler emitted out of line, a cold part split into .text.unlikely) would charge
# fathom's cost to the zone that called it. Checked in the objects of libfathom.a and in
# libfathom.so (where the section must exist and hold the hooks).
set -u
B=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
export LC_ALL=C
fail=0

if ! command -v objdump >/dev/null 2>&1; then
  echo "FAIL: objdump (binutils) is not installed; it comes with the compiler's toolchain"
  exit 1
fi

# the recorder's objects inside the static library
T=$(mktemp -d "${FATHOM_TEST_TMP:-/tmp}/text_section.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
(cd "$T" && ar x "$B/libfathom.a") || { echo "FAIL: cannot unpack $B/libfathom.a"; exit 1; }
n=0
recs="record.c.o special.c.o threads.c.o manual.c.o"
for r in $recs; do
  o=$T/$r
  if [[ ! -f $o ]]; then echo "FAIL: $(basename "$o") is not in libfathom.a"; fail=1; continue; fi
  n=$((n + 1))
  # function symbols: "ADDR FLAGS F SECTION SIZE NAME"; sanitizer module constructors are not
  # the recorder's
  out=$(objdump -t "$o" | awk '$3 == "F" || $2 == "F" {
          sec = ($3 == "F") ? $4 : $3; name = $NF
          if (sec == "fathom_text" || sec ~ /^\.text\.startup/ || name ~ /module_(c|d)tor|^_sub_[ID]_/) next
          print sec, name }')
  inside=$(objdump -t "$o" | awk '($3 == "F" && $4 == "fathom_text") || ($2 == "F" && $3 == "fathom_text")' | wc -l)
  if [[ -n $out ]]; then
    echo "FAIL: $(basename "$o"): functions outside fathom_text (give them FZ_TEXT, or make them always_inline):"
    echo "$out" | sed 's/^/  /'
    fail=1
  elif [[ $inside -eq 0 ]]; then
    echo "FAIL: $(basename "$o"): no function in fathom_text"; fail=1
  else
    echo "ok: $(basename "$o"): $inside functions, all in fathom_text"
  fi
done

# the shared library: the hooks lie between __start_fathom_text and __stop_fathom_text
so=$B/libfathom.so
if [[ -f $so ]]; then
  read -r lo hi enter exit_ < <(nm "$so" | awk '
    $3 == "__start_fathom_text" {lo = $1} $3 == "__stop_fathom_text" {hi = $1}
    $3 == "__cyg_profile_func_enter" {en = $1} $3 == "__cyg_profile_func_exit" {ex = $1}
    END {print lo, hi, en, ex}')
  if [[ -z ${lo:-} || -z ${hi:-} || -z ${enter:-} || -z ${exit_:-} ]]; then
    echo "FAIL: libfathom.so: the section bounds or the hooks are missing (lo=${lo:-} hi=${hi:-} enter=${enter:-} exit=${exit_:-})"; fail=1
  else
    for a in "$enter" "$exit_"; do
      if ! (( 16#$a >= 16#$lo && 16#$a < 16#$hi )); then
        echo "FAIL: libfathom.so: a hook at 0x$a is outside fathom_text [0x$lo, 0x$hi)"; fail=1
      fi
    done
    [[ $fail == 0 ]] && echo "ok: libfathom.so: the hooks lie in fathom_text [0x$lo, 0x$hi)"
  fi
fi

[[ $n -eq $(wc -w <<<"$recs") && $fail -eq 0 ]] && echo "PASS" && exit 0
exit 1
