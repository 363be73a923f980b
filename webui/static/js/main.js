// Causeway's front end: state in the URL, data from /api, everything from a
// log rendered as text.
import { $, el, clear, fmtTime, localTitle, fmtCount, fmtSpan, chip, searchTerm, jsonView } from './dom.js';
import { Timeline } from './timeline.js';
import { annotationBox, safeSVG, linkOf, renderEntityPage, renderBoard, renderAudit } from './workbench.js';

const PAGE = 200;       // events per table page
const MARKS_MAX = 2000; // draw single events when the window holds at most this many

// Which column an entity kind filters on, and which kind a column shows.
const KIND_COLUMN = { key: 'key_id', token: 'token_id', session: 'session_id', identity: 'actor', app: 'app_id', tenant: 'tenant', ip: 'src_ip', mailbox: 'target', resource: 'target' };

class AuthError extends Error {}

const state = {
  view: 'timeline', since: 0, until: 0, q: '', group: 'source',
  ev: '', src: '', ent: '', from: '', dir: 'forward', entity: '',
  cw: null, // compromise window [since, until] in ms
};

let caseInfo = null;
let findings = [];
let findingsLoaded = false;
let rows = [];          // events in the table
let next = '';          // cursor of the next table page
let sel = -1;           // selected row
let inflight = 0;
let controller = null;
let facetController = null;
let refreshTimer = 0;
let facetTimer = 0;
let drawerEvent = null;
let ready = false;
let me = null;            // who is signed in (/api/me): name, role, csrf, can_write
let starred = new Set();  // targets someone starred
let annot = null;         // the annotation box in the drawer
const VIEWS = ['timeline', 'findings', 'graph', 'entity', 'board', 'audit'];

// ---- URL state ------------------------------------------------------------

function readURL() {
  const p = new URLSearchParams(location.search);
  state.view = VIEWS.includes(p.get('view')) ? p.get('view') : 'timeline';
  state.entity = p.get('entity') || '';
  if (location.hash.startsWith('#/entity/')) { state.view = 'entity'; state.entity = decodeURIComponent(location.hash.slice(9)); }
  state.since = p.get('since') ? Date.parse(p.get('since')) || 0 : 0;
  state.until = p.get('until') ? Date.parse(p.get('until')) || 0 : 0;
  if (!state.since || !state.until || state.until <= state.since) { state.since = 0; state.until = 0; }
  state.q = p.get('q') || '';
  state.group = p.get('group') || 'source';
  state.ev = p.get('ev') || '';
  state.src = p.get('src') || '';
  state.ent = p.get('ent') || '';
  state.from = p.get('from') || '';
  state.dir = p.get('dir') === 'backward' ? 'backward' : 'forward';
  const cw = (p.get('cw') || '').split('/').map((x) => Date.parse(x));
  state.cw = cw.length === 2 && cw[0] < cw[1] ? cw : null;
}

function writeURL() {
  const p = new URLSearchParams();
  if (state.view !== 'timeline') p.set('view', state.view);
  if (state.since) p.set('since', new Date(state.since).toISOString());
  if (state.until) p.set('until', new Date(state.until).toISOString());
  if (state.q) p.set('q', state.q);
  if (state.group !== 'source') p.set('group', state.group);
  if (state.ev) { p.set('ev', state.ev); if (state.src) p.set('src', state.src); }
  if (state.ent) p.set('ent', state.ent);
  if (state.entity && state.view === 'entity') p.set('entity', state.entity);
  if (state.from) p.set('from', state.from);
  if (state.dir !== 'forward') p.set('dir', state.dir);
  if (state.cw) p.set('cw', state.cw.map((t) => new Date(t).toISOString()).join('/'));
  const url = '?' + p.toString();
  if (url !== location.search) history.replaceState(null, '', url || '/');
}

// ---- API ------------------------------------------------------------------

async function api(path, params, signal) {
  const qs = params ? '?' + params.toString() : '';
  busy(+1);
  let res;
  try {
    res = await fetch('/api/' + path + qs, { credentials: 'same-origin', signal, headers: { Accept: 'application/json' } });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new Error('The server did not answer. Is causeway serve still running? Restart it and reload this page.');
  } finally {
    busy(-1);
  }
  if (res.status === 401) throw new AuthError('not signed in');
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) throw new Error((body && body.error) || `${path}: HTTP ${res.status}`);
  return body;
}

// send makes a state-changing request: JSON in and out, with the CSRF
// token of the cookie session.
async function send(method, path, body) {
  busy(+1);
  let res;
  try {
    res = await fetch('/api/' + path, {
      method, credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': (me && me.csrf) || '' },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new Error('The server did not answer. Is causeway serve still running?');
  } finally {
    busy(-1);
  }
  if (res.status === 401) throw new AuthError('not signed in');
  let out = null;
  try { out = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) throw new Error((out && out.error) || `${path}: HTTP ${res.status}`);
  return out;
}

// workbench is what the workbench module needs from here.
function workbench() {
  return {
    me, get: api, send, kindColumn: KIND_COLUMN, handlers: chipHandlers, findings, searchTerm,
    onSaved: (a) => { if (a.star) starred.add(a.target); else refreshStars(); paintStars(); },
    pivot: (term, first, last) => {
      state.q = term; $('search').value = term;
      if (first && last) { const a = Date.parse(first), b = Date.parse(last) + 1; const pad = Math.max(60e3, (b - a) * 0.05); state.since = a - pad; state.until = b + pad; renderRange(); }
      setView('timeline'); scheduleRefresh(0);
    },
    chain: (id, dir) => { state.dir = dir; openGraph(id); },
  };
}

async function loadMe() {
  me = await api('me');
  $('user-name').textContent = `${me.name} · ${me.role}`;
  document.body.dataset.role = me.role;
  $('save-view-form').hidden = !me.can_write;
  $('audit-link').hidden = !me.can_write;
  $('exercise-link').hidden = !me.exercise;
  $('sign-out').hidden = !me.csrf; // bearer callers have no session to end
}

async function signOut() {
  try {
    await fetch('/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': (me && me.csrf) || '' }, redirect: 'manual' });
  } finally {
    location.href = '/';
  }
}

