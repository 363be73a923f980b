// The investigator's workbench: annotations, the entity page, the board,
// the audit trail and server-drawn SVG made safe to put in the page.
// Everything from a case goes in as text; SVG from the server is parsed as
// XML and stripped of anything active before it is adopted.
import { el, clear, fmtTime, localTitle, fmtCount, chip } from './dom.js';

// ---- annotations -------------------------------------------------------------

// annotationBox is the star, tags and note of one target (event:ID or
// kind:value) by the signed-in user, saved as they are changed, with the
// other people's annotations below. ctx: { me, get, send, onSaved }.
export function annotationBox(target, ctx) {
  const box = el('div', { class: 'annot', dataset: { target } });
  const mine = { star: false, tags: [], note: '' };
  const ro = !ctx.me || !ctx.me.can_write;
  const star = el('button', { type: 'button', class: 'star-btn', 'aria-pressed': 'false', title: ro ? 'Read-only' : 'Star (s)', text: '☆ star', disabled: ro });
  const tags = el('input', { class: 'tags-input', placeholder: 'tags, comma-separated (t)', spellcheck: 'false', 'aria-label': 'Tags', disabled: ro });
  const note = el('textarea', { class: 'note-input', rows: '3', placeholder: 'Note', 'aria-label': 'Note', disabled: ro });
  const status = el('span', { class: 'save-status muted', 'aria-live': 'polite' });
  const others = el('div', { class: 'others' });
  box.append(el('div', { class: 'annot-row' }, star, status), tags, note, others);

  let timer = 0;
  let seq = 0;
  const paint = () => {
    star.setAttribute('aria-pressed', String(mine.star));
    star.textContent = mine.star ? '★ starred' : '☆ star';
    star.classList.toggle('on', mine.star);
  };
  const save = async () => {
    clearTimeout(timer);
    const n = ++seq;
    mine.tags = tags.value.split(',').map((t) => t.trim()).filter(Boolean);
    mine.note = note.value;
    status.textContent = 'saving…';
    try {
      const a = await ctx.send('POST', 'annotations', { target, star: mine.star, tags: mine.tags, note: mine.note });
      if (n === seq) { status.textContent = 'saved'; box.dataset.version = String(a.version); }
      if (ctx.onSaved) ctx.onSaved(a);
    } catch (e) {
      status.textContent = 'not saved: ' + e.message;
    }
  };
  const later = () => { clearTimeout(timer); status.textContent = 'editing…'; timer = setTimeout(save, 400); };
  star.addEventListener('click', () => { mine.star = !mine.star; paint(); save(); });
  tags.addEventListener('input', later);
  note.addEventListener('input', later);
  tags.addEventListener('change', save);
  note.addEventListener('blur', () => { if (timer) save(); });
  box.toggleStar = () => { if (!ro) star.click(); };
  box.focusTags = () => { if (!ro) tags.focus(); };

  (async () => {
    try {
      const list = await ctx.get('annotations', new URLSearchParams({ target }));
      clear(others);
      for (const a of list) {
        if (ctx.me && a.author === ctx.me.name) {
          mine.star = a.star; mine.tags = a.tags || []; mine.note = a.note || '';
          tags.value = mine.tags.join(', '); note.value = mine.note; paint();
          continue;
        }
        others.append(el('div', { class: 'other' },
          el('span', { class: 'who', text: a.author }), a.star ? el('span', { class: 'star-on', text: ' ★' }) : null,
          (a.tags || []).map((t) => el('span', { class: 'tag', text: t })),
          a.note ? el('div', { class: 'other-note', text: a.note }) : null,
          el('div', { class: 'muted small', text: fmtTime(a.updated) + ' UTC', title: localTitle(a.updated) })));
      }
      box.dataset.loaded = '1';
    } catch (e) {
      status.textContent = 'annotations could not be loaded: ' + e.message;
    }
  })();
  paint();
  return box;
}

// ---- safe SVG --------------------------------------------------------------

const XLINK = 'http://www.w3.org/1999/xlink';

