import { getShortestPaths } from '@xstate/graph';
import {
  __unsafe_getAllOwnEventDescriptors,
  type AnyActor,
  type AnyActorLogic,
  type AnyEventObject,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type AnyStateNode,
  type AnyTransitionDefinition,
  createActor,
  fromPromise,
  getInitialSnapshot,
  getNextSnapshot,
  type InspectionEvent,
  SimulatedClock,
} from 'xstate';
import {
  type IncidentContext,
  type IncidentInput,
  incidentMachine,
  type LearnOutput,
  type ShipOutput,
} from '../../machines/incident.js';
import type { PlayOps, PlayOutput, RunbookStep } from '../../machines/play.js';
import { type ReleaseContext, type ReleaseInput, releaseMachine } from '../../machines/release.js';
import { stateName } from '../engine/trace.js';
import { type CanaryReport, DEFAULT_CANARY, judge, scoreOf } from '../toolkit/canary.js';
import { type Burn, DEFAULT_POLICY, evaluatePolicy, WINDOWS } from '../toolkit/slo.js';
import { isMachineName, MACHINE_NAMES, type MachineName } from './catalog.js';

/**
 * Model-based tests, generated from the machines themselves. For each machine a model lists the
 * events (with payloads) its states accept; @xstate/graph walks the machine with them and yields one
 * shortest path per distinct transition of the abstract graph. Each path is then executed against a
 * real actor (its invoked and spawned actors replaced by ones the path resolves, delays run off a
 * SimulatedClock), and coverage is measured from what the actor actually did: the state nodes it
 * entered and the transitions it took, against every state node and transition in the definition.
 */

export { isMachineName, MACHINE_NAMES, type MachineName };

/** What a path and the real actor must agree on after each step. */
export type Observation = Record<string, unknown>;

