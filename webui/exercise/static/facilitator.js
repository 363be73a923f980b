// The facilitator console: the clock in case time and as T+ from the first
// malicious event; play, pause, advance and step; the inject cards with
// their expected answers and a release button; the answers as they arrive;
// who is connected; notes; the debrief export.
import { $, el, clear, api, follow, statusBadge, whoami, fmtTime } from './common.js';

let state = null;

function flash(text, bad) {
  const m = $('msg');
  m.textContent = text;
  m.className = 'msg' + (bad ? ' bad' : '');
  m.hidden = !text;
}

// act runs an action and shows its error; the stream brings the new state.
async function act(path, body) {
  try {
    flash('');
    await api(path, body || {});
  } catch (err) {
    flash(err.message, true);
  }
}

function renderStages(st) {
  const ol = clear($('stages'));
  for (const g of st.stages) {
    const next = st.next && st.next.name === g.name;
    ol.appendChild(el('li', { class: 'stage' + (g.reached ? ' reached' : '') + (next ? ' next' : '') },
      el('span', { class: 'stage-name', text: g.name }),
      el('time', { class: 'muted', datetime: g.at, text: fmtTime(g.at, false) }),
      next ? el('span', { class: 'pill on', text: 'next' }) : null,
      g.note ? el('div', { class: 'stage-note', text: g.note }) : null));
  }
  $('step').disabled = !st.next;
  $('step').textContent = st.next ? `Next stage: ${st.next.name} →` : 'No further stage';
}

// revealText describes what an inject releases.
function revealText(inj) {
  const out = [];
  const r = inj.reveals || {};
  if (r.sources && r.sources.length) out.push('sources ' + r.sources.join(', '));
  if (r.tenants && r.tenants.length) out.push('tenants ' + r.tenants.map((t) => (t === '*' ? 'all' : t)).join(', '));
  for (const f of r.events || []) out.push('events where ' + Object.entries(f).map(([k, v]) => `${k}=${v}`).join(' and '));
  return out;
}

function renderInjects(st) {
  const box = clear($('injects'));
  const current = st.current && st.current.id;
  for (const inj of st.injects) {
    const cls = ['card', inj.released ? 'released' : '', inj.is_due && !inj.released ? 'due' : '', inj.id === current ? 'current' : ''].join(' ');
    const reveals = revealText(inj);
    box.appendChild(el('article', { class: cls, dataset: { inject: inj.id } },
      el('header', {},
        el('strong', { text: inj.title || inj.id }),
        el('span', { class: 'muted', text: ' ' + (inj.stage ? 'stage ' + inj.stage : 'at ' + fmtTime(inj.due, false)) }),
        el('span', { class: 'pill ' + (inj.released ? 'on' : inj.is_due ? 'due' : 'off'), text: inj.released ? (inj.id === current ? 'current' : 'released') : inj.is_due ? 'due' : 'later' })),
      el('p', { text: inj.text }),
      inj.questions && inj.questions.length ? el('ol', { class: 'qs' }, inj.questions.map((q) =>
        el('li', {}, el('span', { text: q.ask }),
          q.expect && q.expect.length ? el('div', { class: 'expect' }, 'Expected: ', el('span', { text: q.expect.join(' · ') })) : null))) : null,
      reveals.length ? el('div', { class: 'reveals' }, 'Reveals: ', el('span', { text: reveals.join('; ') })) : null,
      inj.note ? el('div', { class: 'stage-note', text: inj.note }) : null,
      el('button', { type: 'button', class: inj.released ? '' : 'primary', text: inj.released ? 'Show again' : 'Release',
        onclick: () => act('release', { inject: inj.id }) })));
  }
}

function renderAnswers(st) {
  const ol = clear($('answers-feed'));
  for (let i = st.answers.length - 1; i >= 0; i--) {
    const a = st.answers[i];
    ol.appendChild(el('li', { class: 'answer', dataset: { id: a.id } },
      el('div', { class: 'muted' }, el('strong', { text: a.participant }), ' · ', el('span', { text: a.inject }),
        ' · ', el('time', { datetime: a.clock, text: fmtTime(a.clock, false) })),
      a.ask ? el('div', { class: 'ask', text: a.ask }) : null,
      el('div', { class: 'text', text: a.answer })));
  }
  $('answers-empty').hidden = st.answers.length > 0;
  $('answer-count').textContent = st.answers.length ? `(${st.answers.length})` : '';
}

