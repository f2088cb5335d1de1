#!/usr/bin/env bash
# check_run.sh: the profile checker around a whole ctest run (registered in CMakeLists.txt,
# not a test group of its own). Every test runs with FATHOM_CHECK=1 and
# FATHOM_CHECK_FAIL_FILE=<build>/check-failures.log, so each model the library builds is
# checked (src/model/check.c, fz_check_env) and each violation is appended to the log.
#
#   check_run.sh clean      first (ctest fixture setup): removes the log of an earlier run
#                           and stamps the start of this one (<build>/check-run.stamp)
#   check_run.sh failures   last (fixture cleanup): fails, printing the log, when any test's
#                           model broke a rule
#   check_run.sh files      last (fixture cleanup): `fathom check --quiet` on every fathom
#                           profile (*.json whose first bytes say "format":"fathom-profile")
#                           written under the build tree since the stamp, minus EXCLUDED
#
# Environment: FATHOM_BUILD_DIR (the build tree, where the fathom tool is).
# Invariant: `files` judges only profiles this run wrote (newer than the stamp), so files
# left by earlier runs or other checkouts never fail it; it passes when there is none.
set -uo pipefail

B=${FATHOM_BUILD_DIR:?FATHOM_BUILD_DIR not set}
LOG=$B/check-failures.log
STAMP=$B/check-run.stamp

# Profiles the tests write on purpose with figures that do not add up (paths relative to
# the build tree; shell patterns), each with its reason on the line above it. None so far:
# the profiles the tests leave behind (test-tmp/: autosave.*, html/demo, html/hostile.json,
# flame_real, live.*) are real sessions, or real sessions with hand-attached findings that
# hold every rule; the hand-built, deliberately extreme models of the JSON and CLI groups
# (tests/json_fixture.h, cli_gen --model, json_bad's corrupt files) live in folders those
# groups delete when they end.
EXCLUDED=(
)

excluded() {   # excluded REL: REL matches a pattern of EXCLUDED
  local pat
  for pat in ${EXCLUDED[@]+"${EXCLUDED[@]}"}; do
    # shellcheck disable=SC2053
    [[ $1 == $pat ]] && return 0
  done
  return 1
}

case ${1:-} in
  clean)
    rm -f "$LOG" || exit 1
    : >"$STAMP" || exit 1
    echo "check: removed $LOG, run stamped"
    ;;
  failures)
    if [[ -s $LOG ]]; then
      echo "check: models built during the tests broke these rules ($LOG):"
      cat "$LOG"
      exit 1
    fi
    echo "check: every model built during the tests holds every rule"
    ;;
  files)
    [[ -e $STAMP ]] || { echo "check: no $STAMP (run check_clean first)"; exit 1; }
    files=()
    skipped=0
    while IFS= read -r -d '' f; do
      rel=${f#"$B"/}
      head -c 256 "$f" 2>/dev/null | grep -q '"format"[[:space:]]*:[[:space:]]*"fathom-profile"' ||
        continue
      if excluded "$rel"; then
        skipped=$((skipped + 1))
        continue
      fi
      files+=("$f")
    done < <(find "$B" \( -path "$B/CMakeFiles" -o -path "$B/node_modules" -o -path "$B/_deps" \) \
               -prune -o -type f -name '*.json' -newer "$STAMP" -print0 2>/dev/null | sort -z)
    if ((${#files[@]} == 0)); then
      echo "check: no profile written by this run to check ($skipped excluded)"
      exit 0
    fi
    echo "check: ${#files[@]} profiles written by this run ($skipped excluded)"
    "$B/fathom" check --quiet "${files[@]}"
    rc=$?
    if ((rc == 0)); then
      echo "check: every profile holds every rule"
    else
      echo "check: fathom check exited $rc (1: a rule is violated, 2: a file did not load)"
    fi
    exit $rc
    ;;
  *)
    echo "usage: check_run.sh clean|failures|files" >&2
    exit 2
    ;;
esac
