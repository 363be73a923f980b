// Shared helpers of the exercise views. Every string from a log, an
// exercise file or a participant goes through textContent (el's children),
// never through markup.

export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(e, c);
    else if (c instanceof Node) e.appendChild(c);
    else e.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(e) {
  while (e.firstChild) e.removeChild(e.firstChild);
  return e;
}

export const $ = (id) => document.getElementById(id);

// fmtTime shows a case time in UTC, always.
export function fmtTime(t, seconds = true) {
  const d = new Date(t);
  if (isNaN(d)) return '';
  const iso = d.toISOString();
  return iso.slice(0, 10) + ' ' + iso.slice(11, seconds ? 19 : 16) + ' UTC';
}

let me = null;

// whoami returns the caller (name, role, csrf), once.
export async function whoami() {
  if (!me) me = await api('me');
  return me;
}

// api calls /api/exercise/<path>; body (an object) makes it a POST with
// the CSRF header. Errors throw with the server's message.
export async function api(path, body) {
  const opts = { credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    opts.method = 'POST';
    opts.headers['Content-Type'] = 'application/json';
    opts.headers['X-CSRF-Token'] = (me && me.csrf) || 'same-origin';
    opts.body = JSON.stringify(body);
  }
  const res = await fetch('/api/exercise/' + path, opts);
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) throw new Error((data && data.error) || `${res.status} ${res.statusText}`);
  return data;
}

// follow opens the server-sent event stream and calls onState with every
// state; status gets 'live' or 'reconnecting'. EventSource reconnects by
// itself (the server asks for 1 s).
export function follow(view, onState, status) {
  const es = new EventSource('/api/exercise/stream?view=' + encodeURIComponent(view));
  es.addEventListener('state', (ev) => {
    status('live');
    onState(JSON.parse(ev.data));
  });
  es.onerror = () => status('reconnecting');
  return es;
}

// statusBadge shows the stream status in e.
export function statusBadge(e) {
  return (s) => {
    e.textContent = s === 'live' ? 'live' : 'reconnecting…';
    e.className = 'conn ' + (s === 'live' ? 'ok' : 'bad');
  };
}

// eventRow is one event as a row: time, source, action, actor, message;
// a click (or Enter) shows every detail of it. openIds (a Set) keeps
// which rows are open across re-renders.
export function eventRow(ev, fresh, openIds) {
  const more = [
    ['tenant', ev.tenant], ['actor tenant', ev.actor_tenant], ['app', ev.app], ['target', ev.target], ['ip', ev.src_ip],
    ['key', ev.key_id], ['token', ev.token_id], ['user agent', ev.user_agent], ['outcome', ev.outcome],
  ].filter(([, v]) => v);
  const li = el('li', { class: 'ev' + (fresh ? ' fresh' : ''), tabindex: 0, 'aria-expanded': 'false', dataset: { id: ev.id, time: ev.time, source: ev.source } },
    el('time', { class: 'ev-time', datetime: ev.time, text: fmtTime(ev.time).replace(' UTC', '') }),
    el('span', { class: 'ev-src', text: ev.source }),
    el('span', { class: 'ev-cat cat-' + (ev.category || 'other'), text: ev.action || ev.category }),
    el('span', { class: 'ev-actor', text: ev.actor }),
    el('span', { class: 'ev-msg', text: ev.message || [ev.target, ev.src_ip].filter(Boolean).join(' · ') }),
    el('dl', { class: 'ev-more' }, more.map(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })])),
  );
  const toggle = () => {
    const open = li.classList.toggle('open');
    li.setAttribute('aria-expanded', String(open));
    if (openIds) open ? openIds.add(ev.id) : openIds.delete(ev.id);
  };
  if (openIds && openIds.has(ev.id)) {
    li.classList.add('open');
    li.setAttribute('aria-expanded', 'true');
  }
  li.addEventListener('click', toggle);
  li.addEventListener('keydown', (e) => { if (e.key === 'Enter') toggle(); });
  return li;
}
