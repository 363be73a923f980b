// The timeline: density histogram stacked by source (brushable), a time
// axis and swimlanes, drawn on canvases from the server's aggregates. Text
// drawn on a canvas is pixels, never markup.

const MIN_SPAN = 1000;                        // one second
const MAX_SPAN = 200 * 365 * 86400 * 1000;    // two centuries
const LANE_H = 24;
const AXIS_H = 18;

export const CATEGORY_COLORS = {
  signin: '#3b82f6', token: '#8b5cf6', credential: '#d97706', mail: '#16a34a', file: '#0d9488',
  admin: '#dc2626', resource: '#64748b', other: '#9ca3af',
};

const SOURCE_PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#e15759', '#9c755f', '#ff9da7', '#bab0ac'];
// The importers of design.md §3 keep one colour each, in every case.
const KNOWN_SOURCES = ['m365.ual', 'entra.signin', 'aws.cloudtrail', 'entra.audit', 'gcp.audit', 'okta.system', 'azure.activity', 'jwt.capture', 'gworkspace.reports'];

const TICKS = [
  10, 50, 100, 200, 500, 1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3,
  86400e3, 2 * 86400e3, 7 * 86400e3, 14 * 86400e3, 30 * 86400e3, 91 * 86400e3, 365 * 86400e3, 2 * 365 * 86400e3, 5 * 365 * 86400e3, 10 * 365 * 86400e3,
];

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

// ticks returns tick times for a window, aligned in UTC.
function ticks(since, until, maxTicks) {
  const span = until - since;
  let step = TICKS[TICKS.length - 1];
  for (const s of TICKS) { if (span / s <= maxTicks) { step = s; break; } }
  const out = [];
  if (step >= 30 * 86400e3) {
    // Months and years: align on calendar boundaries.
    const months = Math.max(1, Math.round(step / (30.4 * 86400e3)));
    const d = new Date(since);
    let y = d.getUTCFullYear(), m = d.getUTCMonth();
    m = Math.ceil(m / months) * months;
    for (let i = 0; i < 400; i++) {
      const t = Date.UTC(y, m, 1);
      if (t > until) break;
      if (t >= since) out.push(t);
      m += months;
    }
    return { step, ticks: out };
  }
  for (let t = Math.ceil(since / step) * step; t <= until && out.length < 400; t += step) out.push(t);
  return { step, ticks: out };
}

function tickLabel(t, step) {
  const iso = new Date(t).toISOString();
  if (step >= 30 * 86400e3) return iso.slice(0, 7);
  if (step >= 86400e3) return iso.slice(0, 10);
  if (step >= 60e3) return iso.slice(5, 10) + ' ' + iso.slice(11, 16);
  if (step >= 1e3) return iso.slice(11, 19);
  return iso.slice(11, 23);
}

export class Timeline {
  constructor({ hist, histWrap, brush, lanes, lanePlot, laneLabels, legend, tooltip }, cb) {
    Object.assign(this, { hist, histWrap, brush, lanesCanvas: lanes, lanePlot, laneLabels, legend, tooltip, cb });
    this.since = 0; this.until = 1;
    this.data = null;       // lanes answer of /api/lanes
    this.marks = [];        // events, when the window is small enough
    this.findings = [];
    this.flagged = new Set();
    this.selected = null;
    this.cw = null;          // compromise window [since, until], shaded
    this.sourceColors = new Map();
    this.bind();
    new ResizeObserver(() => this.draw()).observe(this.histWrap);
  }

  sourceColor(src) {
    if (!this.sourceColors.has(src)) {
      let i = KNOWN_SOURCES.indexOf(src);
      if (i < 0) { i = 9; for (const ch of src) i = (i * 31 + ch.charCodeAt(0)) % 997; }
      this.sourceColors.set(src, SOURCE_PALETTE[i % SOURCE_PALETTE.length]);
    }
    return this.sourceColors.get(src);
  }

  setSources(names) { for (const n of names) this.sourceColor(n); }

  setWindow(since, until) { this.since = since; this.until = until; }

  setData(data) { this.data = data; this.renderLabels(); this.renderLegend(); this.draw(); }

