/* report.js: reads the data block, draws every section in order (summary, zones, flame
 * graph, findings, SLAs, throughput, timeline, resources over time, counters, threads, notes,
 * metadata) and honours the URL hash: #search=TEXT (flame graph search), #zoom=A;B;C or
 * #zoom=NAME (flame graph zoom), #zone=NAME (the frames of zone NAME marked in the flame
 * graph, as a click on its row does), #sort=COLUMN or #sort=-COLUMN (zone table), #filter=TEXT
 * (zone table), #threads=1 (one flame tree per thread); parameters joined with '&'.
 *
 * Estimates (schema 4): cells of zones whose timing was sampled read "~value +-half" (95 %),
 * percentiles "~value [lo, hi]", max ">=value" (a bound), with a tooltip saying what they
 * rest on; the summary shows the timed calls, the zones' overhead and, apart, fathom's fixed
 * costs.
 *
 * Long profiles (a program built with -finstrument-functions has hundreds of zones): the zones
 * and the flame graph come right after the summary; the zone table shows ZONE_ROWS rows, the
 * throughput table TPUT_ROWS (only rates that mean something: counters, zones of
 * TPUT_MIN_CALLS calls or more), the governor's decisions 20, each with a "show all" button;
 * every pass over the zones is linear (sorting aside), none is per pair of zones.
 *
 * Invariant: when drawing ends, <html> carries data-rendered="1"; any error on the way is
 * recorded by the page's error hook in data-errors (see export_html.c), so a headless
 * browser's DOM dump tells whether the page worked. */

var ZONE_ROWS = 30;     /* rows of the zone table shown at first (\u201cshow all\u201d shows every one) */

/* Zone rows (export_html_data.c): indices of the fields. */
var Z = {name: 0, comp: 1, calls: 2, total: 3, self: 4, mean: 5, p50: 6, p90: 7, p99: 8, max: 9, min: 10,
         cpu: 11, cpu_pct: 12, allocs: 13, alloc_bytes: 14, live_bytes: 15, io: 16, flops: 17, file: 18,
         line: 19, p95: 20, stddev: 21, gov: 22, timed: 23, total_se: 24, self_se: 25, lo: 26, hi: 27,
         overhead: 28, cpu_user: 29, cpu_sys: 30};
/* Index of p50, p90, p95, p99, p99.9 in a zone's lo / hi arrays (FATHOM_PCT_N order). */
var PCT = {p50: 0, p90: 1, p95: 2, p99: 3};

/* The zone's timing figures are estimated from a random sample of its calls. */
function zEst(z) { return (z[Z.timed] > 0 && z[Z.timed] < z[Z.calls]) || zUncounted(z); }
/* Stack samples of an unmodified program (fathom run): time without counted calls. */
function zUncounted(z) { return z[Z.calls] === 0 && z[Z.total] > 0; }

var EST_LEGEND = '~ marks figures estimated from a random sample of timed calls; \u00b1 is a 95 % interval ' +
  '([low, high] for a percentile); \u2264 min and \u2265 max are those of the timed calls.';

function renderSummary(D) {
  var m = D.meta, sec = section('summary', 'Summary');
  var started = m.start_unix_ns ? new Date(m.start_unix_ns / 1e6).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : null;
  if (D.summary) sec.appendChild(el('p', {class: 'headline', id: 'summary-line'}, D.summary));
  var over = null;
  if (isNum(m.zone_cost_ns)) {
    over = fmtDur(m.zone_cost_ns) + ' per zone';
    if (isNum(m.untimed_cost_ns) && m.untimed_cost_ns > 0 && m.n_timed < m.n_zones) over += ' (' + fmtDur(m.untimed_cost_ns) + ' counted only)';
    if (isNum(m.overhead_ns)) over += ', ' + fmtDur(m.overhead_ns) + ' in all';
    if (isNum(m.overhead_pct)) over += ' (the program ran ' + fmtPct(m.overhead_pct) + ' slower' +
      (isNum(m.overhead_budget_pct) && m.overhead_budget_pct > 0 ? '; budget ' + fmtPct(m.overhead_budget_pct) : '') + ')';
    over += '; zones only';
  }
  /* fathom's fixed costs, apart from the overhead */
  var fixed = [], fixedSum = 0;
  [['setup', m.setup_ns], ['background thread', m.monitor_cpu_ns], ['model build', m.build_ns]].forEach(function (x) {
    if (isNum(x[1]) && x[1] > 0) { fixed.push(x[0] + ' ' + fmtDur(x[1])); fixedSum += x[1]; }
  });
  var fixedText = fixed.length ? fixed.join(', ') + ' = ' + fmtDur(isNum(m.fixed_cost_ns) && m.fixed_cost_ns > 0 ? m.fixed_cost_ns : fixedSum) +
    ' (apart from the overhead)' : null;
  var clock = m.clock_source ? m.clock_source + (isNum(m.clock_resolution_ns) ? ', resolution ' + fmtDur(m.clock_resolution_ns) : '') +
    (isNum(m.clock_read_ns) ? ', ' + fmtDur(m.clock_read_ns) + ' per read' : '') : null;
  var top = 0, topVar = 0, topEst = false, est = D.nest || [];
  D.nodes.forEach(function (v, i) { if (i % 6 === 4 && D.nodes[i - 3] < 0) top += v; });
  for (var k = 0; k + 2 < est.length; k += 3) {
    if (D.nodes[est[k] * 6 + 1] >= 0) continue;
    topEst = true;
    if (isNum(est[k + 2])) topVar += est[k + 2] * est[k + 2];
  }
  var wallMode = m.clock_source === 'perf_event+wall';   /* fathom run --wall: waits sampled too */
  var sampledOnly = !m.n_zones && (m.cpu_samples > 0 || wallMode);   /* stack samples of an unmodified program */
  var timedNote = isNum(m.n_timed) && m.n_timed > 0 && m.n_timed < m.n_zones ? ', ' + fmtCount(m.n_timed) + ' timed' : '';
  sec.appendChild(kv([
    ['Session', (m.session_name || '(unnamed)') + '  \u00b7  id ' + m.session_id],
    ['Started', started],
    ['Duration', fmtDur(m.duration_ns)],
    ['Level', m.level],
    ['Program', m.program ? m.program + (isNum(m.pid) ? ' (pid ' + m.pid + ')' : '') : null],
    ['Host', m.host ? m.host + (m.os ? ', ' + m.os + ' ' + (m.kernel || '') : '') : null],
    sampledOnly
      ? ['Samples', (wallMode ? 'wall-clock: ' : '') + fmtCount(m.cpu_samples) + ' stack samples, one per ' +
         fmtDur(m.sample_period_ns) + ' of a thread\'s CPU time' + (wallMode ? ', and each waiting thread\'s stack about every ' +
         fmtDur(m.sample_period_ns) + ' of wall-clock time' : '') + ' (calls not counted), ' + fmtCount(D.zones.length) + ' functions, ' +
         fmtCount(Math.floor(D.nodes.length / 6)) + ' call paths']
      : ['Operations', fmtCount(m.n_zones) + ' zone calls' + timedNote + ', ' + fmtCount(D.zones.length) + ' zones, ' +
         fmtCount(Math.floor(D.nodes.length / 6)) + ' call paths'],
    ['Total time', fmtDurEst(top, Math.sqrt(topVar), topEst) + ' (inclusive time of top-level zones, all threads)'],
    ['Threads', fmtCount(D.threads.length)],
    ['Clock', sampledOnly ? null : clock],
    ['Overhead', sampledOnly ? null : over],
    ['Fixed costs', fixedText],
    ['Estimates', sampledOnly ? '~ marks figures estimated from the stack samples; \u00b1 is a 95 % interval.'
                  : est.length || D.zones.some(zEst) ? EST_LEGEND : null],
    ['Memory held by fathom', m.fathom_bytes ? fmtBytes(m.fathom_bytes) : null],
    ['Dropped', fmtCount(m.dropped_zones) + ' zones, ' + fmtCount(m.dropped_events) + ' events',
     m.dropped_zones || m.dropped_events ? 'warn' : null],
    ['Misuse', fmtCount(m.misuse), m.misuse ? 'warn' : null]
  ]));
  renderResources(D, sec);
}