// refreshStars loads the starred targets (everyone's), for the table.
async function refreshStars() {
  try {
    const list = await api('annotations', new URLSearchParams({ starred: '1' }));
    starred = new Set(list.map((a) => a.target));
    paintStars();
  } catch { /* the table works without stars */ }
}

function paintStars() {
  const body = $('events-body');
  for (let i = 0; i < body.children.length; i++) {
    const e = rows[i];
    if (!e) continue;
    const on = starred.has('event:' + e.id);
    const td = body.children[i].firstChild;
    td.textContent = on ? '★' : '';
    td.classList.toggle('on', on);
  }
}

// ---- saved views ------------------------------------------------------------

async function loadViews() {
  const list = clear($('saved-views'));
  try {
    const vs = await api('views');
    if (!vs.length) list.append(el('div', { class: 'muted small', text: me && me.can_write ? 'Save what you see: name it below.' : 'No saved views.' }));
    for (const v of vs) {
      const q = (v.state && v.state.query) || '';
      list.append(el('a', { class: 'view-link saved', href: '/?' + q, title: `${v.name}\nsaved by ${v.author} ${fmtTime(v.created).slice(0, 16)} UTC`, text: v.name }));
    }
  } catch (e) {
    if (!(e instanceof AuthError)) list.append(el('div', { class: 'muted small', text: 'Saved views: ' + e.message }));
  }
}

async function saveView(ev) {
  ev.preventDefault();
  const name = $('save-view-name').value.trim();
  if (!name) { $('save-view-name').focus(); return; }
  writeURL();
  try {
    await send('POST', 'views', { name, state: location.search.replace(/^\?/, '') });
    $('save-view-name').value = '';
    loadViews();
  } catch (e) { showError(e); }
}

function busy(d) {
  inflight += d;
  $('progress').hidden = inflight <= 0;
}

// filterParams are the query's parameters. A view that holds the whole
// case sends no time bounds, so that its answers are the ones the server
// prepared (and cached) at start.
function filterParams(extra) {
  const p = new URLSearchParams();
  const whole = !state.since || (caseInfo && caseInfo.first && state.since <= Date.parse(caseInfo.first) && state.until > Date.parse(caseInfo.last));
  if (state.since && !whole) p.set('since', new Date(state.since).toISOString());
  if (state.until && !whole) p.set('until', new Date(state.until).toISOString());
  if (state.q) p.set('q', state.q);
  for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
  return p;
}

// ---- errors and empty states ---------------------------------------------

function showError(err) {
  if (err && err.name === 'AbortError') return;
  const b = clear($('banner'));
  if (err instanceof AuthError) {
    b.append(el('div', { class: 'title', text: 'Sign in to open this case.' }),
      el('div', {}, 'Open the login URL that ', el('code', { text: 'causeway serve' }), ' printed (it ends in ',
        el('code', { text: '/login?token=…' }), '). Scripts send the same token as ', el('code', { text: 'Authorization: Bearer <token>' }), '.'));
    $('case-name').textContent = 'Not signed in';
  } else {
    b.append(el('div', { class: 'title', text: 'Something went wrong.' }), el('div', { text: String(err.message || err) }));
  }
  b.hidden = false;
}

function clearError() { $('banner').hidden = true; }

// ---- case -----------------------------------------------------------------

async function loadCase() {
  caseInfo = await api('case');
  $('case-name').textContent = caseInfo.name || 'Unnamed case';
  const meta = clear($('case-meta'));
  if (caseInfo.first && caseInfo.last) {
    const span = Date.parse(caseInfo.last) - Date.parse(caseInfo.first);
    meta.append(el('div', { title: localTitle(caseInfo.first), text: fmtTime(caseInfo.first).slice(0, 16) }),
      el('div', { title: localTitle(caseInfo.last), text: '→ ' + fmtTime(caseInfo.last).slice(0, 16) + ' (' + fmtSpan(span) + ')' }));
  }
  meta.append(el('div', { text: `${fmtCount(caseInfo.events)} events · ${caseInfo.sources.length} sources · ${caseInfo.files.length} files` }));
  timeline.setSources(caseInfo.sources.map((s) => s.name));
}

function fullWindow() {
  if (caseInfo && caseInfo.first && caseInfo.last) {
    const a = Date.parse(caseInfo.first), b = Date.parse(caseInfo.last) + 1;
    const pad = Math.max(1000, (b - a) * 0.02);
    state.since = Math.floor(a - pad);
    state.until = Math.ceil(b + pad);
  } else {
    state.until = Date.now();
    state.since = state.until - 86400e3;
  }
}

// ---- timeline ---------------------------------------------------------------

const timeline = new Timeline({
  hist: $('hist'), histWrap: $('hist-wrap'), brush: $('brush'), lanes: $('lanes'), lanePlot: $('lane-plot'),
  laneLabels: $('lane-labels'), legend: $('legend'), tooltip: $('tooltip'),
}, {
  windowChanged(since, until) { state.since = since; state.until = until; renderRange(); scheduleRefresh(); },
  selectEvent(e) { const i = rows.findIndex((r) => r.id === e.id && r.source === e.source); if (i >= 0) select(i, false); openEvent(e.id, e.source); },
  laneClick(group, column, value) { addTerm(column, value); },
  compromise(cw) { setCompromise(cw); },
});

function setCompromise(cw) {
  state.cw = cw;
  $('cw').hidden = !cw;
  if (cw) {
    $('cw-label').textContent = `compromise ${fmtTime(cw[0]).slice(0, 16)} → ${fmtTime(cw[1]).slice(0, 16)}`;
    $('cw').title = `Compromise window (UTC)\n${localTitle(cw[0])}\n${localTitle(cw[1])}`;
  }
  timeline.setCompromise(cw);
  writeURL();
}

