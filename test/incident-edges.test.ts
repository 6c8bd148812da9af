import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import {
  type IncidentInput,
  incidentMachine,
  isPlayOutput,
  type LearnInput,
  type LearnOutput,
  misreport,
  type ShipInput,
  type ShipOutput,
  thrown,
} from '../machines/incident.js';
import type { PlayInput, PlayOutput, RunbookStep } from '../machines/play.js';
import { BURNS, fakeOps } from '../src/views/model.js';

// The incident machine driven event by event with plays, a postmortem and a ship step that the test
// scripts: what it records (milestones, play records, their details, why it escalated) at each step.

type Script = (input: PlayInput) => Promise<PlayOutput> | PlayOutput;

const STEP: RunbookStep = { play: 'rollback', timeout: 30, retries: 0, onFailure: 'next', with: {} };

const GOOD_LEARN: LearnOutput = {
  accepted: true,
  findings: [],
  markdown: '# pm',
  regressionCases: [{ id: 'reg-INC-1-q1', topic: 't', question: 'q?', expected: 'a' }],
};

interface Options {
  runbook?: RunbookStep[];
  plays?: Record<string, Script>;
  learn?: (input: LearnInput) => Promise<LearnOutput>;
  ship?: (input: ShipInput) => Promise<ShipOutput>;
  /** Leave writePostmortem and shipFix to the machine's own placeholders. */
  unprovided?: boolean;
}

function start(options: Options = {}) {
  const clock = new SimulatedClock();
  const seen: { plays: PlayInput[]; learn: LearnInput[]; ship: ShipInput[] } = {
    plays: [],
    learn: [],
    ship: [],
  };
  const play = (name: string) =>
    fromPromise<PlayOutput, PlayInput>(async ({ input }) => {
      seen.plays.push(input);
      const script = options.plays?.[name] ?? (() => ({ ok: true, detail: `${name} done` }));
      return script(input);
    });
  const steps = {
    writePostmortem: fromPromise<LearnOutput, LearnInput>(async ({ input }) => {
      seen.learn.push(input);
      return options.learn ? options.learn(input) : GOOD_LEARN;
    }),
    shipFix: fromPromise<ShipOutput, ShipInput>(async ({ input }) => {
      seen.ship.push(input);
      return options.ship
        ? options.ship(input)
        : { candidate: 'v4', verdict: 'promote', reasons: [], live: 'v4' };
    }),
  };
  const machine = incidentMachine.provide({
    actors: {
      rollback: play('rollback'),
      reindex: play('reindex'),
      ...(options.unprovided ? {} : steps),
    },
  });
  const input: IncidentInput = {
    id: 'INC-1',
    service: 'answers',
    type: 'quality-regression',
    objective: 0.99,
    policy: [
      { severity: 'page', long: '1h', short: '5m', threshold: 14.4 },
      { severity: 'ticket', long: '1d', short: '2h', threshold: 3 },
    ],
    runbook: options.runbook ?? [STEP],
    severityFor: { page: 'sev2', ticket: 'sev4' },
    settleMinutes: 5,
    verifyMinutes: 10,
    ops: fakeOps(clock),
  };
  const actor = createActor(machine, { clock, input }).start();
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const at = async (minute: number) => {
    clock.increment(minute - clock.now());
    await settle();
  };
  return {
    actor,
    seen,
    at,
    settle,
    state: () => actor.getSnapshot().value,
    context: () => actor.getSnapshot().context,
    sample: (sli: number, burn = BURNS['no-burn']) => actor.send({ type: 'SLI_SAMPLE', sli, burn }),
  };
}

/** Pages at minute 2 and is acknowledged at minute 4; the first play then runs. */
async function pagedAndAcked(options: Options = {}) {
  const incident = start(options);
  await incident.at(2);
  incident.actor.send({ type: 'ALERTS', sli: 0.8, burn: BURNS['page-burn'] });
  await incident.at(4);
  incident.actor.send({ type: 'ACK' });
  await incident.settle();
  return incident;
}

