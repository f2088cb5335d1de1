/* charts.js: the monitor's time series (D.series) as inline SVG line charts: CPU, memory,
 * I/O and network rates, context switches, page faults, threads, energy, and one set per
 * GPU.
 *
 * Invariant: a chart is drawn only when one of its lines has a finite value; cumulative
 * columns are drawn as rates (the difference between samples over their interval), and at
 * most ~600 points per line are drawn (the highest value of each bucket, so peaks stay). */

var CHART_W = 640, CHART_H = 150, CHART_PAD_L = 70, CHART_PAD_B = 22, CHART_PAD_T = 8;

/* Chart groups: lines are [column, label, cumulative]. */
function chartGroups(cols) {
  var g = [
    {title: 'CPU (100% = one core)', unit: '%', lines: [['cpu_user_pct', 'user'], ['cpu_sys_pct', 'system']]},
    {title: 'Memory (RSS)', unit: 'bytes', lines: [['rss_bytes', 'RSS']]},
    {title: 'I/O (bytes/s)', unit: 'bytes/s', lines: [['read_bytes', 'read', 1], ['write_bytes', 'write', 1],
      ['disk_read_bytes', 'storage read', 1], ['disk_write_bytes', 'storage write', 1]]},
    {title: 'Network, host (bytes/s)', unit: 'bytes/s', lines: [['net_rx_bytes', 'received', 1], ['net_tx_bytes', 'sent', 1]]},
    {title: 'Context switches (/s)', unit: '/s', lines: [['ctx_vol', 'voluntary', 1], ['ctx_invol', 'involuntary', 1]]},
    {title: 'Page faults (/s)', unit: '/s', lines: [['minflt', 'minor', 1], ['majflt', 'major', 1]]},
    {title: 'Threads', unit: '', lines: [['threads', 'threads']]},
    {title: 'System memory used', unit: '%', lines: [['sys_mem_used_pct', 'used']]},
    {title: 'Host: CPUs and busiest disk busy', unit: '%', lines: [['host_cpu_pct', 'all CPUs'], ['disk_util_pct', 'busiest disk']]},
    {title: 'CPU power (W)', unit: 'W', lines: [['cpu_energy_j', 'CPU', 1]]}
  ];
  var gpus = {};
  cols.forEach(function (c) {
    var m = /^gpu(\d+)_/.exec(c);
    if (m) gpus[m[1]] = 1;
  });
  Object.keys(gpus).sort(function (a, b) { return a - b; }).forEach(function (k) {
    var p = 'gpu' + k + '_';
    g.push({title: 'GPU ' + k + ' utilisation', unit: '%', lines: [[p + 'util_pct', 'util']]});
    g.push({title: 'GPU ' + k + ' memory', unit: 'bytes', lines: [[p + 'mem_used_bytes', 'used']]});
    g.push({title: 'GPU ' + k + ' power (W)', unit: 'W', lines: [[p + 'power_w', 'power']]});
    g.push({title: 'GPU ' + k + ' temperature (\u00b0C)', unit: '\u00b0C', lines: [[p + 'temp_c', 'temp']]});
  });
  return g;
}

function fmtAxis(v, unit) {
  if (unit === 'bytes') return fmtBytes(v);
  if (unit === 'bytes/s') return fmtBytes(v) + '/s';
  if (unit === '%') return fmtPct(v);
  if (!unit) return fmtNum(v);
  return fmtSI(v, unit === '/s' ? '/s' : unit);
}

/* Values of one line: [ts_ns[], values[]] (rates for cumulative columns). */
function seriesLine(S, col, cumulative) {
  var c = S.cols.indexOf(col), nc = S.cols.length, n = S.ts.length, xs = [], ys = [];
  if (c < 0) return null;
  for (var i = 0; i < n; i++) {
    var v = S.v[i * nc + c];
    if (cumulative) {
      if (i === 0) continue;
      var prev = S.v[(i - 1) * nc + c], dt = (S.ts[i] - S.ts[i - 1]) / 1e9;
      v = isNum(v) && isNum(prev) && dt > 0 ? Math.max(0, (v - prev) / dt) : null;
    }
    if (!isNum(v)) continue;
    xs.push(S.ts[i]);
    ys.push(v);
  }
  return xs.length ? [xs, ys] : null;
}

