/* timeline.js: the recorded timeline (D.events) on a canvas: one lane per thread, one row
 * per nesting depth, time left to right. Mouse wheel zooms around the pointer, dragging pans,
 * double-click or "Reset" shows everything again; hover for a zone's figures.
 *
 * Invariant: a draw visits every kept event once and skips those outside the view; events
 * narrower than a pixel are drawn as one pixel only once per pixel column and row, so a
 * dense view costs no more than its width. The view is [v0, v1) in ns since the session
 * began and is mirrored in data-view on the timeline element. */

var TL_ROW = 14, TL_HEAD = 16;

function Timeline(D, host) {
  var E = D.events.d, n = Math.floor(E.length / 5), self = this;
  this.D = D;
  this.E = E;
  this.n = n;
  this.host = host;
  var lanes = new Map(), t0 = Infinity, t1 = -Infinity;
  for (var i = 0; i < n; i++) {
    var o = i * 5, th = E[o], depth = Math.max(1, E[o + 2]);
    var lane = lanes.get(th);
    if (!lane) { lane = {thread: th, depth: 1}; lanes.set(th, lane); }
    if (depth > lane.depth) lane.depth = Math.min(depth, 64);
    if (E[o + 3] < t0) t0 = E[o + 3];
    if (E[o + 3] + E[o + 4] > t1) t1 = E[o + 3] + E[o + 4];
  }
  this.lanes = Array.from(lanes.values()).sort(function (a, b) { return a.thread - b.thread; });
  var y = 20;
  this.lanes.forEach(function (l) { l.y = y; y += TL_HEAD + l.depth * TL_ROW + 6; });
  this.height = y;
  this.t0 = n ? t0 : 0;
  this.t1 = n ? Math.max(t1, t0 + 1) : 1;
  this.v0 = this.t0;
  this.v1 = this.t1;
  this.canvas = el('canvas', {class: 'timeline', id: 'timeline-canvas'});
  this.tip = el('div', {class: 'tip', hidden: 'hidden'});
  this.wrap = el('div', {class: 'flame-wrap'}, this.canvas, this.tip);
  host.appendChild(el('div', {class: 'controls'},
    el('button', {type: 'button', onclick: function () { self.zoomBy(0.5, 0.5); }}, 'Zoom in'),
    el('button', {type: 'button', onclick: function () { self.zoomBy(2, 0.5); }}, 'Zoom out'),
    el('button', {type: 'button', onclick: function () { self.setView(self.t0, self.t1); }}, 'Reset'),
    el('span', {class: 'flame-info'}, 'wheel: zoom, drag: pan, double-click: reset')));
  host.appendChild(this.wrap);
  var c = this.canvas, drag = null;
  c.addEventListener('wheel', function (e) {
    e.preventDefault();
    var r = c.getBoundingClientRect();
    self.zoomBy(e.deltaY > 0 ? 1.25 : 0.8, (e.clientX - r.left) / r.width);
  }, {passive: false});
  c.addEventListener('mousedown', function (e) { drag = {x: e.clientX, v0: self.v0, v1: self.v1}; });
  window.addEventListener('mouseup', function () { drag = null; });
  c.addEventListener('mousemove', function (e) {
    if (drag) {
      var dt = (e.clientX - drag.x) / c.clientWidth * (drag.v1 - drag.v0);
      self.setView(drag.v0 - dt, drag.v1 - dt);
      self.tip.hidden = true;
      return;
    }
    self.onMove(e);
  });
  c.addEventListener('mouseleave', function () { self.tip.hidden = true; });
  c.addEventListener('dblclick', function () { self.setView(self.t0, self.t1); });
  window.addEventListener('resize', function () { self.draw(); });
  this.draw();
}

Timeline.prototype.zoomBy = function (factor, at) {
  var span = this.v1 - this.v0, mid = this.v0 + span * at, ns = Math.max(span * factor, 1000);
  this.setView(mid - ns * at, mid + ns * (1 - at));
};

Timeline.prototype.setView = function (a, b) {
  var span = Math.min(b - a, this.t1 - this.t0);
  if (a < this.t0) a = this.t0;
  if (a + span > this.t1) a = this.t1 - span;
  this.v0 = a;
  this.v1 = a + span;
  this.draw();
};