function renderRange() {
  const r = $('range-label');
  const n = state.until - state.since > 2 * 86400e3 ? 16 : 19; // minutes for long spans, else seconds
  r.textContent = caseInfo && caseInfo.events === 0 ? 'no events yet'
    : `${fmtTime(state.since).slice(0, n)} → ${fmtTime(state.until).slice(0, n)} UTC`;
  r.title = `${fmtSpan(state.until - state.since)}\n${localTitle(state.since)}\n${localTitle(state.until)}`;
  timeline.setWindow(state.since, state.until);
}

function scheduleRefresh(delay = 140) {
  writeURL();
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, delay);
  clearTimeout(facetTimer);
  facetTimer = setTimeout(refreshFacets, delay + 250);
}

async function refresh() {
  if (controller) controller.abort();
  controller = new AbortController();
  const signal = controller.signal;
  const buckets = 300; // fixed, so that answers are shared and cached
  try {
    const [lanes, page] = await Promise.all([
      api('lanes', filterParams({ group: state.group, buckets: String(buckets) }), signal),
      api('events', filterParams({ limit: String(PAGE) }), signal),
    ]);
    clearError();
    if (!state.since) {
      // The first load of the whole case starts before the case's span is
      // known: take it from the answer.
      const a = Date.parse(lanes.since), b = Date.parse(lanes.until);
      const pad = Math.max(1000, (b - a) * 0.02);
      state.since = Math.floor(a - pad); state.until = Math.ceil(b + pad);
      renderRange();
      writeURL();
    }
    timeline.setData(lanes);
    rows = page.events; next = page.next; sel = -1;
    renderTable(page.total, false);
    let marks = [];
    if (page.total <= PAGE) marks = page.events;
    else if (page.total <= MARKS_MAX) marks = (await api('events', filterParams({ limit: String(MARKS_MAX) }), signal)).events;
    timeline.setMarks(marks);
    showFindings(marks.length ? marks : rows);
    timeline.renderLegend();
    document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
    if (!ready) {
      ready = true;
      performance.mark('causeway-ready');
      document.body.dataset.ready = '1';
      // Findings need the whole graph: ask once the timeline stands, so
      // that building it never delays the first paint.
      loadFindings();
    }
  } catch (e) {
    if (e.name !== 'AbortError') showError(e);
  }
}

async function refreshFacets() {
  if (facetController) facetController.abort();
  facetController = new AbortController();
  try {
    const f = await api('facets', filterParams({ top: '6' }), facetController.signal);
    renderFacets(f.facets);
  } catch (e) {
    if (e.name !== 'AbortError') showError(e);
  }
}

function renderFacets(facets) {
  const box = clear($('facets'));
  const order = ['source', 'category', 'action', 'outcome', 'actor', 'tenant', 'app_name', 'src_ip', 'country', 'target_kind'];
  for (const col of order) {
    const vals = facets[col];
    if (!vals || vals.length === 0) continue;
    const max = vals[0].count || 1;
    const sec = el('div', { class: 'facet' }, el('h3', { text: col }));
    for (const v of vals) {
      const bar = el('span', { class: 'bar' });
      bar.style.width = Math.max(2, (v.count / max) * 100) + '%';
      sec.append(el('button', {
        type: 'button', class: 'facet-row', title: `${col}: ${v.value === '' ? '(none)' : v.value}\nclick to filter`,
        onclick: () => addTerm(col, v.value),
      }, bar, el('span', { class: 'v' + (v.value === '' ? ' none' : ''), text: v.value === '' ? '(none)' : v.value }), el('span', { class: 'n', text: fmtCount(v.count) })));
    }
    box.append(sec);
  }
}

function addTerm(column, value) {
  const term = searchTerm(column, value);
  if (!state.q.split(/\s+/).includes(term)) state.q = (state.q ? state.q + ' ' : '') + term;
  $('search').value = state.q;
  setView('timeline');
  scheduleRefresh(0);
}

// ---- table ----------------------------------------------------------------

const chipHandlers = { open: (kind, value) => openEntity(`${kind}:${value}`), filter: addTerm };

function cellChip(kind, value, column) {
  const td = el('td');
  if (value) td.append(chip(kind, value, column, chipHandlers));
  return td;
}

function targetKind(e) {
  return ['mailbox', 'resource', 'identity', 'app', 'tenant', 'key', 'token', 'session', 'ip'].includes(e.target_kind) ? e.target_kind : 'resource';
}

function row(e, i) {
  const hits = findings.filter((f) => f.events && f.events.includes(e.id));
  const on = starred.has('event:' + e.id);
  const tr = el('tr', { class: hits.length ? 'flagged' : '', title: hits.length ? 'findings: ' + hits.map((f) => f.rule).join(', ') : undefined, dataset: { i: String(i) } },
    el('td', { class: 'star' + (on ? ' on' : ''), text: on ? '★' : '', 'aria-label': on ? 'starred' : undefined }),
    el('td', { class: 'time', text: fmtTime(e.time), title: localTitle(e.time) }),
    el('td', { text: e.source, title: `${e.source} (${e.shape})` }),
    el('td', { text: e.action, title: e.message || e.action }),
    cellChip('identity', e.actor, 'actor'),
    cellChip(targetKind(e), e.target, 'target'),
    cellChip('ip', e.src_ip, 'src_ip'),
    e.app_name ? cellChip('app', e.app_name, 'app_name') : cellChip('app', e.app_id, 'app_id'),
    el('td', { class: e.outcome === 'failure' ? 'fail' : '', text: e.outcome, title: e.reason || e.outcome }));
  tr.addEventListener('click', () => { select(i, false); openEvent(e.id, e.source); });
  return tr;
}

