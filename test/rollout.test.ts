import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { rolloutMachine } from '../machines/rollout.js';
import { stateName } from '../src/engine/trace.js';
import { type Measurement, type MetricRun, metricPhase, startRun } from '../src/toolkit/analysis.js';
import { readStrategy } from '../src/toolkit/argo.js';
import { DEFAULT_CANARY } from '../src/toolkit/canary.js';
import { canaryReport } from '../src/views/model.js';

// The rollout machine driven event by event on a simulated clock (one unit a minute), as the engine
// drives it: the router's WEIGHT_SET, the world's MEASURED, a human's PROMOTE / ABORT / RETRY.

const metric = (extra: Record<string, unknown> = {}) => ({
  name: 'errors',
  successCondition: 'result[0] <= 0.01',
  failureCondition: 'result[0] > 0.05',
  provider: { sli: { sli: 'quality' } },
  ...extra,
});

const STEPS = [
  { setWeight: 20 },
  { pause: { duration: '5m' } },
  { analysis: { templates: [{ templateName: 'health' }] } },
  { setWeight: 50 },
  { pause: {} },
];

function start(spec: Record<string, unknown> = {}) {
  const { strategy } = readStrategy(
    { steps: STEPS, templates: [{ name: 'health', metrics: [metric()] }], ...spec },
    'test.yaml',
  );
  const clock = new SimulatedClock();
  const actor = createActor(rolloutMachine, {
    clock,
    input: { service: 'agent', initial: 'v2', thresholds: DEFAULT_CANARY, now: () => clock.now(), strategy },
  }).start();
  const state = () => stateName(actor.getSnapshot().value);
  const context = () => actor.getSnapshot().context;
  const wait = (minutes: number) => clock.increment(minutes);
  const measure = (value: number[], run: 'step' | 'background' = 'step', name = 'errors') => {
    const phase =
      value[0] === undefined
        ? 'Inconclusive'
        : value[0] <= 0.01
          ? 'Successful'
          : value[0] > 0.05
            ? 'Failed'
            : 'Inconclusive';
    const measurement: Measurement = { at: clock.now(), phase, value, message: '' };
    actor.send({ type: 'MEASURED', run, measurements: [{ metric: name, measurement }] });
  };
  const deploy = (candidate = 'v3-fix') =>
    actor.send({ type: 'DEPLOY', candidate, report: canaryReport(candidate, 'v2', 0), by: 'INC-1' });
  return { actor, state, context, wait, measure, deploy, clock };
}