describe('detection', () => {
  it('pages with the scenario page severity, noting the firing pairs and the minute', async () => {
    const { actor, at, context, state } = start();
    await at(3);
    actor.send({ type: 'ALERTS', sli: 0.8, burn: BURNS['page-burn'] });
    expect(state()).toBe('page');
    expect(context().severity).toBe('sev2');
    expect(context().detection).toEqual({
      sli: 0.8,
      burn: BURNS['page-burn'],
      firing: ['page:1h/5m', 'ticket:1d/2h'],
    });
    expect(context().milestones).toEqual({ opened: 0, detected: 3, paged: 3 });
  });

  it('tickets a slow burn with the ticket severity, then pages it when the burn speeds up, keeping the detection minute', async () => {
    const { actor, at, context, state, sample } = start();
    await at(1);
    actor.send({ type: 'ALERTS', sli: 0.97, burn: BURNS['ticket-burn'] });
    expect(state()).toBe('ticket');
    expect(context().severity).toBe('sev4');
    expect(context().detection?.firing).toEqual(['ticket:1d/2h']);
    expect(context().milestones).toEqual({ opened: 0, detected: 1 });
    await at(9);
    sample(0.97, BURNS['ticket-burn']);
    expect(state()).toBe('ticket');
    sample(0.8, BURNS['page-burn']);
    expect(state()).toBe('page');
    expect(context().severity).toBe('sev2');
    expect(context().milestones).toEqual({ opened: 0, detected: 1, paged: 9 });
    expect(context().sli).toBe(0.8);
  });

  it('keeps watching on a sample below every threshold, and on alerts that carry no burn', () => {
    const { actor, context, state, sample } = start();
    sample(0.995);
    expect(state()).toBe('watching');
    expect(context().sli).toBe(0.995);
    actor.send({ type: 'ALERTS', sli: null, burn: null });
    expect(state()).toBe('watching');
    expect(context().detection).toBeNull();
    sample(0.8, BURNS['page-burn']);
    expect(state()).toBe('page');
  });
});