function renderResources(D, sec) {
  var r = D.res, mon = r.monitored, rows = [];
  function row(group, what, v) { if (v != null) rows.push([group, what, v]); }
  function m(v, f) { return mon && isNum(v) ? f(v) : null; }
  function a(v, f) { return isNum(v) && v > 0 ? f(v) : null; }
  row('memory', 'peak RAM (RSS)', m(r.rss_peak_bytes, function (v) {
    return fmtBytes(v) + (isNum(r.rss_initial_bytes) ? ' (initial ' + fmtBytes(r.rss_initial_bytes) + ', final ' + fmtBytes(r.rss_final_bytes) + ')' : '');
  }));
  row('memory', 'peak virtual memory', m(r.vm_peak_bytes, fmtBytes));
  row('memory', 'system memory used, peak', m(r.sys_mem_used_pct_max, fmtPct));
  row('memory', 'peak GPU memory', a(r.gpu_mem_peak_bytes, fmtBytes));
  if (D.meta.alloc_tracking) row('memory', 'memory leak', r.leaked_bytes ? 'suspected: ' + fmtBytes(r.leaked_bytes) + ' in ' +
    fmtCount(r.leaked_count) + ' allocations still live at the end' : 'none');
  row('timing', 'wall time', a(r.wall_s, function (v) { return fmtDur(v * 1e9); }));
  if (isNum(r.cpu_user_s) && (r.cpu_user_s > 0 || r.cpu_sys_s > 0))
    row('timing', 'CPU time', fmtDur((r.cpu_user_s + r.cpu_sys_s) * 1e9) + ' (user ' + fmtDur(r.cpu_user_s * 1e9) + ', system ' + fmtDur(r.cpu_sys_s * 1e9) + ')');
  row('compute', 'CPU utilisation', m(r.cpu_pct_mean, function (v) { return 'mean ' + fmtPct(v) + ', highest ' + fmtPct(r.cpu_pct_max) + ' (100% = one core)'; }));
  row('compute', 'host CPU busy', m(r.host_cpu_pct_mean, function (v) { return 'mean ' + fmtPct(v) + ', highest ' + fmtPct(r.host_cpu_pct_max) + ' (every process; 100% = all CPUs)'; }));
  row('compute', 'floating-point operations', a(r.flops, function (v) { return fmtSI(v, 'FLOP') + (isNum(r.flops_per_s) ? ', ' + fmtSI(r.flops_per_s, 'FLOP/s') : ''); }));
  row('compute', 'GPU utilisation', D.gpus.length && isNum(r.gpu_util_mean_pct) ? 'mean ' + fmtPct(r.gpu_util_mean_pct) + ', highest ' + fmtPct(r.gpu_util_max_pct) : null);
  row('I/O', 'read / written (system calls)', m(r.read_bytes, function (v) { return fmtBytes(v) + ' / ' + fmtBytes(r.write_bytes); }));
  row('I/O', 'storage read / written', m(r.disk_read_bytes, function (v) { return fmtBytes(v) + ' / ' + fmtBytes(r.disk_write_bytes); }));
  row('I/O', 'network received / sent (host)', m(r.net_rx_bytes, function (v) { return fmtBytes(v) + ' / ' + fmtBytes(r.net_tx_bytes); }));
  row('system', 'disk busy, highest', m(r.disk_util_pct_max, function (v) { return fmtPct(v) + ' (the busiest disk, every process)'; }));
  row('system', 'context switches', m(r.ctx_vol, function (v) { return fmtCount(v) + ' voluntary, ' + fmtCount(r.ctx_invol) + ' involuntary'; }));
  row('system', 'page faults', m(r.minflt, function (v) { return fmtCount(v) + ' minor, ' + fmtCount(r.majflt) + ' major'; }));
  row('system', 'threads, most at once', mon && r.threads_max ? fmtCount(r.threads_max) : null);
  row('energy', 'energy', a(r.energy_j, function (v) {
    return v.toPrecision(4) + ' J' + (isNum(r.cpu_energy_j) ? ' (CPU ' + r.cpu_energy_j.toPrecision(4) + ' J' +
      (isNum(r.gpu_energy_j) ? ', GPU ' + r.gpu_energy_j.toPrecision(4) + ' J' : '') + ')' : '');
  }));
  row('energy', 'carbon', a(r.carbon_g, function (v) { return v.toPrecision(3) + ' g CO\u2082e at ' + fmtNum(r.carbon_g_per_kwh) + ' g/kWh'; }));
  if (!rows.length) return;
  var last = '';
  sec.appendChild(el('h3', null, 'Resources (whole session)'));
  sec.appendChild(table(['group', 'figure', 'value'], rows.map(function (x) {
    var g = x[0] === last ? '' : x[0];
    last = x[0];
    return [g, x[1], x[2]];
  }), 'grid res'));
  if (D.gpus.length) {
    sec.appendChild(el('h3', null, 'GPUs'));
    sec.appendChild(table(['GPU', 'name', 'memory total>', 'memory peak>', 'util mean>', 'util max>', 'power mean>', 'temp max>', 'energy>'],
      D.gpus.map(function (g) {
        return [String(g[0]), g[1], fmtBytes(g[2]), fmtBytes(g[3]), fmtPct(g[5]), fmtPct(g[6]),
                isNum(g[7]) ? g[7].toFixed(1) + ' W' : '\u2013', isNum(g[8]) ? g[8].toFixed(0) + ' \u00b0C' : '\u2013',
                isNum(g[9]) ? g[9].toPrecision(4) + ' J' : '\u2013'];
      })));
  }
}

/* A finding figure's name as a label: the value is shown in its own unit ("365 µs",
 * "12.5%"), so a unit suffix of the name ("p50_ns", "share_pct:zone") is dropped. */