// safeSVG parses SVG text as XML and keeps only inert markup: no script,
// no foreignObject, no event handler attributes, no links but in-page
// fragments. It returns the adopted <svg> element, or null.
export function safeSVG(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (!root || root.nodeName !== 'svg' || doc.getElementsByTagName('parsererror').length) return null;
  for (const bad of [...root.querySelectorAll('script, foreignObject, iframe, object, embed, style')]) bad.remove();
  for (const n of [root, ...root.querySelectorAll('*')]) {
    for (const a of [...n.attributes]) {
      const name = a.name.toLowerCase();
      if (name.startsWith('on') || name === 'style') n.removeAttribute(a.name);
      else if ((name === 'href' || name === 'xlink:href' || name === 'src') && !a.value.startsWith('#')) n.removeAttribute(a.name);
    }
  }
  return document.importNode(root, true);
}

// linkOf returns the in-page link of an SVG anchor (#/entity/...).
export function linkOf(a) {
  return a.getAttribute('href') || a.getAttributeNS(XLINK, 'href') || '';
}

// ---- entity page -----------------------------------------------------------

// renderEntityPage fills box with everything about one entity.
// ctx: { me, get, send, kindColumn, handlers, findings, pivot(term, first, last), chain(id, dir), searchTerm }
export async function renderEntityPage(box, id, ctx) {
  clear(box);
  const i = id.indexOf(':');
  const kind = id.slice(0, i), value = id.slice(i + 1);
  const page = el('div', { class: 'page entity-page', dataset: { entity: id } });
  box.append(page);
  const head = el('div', { class: 'page-head' }, chip(kind, value, ctx.kindColumn[kind], ctx.handlers));
  const summary = el('p', { class: 'summary', text: 'Loading…' });
  const mini = el('div', { class: 'mini-timeline', 'aria-label': 'Events naming this entity over time' });
  const actions = el('div', { class: 'actions' });
  const grid = el('div', { class: 'page-grid' });
  const left = el('div');
  const right = el('div');
  grid.append(left, right);
  page.append(head, summary, mini, actions, grid);

  const term = ctx.searchTerm(ctx.kindColumn[kind] || 'target', value);
  actions.append(
    el('button', { type: 'button', class: 'pivot', text: 'Show in timeline', onclick: () => ctx.pivot(term, d && d.first, d && d.last) }),
    ['key', 'token', 'session'].includes(kind)
      ? el('button', { type: 'button', text: 'Chain from here', onclick: () => ctx.chain(id, 'forward') })
      : el('button', { type: 'button', text: 'Trace back from here', onclick: () => ctx.chain(id, 'backward') }));

  right.append(el('h3', { text: 'Annotations' }), annotationBox(id, ctx));
  if (ctx.me && ctx.me.can_write) right.append(el('h3', { text: 'Assert an edge' }), assertForm(id, ctx, () => renderEntityPage(box, id, ctx)));
  const fs = ctx.findings.filter((f) => f.entities && f.entities.includes(id));
  right.append(el('h3', { text: `Findings (${fs.length})` }));
  if (!fs.length) right.append(el('div', { class: 'muted', text: 'No finding names this entity.' }));
  for (const f of fs.slice(0, 50)) {
    right.append(el('div', { class: 'role' }, el('span', { class: `sev sev-${f.severity}`, text: f.severity }), ' ',
      el('span', { class: 'mono', text: f.rule }), ' ', el('span', { class: 'muted', text: fmtTime(f.time).slice(0, 16) }), ' ', f.summary));
  }

  let d = null;
  try {
    d = await ctx.get('entity', new URLSearchParams({ id }));
    summary.textContent = `${fmtCount(d.events)} events` + (d.first ? `, first seen ${fmtTime(d.first)} UTC, last seen ${fmtTime(d.last)} UTC` : '');
    if (d.first) {
      const hist = await ctx.get('histogram', new URLSearchParams({ q: term, buckets: '80' }));
      drawMini(mini, hist);
    } else {
      mini.append(el('div', { class: 'muted', text: 'No event of this case names this entity.' }));
    }
  } catch (e) {
    summary.textContent = 'This entity could not be loaded: ' + e.message;
  }

  left.append(el('h3', { text: 'Edges' }));
  const edges = el('div', { class: 'edge-list', id: 'entity-edges' }, el('div', { class: 'muted', text: 'Loading the graph…' }));
  left.append(edges);
  try {
    const n = await ctx.get('neighbours', new URLSearchParams({ id, limit: '50' }));
    clear(edges);
    const line = (e, out) => {
      const other = out ? e.to : e.from;
      const j = other.indexOf(':');
      return el('div', { class: `edge ev-${e.evidence}` },
        el('span', { class: 'mono muted', text: fmtTime(e.first).slice(0, 16) }),
        el('span', { class: 'rel', text: out ? `${e.relation} →` : `← ${e.relation}` }),
        chip(other.slice(0, j), other.slice(j + 1), ctx.kindColumn[other.slice(0, j)], ctx.handlers),
        el('span', { class: `evidence ev-${e.evidence}`, text: e.evidence }),
        el('span', { class: 'muted', text: `${fmtCount(e.count)} events` }));
    };
    for (const e of n.out) edges.append(line(e, true));
    for (const e of n.in) edges.append(line(e, false));
    if (!n.out.length && !n.in.length) edges.append(el('div', { class: 'muted', text: 'No edges.' }));
    if (n.more) edges.append(el('div', { class: 'muted', text: `${fmtCount(n.more)} more edges not shown.` }));
  } catch (e) {
    clear(edges).append(el('div', { class: 'muted', text: 'Edges: ' + e.message }));
  }
  page.dataset.ready = '1';
}

