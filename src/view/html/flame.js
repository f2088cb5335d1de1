/* flame.js: the call tree (D.nodes) as an interactive flame graph on a canvas: the root
 * ("all") on top, each frame as wide as its inclusive time within its parent. Click a frame
 * to zoom into it (click the root or "Reset" to zoom out), type in the search box to
 * highlight matching frames and see their share of the time, hover for the figures.
 *
 * Estimated frames (D.nest: nodes whose timing was sampled) show "~" and "+-" in the tooltip;
 * shares and widths are of a frame's span (its total, or its children's together when
 * estimates put them above it), so no share exceeds 100 %.
 *
 * Invariant: the frame tree is built once per mode (threads merged or per thread); a draw
 * visits only frames at least one pixel wide (their narrower descendants are skipped), so
 * drawing costs the visible frames, not the tree. Hit testing uses the rectangles of the
 * last draw, kept per row in x order. Every state change is mirrored as data-* attributes
 * on the flame graph element (data-zoom, data-search, data-zone, data-matches, data-match-ns,
 * data-match-pct, data-frames-drawn), which tests read from the DOM. A deep tree scrolls
 * inside its box (at most 60 % of the window high), so the page below stays near. */

var FLAME_ROW = 18;

/* Frames: {name, comp, zone, total, self, calls, depth, parent, kids}; frames[0] is the
 * root. perThread: one frame per thread under the root. */
function flameBuild(D, perThread) {
  var nodes = D.nodes, zones = D.zones, N = Math.floor(nodes.length / 6);
  var root = {name: 'all', comp: '', zone: -1, total: 0, self: 0, calls: 0, depth: 0, parent: null, kids: [], id: 0};
  var frames = [root], map = new Int32Array(N), index = new Map(), threadFrame = new Map();
  function child(pf, zone, name, comp) {
    var key = pf.id * 4194304 + (zone + 1);
    var id = index.get(key);
    if (id !== undefined) return frames[id];
    var f = {name: name, comp: comp, zone: zone, total: 0, self: 0, calls: 0, depth: pf.depth + 1,
             parent: pf, kids: [], id: frames.length};
    frames.push(f);
    pf.kids.push(f);
    index.set(key, f.id);
    return f;
  }
  function threadOf(t) {
    var f = threadFrame.get(t);
    if (f) return f;
    var th = D.threads[t];
    var nm = th ? (th[1] ? th[1] + ' (tid ' + th[0] + ')' : 'thread ' + th[0]) : 'thread #' + t;
    f = {name: nm, comp: 'thread', zone: -2 - t, total: 0, self: 0, calls: 0, depth: 1, parent: root,
         kids: [], id: frames.length, thread: true};
    frames.push(f);
    root.kids.push(f);
    threadFrame.set(t, f);
    return f;
  }
  for (var i = 0; i < N; i++) {
    var o = i * 6, zone = nodes[o], parent = nodes[o + 1], pf;
    if (parent >= 0 && parent < i) pf = frames[map[parent]];
    else pf = perThread ? threadOf(nodes[o + 2]) : root;
    var z = zones[zone];
    var f = child(pf, zone, z ? z[0] : '?', z ? z[1] : '');
    f.calls += nodes[o + 3];
    f.total += nodes[o + 4];
    f.self += nodes[o + 5];
    map[i] = f.id;
  }
  /* estimated nodes (D.nest: node, timed, total_se): their frames carry the estimate's
   * variance and the timed calls */
  var est = D.nest || [];
  for (var e = 0; e + 2 < est.length; e += 3) {
    var ef = frames[map[est[e]]];
    if (!ef || est[e] >= N) continue;
    ef.est = true;
    ef.timed = (ef.timed || 0) + est[e + 1];
    ef.vr = (ef.vr || 0) + (isNum(est[e + 2]) ? est[e + 2] * est[e + 2] : 0);
  }
  var maxDepth = 0;
  for (var k = frames.length - 1; k > 0; k--) {   /* children come after their parents */
    var fr = frames[k];
    if (fr.thread) fr.total = fr.kids.reduce(function (s, c) { return s + c.total; }, 0);
    if (fr.depth > maxDepth) maxDepth = fr.depth;
  }
  root.total = root.kids.reduce(function (s, c) {
    return s + (c.thread ? c.kids.reduce(function (t, d) { return t + d.total; }, 0) : c.total);
  }, 0);
  /* span: what shares are taken of, the frame's total or its children's when estimates put
   * them above it, so no share can exceed 100 % (the drawing scales the same way) */
  for (var q = frames.length - 1; q >= 0; q--) {
    var g = frames[q], kids = 0;
    for (var j = 0; j < g.kids.length; j++) kids += g.kids[j].span;
    g.span = Math.max(g.total, kids);
  }
  frames.forEach(function (fr) { fr.kids.sort(function (a, b) { return b.total - a.total; }); });
  return {frames: frames, root: root, maxDepth: maxDepth};
}