function figureLabel(name) {
  return String(name).replace(/_(ns|pct|bytes|count|calls)(?=:|$)/, '').replace(/_/g, ' ');
}

function renderFindings(D) {
  var sec = section('findings', 'Findings');
  var list = el('div', {class: 'findings'});
  if (!D.findings.length) {
    list.appendChild(el('p', {class: 'empty', id: 'no-findings'}, 'No findings: nothing measured crossed a threshold.'));
  }
  D.findings.forEach(function (f) {
    var card = el('article', {class: 'finding sev-' + f[1], 'data-class': f[2]},
      el('header', null, el('span', {class: 'rank'}, '#' + f[0]), el('span', {class: 'sev'}, f[1]),
         el('span', {class: 'cls'}, f[2].replace(/_/g, ' ')), el('code', {class: 'path'}, f[4] || '(whole session)')),
      el('p', null, f[5]));
    if (f[6].length) card.appendChild(kv(f[6].map(function (g) { return [figureLabel(g[0]), fmtUnit(g[1], g[2])]; })));
    if (f[7].length) card.appendChild(el('ul', {class: 'sugg'}, f[7].map(function (s) { return el('li', null, s); })));
    list.appendChild(card);
  });
  sec.appendChild(list);
}

function renderSla(D) {
  if (!D.slas.length) return;
  var sec = section('slas', 'Latency SLAs');
  sec.appendChild(table(['zone', 'percentile>', 'target>', 'actual>', 'calls>', 'result'], D.slas.map(function (s) {
    var res = s[5] > 0 ? 'met' : s[5] === -2 ? 'not enough data' : s[5] < 0 ? 'not measurable (no calls)' : 'MISSED';
    var est = s[6] > 0 && s[6] < s[4];
    var actual = el('span', est ? {title: 'estimated from ' + fmtCount(s[6]) + ' timed of ' + fmtCount(s[4]) +
      ' calls; 95 % interval ' + fmtDur(s[7]) + ' \u2013 ' + fmtDur(s[8])} : null,
      fmtInterval(s[3], s[7], s[8], est || hasInterval(s[3], s[7], s[8])));
    return [s[0], 'p' + fmtNum(s[1]), fmtDur(s[2]), actual, fmtCount(s[4]) + (est ? ' (' + fmtCount(s[6]) + ' timed)' : ''),
            el('span', {class: s[5] > 0 ? 'ok' : s[5] === -2 ? 'warn' : s[5] < 0 ? 'muted' : 'bad',
                        title: s[5] === -2 ? 'too few timed calls, or the target inside the 95 % interval of the percentile' : null}, res)];
  })));
}

/* A zone's rate says something when it was called often enough over the run: at least
 * TPUT_MIN_CALLS calls (a zone called once a run has a "rate" of 1 / the run's length).
 * Counters always do (the program declared what they count). */
var TPUT_MIN_CALLS = 100, TPUT_ROWS = 15;
function tputMeaningful(t) { return t[0] === 'counter' || t[6] >= TPUT_MIN_CALLS; }

function renderThroughput(D) {
  if (!D.tput.length) return;
  var rows = D.tput.filter(tputMeaningful), left = D.tput.length - rows.length;
  var sec = section('throughput', 'Throughput', 'Calls (zones) or counted units (counters) per second, highest mean first' +
    (left ? '; ' + fmtCount(left) + ' zone' + (left === 1 ? '' : 's') + ' called fewer than ' + TPUT_MIN_CALLS +
     ' times are left out: a rate over so few calls says nothing' : '') + '.');
  rows.sort(function (a, b) { return (isNum(b[2]) ? b[2] : -1) - (isNum(a[2]) ? a[2] : -1); });
  if (!rows.length) { sec.appendChild(el('p', {class: 'empty'}, 'No zone was called often enough to have a rate.')); return; }
  var t = cappedTable(['kind', 'name', 'calls>', 'mean /s>', 'window>', 'last window /s>', 'peak /s>'], rows.map(function (t) {
    var calls = fmtCount(t[6]) + (t[7] > 0 && t[7] < t[6] ? ' (' + fmtCount(t[7]) + ' timed)' : '');
    return [t[0], t[1], calls, fmtNum(t[2]), isNum(t[3]) ? t[3] + ' s' : '\u2013', fmtNum(t[4]), fmtNum(t[5])];
  }), TPUT_ROWS, 'rows');
  t.firstChild.id = 'tput-table';
  sec.appendChild(t);
}

/* ---- the zone table ---- */

