#!/usr/bin/env bash
# test_signals.sh: what fathom promises under faults (src/session/signals.c), on tests/sig_prog.c
# profiled through FATHOM_OUT (auto-start, with FATHOM_REPORT=1: the text report on stderr
# too, so a second writer would show as a second report):
#   - SIGTERM, SIGINT or SIGHUP while the program sleeps, blocks in read(), runs threads, runs
#     its own atexit handlers or fathom's session end, or after it ended the session itself:
#     the exit status is 128 + the signal, within seconds (sleep(30) never returns), and there
#     is exactly one complete profile (`fathom check` passes, one report);
#   - a signal the program ignored when it started (SIG_IGN) stays ignored;
#   - two threads calling fathom_session_end at once: one profile, and the second returns
#     only once it is written;
#   - a crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, a stack overflow, a crash on another
#     thread): the exit status and the core dump are those of the same run without fathom,
#     and the profile is written, marked cut short by the signal with the zones then open
#     (in the JSON, the text report and after a load and save). Under a sanitizer whose own
#     handler takes the fault, the status is still the one without fathom; a profile is
#     expected wherever that status is a signal's.
# Racy cases run several times, with no timing assertion finer than "within 15 s".
# Environment: FATHOM_BUILD_DIR, FATHOM_TEST_TMP, FATHOM_SOURCE_DIR; SIG_PROG overrides the
# helper (e.g. one built against an older library).
set -u