function renderPeople(st) {
  const ul = clear($('people'));
  for (const p of st.people) {
    ul.appendChild(el('li', { class: p.connected ? 'on' : 'off' },
      el('span', { class: 'dot', 'aria-hidden': 'true' }), el('span', { text: p.name }),
      el('span', { class: 'muted', text: ` ${p.role || 'participant'} · ${p.answers} answers${p.connected ? '' : ' · away'}` })));
  }
  if (!st.people.length) ul.appendChild(el('li', { class: 'muted', text: 'Nobody has joined yet.' }));
  const vis = st.visible || {};
  const lines = ['Events up to the clock from ' + ((vis.sources || []).includes('*') ? 'every source' : (vis.sources || []).join(', ')) +
    (vis.tenants && vis.tenants.length ? ' in tenant ' + vis.tenants.join(', ') : '') + '.'];
  for (const inj of st.injects) {
    if (inj.released && revealText(inj).length) lines.push(`${inj.title || inj.id}: + ${revealText(inj).join('; ')}`);
  }
  const sees = clear($('sees'));
  for (const l of lines) sees.appendChild(el('div', { text: l }));
  const notes = clear($('notes'));
  for (let i = st.notes.length - 1; i >= 0; i--) {
    const n = st.notes[i];
    notes.appendChild(el('li', {}, el('time', { class: 'muted', datetime: n.clock, text: fmtTime(n.clock, false) + ' ' }), el('span', { text: n.note })));
  }
}

function onState(st) {
  state = st;
  $('title').textContent = st.title;
  $('audience').textContent = st.audience;
  $('stage').textContent = st.stage ? 'Stage: ' + st.stage : 'Before the first stage';
  $('clock').textContent = fmtTime(st.clock);
  $('relative').textContent = st.relative;
  $('running').textContent = st.ended ? 'ended' : st.running ? 'playing' : 'paused';
  $('running').className = 'pill ' + (st.running ? 'on' : 'off');
  $('play').disabled = st.running || st.ended;
  $('pause').disabled = !st.running;
  const sp = $('speed');
  if (document.activeElement !== sp && [...sp.options].some((o) => Number(o.value) === st.speed)) sp.value = String(st.speed);
  renderStages(st);
  renderInjects(st);
  renderAnswers(st);
  renderPeople(st);
}

async function main() {
  try {
    const who = await whoami();
    if (!who.facilitator) { location.replace('/exercise/participant'); return; }
  } catch (err) {
    $('title').textContent = err.message;
    return;
  }
  $('play').addEventListener('click', () => act('play', { speed: Number($('speed').value) }));
  $('pause').addEventListener('click', () => act('pause'));
  $('speed').addEventListener('change', () => { if (state && state.running) act('play', { speed: Number($('speed').value) }); });
  $('step').addEventListener('click', () => act('step'));
  for (const b of document.querySelectorAll('[data-by]')) b.addEventListener('click', () => act('advance', { by: b.dataset.by }));
  $('note-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = $('note').value.trim();
    if (!text) return;
    await act('note', { note: text });
    $('note').value = '';
  });
  // Keyboard: Space plays or pauses, n steps to the next stage (not while
  // typing a note).
  document.addEventListener('keydown', (ev) => {
    if (ev.target.closest('textarea, input, select') || ev.ctrlKey || ev.metaKey || ev.altKey || !state) return;
    if (ev.key === ' ' && !ev.target.closest('button, a')) { // on a button, Space presses it
      ev.preventDefault();
      act(state.running ? 'pause' : 'play', state.running ? undefined : { speed: Number($('speed').value) });
    } else if (ev.key === 'n' && state.next) {
      act('step');
    }
  });
  follow('facilitator', onState, statusBadge($('conn')));
}

main();