/* At most `max` points: the highest value of each bucket of the time range. */
function thin(line, t0, t1, max) {
  if (line[0].length <= max) return line;
  var bx = [], by = [], span = (t1 - t0) || 1, cur = -1;
  for (var i = 0; i < line[0].length; i++) {
    var b = Math.floor((line[0][i] - t0) / span * (max - 1));
    if (b !== cur) { bx.push(line[0][i]); by.push(line[1][i]); cur = b; }
    else if (line[1][i] > by[by.length - 1]) { by[by.length - 1] = line[1][i]; }
  }
  return [bx, by];
}

function drawChart(g, lines, t0, t1) {
  var ymax = 0;
  lines.forEach(function (l) { l.data[1].forEach(function (v) { if (v > ymax) ymax = v; }); });
  if (g.unit === '%' && ymax < 100 && g.title.indexOf('CPU') < 0) ymax = 100;
  if (ymax <= 0) ymax = 1;
  var w = CHART_W - CHART_PAD_L - 8, h = CHART_H - CHART_PAD_B - CHART_PAD_T;
  var X = function (t) { return CHART_PAD_L + (t1 > t0 ? (t - t0) / (t1 - t0) : 0) * w; };
  var Y = function (v) { return CHART_PAD_T + h - v / ymax * h; };
  var s = svg('svg', {viewBox: '0 0 ' + CHART_W + ' ' + CHART_H, class: 'chart', role: 'img',
                      'aria-label': g.title});
  s.appendChild(svg('rect', {x: CHART_PAD_L, y: CHART_PAD_T, width: w, height: h, class: 'plot'}));
  [0, 0.5, 1].forEach(function (f) {
    var y = Y(ymax * f);
    s.appendChild(svg('line', {x1: CHART_PAD_L, x2: CHART_PAD_L + w, y1: y, y2: y, class: 'gridline'}));
    s.appendChild(svg('text', {x: CHART_PAD_L - 4, y: y + 4, 'text-anchor': 'end', class: 'axis'},
                      fmtAxis(ymax * f, g.unit)));
  });
  s.appendChild(svg('text', {x: CHART_PAD_L, y: CHART_H - 6, class: 'axis'}, fmtTime(t0)));
  s.appendChild(svg('text', {x: CHART_PAD_L + w, y: CHART_H - 6, 'text-anchor': 'end', class: 'axis'}, fmtTime(t1)));
  lines.forEach(function (l, i) {
    var d = thin(l.data, t0, t1, 600), pts = [];
    for (var k = 0; k < d[0].length; k++) pts.push(X(d[0][k]).toFixed(1) + ',' + Y(d[1][k]).toFixed(1));
    var peak = Math.max.apply(null, l.data[1]);
    s.appendChild(svg('polyline', {points: pts.join(' '), fill: 'none', stroke: PALETTE[i % PALETTE.length],
                                   'stroke-width': 1.5, 'data-col': l.col},
                      svg('title', {}, l.label + ' (peak ' + fmtAxis(peak, g.unit) + ')')));
  });
  return s;
}

function renderCharts(D) {
  var S = D.series;
  if (!S || !S.ts || S.ts.length < 2 || !S.cols.length) return;
  var sec = section('resources-time', 'Resources over time',
                    S.ts.length + ' samples of the background monitor' +
                    (isNum(S.interval_s) ? ', every ' + S.interval_s + ' s' : '') + '.');
  var t0 = S.ts[0], t1 = S.ts[S.ts.length - 1], box = el('div', {class: 'charts'}), n = 0;
  chartGroups(S.cols).forEach(function (g) {
    var lines = [];
    g.lines.forEach(function (l) {
      var data = seriesLine(S, l[0], l[2]);
      if (data) lines.push({col: l[0], label: l[1], data: data});
    });
    if (!lines.length) return;
    var legend = el('div', {class: 'legend'});
    lines.forEach(function (l, i) {
      legend.appendChild(el('span', null, el('i', {style: 'background:' + PALETTE[i % PALETTE.length]}), l.label));
    });
    box.appendChild(el('figure', {class: 'chartbox'}, el('figcaption', null, g.title), drawChart(g, lines, t0, t1), legend));
    n++;
  });
  if (!n) box.appendChild(el('p', {class: 'note'}, 'The samples hold no finite values.'));
  sec.appendChild(box);
  sec.setAttribute('data-charts', String(n));
}
