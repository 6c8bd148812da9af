import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SimulatedClock } from 'xstate';
import type { IncidentContext, LearnOutput, ShipOutput } from '../machines/incident.js';
import type { PlayOutput, RunbookStep } from '../machines/play.js';
import { stateName } from '../src/engine/trace.js';
import { type Burn, DEFAULT_POLICY, evaluatePolicy, WINDOWS } from '../src/toolkit/slo.js';
import type { Severity } from '../src/toolkit/triage.js';
import { BURNS, fakeOps, flush, type ModelActor, startModelActor, uniformBurn } from '../src/views/model.js';

const RUNS = Number(process.env.PROPS_RUNS ?? 1000);
const SEED = Number(process.env.PROPS_SEED ?? 5);

/** Burn rates near and far from the policy's thresholds (14.4, 6, 3, 1), per window. */
const rate = fc.oneof(
  fc.constantFrom(0, 0.5, 1, 3, 6, 14.4, 20),
  fc.double({ min: 0, max: 40, noNaN: true, noDefaultInfinity: true }),
);
const burn: fc.Arbitrary<Burn> = fc.oneof(
  rate.map(uniformBurn),
  fc.record(
    Object.fromEntries(Object.keys(WINDOWS).map((w) => [w, rate])) as Record<keyof Burn, typeof rate>,
  ),
);
const sli = fc.oneof(fc.constantFrom(0.99, 0.8, 1), fc.double({ min: 0, max: 1, noNaN: true }));

type Action =
  | { kind: 'send'; event: { type: string; [key: string]: unknown } }
  | { kind: 'settle'; id: 'play' | 'postmortem' | 'fix'; outcome: 'done' | 'error'; value: unknown }
  | { kind: 'wait'; minutes: number };

/**
 * Pure noise rarely gets an incident past page, so some commands are `next`: they become whatever the
 * current state accepts (an ACK in page, a play's report in mitigate.running, a long wait in verify),
 * with the command's own sample and choice. Shrinking works on the commands as on any data.
 */
type Command = Action | { kind: 'next'; sli: number; burn: Burn; choice: number };

const send = (event: { type: string; [key: string]: unknown }): Action => ({ kind: 'send', event });
const done = (id: 'play' | 'postmortem' | 'fix', value: unknown): Action => ({
  kind: 'settle',
  id,
  outcome: 'done',
  value,
});
const failure = (id: 'play' | 'postmortem' | 'fix'): Action => ({
  kind: 'settle',
  id,
  outcome: 'error',
  value: new Error(`${id} blew up`),
});

const learnOutput = (accepted: boolean): LearnOutput => ({
  accepted,
  findings: [],
  markdown: '# Postmortem\n',
  regressionCases: [],
});
const playOutput = (ok: boolean): PlayOutput => ({ ok, detail: ok ? 'done' : 'did not help' });
const shipOutput = (verdict: ShipOutput['verdict']): ShipOutput => ({
  candidate: verdict === 'none' ? null : 'v3-fix',
  verdict,
  reasons: [],
  live: verdict === 'promote' ? 'v3-fix' : 'v2',
});

/** Valid and invalid events alike: what the machine does not handle in a state it must ignore. */
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ sli, burn }).map((e) => send({ type: 'SLI_SAMPLE', ...e })) },
  {
    weight: 2,
    arbitrary: fc
      .option(fc.record({ sli, burn }), { nil: null })
      .map((e) => send({ type: 'ALERTS', sli: e?.sli ?? null, burn: e?.burn ?? null })),
  },
  { weight: 2, arbitrary: fc.constant(send({ type: 'ACK' })) },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc
        .boolean()
        .map((ok): Command => done('play', { ok, detail: ok ? 'done' : 'did not help' } as PlayOutput)),
      fc.constant(failure('play')),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.boolean().map((accepted) => done('postmortem', learnOutput(accepted))),
      fc.constant(failure('postmortem')),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc
        .constantFrom<ShipOutput['verdict']>('promote', 'reject', 'none')
        .map((v) => done('fix', shipOutput(v))),
      fc.constant(failure('fix')),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 0, max: 35 }).map((minutes): Command => ({ kind: 'wait', minutes })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(send({ type: 'ROLLBACK' }), send({ type: 'BOGUS' }), send({ type: 'DEPLOY' })),
  },
  {
    weight: 12,
    arbitrary: fc
      .record({ sli, burn, choice: fc.nat(11) })
      .map((next): Command => ({ kind: 'next', ...next })),
  },
);

const runbookStep: fc.Arbitrary<RunbookStep> = fc.record({
  play: fc.constantFrom('rollback', 'reindex'),
  timeout: fc.integer({ min: 1, max: 30 }),
  retries: fc.integer({ min: 0, max: 2 }),
  onFailure: fc.constantFrom<RunbookStep['onFailure']>('next', 'escalate'),
  with: fc.constant({}),
});

type Setup = {
  runbook: RunbookStep[];
  settleMinutes: number;
  verifyMinutes: number;
  ticketSeverity: Severity;
};

const setup: fc.Arbitrary<Setup> = fc.record({
  runbook: fc.array(runbookStep, { minLength: 1, maxLength: 3 }),
  settleMinutes: fc.integer({ min: 1, max: 10 }),
  verifyMinutes: fc.integer({ min: 1, max: 20 }),
  ticketSeverity: fc.constantFrom<Severity>('sev2', 'sev3', 'sev4'),
});

const firesPage = (action: Action) =>
  action.kind === 'send' &&
  (action.event.type === 'SLI_SAMPLE' || action.event.type === 'ALERTS') &&
  action.event.burn !== null &&
  evaluatePolicy(action.event.burn as Burn, DEFAULT_POLICY).alert === 'page';

