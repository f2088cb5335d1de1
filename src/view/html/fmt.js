/* fmt.js: figures for people (durations, bytes, counts, rates, percentages) and the DOM
 * helpers every section uses.
 *
 * Invariant: profile text reaches the page only as text nodes (el() and txt() never parse
 * markup), so names holding "<", "&" or quotes are shown as written. */

var MU = '\u00b5';

function isNum(v) { return typeof v === 'number' && isFinite(v); }

function fmtDur(ns) {
  if (!isNum(ns) || ns < 0) return '\u2013';
  if (ns < 999.95) return (ns === Math.floor(ns) ? ns.toFixed(0) : ns.toFixed(1)) + ' ns';
  if (ns < 999995) return (ns / 1e3).toFixed(2) + ' ' + MU + 's';
  if (ns < 999995000) return (ns / 1e6).toFixed(2) + ' ms';
  if (ns < 1e12) return (ns / 1e9).toFixed(3) + ' s';
  return (ns / 1e9).toFixed(0) + ' s';
}

/* Estimates (schema 4): "~" marks a figure estimated from a random sample of timed calls,
 * "+-" is a 95 % interval (1.96 standard errors), in the unit of the figure it follows. */
var Z95 = 1.959963984540054;

function durUnit(ns) {   /* [divisor, decimals] of the unit fmtDur picks */
  if (ns < 999.95) return [1, ns === Math.floor(ns) ? 0 : 1];
  if (ns < 999995) return [1e3, 2];
  if (ns < 999995000) return [1e6, 2];
  return [1e9, ns < 1e12 ? 3 : 0];
}

function inUnit(v, u) {   /* v in unit u; small figures keep two significant digits */
  var x = v / u[0];
  return x !== 0 && Math.abs(x) < 10 * Math.pow(10, -u[1]) ? String(Number(x.toPrecision(2))) : x.toFixed(u[1]);
}

/* "12.31 ms", estimated "~12.31 ms +-0.42" (no +- when se is unknown). */
function fmtDurEst(ns, se, est) {
  var s = fmtDur(ns);
  if (!est || !isNum(ns) || ns < 0) return s;
  if (!(isNum(se) && se > 0)) return '~' + s;
  /* in the value's unit, unless the interval is larger by a unit or more ("~2 ns +-4.10 ms") */
  var half = Z95 * se, u = durUnit(ns);
  return '~' + s + ' \u00b1' + (durUnit(half)[0] > u[0] ? fmtDur(half) : inUnit(half, u));
}

/* A usable interval: finite, lo < hi, holding v (a little slack). */
function hasInterval(v, lo, hi) {
  if (!isNum(v) || !isNum(lo) || !isNum(hi) || !(lo < hi)) return false;
  var slack = 1e-6 * Math.max(1, Math.abs(v));
  return lo <= v + slack && hi >= v - slack;
}

/* "4.10 ms", estimated with its interval "~4.10 ms [3.90, 4.40]". */
function fmtInterval(v, lo, hi, est) {
  var s = fmtDur(v);
  if (!est || !isNum(v) || v < 0) return s;
  if (!hasInterval(v, lo, hi)) return '~' + s;
  var u = durUnit(v);
  return '~' + s + ' [' + inUnit(lo, u) + ', ' + inUnit(hi, u) + ']';
}

/* A share in percent that can never read above 100 %: clamped, with a mark saying so. */
function fmtShare(part, whole) {
  if (!isNum(part) || !isNum(whole) || whole <= 0) return '\u2013';
  var p = 100 * part / whole;
  return p > 100 ? '100%*' : fmtPct(Math.max(0, p));
}

function fmtBytes(v) {
  if (!isNum(v)) return '\u2013';
  var a = Math.abs(v), units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'], u = 0;
  if (a < 1024) return v.toFixed(0) + ' B';
  a /= 1024;
  while (a >= 1024 && u < units.length - 1) { a /= 1024; u++; }
  return (v < 0 ? '-' : '') + a.toFixed(a < 10 ? 2 : 1) + ' ' + units[u];
}

