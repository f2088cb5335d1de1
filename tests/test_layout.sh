# test_layout.sh: the library's stages call only downward (docs/architecture.md). The folders
# of src/, lowest first:
#   util probe record model analysis view live session work
# A file may include the headers of its own stage and of the stages before it, and its
# object may use only the functions and data those stages define: nothing calls back up
# into a later stage (the session is the one place that wires the others together; work,
# after it, runs a program's workloads and nothing calls it;
# what must run later is handed down as a function pointer). Checked twice: in the sources
# (#include "stage/x.h") and in the built objects (each undefined symbol against the stage
# whose object defines it). Also: no source file (library, tests, benchmarks, examples) over
# 800 lines.
set -u
SRC=${FATHOM_SOURCE_DIR:?FATHOM_SOURCE_DIR not set}
B=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
export LC_ALL=C
stages=(util probe record model analysis view live session work)
declare -A rank
for i in "${!stages[@]}"; do rank[${stages[$i]}]=$i; done
fail=0

# a symbol defined in one stage that a lower stage may name: the link anchor that pulls the
# session's auto-start (FATHOM=1) into every static link using the zones (record/record.c);
# it is data, never called
allowed_up="fz_session_anchor"

# 1. includes
n_inc=0
for s in "${stages[@]}"; do
  for f in "$SRC"/src/"$s"/*.[ch]; do
    [[ -f $f ]] || continue
    while IFS= read -r inc; do
      t=${inc%%/*}
      [[ -n ${rank[$t]+x} ]] || continue
      n_inc=$((n_inc + 1))
      if (( rank[$t] > rank[$s] )); then
        echo "FAIL: src/$s/$(basename "$f") includes \"$inc\": $s may not use the later stage $t"
        fail=1
      fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
  done
done
echo "ok: $n_inc includes between stages checked"

# 2. symbols, in the objects the build made
objs=()
for s in "${stages[@]}"; do
  for o in "$B"/CMakeFiles/fathom_obj.dir/src/"$s"/*.o "$B"/CMakeFiles/fathom_rec_pie.dir/src/"$s"/*.o; do
    [[ -f $o ]] && objs+=("$s $o")
  done
done
if (( ${#objs[@]} < 40 )); then
  echo "FAIL: found only ${#objs[@]} objects of the library under $B/CMakeFiles"; exit 1
fi
T=$(mktemp -d "${FATHOM_TEST_TMP:-/tmp}/layout.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
for e in "${objs[@]}"; do
  read -r s o <<<"$e"
  nm --defined-only "$o" | awk -v s="$s" -v f="$(basename "$o" .o)" '$2 ~ /^[TDBRVWGS]$/ {print $3, s, f}'
done | sort -u >"$T/defs"
for e in "${objs[@]}"; do
  read -r s o <<<"$e"
  nm -u "$o" | awk -v s="$s" -v f="$(basename "$o" .o)" '{print $NF, s, f}'
done | sort -u >"$T/uses"
up=$(awk -v order="${stages[*]}" -v allowed="$allowed_up" '
  BEGIN { n = split(order, st, " "); for (i = 1; i <= n; i++) r[st[i]] = i
          m = split(allowed, al, " "); for (i = 1; i <= m; i++) ok[al[i]] = 1 }
  NR == FNR { ds[$1] = $2; df[$1] = $3; next }
  ($1 in ds) && r[ds[$1]] > r[$2] && !($1 in ok) {
    printf "  %s/%s uses %s (%s/%s)\n", $2, $3, $1, ds[$1], df[$1] }' "$T/defs" "$T/uses")
if [[ -n $up ]]; then
  echo "FAIL: a stage uses a later one:"; echo "$up"; fail=1
else
  echo "ok: $(wc -l <"$T/uses") symbol uses in ${#objs[@]} objects, none of a later stage"
fi

# 3. file size
long=$(find "$SRC/src" "$SRC/include" "$SRC/tests" "$SRC/bench" "$SRC/examples" "$SRC/fuzz" \
         -name '*.[ch]' -o -name '*.cpp' -o -name '*.sh' -o -name '*.js' 2>/dev/null |
       xargs wc -l | awk '$2 != "total" && $1 > 800 {print "  " $2 ": " $1 " lines"}')
if [[ -n $long ]]; then echo "FAIL: source files over 800 lines:"; echo "$long"; fail=1
else echo "ok: no source file over 800 lines"; fi
exit $fail