function ZoneTable(D, sec) {
  var zs = D.zones, self = this, sumSelf = 0;
  zs.forEach(function (z) { sumSelf += z[Z.self] || 0; });
  function has(i) { return zs.some(function (z) { return isNum(z[i]) && z[i] !== 0; }); }
  var anyEst = zs.some(zEst);
  /* cells of estimated zones: "~" and the 95 % interval, with a tooltip saying what it rests on */
  function estTip(z) {
    if (zUncounted(z)) return 'estimated from stack samples (calls not counted)';
    return 'estimated from ' + fmtCount(z[Z.timed]) + ' timed of ' + fmtCount(z[Z.calls]) + ' calls (a random sample)';
  }
  function pctCol(key, label) {
    var k = PCT[key];
    return {key: key, label: label, i: Z[key], fmt: fmtDur, cell: function (z) {
      if (zUncounted(z)) return ['\u2013', 'no call was timed: stack samples'];
      var e = zEst(z), lo = z[Z.lo] ? z[Z.lo][k] : null, hi = z[Z.hi] ? z[Z.hi][k] : null;
      return [fmtInterval(z[Z[key]], lo, hi, e),
              e ? estTip(z) + (hasInterval(z[Z[key]], lo, hi) ? '; 95 % interval ' + fmtDur(lo) + ' \u2013 ' + fmtDur(hi) : '') : null];
    }};
  }
  function estCol(key, label, i, se) {
    return {key: key, label: label, i: i, fmt: fmtDur, cell: function (z) {
      var e = zEst(z), s = se(z);
      return [fmtDurEst(z[i], s, e), e ? estTip(z) + (isNum(s) && s > 0 ? '; \u00b1 ' + fmtDur(Z95 * s) + ' (95 %)' : '') : null];
    }};
  }
  var cols = [
    {key: 'name', label: 'Zone', get: function (z) { return z[Z.name]; }, text: 1},
    {key: 'component', label: 'Component', get: function (z) { return z[Z.comp]; }, text: 1},
    {key: 'calls', label: 'Calls', i: Z.calls, fmt: fmtCount, cell: function (z) {
      return [zUncounted(z) ? '\u2013' : fmtCount(z[Z.calls]), zUncounted(z) ? 'not counted: stack samples' : null];
    }},
    {key: 'timed', label: 'Timed', get: function (z) { return zUncounted(z) ? -1 : zEst(z) ? z[Z.timed] : null; },
     fmt: function (v) { return v == null ? 'all' : v < 0 ? '\u2013' : fmtCount(v); }, opt: 1, show: anyEst},
    estCol('total', 'Total', Z.total, function (z) { return z[Z.total_se]; }),
    estCol('self', 'Self', Z.self, function (z) { return z[Z.self_se]; }),
    {key: 'self_pct', label: 'Self %', get: function (z) { return sumSelf ? 100 * z[Z.self] / sumSelf : null; }, fmt: fmtPct},
    (function (c) {   /* a mean per call needs counted calls */
      var inner = c.cell;
      c.cell = function (z) { return zUncounted(z) ? ['\u2013', 'calls not counted: stack samples'] : inner(z); };
      return c;
    })(estCol('mean', 'Mean', Z.mean, function (z) { return z[Z.calls] ? z[Z.total_se] / z[Z.calls] : null; })),
    pctCol('p50', 'p50'),
    pctCol('p90', 'p90'),
    pctCol('p99', 'p99'),
    {key: 'max', label: 'Max', i: Z.max, fmt: fmtDur, cell: function (z) {
      if (zUncounted(z)) return ['\u2013', 'no call was timed: stack samples'];
      return zEst(z) ? ['\u2265' + fmtDur(z[Z.max]), 'the longest of the timed calls: the true longest is at least this'] : [fmtDur(z[Z.max]), null];
    }},
    {key: 'cpu', label: 'CPU', i: Z.cpu, fmt: fmtDur, opt: 1, cell: function (z) {
      var split = isNum(z[Z.cpu_user]) && isNum(z[Z.cpu_sys]);
      return [fmtDur(z[Z.cpu]), isNum(z[Z.cpu]) ? (split ? 'user ' + fmtDur(z[Z.cpu_user]) + ', system ' + fmtDur(z[Z.cpu_sys]) :
              'user + system (split unknown)') + '; estimated from the probed calls' : null];
    }},
    {key: 'cpu_pct', label: 'CPU %', i: Z.cpu_pct, fmt: function (v) { return fmtShare(v, 100); }, opt: 1},
    {key: 'allocs', label: 'Allocs', i: Z.allocs, fmt: fmtCount, opt: 1},
    {key: 'alloc_bytes', label: 'Alloc bytes', i: Z.alloc_bytes, fmt: fmtBytes, opt: 1},
    {key: 'live_bytes', label: 'Live bytes', i: Z.live_bytes, fmt: fmtBytes, opt: 1},
    {key: 'io', label: 'I/O bytes', i: Z.io, fmt: fmtBytes, opt: 1},
    {key: 'flops', label: 'FLOPs', i: Z.flops, fmt: function (v) { return fmtSI(v, ''); }, opt: 1}
  ].filter(function (c) { return c.show !== undefined ? c.show : !c.opt || has(c.i); });
  cols.forEach(function (c) { if (!c.get) c.get = function (z) { return z[c.i]; }; });
  this.cols = cols;
  this.zones = zs;
  this.sortKey = 'total';
  this.desc = true;
  this.filter = '';
  this.filterBox = el('input', {type: 'search', placeholder: 'filter zones', 'aria-label': 'filter zones'});
  this.filterBox.addEventListener('input', function () { self.setFilter(self.filterBox.value); });
  this.note = el('span', {class: 'flame-info'});
  this.all = false;
  this.more = el('button', {type: 'button', class: 'more', id: 'zones-more', onclick: function () { self.all = !self.all; self.render(); }});
  sec.appendChild(el('div', {class: 'controls'}, this.filterBox, this.note));
  var tr = el('tr');
  cols.forEach(function (c) {
    var th = el('th', {'data-key': c.key, class: c.text ? 'sortable' : 'sortable num', tabindex: '0',
                       title: 'sort by ' + c.label}, c.label);
    th.addEventListener('click', function () { self.sortBy(c.key); });
    th.addEventListener('keydown', function (e) { if (e.key === 'Enter') self.sortBy(c.key); });
    tr.appendChild(th);
  });
  this.head = tr;
  this.body = el('tbody');
  this.table = el('table', {class: 'grid zones', id: 'zone-table'}, el('thead', null, tr), this.body);
  sec.appendChild(el('div', {class: 'scroll'}, this.table));
  sec.appendChild(this.more);
  this.render();
}

ZoneTable.prototype.sortBy = function (key, desc) {
  var c = this.cols.filter(function (x) { return x.key === key; })[0];
  if (!c) return false;
  if (desc == null) desc = this.sortKey === key ? !this.desc : !c.text;
  this.sortKey = key;
  this.desc = desc;
  this.render();
  return true;
};

ZoneTable.prototype.setFilter = function (q) {
  this.filter = q || '';
  if (this.filterBox.value !== this.filter) this.filterBox.value = this.filter;
  this.render();
};