Timeline.prototype.draw = function () {
  var c = this.canvas, W = Math.max(300, this.wrap.clientWidth || 1200), H = this.height;
  var dpr = window.devicePixelRatio || 1, dark = darkMode(), D = this.D, E = this.E;
  var g = canvasContext(c, W, H, dpr);
  var v0 = this.v0, scale = W / (this.v1 - this.v0), fg = dark ? '#ddd' : '#222';
  /* time axis */
  g.fillStyle = fg;
  for (var k = 0; k <= 5; k++) {
    var tx = k / 5 * W, t = v0 + k / 5 * (this.v1 - v0);
    g.textAlign = k === 0 ? 'left' : k === 5 ? 'right' : 'center';
    g.fillText(fmtTime(t), tx, 8);
  }
  g.textAlign = 'left';
  var laneOf = new Map();
  this.lanes.forEach(function (l) {
    laneOf.set(l.thread, l);
    l.rows = [];
    for (var d = 0; d < l.depth; d++) l.rows.push([]);
    l.last = new Float64Array(l.depth).fill(-1);
    g.fillStyle = dark ? '#2a2f36' : '#eef1f5';
    g.fillRect(0, l.y, W, TL_HEAD + l.depth * TL_ROW);
    g.fillStyle = fg;
    var th = D.threads[l.thread];
    g.fillText(th ? (th[1] ? th[1] + ' ' : '') + '(tid ' + th[0] + ')' : 'thread #' + l.thread, 4, l.y + TL_HEAD / 2);
  });
  var drawn = 0;
  for (var i = 0; i < this.n; i++) {
    var o = i * 5, lane = laneOf.get(E[o]), depth = Math.min(Math.max(1, E[o + 2]), 64) - 1;
    var x = (E[o + 3] - v0) * scale, w = E[o + 4] * scale;
    if (x + w < 0 || x > W || depth >= lane.depth) continue;
    if (w < 1) {
      var px = Math.floor(x);
      if (lane.last[depth] === px) continue;
      lane.last[depth] = px;
      w = 1;
    }
    var z = D.zones[E[o + 1]], name = z ? z[0] : '?', h = hashStr(name), y = lane.y + TL_HEAD + depth * TL_ROW;
    g.fillStyle = 'hsl(' + (180 + h % 80) + ',' + (45 + (h >> 8) % 25) + '%,' + (dark ? 45 : 65) + '%)';
    var xs = Math.max(x, 0), ws = Math.min(x + w, W) - xs;
    g.fillRect(xs, y, Math.max(ws - 0.5, 0.5), TL_ROW - 1);
    if (ws > 30) {
      g.fillStyle = dark ? '#f4f4f4' : '#111';
      var max = Math.floor((ws - 6) / 6.2), label = name.length > max ? name.slice(0, Math.max(1, max - 1)) + '\u2026' : name;
      g.fillText(label, xs + 3, y + TL_ROW / 2);
    }
    lane.rows[depth].push([xs, ws, i]);
    drawn++;
  }
  this.host.setAttribute('data-view', Math.round(this.v0) + '-' + Math.round(this.v1));
  this.host.setAttribute('data-events-drawn', String(drawn));
};

Timeline.prototype.onMove = function (ev) {
  var r = this.canvas.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top, hit = -1;
  for (var k = 0; k < this.lanes.length && hit < 0; k++) {
    var l = this.lanes[k], d = Math.floor((y - l.y - TL_HEAD) / TL_ROW);
    if (d < 0 || d >= l.depth || !l.rows) continue;
    var row = l.rows[d];
    for (var i = row.length - 1; i >= 0; i--) if (x >= row[i][0] && x < row[i][0] + Math.max(row[i][1], 1)) { hit = row[i][2]; break; }
  }
  if (hit < 0) { this.tip.hidden = true; return; }
  var o = hit * 5, z = this.D.zones[this.E[o + 1]];
  this.tip.textContent = (z ? z[0] : '?') + (z && z[1] !== 'default' ? '\ncomponent: ' + z[1] : '') +
    '\nbegin: ' + fmtTime(this.E[o + 3]) + '\nduration: ' + fmtDur(this.E[o + 4]) + '\ndepth: ' + this.E[o + 2];
  this.tip.hidden = false;
  var wr = this.wrap.getBoundingClientRect(), tx = ev.clientX - wr.left + 12;
  if (tx + 300 > wr.width) tx = Math.max(0, tx - 320);
  this.tip.style.left = tx + 'px';
  this.tip.style.top = (ev.clientY - wr.top + 12) + 'px';
};

function renderTimeline(D) {
  if (!D.events) return null;
  var kept = Math.floor(D.events.d.length / 5);
  var sec = section('timeline', 'Timeline',
                    'Every recorded zone call in time, one lane per thread' +
                    (D.events.n > kept ? '; the first ' + fmtCount(kept) + ' of ' + fmtCount(D.events.n) +
                     ' events are shown' : '') +
                    (D.meta.dropped_events ? '; ' + fmtCount(D.meta.dropped_events) + ' events were dropped while recording' : '') + '.');
  if (!kept) { sec.appendChild(el('p', {class: 'empty'}, 'The timeline holds no events.')); return null; }
  var host = el('div', {class: 'timeline-box', id: 'timeline-view'});
  sec.appendChild(host);
  return new Timeline(D, host);
}
