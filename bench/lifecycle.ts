import { createActor, type PromiseActorLogic, SimulatedClock, setup } from 'xstate';
import {
  type IncidentInput,
  incidentMachine,
  type LearnInput,
  type LearnOutput,
  type ShipInput,
  type ShipOutput,
} from '../machines/incident.js';
import type { PlayInput, PlayOps, PlayOutput } from '../machines/play.js';
import { type Burn, DEFAULT_POLICY } from '../src/toolkit/slo.js';

/**
 * One incident lifecycle, the same for the overhead and fleet rows: alerts while a 20x burn is on,
 * a page, the ack, a rollback play that succeeds, the SLI back at its objective, the postmortem, the
 * fix shipped, and the verify soak run out on the simulated clock: watching -> detect -> page ->
 * mitigate.running -> mitigate.settling -> learn -> ship -> verify -> resolved.
 */

/**
 * Actor logic that is done the moment it starts. Plays, the postmortem and the ship step are promise
 * actors in a shift; here they finish synchronously, so the bench measures the machines and not the
 * microtask queue, and a lifecycle needs no await.
 */
export function instant<TOutput, TInput>(
  run: (input: TInput) => TOutput,
): PromiseActorLogic<TOutput, TInput> {
  return {
    transition: (snapshot) => snapshot,
    getInitialSnapshot: (_scope, input) => ({
      status: 'done',
      output: run(input),
      error: undefined,
      input,
    }),
    getPersistedSnapshot: (snapshot) => snapshot,
  };
}

/** The burn after healthy history with a 20x regression an hour old: page:1h/5m fires. */
export const HOT: Burn = { '5m': 20, '30m': 20, '1h': 20, '2h': 10, '6h': 3.5, '1d': 0.9, '3d': 0.3 };
/** A few minutes after the rollback: the short windows are back at zero, nothing fires. */
export const COOLING: Burn = { '5m': 0, '30m': 6.7, '1h': 13.3, '2h': 6.7, '6h': 2.2, '1d': 0.6, '3d': 0.2 };

const VERIFY_MINUTES = 10;
const SETTLE_MINUTES = 5;

/** A release history of two: v3 live, v2 to roll back to. Rollback always lands. */
export function fakeOps(clock: SimulatedClock): PlayOps {
  return {
    now: () => clock.now(),
    release: () => ({ live: 'v3', lastGood: 'v2' }),
    rollback: () => ({ from: 'v3', to: 'v2' }),
    reindex: () => ({ builtAt: clock.now() }),
    setFlag: () => {},
    clearFaults: (faults) => [...faults],
  };
}

const rollback = instant<PlayOutput, PlayInput>(({ ops }) => {
  const done = ops.rollback();
  return {
    ok: done !== null,
    detail: done ? `rolled back ${done.from} -> ${done.to}` : 'nothing to roll back',
  };
});

const writePostmortem = instant<LearnOutput, LearnInput>((input) => ({
  accepted: true,
  findings: [],
  markdown: `# ${input.incidentId}: ${input.type} on ${input.service}`,
  regressionCases: [],
}));

const shipFix = instant<ShipOutput, ShipInput>(() => ({
  candidate: 'v3-fix',
  verdict: 'promote',
  reasons: [],
  live: 'v3-fix',
}));

/** Our incident machine, guards and actions as they are, with the deterministic actors above. */
export const incidentUnderBench = incidentMachine.provide({
  actors: {
    rollback,
    writePostmortem,
    shipFix,
  },
});

// One runbook and one severity map for every incident, as the engine passes a type's runbook and the
// alerting's severities to all the incidents it opens: per incident, only what differs.
const RUNBOOK: IncidentInput['runbook'] = [
  { play: 'rollback', timeout: 10, retries: 0, onFailure: 'next', with: {} },
];
const SEVERITY_FOR: IncidentInput['severityFor'] = { page: 'sev1', ticket: 'sev3' };

