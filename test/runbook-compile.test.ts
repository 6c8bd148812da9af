// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook templates are `${{ ... }}` text, not JavaScript
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import type { PlayInput, PlayOps, PlayOutput } from '../machines/play.js';
import { compileRunbook, type RunbookInput, retryDelay } from '../machines/runbook.js';
import type { FlowStep, PlayStepSpec, RunbookSpec } from '../machines/runbook-spec.js';
import { InputError } from '../src/toolkit/errors.js';
import { checkPlays, loadScenario, parseScenario } from '../src/world/scenario.js';

/** The runbook language read from YAML and compiled to a machine of its own, run on a simulated clock. */

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

const play = (over: Partial<PlayStepSpec> & { name: string }): PlayStepSpec => ({
  kind: 'play',
  play: 'fix',
  with: {},
  timeout: 10,
  retries: 0,
  delay: 0,
  backoff: null,
  retryOn: ['failure', 'timeout'],
  onFailure: 'escalate',
  ...over,
});

/** Runs a runbook with plays that answer as `answer` says; returns the actor, its clock and what each play got. */
function run(
  steps: FlowStep[],
  answer: (input: PlayInput) => PlayOutput | Promise<PlayOutput>,
  over: Partial<RunbookInput> = {},
) {
  const spec: RunbookSpec = { name: 'test', steps };
  const clock = new SimulatedClock();
  const calls: PlayInput[] = [];
  const notices: string[] = [];
  const logic = fromPromise<PlayOutput, PlayInput>(async ({ input }) => {
    calls.push(input);
    return answer(input);
  });
  const names = [...new Set(steps.flatMap((s) => ('play' in s ? [s.play] : [])))];
  const machine = compileRunbook(spec).provide({
    actors: Object.fromEntries(names.map((n) => [n, logic])) as never,
  });
  const input: RunbookInput = {
    incident: { id: 'INC-5', service: 'checkout', type: 'test', severity: 'sev1', labels: { region: 'eu' } },
    objective: 0.99,
    settleMinutes: 5,
    epochMinute: 0,
    sli: 0.8,
    ops: { now: () => clock.now(), notify: (n) => notices.push(`${n.step}: ${n.text}`) },
    playOps: {} as PlayOps,
    ...over,
  };
  const actor = createActor(machine, { input, clock }).start();
  return { actor, clock, calls, notices };
}