describe('the rollout machine', () => {
  it('walks setWeight, a timed pause and an analysis, then waits at an open pause until promoted', () => {
    const r = start();
    r.deploy();
    expect(r.state()).toBe('rollout.weighting');
    expect(r.context().rollout).toMatchObject({ desiredWeight: 20, weight: 0, requestedBy: 'INC-1' });
    r.actor.send({ type: 'WEIGHT_SET', weight: 20 });
    expect(r.state()).toBe('rollout.paused');
    r.wait(4);
    expect(r.state()).toBe('rollout.paused');
    r.wait(1);
    expect(r.state()).toBe('rollout.analysing');
    r.measure([0]);
    expect(r.state()).toBe('rollout.weighting');
    r.actor.send({ type: 'WEIGHT_SET', weight: 50 });
    expect(r.state()).toBe('rollout.pausedUntilPromoted');
    expect(r.context().rollout?.waiting).toBe('paused until promoted');
    r.wait(600);
    expect(r.state()).toBe('rollout.pausedUntilPromoted');
    r.actor.send({ type: 'PROMOTE', full: false, by: 'alice' });
    expect(r.state()).toBe('live');
    expect(r.context()).toMatchObject({ live: 'v3-fix', verdict: { verdict: 'promote' } });
    const [done] = r.context().rollouts;
    expect(done).toMatchObject({ outcome: 'promoted', weight: 100, phase: 'Healthy' });
    expect(done?.decisions.map((d) => d.what)).toEqual([
      'started',
      'weight 20%',
      'passed',
      'weight 50%',
      'promoted',
      'promoted',
    ]);
  });

  it('ignores a weight the router confirms that is not the one asked for', () => {
    const r = start();
    r.deploy();
    r.actor.send({ type: 'WEIGHT_SET', weight: 50 });
    expect(r.state()).toBe('rollout.weighting');
  });

  it('aborts back to stable when the analysis fails, and keeps the evidence', () => {
    const r = start();
    r.deploy();
    r.actor.send({ type: 'WEIGHT_SET', weight: 20 });
    r.wait(5);
    r.measure([0.2]);
    expect(r.state()).toBe('live');
    expect(r.context().live).toBe('v2');
    expect(r.context().verdict).toMatchObject({ verdict: 'reject' });
    const [aborted] = r.context().rollouts;
    expect(aborted).toMatchObject({ outcome: 'aborted', weight: 0, phase: 'Aborted' });
    const last = aborted?.decisions.at(-1);
    expect(last?.what).toBe('aborted');
    expect(last?.evidence?.metrics[0]?.measurements[0]?.value).toEqual([0.2]);
  });

  it('waits for a human on an inconclusive analysis, and goes on when promoted', () => {
    const r = start();
    r.deploy();
    r.actor.send({ type: 'WEIGHT_SET', weight: 20 });
    r.wait(5);
    r.measure([0.03]);
    expect(r.state()).toBe('rollout.inconclusive');
    expect(r.context().rollout).toMatchObject({
      waiting: 'analysis inconclusive: promote or abort',
      phase: 'Paused',
    });
    r.actor.send({ type: 'PROMOTE', full: false, by: 'on-call' });
    expect(r.state()).toBe('rollout.weighting');
  });

  it('aborts an inconclusive rollout nobody decides on within the timeout', () => {
    const r = start({ inconclusiveTimeout: 30 });
    r.deploy();
    r.actor.send({ type: 'WEIGHT_SET', weight: 20 });
    r.wait(5);
    r.measure([0.03]);
    r.wait(29);
    expect(r.state()).toBe('rollout.inconclusive');
    r.wait(1);
    expect(r.state()).toBe('live');
    expect(r.context().rollouts[0]?.decisions.at(-1)?.why).toBe(
      'nobody promoted or aborted within 30 min of an inconclusive analysis',
    );
  });

  it('skips every remaining step on promote --full, and aborts from any step on abort', () => {
    const full = start();
    full.deploy();
    full.actor.send({ type: 'PROMOTE', full: true, by: 'alice' });
    expect(full.state()).toBe('live');
    expect(full.context().live).toBe('v3-fix');
    const abort = start();
    abort.deploy();
    abort.actor.send({ type: 'WEIGHT_SET', weight: 20 });
    abort.actor.send({ type: 'ABORT', by: 'bob', why: 'customer reports' });
    expect(abort.state()).toBe('live');
    expect(abort.context()).toMatchObject({
      live: 'v2',
      verdict: { reasons: ['bob aborted: customer reports'] },
    });
  });

  it('retries an aborted rollout from its first step', () => {
    const r = start();
    r.deploy();
    r.actor.send({ type: 'ABORT', by: 'bob', why: 'test' });
    r.actor.send({ type: 'RETRY', by: 'bob' });
    expect(r.state()).toBe('rollout.weighting');
    expect(r.context().rollout).toMatchObject({ n: 2, step: 0, candidate: 'v3-fix', requestedBy: 'INC-1' });
    r.actor.send({ type: 'RETRY', by: 'bob' });
    expect(r.context().rollout?.n).toBe(2);
  });

  it('aborts at the progress deadline when progressDeadlineAbort is set, and only marks it degraded when not', () => {
    const aborting = start({ progressDeadlineSeconds: 300, progressDeadlineAbort: true });
    aborting.deploy();
    aborting.wait(5);
    expect(aborting.state()).toBe('live');
    expect(aborting.context().rollouts[0]?.decisions.at(-1)?.why).toMatch(
      /did not confirm weight 20% within the progress deadline \(5 min\)/,
    );
    const lenient = start({ progressDeadlineSeconds: 300 });
    lenient.deploy();
    lenient.wait(5);
    expect(lenient.state()).toBe('rollout.weighting');
    expect(lenient.context().rollout?.phase).toBe('Degraded');
    lenient.actor.send({ type: 'WEIGHT_SET', weight: 20 });
    expect(lenient.state()).toBe('rollout.paused');
  });

  it('runs background analysis from its starting step; its failure aborts whatever step runs', () => {
    const r = start({
      analysis: { templates: [{ templateName: 'health' }], startingStep: 1 },
    });
    r.deploy();
    expect(r.context().rollout?.background).toBeNull();
    r.actor.send({ type: 'WEIGHT_SET', weight: 20 });
    expect(r.context().rollout?.background?.phase).toBe('Running');
    r.measure([0.2], 'background');
    expect(r.state()).toBe('live');
    expect(r.context().rollouts[0]?.decisions.at(-1)?.why).toMatch(/^background analysis Failed/);
  });

  it('judges a release the strategy does not cover once on the eval set, as the plain release machine does', () => {
    const r = start({ releases: ['v3-fix'] });
    r.deploy('v3');
    expect(r.state()).toBe('live');
    expect(r.context()).toMatchObject({ live: 'v3', rollout: null, rollouts: [] });
  });
});

describe('metric limits', () => {
  const run = (extra: Record<string, unknown>, phases: Measurement['phase'][]): MetricRun => {
    const { strategy } = readStrategy(
      { steps: [], templates: [{ name: 't', metrics: [metric({ interval: '1m', count: 5, ...extra })] }] },
      'test.yaml',
    );
    const [m] = startRun('step 1', { templates: ['t'], args: {} }, strategy.templates, 0).metrics;
    const measurements = phases.map((phase, at) => ({ at, phase, value: null, message: '' }));
    return { ...(m as MetricRun), measurements };
  };

  it('fails on the first failure by default and tolerates failureLimit of them', () => {
    expect(metricPhase(run({}, ['Failed']))).toBe('Failed');
    expect(metricPhase(run({ failureLimit: 1 }, ['Failed', 'Successful']))).toBe('Running');
    expect(metricPhase(run({ failureLimit: 1 }, ['Failed', 'Failed']))).toBe('Failed');
    expect(metricPhase(run({ failureLimit: -1 }, ['Failed', 'Failed', 'Failed', 'Failed', 'Failed']))).toBe(
      'Successful',
    );
  });

  it('is Inconclusive past inconclusiveLimit, Error past consecutiveErrorLimit (4), Successful at its count', () => {
    expect(metricPhase(run({}, ['Inconclusive']))).toBe('Inconclusive');
    expect(metricPhase(run({ inconclusiveLimit: 1 }, ['Inconclusive']))).toBe('Running');
    expect(metricPhase(run({}, ['Error', 'Error', 'Error', 'Error']))).toBe('Running');
    expect(metricPhase(run({}, ['Error', 'Error', 'Error', 'Error', 'Error']))).toBe('Error');
    expect(metricPhase(run({}, ['Error', 'Error', 'Successful', 'Error', 'Error']))).toBe('Successful');
    expect(metricPhase(run({}, ['Successful', 'Successful', 'Successful', 'Successful', 'Successful']))).toBe(
      'Successful',
    );
  });
});
