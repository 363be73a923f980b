// The participant view, made for a projector: the clock, the current
// inject and its questions with an answer box, and the timeline of what
// the defenders could see, growing with the clock. Everything shown comes
// from the server already filtered by the clock and the released sources.
import { $, el, clear, api, follow, statusBadge, whoami, fmtTime, eventRow } from './common.js';

let state = null;
let shownInject = '';
let fetching = false, again = false;
let lastClock = '', lastSources = '';
const seen = new Set();
const knownSources = new Set();
const openIds = new Set(); // rows the room has opened

// sourceOptions offers the visible sources (those named by the state, or
// seen in events when every source is visible) in the source filter.
function sourceOptions() {
  const sel = $('f-source');
  const names = new Set(state && !state.sources.includes('*') ? state.sources : knownSources);
  const have = new Set([...sel.options].map((o) => o.value));
  for (const n of [...names].sort()) if (!have.has(n)) sel.appendChild(el('option', { value: n, text: n }));
}

async function loadEvents() {
  if (fetching) { again = true; return; }
  fetching = true;
  try {
    const params = new URLSearchParams({ limit: '300' });
    const src = $('f-source').value, text = $('f-text').value.trim();
    if (src) params.set('source', src);
    if (text) params.set('q', text);
    const page = await api('events?' + params);
    render(page);
  } catch (err) {
    $('tl-meta').textContent = 'Could not load events (' + err.message + '): retrying…';
    setTimeout(loadEvents, 1000);
  } finally {
    fetching = false;
    if (again) { again = false; loadEvents(); }
  }
}

function render(page) {
  const list = $('events');
  clear(list);
  const first = seen.size === 0;
  // Newest at the top, as the clock moves down the page.
  for (let i = page.events.length - 1; i >= 0; i--) {
    const ev = page.events[i];
    list.appendChild(eventRow(ev, !first && !seen.has(ev.id), openIds));
  }
  for (const ev of page.events) {
    seen.add(ev.id);
    knownSources.add(ev.source);
  }
  sourceOptions();
  $('events-empty').hidden = page.events.length > 0;
  const n = page.events.length;
  const filtered = $('f-source').value || $('f-text').value.trim();
  $('tl-meta').textContent = `${n}${page.older ? '+' : ''} ${filtered ? 'matching ' : ''}events up to ${fmtTime(page.clock)}`;
  density(page.events, page.clock);
}

// density draws the events per hour of the last day before the clock.
function density(events, clock) {
  const box = clear($('density'));
  const end = new Date(clock).getTime(), hours = 24, bins = new Array(hours).fill(0);
  for (const ev of events) {
    const h = Math.floor((end - new Date(ev.time).getTime()) / 3600e3);
    if (h >= 0 && h < hours) bins[hours - 1 - h]++;
  }
  const max = Math.max(1, ...bins);
  for (const b of bins) {
    const bar = el('span', { class: 'bar' });
    bar.style.height = Math.round((b / max) * 100) + '%';
    box.appendChild(bar);
  }
}

function renderInject(st) {
  const cur = st.current;
  $('inject-empty').hidden = !!cur;
  $('inject-body').hidden = !cur;
  if (!cur) return;
  if (cur.id !== shownInject) {
    shownInject = cur.id;
    $('inject-title').textContent = cur.title || cur.id;
    $('inject-text').textContent = cur.text;
    const form = clear($('answers'));
    const qs = cur.questions.length ? cur.questions : ['Your notes on this inject'];
    qs.forEach((q, i) => {
      const id = 'a-' + i;
      const box = el('textarea', { id, rows: 2, maxlength: 4000, 'aria-label': q });
      const sent = el('span', { class: 'sent muted', 'aria-live': 'polite' });
      const send = el('button', { type: 'button', class: 'primary', text: 'Send answer', onclick: async () => {
        const text = box.value.trim();
        if (!text) { sent.textContent = 'Write an answer first.'; return; }
        send.disabled = true;
        try {
          await api('answer', { inject: cur.id, question: i, answer: text });
          sent.textContent = 'Sent ✓ (you can send another)';
          box.value = '';
        } catch (err) {
          sent.textContent = 'Not sent: ' + err.message;
        } finally { send.disabled = false; }
      } });
      form.appendChild(el('div', { class: 'q' },
        el('label', { for: id, class: 'q-ask', text: `${i + 1}. ${q}` }), box, el('div', { class: 'q-act' }, send, sent)));
    });
  }
  const earlier = st.released.slice(0, -1);
  $('earlier').hidden = earlier.length === 0;
  const ol = clear($('earlier-list'));
  for (const inj of earlier) ol.appendChild(el('li', {}, el('strong', { text: inj.title || inj.id }), ' ', el('span', { text: inj.text })));
}

function onState(st) {
  state = st;
  document.title = (st.title || 'Exercise') + ' · Causeway';
  $('title').textContent = st.title;
  $('stage').textContent = st.stage ? 'Stage: ' + st.stage : 'Before the first stage';
  $('clock').textContent = fmtTime(st.clock);
  $('relative').textContent = st.relative;
  $('running').textContent = st.ended ? 'ended' : st.running ? 'playing' : 'paused';
  $('running').className = 'pill ' + (st.running ? 'on' : 'off');
  renderInject(st);
  sourceOptions();
  // Events change with the clock and with what released injects reveal.
  const sources = st.sources.join(',') + '|' + st.released.map((r) => r.id).join(',');
  if (st.clock !== lastClock || sources !== lastSources) {
    lastClock = st.clock; lastSources = sources;
    loadEvents();
  }
}

async function main() {
  try {
    await whoami();
  } catch (err) {
    $('title').textContent = err.message;
    return;
  }
  $('filter').addEventListener('submit', (ev) => { ev.preventDefault(); loadEvents(); });
  $('f-source').addEventListener('change', () => loadEvents());
  let timer = 0;
  $('f-text').addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(loadEvents, 250); });
  follow('participant', onState, statusBadge($('conn')));
}

main();