function fmtCount(v) {
  if (!isNum(v)) return '\u2013';
  var s = Math.round(Math.abs(v)).toString(), out = '';
  for (var i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return (v < 0 ? '-' : '') + out;
}

function fmtNum(v) {
  if (!isNum(v)) return '\u2013';
  if (v === Math.floor(v) && Math.abs(v) < 1e15) return fmtCount(v);
  return Number(v.toPrecision(4)).toString();
}

function fmtPct(v) { return isNum(v) ? v.toFixed(v < 10 ? 2 : 1) + '%' : '\u2013'; }

/* SI prefixes: "26.5 GFLOP/s". */
function fmtSI(v, unit) {
  if (!isNum(v)) return '\u2013';
  if (v === 0) return ('0 ' + unit).trim();
  var pre = ['', 'k', 'M', 'G', 'T', 'P', 'E'], i = 0, a = Math.abs(v);
  while (a >= 1000 && i < pre.length - 1) { a /= 1000; i++; }
  return (v < 0 ? '-' : '') + (a < 10 ? a.toFixed(2) : a < 100 ? a.toFixed(1) : a.toFixed(0)) +
    ' ' + pre[i] + unit;
}

/* A figure by its unit, as findings and SLAs carry them. */
function fmtUnit(v, unit) {
  switch (unit) {
    case 'ns': return fmtDur(v);
    case 'bytes': return fmtBytes(v);
    case '%': return fmtPct(v);
    case 'calls': case 'count': return fmtCount(v);
    case '': case undefined: case null: return fmtNum(v);
    default: return fmtNum(v) + ' ' + unit;
  }
}

function fmtTime(ns) {   /* a time since the session began */
  return isNum(ns) ? (ns / 1e9).toFixed(ns < 1e10 ? 3 : 1) + ' s' : '\u2013';
}

/* ---- DOM ---- */

function txt(s) { return document.createTextNode(s == null ? '' : String(s)); }

/* el('td', {class: 'num', title: '...'}, child, ...): children are nodes or text. */
function el(tag, attrs) {
  var e = document.createElement(tag);
  if (attrs) {
    for (var k in attrs) {
      if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] == null) continue;
      if (k === 'class') e.className = attrs[k];
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
  }
  for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
  return e;
}

function add(e, c) {
  if (c == null || c === false) return;
  if (Array.isArray(c)) { for (var i = 0; i < c.length; i++) add(e, c[i]); return; }
  e.appendChild(typeof c === 'object' ? c : txt(c));
}

var SVGNS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs) {
  var e = document.createElementNS(SVGNS, tag);
  for (var k in attrs) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
  for (var i = 2; i < arguments.length; i++) {
    var c = arguments[i];
    if (c != null) e.appendChild(typeof c === 'object' ? c : txt(c));
  }
  return e;
}

/* A section with an anchor and a heading, appended to the page and the navigation. */
function section(id, title, note) {
  var s = el('section', {id: id}, el('h2', null, title));
  if (note) s.appendChild(el('p', {class: 'note'}, note));
  document.getElementById('app').appendChild(s);
  var nav = document.getElementById('nav');
  if (nav) nav.appendChild(el('a', {href: '#' + id}, title));
  return s;
}

/* A simple table: head is a list of labels (a label ending in '>' is right-aligned, the
 * '>' dropped); rows are lists of cells (text or nodes). */
function table(head, rows, cls) {
  var right = head.map(function (h) { return h.slice(-1) === '>'; });
  var tr = el('tr');
  head.forEach(function (h, i) { tr.appendChild(el('th', right[i] ? {class: 'num'} : null, right[i] ? h.slice(0, -1) : h)); });
  var tb = el('tbody');
  rows.forEach(function (r) {
    var row = el('tr');
    r.forEach(function (c, i) { row.appendChild(el('td', right[i] ? {class: 'num'} : null, c)); });
    tb.appendChild(row);
  });
  return el('table', {class: cls || 'grid'}, el('thead', null, tr), tb);
}

/* A long table cut to its first `limit` rows, with a button that shows the rest (and back):
 * the page stays short on profiles of hundreds of zones. The table carries data-rows (rows
 * shown) and data-total (rows in all). */
function cappedTable(head, rows, limit, what, cls) {
  var t = table(head, rows, cls), tb = t.tBodies[0], all = false;
  var box = el('div', {class: 'capped'}, t);
  function apply() {
    for (var i = 0; i < tb.rows.length; i++) tb.rows[i].hidden = !all && i >= limit;
    t.setAttribute('data-rows', String(all ? rows.length : Math.min(limit, rows.length)));
    if (btn) btn.textContent = all ? 'show the first ' + limit + ' only' : 'show all ' + fmtCount(rows.length) + ' ' + what;
  }
  var btn = rows.length > limit ? el('button', {type: 'button', class: 'more', onclick: function () { all = !all; apply(); }}) : null;
  t.setAttribute('data-total', String(rows.length));
  if (btn) box.appendChild(btn);
  apply();
  return box;
}

/* Key-value list: pairs [key, value]; pairs with a null value are left out. */
function kv(pairs) {
  var dl = el('dl', {class: 'kv'});
  pairs.forEach(function (p) {
    if (p[1] == null || p[1] === '') return;
    dl.appendChild(el('dt', null, p[0]));
    dl.appendChild(el('dd', p[2] ? {class: p[2]} : null, p[1]));
  });
  return dl;
}

/* Stable colour of a name: warm hues for the flame graph, or hue range for charts. */
function hashStr(s) {
  var h = 2166136261;
  for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
  return h >>> 0;
}

var PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1',
               '#ff9da7', '#9c755f', '#bab0ac'];

function darkMode() {
  return !!(window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches);
}

/* A canvas W x H CSS pixels at dpr device pixels each, cleared: its 2D context, set for text
 * of the charts (flame graph, timeline). */
function canvasContext(c, W, H, dpr) {
  c.width = Math.round(W * dpr);
  c.height = Math.round(H * dpr);
  c.style.width = W + 'px';
  c.style.height = H + 'px';
  var g = c.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, W, H);
  g.font = '11px system-ui, sans-serif';
  g.textBaseline = 'middle';
  return g;
}