export function incidentInput(id: string, ops: PlayOps): IncidentInput {
  return {
    id,
    service: 'agent',
    type: 'quality-regression',
    objective: 0.99,
    policy: DEFAULT_POLICY,
    runbook: RUNBOOK,
    severityFor: SEVERITY_FOR,
    settleMinutes: SETTLE_MINUTES,
    verifyMinutes: VERIFY_MINUTES,
    ops,
  };
}

const bareOps = fakeOps(new SimulatedClock());
const barePlay: PlayInput = {
  incident: { id: 'INC-1', service: 'agent', type: 'quality-regression' },
  step: { play: 'rollback', timeout: 10, retries: 0, onFailure: 'next', with: {} },
  attempt: 1,
  key: 'INC-1/1/1',
  ops: bareOps,
};
const bareLearn: LearnInput = {
  incidentId: 'INC-1',
  service: 'agent',
  type: 'quality-regression',
  severity: 'sev1',
  objective: 0.99,
  milestones: { opened: 0 },
  plays: [],
};
const bareShip: ShipInput = { incidentId: 'INC-1', regressionCases: [] };

/**
 * The minimal hand-written machine the overhead is measured against: the same states, the same
 * events, the same children and timers, and nothing else: no context, no guards, no actions.
 */
export const bareMachine = setup({
  types: {
    events: {} as
      | { type: 'ALERTS'; sli: number | null; burn: Burn | null }
      | { type: 'SLI_SAMPLE'; sli: number; burn: Burn }
      | { type: 'ACK' },
  },
  actors: { rollback, writePostmortem, shipFix },
}).createMachine({
  id: 'bare',
  initial: 'watching',
  states: {
    watching: { on: { ALERTS: 'detect', SLI_SAMPLE: {} } },
    detect: { always: 'page' },
    page: { on: { ACK: 'mitigate', SLI_SAMPLE: {} } },
    ticket: { on: { ACK: 'mitigate', SLI_SAMPLE: {} } },
    mitigate: {
      initial: 'running',
      on: { SLI_SAMPLE: {} },
      states: {
        running: {
          invoke: {
            id: 'play',
            src: 'rollback',
            input: barePlay,
            onDone: 'settling',
            onError: 'stepFailed',
          },
          after: { 10: 'stepFailed' },
        },
        settling: { on: { SLI_SAMPLE: '#bare.learn' }, after: { [SETTLE_MINUTES]: 'nextStep' } },
        stepFailed: { always: 'nextStep' },
        nextStep: { always: '#bare.escalated' },
      },
    },
    learn: { invoke: { src: 'writePostmortem', input: bareLearn, onDone: 'ship', onError: 'ship' } },
    ship: { invoke: { src: 'shipFix', input: bareShip, onDone: 'verify', onError: 'verify' } },
    verify: { on: { SLI_SAMPLE: {} }, after: { [VERIFY_MINUTES]: 'resolved' } },
    resolved: { type: 'final' },
    escalated: { type: 'final' },
  },
});

/** The events of one lifecycle, in order; the clock runs out the verify soak after the last one. */
export const LIFECYCLE = [
  { type: 'ALERTS', sli: 0.8, burn: HOT },
  { type: 'SLI_SAMPLE', sli: 0.8, burn: HOT },
  { type: 'ACK' },
  { type: 'SLI_SAMPLE', sli: 1, burn: COOLING },
  { type: 'SLI_SAMPLE', sli: 1, burn: COOLING },
] as const;

export { VERIFY_MINUTES };

/** Drives one incident through the lifecycle on `clock`; returns the state it ends in. */
export function driveOurs(clock: SimulatedClock, id: string): string {
  const actor = createActor(incidentUnderBench, { clock, input: incidentInput(id, fakeOps(clock)) }).start();
  for (const event of LIFECYCLE) actor.send(event);
  clock.increment(VERIFY_MINUTES);
  return actor.getSnapshot().value as string;
}

export function driveBare(clock: SimulatedClock): string {
  const actor = createActor(bareMachine, { clock }).start();
  for (const event of LIFECYCLE) actor.send(event);
  clock.increment(VERIFY_MINUTES);
  return actor.getSnapshot().value as string;
}
