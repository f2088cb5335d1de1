# shellcheck shell=bash disable=SC2034  # sourced by run.sh: fail is its variable
# bench_cmd.sh: section cmd of bench/run.sh (sourced; uses B, fail, QUICK): `fathom bench`
# beside hyperfine on the same commands in the same run, each command timed by hyperfine and
# then by fathom bench (both with their defaults and one warm-up run; both run the command
# through sh and subtract the shell's startup). Figures:
#   cmd_mean_vs_hyperfine_max_rel_diff  max over the commands of |fathom mean - hyperfine
#                       mean| / hyperfine mean; a "#" line per command says whether the
#                       difference is within the 95 % interval of the difference of the two
#                       means (normal approximation, both standard errors) (goal: all within)
#   cmd_runs_vs_hyperfine_ratio  the runs fathom bench made over those hyperfine made, summed
#                       over the commands; the "#" lines give each tool's relative half-width
#                       of the 95 % interval of the mean, i.e. the precision those runs bought
#                       (goal: <= 1 at a precision no worse than hyperfine's)
# BENCH-SKIP without hyperfine (scripts/deps.sh installs it) or node.
if ! command -v hyperfine >/dev/null || ! command -v node >/dev/null; then
  echo "BENCH-SKIP cmd: needs hyperfine and node (scripts/deps.sh installs them)"
else
  CMD_T=$(mktemp -d "${TMPDIR:-/tmp}/bench_cmd.XXXXXX")
  head -c 8000000 /dev/urandom | base64 >"$CMD_T/data"
  cmd_list=("sleep 0.05" "gzip -1 -c $CMD_T/data >/dev/null"
            "awk 'BEGIN{for(i=0;i<2000000;i++)s+=i}'")
  [[ -n $QUICK ]] && cmd_list=("sleep 0.05")
  cmd_args=()
  [[ -n $QUICK ]] && cmd_args=(--min-time 1)
  k=0
  for c in "${cmd_list[@]}"; do
    k=$((k + 1))
    hyperfine -w 1 ${cmd_args[@]+"${cmd_args[@]}"} --style none --export-json "$CMD_T/h$k.json" \
      "$c" >/dev/null 2>&1 || { echo "BENCH-FAIL cmd: hyperfine failed on: $c"; fail=1; }
    "$B/fathom" bench -w 1 ${cmd_args[@]+"${cmd_args[@]}"} --export-json "$CMD_T/f$k.json" \
      "$c" >/dev/null || { echo "BENCH-FAIL cmd: fathom bench failed on: $c"; fail=1; }
  done
  node -e '
    const fs = require("fs"), dir = process.argv[1], n = +process.argv[2];
    const stat = t => { const m = t.reduce((a, b) => a + b, 0) / t.length;
      const v = t.reduce((a, b) => a + (b - m) * (b - m), 0) / (t.length - 1);
      return { m, se: Math.sqrt(v / t.length), n: t.length }; };
    let worst = 0, fr = 0, hr = 0, all = true;
    for (let k = 1; k <= n; k++) {
      let h, f;
      try { h = JSON.parse(fs.readFileSync(`${dir}/h${k}.json`)).results[0];
            f = JSON.parse(fs.readFileSync(`${dir}/f${k}.json`)).results[0]; }
      catch (e) { console.log("BENCH-FAIL cmd: no result for command " + k); process.exit(1); }
      const a = stat(f.times), b = stat(h.times), d = a.m - b.m;
      const lim = 1.96 * Math.hypot(a.se, b.se), rel = Math.abs(d) / b.m;
      worst = Math.max(worst, rel); fr += a.n; hr += b.n; all = all && Math.abs(d) <= lim;
      console.log(`# cmd: ${f.command}: fathom ${(a.m * 1e3).toFixed(3)} ms (${a.n} runs, ` +
        `CI half-width ${(100 * 1.96 * a.se / a.m).toFixed(2)} %), hyperfine ` +
        `${(b.m * 1e3).toFixed(3)} ms (${b.n} runs, ${(100 * 1.96 * b.se / b.m).toFixed(2)} %), ` +
        `difference ${(d * 1e3).toFixed(3)} ms, ${Math.abs(d) <= lim ? "within" : "OUTSIDE"} ` +
        `its 95 % interval +-${(lim * 1e3).toFixed(3)} ms`);
    }
    console.log(`BENCH cmd_mean_vs_hyperfine_max_rel_diff ${worst.toFixed(4)} ratio`);
    console.log(`# cmd: every mean within the 95 % interval of the difference: ${all ? "yes" : "no"}`);
    if (!all) console.log("# goal missed: cmd_mean_vs_hyperfine_max_rel_diff: a difference beyond its interval");
    const r = fr / hr;
    console.log(`BENCH cmd_runs_vs_hyperfine_ratio ${r.toFixed(4)} ratio`);
    if (r > 1) console.log(`# goal missed: cmd_runs_vs_hyperfine_ratio = ${r.toFixed(4)} (goal <= 1)`);
  ' "$CMD_T" "${#cmd_list[@]}" || fail=1
  rm -rf "$CMD_T"
fi
