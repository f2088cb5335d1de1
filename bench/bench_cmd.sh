# shellcheck shell=bash disable=SC2034  # sourced by run.sh: fail is its variable
# bench_cmd.sh: section cmd of bench/run.sh (sourced; uses B, fail, QUICK): `fathom bench`
# beside hyperfine on the same commands in the same run, each command timed by hyperfine and
# then by fathom bench, then again in the other order (both with their defaults and one warm-up
# run; both run the command through sh and subtract the shell's startup); each tool's runs of
# the two rounds are pooled. Figures:
#   cmd_mean_vs_hyperfine_max_rel_diff  max over the commands of |fathom mean - hyperfine
#                       mean| / hyperfine mean; a "#" line per command says whether the
#                       difference is within the 95 % interval of the difference of the two
#                       means (normal approximation, both standard errors) (goal: all within)
#   cmd_runs_vs_hyperfine_ratio  the runs fathom bench made over those hyperfine made, summed
#                       over the commands and rounds; the "#" lines give each tool's relative half-width
#                       of the 95 % interval of the mean, i.e. the precision those runs bought
#   cmd_runs_at_equal_precision_ratio  the runs fathom bench would need for hyperfine's
#                       precision, over hyperfine's runs, summed over the commands: a half-width
#                       shrinks as 1/sqrt(runs), so fathom's runs x (its half-width / hyperfine's)^2
#                       (goal: <= 1, "no more runs than hyperfine for the same precision")
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
  [[ -n $QUICK ]] && cmd_args=(--runs 10)   # quick: a fixed count (the runs figure is then 1)
  k=0
  for c in "${cmd_list[@]}"; do
    k=$((k + 1))
    for round in 1 2; do   # h f, then f h: drift on a shared machine falls on both alike
      for tool in $([[ $round == 1 ]] && echo "h f" || echo "f h"); do
        if [[ $tool == h ]]; then
          hyperfine -w 1 ${cmd_args[@]+"${cmd_args[@]}"} --style none \
            --export-json "$CMD_T/h$k.$round.json" "$c" >/dev/null 2>&1 ||
            { echo "BENCH-FAIL cmd: hyperfine failed on: $c"; fail=1; }
        else
          "$B/fathom" bench -w 1 ${cmd_args[@]+"${cmd_args[@]}"} \
            --export-json "$CMD_T/f$k.$round.json" "$c" >/dev/null ||
            { echo "BENCH-FAIL cmd: fathom bench failed on: $c"; fail=1; }
        fi
      done
    done
  done
  node -e '
    const fs = require("fs"), dir = process.argv[1], n = +process.argv[2];
    const stat = t => { const m = t.reduce((a, b) => a + b, 0) / t.length;
      const v = t.reduce((a, b) => a + (b - m) * (b - m), 0) / (t.length - 1);
      return { m, se: Math.sqrt(v / t.length), n: t.length }; };
    let worst = 0, fr = 0, hr = 0, fq = 0, all = true;
    for (let k = 1; k <= n; k++) {
      const load = (t, r) => JSON.parse(fs.readFileSync(`${dir}/${t}${k}.${r}.json`)).results[0];
      let h, f;
      try { h = [load("h", 1), load("h", 2)]; f = [load("f", 1), load("f", 2)]; }
      catch (e) { console.log("BENCH-FAIL cmd: no result for command " + k); process.exit(1); }
      const a = stat(f[0].times.concat(f[1].times)), b = stat(h[0].times.concat(h[1].times));
      const d = a.m - b.m;
      const lim = 1.96 * Math.hypot(a.se, b.se), rel = Math.abs(d) / b.m;
      worst = Math.max(worst, rel); fr += a.n; hr += b.n; all = all && Math.abs(d) <= lim;
      const hwa = a.se / a.m, hwb = b.se / b.m;   /* relative half-widths (the same t factor) */
      fq += hwb > 0 ? a.n * (hwa / hwb) * (hwa / hwb) : a.n;
      console.log(`# cmd: ${f[0].command}: fathom ${(a.m * 1e3).toFixed(3)} ms (${a.n} runs, ` +
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
    const q = fq / hr;
    console.log(`BENCH cmd_runs_at_equal_precision_ratio ${q.toFixed(4)} ratio`);
    if (q > 1) console.log(`# goal missed: cmd_runs_at_equal_precision_ratio = ${q.toFixed(4)} (goal <= 1)`);
    if (r > 1) console.log(`# cmd: fathom bench made more runs than hyperfine (${r.toFixed(2)}x) and bought a ` +
      `tighter interval with them; at the precision of hyperfine it needs ${q.toFixed(2)}x its runs`);
  ' "$CMD_T" "${#cmd_list[@]}" || fail=1
  rm -rf "$CMD_T"
fi
