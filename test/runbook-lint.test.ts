import { describe, expect, it } from 'vitest';
import type { FlowStep, PlayStepSpec, RunbookSpec } from '../machines/runbook-spec.js';
import { lintRunbook } from '../src/views/runbook-lint.js';
import { loadScenario } from '../src/world/scenario.js';

/** `runbook lint`: the properties are proven over the compiled machine, and each violation is caught. */

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
const spec = (steps: FlowStep[]): RunbookSpec => ({ name: 'test', steps });

describe('runbook lint', () => {
  it.each([
    ['checkout-approval', 'bad-deploy'],
    ['regional-restart', 'stale-index'],
  ])(
    'proves the %s runbook: every wait has an exit, every path ends, every step is reached, no key reused',
    (scenario, type) => {
      const flow = loadScenario(`scenarios/${scenario}.yaml`).incidentTypes.find(
        (t) => t.name === type,
      )?.flow;
      const report = lintRunbook(flow as RunbookSpec);
      expect(report.violations).toEqual([]);
      expect(report.explored).toBeGreaterThan(10);
    },
  );

  it('finds a run that can never end, with the shortest path to it', () => {
    const report = lintRunbook(spec([play({ name: 'a', next: 'a', onFailure: 'a' })]));
    const never = report.violations.filter((v) => v.rule === 'never-ends');
    expect(never.map((v) => v.state)).toContain('a.run');
    expect(never.find((v) => v.state === 'a.run')?.path).toEqual(['a.check', '-always-> a.run']);
    // Its plays' tries have no bound: the run's states cannot all be explored, and lint says so.
    expect(report.violations.map((v) => v.rule)).toContain('not-explored');
  });

  it('finds a step no step leads to', () => {
    const report = lintRunbook(
      spec([play({ name: 'a', next: 'c' }), play({ name: 'b' }), play({ name: 'c' })]),
    );
    expect(report.violations.map((v) => [v.rule, v.state])).toEqual([['unreachable-step', 'b']]);
  });

  it('finds a gate that can only be left by answering it, and gives the overlay that reaches it', () => {
    // The schema refuses such a gate; lint proves the same over the machine, whatever wrote the spec.
    const gate: FlowStep = {
      kind: 'approve',
      name: 'ask',
      approvers: ['alice'],
      count: 1,
      message: 'ok?',
      timeout: 5,
      onTimeout: 'ask',
      onReject: 'escalate',
    };
    const first: FlowStep = {
      kind: 'approve',
      name: 'first',
      approvers: ['alice'],
      count: 1,
      message: 'go?',
      timeout: 5,
      onTimeout: 'escalate',
      onReject: 'escalate',
    };
    const report = lintRunbook(spec([first, gate, play({ name: 'fix' })]));
    const stuck = report.violations.find((v) => v.rule === 'never-ends' && v.state === 'ask.waiting');
    expect(stuck?.path).toEqual([
      'first.check',
      '-always-> first.waiting',
      '-APPROVE [and]-> ask.check',
      '-always-> ask.waiting',
    ]);
    expect(stuck?.overlay).toBe('oncall:\n  approvals:\n    first: { answer: approve }\n');
  });
});
