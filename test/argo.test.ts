import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readArgo, readStrategy, substituteArgs } from '../src/toolkit/argo.js';
import { InputError } from '../src/toolkit/errors.js';

const FILE = 'examples/argo/agent-rollout.yaml';

const rollout = (canary: string, extra = '') => `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: { name: app }
spec:
${extra}  strategy:
    canary:
${canary}
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: { name: success-rate }
spec:
  args:
    - name: service-name
  metrics:
    - name: success-rate
      interval: 20s
      count: 3
      successCondition: result[0] >= 0.95
      failureLimit: 3
      provider:
        prometheus:
          address: http://prometheus:9090
          query: sum(rate(ok{svc="{{args.service-name}}"}[1m])) / sum(rate(all{svc="{{args.service-name}}"}[1m]))
`;

function refusal(read: () => unknown): InputError {
  try {
    read();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('readArgo', () => {
  it('reads the example Rollout and its AnalysisTemplates, warning of every field not acted on', () => {
    const { strategy, warnings } = readArgo(readFileSync(FILE, 'utf8'), FILE);
    expect(strategy.steps).toEqual([
      { setWeight: 20 },
      { pause: { minutes: 5 } },
      { analysis: { templates: ['agent-judge'], args: {} } },
      { setWeight: 50 },
      { pause: { minutes: 5 } },
      { analysis: { templates: ['agent-judge'], args: {} } },
    ]);
    expect(strategy).toMatchObject({
      progressDeadline: 5,
      progressDeadlineAbort: true,
      background: { templates: ['agent-background'], startingStep: 1 },
    });
    expect(strategy.templates.map((t) => t.name)).toEqual(['agent-background', 'agent-judge']);
    expect(strategy.templates[0]?.metrics[0]).toMatchObject({
      interval: 2,
      count: null,
      initialDelay: 1,
      failureLimit: 1,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 4,
      provider: { kind: 'sli', sli: 'quality', of: 'service' },
    });
    expect(warnings).toEqual([
      `${FILE}: spec.replicas is not acted on (the deploy system owns it)`,
      `${FILE}: spec.selector is not acted on (the deploy system owns it)`,
      `${FILE}: spec.template is not acted on (the deploy system owns it)`,
      `${FILE}: spec.strategy.canary.canaryService is not acted on`,
      `${FILE}: spec.strategy.canary.stableService is not acted on`,
      `${FILE}: spec.strategy.canary.trafficRouting is not acted on`,
    ]);
  });

  it("takes Argo's defaults and reads durations into whole minutes, rounding up", () => {
    const { strategy } = readArgo(
      rollout(`      steps:
        - setWeight: 10
        - pause: { duration: 90 }
        - pause: { duration: 1h30m }
        - pause: {}
        - analysis: { templates: [{ templateName: success-rate }], args: [{ name: service-name, value: app }] }`),
      'a.yaml',
    );
    expect(strategy.steps.slice(1, 4)).toEqual([
      { pause: { minutes: 2 } },
      { pause: { minutes: 90 } },
      { pause: { minutes: null } },
    ]);
    expect(strategy).toMatchObject({ progressDeadline: 10, progressDeadlineAbort: false, background: null });
    const [metric] = strategy.templates[0]?.metrics ?? [];
    expect(metric).toMatchObject({
      interval: 1,
      count: 3,
      failureLimit: 3,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 4,
    });
    expect(metric?.provider).toMatchObject({ kind: 'prometheus', address: 'http://prometheus:9090' });
    const query = metric?.provider.kind === 'prometheus' ? metric.provider.query : '';
    expect(substituteArgs(query, { 'service-name': 'app' })).toBe(
      'sum(rate(ok{svc="app"}[1m])) / sum(rate(all{svc="app"}[1m]))',
    );
  });

  it('warns of steps it skips and providers it cannot run', () => {
    const text = rollout(`      steps:
        - setCanaryScale: { replicas: 1 }
        - experiment: { templates: [] }
        - setWeight: 10`).replace(/prometheus:[\s\S]*$/, 'job: { spec: {} }\n');
    const { strategy, warnings } = readArgo(text, 'a.yaml');
    expect(strategy.steps).toEqual([{ setWeight: 10 }]);
    expect(warnings).toContain(
      'a.yaml: spec.strategy.canary.steps[0].setCanaryScale is not acted on (the step is skipped)',
    );
    expect(warnings).toContain(
      'a.yaml: spec.strategy.canary.steps[1].experiment is not acted on (the step is skipped)',
    );
    expect(warnings).toContain(
      'a.yaml: AnalysisTemplate success-rate.spec.metrics[0].provider.job cannot be run here: its measurements are errors',
    );
    expect(strategy.templates[0]?.metrics[0]?.provider).toEqual({ kind: 'unsupported', name: 'job' });
  });

  it('refuses bad input naming the file and the field', () => {
    const missing = refusal(() =>
      readArgo(
        rollout('      steps:\n        - analysis: { templates: [{ templateName: nope }] }'),
        'a.yaml',
      ),
    );
    expect(missing.format()).toBe(
      'runbook: a.yaml: spec.strategy.canary.steps[0]: names the AnalysisTemplate nope, which is not given',
    );
    expect(
      refusal(() => readArgo(rollout('      steps:\n        - setWeight: 120'), 'a.yaml')).format(),
    ).toBe('runbook: a.yaml: spec.strategy.canary.steps[0].setWeight: must be at most 100');
    expect(
      refusal(() => readArgo(rollout('      steps:\n        - pause: { duration: soon }'), 'a.yaml')).field,
    ).toBe('spec.strategy.canary.steps[0].pause.duration');
    expect(
      refusal(() =>
        readArgo(
          'kind: AnalysisTemplate\nmetadata: {name: x}\nspec: {metrics: [{name: m, successCondition: "result >", provider: {web: {url: "http://x"}}}]}',
          'b.yaml',
        ),
      ).format(),
    ).toBe(
      'runbook: b.yaml: AnalysisTemplate x.spec.metrics[0].successCondition: cannot read the condition: unexpected end at 8',
    );
    expect(refusal(() => readArgo('kind: Service\n', 'c.yaml')).message).toBe(
      'holds no Rollout document (kind: Rollout)',
    );
    expect(refusal(() => readArgo('a: [', 'd.yaml')).message).toMatch(/^invalid YAML in document 1/);
  });
});

describe('readStrategy (inline in a scenario)', () => {
  it('reads the same fields under rollout:, with the drill extras', () => {
    const { strategy, warnings } = readStrategy(
      {
        steps: [{ setWeight: 20 }],
        releases: ['v3-fix'],
        inconclusiveTimeout: 15,
        onCall: { inconclusive: 'promote', afterMinutes: 3 },
        templates: [{ name: 't', metrics: [{ name: 'm', provider: { evalSet: {} } }] }],
      },
      's.yaml',
    );
    expect(warnings).toEqual([]);
    expect(strategy).toMatchObject({
      releases: ['v3-fix'],
      inconclusiveTimeout: 15,
      onCall: { inconclusive: 'promote', pause: 'wait', afterMinutes: 3 },
    });
  });

  it('names the field under rollout when it refuses one', () => {
    expect(refusal(() => readStrategy({ onCall: { inconclusive: 'shrug' } }, 's.yaml')).format()).toBe(
      'runbook: s.yaml: rollout.onCall.inconclusive: must be promote, abort or wait',
    );
    expect(refusal(() => readStrategy({ steps: [{ setWeight: 'lots' }] }, 's.yaml')).field).toBe(
      'rollout.steps[0].setWeight',
    );
    expect(readStrategy({ trafficRouting: {} }, 's.yaml').warnings).toEqual([
      's.yaml: rollout.trafficRouting is not acted on',
    ]);
  });
});
