# perf_self.awk: self time per function from `perf script -F ip,sym,dso` output of a run
# recorded with --call-graph dwarf, attributed the way fathom's -finstrument-functions
# zones attribute it, for bench/run.sh (selftime_*). Variables: bin (the program's file
# name, e.g. lua-empty), own (optional, see below).
#   - a sample in the program's own code goes to the innermost function at that address,
#     inlined ones included (gcc instruments inlined functions too: fathom sees them);
#   - a sample in code that is not instrumented (libc: malloc, memcpy...) goes to the
#     nearest caller in the program (fathom counts that time in the caller's self time);
#   - samples in the hooks (__cyg_profile_func_*), in fathom's own code linked into the
#     program (own: a file of its function names, one a line), and those with no frame of
#     the program (the dynamic loader, exit), are left out.
# Names lose gcc's clone suffixes (.isra.0, .part.0, .constprop.0, .cold). Output:
#   S <name> <samples>    attributed as above
#   L <name> <samples>    by the sample's own symbol only, as `perf report --sort symbol`
#                         (program samples outside the hooks; for comparison)
#   T <attributed> <hooks> <via_caller> <left_out> <all>
BEGIN { if (own != "") while ((getline x < own) > 0) OWN[x] = 1 }
function base(s) { sub(/\..*/, "", s); return s }
function flush(   i, j, g, leafdso, leafreal, name) {
  if (n == 0) return
  all++
  # group lines by address: inline frames first, then the real function (with its dso)
  ng = 0
  for (i = 1; i <= n; i++) {
    if (i == 1 || addr[i] != addr[i - 1]) { ng++; gfirst[ng] = i }
    glast[ng] = i
  }
  leafdso = dso[glast[1]]; leafreal = sym[glast[1]]
  if (leafdso == bin && leafreal ~ /^__cyg_profile_func_(enter|exit)/) { hooks++; n = 0; return }
  if (leafdso == bin && !(base(leafreal) in OWN)) L[base(leafreal)]++
  for (g = 1; g <= ng; g++) {
    if (dso[glast[g]] == bin) {
      name = base(sym[gfirst[g]])
      if (base(sym[glast[g]]) in OWN) { hooks++; n = 0; return }   # fathom's own code
      S[name]++; attributed++
      if (g > 1) via++
      n = 0
      return
    }
  }
  left++
  n = 0
}
/^[ \t]*$/ { flush(); next }
{
  line = $0; sub(/^[ \t]+/, "", line)
  k = split(line, f, /[ \t]+/)
  if (k < 3) next
  n++
  addr[n] = f[1]
  d = f[k]; gsub(/^\(|\)$/, "", d)
  s = f[2]; for (j = 3; j < k; j++) s = s " " f[j]
  sym[n] = s
  if (d == "inlined") { dso[n] = "" } else { m = split(d, pp, "/"); dso[n] = pp[m] }
}
END {
  flush()
  for (x in S) print "S", x, S[x]
  for (x in L) print "L", x, L[x]
  print "T", attributed + 0, hooks + 0, via + 0, left + 0, all + 0
}