describe('mitigation', () => {
  it('runs the first play with the incident, its step, attempt 1 and its key, and records it running', async () => {
    const never = () => new Promise<PlayOutput>(() => {});
    const { seen, context, state } = await pagedAndAcked({ plays: { rollback: never } });
    expect(state()).toEqual({ mitigate: 'running' });
    expect(context().milestones.acknowledged).toBe(4);
    expect(seen.plays[0]).toMatchObject({
      incident: { id: 'INC-1', service: 'answers', type: 'quality-regression' },
      step: STEP,
      attempt: 1,
      key: 'INC-1/1/1',
    });
    expect(context().plays).toEqual([
      {
        step: 0,
        play: 'rollback',
        attempt: 1,
        startedAt: 4,
        outcome: 'running',
        detail: '',
        sliBefore: 0.8,
        sliAfter: null,
      },
    ]);
  });

  it('records the recovery with the play detail and the SLI that showed it', async () => {
    const incident = await pagedAndAcked();
    expect(incident.state()).toEqual({ mitigate: 'settling' });
    await incident.at(6);
    incident.sample(0.98);
    expect(incident.state()).toEqual({ mitigate: 'settling' });
    incident.sample(0.99);
    await incident.settle();
    expect(incident.context().milestones.mitigated).toBe(6);
    expect(incident.context().plays.at(-1)).toMatchObject({
      outcome: 'recovered',
      detail: 'rollback done',
      sliAfter: 0.99,
    });
  });

  it('gives a play that succeeds but does not bring the SLI back the settle window, then tries the next step', async () => {
    const runbook = [STEP, { ...STEP, play: 'reindex' }];
    const incident = await pagedAndAcked({ runbook });
    await incident.at(8);
    expect(incident.state()).toEqual({ mitigate: 'settling' });
    await incident.at(9);
    expect(incident.context().plays[0]).toMatchObject({
      outcome: 'no-recovery',
      detail: 'rollback done; SLI still below objective after 5 min',
    });
    expect(incident.context().plays[1]).toMatchObject({ play: 'reindex', step: 1, attempt: 1, startedAt: 9 });
    expect(incident.seen.plays[1]?.key).toBe('INC-1/2/1');
  });

  it('retries a failed play as often as its step says, with a new key each try', async () => {
    const runbook = [{ ...STEP, retries: 1 }];
    const incident = await pagedAndAcked({
      runbook,
      plays: { rollback: () => ({ ok: false, detail: 'no' }) },
    });
    await incident.settle();
    expect(incident.seen.plays.map((play) => play.key)).toEqual(['INC-1/1/1', 'INC-1/1/2']);
    expect(incident.context().plays.map((play) => [play.attempt, play.outcome, play.detail])).toEqual([
      [1, 'failure', 'no'],
      [2, 'failure', 'no'],
    ]);
    expect(incident.state()).toBe('escalated');
    expect(incident.context().escalation).toBe('runbook used up: rollback; SLI still below objective');
  });

  it('records a report without a detail as an empty detail, and a misreport as what the play said', async () => {
    const runbook = [STEP, { ...STEP, play: 'reindex' }];
    const plays: Record<string, Script> = {
      rollback: () => ({ ok: false }) as PlayOutput,
      reindex: () => ({ ok: 'yes' }) as unknown as PlayOutput,
    };
    const incident = await pagedAndAcked({ runbook, plays });
    await incident.settle();
    expect(incident.context().plays.map((play) => [play.outcome, play.detail])).toEqual([
      ['failure', ''],
      ['failure', 'the play reported {"ok":"yes"}; a play must return { ok, detail }'],
    ]);
    expect(incident.context().escalation).toBe(
      'runbook used up: rollback, reindex; SLI still below objective',
    );
  });

  it('records what a play threw, and a play that never reports as timed out after its timeout', async () => {
    const runbook = [STEP, { ...STEP, play: 'reindex', timeout: 20 }];
    const plays: Record<string, Script> = {
      rollback: () => {
        throw new Error('boom');
      },
      reindex: () => new Promise<PlayOutput>(() => {}),
    };
    const incident = await pagedAndAcked({ runbook, plays });
    await incident.at(23);
    expect(incident.state()).toEqual({ mitigate: 'running' });
    await incident.at(24);
    expect(incident.context().plays.map((play) => [play.outcome, play.detail])).toEqual([
      ['failure', 'the play threw: boom'],
      ['timeout', 'no report within 20 min'],
    ]);
    expect(incident.context().milestones.escalated).toBe(24);
  });

  it('escalates at once when a failed step says so, naming the play', async () => {
    const runbook = [
      { ...STEP, onFailure: 'escalate' as const },
      { ...STEP, play: 'reindex' },
    ];
    const incident = await pagedAndAcked({
      runbook,
      plays: { rollback: () => ({ ok: false, detail: 'x' }) },
    });
    await incident.settle();
    expect(incident.state()).toBe('escalated');
    expect(incident.context().escalation).toBe('rollback failed and its step says escalate');
    expect(incident.seen.plays).toHaveLength(1);
  });

  it('escalates an incident whose runbook has no plays, saying so', async () => {
    const incident = await pagedAndAcked({ runbook: [] });
    // No step, so no play and no timeout of its own: the step fails when the clock next moves.
    await incident.at(5);
    expect(incident.state()).toBe('escalated');
    expect(incident.context().escalation).toBe('runbook used up: no plays; SLI still below objective');
    expect(incident.context().plays).toEqual([]);
  });
});

async function mitigated(options: Options = {}) {
  const incident = await pagedAndAcked(options);
  incident.sample(0.995);
  await incident.settle();
  await incident.settle();
  return incident;
}