function renderTable(total, append) {
  const body = $('events-body');
  if (!append) clear(body);
  const start = append ? body.children.length : 0;
  const frag = document.createDocumentFragment();
  for (let i = start; i < rows.length; i++) frag.append(row(rows[i], i));
  body.append(frag);
  if (total !== undefined) $('table-count').textContent = `${fmtCount(total)} events match · showing ${fmtCount(rows.length)}`;
  const empty = clear($('events-empty'));
  empty.hidden = rows.length > 0 || !caseInfo; // which empty state needs the case: wait for it
  if (!rows.length && caseInfo) {
    if (caseInfo && caseInfo.events === 0) {
      empty.append(el('div', { class: 'title', text: 'This case holds no events yet.' }),
        el('div', {}, 'Import logs into it: ', el('code', { text: 'causeway import --case DIR FILE…' }), ', then reload.'));
    } else {
      empty.append(el('div', { class: 'title', text: 'No events match in this window.' }),
        el('div', { text: state.q ? 'Clear or loosen the search, or zoom out (press − or 0 for the whole case).' : 'Zoom out (press − or 0 for the whole case) or pan (h / l).' }));
    }
  }
}

async function loadMore() {
  if (!next || loadMore.busy) return;
  loadMore.busy = true;
  try {
    const page = await api('events', filterParams({ limit: String(PAGE), cursor: next }));
    rows = rows.concat(page.events); next = page.next;
    renderTable(page.total, true);
  } catch (e) { showError(e); } finally { loadMore.busy = false; }
}

function select(i, scroll) {
  const body = $('events-body');
  if (sel >= 0 && body.children[sel]) body.children[sel].classList.remove('selected');
  sel = i;
  const tr = body.children[i];
  if (tr) { tr.classList.add('selected'); if (scroll) tr.scrollIntoView({ block: 'nearest' }); }
  timeline.setSelected(rows[i] || null);
}

// ---- drawer ---------------------------------------------------------------

function openDrawer(title) {
  $('drawer').hidden = false;
  $('drawer-title').textContent = title;
  const body = clear($('drawer-body'));
  body.append(el('div', { class: 'muted', text: 'Loading…' }));
  timeline.draw();
  return body;
}

function closeDrawer() {
  $('drawer').hidden = true;
  annot = null;
  state.ev = ''; state.src = ''; state.ent = '';
  drawerEvent = null;
  writeURL();
  timeline.draw();
}

async function openEvent(id, source) {
  state.ev = id; state.src = source || ''; state.ent = '';
  writeURL();
  openDrawer('Event');
  try {
    const p = new URLSearchParams({ id });
    if (source) p.set('source', source);
    const d = await api('event', p);
    if (state.ev !== id) return;
    drawerEvent = d.event;
    renderEvent(d);
  } catch (e) {
    const body = clear($('drawer-body'));
    if (e instanceof AuthError) showError(e);
    else body.append(el('div', { class: 'empty' }, el('div', { class: 'title', text: 'This event could not be loaded.' }), el('div', { text: e.message })));
  }
}

function renderEvent(d) {
  const e = d.event;
  $('drawer-title').textContent = `${e.action || 'event'} · ${e.source}`;
  const body = clear($('drawer-body'));
  const summary = e.message || [e.actor, e.action, e.target].filter(Boolean).join(' ');
  body.append(el('p', { class: 'summary', text: summary }),
    el('div', { class: 'muted' }, el('span', { class: 'mono', text: fmtTime(e.time) + ' UTC', title: localTitle(e.time) }), ' · ', e.outcome, e.reason ? ` (${e.reason})` : ''));

  const chips = el('div', { class: 'chips' });
  const add = (kind, v, col) => { if (v) chips.append(chip(kind, v, col, chipHandlers)); };
  add('identity', e.actor, 'actor'); add('tenant', e.tenant, 'tenant'); add('tenant', e.actor_tenant, 'actor_tenant');
  add('app', e.app_id, 'app_id'); add('app', e.app_name, 'app_name'); add('ip', e.src_ip, 'src_ip');
  add('session', e.session_id, 'session_id'); add('token', e.token_id, 'token_id'); add('key', e.key_id, 'key_id');
  if (e.issued_id) add(e.issued_kind === 'key' ? 'key' : 'token', e.issued_id, 'issued_id');
  if (e.target) add(targetKind(e), e.target, 'target');
  body.append(el('h3', { text: 'Entities' }), chips);

  const hits = findings.filter((f) => f.events && f.events.includes(e.id));
  if (hits.length) {
    body.append(el('h3', { text: 'Findings' }));
    for (const f of hits) body.append(el('div', { class: 'role' }, el('span', { class: `sev sev-${f.severity}`, text: f.severity }), ' ', el('span', { class: 'mono', text: f.rule }), ' ', f.summary));
  }

  annot = annotationBox('event:' + e.id, workbench());
  body.append(el('h3', { text: 'Annotations' }), annot);

  const fields = el('dl', { class: 'fields' });
  for (const col of (caseInfo ? caseInfo.columns : Object.keys(e))) {
    if (['raw', 'message', 'file', 'file_sha256', 'offset'].includes(col)) continue;
    const v = e[col];
    if (v === '' || v === undefined || v === null) continue;
    fields.append(el('dt', { text: col }), el('dd', { text: col === 'time' ? fmtTime(v) : String(v) }));
  }
  body.append(el('h3', { text: 'Fields' }), fields);

  body.append(el('h3', { text: 'Raw record' }));
  let parsed, ok = true;
  try { parsed = JSON.parse(e.raw); } catch { ok = false; }
  const rawBox = el('div', { id: 'raw-record' });
  const exact = el('pre', { class: 'json', text: e.raw || '' });
  exact.hidden = ok;
  if (ok) rawBox.append(jsonView(parsed));
  rawBox.append(exact);
  const toggle = el('button', { type: 'button', class: 'copy', text: 'exact bytes' });
  toggle.addEventListener('click', () => {
    exact.hidden = !exact.hidden;
    if (rawBox.firstChild !== exact) rawBox.firstChild.hidden = !exact.hidden;
    toggle.textContent = exact.hidden ? 'exact bytes' : 'pretty';
  });
  body.append(rawBox, el('div', { class: 'actions' }, ok ? toggle : null, copyButton('copy raw', e.raw)));

  const p = d.provenance;
  const prov = el('div', { class: 'prov' });
  prov.append(el('dl', { class: 'fields' },
    el('dt', { text: 'file' }), el('dd', { text: p.file }),
    el('dt', { text: 'sha256' }), el('dd', {}, el('div', { class: 'row' }, el('span', { class: 'hash', id: 'prov-sha', text: p.file_sha256 }), copyButton('copy', p.file_sha256))),
    el('dt', { text: 'offset' }), el('dd', { text: String(p.offset) }),
    p.file_record ? [el('dt', { text: 'importer' }), el('dd', { text: `${p.file_record.importer} (${p.file_record.shape})` }),
      el('dt', { text: 'file size' }), el('dd', { text: fmtCount(p.file_record.size) + ' bytes' }),
      el('dt', { text: 'records' }), el('dd', { text: `${fmtCount(p.file_record.read)} read · ${fmtCount(p.file_record.imported)} imported · ${fmtCount(p.file_record.rejected)} rejected` }),
      el('dt', { text: 'import run' }), el('dd', { text: p.file_record.run })] : [el('dt', { text: 'manifest' }), el('dd', { text: 'no file record with this hash' })]));
  if (d.matches > 1) prov.append(el('p', { class: 'muted', text: `${d.matches} events share this id; showing the earliest.` }));
  body.append(el('h3', { text: 'Provenance' }), prov);
  const cred = e.token_id ? `token:${e.token_id}` : e.key_id ? `key:${e.key_id}` : e.session_id ? `session:${e.session_id}` : '';
  if (cred) body.append(el('div', { class: 'actions' }, el('button', { type: 'button', text: 'Chain from ' + cred.split(':')[0] + ' (g)', onclick: () => openGraph(cred) })));
}

