import type { Viz } from '@viz-js/viz';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { incidentMachine } from '../../machines/incident.js';
import { releaseMachine } from '../../machines/release.js';
import { FORMATS, type Format, MACHINE_NAMES, type MachineName } from './catalog.js';

/**
 * The statecharts as data, read from the machine definitions themselves (never redrawn by hand):
 * a flat chart model that the exports serialise (mermaid, dot, json) and that Graphviz, compiled to
 * WebAssembly, lays out as SVG. State ids are the dotted paths the trace uses (`mitigate.running`),
 * so a trace entry finds its state and its transition in the drawing.
 */

export { FORMATS, type Format, MACHINE_NAMES, type MachineName };

export const MACHINES = {
  incident: incidentMachine,
  release: releaseMachine,
} as const satisfies Record<MachineName, AnyStateMachine>;

export interface ChartState {
  /** The dotted path from the root, as in the trace: `mitigate.running`. */
  id: string;
  key: string;
  parent: string | null;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** For a compound state: the child entered first. */
  initial: string | null;
  entry: string[];
  exit: string[];
  /** Invoked actors by their logic's name. */
  invoke: string[];
  children: string[];
}

export interface ChartTransition {
  index: number;
  source: string;
  /** Empty for a targetless transition (it runs actions and stays). */
  targets: string[];
  /** The event type, '' for an eventless (always) transition. */
  event: string;
  kind: 'event' | 'always' | 'after' | 'done' | 'error';
  /** What the drawings print: `ACK`, `after settleWindow`, `done play`, with the guard in brackets. */
  label: string;
  guard: string | null;
  actions: string[];
  reenter: boolean;
}

export interface Chart {
  machine: string;
  initial: string;
  states: ChartState[];
  transitions: ChartTransition[];
}

/** An action's or guard's name: referenced by name (string or `{ type }`), or an inline function. */
function nameOf(x: unknown): string {
  if (typeof x === 'string') return x;
  // Named references are `{ type }`; XState's own actions are functions that carry a `type` too.
  const type = (x as { type?: unknown } | null)?.type;
  if (typeof type === 'string') return type;
  if (typeof x === 'function') return x.name || 'inline';
  return 'inline';
}

/** XState implements `after` with raise/cancel actions of its own: they are not the machine's. */
const ownActions = (actions: readonly unknown[]) =>
  actions.map(nameOf).filter((name) => !name.startsWith('xstate.'));

const pathOf = (node: AnyStateNode) => node.path.join('.');

function describeEvent(eventType: string, source: AnyStateNode): Pick<ChartTransition, 'kind' | 'label'> {
  if (eventType === '') return { kind: 'always', label: 'always' };
  const after = 'xstate.after.';
  if (eventType.startsWith(after)) {
    const delay = eventType.slice(after.length, eventType.length - source.id.length - 1);
    return { kind: 'after', label: `after ${delay}` };
  }
  const done = /^xstate\.done\.(?:actor|state)\.(.+)$/.exec(eventType);
  if (done) return { kind: 'done', label: `done ${done[1]}` };
  const error = /^xstate\.error\.actor\.(.+)$/.exec(eventType);
  if (error) return { kind: 'error', label: `error ${error[1]}` };
  return { kind: 'event', label: eventType };
}

export function chartOf(machine: AnyStateMachine): Chart {
  const states: ChartState[] = [];
  const transitions: ChartTransition[] = [];

  const visit = (node: AnyStateNode, parent: string | null) => {
    const id = pathOf(node);
    const children = Object.values(node.states) as AnyStateNode[];
    states.push({
      id,
      key: node.key,
      parent,
      type: node.type,
      initial: node.initial?.target[0] ? pathOf(node.initial.target[0]) : null,
      entry: ownActions(node.entry),
      exit: ownActions(node.exit),
      invoke: node.invoke.map((i) => nameOf(i.src)),
      children: children.map(pathOf),
    });
    const own = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
    for (const t of own) {
      const guard = t.guard === undefined ? null : nameOf(t.guard);
      const described = describeEvent(t.eventType, node);
      transitions.push({
        index: transitions.length,
        source: id,
        targets: (t.target ?? []).map(pathOf),
        event: t.eventType,
        kind: described.kind,
        label: guard ? `${described.label} [${guard}]` : described.label,
        guard,
        actions: ownActions(t.actions),
        reenter: t.reenter,
      });
    }
    for (const child of children) visit(child, id);
  };

  const root = machine.root;
  for (const child of Object.values(root.states) as AnyStateNode[]) visit(child, null);
  const initial = root.initial?.target[0];
  return { machine: machine.id, initial: initial ? pathOf(initial) : '', states, transitions };
}