describe('learn, ship, verify', () => {
  it('hands the postmortem what happened and the ship step its regression cases, then soaks to resolved', async () => {
    const incident = await mitigated();
    expect(incident.seen.learn[0]).toMatchObject({
      incidentId: 'INC-1',
      service: 'answers',
      type: 'quality-regression',
      severity: 'sev2',
      objective: 0.99,
      milestones: { opened: 0, detected: 2, paged: 2, acknowledged: 4, mitigated: 4 },
    });
    expect(incident.seen.learn[0]?.plays).toHaveLength(1);
    expect(incident.seen.ship).toEqual([
      { incidentId: 'INC-1', regressionCases: GOOD_LEARN.regressionCases },
    ]);
    expect(incident.state()).toBe('verify');
    expect(incident.context().learn).toEqual(GOOD_LEARN);
    expect(incident.context().ship?.live).toBe('v4');
    await incident.at(13);
    incident.sample(0.99);
    expect(incident.state()).toBe('verify');
    await incident.at(14);
    expect(incident.state()).toBe('resolved');
    expect(incident.context().milestones.resolved).toBe(14);
  });

  it('escalates when the SLI falls while verifying, with the numbers and what is live', async () => {
    const incident = await mitigated();
    incident.sample(0.8);
    expect(incident.state()).toBe('escalated');
    expect(incident.context().escalation).toBe('SLI fell to 80.0% (< 99.0%) while verifying v4');
  });

  it('goes on to ship with no cases when the postmortem fails, and to verify when shipping fails', async () => {
    const incident = await mitigated({
      learn: async () => {
        throw new Error('no draft');
      },
      ship: async () => {
        throw 'canary down';
      },
    });
    expect(incident.context().learn).toEqual({
      accepted: false,
      findings: [],
      markdown: '',
      regressionCases: [],
      error: 'no draft',
    });
    expect(incident.seen.ship).toEqual([{ incidentId: 'INC-1', regressionCases: [] }]);
    expect(incident.context().ship).toEqual({
      candidate: null,
      verdict: 'none',
      reasons: ['ship failed: canary down'],
      live: 'v2',
    });
    incident.sample(0.5);
    expect(incident.context().escalation).toBe('SLI fell to 50.0% (< 99.0%) while verifying v2');
  });

  it('words a postmortem that threw something other than an Error, and a ship step that threw an Error', async () => {
    const incident = await mitigated({
      learn: async () => {
        throw 42;
      },
      ship: async () => {
        throw new Error('no canary');
      },
    });
    expect(incident.context().learn?.error).toBe('42');
    expect(incident.context().ship?.reasons).toEqual(['ship failed: no canary']);
  });
});

describe("a play's report, checked and worded", () => {
  it('is a report when ok is a boolean and the detail a string or left out', () => {
    expect(isPlayOutput({ ok: true })).toBe(true);
    expect(isPlayOutput({ ok: false, detail: 'x' })).toBe(true);
    expect(isPlayOutput({ ok: true, detail: 5 })).toBe(false);
    expect(isPlayOutput({ ok: 'true' })).toBe(false);
    expect(isPlayOutput(null)).toBe(false);
    expect(isPlayOutput(true)).toBe(false);
    // A function with an ok property is still no report: a play must return an object.
    expect(isPlayOutput(Object.assign(() => true, { ok: true }))).toBe(false);
  });

  it('quotes what a play reported, at most 80 characters of it', () => {
    expect(misreport(undefined)).toBe('the play reported undefined; a play must return { ok, detail }');
    expect(misreport(() => 1)).toBe('the play reported () => 1; a play must return { ok, detail }');
    expect(misreport('x'.repeat(100))).toBe(
      `the play reported "${'x'.repeat(79)}; a play must return { ok, detail }`,
    );
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(misreport(loop)).toBe('the play reported object; a play must return { ok, detail }');
  });

  it('words whatever a play threw', () => {
    expect(thrown(new Error('boom'))).toBe('boom');
    expect(thrown('text')).toBe('text');
    expect(thrown(null)).toBe('null');
    expect(thrown(Object.create(null))).toBe('object');
  });
});

describe('steps that report nothing, or are not provided', () => {
  it('ships with no regression cases when the postmortem resolves with nothing', async () => {
    const incident = await mitigated({ learn: async () => undefined as unknown as LearnOutput });
    expect(incident.seen.ship).toEqual([{ incidentId: 'INC-1', regressionCases: [] }]);
    expect(incident.state()).toBe('verify');
  });

  it("names 'live' when the ship step resolved with nothing and the SLI falls while verifying", async () => {
    const incident = await mitigated({ ship: async () => undefined as unknown as ShipOutput });
    incident.sample(0.5);
    expect(incident.state()).toBe('escalated');
    expect(incident.context().escalation).toBe('SLI fell to 50.0% (< 99.0%) while verifying live');
  });

  it('records, as their failures, a postmortem and a ship step that were never provided', async () => {
    const incident = await mitigated({ unprovided: true });
    await incident.settle();
    expect(incident.state()).toBe('verify');
    expect(incident.context().learn).toEqual({
      accepted: false,
      findings: [],
      markdown: '',
      regressionCases: [],
      error: 'writePostmortem is not provided: pass it with machine.provide({ actors: { writePostmortem } })',
    });
    expect(incident.context().ship?.reasons).toEqual([
      'ship failed: shipFix is not provided: pass it with machine.provide({ actors: { shipFix } })',
    ]);
  });
});