function copyButton(label, text) {
  const b = el('button', { type: 'button', class: 'copy', text: label, title: 'Copy to the clipboard' });
  b.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(text || ''); b.textContent = 'copied'; } catch { b.textContent = 'copy failed'; }
    setTimeout(() => { b.textContent = label; }, 1200);
  });
  return b;
}

async function openEntity(id) {
  state.ent = id; state.ev = ''; state.src = '';
  writeURL();
  openDrawer(id);
  try {
    const d = await api('entity', new URLSearchParams({ id }));
    if (state.ent !== id) return;
    const body = clear($('drawer-body'));
    $('drawer-title').textContent = 'Entity';
    body.append(el('div', { class: 'chips' }, chip(d.kind, d.value, KIND_COLUMN[d.kind], chipHandlers)),
      el('div', { class: 'actions' }, el('button', { type: 'button', text: 'Open the entity page', onclick: () => openEntityPage(id) })));
    annot = annotationBox(id, workbench());
    body.append(el('h3', { text: 'Annotations' }), annot);
    body.append(el('p', { class: 'summary' }, `${fmtCount(d.events)} events`, d.first ? ` from ${fmtTime(d.first)} to ${fmtTime(d.last)} UTC` : ''));
    body.append(el('h3', { text: 'Appears as' }));
    for (const r of d.roles) {
      if (!r.events) continue;
      const terms = r.where.map((w) => { const i = w.indexOf('='); return searchTerm(w.slice(0, i), w.slice(i + 1)); }).join(' ');
      body.append(el('div', { class: 'role' }, el('code', { text: r.where.join(' and ') }), ` · ${fmtCount(r.events)} events `,
        el('button', { type: 'button', class: 'copy', text: 'show in timeline', onclick: () => { state.q = terms; $('search').value = terms; if (r.first) { const a = Date.parse(r.first), b = Date.parse(r.last) + 1; const pad = Math.max(60e3, (b - a) * 0.05); state.since = a - pad; state.until = b + pad; renderRange(); } setView('timeline'); scheduleRefresh(0); } })));
    }
    if (!d.events) body.append(el('div', { class: 'empty', text: 'No event of this case names this entity.' }));
    for (const [col, vals] of Object.entries(d.related)) {
      if (!vals.length) continue;
      const sec = el('div', { class: 'facet' }, el('h3', { text: col }));
      for (const v of vals) sec.append(el('button', { type: 'button', class: 'facet-row', onclick: () => addTerm(col, v.value) },
        el('span', { class: 'v' + (v.value === '' ? ' none' : ''), text: v.value === '' ? '(none)' : v.value }), el('span', { class: 'n', text: fmtCount(v.count) })));
      body.append(sec);
    }
    if (['key', 'token', 'session'].includes(d.kind)) body.append(el('div', { class: 'actions' }, el('button', { type: 'button', text: 'Chain from here', onclick: () => openGraph(id) })));
    else body.append(el('div', { class: 'actions' }, el('button', { type: 'button', text: 'Chain back from here', onclick: () => { state.dir = 'backward'; openGraph(id); } })));
  } catch (e) {
    const body = clear($('drawer-body'));
    body.append(el('div', { class: 'empty' }, el('div', { class: 'title', text: 'This entity could not be loaded.' }), el('div', { text: e.message })));
  }
}

// ---- findings ---------------------------------------------------------------

async function loadFindings() {
  try {
    findings = await api('findings');
    findingsLoaded = true;
  } catch (e) {
    findings = [];
    if (e instanceof AuthError) return;
    $('view-findings').dataset.error = e.message;
  }
  const high = findings.filter((f) => f.rule !== 'coverage-gap').length;
  $('findings-count').textContent = high ? String(high) : '';
  showFindings(timeline.marks.length ? timeline.marks : rows);
  if (rows.length) { const keep = sel; renderTable(undefined, false); sel = -1; if (keep >= 0) select(keep, false); }
  if (state.view === 'findings') renderFindings();
}

// showFindings overlays the findings that concern what the timeline
// shows: all of them without a search, else those with an event among the
// loaded ones.
function showFindings(loaded) {
  if (!state.q) return timeline.setFindings(findings);
  const ids = new Set(loaded.map((e) => e.id));
  timeline.setFindings(findings.filter((f) => f.events && f.events.some((id) => ids.has(id))));
}

const expanded = new Set(); // rules whose findings are all listed