// assertForm lets an analyst state an edge the logs do not show (from
// this entity to another); chains show it as "asserted".
function assertForm(from, ctx, done) {
  const to = el('input', { class: 'tags-input', name: 'to', placeholder: 'to: kind:value, e.g. identity:alice@contoso.com', spellcheck: 'false', 'aria-label': 'Asserted edge goes to' });
  const rel = el('input', { class: 'tags-input', name: 'relation', placeholder: 'relation, e.g. minted', 'aria-label': 'Relation', value: 'related-to' });
  const why = el('textarea', { class: 'note-input', name: 'why', rows: '2', placeholder: 'why: the evidence outside the logs', 'aria-label': 'Why' });
  const status = el('span', { class: 'save-status muted', 'aria-live': 'polite' });
  const form = el('form', { class: 'annot assert-form' }, to, rel, why, el('div', { class: 'annot-row' }, el('button', { type: 'submit', text: 'Assert' }), status));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.textContent = 'saving…';
    try {
      await ctx.send('POST', 'assertions', { from, to: to.value.trim(), relation: rel.value.trim(), why: why.value });
      status.textContent = 'asserted';
      done();
    } catch (e) { status.textContent = 'not saved: ' + e.message; }
  });
  return form;
}

// drawMini draws a small bar histogram of the entity's events as divs.
function drawMini(box, hist) {
  clear(box);
  const n = 80;
  const since = Date.parse(hist.since), until = Date.parse(hist.until);
  const counts = new Array(n).fill(0);
  for (const b of hist.buckets) {
    const k = Math.min(n - 1, Math.max(0, Math.floor((Date.parse(b.start) - since) / (until - since) * n)));
    counts[k] += b.total;
  }
  const max = Math.max(1, ...counts);
  const bars = el('div', { class: 'mini-bars' });
  counts.forEach((c, k) => {
    const bar = el('div', { class: 'mini-bar', title: `${fmtCount(c)} events from ${fmtTime(new Date(since + (until - since) * k / n).toISOString()).slice(0, 16)}` });
    bar.style.height = `${c ? Math.max(2, Math.round(c / max * 100)) : 0}%`;
    bars.append(bar);
  });
  box.append(bars, el('div', { class: 'mini-axis muted' }, el('span', { text: fmtTime(hist.since).slice(0, 16) }), el('span', { text: fmtTime(hist.until).slice(0, 16) })));
}

// ---- board -----------------------------------------------------------------