function framePath(f) {
  var parts = [];
  for (; f && f.parent; f = f.parent) parts.push(f.name);
  return parts.reverse().join(';');
}

function Flame(D, host) {
  this.D = D;
  this.host = host;
  this.perThread = false;
  this.query = '';
  this.zoom = null;
  this.rows = [];
  var self = this;
  this.info = el('span', {class: 'flame-info'});
  this.search = el('input', {type: 'search', placeholder: 'search frames (substring)', 'aria-label': 'search frames'});
  this.search.addEventListener('input', function () { self.setSearch(self.search.value); });
  var reset = el('button', {type: 'button', onclick: function () { self.setZoom(null); }}, 'Reset zoom');
  var split = el('input', {type: 'checkbox'});
  split.addEventListener('change', function () { self.setPerThread(split.checked); });
  this.splitBox = split;
  host.appendChild(el('div', {class: 'controls'}, this.search, reset,
                      el('label', null, split, ' one tree per thread'), this.info));
  this.wrap = el('div', {class: 'flame-wrap'});
  this.canvas = el('canvas', {class: 'flame', id: 'flame-canvas'});
  this.tip = el('div', {class: 'tip', hidden: 'hidden'});
  this.wrap.appendChild(this.canvas);
  this.wrap.appendChild(this.tip);
  host.appendChild(this.wrap);
  this.canvas.addEventListener('click', function (e) { self.onClick(e); });
  this.canvas.addEventListener('mousemove', function (e) { self.onMove(e); });
  this.canvas.addEventListener('mouseleave', function () { self.tip.hidden = true; });
  window.addEventListener('resize', function () { self.draw(); });
  this.build();
}

Flame.prototype.build = function () {
  this.tree = flameBuild(this.D, this.perThread);
  this.zoom = null;
  this.match(this.query);
  this.draw();
};

Flame.prototype.setPerThread = function (on) {
  this.perThread = !!on;
  this.splitBox.checked = this.perThread;
  this.build();
};

Flame.prototype.frameAt = function (ev) {
  var r = this.canvas.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
  var row = this.rows[Math.floor(y / FLAME_ROW)];
  if (!row) return null;
  for (var i = 0; i < row.length; i++) if (x >= row[i][0] && x < row[i][0] + row[i][1]) return row[i][2];
  return null;
};

Flame.prototype.onClick = function (ev) {
  var f = this.frameAt(ev);
  if (!f) return;
  this.setZoom(f === this.zoom ? f.parent : f);   /* the root or its parent zooms out */
};