const LONG_WAIT: Action = { kind: 'wait', minutes: 60 };

const PAGE_BURN = BURNS['page-burn'];

/** What a `next` command does in the state the incident is in: mostly what moves it on. */
function nextAction(state: string, { sli, burn, choice }: Extract<Command, { kind: 'next' }>): Action {
  const healthy = send({ type: 'SLI_SAMPLE', sli: Math.max(sli, 0.99), burn });
  switch (state) {
    case 'watching':
      return send({
        type: choice % 2 === 0 ? 'SLI_SAMPLE' : 'ALERTS',
        sli,
        burn: choice % 3 === 0 ? burn : PAGE_BURN,
      });
    case 'page':
    case 'ticket':
      return choice % 4 === 0 ? send({ type: 'SLI_SAMPLE', sli, burn }) : send({ type: 'ACK' });
    case 'mitigate.running':
      return (
        [done('play', playOutput(false)), failure('play'), LONG_WAIT][choice % 6] ??
        done('play', playOutput(true))
      );
    case 'mitigate.settling':
    case 'verify':
      return [LONG_WAIT, send({ type: 'SLI_SAMPLE', sli, burn })][choice % 4] ?? healthy;
    case 'learn':
      return (
        [done('postmortem', learnOutput(false)), failure('postmortem')][choice % 4] ??
        done('postmortem', learnOutput(true))
      );
    case 'ship':
      return (
        [done('fix', shipOutput('reject')), failure('fix')][choice % 4] ?? done('fix', shipOutput('promote'))
      );
    default:
      return send({ type: 'BOGUS' });
  }
}

/** Carries out a command on the actor; returns what was actually done, or null when nothing was. */
async function apply(harness: ModelActor, cmd: Command): Promise<Action | null> {
  // A finished actor is stopped: XState drops (and warns about) anything sent to it.
  if (harness.actor.getSnapshot().status !== 'active') return null;
  const action = cmd.kind === 'next' ? nextAction(stateName(harness.actor.getSnapshot().value), cmd) : cmd;
  if (action.kind === 'send') harness.actor.send(action.event);
  else if (action.kind === 'wait') harness.clock.increment(action.minutes);
  else if (harness.actors.settle(action.id, action.outcome, action.value)) await flush();
  return action;
}

const inputFor = (config: Setup, clock: SimulatedClock) => ({
  id: 'INC-1',
  service: 'answers',
  type: 'quality-regression',
  objective: 0.99,
  policy: DEFAULT_POLICY,
  runbook: config.runbook,
  severityFor: { page: 'sev1' as const, ticket: config.ticketSeverity },
  settleMinutes: config.settleMinutes,
  verifyMinutes: config.verifyMinutes,
  ops: fakeOps(clock),
});

const MILESTONE_ORDER = ['opened', 'detected', 'acknowledged', 'mitigated', 'resolved'] as const;

/**
 * The invariants, after one step. `entered` lists the states the step passed through (one per
 * microstep, transient ones included), preceded by the state the step started in.
 */
function checkStep(
  at: string,
  action: Action,
  entered: string[],
  before: IncidentContext,
  after: IncidentContext,
) {
  for (let k = 1; k < entered.length; k++) {
    const [from, to] = [entered[k - 1], entered[k]];
    if (to === 'resolved') expect(from, `${at}: resolved only through verify`).toBe('verify');
    if (to === 'verify' && from !== 'verify') expect(from, `${at}: verify only after ship`).toBe('ship');
  }
  const state = entered.at(-1);
  if (after.milestones.resolved !== undefined) {
    expect(state, `${at}: only a resolved incident has a resolved milestone`).toBe('resolved');
  }
  if (after.severity === 'sev1' && before.severity !== 'sev1') {
    expect(firesPage(action), `${at}: sev1 only on a sample whose page pair fires`).toBe(true);
  }
  const times = MILESTONE_ORDER.map((name) => after.milestones[name]).filter((t) => t !== undefined);
  expect(times, `${at}: milestones in lifecycle order`).toEqual([...times].sort((a, b) => a - b));
}

describe('incident machine under random event sequences', () => {
  it(`keeps its invariants after every step (${RUNS} runs)`, async () => {
    const ended = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        setup,
        fc.array(command, { maxLength: 60, size: 'medium' }),
        async (config, commands) => {
          const microsteps: string[] = [];
          const harness = startModelActor('incident', {
            input: (clock) => inputFor(config, clock),
            inspect: (event) => {
              if (event.type === '@xstate.microstep' && event.actorRef.sessionId === event.rootId) {
                microsteps.push(stateName((event.snapshot as unknown as { value: unknown }).value));
              }
            },
          });
          try {
            for (const [i, cmd] of commands.entries()) {
              const before = harness.actor.getSnapshot();
              const seen = microsteps.length;
              const action = await apply(harness, cmd);
              if (!action) break;
              const after = harness.actor.getSnapshot();
              expect(after.status, `step ${i + 1}: the actor never errors`).not.toBe('error');
              checkStep(
                `step ${i + 1} (${JSON.stringify(action)})`,
                action,
                [stateName(before.value), ...microsteps.slice(seen)],
                before.context as IncidentContext,
                after.context as IncidentContext,
              );
            }
          } finally {
            const state = stateName(harness.actor.getSnapshot().value);
            ended.set(state, (ended.get(state) ?? 0) + 1);
            harness.actor.stop();
          }
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
    // The properties above say little if no sequence gets that far.
    if (RUNS >= 500) {
      expect(ended.get('resolved'), 'runs that end resolved').toBeGreaterThan(RUNS / 20);
      expect(ended.get('escalated'), 'runs that end escalated').toBeGreaterThan(RUNS / 20);
    }
  });
});