interface MachineModel {
  machine: AnyStateMachine;
  /** The machine's input, over a fake world whose clock is `clock`. */
  input(clock: SimulatedClock): unknown;
  /** The events the machine is offered in a state; @xstate/graph keeps those the state handles. */
  events(snapshot: AnyMachineSnapshot): AnyEventObject[];
  /**
   * The part of a snapshot that decides what the machine can do next. It keeps the graph finite:
   * two snapshots that differ only in, say, the last SLI sample are the same vertex.
   */
  vertex(snapshot: AnyMachineSnapshot): string;
  observe(snapshot: AnyMachineSnapshot): Observation;
  /** The actors the machine invokes or spawns: each is replaced by one the path settles. */
  actors: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Fixtures: the world the models run in.

/** A burn at the same rate over every window. */
export const uniformBurn = (rate: number): Burn =>
  Object.fromEntries(Object.keys(WINDOWS).map((window) => [window, rate])) as Burn;

/**
 * One burn per alert level of the stock policy: a page pair, a ticket pair, below every threshold.
 * Page first: where paths could go either way, the shortest ones follow the stock story (page, ACK).
 */
export const BURNS = {
  'page-burn': uniformBurn(20),
  'ticket-burn': uniformBurn(4),
  'no-burn': uniformBurn(0.5),
} as const satisfies Record<string, Burn>;

export const MODEL_OBJECTIVE = 0.99;
const SLIS = [0.995, 0.8] as const;

/**
 * Two steps so that every branch of mitigate is reachable: the first may be retried once and then
 * hands over to the next step; the second escalates at once when it fails.
 */
export const MODEL_RUNBOOK: RunbookStep[] = [
  { play: 'rollback', timeout: 30, retries: 1, onFailure: 'next', with: {} },
  { play: 'reindex', timeout: 20, retries: 0, onFailure: 'escalate', with: {} },
];

/** Plays never reach these ops in the model (its plays are settled by the path), but the machine may. */
export function fakeOps(clock: SimulatedClock): PlayOps {
  return {
    now: () => clock.now(),
    release: () => ({ live: 'v2', lastGood: 'v1' }),
    rollback: () => ({ from: 'v3', to: 'v2' }),
    reindex: () => ({ builtAt: clock.now() }),
    setFlag: () => {},
    clearFaults: (faults) => [...faults],
  };
}

export function incidentInput(clock: SimulatedClock): IncidentInput {
  return {
    id: 'INC-1',
    service: 'answers',
    type: 'quality-regression',
    objective: MODEL_OBJECTIVE,
    policy: DEFAULT_POLICY,
    runbook: MODEL_RUNBOOK,
    severityFor: { page: 'sev1', ticket: 'sev3' },
    settleMinutes: 5,
    verifyMinutes: 10,
    ops: fakeOps(clock),
    // A runbook of the statechart language too: an ACK that says so runs it (machines/runbook.ts).
    flow: { src: 'runbook', labels: {}, epochMinute: 0, ops: { now: () => clock.now(), notify: () => {} } },
  };
}

export function releaseInput(clock: SimulatedClock): ReleaseInput {
  return { service: 'answers', initial: 'v1', thresholds: DEFAULT_CANARY, now: () => clock.now() };
}

const EVAL_IDS = Array.from({ length: 10 }, (_, i) => `q${String(i + 1).padStart(2, '0')}`);

/**
 * A canary report as the drill builds it (scoreOf over the eval set): the baseline answers every
 * case; the candidate gets `wrong` of them wrong, the first being a regression case.
 */
export function canaryReport(candidate: string, baseline: string, wrong: number): CanaryReport {
  const wrongIds = new Set(EVAL_IDS.slice(0, wrong));
  return {
    candidate: scoreOf(
      candidate,
      EVAL_IDS.map((id) => ({ id, correct: !wrongIds.has(id) })),
    ),
    baseline: scoreOf(
      baseline,
      EVAL_IDS.map((id) => ({ id, correct: true })),
    ),
    regressionIds: ['q01'],
  };
}

const PLAY_OK: PlayOutput = { ok: true, detail: 'the play did its job' };
const PLAY_FAILED: PlayOutput = { ok: false, detail: 'the play reported a failure' };
const LEARN_OUTPUT: LearnOutput = {
  accepted: true,
  findings: [],
  markdown: '# Postmortem\n',
  regressionCases: [
    { id: 'reg-INC-1-q01', topic: 'refunds', question: 'q?', expected: 'a', origin: 'INC-1' },
  ],
};
const SHIP_PROMOTED: ShipOutput = { candidate: 'v3-fix', verdict: 'promote', reasons: [], live: 'v3-fix' };
const SHIP_REJECTED: ShipOutput = {
  candidate: 'v3-fix',
  verdict: 'reject',
  reasons: ['regression case reg-INC-1-q01 failed'],
  live: 'v2',
};

const INCIDENT_EVENTS: AnyEventObject[] = [
  ...Object.values(BURNS).map((burn) => ({ type: 'ALERTS', sli: 0.8, burn })),
  { type: 'ALERTS', sli: null, burn: null },
  ...Object.values(BURNS).flatMap((burn) => SLIS.map((sli) => ({ type: 'SLI_SAMPLE', sli, burn }))),
  { type: 'ACK' },
  { type: 'ACK', flow: true },
  ...(['resolved', 'escalated'] as const).map((outcome) => ({
    type: 'xstate.done.actor.INC-1/runbook',
    actorId: 'INC-1/runbook',
    output: { outcome, why: outcome, sli: 0.995, plays: [], outputs: {} },
  })),
  {
    type: 'xstate.error.actor.INC-1/runbook',
    actorId: 'INC-1/runbook',
    error: new Error('the runbook crashed'),
  },
  { type: 'xstate.done.actor.play', output: PLAY_OK },
  { type: 'xstate.done.actor.play', output: PLAY_FAILED },
  { type: 'xstate.error.actor.play', error: new Error('the play crashed') },
  { type: 'xstate.done.actor.postmortem', output: LEARN_OUTPUT },
  { type: 'xstate.error.actor.postmortem', error: new Error('the postmortem could not be written') },
  { type: 'xstate.done.actor.fix', output: SHIP_PROMOTED },
  { type: 'xstate.done.actor.fix', output: SHIP_REJECTED },
  { type: 'xstate.error.actor.fix', error: new Error('the deploy pipeline is down') },
  // Delayed events (xstate.after.<delay>.<state id>) are not listed: acceptedEvents adds the ones a
  // state schedules.
];

const FLOW_EVENTS = INCIDENT_EVENTS.filter(
  (event) => !/^xstate\.(done|error)\.actor\./.test(event.type) || event.type.endsWith('/runbook'),
);

const incidentModel: MachineModel = {
  machine: incidentMachine,
  input: incidentInput,
  // While a runbook runs, only its own report ends mitigate: the plays, postmortem and fix are not there.
  events: (snapshot) => (snapshot.matches({ mitigate: 'flow' }) ? FLOW_EVENTS : INCIDENT_EVENTS),
  vertex: (snapshot) => {
    const context = snapshot.context as IncidentContext;
    const state = stateName(snapshot.value);
    // Only mitigate's guards read the step and the attempt; every other guard reads the event. An
    // incident acknowledged into a runbook of the statechart language records no play of its own: its
    // later stages are told apart, so that the flat runbook's paths through them are generated too.
    if (snapshot.matches('mitigate')) return `${state}#${context.step}.${context.attempt}`;
    const viaFlow = context.milestones.acknowledged !== undefined && context.plays.length === 0;
    return viaFlow ? `${state}#flow` : state;
  },
  observe: (snapshot) => {
    const context = snapshot.context as IncidentContext;
    return {
      state: stateName(snapshot.value),
      status: snapshot.status,
      step: context.step,
      attempt: context.attempt,
      severity: context.severity,
      milestones: Object.keys(context.milestones),
      plays: context.plays.map((play) => `${play.play}#${play.attempt}:${play.outcome}`),
      learn: context.learn && (context.learn.error ? 'error' : 'written'),
      ship: context.ship?.verdict ?? null,
      escalated: context.escalation !== null,
    };
  },
  actors: ['rollback', 'reindex', 'writePostmortem', 'shipFix', 'runbook'],
};

/** Releases behind live that a rollback could still land on (capped: more than two adds nothing new). */
function goodBehind(context: ReleaseContext): number {
  const good = new Set(context.history.map((record) => record.release));
  good.delete(context.live);
  for (const release of context.bad) good.delete(release);
  return Math.min(good.size, 2);
}

const releaseModel: MachineModel = {
  machine: releaseMachine,
  input: releaseInput,
  events: (snapshot) => {
    const context = snapshot.context as ReleaseContext;
    // A fresh name each time, so the history reads v1, v2, v3 ...
    const candidate = `v${new Set(context.history.map((record) => record.release)).size + 1}`;
    return [
      { type: 'DEPLOY', candidate, report: canaryReport(candidate, context.live, 0) },
      { type: 'DEPLOY', candidate, report: canaryReport(candidate, context.live, 2) },
      { type: 'ROLLBACK' },
    ];
  },
  vertex: (snapshot) =>
    `${stateName(snapshot.value)}#${goodBehind(snapshot.context as ReleaseContext)} good behind`,
  observe: (snapshot) => {
    const context = snapshot.context as ReleaseContext;
    return {
      state: stateName(snapshot.value),
      status: snapshot.status,
      live: context.live,
      lastGood: context.lastGood,
      bad: context.bad,
      candidate: context.candidate,
      verdict: context.verdict?.verdict ?? null,
      history: context.history.map((record) => `${record.release}:${record.via}`),
    };
  },
  actors: [],
};

export const MODELS: Record<MachineName, MachineModel> = { incident: incidentModel, release: releaseModel };

// ---------------------------------------------------------------------------------------------
// Paths.

/** `SLI_SAMPLE(page-burn,sli=0.8)`, `done.actor.play(ok)`, `after.playTimeout`: an event as a path shows it. */
export function eventLabel(event: AnyEventObject): string {
  const burnClass = (burn: Burn | null) =>
    burn === null ? 'no-slo' : `${evaluatePolicy(burn, DEFAULT_POLICY).alert.replace('none', 'no')}-burn`;
  if (event.type === 'SLI_SAMPLE') return `SLI_SAMPLE(${burnClass(event.burn)},sli=${event.sli})`;
  if (event.type === 'ALERTS') return `ALERTS(${burnClass(event.burn)})`;
  if (event.type === 'DEPLOY') return `DEPLOY(${event.candidate},${canaryClass(event.report)})`;
  if (event.type === 'ACK' && event.flow) return 'ACK(flow)';
  const after = /^xstate\.after\.([^.]+)\./.exec(event.type);
  if (after) return `after.${after[1]}`;
  const settled = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event.type);
  if (!settled) return event.type;
  const output = event.output as Partial<PlayOutput & ShipOutput & { outcome: string }> | undefined;
  let outcome = '';
  if (output?.ok !== undefined) outcome = output.ok ? '(ok)' : '(failed)';
  else if (output?.outcome) outcome = `(${output.outcome})`;
  else if (output?.verdict) outcome = `(${output.verdict})`;
  return `${settled[1]}.actor.${settled[2]}${outcome}`;
}