B=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
SRC=${FATHOM_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
unset FATHOM FATHOM_TRACE FATHOM_LEVEL FATHOM_REPORT   # (FATHOM then names the tool, unexported)
FATHOM=$B/fathom
PROG=${SIG_PROG:-$B/sig_prog}
mkdir -p "${FATHOM_TEST_TMP:?FATHOM_TEST_TMP not set}"
T=$(mktemp -d "$FATHOM_TEST_TMP/signals.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
export LC_ALL=C
# job control: a background job keeps the default action of SIGINT and SIGQUIT (without it,
# a script's background jobs ignore them)
set -m

pass=0
fail=0
. "$SRC/tests/lib/asserts.sh"

TRIES=${SIG_TRIES:-10}
# extra call paths that make the session's end last a while (a sanitizer's build is slower:
# fewer paths give it about as long an end)
PATHS=2000
[[ -n ${FATHOM_SANITIZE:-} ]] && PATHS=600
PROFILE=$T/p.json
READY=$T/ready

# start ARGS...: the helper in the background, profiled (PID, stderr in $T/err)
start() {
  rm -f "$PROFILE" "$READY" "$T/err"
  FATHOM_OUT=$PROFILE FATHOM_REPORT=1 SIG_READY=$READY "$PROG" "$@" 2>"$T/err" &
  PID=$!
  STARTED=$SECONDS
}

wait_ready() {   # until the helper says ready (20 s at most)
  local i
  for ((i = 0; i < 2000; i++)); do
    [[ -e $READY ]] && return 0
    kill -0 "$PID" 2>/dev/null || return 1
    sleep 0.01
  done
  return 1
}

finish() {   # waits for the helper (killed after 20 s): RC, ELAPSED
  local i
  for ((i = 0; i < 2000; i++)); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.01
  done
  kill -KILL "$PID" 2>/dev/null
  wait "$PID" 2>/dev/null
  RC=$?
  ELAPSED=$((SECONDS - STARTED))
}

# expect_profile NAME STATUS [CUT_BY]: exit STATUS within 15 s, one complete profile, one
# report on stderr; the profile marked cut short by CUT_BY when given
expect_profile() {
  local name=$1 status=$2 cut=${3:-}
  assert_eq "$name: exit status" "$status" "$RC"
  if ((ELAPSED > 15)); then bad "$name: ended within 15 s" "took ${ELAPSED} s"; else pass=$((pass + 1)); fi
  if [[ ! -s $PROFILE ]]; then
    bad "$name: profile written" "no $PROFILE; stderr: $(head -c 600 "$T/err")"
    return
  fi
  local chk
  chk=$("$FATHOM" check --quiet "$PROFILE" 2>&1)
  assert_eq "$name: fathom check passes" "0:" "$?:$chk"
  assert_eq "$name: exactly one report" "1" "$(grep -c 'fathom performance report' "$T/err")"
  assert_no_tmp "$name" "$PROFILE"
  if [[ -n $cut ]]; then
    assert_match "$name: marked cut short by $cut" "\"cut_short_by\":\"$cut\"" "$(head -c 100000 "$PROFILE")"
  fi
}

signum() { kill -l "$1"; }

# ---- 5: termination signals while the program waits ------------------------------------------
for sig in TERM INT HUP; do
  start sleep
  if ! wait_ready; then bad "sleep/$sig: helper ready" "$(head -c 600 "$T/err")"; finish; continue; fi
  kill -"$sig" "$PID"
  finish
  expect_profile "sleep/$sig" $((128 + $(signum "$sig"))) "SIG$sig"
done

start read
if wait_ready; then
  kill -TERM "$PID"
  finish
  expect_profile "read/TERM" 143 SIGTERM
else
  bad "read: helper ready" "$(head -c 600 "$T/err")"
  finish
fi

start threads
if wait_ready; then
  kill -INT "$PID"
  finish
  expect_profile "threads/INT" 130 SIGINT
  assert_match "threads/INT: the workers' zones are in it" '"name":"worker"' "$(cat "$PROFILE")"
else
  bad "threads: helper ready" "$(head -c 600 "$T/err")"
  finish
fi

# a signal ignored when the program started is left alone
rm -f "$PROFILE" "$READY" "$T/err"
(trap '' HUP; FATHOM_OUT=$PROFILE FATHOM_REPORT=1 SIG_READY=$READY exec "$PROG" sleep 2>"$T/err") &
PID=$!
STARTED=$SECONDS
if wait_ready; then
  kill -HUP "$PID"
  sleep 0.3
  if kill -0 "$PID" 2>/dev/null; then pass=$((pass + 1)); else bad "ignored SIGHUP: the program runs on" "it ended"; fi
  kill -TERM "$PID"
  finish
  expect_profile "ignored HUP, then TERM" 143 SIGTERM
else
  bad "ignored HUP: helper ready" "$(head -c 600 "$T/err")"
  finish
fi

# ---- 5: while the program exits, and while the session ends ------------------------------------
# The helper's own atexit handler says ready and takes 20 ms, then fathom's at-exit end runs
# (the extra call paths make it last a while); the signal lands in one or the other, or in
# the destructor after them, depending on the try's delay.
delays=(0 0.01 0.02 0.03 0.05 0.07 0.1 0.15 0.2 0.3)
# race NAME ARGS...: TRIES runs of the helper with ARGS, each sent SIGTERM after the next delay
race() {
  local name=$1 i d
  shift
  for ((i = 0; i < TRIES; i++)); do
    d=${delays[i % ${#delays[@]}]}
    start paths "$PATHS" "$@"
    if ! wait_ready; then bad "$name try $i: helper ready" "$(head -c 600 "$T/err")"; finish; continue; fi
    sleep "$d"
    kill -TERM "$PID" 2>/dev/null
    finish
    expect_profile "$name try $i (TERM after ${d} s)" 143
  done
}
race atexit atexit 20

# The program ends the session itself (writing the profile) while the signal comes.
race "explicit end" explicit

# Two threads end the session at once: one writes, the other returns FATHOM_E_STATE only once
# the profile is there (sig_prog checks), and one report.
for ((i = 0; i < TRIES / 2; i++)); do
  start paths "$PATHS" two_ends
  finish
  expect_profile "two concurrent ends try $i" 0
done

# ---- 6: crashes ----------------------------------------------------------------------------------
# run_crash MODE DIR [FATHOM_OUT]: runs the helper in DIR with core dumps allowed; RC, CORES
run_crash() {
  local mode=$1 dir=$2
  rm -rf "$dir"
  mkdir -p "$dir"
  (
    cd "$dir" || exit 99
    ulimit -c unlimited 2>/dev/null
    if [[ -n ${3:-} ]]; then
      FATHOM_OUT=$3 FATHOM_REPORT=1 exec "$PROG" "$mode" 2>"$T/err"
    else
      FATHOM=0 exec "$PROG" "$mode" 2>/dev/null
    fi
  )
  RC=$?
  CORES=$(find "$dir" -maxdepth 1 -name 'core*' | wc -l)
  rm -rf "$dir"
}

for mode in segv abort fpe ill bus overflow segv_thread; do
  run_crash "$mode" "$T/base"
  base_rc=$RC base_cores=$CORES
  rm -f "$PROFILE" "$T/err"
  STARTED=$SECONDS
  run_crash "$mode" "$T/run" "$PROFILE"
  ELAPSED=$((SECONDS - STARTED))
  assert_eq "$mode: exit status as without fathom" "$base_rc" "$RC"
  assert_eq "$mode: core dump as without fathom (cores)" "$base_cores" "$CORES"
  if ((base_rc <= 128)); then   # a sanitizer's handler ended it (no signal): nothing more
    echo "note: $mode ends with status $base_rc without fathom (a sanitizer's handler): no profile expected"
    continue
  fi
  name=SIG$(kill -l $((base_rc - 128)))
  case $name in
    SIGSEGV | SIGBUS | SIGILL | SIGFPE | SIGABRT) ;;
    *) bad "$mode: dies of a crash signal" "status $base_rc ($name)"; continue ;;
  esac
  expect_profile "$mode" "$base_rc" "$name"
  [[ -s $PROFILE ]] || continue
  assert_match "$mode: the zones open at the crash" '"cut_short_path":"crash_outer;crash_inner"' \
    "$(head -c 100000 "$PROFILE")"
  run report "$PROFILE"
  assert_match "$mode: text report says so" "Cut short: +by $name, in crash_outer;crash_inner" "$OUT"
  run report "$PROFILE" --format json
  assert_match "$mode: kept by load and save" \
    "\"cut_short_by\":\"$name\",\"cut_short_path\":\"crash_outer;crash_inner\"" "$OUT"
done

echo "signals: $pass passed, $fail failed"
((fail == 0))
