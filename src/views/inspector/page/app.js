// The inspector page: draws one panel per actor (release, INC-n) from its machine's statechart,
// follows the shift live over the WebSocket, then replays it. One render path serves both: the
// trace received so far and a position in it; live, the position follows the newest transition.
// The selected step shows what its event carried and the actor's context after it.

const config = JSON.parse(document.getElementById('config').textContent);
const $ = (id) => document.getElementById(id);
const body = document.body;
const actorsEl = $('actors');
const eventsEl = $('events');
const slider = $('slider');
const buttons = ['first', 'back', 'play', 'forward', 'last'].map((id) => $(id));

/** Trace entries of the current run, each `{ entry, machine, edge, payload, context }`, in seq order. */
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

function span(className, text = '') {
  const el = document.createElement('span');
  el.className = className;
  el.textContent = text;
  return el;
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
  const diagram = document.createElement('div');
  diagram.className = 'diagram';
  diagram.id = `diagram-${actor}`;
  diagram.append(template.content.cloneNode(true));
  // The header is a button: it takes focus, and Enter or Space folds the diagram.
  const head = document.createElement('h2');
  const fold = document.createElement('button');
  fold.type = 'button';
  fold.className = 'fold';
  fold.setAttribute('aria-expanded', 'true');
  fold.setAttribute('aria-controls', diagram.id);
  fold.title = 'fold or unfold the diagram';
  fold.append(span('name', actor), span('machine', machine), span('state'), span('at'));
  fold.addEventListener('click', () => {
    const folded = panel.classList.toggle('folded');
    fold.setAttribute('aria-expanded', String(!folded));
  });
  head.append(fold);
  panel.append(head, diagram);
  const ordered = [...panels.keys(), actor].sort(actorOrder);
  const next = ordered[ordered.indexOf(actor) + 1];
  actorsEl.insertBefore(panel, next ? panels.get(next) : null);
  panels.set(actor, panel);
  panel.zoom = window.attachZoom(diagram, actor);
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

function renderPanel(actor, panel, upTo, latest) {
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
  const changed = panel.dataset.currentState !== current;
  panel.dataset.currentState = current;
  panel.classList.toggle('dormant', !last);
  const moved = Boolean(latest && last && latest === last);
  panel.classList.toggle('moved', moved);
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
  // Follow the actor that just moved, live and in the replay; and, where a diagram shows only part
  // of itself (a narrow screen), keep each actor's state in view.
  if (moved && status !== 'connecting') panel.scrollIntoView({ block: 'nearest' });
  const node = current && panel.querySelector(`g.node[data-state="${CSS.escape(current)}"]`);
  if (changed && node && panel.zoom) panel.zoom.show(node);
}

/** What scrolls the events: the list itself on a narrow screen, the side panel on a wide one. */
const logScroller = () => (eventsEl.scrollHeight > eventsEl.clientHeight ? eventsEl : $('log'));

/** Scrolls the events (never the page) so that `row` is in view. */
function scrollLog(row) {
  const list = logScroller();
  const top = row.offsetTop - list.offsetTop;
  if (top < list.scrollTop || top + row.offsetHeight > list.scrollTop + list.clientHeight)
    list.scrollTop = top - list.clientHeight / 2;
}

const pretty = (value) => (value === null || value === undefined ? '–' : JSON.stringify(value, null, 2));

function renderStep(latest) {
  $('step-summary').textContent = latest
    ? `Step ${position} of ${trace.length}, minute ${latest.entry.t}: ${latest.entry.actor} went ${latest.entry.from ?? '(start)'} → ${latest.entry.to} on ${latest.entry.event}.`
    : 'No step selected: the actors have not started.';
  $('step-payload').textContent = latest ? pretty(latest.payload) : '–';
  $('step-context').textContent = latest ? pretty(latest.context) : '–';
}

function render() {
  const upTo = trace.slice(0, position);
  const latest = upTo[upTo.length - 1];
  for (const [actor, panel] of panels) renderPanel(actor, panel, upTo, latest);
  for (const row of rows) {
    row.el.classList.toggle('future', row.seq > position);
    const now = row.seq === position && row.kind === 'trace';
    row.el.classList.toggle('now', now);
    if (row.kind === 'trace') row.el.setAttribute('aria-current', now ? 'step' : 'false');
  }
  const now = rows.find((row) => row.seq === position && row.kind === 'trace');
  if (now && status === 'done') scrollLog(now.el);
  else if (status === 'running') logScroller().scrollTop = logScroller().scrollHeight;
  body.dataset.position = String(position);
  body.dataset.steps = String(trace.length);
  slider.max = String(trace.length);
  slider.value = String(position);
  $('where').textContent = latest
    ? `step ${position} of ${trace.length} · minute ${latest.entry.t} · ${latest.entry.actor}: ${latest.entry.from ?? 'start'} → ${latest.entry.to}`
    : `step 0 of ${trace.length}${trace.length ? ' · before the first transition' : ''}`;
  renderStep(latest);
}

function logRow(kind, seq, t, actor, text, event) {
  const li = document.createElement('li');
  li.className = kind;
  li.append(
    span('t', t === null || t === undefined ? '–' : String(t)),
    span('who', actor),
    span('what', text),
  );
  if (event) li.title = event;
  if (kind === 'trace') {
    li.tabIndex = 0;
    li.setAttribute('role', 'button');
    li.dataset.seq = String(seq);
    li.setAttribute('aria-label', `select step ${seq}: minute ${t}, ${actor} ${text} on ${event}`);
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
  $('failures').hidden = true;
  $('failures').replaceChildren();
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

/** The gate's score in the header and, when checks failed, which ones and why. */
function showGate(gate) {
  if (gate === null) {
    // A live run (runbook serve): a gate judges rehearsals only.
    $('gate').textContent = 'live run: no gate';
    $('gate').className = 'gate';
    return;
  }
  $('gate').textContent = `gate ${gate.passed}/${gate.total}`;
  $('gate').className = `gate ${gate.passed === gate.total ? 'pass' : 'fail'}`;
  const box = $('failures');
  box.replaceChildren();
  box.hidden = gate.failed.length === 0;
  if (gate.failed.length === 0) return;
  const title = document.createElement('strong');
  title.textContent = `Failed gate check${gate.failed.length > 1 ? 's' : ''}: `;
  const list = document.createElement('ul');
  for (const check of gate.failed) {
    const item = document.createElement('li');
    item.append(span('check', check.id), ` (${check.owner}): ${check.detail}`);
    list.append(item);
  }
  box.append(title, list);
}

// The page's own query (a ?token= when the server asks for one) goes to its socket too.
const socket = new WebSocket(`ws://${location.host}/ws${location.search}`);
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
      trace.push({
        entry: data.entry,
        machine: data.machine,
        edge: data.edge,
        payload: data.payload,
        context: data.context,
      });
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
      showGate(data.gate);
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

/** A transition row selects its step on a click, and on Enter or Space when it has focus. */
function selectRow(event) {
  const row = event.target.closest('li.trace');
  if (!row || status !== 'done') return;
  stopReplay();
  goTo(Number(row.dataset.seq));
}
eventsEl.addEventListener('click', selectRow);
eventsEl.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' && event.key !== ' ') return;
  event.preventDefault();
  event.stopPropagation();
  selectRow(event);
});

/** Elements that use Space (and arrows) themselves: the page's shortcuts leave them alone. */
const ownsKeys = (el) =>
  el instanceof Element &&
  el.closest('button, input, select, textarea, a[href], summary, [tabindex]') !== null;

document.addEventListener('keydown', (event) => {
  if (status !== 'done' || event.target === slider || event.altKey || event.ctrlKey || event.metaKey) return;
  const moves = { ArrowLeft: position - 1, ArrowRight: position + 1, Home: 0, End: trace.length };
  if (event.key in moves) {
    event.preventDefault();
    stopReplay();
    goTo(moves[event.key]);
  } else if (event.key === ' ' && !ownsKeys(event.target)) {
    event.preventDefault();
    toggleReplay();
  }
});
