import { getAdjacencyMap } from '@xstate/graph';
import { type AnyEventObject, type AnyMachineSnapshot, type AnyStateNode, fromPromise } from 'xstate';
import type { PlayInput, PlayOps, PlayOutput } from '../../machines/play.js';
import { compileRunbook, type RunbookContext, type RunbookInput } from '../../machines/runbook.js';
import type { RunbookSpec } from '../../machines/runbook-spec.js';
import { type Chart, type ChartTransition, chartOf } from './export.js';

/**
 * `runbook lint`: properties proven over a runbook's compiled machine, not over its YAML.
 *
 * Over the statechart (every state node, every transition; a guard may go either way):
 *   wait-without-exit  every state that waits (no eventless way out) has a way out that needs nobody:
 *                      a timeout, a play's report, an SLI sample. Approvals wait for people and are
 *                      proven by their timeout; a pause waits for an operator by definition.
 *   never-ends         from every state the runbook can reach, it can reach resolved or escalated
 *                      (aborted counts as escalated) without anyone acting.
 *   unreachable-step   every step can be reached from the start without an operator's retry or skip.
 * Over the states a run can be in (@xstate/graph, guards evaluated, plays answering every way):
 *   key-reused         no play runs twice under one idempotency key on any path.
 *
 * A violation comes with the shortest path that shows it and, where a scenario can steer the run
 * there (approval answers), the overlay of a scenario that reproduces it in a drill.
 */

export type Rule = 'wait-without-exit' | 'never-ends' | 'unreachable-step' | 'key-reused' | 'not-explored';

export interface Violation {
  rule: Rule;
  state: string;
  message: string;
  /** The shortest path from the start: `state -event-> state ...`. */
  path: string[];
  /** A scenario overlay that steers a drill along the path (approval answers), when one can. */
  overlay: string | null;
}

export interface LintReport {
  runbook: string;
  states: number;
  transitions: number;
  explored: number;
  violations: Violation[];
}

const OPERATOR = new Set(['PAUSE', 'RESUME', 'SKIP', 'ABORT', 'RETRY_FROM']);
const ANSWERS = new Set(['APPROVE', 'REJECT']);
const FINALS = new Set(['resolved', 'escalated', 'aborted']);
/** Concrete states explored at most: beyond, the key property is reported as not proven. */
const EXPLORE_LIMIT = 5_000;

interface Edge {
  to: string;
  label: string;
  event: string;
  /** Needs nobody: a timeout, a report, a sample, an eventless step. */
  world: boolean;
}

/** The leaf a target enters: a compound state's initial child, down to an atomic or final state. */
function leafOf(chart: Chart, id: string): string {
  let state = chart.states.find((s) => s.id === id);
  while (state && state.type === 'compound' && state.initial) {
    const initial: string = state.initial;
    state = chart.states.find((s) => s.id === initial);
  }
  return state?.id ?? id;
}

const ancestry = (id: string) => id.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'));

/** Each leaf's ways out, its ancestors' transitions included. */
function edgesOf(chart: Chart): Map<string, Edge[]> {
  const leaves = chart.states.filter((s) => s.type === 'atomic' || s.type === 'final');
  const bySource = new Map<string, ChartTransition[]>();
  for (const t of chart.transitions) bySource.set(t.source, [...(bySource.get(t.source) ?? []), t]);
  const edges = new Map<string, Edge[]>();
  for (const leaf of leaves) {
    const out: Edge[] = [];
    if (leaf.type !== 'final') {
      for (const source of ancestry(leaf.id)) {
        for (const t of bySource.get(source) ?? []) {
          for (const target of t.targets) {
            const event = t.event;
            out.push({
              to: leafOf(chart, target),
              label: t.label,
              event,
              world: !OPERATOR.has(event) && !ANSWERS.has(event),
            });
          }
        }
      }
    }
    edges.set(leaf.id, out);
  }
  return edges;
}

/** Shortest paths from the start over the edges `use` allows: each reached leaf with how. */
function shortest(start: string, edges: Map<string, Edge[]>, use: (e: Edge) => boolean) {
  const how = new Map<string, { from: string; edge: Edge } | null>([[start, null]]);
  const queue = [start];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const edge of edges.get(next) ?? []) {
      if (!use(edge) || how.has(edge.to)) continue;
      how.set(edge.to, { from: next, edge });
      queue.push(edge.to);
    }
  }
  return how;
}

function pathTo(how: ReturnType<typeof shortest>, leaf: string): Edge[] {
  const steps: Edge[] = [];
  for (let at = how.get(leaf); at; at = how.get(at.from)) steps.unshift(at.edge);
  return steps;
}

const render = (start: string, steps: Edge[]) => [start, ...steps.map((e) => `-${e.label}-> ${e.to}`)];