  setMarks(events) { this.marks = events || []; this.draw(); }

  setFindings(findings) {
    this.findings = findings || [];
    this.flagged = new Set(this.findings.flatMap((f) => f.events || []));
    this.draw();
  }

  setSelected(ev) { this.selected = ev; this.draw(); }

  setCompromise(cw) { this.cw = cw; this.draw(); }

  shade(g, W, H) {
    if (!this.cw) return;
    const a = Math.max(0, this.x(this.cw[0], W)), b = Math.min(W, this.x(this.cw[1], W));
    if (b <= a) return;
    g.fillStyle = css('--danger');
    g.globalAlpha = 0.08;
    g.fillRect(a, 0, b - a, H);
    g.globalAlpha = 1;
  }

  x(t, w) { return ((t - this.since) / (this.until - this.since)) * w; }
  t(x, w) { return this.since + (x / w) * (this.until - this.since); }

  renderLabels() {
    const box = this.laneLabels;
    while (box.firstChild) box.removeChild(box.firstChild);
    const lanes = this.data ? this.data.lanes : [];
    for (const l of lanes) {
      const row = document.createElement('div');
      row.className = 'lane-label' + (l.other ? ' other' : '');
      const v = document.createElement('span');
      v.className = 'v' + (l.value === '' ? ' none' : '');
      v.textContent = l.value === '' ? '(none)' : l.value;
      row.title = `${this.data.column}: ${l.value === '' ? '(none)' : l.value}\n${l.total.toLocaleString('en-US')} events in view`;
      const n = document.createElement('span');
      n.className = 'n';
      n.textContent = l.total.toLocaleString('en-US');
      row.append(v, n);
      if (!l.other) row.addEventListener('click', (ev) => this.cb.laneClick(this.data.group, this.data.column, l.value, ev));
      box.appendChild(row);
    }
  }

  renderLegend() {
    const box = this.legend;
    while (box.firstChild) box.removeChild(box.firstChild);
    const seen = new Set();
    for (const b of (this.data ? this.data.buckets : [])) for (const s of Object.keys(b.counts)) seen.add(s);
    for (const s of [...seen].sort()) {
      const sw = document.createElement('span');
      sw.className = 'sw';
      sw.style.background = this.sourceColor(s);
      const item = document.createElement('span');
      item.className = 'item';
      item.append(sw, document.createTextNode(s));
      box.appendChild(item);
    }
    if (this.marks.length) {
      for (const [c, col] of Object.entries(CATEGORY_COLORS)) {
        const sw = document.createElement('span');
        sw.className = 'sw';
        sw.style.background = col;
        const item = document.createElement('span');
        item.className = 'item';
        item.append(sw, document.createTextNode(c));
        box.appendChild(item);
      }
    }
    if (this.findings.length) {
      const f = document.createElement('span');
      f.className = 'item flag';
      f.textContent = '▼ finding';
      box.appendChild(f);
    }
    this.scaleEl = document.createElement('span');
    this.scaleEl.className = 'item scale';
    box.appendChild(this.scaleEl);
  }

