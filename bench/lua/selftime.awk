# selftime.awk: fathom's self time per function against perf's, for bench/run.sh. Files:
# the output of bench_profile_query (tab-separated "Z" lines) then that of perf_self.awk.
# Variables: mode ("S": perf attributed as fathom attributes, "L": by the sample's own symbol),
# top (how many of perf's functions, default 10).
# Both sides are normalised over the functions found in both. Prints
#   R <max_rel_err> <median_rel_err> <n> <perf_cover> <fathom_cover> <n_perf_samples>
#   # <fn> <perf%> <fathom%> <err> <perf sampling sd> <fathom se> <time_every>   (the table)
# perf_cover: share of perf's samples that are in functions found in both; fathom_cover the
# same for fathom's self time.
BEGIN { if (!top) top = 10 }
FNR == NR {
  split($0, c, "\t")
  if (c[1] == "Z" && c[2] == "function") {
    # the CPU sampler's self CPU time when it ran (what perf measures too), else self time
    name = c[13]; v = c[14] > 0 ? c[14] : c[5]; se = c[14] > 0 ? c[15] : c[12]
    F[name] += v; FSE2[name] += se * se; TE[name] = c[9]; ft += v
  }
  next
}
$1 == mode { P[$2] += $3; pt += $3 }
END {
  n = 0
  for (x in P) if (x in F) { names[++n] = x; pi += P[x]; fi += F[x] }
  if (n == 0 || pi == 0 || fi == 0) { print "R nan nan 0 0 0 0"; exit }
  for (i = 1; i <= n; i++)                     # perf's order, largest first
    for (j = i + 1; j <= n; j++)
      if (P[names[j]] > P[names[i]] || (P[names[j]] == P[names[i]] && names[j] < names[i])) {
        t = names[i]; names[i] = names[j]; names[j] = t
      }
  k = (n < top) ? n : top
  max = 0
  for (i = 1; i <= k; i++) {
    x = names[i]; ps = P[x] / pi; fs = F[x] / fi
    e[i] = (fs > ps ? fs - ps : ps - fs) / ps
    if (e[i] > max) max = e[i]
    sd = sqrt(ps * (1 - ps) / pi) / ps
    se = F[x] > 0 ? sqrt(FSE2[x]) / F[x] : 0
    tab[i] = sprintf("# %-20s %7.2f %8.2f %6.3f %9.3f %9.3f %6d", x, 100 * ps, 100 * fs, e[i], sd, se, TE[x])
  }
  for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (e[j] < e[i]) { t = e[i]; e[i] = e[j]; e[j] = t }
  med = (k % 2) ? e[(k + 1) / 2] : (e[k / 2] + e[k / 2 + 1]) / 2
  printf "R %.4f %.4f %d %.4f %.4f %d\n", max, med, k, pi / pt, fi / ft, pi
  printf "# %-20s %7s %8s %6s %9s %9s %6s\n", "fn", "perf%", "fathom%", "err", "perf_sd", "fathom_se", "t_every"
  for (i = 1; i <= k; i++) print tab[i]
}