// renderBoard fills box with the one-page report. ctx: { get }.
export async function renderBoard(box, root, ctx) {
  clear(box).append(el('div', { class: 'empty' }, el('div', { class: 'title', text: 'Building the board…' }),
    el('div', { text: 'The board reads the chain and the events once; on a large case this takes a while.' })));
  const p = new URLSearchParams();
  if (root) p.set('from', root);
  let r;
  try {
    r = await ctx.get('board', p);
  } catch (e) {
    clear(box).append(el('div', { class: 'empty' }, el('div', { class: 'title', text: 'No board yet.' }), el('div', { text: e.message })));
    return;
  }
  const qs = p.toString() ? '?' + p.toString() : '';
  const page = el('div', { class: 'board', id: 'board' });
  page.append(el('div', { class: 'board-top' },
    el('div', {}, el('div', { class: 'muted', text: r.title }), el('h2', { class: 'headline', text: r.headline })),
    el('div', { class: 'actions exports' }, ['pdf', 'png', 'svg', 'html'].map((x) =>
      el('a', { class: 'copy', href: `/api/board.${x}${qs}`, download: '', text: x.toUpperCase() })))));
  const figs = el('div', { class: 'figures' });
  for (const f of r.figures || []) figs.append(el('div', { class: 'figure' }, el('div', { class: 'fig-v', text: f.value }), el('div', { class: 'fig-l', text: f.label }), f.detail ? el('div', { class: 'fig-d muted', text: f.detail }) : null));
  const diagram = el('div', { class: 'board-diagram' });
  const svg = r.diagram_svg ? safeSVG(r.diagram_svg) : null;
  if (svg) diagram.append(svg); else diagram.append(el('div', { class: 'muted', text: 'No diagram.' }));
  const events = el('ol', { class: 'key-events' });
  for (const k of r.key_events || []) events.append(el('li', {}, el('span', { class: 'mono muted', text: fmtTime(k.time).slice(0, 16) }), ' ', k.text, k.impact ? el('span', { class: 'muted', text: ` (${k.impact})` }) : null));
  const caveats = el('ul', { class: 'caveats' });
  for (const c of r.caveats || []) caveats.append(el('li', { text: c }));
  const notes = el('div', { class: 'notes' });
  for (const n of r.notes || []) notes.append(el('p', {}, el('span', { class: 'who', text: n.author + ': ' }), n.text));
  if (!(r.notes || []).length) notes.append(el('p', { class: 'muted', text: 'No notes yet: a note on an event or entity of the chain shows here.' }));
  const roots = r.root ? [r.root] : (r.roots || []);
  const rootText = roots.slice(0, 5).join(', ') + (roots.length > 5 ? ` and ${roots.length - 5} more` : '');
  page.append(figs, el('div', { class: 'board-body' }, diagram, el('div', {}, el('h3', { text: 'Key events' }), events)),
    el('div', { class: 'board-foot' }, el('div', {}, el('h3', { text: 'Caveats' }), caveats), el('div', {}, el('h3', { text: "Analysts' notes" }), notes)),
    el('div', { class: 'muted small', text: `Chain from ${rootText}. ${r.root_reason || ''}` }));
  clear(box).append(page);
  page.dataset.ready = '1';
}

// ---- audit -----------------------------------------------------------------

// renderAudit fills box with the audit trail, newest first. ctx: { get }.
export async function renderAudit(box, ctx) {
  clear(box);
  try {
    const list = await ctx.get('audit', new URLSearchParams({ limit: '500' }));
    const t = el('table', { class: 'events audit' }, el('thead', {}, el('tr', {}, el('th', { class: 'c-time', text: 'time (UTC)' }), el('th', { class: 'c-src', text: 'who' }), el('th', { class: 'c-action', text: 'action' }), el('th', { text: 'target' }), el('th', { text: 'detail' }))));
    const body = el('tbody');
    for (const a of list.slice().reverse()) {
      body.append(el('tr', {}, el('td', { class: 'time', text: fmtTime(a.at), title: localTitle(a.at) }), el('td', { text: a.who }), el('td', { text: a.action }), el('td', { text: a.target }), el('td', { class: 'mono', text: JSON.stringify(a.detail) })));
    }
    t.append(body);
    box.append(el('div', { class: 'table-wrap' }, t));
    if (!list.length) box.append(el('div', { class: 'empty', text: 'Nothing changed yet: stars, tags, notes, assertions and saved views are recorded here.' }));
  } catch (e) {
    box.append(el('div', { class: 'empty' }, el('div', { class: 'title', text: 'The audit trail could not be loaded.' }), el('div', { text: e.message })));
  }
}