  sizeCanvas(c, cssW, cssH) {
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(cssW * dpr) || c.height !== Math.round(cssH * dpr)) {
      c.width = Math.round(cssW * dpr);
      c.height = Math.round(cssH * dpr);
    }
    c.style.height = cssH + 'px';
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cssW, cssH);
    return g;
  }

  draw() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => { this.raf = 0; this.drawHist(); this.drawLanes(); });
  }

  drawHist() {
    const W = this.histWrap.clientWidth, H = this.histWrap.clientHeight;
    if (!W || !H) return;
    const g = this.sizeCanvas(this.hist, W, H);
    const plotH = H - AXIS_H - 6;
    const text = css('--muted'), line = css('--line');
    this.shade(g, W, plotH + 4);
    const { step, ticks: ts } = ticks(this.since, this.until, Math.max(2, Math.floor(W / 110)));
    g.font = '11px ' + css('--mono');
    g.textBaseline = 'top';
    for (const t of ts) {
      const x = Math.round(this.x(t, W)) + 0.5;
      g.strokeStyle = line; g.beginPath(); g.moveTo(x, 4); g.lineTo(x, plotH + 4); g.stroke();
      g.fillStyle = text; g.fillText(tickLabel(t, step), x + 3, plotH + 7);
    }
    const d = this.data;
    if (!d) return;
    const bw = d.width_ms;
    let maxT = 0;
    for (const b of d.buckets) maxT = Math.max(maxT, b.total);
    if (!maxT) return;
    const sources = [...this.sourceColors.keys()];
    for (const b of d.buckets) {
      const t = Date.parse(b.start);
      const x0 = this.x(t, W), x1 = this.x(t + bw, W);
      const w = Math.max(1, x1 - x0 - (x1 - x0 > 4 ? 1 : 0));
      let y = plotH + 4;
      for (const s of sources) {
        const n = b.counts[s];
        if (!n) continue;
        const h = (n / maxT) * plotH;
        g.fillStyle = this.sourceColor(s);
        g.fillRect(x0, y - h, w, h);
        y -= h;
      }
    }
    if (this.scaleEl) this.scaleEl.textContent = `max ${maxT.toLocaleString('en-US')} per ${fmtWidth(bw)}`;
    // Findings: red flags along the top, one per 8 px.
    g.fillStyle = css('--danger');
    for (const x of this.flagSlots(W)) {
      g.beginPath(); g.moveTo(x - 4, 0); g.lineTo(x + 4, 0); g.lineTo(x, 7); g.closePath(); g.fill();
    }
  }

  // flagSlots returns the x positions of finding flags in view, at most one
  // per 8 px, so that many findings stay readable.
  flagSlots(W) {
    const slots = new Set();
    for (const f of this.findings) {
      const x = this.x(Date.parse(f.time), W);
      if (x >= 0 && x <= W) slots.add(Math.round(x / 8) * 8);
    }
    return [...slots];
  }

  drawLanes() {
    const W = this.lanePlot.clientWidth;
    const lanes = this.data ? this.data.lanes : [];
    const H = Math.max(LANE_H, lanes.length * LANE_H);
    if (!W) return;
    const g = this.sizeCanvas(this.lanesCanvas, W, H);
    const line = css('--line');
    this.shade(g, W, H);
    const { ticks: ts } = ticks(this.since, this.until, Math.max(2, Math.floor(W / 110)));
    g.strokeStyle = line;
    for (const t of ts) {
      const x = Math.round(this.x(t, W)) + 0.5;
      g.beginPath(); g.moveTo(x, 0); g.lineTo(x, H); g.stroke();
    }
    for (let i = 1; i <= lanes.length; i++) {
      g.beginPath(); g.moveTo(0, i * LANE_H - 0.5); g.lineTo(W, i * LANE_H - 0.5); g.stroke();
    }
    if (!this.data) return;
    const bw = this.data.width_ms;
    let maxN = 0;
    for (const l of lanes) for (const b of l.buckets) maxN = Math.max(maxN, b[1]);
    const hasMarks = this.marks.length > 0;
    g.fillStyle = css('--accent');
    g.globalAlpha = hasMarks ? 0.22 : 0.75;
    lanes.forEach((l, i) => {
      for (const [t, n] of l.buckets) {
        const x0 = this.x(t, W), x1 = this.x(t + bw, W);
        const r = Math.log1p(n) / Math.log1p(maxN || 1);
        const h = 3 + r * (LANE_H - 9);
        g.fillRect(x0, i * LANE_H + (LANE_H - h) / 2, Math.max(1, x1 - x0 - (x1 - x0 > 4 ? 1 : 0)), h);
      }
    });
    g.globalAlpha = 1;
    // Findings as dashed red rules across the lanes, while they are few
    // enough to read (flags on the histogram always show them).
    const slots = this.flagSlots(W);
    if (slots.length <= 40) {
      g.strokeStyle = css('--danger');
      g.globalAlpha = 0.6;
      g.setLineDash([3, 3]);
      for (const x of slots) {
        g.beginPath(); g.moveTo(x + 0.5, 0); g.lineTo(x + 0.5, H); g.stroke();
      }
      g.setLineDash([]);
      g.globalAlpha = 1;
    }
    if (!hasMarks) return;
    const index = this.laneIndex();
    this.markPos = [];
    for (const e of this.marks) {
      const i = this.laneOf(e, index);
      if (i < 0) continue;
      const x = this.x(Date.parse(e.time), W);
      if (x < -2 || x > W + 2) continue;
      const y = i * LANE_H + 5;
      g.fillStyle = CATEGORY_COLORS[e.category] || CATEGORY_COLORS.other;
      g.fillRect(Math.round(x) - 1, y, 3, LANE_H - 10);
      if (this.flagged.has(e.id)) {
        g.fillStyle = css('--danger');
        g.beginPath(); g.moveTo(x - 4, y - 5); g.lineTo(x + 4, y - 5); g.lineTo(x, y); g.closePath(); g.fill();
      }
      this.markPos.push({ x, i, e });
    }
    if (this.selected) {
      const i = this.laneOf(this.selected, index);
      const x = this.x(Date.parse(this.selected.time), W);
      if (i >= 0) {
        g.strokeStyle = css('--text'); g.lineWidth = 1.5;
        g.strokeRect(Math.round(x) - 3.5, i * LANE_H + 2.5, 7, LANE_H - 5);
        g.lineWidth = 1;
      }
    }
  }

  laneIndex() {
    const m = new Map();
    (this.data ? this.data.lanes : []).forEach((l, i) => { if (!l.other) m.set(l.value.toLowerCase(), i); });
    return m;
  }

  laneOf(e, index) {
    const col = this.data.column;
    const v = String(e[col] ?? '').toLowerCase();
    if (index.has(v)) return index.get(v);
    const lanes = this.data.lanes;
    return lanes.length && lanes[lanes.length - 1].other ? lanes.length - 1 : -1;
  }

  zoom(factor, anchorT) {
    const span = this.until - this.since;
    const ns = Math.min(MAX_SPAN, Math.max(MIN_SPAN, span * factor));
    const a = anchorT ?? (this.since + span / 2);
    const r = (a - this.since) / span;
    this.since = Math.round(a - r * ns);
    this.until = Math.round(this.since + ns);
    this.draw();
    this.cb.windowChanged(this.since, this.until);
  }

  pan(fraction) {
    const d = Math.round((this.until - this.since) * fraction);
    this.since += d; this.until += d;
    this.draw();
    this.cb.windowChanged(this.since, this.until);
  }

  showTip(ev, text) {
    const tip = this.tooltip;
    tip.textContent = text;
    tip.hidden = false;
    const x = Math.min(ev.clientX + 12, window.innerWidth - 370);
    tip.style.left = x + 'px';
    tip.style.top = (ev.clientY + 14) + 'px';
  }

  hideTip() { this.tooltip.hidden = true; }

  bind() {
    // Histogram: drag to brush a range and zoom into it, double-click to zoom out.
    let brushX = null, brushShift = false;
    const rect = () => this.histWrap.getBoundingClientRect();
    this.histWrap.addEventListener('mousedown', (ev) => {
      if (ev.button !== 0) return;
      brushX = ev.clientX - rect().left;
      brushShift = ev.shiftKey;
      ev.preventDefault();
    });
    window.addEventListener('mousemove', (ev) => {
      if (brushX === null) return;
      const x = Math.max(0, Math.min(rect().width, ev.clientX - rect().left));
      this.brush.hidden = false;
      this.brush.style.left = Math.min(brushX, x) + 'px';
      this.brush.style.width = Math.abs(x - brushX) + 'px';
    });
    window.addEventListener('mouseup', (ev) => {
      if (brushX === null) return;
      const W = rect().width;
      const x = Math.max(0, Math.min(W, ev.clientX - rect().left));
      const a = Math.min(brushX, x), b = Math.max(brushX, x);
      brushX = null;
      this.brush.hidden = true;
      if (b - a < 4) return;
      const s = Math.round(this.t(a, W)), u = Math.round(this.t(b, W));
      if (brushShift || ev.shiftKey) { this.cb.compromise([s, u]); return; }
      this.since = s; this.until = Math.max(u, s + MIN_SPAN);
      this.draw();
      this.cb.windowChanged(this.since, this.until);
    });
    this.histWrap.addEventListener('dblclick', (ev) => {
      const W = rect().width;
      this.zoom(4, this.t(ev.clientX - rect().left, W));
    });
    this.histWrap.addEventListener('mousemove', (ev) => {
      if (brushX !== null || !this.data) return;
      const W = rect().width;
      const t = this.t(ev.clientX - rect().left, W);
      const flag = this.findings.find((f) => Math.abs(this.x(Date.parse(f.time), W) - (ev.clientX - rect().left)) < 5 && ev.clientY - rect().top < 12);
      if (flag) return this.showTip(ev, `${flag.rule} (${flag.severity})\n${flag.summary}`);
      const b = this.data.buckets.find((b) => { const s = Date.parse(b.start); return t >= s && t < s + this.data.width_ms; });
      if (!b) return this.showTip(ev, `${new Date(t).toISOString()}\nno events`);
      const lines = Object.entries(b.counts).sort((a, c) => c[1] - a[1]).map(([s, n]) => `${s}: ${n.toLocaleString('en-US')}`);
      this.showTip(ev, `${new Date(Date.parse(b.start)).toISOString()} + ${fmtWidth(this.data.width_ms)}\n${b.total.toLocaleString('en-US')} events\n${lines.join('\n')}`);
    });
    this.histWrap.addEventListener('mouseleave', () => this.hideTip());
    this.histWrap.addEventListener('wheel', (ev) => this.onWheel(ev, rect()), { passive: false });

    // Lanes: wheel to zoom, drag to pan, click a mark to open it.
    const prect = () => this.lanePlot.getBoundingClientRect();
    let drag = null;
    this.lanePlot.addEventListener('wheel', (ev) => this.onWheel(ev, prect()), { passive: false });
    this.lanePlot.addEventListener('mousedown', (ev) => {
      if (ev.button !== 0) return;
      drag = { x: ev.clientX, since: this.since, until: this.until, moved: false };
      this.lanePlot.classList.add('dragging');
      ev.preventDefault();
    });
    window.addEventListener('mousemove', (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x;
      if (Math.abs(dx) > 2) drag.moved = true;
      const d = Math.round((dx / prect().width) * (drag.until - drag.since));
      this.since = drag.since - d; this.until = drag.until - d;
      this.draw();
    });
    window.addEventListener('mouseup', (ev) => {
      if (!drag) return;
      const moved = drag.moved;
      drag = null;
      this.lanePlot.classList.remove('dragging');
      if (moved) { this.cb.windowChanged(this.since, this.until); return; }
      const hit = this.hitMark(ev.clientX - prect().left, ev.clientY - prect().top);
      if (hit) this.cb.selectEvent(hit.e, true);
    });
    this.lanePlot.addEventListener('mousemove', (ev) => {
      if (drag) return;
      const hit = this.hitMark(ev.clientX - prect().left, ev.clientY - prect().top);
      if (hit) this.showTip(ev, `${new Date(Date.parse(hit.e.time)).toISOString()}\n${hit.e.source} · ${hit.e.action}\n${hit.e.message || hit.e.actor || ''}`);
      else this.hideTip();
    });
    this.lanePlot.addEventListener('mouseleave', () => this.hideTip());
  }

  hitMark(x, y) {
    if (!this.markPos) return null;
    const i = Math.floor(y / LANE_H);
    let best = null, bd = 5;
    for (const m of this.markPos) {
      if (m.i !== i) continue;
      const d = Math.abs(m.x - x);
      if (d < bd) { bd = d; best = m; }
    }
    return best;
  }

  onWheel(ev, r) {
    ev.preventDefault();
    const t = this.t(ev.clientX - r.left, r.width);
    const dy = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaY;
    this.zoom(Math.exp(Math.max(-300, Math.min(300, dy)) * 0.002), t);
  }
}

export function fmtWidth(ms) {
  const units = [[365 * 86400e3, 'y'], [7 * 86400e3, 'w'], [86400e3, 'd'], [3600e3, 'h'], [60e3, 'min'], [1e3, 's']];
  for (const [u, n] of units) if (ms >= u && ms % u === 0) return `${ms / u} ${n}`;
  return `${ms} ms`;
}