function renderFindings() {
  const box = clear($('view-findings'));
  const wrap = el('div', { class: 'findings' });
  box.append(wrap);
  if (box.dataset.error) {
    wrap.append(el('div', { class: 'empty' }, el('div', { class: 'title', text: 'Findings could not be computed.' }), el('div', { text: box.dataset.error })));
    return;
  }
  if (!findingsLoaded) {
    wrap.append(el('div', { class: 'empty' }, el('div', { class: 'title', text: 'Running the rules over the case…' }),
      el('div', { text: 'Findings need the whole entity graph; on a large case the first build takes a while. This page fills in by itself.' })));
    return;
  }
  if (!findings.length) {
    wrap.append(el('div', { class: 'empty' }, el('div', { class: 'title', text: 'No findings.' }),
      el('div', { text: 'No rule matched the events of this case. Findings appear here as soon as the case holds what the rules look for (sign-ins, token use, mailbox access).' })));
    return;
  }
  const byRule = new Map();
  for (const f of findings) { if (!byRule.has(f.rule)) byRule.set(f.rule, []); byRule.get(f.rule).push(f); }
  const sevRank = { high: 0, medium: 1, low: 2, info: 3 };
  const rules = [...byRule.entries()].sort((a, b) => (sevRank[a[1][0].severity] ?? 9) - (sevRank[b[1][0].severity] ?? 9) || a[0].localeCompare(b[0]));
  for (const [rule, fs] of rules) {
    const tenants = new Set(fs.flatMap((f) => f.entities.filter((x) => x.startsWith('tenant:'))));
    const sec = el('section', { class: 'rule' }, el('div', { class: 'rule-head' },
      el('span', { class: `sev sev-${fs[0].severity}`, text: fs[0].severity }), el('span', { class: 'name', text: rule }),
      el('span', { class: 'meta', text: `${fs.length} · first ${fmtTime(fs[0].time).slice(0, 16)} · last ${fmtTime(fs[fs.length - 1].time).slice(0, 16)}${tenants.size ? ` · ${tenants.size} tenants` : ''}` })));
    const shown = expanded.has(rule) ? 500 : 8;
    for (const f of fs.slice(0, shown)) {
      const chips = el('div', { class: 'chips' });
      for (const ent of f.entities.slice(0, 8)) {
        const i = ent.indexOf(':');
        chips.append(chip(ent.slice(0, i), ent.slice(i + 1), KIND_COLUMN[ent.slice(0, i)], chipHandlers));
      }
      sec.append(el('div', { class: 'finding', onclick: () => openFinding(f) },
        el('span', { class: 't', text: fmtTime(f.time), title: localTitle(f.time) }), el('div', {}, el('div', { text: f.summary }), chips)));
    }
    if (fs.length > shown) {
      sec.append(el('div', { class: 'more' }, el('button', {
        type: 'button', text: expanded.has(rule) ? `${fs.length - shown} more (open the timeline to see them all)` : `show ${Math.min(fs.length, 500) - shown} more`,
        onclick: () => { expanded.add(rule); renderFindings(); },
      })));
    }
    wrap.append(sec);
  }
}

function openFinding(f) {
  const t = Date.parse(f.time);
  state.since = t - 6 * 3600e3; state.until = t + 6 * 3600e3;
  const ent = f.entities.find((x) => !x.startsWith('tenant:')) || f.entities[0];
  if (ent) { const i = ent.indexOf(':'); state.q = searchTerm(KIND_COLUMN[ent.slice(0, i)] || 'target', ent.slice(i + 1)); }
  $('search').value = state.q;
  renderRange();
  setView('timeline');
  scheduleRefresh(0);
  if (f.events && f.events.length) openEvent(f.events[0], '');
}

// ---- graph ------------------------------------------------------------------

function openGraph(from) {
  state.from = from;
  $('graph-from').value = from;
  $('graph-dir').value = state.dir;
  setView('graph');
}

