// DOM helpers. Every string from a log goes through textContent (el's
// children or text), never as markup: nothing from a case is ever parsed
// as HTML.

export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k === 'title') e.title = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
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

// Times: UTC always shown, local time on hover.
export function fmtTime(t) {
  const d = t instanceof Date ? t : new Date(t);
  if (isNaN(d)) return '';
  const iso = d.toISOString();
  return iso.slice(0, 10) + ' ' + iso.slice(11, 23).replace(/\.000$/, '');
}

export function localTitle(t) {
  const d = t instanceof Date ? t : new Date(t);
  return isNaN(d) ? '' : 'local: ' + d.toLocaleString();
}

export function fmtCount(n) {
  return Number(n || 0).toLocaleString('en-US');
}

export function fmtSpan(ms) {
  const s = ms / 1000;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  if (s < 86400 * 120) return `${Math.round(s / 86400)} days`;
  return `${(s / 86400 / 365).toFixed(1)} years`;
}

// Entity kinds: colour (CSS class), a small icon and the kind name.
const ICONS = {
  key: 'M4.2 7.8a2.3 2.3 0 1 1 0-4.6 2.3 2.3 0 0 1 0 4.6ZM6.5 5.5H11M9.5 5.5v2M11 5.5v1.5',
  token: 'M6 1.2 10.8 6 6 10.8 1.2 6ZM6 4 8 6 6 8 4 6Z',
  session: 'M6 1.5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9ZM6 3.5V6l1.8 1.3',
  identity: 'M6 1.8a2.1 2.1 0 1 1 0 4.2 2.1 2.1 0 0 1 0-4.2ZM2 10.8c.3-2.3 2-3.5 4-3.5s3.7 1.2 4 3.5',
  app: 'M1.8 2h8.4v8H1.8ZM1.8 4.3h8.4M3.2 3.2h.01',
  tenant: 'M2 10.8V2.5h5v8.3M7 5.5h3v5.3M1 10.8h10M3.5 4.3h2M3.5 6.3h2M3.5 8.3h2',
  ip: 'M6 1.2a4.8 4.8 0 1 1 0 9.6 4.8 4.8 0 0 1 0-9.6ZM1.2 6h9.6M6 1.2c-2 2.6-2 7 0 9.6M6 1.2c2 2.6 2 7 0 9.6',
  mailbox: 'M1.3 2.8h9.4v6.4H1.3ZM1.3 2.8 6 6.6l4.7-3.8',
  resource: 'M2 3c0-1.6 8-1.6 8 0v6c0 1.6-8 1.6-8 0ZM2 3c0 1.6 8 1.6 8 0M2 6c0 1.6 8 1.6 8 0',
};
export const KINDS = Object.keys(ICONS);

export function icon(kind) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 12 12');
  svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', ICONS[kind] || ICONS.resource);
  svg.appendChild(p);
  return svg;
}

// chip renders an entity. column is the event column it came from, so that
// shift-click can filter on exactly that column.
export function chip(kind, value, column, handlers) {
  if (!KINDS.includes(kind)) kind = 'resource';
  const b = el('button', { type: 'button', class: `chip chip-${kind}`, title: `${kind}: ${value}\nclick: details · shift-click: filter` },
    icon(kind), el('span', { class: 'kind', text: kind }), el('span', { class: 'val', text: value }));
  b.dataset.kind = kind;
  b.addEventListener('click', (ev) => {
    ev.stopPropagation();
    if (ev.shiftKey) handlers.filter(column, value);
    else handlers.open(kind, value);
  });
  return b;
}

// searchTerm writes column:value for the search box, quoting when needed.
export function searchTerm(column, value) {
  if (value === '' || /[\s"]/.test(value)) return `${column}:"${value.replace(/"/g, '')}"`;
  return `${column}:${value}`;
}

// jsonView renders a JSON value as highlighted, indented text, built from
// spans with textContent.
export function jsonView(value) {
  const pre = el('pre', { class: 'json' });
  const out = [];
  const span = (cls, text) => { const s = document.createElement('span'); s.className = cls; s.textContent = text; out.push(s); };
  const txt = (t) => out.push(document.createTextNode(t));
  const walk = (v, ind) => {
    if (v === null) return span('j-lit', 'null');
    if (Array.isArray(v)) {
      if (v.length === 0) return span('j-p', '[]');
      span('j-p', '[');
      v.forEach((x, i) => { txt('\n' + ind + '  '); walk(x, ind + '  '); if (i < v.length - 1) span('j-p', ','); });
      txt('\n' + ind); span('j-p', ']');
      return;
    }
    switch (typeof v) {
      case 'object': {
        const keys = Object.keys(v);
        if (keys.length === 0) return span('j-p', '{}');
        span('j-p', '{');
        keys.forEach((k, i) => {
          txt('\n' + ind + '  '); span('j-key', JSON.stringify(k)); span('j-p', ': ');
          walk(v[k], ind + '  ');
          if (i < keys.length - 1) span('j-p', ',');
        });
        txt('\n' + ind); span('j-p', '}');
        return;
      }
      case 'string': return span('j-str', JSON.stringify(v));
      case 'number': return span('j-num', String(v));
      default: return span('j-lit', String(v));
    }
  };
  walk(value, '');
  for (const n of out) pre.appendChild(n);
  return pre;
}