/** The approval answers a path takes, as `oncall.approvals` of a scenario. */
function overlayOf(steps: Edge[], through: string[]): string | null {
  const answers = new Map<string, string>();
  steps.forEach((edge, i) => {
    const gate = through[i]?.split('.')[0];
    if (!gate) return;
    if (edge.event === 'APPROVE') answers.set(gate, 'approve');
    else if (edge.event === 'REJECT') answers.set(gate, 'reject');
    else if (edge.event.startsWith('xstate.after.') && through[i]?.endsWith('.waiting'))
      answers.set(gate, 'never');
  });
  if (answers.size === 0) return null;
  const lines = [...answers].map(([gate, answer]) => `    ${gate}: { answer: ${answer} }`);
  return `oncall:\n  approvals:\n${lines.join('\n')}\n`;
}

export function lintRunbook(spec: RunbookSpec): LintReport {
  const machine = compileRunbook(spec);
  const chart = chartOf(machine);
  const edges = edgesOf(chart);
  const start = leafOf(chart, chart.initial);
  const violations: Violation[] = [];
  // Reached as a run goes by itself or as approvers answer; an operator's retry or skip is not counted.
  const reach = shortest(start, edges, (e) => e.world || ANSWERS.has(e.event));
  const report = (rule: Rule, state: string, message: string) => {
    const steps = pathTo(reach, state);
    const through = [start, ...steps.map((e) => e.to)];
    violations.push({ rule, state, message, path: render(start, steps), overlay: overlayOf(steps, through) });
  };

  for (const [leaf, out] of edges) {
    if (!reach.has(leaf) || FINALS.has(leaf)) continue;
    const held = leaf.endsWith('.held');
    if (held) continue; // entered only by PAUSE; RESUME and ABORT are its exits
    const waits = !out.some((e) => e.event === '');
    if (waits && !out.some((e) => e.world && e.to !== leaf))
      report(
        'wait-without-exit',
        leaf,
        `${leaf} waits and nothing but a person can move it on (no timeout, no report)`,
      );
  }
  // Backwards from the ends over the ways that need nobody: what cannot get there can wedge.
  const ends = new Set<string>();
  const into = new Map<string, string[]>();
  for (const [leaf, out] of edges)
    for (const e of out) if (e.world) into.set(e.to, [...(into.get(e.to) ?? []), leaf]);
  const queue = [...FINALS].filter((f) => edges.has(f));
  for (const f of queue) ends.add(f);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const from of into.get(next) ?? []) {
      if (ends.has(from)) continue;
      ends.add(from);
      queue.push(from);
    }
  }
  for (const leaf of edges.keys()) {
    if (!reach.has(leaf) || ends.has(leaf) || leaf.endsWith('.held')) continue;
    report('never-ends', leaf, `from ${leaf} the runbook can never reach resolved or escalated by itself`);
  }
  for (const step of spec.steps) {
    if ([...reach.keys()].some((leaf) => leaf.split('.')[0] === step.name)) continue;
    violations.push({
      rule: 'unreachable-step',
      state: step.name,
      message: `step ${step.name} can never run: no step leads to it`,
      path: [],
      overlay: null,
    });
  }
  const explored = exploreKeys(spec, violations);
  return {
    runbook: spec.name,
    states: chart.states.length,
    transitions: chart.transitions.length,
    explored,
    violations,
  };
}

/** The inputs a run may start with: one for each way the steps' `when:` on the incident can go. */
export function startingInputs(spec: RunbookSpec): RunbookInput[] {
  const severities = new Set<string>();
  const hours = new Set<number>([0]);
  const labels: Record<string, string>[] = [{}];
  for (const step of spec.steps) {
    for (const s of step.when?.severity ?? []) severities.add(s);
    if (step.when?.hours) hours.add(step.when.hours.from);
    if (step.when?.labels) labels.push(step.when.labels);
  }
  const sevs = severities.size === 0 ? ['sev1'] : [...new Set([...severities, 'sev4'])];
  const ops = { now: () => 0, notify: () => {} };
  return sevs.flatMap((severity) =>
    [...hours].flatMap((hour) =>
      labels.map((l) => ({
        incident: { id: 'INC-1', service: 'lint', type: spec.name, severity: severity as 'sev1', labels: l },
        objective: 0.99,
        settleMinutes: 5,
        epochMinute: hour * 60,
        sli: 0.5,
        ops,
        playOps: {} as PlayOps,
      })),
    ),
  );
}