async function renderGraph() {
  const box = clear($('graph-body'));
  if (!state.from) {
    box.append(el('div', { class: 'empty' }, el('div', { class: 'title', text: 'Pick a root entity.' }),
      el('div', { text: 'Type kind:value above (key, token, session, identity, app, tenant, ip, mailbox, resource), or open an entity and choose "Chain from here".' })));
    return;
  }
  const p = new URLSearchParams({ from: state.from });
  if (state.dir === 'backward') p.set('direction', 'backward');
  else if (state.cw) p.set('since', new Date(state.cw[0]).toISOString()); // forward from the compromise
  try {
    const ch = await api('chain', p);
    const view = el('div', { class: 'diagram', id: 'diagram', title: 'Scroll to zoom, drag to pan, double-click to reset; click an entity to open it' });
    fetch('/api/chain.svg?' + p.toString(), { credentials: 'same-origin' }).then(async (res) => {
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const svg = safeSVG(await res.text());
      if (!svg) throw new Error('bad SVG');
      svg.setAttribute('role', 'img');
      svg.setAttribute('aria-label', `Chain diagram from ${state.from}`);
      view.append(svg);
      panZoom(view, svg);
      view.dataset.ready = '1';
    }).catch(() => view.replaceWith(el('p', { class: 'muted', text: 'The diagram could not be drawn; the chain is listed below.' })));
    view.addEventListener('click', (ev) => {
      if (view.dataset.dragged === '1') return;
      const a = ev.target.closest('a');
      const href = a ? linkOf(a) : '';
      if (!href.startsWith('#/entity/')) return;
      ev.preventDefault();
      const id = decodeURIComponent(href.slice(9));
      state.q = searchTerm(KIND_COLUMN[id.slice(0, id.indexOf(':'))] || 'target', id.slice(id.indexOf(':') + 1));
      $('search').value = state.q;
      scheduleRefresh(0);
      openEntityPage(id);
    });
    const exports = el('div', { class: 'actions' },
      el('a', { class: 'copy', href: '/api/chain.svg?' + p.toString(), download: 'chain.svg', text: 'SVG' }),
      el('a', { class: 'copy', href: '/api/chain.png?' + p.toString(), download: 'chain.png', text: 'PNG' }),
      el('a', { class: 'copy', href: '/api/chain.dot?' + p.toString(), download: 'chain.dot', text: 'DOT' }));
    const legend = el('div', { class: 'legend graph-legend' }, el('span', { class: 'item' }, el('span', { class: 'line solid' }), 'observed'),
      el('span', { class: 'item' }, el('span', { class: 'line dashed' }), 'inferred'), el('span', { class: 'item' }, el('span', { class: 'line dotted' }), 'asserted'),
      el('span', { class: 'muted', text: 'Click an entity to open its page; "neighbours" below expands one.' }));
    const nodes = el('div', { class: 'chain-nodes' });
    for (const n of ch.nodes) {
      const j = n.id.indexOf(':');
      const more = el('div', { class: 'neigh' });
      const btn = el('button', { type: 'button', class: 'copy', text: 'neighbours', 'aria-expanded': 'false' });
      btn.addEventListener('click', async () => {
        if (btn.getAttribute('aria-expanded') === 'true') { clear(more); btn.setAttribute('aria-expanded', 'false'); return; }
        btn.setAttribute('aria-expanded', 'true');
        clear(more).append(el('span', { class: 'muted', text: 'Loading…' }));
        try {
          const nb = await api('neighbours', new URLSearchParams({ id: n.id, limit: '20' }));
          clear(more);
          for (const [list, out] of [[nb.out, true], [nb.in, false]]) {
            for (const e of list) {
              const o = out ? e.to : e.from, k = o.indexOf(':');
              more.append(el('div', { class: `edge ev-${e.evidence}` }, el('span', { class: 'rel', text: out ? `${e.relation} →` : `← ${e.relation}` }),
                chip(o.slice(0, k), o.slice(k + 1), KIND_COLUMN[o.slice(0, k)], chipHandlers), el('span', { class: `evidence ev-${e.evidence}`, text: e.evidence }),
                el('span', { class: 'muted', text: `${fmtCount(e.count)} events` }),
                el('button', { type: 'button', class: 'copy', text: 'draw from here', onclick: () => openGraph(o) })));
            }
          }
          if (nb.more) more.append(el('div', { class: 'muted', text: `${fmtCount(nb.more)} more: open the entity page.` }));
        } catch (e) { clear(more).append(el('span', { class: 'muted', text: e.message })); }
      });
      nodes.append(el('div', { class: 'chain-node' }, chip(n.id.slice(0, j), n.id.slice(j + 1), KIND_COLUMN[n.id.slice(0, j)], chipHandlers),
        el('button', { type: 'button', class: 'copy', text: 'page', onclick: () => openEntityPage(n.id) }), btn, more));
    }
    box.append(view, exports, legend, el('h3', { text: `${ch.nodes.length} entities` }), nodes, el('h3', { text: `${ch.edges.length} edges` }));
    const list = el('div', { class: 'edge-list' });
    const kindOf = (id) => id.slice(0, id.indexOf(':'));
    const valOf = (id) => id.slice(id.indexOf(':') + 1);
    for (const e of ch.edges) {
      list.append(el('div', { class: `edge ev-${e.evidence}` },
        el('span', { class: 'mono muted', text: e.time ? fmtTime(e.time) : 'time unknown', title: e.time ? null : 'asserted without a time' }),
        chip(kindOf(e.from), valOf(e.from), KIND_COLUMN[kindOf(e.from)], chipHandlers),
        el('span', { class: 'rel', text: `${e.relation} (${e.evidence}) →` }),
        chip(kindOf(e.to), valOf(e.to), KIND_COLUMN[kindOf(e.to)], chipHandlers)));
    }
    box.append(list);
  } catch (e) {
    if (e instanceof AuthError) return showError(e);
    box.append(el('div', { class: 'empty' }, el('div', { class: 'title', text: 'No chain.' }), el('div', { text: e.message })));
  }
}

// panZoom lets the diagram zoom with the wheel and pan with a drag (CSS
// transforms set through the CSSOM, which the CSP allows).
function panZoom(view, img) {
  let k = 1, x = 0, y = 0, drag = null;
  const apply = () => { img.style.transform = `translate(${x}px, ${y}px) scale(${k})`; };
  const width = () => img.naturalWidth || (img.width && img.width.baseVal && img.width.baseVal.value) || img.getBoundingClientRect().width / k || 1;
  const fit = () => { k = Math.min(1, view.clientWidth / width()); x = 0; y = 0; apply(); }; // fit the width; drag to see the rest
  if (img instanceof HTMLImageElement) img.addEventListener('load', fit); else requestAnimationFrame(fit);
  view.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const r = view.getBoundingClientRect();
    const px = ev.clientX - r.left, py = ev.clientY - r.top;
    const f = Math.exp(-Math.max(-300, Math.min(300, ev.deltaY)) * 0.002);
    const nk = Math.min(8, Math.max(0.1, k * f));
    x = px - (px - x) * (nk / k); y = py - (py - y) * (nk / k); k = nk;
    apply();
  }, { passive: false });
  view.addEventListener('mousedown', (ev) => { drag = { sx: ev.clientX - x, sy: ev.clientY - y, x0: ev.clientX, y0: ev.clientY }; view.dataset.dragged = '0'; ev.preventDefault(); });
  window.addEventListener('mousemove', (ev) => {
    if (!drag) return;
    if (Math.abs(ev.clientX - drag.x0) + Math.abs(ev.clientY - drag.y0) > 4) view.dataset.dragged = '1';
    x = ev.clientX - drag.sx; y = ev.clientY - drag.sy; apply();
  });
  window.addEventListener('mouseup', () => { drag = null; });
  view.addEventListener('dblclick', fit);
}

// ---- views and wiring ------------------------------------------------------