Flame.prototype.onMove = function (ev) {
  var f = this.frameAt(ev), tip = this.tip;
  if (!f) { tip.hidden = true; return; }
  var root = this.tree.root, z = this.zoom || root;
  var lines = [f === root ? 'all (every top-level zone)' : f.name];
  if (f.comp && !f.thread && f.comp !== 'default') lines.push('component: ' + f.comp);
  if (f.calls) lines.push('calls: ' + fmtCount(f.calls) + (f.est ? ' (' + fmtCount(f.timed) + ' timed)' : ''));
  var se = f.est ? Math.sqrt(f.vr || 0) : 0;
  lines.push('total: ' + fmtDurEst(f.total, se, f.est) + (root.span ? ' (' + fmtShare(f.total, root.span) + ' of all' +
             (z !== root && z.span ? ', ' + fmtShare(f.total, z.span) + ' of zoom' : '') + ')' : ''));
  if (!f.thread && f !== root) lines.push('self: ' + (f.est ? '~' : '') + fmtDur(f.self));
  if (f.calls) lines.push('mean: ' + fmtDurEst(f.total / f.calls, se / f.calls, f.est));
  if (f.est) lines.push('~ estimated from a random sample of timed calls; \u00b1 is a 95 % interval');
  if (f.span > f.total && f.kids.length) lines.push('its callees\u2019 estimates add up to ' + fmtDur(f.span) +
    ', more than its own: drawn that wide, its callees at their own widths');
  tip.textContent = lines.join('\n');
  tip.hidden = false;
  var r = this.wrap.getBoundingClientRect(), x = ev.clientX - r.left + 12, y = ev.clientY - r.top + 12 + this.wrap.scrollTop;
  if (x + 320 > r.width) x = Math.max(0, x - 340);
  tip.style.left = x + 'px';
  tip.style.top = y + 'px';
};

Flame.prototype.setZoom = function (f) {
  this.zoom = f && f !== this.tree.root ? f : null;
  this.host.setAttribute('data-zoom', this.zoom ? framePath(this.zoom) : '');
  this.match(this.query);
  this.draw();
};

/* Zooms to a path "a;b;c" from the root, or to the heaviest frame named `spec`. */
Flame.prototype.zoomTo = function (spec) {
  var frames = this.tree.frames, best = null;
  if (spec.indexOf(';') >= 0) {
    var f = this.tree.root;
    spec.split(';').forEach(function (name) {
      if (!f) return;
      f = f.kids.filter(function (k) { return k.name === name; })[0] || null;
    });
    best = f;
  } else {
    for (var i = 1; i < frames.length; i++)
      if (frames[i].name === spec && (!best || frames[i].total > best.total)) best = frames[i];
  }
  if (best) this.setZoom(best);
  return !!best;
};

Flame.prototype.setSearch = function (q) {
  this.query = q || '';
  this.zoneName = null;
  if (this.search.value !== this.query) this.search.value = this.query;
  this.match(this.query);
  this.draw();
};

/* Marks the frames of the zone named `name` (exactly), as a click on its row in the zone
 * table does: their outermost frames together are as wide as the zone's total in the table. */
Flame.prototype.setZone = function (name) {
  this.zoneName = name || null;
  this.query = '';
  this.search.value = '';
  this.match('');
  this.draw();
};

/* Marks matching frames (a substring of the name, or the zone set by setZone); the matched
 * share counts a frame's time once even when frames inside it match too. */
Flame.prototype.match = function (q) {
  var frames = this.tree.frames, n = 0, ql = q.toLowerCase(), zn = this.zoneName;
  for (var i = 0; i < frames.length; i++) {
    var f = frames[i];
    f.hit = i > 0 && !f.thread && (zn != null ? f.name === zn : !!ql && f.name.toLowerCase().indexOf(ql) >= 0);
    if (f.hit) n++;
  }
  var base = this.zoom || this.tree.root, share = 0, stack = [base];
  while (stack.length) {
    var g = stack.pop();
    if (g.hit) { share += g.total; continue; }
    for (var k = 0; k < g.kids.length; k++) stack.push(g.kids[k]);
  }
  var pct = base.span ? Math.min(100, 100 * share / base.span) : 0;   /* a share of the span: at most 100 % */
  var what = zn != null ? 'zone \u201c' + zn + '\u201d' : q ? '\u201c' + q + '\u201d' : '';
  this.host.setAttribute('data-search', q);
  this.host.setAttribute('data-zone', zn == null ? '' : zn);
  this.host.setAttribute('data-matches', String(n));
  this.host.setAttribute('data-match-ns', String(share));
  this.host.setAttribute('data-match-pct', pct.toFixed(2));
  this.info.textContent = what ? n + ' frame' + (n === 1 ? '' : 's') + ' of ' + what + ': ' + fmtDur(share) + ', ' +
    fmtPct(pct) + ' of the ' + (this.zoom ? 'zoomed frame' : 'total') + ' time' :
    fmtCount(frames.length - 1) + ' frames; click one to zoom in';
};