const canaryClass = (report: CanaryReport) => (judge(report).verdict === 'promote' ? 'passing' : 'failing');

/** An event as the graph tells edges apart: its label without what only names things (a candidate). */
function eventClass(event: AnyEventObject): string {
  if (event.type === 'DEPLOY') return `DEPLOY(${canaryClass(event.report)})`;
  return eventLabel(event);
}

export interface ModelStep {
  event: AnyEventObject;
  label: string;
  /** The state the path says the machine is in after the event, and what else it says must hold. */
  expected: Observation;
}

export interface ModelPath {
  /** The path's events, joined: unique within a machine, used as the test's name. */
  name: string;
  initial: Observation;
  steps: ModelStep[];
}

/**
 * The model's events that the snapshot's states handle, plus the delayed events they schedule
 * (which carry no payload). @xstate/graph filters events the same way by default, but only when it
 * is given a list, not a function. An `xstate.error.actor.*` event no state handles would put the
 * actor in its error status: not an event the machine accepts.
 */
/** Whether an event descriptor (`ACK`, `xstate.done.actor.*`) takes an event type. */
const accepts = (descriptor: string, type: string) =>
  descriptor === type || (descriptor.endsWith('.*') && type.startsWith(descriptor.slice(0, -1)));

export function acceptedEvents(name: MachineName, snapshot: AnyMachineSnapshot): AnyEventObject[] {
  const model = MODELS[name];
  if (snapshot.status !== 'active') return [];
  const handled = __unsafe_getAllOwnEventDescriptors(snapshot) as string[];
  return [
    ...model.events(snapshot).filter((event) => handled.some((d) => accepts(d, event.type))),
    ...handled.filter((type) => type.startsWith('xstate.after.')).map((type) => ({ type })),
  ];
}

