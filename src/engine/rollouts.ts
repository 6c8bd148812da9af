import { type Actor, type AnyActorRef, createActor, type InspectionEvent } from 'xstate';
import type { ShipOutput } from '../../machines/incident.js';
import { type ReleaseInput, releaseMachine } from '../../machines/release.js';
import { type RolloutEvent, type RolloutRecord, rolloutMachine } from '../../machines/rollout.js';
import { dueAt, type MetricRun } from '../toolkit/analysis.js';
import type { RolloutStrategy } from '../toolkit/argo.js';
import type { EngineClock } from './clock.js';
import type { ReleaseOperatorInput, WorldInput } from './inputs.js';

/**
 * The release desk with a canary strategy: which machine holds the releases, what the world owes a
 * running rollout (the router's weight, the analysis' measurements, a human's decision), and how
 * the world's answers reach the machine. Without a strategy the engine runs the plain release
 * machine, and nothing here is asked.
 */

export type PlainReleaseActor = Actor<typeof releaseMachine>;
export type RolloutActor = Actor<typeof rolloutMachine>;
export type ReleaseActor = PlainReleaseActor | RolloutActor;

export function releaseActor(
  strategy: RolloutStrategy | undefined,
  options: {
    clock: EngineClock;
    inspect: (event: InspectionEvent) => void;
    input: ReleaseInput;
    snapshot?: unknown;
  },
): ReleaseActor {
  const { clock, inspect, input, snapshot } = options;
  const common = { id: 'release', clock, inspect, ...(snapshot ? { snapshot: snapshot as never } : {}) };
  return strategy
    ? createActor(rolloutMachine, { ...common, input: { ...input, strategy } })
    : createActor(releaseMachine, { ...common, input });
}

export const isRollout = (actor: ReleaseActor): actor is RolloutActor =>
  'strategy' in actor.getSnapshot().context;

/** A measurement the world owes: which run, which metric, and what it needs to take it. */
export interface DueMeasurement {
  run: 'step' | 'background';
  metric: MetricRun;
}

/** What a running rollout waits for from its world. */
export interface RolloutWork {
  n: number;
  candidate: string;
  baseline: string;
  /** The canary's confirmed share of traffic. */
  weight: number;
  /** A weight asked of the router and not yet confirmed. */
  desiredWeight: number | null;
  due: DueMeasurement[];
  waiting: { why: string; since: number } | null;
  strategy: RolloutStrategy;
}

export function rolloutWork(actor: ReleaseActor, now: number): RolloutWork | null {
  if (!isRollout(actor)) return null;
  const { rollout, strategy } = actor.getSnapshot().context;
  if (!rollout) return null;
  const due: DueMeasurement[] = [
    ...dueAt(rollout.analysis, now).map((metric) => ({ run: 'step' as const, metric })),
    ...dueAt(rollout.background, now).map((metric) => ({ run: 'background' as const, metric })),
  ];
  return {
    n: rollout.n,
    candidate: rollout.candidate,
    baseline: rollout.baseline,
    weight: rollout.weight,
    desiredWeight: rollout.desiredWeight,
    due,
    waiting:
      rollout.waiting !== null && rollout.waitingSince !== null
        ? { why: rollout.waiting, since: rollout.waitingSince }
        : null,
    strategy,
  };
}

const OPERATOR_EVENTS: Record<ReleaseOperatorInput['action'], (input: ReleaseOperatorInput) => RolloutEvent> =
  {
    promote: (input) => ({ type: 'PROMOTE', full: false, by: input.by }),
    'promote-full': (input) => ({ type: 'PROMOTE', full: true, by: input.by }),
    abort: (input) => ({ type: 'ABORT', by: input.by, why: input.why ?? 'no reason given' }),
    retry: (input) => ({ type: 'RETRY', by: input.by }),
  };

/** A rollout input as the machine's event; a plain release machine ignores them all. */
export function rolloutEvent(
  input: Extract<WorldInput, { kind: 'weight' | 'measure' | 'release-operator' }>,
): RolloutEvent {
  if (input.kind === 'weight') return { type: 'WEIGHT_SET', weight: input.weight };
  if (input.kind === 'measure') {
    return { type: 'MEASURED', run: input.run, measurements: input.measurements };
  }
  return OPERATOR_EVENTS[input.action](input);
}

/** The rollout an incident's fix went out in: running, or ended (newest first). */
export function rolloutOf(actor: ReleaseActor, incident: string): RolloutRecord | null {
  if (!isRollout(actor)) return null;
  const { rollout, rollouts } = actor.getSnapshot().context;
  if (rollout?.requestedBy === incident) return rollout;
  for (let i = rollouts.length - 1; i >= 0; i--)
    if (rollouts[i]?.requestedBy === incident) return rollouts[i] ?? null;
  return null;
}

/** The ship step's report once the rollout of its fix has ended; null while it runs. */
export function shipOutcome(actor: ReleaseActor, incident: string): ShipOutput | null {
  const rollout = rolloutOf(actor, incident);
  if (!rollout || rollout.outcome === null) return null;
  const last = rollout.decisions.at(-1);
  return {
    candidate: rollout.candidate,
    verdict: rollout.outcome === 'promoted' ? 'promote' : 'reject',
    reasons: rollout.outcome === 'promoted' ? [] : [last?.why ?? 'aborted'],
    live: actor.getSnapshot().context.live,
  };
}

/** Incidents whose ship step waits on a rollout, with the stand-in to finish. */
export type PendingShips = Map<string, AnyActorRef>;