const charts = new Map<MachineName, Chart>();
export function chart(name: MachineName): Chart {
  let found = charts.get(name);
  if (!found) {
    found = chartOf(MACHINES[name]);
    charts.set(name, found);
  }
  return found;
}

/** `a` is `b` or one of its ancestors. */
export const contains = (a: string, b: string) => b === a || b.startsWith(`${a}.`);

/** Every state a state value sits in: `mitigate.running` is in `mitigate` too. */
export function statesOf(value: string): string[] {
  const parts = value.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

/**
 * The transition of the chart that a trace entry took: its source contains `from`, a target
 * contains `to`; the entry's own event wins over an eventless step (the trace names the event that
 * started the macrostep on every microstep of it).
 */
export function transitionFor(
  c: Chart,
  entry: { from: string | null; event: string; to: string },
): number | null {
  const { from, to } = entry;
  if (from === null) return null;
  const candidates = c.transitions.filter(
    (t) => contains(t.source, from) && t.targets.some((target) => contains(target, to)),
  );
  const deepest = (list: ChartTransition[]) =>
    [...list].sort((a, b) => b.source.length - a.source.length)[0]?.index ?? null;
  const byEvent = candidates.filter((t) => t.event === entry.event);
  if (byEvent.length > 0) return deepest(byEvent);
  const eventless = candidates.filter((t) => t.kind !== 'event');
  return deepest(eventless.length > 0 ? eventless : candidates);
}

// ---------------------------------------------------------------------------------------- json

interface JsonState {
  id: string;
  type: ChartState['type'];
  initial?: string;
  entry: string[];
  exit: string[];
  invoke: string[];
  on: Omit<ChartTransition, 'source' | 'label'>[];
  states: JsonState[];
}

/** The chart as nested JSON: compound states hold their children, each state its transitions. */
export function toJson(c: Chart): string {
  const byParent = (parent: string | null): JsonState[] =>
    c.states
      .filter((s) => s.parent === parent)
      .map((s) => ({
        id: s.id,
        type: s.type,
        ...(s.initial ? { initial: s.initial } : {}),
        entry: s.entry,
        exit: s.exit,
        invoke: s.invoke,
        on: c.transitions
          .filter((t) => t.source === s.id)
          .map(({ source: _source, label: _label, ...t }) => t),
        states: byParent(s.id),
      }));
  return `${JSON.stringify({ machine: c.machine, initial: c.initial, states: byParent(null) }, null, 2)}\n`;
}

// ------------------------------------------------------------------------------------- mermaid

const mermaidId = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');
const mermaidText = (text: string) => text.replace(/[:;#\n]/g, ' ');

/** Lines that describe what a state does (shown inside it). */
function activities(s: ChartState): string[] {
  return [
    ...s.entry.map((a) => `entry / ${a}`),
    ...s.exit.map((a) => `exit / ${a}`),
    ...s.invoke.map((a) => `invoke ${a}`),
  ];
}

/** The parent both ends of a transition share: where mermaid and dot must declare it. */
function commonParent(c: Chart, t: ChartTransition): string | null {
  const parentOf = (id: string) => c.states.find((s) => s.id === id)?.parent ?? null;
  let scope = parentOf(t.source);
  const targets = t.targets;
  while (scope !== null && !targets.every((x) => contains(scope as string, x))) scope = parentOf(scope);
  return scope;
}

export function toMermaid(c: Chart): string {
  const out = ['stateDiagram-v2'];
  const drawn = c.transitions.filter((t) => t.targets.length > 0);
  const block = (parent: string | null, indent: string, initial: string) => {
    out.push(`${indent}[*] --> ${mermaidId(initial)}`);
    for (const s of c.states.filter((x) => x.parent === parent)) {
      if (s.children.length > 0) {
        out.push(`${indent}state "${mermaidText(s.key)}" as ${mermaidId(s.id)} {`);
        block(s.id, `${indent}  `, s.initial ?? s.children[0] ?? '');
        out.push(`${indent}}`);
      } else {
        out.push(`${indent}state "${mermaidText(s.key)}" as ${mermaidId(s.id)}`);
      }
      for (const line of activities(s)) out.push(`${indent}${mermaidId(s.id)} : ${mermaidText(line)}`);
      if (s.type === 'final') out.push(`${indent}${mermaidId(s.id)} --> [*]`);
    }
    for (const t of drawn.filter((x) => commonParent(c, x) === parent)) {
      for (const target of t.targets) {
        out.push(`${indent}${mermaidId(t.source)} --> ${mermaidId(target)} : ${mermaidText(t.label)}`);
      }
    }
  };
  block(null, '  ', c.initial);
  return `${out.join('\n')}\n`;
}

// ----------------------------------------------------------------------------------------- dot

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const FONT = 'Helvetica,Arial,sans-serif';

/** The atomic state a drawing enters or leaves a compound state by (dot draws edges between nodes). */
function anchorOf(c: Chart, id: string): string {
  const s = c.states.find((x) => x.id === id);
  if (!s || s.children.length === 0) return id;
  return anchorOf(c, s.initial ?? s.children[0] ?? id);
}

function nodeLabel(s: ChartState): string {
  const lines = activities(s);
  if (lines.length === 0) return quote(s.key);
  const small = lines.map((l) => `<br/><font point-size="10">${html(l)}</font>`).join('');
  return `<<b>${html(s.key)}</b>${small}>`;
}

/**
 * An edge label with a few points of margin: dot sets the labels of parallel edges side by side,
 * and without one they read as one ("done fix error fix").
 */
const edgeLabel = (text: string) =>
  `<<table border="0" cellborder="0" cellpadding="3" cellspacing="0"><tr><td>${html(text)}</td></tr></table>>`;

export function toDot(c: Chart): string {
  const out = [
    `digraph ${quote(c.machine)} {`,
    `  graph [rankdir=TB, compound=true, forcelabels=true, fontname=${quote(FONT)}, fontsize=12, nodesep=0.5, ranksep=0.45, bgcolor="transparent"];`,
    `  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#64748b", fontname=${quote(FONT)}, fontsize=12, margin="0.14,0.05", height=0.36];`,
    `  edge [fontname=${quote(FONT)}, fontsize=11, color="#64748b", fontcolor="#334155", arrowsize=0.7];`,
  ];
  const initialNode = (scope: string | null) => quote(`${scope ?? ''}#initial`);
  const block = (parent: string | null, indent: string, initial: string) => {
    out.push(
      `${indent}${initialNode(parent)} [shape=point, width=0.12, color="#334155", fillcolor="#334155", label="", class="initial"];`,
      `${indent}${initialNode(parent)} -> ${quote(anchorOf(c, initial))} [class="initial"${initial !== anchorOf(c, initial) ? `, lhead=${quote(`cluster_${initial}`)}` : ''}];`,
    );
    for (const s of c.states.filter((x) => x.parent === parent)) {
      if (s.children.length > 0) {
        out.push(
          `${indent}subgraph ${quote(`cluster_${s.id}`)} {`,
          `${indent}  graph [id=${quote(`s:${s.id}`)}, class="state", label=<<b>${html(s.key)}</b>>, labeljust="l", style="rounded", color="#64748b", fontsize=12];`,
        );
        block(s.id, `${indent}  `, s.initial ?? s.children[0] ?? '');
        out.push(`${indent}}`);
      } else {
        const final = s.type === 'final' ? ', peripheries=2' : '';
        out.push(
          `${indent}${quote(s.id)} [id=${quote(`s:${s.id}`)}, class="state", label=${nodeLabel(s)}${final}];`,
        );
      }
    }
  };
  block(null, '  ', c.initial);
  for (const t of c.transitions) {
    for (const target of t.targets) {
      const tail = anchorOf(c, t.source);
      const head = anchorOf(c, target);
      // Clip at the cluster's border only when one end is not inside the other.
      const ltail = tail !== t.source && !contains(t.source, target);
      const lhead = head !== target && !contains(target, t.source);
      // dot places a label at the middle of the edge before clipping it, which can put it inside the
      // cluster, far from the edge drawn; an xlabel is placed next to the edge as drawn.
      const attrs = [
        `id=${quote(`e:${t.index}`)}`,
        'class="transition"',
        `${ltail || lhead ? 'xlabel' : 'label'}=${edgeLabel(t.label)}`,
      ];
      if (ltail) attrs.push(`ltail=${quote(`cluster_${t.source}`)}`);
      if (lhead) attrs.push(`lhead=${quote(`cluster_${target}`)}`);
      out.push(`  ${quote(tail)} -> ${quote(head)} [${attrs.join(', ')}];`);
    }
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

// ----------------------------------------------------------------------------------------- svg

let viz: Promise<Viz> | undefined;

/**
 * Lays the chart out with Graphviz (WebAssembly, offline) and returns standalone SVG whose state
 * groups carry `data-state` and transition groups `data-edge`, so pages can mark them; Graphviz's
 * own element ids are dropped, so that one page can hold many copies of a diagram.
 */
export async function toSvg(c: Chart): Promise<string> {
  // Graphviz is loaded on first use: only the SVG exports, the inspector and the report draw.
  viz ??= import('@viz-js/viz').then(({ instance }) => instance());
  const raw = (await viz).renderString(toDot(c), { format: 'svg' });
  return raw
    .replace(/<\?xml[^>]*>\s*/g, '')
    .replace(/<!DOCTYPE[^>]*>\s*/g, '')
    .replace(/<!--[\s\S]*?-->\s*/g, '')
    .replace(/ id="s:([^"]*)"/g, ' data-state="$1"')
    .replace(/ id="e:(\d+)"/g, ' data-edge="$1"')
    .replace(/ id="(?:graph|node|edge|clust|a_node|a_edge|a_clust)\d+"/g, '')
    .replace(/<svg /, `<svg data-machine="${html(c.machine)}" class="statechart" `);
}

/** One machine in one format, as the `export` command prints it. */
export async function exportMachine(name: MachineName, format: Format): Promise<string> {
  return exportChart(chart(name), format);
}

/** Any chart in one format (a compiled runbook's too). */
export async function exportChart(c: Chart, format: Format): Promise<string> {
  switch (format) {
    case 'mermaid':
      return toMermaid(c);
    case 'dot':
      return toDot(c);
    case 'json':
      return toJson(c);
    case 'svg':
      return toSvg(c);
  }
}

// ------------------------------------------------------------------------------- trace marks

export interface Marks {
  /** States the actor entered (with their ancestors). */
  visited: Set<string>;
  /** Transitions it took, by index, with how often. */
  taken: Map<number, number>;
  /** Where it ended. */
  current: string | null;
}

/** What one actor did in the chart, read from its trace entries. */
export function marksOf(
  c: Chart,
  entries: readonly { from: string | null; event: string; to: string }[],
): Marks {
  const marks: Marks = { visited: new Set(), taken: new Map(), current: null };
  for (const entry of entries) {
    for (const s of statesOf(entry.to)) marks.visited.add(s);
    const index = transitionFor(c, entry);
    if (index !== null) marks.taken.set(index, (marks.taken.get(index) ?? 0) + 1);
    marks.current = entry.to;
  }
  return marks;
}

/** Adds the classes `visited`, `current` (the state and its ancestors) and `taken` to a diagram from toSvg. */
export function markSvg(svg: string, marks: Marks): string {
  const current = new Set(marks.current === null ? [] : statesOf(marks.current));
  return svg
    .replace(/<g data-state="([^"]*)" class="([^"]*)"/g, (_, state: string, cls: string) => {
      const extra = [marks.visited.has(state) && 'visited', current.has(state) && 'current'].filter(Boolean);
      return `<g data-state="${state}" class="${[cls, ...extra].join(' ')}"`;
    })
    .replace(/<g data-edge="(\d+)" class="([^"]*)"/g, (_, edge: string, cls: string) => {
      const count = marks.taken.get(Number(edge));
      return `<g data-edge="${edge}" class="${cls}${count ? ' taken' : ''}"${count ? ` data-taken="${count}"` : ''}`;
    });
}