/**
 * One shortest path per edge of the abstract graph. A vertex is the model's abstract state plus the
 * edge that reached it, so the shortest path to each vertex ends with a different edge: together
 * they take every (state, event) pair once. Paths that are a prefix of another path are dropped.
 *
 * The snapshots @xstate/graph keeps per vertex are representatives (any snapshot with that vertex),
 * so each path is replayed on the pure machine (getNextSnapshot) to get the states its own events
 * lead to; a replay that leaves the graph's vertex means the model's vertex hides something a guard
 * reads, and is refused.
 */
export function generatePaths(name: MachineName): ModelPath[] {
  const model = MODELS[name];
  const input = model.input(new SimulatedClock());
  const raw = getShortestPaths(model.machine as AnyActorLogic, {
    input,
    events: (snapshot: AnyMachineSnapshot) => acceptedEvents(name, snapshot),
    serializeState: (snapshot: AnyMachineSnapshot, event?: AnyEventObject, previous?: AnyMachineSnapshot) =>
      event && previous
        ? `${model.vertex(previous)} -${eventClass(event)}-> ${model.vertex(snapshot)}`
        : model.vertex(snapshot),
  });
  const classes = raw.map((path) =>
    path.steps
      .slice(1)
      .map((step) => eventClass(step.event))
      .join(' '),
  );
  return raw
    .filter((_, i) => classes[i] !== '' && !classes.some((other) => other.startsWith(`${classes[i]} `)))
    .map((path) => replay(name, input, path.steps.slice(1)))
    .sort((a, b) => a.steps.length - b.steps.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function replay(
  name: MachineName,
  input: unknown,
  graphSteps: readonly { event: AnyEventObject; state: unknown }[],
): ModelPath {
  const model = MODELS[name];
  const initial = getInitialSnapshot(model.machine, input) as AnyMachineSnapshot;
  let snapshot = initial;
  const steps: ModelStep[] = [];
  for (const graphStep of graphSteps) {
    const kind = eventClass(graphStep.event);
    // State-dependent payloads (a DEPLOY's candidate name) are made again for the state at hand.
    const event = acceptedEvents(name, snapshot).find((candidate) => eventClass(candidate) === kind);
    const expected = model.vertex(graphStep.state as AnyMachineSnapshot);
    if (!event) throw new Error(`${model.machine.id}: ${kind} is not accepted in ${model.vertex(snapshot)}`);
    snapshot = getNextSnapshot(model.machine, snapshot, event) as AnyMachineSnapshot;
    if (model.vertex(snapshot) !== expected) {
      throw new Error(
        `${model.machine.id}: ${kind} leads to ${model.vertex(snapshot)}, the graph says ${expected}`,
      );
    }
    steps.push({ event, label: eventLabel(event), expected: model.observe(snapshot) });
  }
  return { name: steps.map((step) => step.label).join(' '), initial: model.observe(initial), steps };
}

// ---------------------------------------------------------------------------------------------
// Execution against real actors.

/**
 * Stand-ins for the actors a machine invokes or spawns: promises that stay pending until the path
 * settles them, so a `xstate.done.actor.<id>` step really is the actor finishing with that output.
 */
export class PendingActors {
  private readonly pending = new Map<
    string,
    { resolve(output: unknown): void; reject(error: unknown): void }
  >();

  readonly logic = fromPromise<unknown, unknown>(
    ({ self }) => new Promise((resolve, reject) => this.pending.set(self.id, { resolve, reject })),
  );

  has(id: string): boolean {
    return this.pending.has(id);
  }

  settle(id: string, outcome: 'done' | 'error', value: unknown): boolean {
    const actor = this.pending.get(id);
    if (!actor) return false;
    this.pending.delete(id);
    if (outcome === 'done') actor.resolve(value);
    else actor.reject(value);
    return true;
  }
}

/** Lets settled promises report to their parent. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface StepRun {
  label: string;
  type: string;
  expected: Observation;
  actual: Observation;
  /** The states the actor passed through on this step, one per microstep (transient ones included). */
  via: string[];
  /** True when the event took no transition. */
  ignored: boolean;
  /** For a delayed event: the scheduled delay, and the actor one sim minute before it was due (it must not have moved yet). */
  timer?: { delay: number; before: Observation; early: Observation };
}

export interface PathRun {
  machine: MachineName;
  path: ModelPath;
  initial: { expected: Observation; actual: Observation };
  steps: StepRun[];
  /** Ids of the state nodes entered, and keys of the transitions taken (see transitionKey). */
  states: Set<string>;
  transitions: Set<string>;
  /** Why the run stopped early, when it did (a step could not be carried out). */
  error: string | null;
}

/** A transition of the definition: its source, event and position among the source's transitions for that event. */
export function transitionKey(transition: AnyTransitionDefinition): string {
  const source = transition.source as AnyStateNode;
  const siblings: readonly AnyTransitionDefinition[] =
    transition.eventType === ''
      ? (source.always ?? [])
      : (source.transitions.get(transition.eventType) ?? []);
  return `${source.id}|${transition.eventType}|${siblings.indexOf(transition)}`;
}

const relativeId = (node: AnyStateNode) => node.path.join('.') || node.id;

/** `mitigate.stepFailed -always[1]-> escalated`: a transition as coverage reports it. */
function describeTransition(transition: AnyTransitionDefinition): string {
  const key = transitionKey(transition).split('|');
  const event = transition.eventType === '' ? 'always' : transition.eventType;
  const targets = transition.target?.map((t: AnyStateNode) => relativeId(t)).join(',') ?? '(no target)';
  return `${relativeId(transition.source)} -${event}[${key[2]}]-> ${targets}`;
}

function allStateNodes(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states as Record<string, AnyStateNode>).flatMap((child) => [
    child,
    ...allStateNodes(child),
  ]);
}

