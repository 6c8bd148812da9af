// The inspector page: draws one panel per actor (release, INC-n) from its machine's statechart,
// follows the shift live over the WebSocket, then replays it. One render path serves both: the
// trace received so far and a position in it; live, the position follows the newest transition.

const config = JSON.parse(document.getElementById('config').textContent);
const $ = (id) => document.getElementById(id);
const body = document.body;
const actorsEl = $('actors');
const eventsEl = $('events');
const slider = $('slider');
const buttons = ['first', 'back', 'play', 'forward', 'last'].map((id) => $(id));

/** Trace entries of the current run, each `{ entry, machine, edge }`, in seq order. */
let trace = [];
/** Panels by actor id. */
const panels = new Map();
/** Log rows, each with the seq it belongs at. */
let rows = [];
let position = 0;
let status = 'connecting';
let replayTimer = null;
let eventCount = 0;

function setStatus(next, text) {
  status = next;
  body.dataset.status = next;
  $('status').textContent = text;
  $('status').className = `status ${next}`;
  const replayable = next === 'done';
  for (const button of buttons) button.disabled = !replayable;
  slider.disabled = !replayable;
  $('run').disabled = next === 'running' || next === 'connecting' || next === 'closed';
}

function panelFor(actor, machine) {
  let panel = panels.get(actor);
  if (panel) return panel;
  const template = document.querySelector(`template[data-machine="${machine}"]`);
  panel = document.createElement('section');
  panel.className = 'actor';
  panel.dataset.actor = actor;
  panel.dataset.machine = machine;
  panel.dataset.currentState = '';
  const head = document.createElement('h2');
  head.title = 'click to fold or unfold the diagram';
  head.addEventListener('click', () => panel.classList.toggle('folded'));
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = actor;
  const kind = document.createElement('span');
  kind.className = 'machine';
  kind.textContent = machine;
  const state = document.createElement('span');
  state.className = 'state';
  const at = document.createElement('span');
  at.className = 'at';
  head.append(name, kind, state, at);
  const diagram = document.createElement('div');
  diagram.className = 'diagram';
  diagram.append(template.content.cloneNode(true));
  panel.append(head, diagram);
  const ordered = [...panels.keys(), actor].sort(actorOrder);
  const next = ordered[ordered.indexOf(actor) + 1];
  actorsEl.insertBefore(panel, next ? panels.get(next) : null);
  panels.set(actor, panel);
  return panel;
}