/** Every event a run in this state could get by itself or from its approvers. */
export function eventsFor(
  spec: RunbookSpec,
  snapshot: AnyMachineSnapshot,
  operators = false,
): AnyEventObject[] {
  const events: AnyEventObject[] = [];
  const nodes = (snapshot as unknown as { _nodes: AnyStateNode[] })._nodes;
  for (const node of nodes)
    for (const type of node.transitions.keys()) if (type.startsWith('xstate.after.')) events.push({ type });
  const outputs = new Map<string, Record<string, string>[]>();
  for (const step of spec.steps) {
    const o = step.when?.output;
    if (!o) continue;
    const variants = outputs.get(o.step) ?? [{}];
    if (o.equals !== undefined) variants.push({ [o.key]: o.equals });
    if (o.notEquals !== undefined) variants.push({ [o.key]: o.notEquals });
    outputs.set(o.step, variants);
  }
  const context = snapshot.context as RunbookContext;
  for (const id of Object.keys(snapshot.children)) {
    // Only a play still running reports (a real one reports once, and its actor is then gone).
    const [, step, nth] = id.split(':') as [string, string, string | undefined];
    const spec_ = spec.steps.find((s) => s.name === step);
    const item = nth !== undefined && spec_?.kind === 'parallel' ? spec_.items[Number(nth)] : undefined;
    if (!context.plays.some((p) => p.name === step && p.item === item && p.outcome === 'running')) continue;
    for (const out of outputs.get(step) ?? [{}])
      events.push({
        type: `xstate.done.actor.${id}`,
        actorId: id,
        output: { ok: true, detail: 'ok', outputs: out },
      });
    events.push({ type: `xstate.done.actor.${id}`, actorId: id, output: { ok: false, detail: 'failed' } });
    events.push({ type: `xstate.error.actor.${id}`, actorId: id, error: new Error('threw') });
  }
  const waiting = context.waiting;
  if (waiting?.for === 'approval') {
    const gate = spec.steps.find((s) => s.name === waiting.step);
    if (gate?.kind === 'approve') {
      const by = gate.approvers.find(
        (who) => !context.answers.some((a) => a.by === who && a.step === gate.name),
      );
      if (by) events.push({ type: 'APPROVE', step: gate.name, by }, { type: 'REJECT', step: gate.name, by });
    }
  }
  // The SLI matters where the runbook reads it: while it settles, and in steps' `when: { sli }`.
  const readsSli = spec.steps.some((s) => s.when?.sli);
  if (readsSli || snapshot.value === 'settle') {
    const thresholds = spec.steps.flatMap((s) => [s.when?.sli?.below, s.when?.sli?.atLeast]);
    const values = new Set([0.995, 0.6, ...thresholds.filter((t): t is number => t !== undefined)]);
    for (const sli of values) events.push({ type: 'SLI_SAMPLE', sli });
  }
  if (operators) {
    // An operator's controls, one per path (and the resume a pause needs), so the states stay finite.
    const by = 'operator';
    if (context.paused) events.push({ type: 'RESUME', by });
    else if (!context.operations.some((o) => o.by === by)) {
      events.push({ type: 'PAUSE', by }, { type: 'ABORT', by });
      const at = typeof snapshot.value === 'string' ? snapshot.value : Object.keys(snapshot.value)[0];
      if (spec.steps.some((s) => s.name === at)) events.push({ type: 'SKIP', step: at, by });
      for (const s of spec.steps) events.push({ type: 'RETRY_FROM', step: s.name, by });
    }
  }
  return events;
}

/** A state as the exploration tells states apart: its value and context, without functions. */
export const serialize = (snapshot: AnyMachineSnapshot) => {
  const { input: _input, ...context } = snapshot.context as RunbookContext;
  return JSON.stringify([snapshot.value, context]);
};

/** Explores the states a run can be in and checks that no path starts a play under a key used before. */
function exploreKeys(spec: RunbookSpec, violations: Violation[]): number {
  // Plays never run here: the exploration sends their reports itself.
  const plays = spec.steps.flatMap((s) => (s.kind === 'play' || s.kind === 'parallel' ? [s.play] : []));
  const idle = fromPromise<PlayOutput, PlayInput>(() => new Promise(() => {}));
  const machine = compileRunbook(spec).provide({
    actors: Object.fromEntries(plays.map((play) => [play, idle])) as Record<'play', typeof idle>,
  });
  let explored = 0;
  for (const input of startingInputs(spec)) {
    let map: ReturnType<typeof getAdjacencyMap>;
    try {
      map = getAdjacencyMap(machine, {
        input,
        events: (snapshot: unknown) => eventsFor(spec, snapshot as AnyMachineSnapshot),
        serializeState: (snapshot: unknown) => serialize(snapshot as AnyMachineSnapshot),
        limit: EXPLORE_LIMIT,
      } as never);
    } catch (error) {
      violations.push({
        rule: 'not-explored',
        state: '',
        message: `the key property is not proven: ${(error as Error).message}`,
        path: [],
        overlay: null,
      });
      return explored;
    }
    const entries = Object.values(map) as { state: AnyMachineSnapshot }[];
    explored += entries.length;
    for (const { state } of entries) {
      const keys = (state.context as RunbookContext).plays.map((p) => p.key);
      const twice = keys.find((key, i) => keys.indexOf(key) !== i);
      if (twice && !violations.some((v) => v.rule === 'key-reused')) {
        violations.push({
          rule: 'key-reused',
          state: JSON.stringify(state.value),
          message: `a play ran twice under the key ${twice}`,
          path: [],
          overlay: null,
        });
      }
    }
  }
  return explored;
}