function allTransitions(machine: AnyStateMachine): AnyTransitionDefinition[] {
  return [machine.root, ...allStateNodes(machine.root)].flatMap((node) => [
    ...[...node.transitions.values()].flat(),
    ...(node.always ?? []),
  ]);
}

export interface ModelActor {
  actor: AnyActor;
  clock: SimulatedClock;
  /** The machine's invoked and spawned actors, pending until settled. */
  actors: PendingActors;
}

/**
 * A started actor of the machine on a fresh simulated clock, with every actor it invokes or spawns
 * replaced by a pending one the caller settles. Property tests drive these too.
 */
export function startModelActor(
  name: MachineName,
  options: {
    id?: string;
    clock?: SimulatedClock;
    input?: (clock: SimulatedClock) => unknown;
    inspect?: (event: InspectionEvent) => void;
  } = {},
): ModelActor {
  const model = MODELS[name];
  const clock = options.clock ?? new SimulatedClock();
  const actors = new PendingActors();
  const machine = model.machine.provide({
    actors: Object.fromEntries(model.actors.map((actor) => [actor, actors.logic])),
  });
  const input = (options.input ?? model.input)(clock);
  const actor = createActor(machine, {
    clock,
    input,
    ...(options.id ? { id: options.id } : {}),
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  actor.start();
  return { actor, clock, actors };
}

/** Runs one path on a real actor: a fresh clock, the machine's actors settled by the path. */
export async function executePath(name: MachineName, path: ModelPath): Promise<PathRun> {
  const model = MODELS[name];
  const microsteps: { state: string; transitions: AnyTransitionDefinition[]; nodes: AnyStateNode[] }[] = [];
  const timers = new Map<string, { at: number; delay: number }>();
  const clock = new SimulatedClock();
  const inspect = (event: InspectionEvent) => {
    // The root machine only: its plays, postmortem and fix are promises, with no transitions.
    if (event.actorRef.sessionId !== event.rootId) return;
    if (event.type === '@xstate.microstep') {
      const snapshot = event.snapshot as AnyMachineSnapshot;
      microsteps.push({
        state: stateName(snapshot.value),
        transitions: event._transitions as AnyTransitionDefinition[],
        nodes: snapshot._nodes as AnyStateNode[],
      });
    } else if (event.type === '@xstate.action' && event.action.type === 'xstate.raise') {
      const params = event.action.params as { event: AnyEventObject; delay?: number };
      if (typeof params.delay === 'number')
        timers.set(params.event.type, { at: clock.now(), delay: params.delay });
    }
  };
  const { actor, actors } = startModelActor(name, { clock, inspect });

  const states = new Set<string>((actor.getSnapshot()._nodes as AnyStateNode[]).map((node) => node.id));
  const transitions = new Set<string>();
  const run: PathRun = {
    machine: name,
    path,
    initial: { expected: path.initial, actual: model.observe(actor.getSnapshot()) },
    steps: [],
    states,
    transitions,
    error: null,
  };

  try {
    for (const step of path.steps) {
      const { event } = step;
      const first = microsteps.length;
      let timer: StepRun['timer'];
      const settled = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event.type);
      if (event.type.startsWith('xstate.after.')) {
        // A delayed event is not sent: the sim clock is moved to when it is due, and the actor's
        // own timer fires it. One minute before, the actor must not have moved.
        const scheduled = timers.get(event.type);
        if (!scheduled) throw new Error(`${step.label}: the actor scheduled no ${event.type}`);
        const due = scheduled.at + scheduled.delay - clock.now();
        const before = model.observe(actor.getSnapshot());
        if (due >= 1) clock.increment(due - 1);
        const early = model.observe(actor.getSnapshot());
        clock.increment(Math.min(1, Math.max(due, 0)));
        timer = { delay: scheduled.delay, before, early };
      } else if (settled) {
        const [, outcome, id] = settled;
        const e = event as AnyEventObject & { output?: unknown; error?: unknown };
        const value = outcome === 'done' ? e.output : e.error;
        if (!actors.settle(id ?? '', outcome as 'done' | 'error', value)) {
          throw new Error(`${step.label}: no actor "${id}" is running`);
        }
        await flush();
      } else {
        actor.send(event as never);
      }
      const taken = microsteps.slice(first);
      for (const microstep of taken) {
        for (const transition of microstep.transitions) transitions.add(transitionKey(transition));
        for (const node of microstep.nodes) states.add(node.id);
      }
      run.steps.push({
        label: step.label,
        type: event.type,
        expected: step.expected,
        actual: model.observe(actor.getSnapshot()),
        via: taken.map((microstep) => microstep.state),
        ignored: taken.every((microstep) => microstep.transitions.length === 0),
        ...(timer ? { timer } : {}),
      });
    }
  } catch (error) {
    run.error = error instanceof Error ? error.message : String(error);
  } finally {
    actor.stop();
  }
  return run;
}

export interface Coverage {
  states: { covered: number; total: number; missing: string[] };
  transitions: { covered: number; total: number; missing: string[] };
}

/** States entered and transitions taken over all runs, against every state node and transition of the machine. */
export function coverage(name: MachineName, runs: readonly PathRun[]): Coverage {
  const { machine } = MODELS[name];
  const states = new Set(runs.flatMap((run) => [...run.states]));
  const taken = new Set(runs.flatMap((run) => [...run.transitions]));
  const nodes = allStateNodes(machine.root);
  const transitions = allTransitions(machine);
  const missingStates = nodes.filter((node) => !states.has(node.id)).map(relativeId);
  const missingTransitions = transitions.filter((t) => !taken.has(transitionKey(t))).map(describeTransition);
  return {
    states: { covered: nodes.length - missingStates.length, total: nodes.length, missing: missingStates },
    transitions: {
      covered: transitions.length - missingTransitions.length,
      total: transitions.length,
      missing: missingTransitions,
    },
  };
}

/** Generates every path of a machine, runs each on a real actor, and measures what they covered. */
export async function executePaths(
  name: MachineName,
  paths: readonly ModelPath[] = generatePaths(name),
): Promise<{ runs: PathRun[]; coverage: Coverage }> {
  const runs: PathRun[] = [];
  for (const path of paths) runs.push(await executePath(name, path));
  return { runs, coverage: coverage(name, runs) };
}

/** Whether a run did what its path says, step by step (the first disagreement, or null). */
export function firstMismatch(run: PathRun): string | null {
  if (run.error) return run.error;
  const same = (a: Observation, b: Observation) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(run.initial.expected, run.initial.actual)) return 'the initial state differs';
  for (const [i, step] of run.steps.entries()) {
    if (!same(step.expected, step.actual)) return `step ${i + 1} (${step.label}) ends elsewhere`;
    if (step.timer && !same(step.timer.before, step.timer.early)) {
      return `step ${i + 1} (${step.label}) fired before its ${step.timer.delay} min were up`;
    }
  }
  if (run.steps.length !== run.path.steps.length) return 'the run stopped early';
  return null;
}

/** `watching -ALERTS(page-burn)-> detect -> page -ACK-> mitigate.running ...`: one run, event by event. */
export function formatRun(run: PathRun): string {
  let line = String(run.initial.actual.state);
  for (const step of run.steps) {
    const [first, ...rest] = step.via;
    line += ` -${step.label}${step.ignored ? ' (ignored)' : ''}-> ${first ?? step.actual.state}`;
    for (const state of rest) line += ` -> ${state}`;
  }
  return line;
}