describe('the runbook schema', () => {
  it('reads a runbook of named steps into a flow and leaves flat lists as they were', () => {
    const s = loadScenario('scenarios/checkout-approval.yaml');
    const type = s.incidentTypes[0];
    expect(type?.runbook).toEqual([]);
    expect(type?.flow?.steps.map((step) => [step.name, step.kind])).toEqual([
      ['restart', 'play'],
      ['approve-rollback', 'approve'],
      ['rollback', 'play'],
      ['tell', 'notify'],
    ]);
    // The role is expanded to the roster names that hold it.
    expect(type?.flow?.steps[1]).toMatchObject({ approvers: ['Alice Chen'], count: 1, timeout: 15 });
    const flat = loadScenario('scenarios/stock-shift.yaml').incidentTypes[0];
    expect(flat?.flow).toBeUndefined();
    expect(flat?.runbook).toEqual([
      { play: 'rollback', timeout: 10, retries: 0, onFailure: 'next', with: {} },
    ]);
  });

  const base = readFileSync('scenarios/checkout-approval.yaml', 'utf8');
  // The steps replaced, and on-call's answer to the gate they no longer have with them.
  const withSteps = (steps: string) =>
    base
      .replace(/ {2}approvals:\n {4}approve-rollback: .*\n/, '  approvals: {}\n')
      .replace(/ {4}runbook:\n {6}steps:\n[\s\S]*? {4}fix:/, `    runbook:\n      steps:\n${steps}    fix:`);
  const refuse = (steps: string, field: RegExp, message: RegExp) => {
    let error: unknown;
    try {
      parseScenario(withSteps(steps), 'scenarios/checkout-approval.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const text = (error as InputError).format();
    expect(text).toMatch(field);
    expect(text).toMatch(message);
    expect(text).toContain('checkout-approval.yaml');
  };

  it('refuses an approval gate without a timeout exit', () => {
    refuse(
      '        - { name: ask, approve: { approvers: [Alice Chen], message: ok?, timeout: 5 } }\n',
      /incidentTypes\[0\]\.runbook\.steps\[0\]\.approve\.onTimeout/,
      /./,
    );
    refuse(
      '        - { name: ask, approve: { approvers: [Alice Chen], message: ok?, onTimeout: escalate } }\n',
      /steps\[0\]\.approve\.timeout/,
      /./,
    );
    refuse(
      '        - { name: ask, approve: { approvers: [Alice Chen], message: ok?, timeout: 5, onTimeout: ask } }\n',
      /steps\[0\]\.approve\.onTimeout/,
      /must lead out of the gate/,
    );
  });

  it('refuses unknown targets, approvers off the roster, templates that look ahead and loops that never wait', () => {
    refuse(
      '        - { name: a, play: rollback, next: nowhere }\n',
      /steps\[0\]\.next/,
      /unknown step "nowhere"/,
    );
    refuse(
      '        - { name: ask, approve: { approvers: [Zed], message: ok?, timeout: 5, onTimeout: escalate } }\n',
      /approvers\[0\]/,
      /neither on the roster/,
    );
    refuse(
      '        - { name: a, play: rollback, with: { to: "${{ steps.b.outputs.x }}" } }\n        - { name: b, play: rollback }\n',
      /steps\[0\]\.with/,
      /must name an earlier step/,
    );
    refuse(
      '        - { name: a, notify: { message: hi }, next: b }\n        - { name: b, notify: { message: ho }, next: a }\n',
      /steps\[\d\]\.next/,
      /loop without waiting/,
    );
    const unknown = parseScenario(withSteps('        - { name: a, play: reboot }\n'), 'scenarios/x.yaml');
    const error = (() => {
      try {
        checkPlays(unknown, ['rollback', 'reindex'], 'x.yaml');
      } catch (e) {
        return (e as InputError).format();
      }
      return '';
    })();
    expect(error).toMatch(/incidentTypes\[0\]\.runbook\.steps\[0\]\.play: unknown play "reboot"/);
  });
});

describe("on-call's answers to approval gates", () => {
  it.each([
    [
      'a gate no runbook has',
      '    nope: { answer: approve }\n',
      /oncall\.approvals\.nope: no runbook has an approval gate named "nope"/,
    ],
    [
      'someone who may not answer it',
      '    approve-rollback: { answer: approve, by: Bob Okafor }\n',
      /oncall\.approvals\.approve-rollback\.by: "Bob Okafor" may not answer/,
    ],
  ])('refuses answers for %s', (_, approvals, message) => {
    const text = `extends: checkout-approval.yaml\nname: t\noncall:\n  approvals:\n${approvals}`;
    let error = '';
    try {
      parseScenario(text, 'scenarios/t.yaml');
    } catch (e) {
      error = (e as InputError).format();
    }
    expect(error).toMatch(message);
    expect(error).toContain('scenarios/t.yaml');
  });
});

describe('a compiled runbook', () => {
  it('retries a failed play after its delay, growing by the backoff factor up to the cap', async () => {
    const step = play({ name: 'fix', retries: 3, delay: 2, backoff: { factor: 3, cap: 10 } });
    expect([1, 2, 3].map((tries) => retryDelay(step, tries))).toEqual([2, 6, 10]);
    const { actor, clock, calls } = run([step], () => ({ ok: false, detail: 'nope' }));
    await flush();
    const startedAt = () => actor.getSnapshot().context.plays.map((p) => p.startedAt);
    expect(startedAt()).toEqual([0]);
    for (const minutes of [2, 6, 10]) {
      clock.increment(minutes - 1);
      await flush();
      expect(calls.length).toBeLessThan(startedAt().length + 1);
      clock.increment(1);
      await flush();
    }
    expect(startedAt()).toEqual([0, 2, 8, 18]);
    expect(calls.map((c) => c.key)).toEqual(['INC-5/1/1', 'INC-5/1/2', 'INC-5/1/3', 'INC-5/1/4']);
    expect(actor.getSnapshot().value).toBe('escalated');
    expect(actor.getSnapshot().output?.why).toMatch(/fix failed \(nope\) and its step says escalate/);
  });

  it('retries only what retryOn names: a timeout is not retried when only failures are', async () => {
    const { actor, clock } = run(
      [play({ name: 'fix', retries: 2, retryOn: ['failure'], timeout: 3 })],
      () => new Promise(() => {}),
    );
    await flush();
    clock.increment(3);
    await flush();
    expect(actor.getSnapshot().context.plays.map((p) => p.outcome)).toEqual(['timeout']);
    expect(actor.getSnapshot().value).toBe('escalated');
  });

  it('skips a step whose when does not hold and passes outputs to later steps through templates', async () => {
    const steps: FlowStep[] = [
      play({ name: 'diagnose', play: 'probe' }),
      play({ name: 'only-sev2', when: { severity: ['sev2'] } }),
      play({
        name: 'act',
        when: { output: { step: 'diagnose', key: 'cause', equals: 'deploy' } },
        with: { target: '${{ steps.diagnose.outputs.release }} in ${{ incident.labels.region }}' },
      }),
    ];
    const { actor, calls } = run(steps, (input) =>
      input.step.play === 'probe'
        ? ({ ok: true, detail: 'found', outputs: { cause: 'deploy', release: 'v2' } } as PlayOutput)
        : { ok: true, detail: 'done' },
    );
    await flush();
    await flush();
    expect(calls.map((c) => [c.key, c.step.with])).toEqual([
      ['INC-5/1/1', {}],
      ['INC-5/3/1', { target: 'v2 in eu' }],
    ]);
    expect(actor.getSnapshot().value).toBe('settle');
    actor.send({ type: 'SLI_SAMPLE', sli: 0.995 });
    expect(actor.getSnapshot().value).toBe('resolved');
    expect(actor.getSnapshot().output?.plays.map((p) => p.outcome)).toEqual(['success', 'recovered']);
  });

  it('fans out one item at a time under its own key and stops once more than maxFailures fail', async () => {
    const fan: FlowStep = {
      kind: 'parallel',
      name: 'restart',
      play: 'restart',
      with: { region: '${{ item }}' },
      items: ['a', 'b', 'c', 'd'],
      concurrency: 1,
      maxFailures: 1,
      timeout: 60,
      onFailure: 'escalate',
    };
    const running: number[] = [];
    let now = 0;
    const { actor, calls } = run([fan], async (input) => {
      running.push(++now);
      const ok = input.item === 'a';
      return { ok, detail: `${input.item} ${ok ? 'up' : 'down'}` };
    });
    for (let i = 0; i < 6; i++) await flush();
    expect(calls.map((c) => [c.key, c.step.with])).toEqual([
      ['INC-5/1/1/a', { region: 'a' }],
      ['INC-5/1/1/b', { region: 'b' }],
      ['INC-5/1/1/c', { region: 'c' }],
    ]);
    expect(actor.getSnapshot().value).toBe('escalated');
    expect(actor.getSnapshot().output?.why).toMatch(/2 of 4 items failed \(at most 1 may\)/);
  });

  it('runs up to concurrency items at once', async () => {
    const fan: FlowStep = {
      kind: 'parallel',
      name: 'restart',
      play: 'restart',
      with: {},
      items: ['a', 'b', 'c', 'd', 'e'],
      concurrency: 2,
      maxFailures: 0,
      timeout: 60,
      onFailure: 'escalate',
    };
    const { actor } = run([fan], () => new Promise(() => {}));
    await flush();
    expect(Object.keys(actor.getSnapshot().children).sort()).toEqual(['item:restart:0', 'item:restart:1']);
  });

  it('sends a notify step to the outbox without waiting, its message templated', async () => {
    const { actor, notices } = run(
      [
        {
          kind: 'notify',
          name: 'tell',
          channel: 'chat',
          message: '${{ incident.id }} on ${{ incident.service }}',
        },
      ],
      () => ({ ok: true, detail: '' }),
    );
    expect(notices).toEqual(['tell: INC-5 on checkout']);
    expect(actor.getSnapshot().value).toBe('settle');
  });
});