ZoneTable.prototype.render = function () {
  var self = this, c = this.cols.filter(function (x) { return x.key === self.sortKey; })[0];
  var q = this.filter.toLowerCase(), dir = this.desc ? -1 : 1;
  var idx = [];
  this.zones.forEach(function (z, i) {
    if (!q || String(z[Z.name]).toLowerCase().indexOf(q) >= 0 || String(z[Z.comp]).toLowerCase().indexOf(q) >= 0) idx.push(i);
  });
  idx.sort(function (a, b) {
    var x = c.get(self.zones[a]), y = c.get(self.zones[b]);
    if (c.text) return dir * String(x).localeCompare(String(y)) || a - b;
    var xn = isNum(x), yn = isNum(y);
    if (!xn || !yn) return xn === yn ? a - b : xn ? -1 : 1;   /* missing values last */
    return x === y ? a - b : dir * (x < y ? -1 : 1);
  });
  var body = el('tbody'), limit = this.all ? idx.length : ZONE_ROWS;
  idx.slice(0, limit).forEach(function (i) {
    var z = self.zones[i], tr = el('tr', {'data-zone': String(i)});
    if (self.onPick) tr.addEventListener('click', function () { self.onPick(z[Z.name]); });
    self.cols.forEach(function (col) {
      var v = col.get(z), c = col.cell ? col.cell(z) : null;
      var td = el('td', col.text ? null : {class: c && c[1] && zEst(z) ? 'num est' : 'num'}, col.text ? v : c ? c[0] : col.fmt(v));
      if (c && c[1]) td.title = c[1];
      if (col.key === 'name' && z[Z.file]) td.title = z[Z.file] + (z[Z.line] ? ':' + z[Z.line] : '');
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
  this.table.replaceChild(body, this.body);
  this.body = body;
  Array.prototype.forEach.call(this.head.children, function (th) {
    var k = th.getAttribute('data-key');
    th.setAttribute('aria-sort', k === self.sortKey ? (self.desc ? 'descending' : 'ascending') : 'none');
  });
  this.table.setAttribute('data-sort', (this.desc ? '-' : '') + this.sortKey);
  var shown = Math.min(idx.length, limit);
  this.table.setAttribute('data-rows', String(shown));
  this.more.hidden = idx.length <= ZONE_ROWS;
  this.more.textContent = this.all ? 'show the first ' + ZONE_ROWS + ' only' : 'show all ' + fmtCount(idx.length) + ' zones';
  this.note.textContent = (shown < idx.length ? 'showing ' + shown + ' of ' + fmtCount(idx.length) + ' zones' :
    fmtCount(idx.length) + ' of ' + fmtCount(this.zones.length) + ' zones') + '; click a heading to sort, a row to mark the zone in the flame graph';
};

function renderZones(D) {
  var sec = section('zones', 'Zones', 'Every zone rolled up over its call paths and threads. Total is inclusive ' +
                    '(the wrappers around the work come first; sort by Self to see the work itself); ' +
                    'CPU, allocation and I/O columns appear when the profile measured them.' +
                    (D.zones.some(zEst) ? ' ' + EST_LEGEND : ''));
  if (!D.zones.length) { sec.appendChild(el('p', {class: 'empty'}, 'No zones were recorded.')); return null; }
  return new ZoneTable(D, sec);
}

/* ---- counters, threads, notes, metadata ---- */

function renderCounters(D) {
  if (!D.counters.length) return;
  var sec = section('counters', 'Counters and gauges');
  sec.appendChild(table(['name', 'kind', 'updates>', 'value>', 'total>', 'min>', 'max>'], D.counters.map(function (c) {
    return [c[0], c[1], fmtCount(c[2]), fmtNum(c[3]), fmtNum(c[4]), fmtNum(c[5]), fmtNum(c[6])];
  })));
}

function renderThreads(D) {
  if (!D.threads.length) return;
  var sec = section('threads', 'Threads');
  var given = D.threads.some(function (t) { return t[6] > 0; });   /* fathom_zone_record calls */
  sec.appendChild(table(['tid>', 'name', 'zones recorded>', 'dropped>', 'open at the end>', 'state'].concat(given ? ['durations given>'] : []),
    D.threads.map(function (t) {
      return [String(t[0]), t[1] || '', fmtCount(t[3]), fmtCount(t[4]), fmtCount(t[5]), t[2] ? 'exited' : 'running']
        .concat(given ? [fmtCount(t[6])] : []);
    })));
}

/* ---- sampled profiles: hot lines, processes ---- */

function renderHotLines(D) {
  if (!D.lines || !D.lines.length) return;
  var sec = section('lines', 'Hot lines', 'The functions with the most self time, line by line. Self: the samples ' +
                    'taken at the line; total: those with the line on the stack (its calls included). ~ marks ' +
                    'estimates from samples; \u00b1 is a 95 % interval. Source text as the file reads now.');
  var z = -1, rows = [];
  function flush() {
    if (z < 0) return;
    var zi = D.zones[z];
    sec.appendChild(el('h3', null, zi[Z.name] + ' \u00b7 self ' + fmtDurEst(zi[Z.self], zi[Z.self_se], true)));
    sec.appendChild(table(['line', 'self>', 'total>', 'source'], rows, 'grid lines'));
    rows = [];
  }
  D.lines.forEach(function (l) {
    if (l[0] !== z) { flush(); z = l[0]; }
    var file = String(l[1]).replace(/^.*\//, '');
    rows.push([file + ':' + l[2], fmtDurEst(l[3], l[4], true), fmtDurEst(l[5], l[6], true), el('code', null, l[7])]);
  });
  flush();
}

function renderRankings(D) {
  if (!D.rankings || !D.rankings.length) return;
  var sec = section('rankings', 'Variants', 'Variants of one piece of work run interleaved and ranked by mean time; ' +
                    'the interval is the mean\u2019s, the ratio is to the fastest with its interval. Variants not told ' +
                    'apart from the one before share its rank. By median: the rank by median, whose interval comes from ' +
                    'the runs\u2019 order (a few slow runs hardly move it); overlapping intervals share a rank. Memory per ' +
                    'run, means: heap kept (in use after the run minus before, whole process, \u00b1 its interval), ' +
                    'allocated and peak above the run\u2019s start (the calling thread\u2019s, by allocation tracking); ' +
                    '\u2013: not measured.');
  function b(v) { return isNum(v) ? fmtBytes(v) : '\u2013'; }
  D.rankings.forEach(function (r) {
    sec.appendChild(el('h3', null, r[0] + (r[1] ? ' \u00b7 settled' : ' \u00b7 not settled (budget ran out)') +
                       ' \u00b7 ' + Math.round(100 * r[2]) + ' % intervals' +
                       (r[4] ? ' \u00b7 the rankings by mean and by median disagree' : '')));
    sec.appendChild(table(['rank>', 'variant', 'runs>', 'mean>', 'interval>', 'median>', 'interval>', 'by median>',
                           'vs fastest>', 'heap kept>', 'allocated>', 'peak>'], r[3].map(function (e, k) {
      return [String(e[1]), e[0], fmtCount(e[2]), fmtDur(e[3]), '[' + fmtDur(e[4]) + ', ' + fmtDur(e[5]) + ']', fmtDur(e[6]),
              isNum(e[11]) && isNum(e[12]) ? '[' + fmtDur(e[11]) + ', ' + fmtDur(e[12]) + ']' : '\u2013',
              e[13] ? String(e[13]) : '\u2013',
              k === 0 ? 'fastest' : e[7].toFixed(3) + '\u00d7 [' + e[8].toFixed(3) + ', ' + e[9].toFixed(3) + ']',
              isNum(e[14]) ? fmtBytes(e[14]) + (isNum(e[15]) && isNum(e[16]) && e[16] > e[15] ?
                ' \u00b1' + fmtBytes((e[16] - e[15]) / 2) : '') : '\u2013',
              b(e[17]), b(e[18])];
    })));
  });
}

function renderAttempts(D) {
  if (!D.attempts || !D.attempts.length) return;
  var sec = section('attempts', 'Optimisation attempts', 'What was tried and whether it helped: improved or worse ' +
                    'when the change passes 1.96 combined standard errors in that direction (any change when both figures are ' +
                    'exact); \u00b1 is a 95 % interval.');
  function v(x, se) { return fmtNum(x) + (se > 0 ? ' \u00b1' + fmtNum(1.96 * se) : ''); }
  sec.appendChild(table(['attempt', 'metric', 'better', 'before>', 'after>', 'change>', 'outcome'], D.attempts.map(function (a) {
    return [a[0], a[1], a[2] < 0 ? 'lower' : 'higher', v(a[3], a[4]), v(a[5], a[6]),
            isNum(a[8]) ? (a[8] > 0 ? '+' : '') + a[8].toFixed(1) + '%' : '\u2013',
            a[7] > 0 ? 'improved' : a[7] < 0 ? 'worse' : 'unchanged'];
  })));
}

function renderOutcomes(D) {
  var list = (D.outcomes || []).slice(1);   /* the first element is a placeholder */
  if (!list.length) return;
  var sec = section('outcomes', 'Outcome events', 'Each group\u2019s subjects ranked by an outcome per second of their ' +
                    'time or per MiB of their memory: the sum of the outcomes over the sum of the costs, most efficient ' +
                    'first; subjects that cannot be told apart share a rank; \u00b1 is a 95 % interval.');
  function v(x, se) { return isNum(x) ? fmtNum(x) + (isNum(se) && se > 0 ? ' \u00b1' + fmtNum(1.96 * se) : '') : '\u2013'; }
  list.forEach(function (o) {
    var mem = o[2] === 'memory';
    sec.appendChild(el('h3', null, o[0] + ': ' + o[1] + (mem ? ' per MiB of memory' : ' per second of time')));
    sec.appendChild(table(['rank>', 'subject', 'events>', 'mean per event>', (mem ? 'memory' : 'time') + '>',
                           (mem ? 'per MiB' : 'per second') + '>'], o[3].map(function (r) {
      return [String(r[1]), r[0], String(r[2]), v(r[3], r[4]), mem ? fmtBytes(r[5]) : fmtDur(r[5]), v(r[6], r[7])];
    })));
  });
}

function renderQueries(D) {
  if (!D.queries || (!D.queries.length && !D.queries_dropped)) return;
  var est = D.queries.some(function (q) { return !q[10]; });
  var sec = section('queries', 'Database statements', 'Each statement with its literals replaced by ?, all its runs; ' +
                    'a run’s time is from its first step to its end. Share: of the session’s wall time. Scan steps: ' +
                    'SQLite’s steps of full table scans (–: not known).' + (est ? ' ~ marks percentiles estimated from a ' +
                    'uniform sample of the runs.' : '') +
                    (D.queries_dropped ? ' ' + fmtCount(D.queries_dropped) + ' runs of further statements were not counted.' : ''));
  var wall = D.meta.duration_ns;
  function pct(q) { return q[10] ? fmtDur : function (v) { return '~' + fmtDur(v); }; }
  var rows = D.queries.map(function (q) {
    var p = pct(q);
    return [fmtDur(q[3]), wall > 0 ? fmtPct(Math.min(100, 100 * q[3] / wall)) : '–', fmtCount(q[2]), fmtDur(q[4]),
            p(q[5]), p(q[6]), p(q[7]), fmtDur(q[8]), fmtCount(q[9]), q[11] ? fmtCount(q[12]) : '–',
            q[11] ? fmtCount(q[13]) : '–', el('code', {title: q[14] ? 'slowest run: ' + q[14] : null}, q[1]), q[0]];
  });
  var t = cappedTable(['total>', 'share>', 'runs>', 'mean>', 'p50>', 'p95>', 'p99>', 'max>', 'rows>', 'scan steps>',
                       'sorts>', 'statement', 'connection'], rows, 30, 'statements');
  t.firstChild.id = 'query-table';
  sec.appendChild(t);
  if (D.queries_n > D.queries.length) sec.appendChild(el('p', {class: 'note'}, fmtCount(D.queries_n - D.queries.length) +
    ' statements with the least time are left out of this page (fathom report FILE lists them all).'));
}

function renderRequests(D) {
  if (!D.requests || (!D.requests.length && !D.requests_dropped)) return;
  var est = D.requests.some(function (r) { return !r[9]; });
  var sec = section('requests', 'Network requests', 'Each endpoint (scheme://host:port/path, query string left out), ' +
                    'all its requests. Share: of the session\u2019s wall time. Errors: HTTP status 400 or more, or the ' +
                    'transfer failed. Phases: mean per request whose phases are known (\u2013: none).' +
                    (est ? ' ~ marks percentiles estimated from a uniform sample of the requests.' : '') +
                    (D.requests_dropped ? ' ' + fmtCount(D.requests_dropped) + ' requests were not counted.' : ''));
  var wall = D.meta.duration_ns;
  var rows = D.requests.map(function (r) {
    var p = r[9] ? fmtDur : function (v) { return '~' + fmtDur(v); };
    var ph = function (k) { return r[12] > 0 ? fmtDur(r[k] / r[12]) : '\u2013'; };
    return [fmtDur(r[3]), wall > 0 ? fmtPct(Math.min(100, 100 * r[3] / wall)) : '\u2013', fmtCount(r[1]),
            fmtCount(r[2]), fmtDur(r[4]), p(r[5]), p(r[6]), p(r[7]), fmtDur(r[8]), fmtBytes(r[10]), fmtBytes(r[11]),
            ph(13), ph(14), ph(15), ph(16), ph(17), el('code', {title: r[18] ? 'slowest: ' + r[18] : null}, r[0])];
  });
  var t = cappedTable(['total>', 'share>', 'requests>', 'errors>', 'mean>', 'p50>', 'p95>', 'p99>', 'max>', 'sent>',
                       'received>', 'dns>', 'connect>', 'tls>', 'wait>', 'transfer>', 'endpoint'], rows, 30, 'endpoints');
  t.firstChild.id = 'request-table';
  sec.appendChild(t);
  if (D.requests_n > D.requests.length) sec.appendChild(el('p', {class: 'note'}, fmtCount(D.requests_n - D.requests.length) +
    ' endpoints with the least time are left out of this page (fathom report FILE lists them all).'));
}

function renderWindows(D) {
  if (!D.windows || !D.windows.length) return;
  var sec = section('windows', 'Recent windows', 'Each rolling window (fathom_window_enable): the calls of that zone ' +
                    'name in its last N calls and/or last T seconds, with exact percentiles over them, beside the ' +
                    'whole run\u2019s p95. Durations as measured (fathom\u2019s own cost inside the calls left in, ' +
                    'on both sides). \u2264 before seconds: the window held more calls than fit, the newest are kept.');
  function d(v) { return isNum(v) ? fmtDur(v) : '\u2013'; }
  function lim(w) {
    var s = [];
    if (w[1] > 0) s.push('last ' + fmtCount(w[1]) + ' calls');
    if (w[2] > 0) s.push('last ' + fmtNum(w[2]) + ' s');
    return s.join(', ');
  }
  var t = table(['zone', 'window', 'calls>', 'seconds>', 'rate /s>', 'mean>', 'p50>', 'p90>', 'p95>', 'p99>',
                 'max>', 'run p95>', 'run calls>'], D.windows.map(function (w) {
    return [el('code', null, w[0]), lim(w), fmtCount(w[3]), (w[13] ? '\u2264' : '') + fmtNum(w[4]), fmtNum(w[5]),
            d(w[6]), d(w[9]), d(w[10]), d(w[11]), d(w[12]), d(w[8]), d(w[15]), fmtCount(w[14])];
  }));
  t.id = 'window-table';
  sec.appendChild(t);
}

function renderLocks(D) {
  var list = (D.locks || []).slice(1);   /* the first element is a placeholder */
  if (!list.length) return;
  var sec = section('locks', 'Locks', 'Each lock (the most waited on first): acquisitions, the share whose try-lock ' +
                    'failed (contended: the thread waited), the waits and the holds (acquisition to release). ~ marks ' +
                    'percentiles read from a histogram (within 7 %).');
  function d(x, n) { return n && isNum(x) ? fmtDur(x) : '\u2013'; }
  function pc(x) { return isNum(x) ? '~' + fmtDur(x) : '\u2013'; }
  sec.appendChild(table(['lock', 'kind', 'acquired>', 'contended>', 'wait>', 'wait p50>', 'wait p99>', 'wait max>',
                         'hold>', 'hold p50>', 'hold p99>', 'hold max>'], list.map(function (l) {
    var share = l[2] ? ' (' + fmtPct(100 * l[3] / l[2]) + ')' : '';
    return [l[0], l[1], fmtCount(l[2]), fmtCount(l[3]) + share, d(l[4], l[3]), pc(l[5]), pc(l[6]), d(l[7], l[3]),
            d(l[8], 1), pc(l[9]), pc(l[10]), d(l[11], 1)];
  })));
  list.forEach(function (l) {
    if (!l[3]) return;
    function zs(z, tot) {
      return z.map(function (x) { return x[0] + ' ' + fmtDur(x[2]) + ' (' + fmtPct(tot > 0 ? Math.min(100, 100 * x[2] / tot) : 0) + ', ' + fmtCount(x[1]) + ')'; }).join('; ');
    }
    sec.appendChild(el('h3', null, l[0]));
    sec.appendChild(kv([['Waited in', zs(l[12], l[4])], ['Held in', zs(l[13], l[8])]]));
  });
}

function renderGpuZones(D) {
  if (!D.gpu_zones || !D.gpu_zones.length) return;
  var sec = section('gpu-zones', 'GPU zones', 'GPU time between the two CUDA events of each zone (CUDA\u2019s event ' +
                    'timer, exact), beside the CPU time per call of the zone of the same name (what launching the ' +
                    'work cost the thread). Unresolved: pairs not complete at the session\u2019s end; dropped: not recorded. ' +
                    'Memory (NVML, the whole device): read at the pairs\u2019 begin and end on the first pair of a name, ' +
                    'then at a bounded rate; the change is the mean of end \u2212 begin, the peak the largest reading.');
  function d(v) { return isNum(v) ? fmtDur(v * 1e6) : '\u2013'; }
  /* device memory (NVML), where some zone had it read: the mean change per pair (~ and its 95 %
   * error when only some pairs were read), the peak of the readings (at least the true one) */
  var mem = D.gpu_zones.some(function (g) { return g[9] > 0; });
  function chg(g) {
    if (!(g[9] > 0)) return '\u2013';
    var s = (g[10] < 0 ? '\u2212' : '+') + fmtBytes(Math.abs(g[10]));
    if (g[9] < g[1]) s = '~' + s + (isNum(g[11]) ? ' \u00b1' + fmtBytes(1.96 * g[11]) : '');
    return s;
  }
  var head = ['zone', 'pairs>', 'GPU total>', 'GPU mean>', 'GPU min>', 'GPU max>', 'CPU per call>', 'unresolved>',
              'dropped>'];
  if (mem) head = head.concat(['memory read>', 'memory change>', 'memory peak>']);
  var t = table(head, D.gpu_zones.map(function (g) {
    var row = [g[0], fmtCount(g[1]), d(g[2]), d(g[3]), d(g[4]), d(g[5]), isNum(g[8]) ? fmtDur(g[8]) : '\u2013',
               fmtCount(g[6]), fmtCount(g[7])];
    if (mem) row = row.concat([g[9] > 0 ? fmtCount(g[9]) : '\u2013', chg(g), g[9] > 0 ? '\u2265' + fmtBytes(g[12]) : '\u2013']);
    return row;
  }));
  t.id = 'gpu-zone-table';
  sec.appendChild(t);
}

function renderExtensions(D) {
  (D.exts || []).forEach(function (x) {
    var sec = section('ext-' + x[0].replace(/[^A-Za-z0-9_.-]/g, '_'), 'Extension ' + x[0],
                      'Measures of the program\u2019s own, read ' + (x[1] ? 'on every timed call' : 'on the probed calls') +
                      ' around each zone: inclusive (nested zones included), self (its own code) and per call. ' +
                      '~ marks an estimate from the calls read, \u00b1 its 95 % error.');
    function v(val, se, n) {
      if (!n) return '\u2013';
      return se > 0 ? '~' + fmtNum(val) + ' \u00b1' + fmtNum(1.96 * se) : fmtNum(val);
    }
    var head = ['zone', 'calls read>'];
    x[2].forEach(function (m, k) {
      var u = x[3][k] ? ' (' + x[3][k] + ')' : '';
      head.push(m + u + '>', 'self>', 'per call>');
    });
    if (x[5].length) {
      sec.appendChild(table(head, x[5].map(function (r) {
        var row = [r[0], fmtCount(r[1][0])];
        for (var k = 1; k < r.length; k++) {
          var m = r[k];
          row.push(v(m[2], m[3], m[0]), v(m[4], m[5], m[0]), m[1] > 0 ? v(m[2] / m[1], m[3] / m[1], m[0]) : '\u2013');
        }
        return row;
      })));
    } else {
      sec.appendChild(el('p', null, 'No call was read.'));
    }
    if (x[4]) sec.appendChild(el('pre', null, x[4]));
  });
}

function renderProcesses(D) {
  if (!D.procs || !D.procs.length) return;
  var sec = section('processes', 'Processes', 'Every process the program ran. CPU (sampled): the samples of its ' +
                    'threads (an estimate); the other figures are the kernel\u2019s, as last read (* : up to one reading ' +
                    'interval before it ended); \u2013: never read.');
  function b(v) { return isNum(v) ? fmtBytes(v) : '\u2013'; }
  function c(v) { return isNum(v) ? fmtCount(v) : '\u2013'; }
  sec.appendChild(table(['pid>', 'parent>', 'command', 'ended', 'CPU (sampled)>', 'user+sys>', 'peak RSS>', 'read>',
                         'written>', 'ctx switches>', 'faults>'], D.procs.map(function (q) {
    return [String(q[0]), q[1] < 0 ? '\u2013' : String(q[1]), q[2], q[3], fmtDurEst(q[4], q[5], true),
            isNum(q[6]) ? fmtDur(q[6]) + (q[12] > 0 ? ' *' : '') : '\u2013', b(q[7]), b(q[8]), b(q[9]), c(q[10]), c(q[11])];
  })));
}

function renderNotes(D) {
  var m = D.meta, sec = section('notes', 'Governor and probe notes');
  var notes = [];
  if (m.governor) notes.push('The overhead governor was on' + (isNum(m.overhead_budget_pct) ? ' with a budget of ' + fmtPct(m.overhead_budget_pct) : '') +
    '; ' + fmtCount(D.gov.n) + ' decision' + (D.gov.n === 1 ? '' : 's') + '.');
  else notes.push('The overhead governor was off: nothing was thinned.');
  if (isNum(m.probe_cost_ns) && m.probe_cost_ns > 0) notes.push('One probed call cost ' + fmtDur(m.probe_cost_ns) + '; probes ran on 1 call in ' + m.sample_every + ' after the first 8 of each path.');
  if (isNum(m.monitor_cpu_ns) && m.monitor_cpu_ns > 0) notes.push('fathom\u2019s background thread used ' + fmtDur(m.monitor_cpu_ns) + ' of CPU time.');
  if (isNum(m.setup_ns) && m.setup_ns > 0) notes.push('Setting the session up (clock and cost calibration) took ' + fmtDur(m.setup_ns) + '.');
  if (isNum(m.build_ns) && m.build_ns > 0) notes.push('Building the model and its analysis took ' + fmtDur(m.build_ns) + '.');
  if (isNum(m.fixed_cost_ns) && m.fixed_cost_ns > 0) notes.push('fathom\u2019s fixed costs, ' + fmtDur(m.fixed_cost_ns) +
    ' in all, are not part of the overhead (the zones\u2019 cost) and never a reason to thin the zones.');
  if (isNum(m.n_timed) && m.n_timed > 0 && m.n_timed < m.n_zones) notes.push(fmtCount(m.n_timed) + ' of ' + fmtCount(m.n_zones) +
    ' zone calls were timed; the others were counted, and the times of the zones concerned are estimates from the timed ones.');
  if (m.dropped_hist) notes.push(fmtCount(m.dropped_hist) + ' samples were counted but left out of histograms (cap reached).');
  if (m.dropped_snapshots) notes.push(fmtCount(m.dropped_snapshots) + ' memory snapshots were dropped (cap reached).');
  sec.appendChild(el('ul', null, notes.map(function (n) { return el('li', null, n); })));
  if (D.gov.d.length) {
    sec.appendChild(el('h3', null, 'Governor decisions'));
    sec.appendChild(cappedTable(['time>', 'zone', 'action', 'interval>', 'overhead then>'], D.gov.d.map(function (g) {
      return [fmtTime(g[0]), g[1] || '(session)', g[2].replace(/_/g, ' '), g[3] ? '1 in ' + g[3] : '\u2013', fmtPct(g[4])];
    }), 20, 'decisions'));
    if (D.gov.n > D.gov.d.length) sec.appendChild(el('p', {class: 'note'}, 'The first ' + D.gov.d.length + ' of ' + fmtCount(D.gov.n) + ' decisions.'));
  }
  if (D.probes.length) {
    sec.appendChild(el('h3', null, 'Probes'));
    sec.appendChild(table(['probe', 'available', 'detail'], D.probes.map(function (p) {
      return [p[0], el('span', {class: p[1] ? 'ok' : 'muted'}, p[1] ? 'yes' : 'no'), p[2]];
    })));
  }
  if (D.snaps.length) {
    sec.appendChild(el('h3', null, 'Memory snapshots'));
    sec.appendChild(table(['label', 'time>', 'RSS>', 'live allocations>', 'live bytes>'], D.snaps.map(function (s) {
      return [s[0], fmtTime(s[1]), fmtBytes(s[2]), fmtCount(s[3]), fmtBytes(s[4])];
    })));
  }
}

function renderMeta(D) {
  var m = D.meta, sec = section('metadata', 'Metadata');
  sec.appendChild(kv([
    ['fathom version', m.fathom_version], ['schema version', String(m.schema_version)],
    ['session id', m.session_id], ['program', m.program], ['pid', isNum(m.pid) ? String(m.pid) : null],
    ['host', m.host], ['OS', m.os], ['kernel', m.kernel], ['architecture', m.arch], ['CPU', m.cpu_model],
    ['CPUs', m.n_cpus ? String(m.n_cpus) : null], ['level', m.level], ['clock source', m.clock_source],
    ['TSC frequency', isNum(m.tsc_hz) && m.tsc_hz > 0 ? fmtSI(m.tsc_hz, 'Hz') : null],
    ['allocation tracking', m.alloc_tracking ? 'on' : 'off'], ['timeline', m.timeline ? 'recorded' : 'not recorded'],
    ['monitor samples', D.res.monitored ? fmtCount(D.res.n_samples) : 'monitor off']
  ]));
}

/* ---- the URL hash ---- */

function hashParams() {
  var out = {}, h = location.hash.replace(/^#/, '');
  h.split('&').forEach(function (part) {
    var eq = part.indexOf('=');
    if (eq <= 0) return;
    try { out[part.slice(0, eq)] = decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' ')); }
    catch (e) { /* a malformed escape: ignore that parameter */ }
  });
  return out;
}

function applyHash(view) {
  var h = hashParams();
  if (view.flame) {
    if (h.threads) view.flame.setPerThread(h.threads === '1');
    if (h.zoom != null) view.flame.zoomTo(h.zoom);
    if (h.search != null) view.flame.setSearch(h.search);
    if (h.zone != null) view.flame.setZone(h.zone);
  }
  if (view.zones) {
    if (h.filter != null) view.zones.setFilter(h.filter);
    if (h.sort) view.zones.sortBy(h.sort.replace(/^-/, ''), h.sort.charAt(0) === '-');
  }
}

function main() {
  var D = JSON.parse(document.getElementById('fathom-data').textContent);
  var app = document.getElementById('app');
  while (app.firstChild) app.removeChild(app.firstChild);
  document.getElementById('top').appendChild(el('nav', {id: 'nav'}));
  var sub = document.querySelector('#top .sub');
  if (sub) sub.textContent = 'fathom profile report \u00b7 ' + D.meta.level + ' \u00b7 ' + fmtDur(D.meta.duration_ns) +
    (D.meta.start_unix_ns ? ' \u00b7 ' + new Date(D.meta.start_unix_ns / 1e6).toISOString().slice(0, 19).replace('T', ' ') + ' UTC' : '');
  var view = {};
  renderSummary(D);
  view.zones = renderZones(D);
  view.flame = renderFlame(D);
  if (view.zones && view.flame) view.zones.onPick = function (name) { view.flame.setZone(name); };
  renderFindings(D);
  renderSla(D);
  renderThroughput(D);
  view.timeline = renderTimeline(D);
  renderCharts(D);
  renderHotLines(D);
  renderRankings(D);
  renderAttempts(D);
  renderOutcomes(D);
  renderQueries(D);
  renderRequests(D);
  renderWindows(D);
  renderLocks(D);
  renderGpuZones(D);
  renderExtensions(D);
  renderCounters(D);
  renderProcesses(D);
  renderThreads(D);
  renderNotes(D);
  renderMeta(D);
  applyHash(view);
  window.addEventListener('hashchange', function () { applyHash(view); });
  /* where each section starts (px from the top of the page) and the page's height, for
   * tests reading the DOM: the order and the length of the page */
  var tops = [];
  Array.prototype.forEach.call(document.querySelectorAll('#app > section'), function (s) {
    tops.push(s.id + ':' + Math.round(s.getBoundingClientRect().top + window.pageYOffset));
  });
  document.documentElement.setAttribute('data-layout', tops.join(','));
  document.documentElement.setAttribute('data-page-height', String(document.documentElement.scrollHeight));
  document.documentElement.setAttribute('data-rendered', '1');
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
else main();