Flame.prototype.draw = function () {
  var c = this.canvas, W = Math.max(300, this.wrap.clientWidth || 1200), dpr = window.devicePixelRatio || 1;
  var H = (this.tree.maxDepth + 1) * FLAME_ROW;
  var g = canvasContext(c, W, H, dpr);
  var dark = darkMode(), rows = [], drawn = 0, root = this.tree.root, z = this.zoom || root;
  for (var d = 0; d <= this.tree.maxDepth; d++) rows.push([]);
  function box(f, x, w, dim) {
    var y = f.depth * FLAME_ROW, col;
    if (f.hit) col = dark ? '#d46cff' : '#b01ee0';
    else if (dim) col = dark ? '#555' : '#ccc';
    else if (f === root) col = dark ? '#666' : '#bbb';
    else if (f.thread) col = dark ? '#4d6a8a' : '#9ec1e6';
    else {
      var h = hashStr(f.name);
      col = 'hsl(' + (h % 55) + ',' + (60 + (h >> 8) % 25) + '%,' + (dark ? 42 : 62) + '%)';
    }
    g.fillStyle = col;
    g.fillRect(x, y, Math.max(w - 0.5, 0.5), FLAME_ROW - 1);
    if (w > 28) {
      g.fillStyle = dark ? '#f4f4f4' : '#111';
      var label = f.name, max = Math.floor((w - 6) / 6.2);
      if (label.length > max) label = label.slice(0, Math.max(1, max - 1)) + '\u2026';
      g.fillText(label, x + 3, y + FLAME_ROW / 2);
    }
    rows[f.depth].push([x, w, f]);
    drawn++;
  }
  for (var a = z; a; a = a.parent) box(a, 0, W, a !== z);   /* ancestors of the zoom, full width */
  /* descendants: explicit stack, children left to right, frames under a pixel skipped */
  var stack = [[z, 0, W]];
  while (stack.length) {
    var top = stack.pop(), f = top[0], x = top[1], w = top[2];
    var scale = w / Math.max(f.span, 1), cx = x;
    for (var k = 0; k < f.kids.length; k++) {
      var kid = f.kids[k], kw = kid.span * scale;
      if (kw >= 1) {
        box(kid, cx, kw, false);
        if (kid.kids.length) stack.push([kid, cx, kw]);
      }
      cx += kw;
    }
  }
  rows.forEach(function (r) { r.sort(function (p, q) { return p[0] - q[0]; }); });
  this.rows = rows;
  this.host.setAttribute('data-frames-drawn', String(drawn));
};

function renderFlame(D) {
  var n = Math.floor(D.nodes.length / 6);
  var sec = section('flame', 'Flame graph',
                    'The call tree (threads merged unless \u201cone tree per thread\u201d is ticked): each frame is as wide ' +
                    'as its inclusive time within its parent. Frames narrower than a pixel are not drawn.');
  if (!n) { sec.appendChild(el('p', {class: 'empty'}, 'No call-tree nodes were recorded.')); return null; }
  var host = el('div', {class: 'flamegraph', id: 'flamegraph'});
  sec.appendChild(host);
  return new Flame(D, host);
}