function setView(v) {
  state.view = v;
  for (const name of VIEWS) $('view-' + name).hidden = name !== v;
  for (const a of document.querySelectorAll('.view-link[data-view]')) a.classList.toggle('active', a.dataset.view === v);
  writeURL();
  if (v === 'findings') renderFindings();
  if (v === 'graph') renderGraph();
  if (v === 'timeline') timeline.draw();
  if (v === 'entity') showEntityPage();
  if (v === 'board') renderBoard($('view-board'), '', workbench());
  if (v === 'audit') renderAudit($('view-audit'), workbench());
}

// openEntityPage shows everything about an entity in the main area.
function openEntityPage(id) {
  state.entity = id;
  if (!$('drawer').hidden) closeDrawer();
  setView('entity');
}

function showEntityPage() {
  if (!state.entity) {
    clear($('view-entity')).append(el('div', { class: 'empty' }, el('div', { class: 'title', text: 'No entity open.' }),
      el('div', { text: 'Click a node of the graph, or a chip and then "Open the entity page".' })));
    return;
  }
  if (!findingsLoaded) loadFindings();
  renderEntityPage($('view-entity'), state.entity, workbench());
}

function applyTheme(t) {
  document.documentElement.dataset.theme = t;
  timeline.draw();
}

function toggleHelp(show) { $('help').hidden = !(show ?? $('help').hidden); }

// follow shows the selected event in the drawer when an event is open.
function follow() {
  if (!$('drawer').hidden && state.ev && rows[sel]) openEvent(rows[sel].id, rows[sel].source);
}

function onKey(ev) {
  const inField = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement || ev.target instanceof HTMLTextAreaElement;
  if (ev.key === 'Escape') {
    if (!$('help').hidden) return toggleHelp(false);
    if (inField) return ev.target.blur();
    if (!$('drawer').hidden) return closeDrawer();
    return;
  }
  if (inField || ev.metaKey || ev.ctrlKey || ev.altKey) return;
  switch (ev.key) {
    case '/': ev.preventDefault(); $('search').focus(); $('search').select(); break;
    case '?': toggleHelp(); break;
    case 'j': if (rows.length) { select(Math.min(rows.length - 1, sel + 1), true); if (sel >= rows.length - 20) loadMore(); follow(); } break;
    case 'k': if (rows.length) { select(Math.max(0, sel - 1), true); follow(); } break;
    case 'Enter': if (sel >= 0 && rows[sel]) openEvent(rows[sel].id, rows[sel].source); break;
    case '+': case '=': timeline.zoom(0.5); break;
    case '-': case '_': timeline.zoom(2); break;
    case 'h': timeline.pan(-0.25); break;
    case 'l': timeline.pan(0.25); break;
    case '0': fullWindow(); renderRange(); timeline.draw(); scheduleRefresh(0); break;
    case 's': if (annot) annot.toggleStar(); break;
    case 't': if (annot) { ev.preventDefault(); annot.focusTags(); } break;
    case 'g': {
      const e = drawerEvent || rows[sel];
      if (!e) break;
      const cred = e.token_id ? `token:${e.token_id}` : e.key_id ? `key:${e.key_id}` : e.session_id ? `session:${e.session_id}` : '';
      if (cred) openGraph(cred);
      break;
    }
    default: return;
  }
}

function wire() {
  $('search-form').addEventListener('submit', (ev) => { ev.preventDefault(); state.q = $('search').value.trim(); $('search').blur(); setView('timeline'); scheduleRefresh(0); });
  $('zoom-in').addEventListener('click', () => timeline.zoom(0.5));
  $('zoom-out').addEventListener('click', () => timeline.zoom(2));
  $('zoom-all').addEventListener('click', () => { fullWindow(); renderRange(); timeline.draw(); scheduleRefresh(0); });
  $('group').addEventListener('change', () => { state.group = $('group').value; scheduleRefresh(0); });
  $('theme').addEventListener('click', () => {
    const t = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    try { localStorage.setItem('causeway-theme', t); } catch { /* private mode */ }
    applyTheme(t);
  });
  $('help-btn').addEventListener('click', () => toggleHelp());
  $('help').addEventListener('click', (ev) => { if (ev.target === $('help')) toggleHelp(false); });
  $('drawer-close').addEventListener('click', closeDrawer);
  $('cw-clear').addEventListener('click', () => setCompromise(null));
  for (const a of document.querySelectorAll('.view-link[data-view]')) a.addEventListener('click', (ev) => { ev.preventDefault(); setView(a.dataset.view); });
  $('graph-form').addEventListener('submit', (ev) => { ev.preventDefault(); state.from = $('graph-from').value.trim(); state.dir = $('graph-dir').value; writeURL(); renderGraph(); });
  $('table-wrap').addEventListener('scroll', () => { const w = $('table-wrap'); if (w.scrollTop + w.clientHeight > w.scrollHeight - 300) loadMore(); });
  document.addEventListener('keydown', onKey);
  $('save-view-form').addEventListener('submit', saveView);
  $('sign-out').addEventListener('click', signOut);
}

async function start() {
  let theme = null;
  try { theme = localStorage.getItem('causeway-theme'); } catch { /* private mode */ }
  applyTheme(theme || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  readURL();
  wire();
  $('search').value = state.q;
  $('group').value = state.group;
  $('graph-from').value = state.from;
  $('graph-dir').value = state.dir;
  setCompromise(state.cw);
  // The whole case (no bounds in the URL) loads its lanes and first page
  // alongside the case description, from answers the server prepared.
  const early = !state.since || !state.until;
  if (early) { state.since = 0; state.until = 0; refresh(); }
  try {
    const who = loadMe().then(() => { loadViews(); refreshStars(); });
    await loadCase();
    await who;
  } catch (e) {
    showError(e);
    return;
  }
  if (!state.since) fullWindow();
  if (!rows.length && ready) renderTable(undefined, false); // the empty state may need the case
  renderRange();
  setView(state.view);
  writeURL();
  if (!early) refresh();
  refreshFacets();
  if (state.view === 'findings' && !ready) loadFindings();
  if (state.ev) openEvent(state.ev, state.src);
  else if (state.ent) openEntity(state.ent);
}

start();