/** release first, then incidents by number. */
function actorOrder(a, b) {
  const rank = (id) => (id === 'release' ? -1 : Number(/\d+$/.exec(id)?.[0] ?? 1e9));
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Every state a state value sits in: `mitigate.running` is in `mitigate` too. */
function statesOf(value) {
  const parts = value.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

function render() {
  const upTo = trace.slice(0, position);
  const latest = upTo[upTo.length - 1];
  for (const [actor, panel] of panels) {
    const mine = upTo.filter((item) => item.entry.actor === actor);
    const visited = new Set();
    const taken = new Set();
    for (const item of mine) {
      for (const s of statesOf(item.entry.to)) visited.add(s);
      if (item.edge !== null) taken.add(String(item.edge));
    }
    const last = mine[mine.length - 1];
    const current = last ? last.entry.to : '';
    const currentSet = new Set(current ? statesOf(current) : []);
    panel.dataset.currentState = current;
    panel.classList.toggle('dormant', !last);
    const moved = Boolean(latest && last && latest === last);
    panel.classList.toggle('moved', moved);
    // Follow the actor that just moved, live and in the replay.
    if (moved && status !== 'connecting') panel.scrollIntoView({ block: 'nearest' });
    panel.querySelector('.state').textContent = current || 'not started yet';
    panel.querySelector('.at').textContent = last ? `minute ${last.entry.t}` : '';
    for (const g of panel.querySelectorAll('g[data-state]')) {
      g.classList.toggle('visited', visited.has(g.dataset.state));
      g.classList.toggle('current', currentSet.has(g.dataset.state));
    }
    const lastEdge = last && last.edge !== null ? String(last.edge) : null;
    for (const g of panel.querySelectorAll('g[data-edge]')) {
      g.classList.toggle('taken', taken.has(g.dataset.edge));
      g.classList.toggle('last', g.dataset.edge === lastEdge);
    }
  }
  for (const row of rows) {
    row.el.classList.toggle('future', row.seq > position);
    row.el.classList.toggle('now', row.seq === position && row.kind === 'trace');
  }
  const now = rows.find((row) => row.seq === position && row.kind === 'trace');
  if (now && status === 'done') now.el.scrollIntoView({ block: 'nearest' });
  else if (status === 'running') eventsEl.parentElement.scrollTop = eventsEl.parentElement.scrollHeight;
  body.dataset.position = String(position);
  body.dataset.steps = String(trace.length);
  slider.max = String(trace.length);
  slider.value = String(position);
  $('where').textContent = latest
    ? `step ${position} of ${trace.length} · minute ${latest.entry.t} · ${latest.entry.actor}: ${latest.entry.from ?? 'start'} → ${latest.entry.to}`
    : `step 0 of ${trace.length}${trace.length ? ' · before the first transition' : ''}`;
}

function logRow(kind, seq, t, actor, text, event) {
  const li = document.createElement('li');
  li.className = kind;
  const time = document.createElement('span');
  time.className = 't';
  time.textContent = t === null || t === undefined ? '–' : String(t);
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = actor;
  const what = document.createElement('span');
  what.className = 'what';
  what.textContent = text;
  li.append(time, who, what);
  if (event) li.title = event;
  if (kind === 'trace') {
    li.tabIndex = 0;
    li.addEventListener('click', () => status === 'done' && goTo(seq));
  }
  eventsEl.append(li);
  rows.push({ kind, seq, el: li });
}

function reset() {
  stopReplay();
  trace = [];
  rows = [];
  eventCount = 0;
  position = 0;
  panels.clear();
  actorsEl.replaceChildren();
  eventsEl.replaceChildren();
  $('gate').textContent = '';
  $('gate').className = 'gate';
  $('count').textContent = '';
}

function goTo(next) {
  position = Math.max(0, Math.min(trace.length, next));
  render();
}

function stopReplay() {
  if (replayTimer !== null) clearInterval(replayTimer);
  replayTimer = null;
  $('play').textContent = '▶ replay';
}

function toggleReplay() {
  if (replayTimer !== null) return stopReplay();
  if (position >= trace.length) goTo(0);
  $('play').textContent = '⏸ pause';
  const every = 1000 / (config.speed > 0 ? config.speed : 4);
  replayTimer = setInterval(() => {
    if (position >= trace.length) return stopReplay();
    goTo(position + 1);
  }, every);
}

const socket = new WebSocket(`ws://${location.host}/ws`);
socket.addEventListener('open', () => {
  // With autorun the server starts the shift itself; otherwise the Run button does.
  setStatus(
    'idle',
    config.autorun ? 'connected: starting the shift' : 'connected: press Run to start the shift',
  );
});
socket.addEventListener('close', () => {
  if (status !== 'done') setStatus('closed', 'disconnected from the inspector');
  else $('status').textContent = 'replay (server gone: reload to run again)';
  $('run').disabled = true;
});
socket.addEventListener('message', (message) => {
  const data = JSON.parse(message.data);
  switch (data.type) {
    case 'start':
      reset();
      setStatus('running', `running the shift (run ${data.run})`);
      render();
      break;
    case 'event':
      eventCount++;
      $('count').textContent = `${eventCount} events, ${trace.length} transitions`;
      logRow('event', data.after, data.t, data.actor, data.event, data.event);
      break;
    case 'trace': {
      trace.push({ entry: data.entry, machine: data.machine, edge: data.edge });
      panelFor(data.entry.actor, data.machine);
      const { from, to, event } = data.entry;
      logRow('trace', data.entry.seq, data.entry.t, data.entry.actor, `${from ?? 'start'} → ${to}`, event);
      $('count').textContent = `${eventCount} events, ${trace.length} transitions`;
      position = trace.length;
      render();
      break;
    }
    case 'done':
      setStatus(
        'done',
        `done: ${data.transitions} transitions · replay with ◀ ▶, the slider or the arrow keys`,
      );
      $('gate').textContent = `gate ${data.gate.passed}/${data.gate.total}`;
      $('gate').className = `gate ${data.gate.passed === data.gate.total ? 'pass' : 'fail'}`;
      position = trace.length;
      render();
      break;
    case 'error':
      setStatus('error', `the shift failed: ${data.message}`);
      break;
  }
});

$('run').addEventListener('click', () => socket.send(JSON.stringify({ type: 'run' })));
$('first').addEventListener('click', () => goTo(0));
$('back').addEventListener('click', () => goTo(position - 1));
$('forward').addEventListener('click', () => goTo(position + 1));
$('last').addEventListener('click', () => goTo(trace.length));
$('play').addEventListener('click', toggleReplay);
slider.addEventListener('input', () => goTo(Number(slider.value)));
$('show-events').addEventListener('change', (event) => {
  eventsEl.classList.toggle('transitions-only', !event.target.checked);
});
document.addEventListener('keydown', (event) => {
  if (status !== 'done' || event.target === slider) return;
  const moves = { ArrowLeft: position - 1, ArrowRight: position + 1, Home: 0, End: trace.length };
  if (event.key in moves) {
    event.preventDefault();
    stopReplay();
    goTo(moves[event.key]);
  } else if (event.key === ' ') {
    event.preventDefault();
    toggleReplay();
  }
});
