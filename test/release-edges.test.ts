import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { lastGoodOf, type ReleaseRecord, releaseMachine } from '../machines/release.js';
import { DEFAULT_CANARY } from '../src/toolkit/canary.js';
import { canaryReport } from '../src/views/model.js';

// The release machine's context after each event: history, last good release, bad releases, verdict.

function start(thresholds = DEFAULT_CANARY) {
  let minute = 7;
  const actor = createActor(releaseMachine, {
    input: { service: 'answers', initial: 'v1', thresholds, now: () => minute },
  }).start();
  const at = (m: number) => {
    minute = m;
  };
  const deploy = (candidate: string, wrong = 0) =>
    actor.send({
      type: 'DEPLOY',
      candidate,
      report: canaryReport(candidate, actor.getSnapshot().context.live, wrong),
    });
  return { actor, at, deploy, context: () => actor.getSnapshot().context };
}

describe('the release machine, event by event', () => {
  it('starts live on the initial release, recorded at the minute it started, with nothing to roll back to', () => {
    const { actor, context } = start();
    expect(actor.getSnapshot().value).toBe('live');
    expect(context()).toMatchObject({
      service: 'answers',
      live: 'v1',
      lastGood: null,
      bad: [],
      history: [{ release: 'v1', at: 7, via: 'initial' }],
      candidate: null,
      report: null,
      verdict: null,
    });
  });

  it('ignores a rollback with nothing to roll back to', () => {
    const { actor, context } = start();
    actor.send({ type: 'ROLLBACK' });
    expect(context().live).toBe('v1');
    expect(context().history).toHaveLength(1);
    expect(context().bad).toEqual([]);
  });

  it('promotes a passing candidate: live, in the history at the minute of the deploy, the old release good to roll back to', () => {
    const { at, deploy, context } = start();
    at(20);
    deploy('v2');
    expect(context()).toMatchObject({
      live: 'v2',
      lastGood: 'v1',
      candidate: null,
      history: [
        { release: 'v1', at: 7, via: 'initial' },
        { release: 'v2', at: 20, via: 'canary' },
      ],
    });
    expect(context().verdict?.verdict).toBe('promote');
    expect(context().report?.candidate.release).toBe('v2');
  });

  it('rejects a failing candidate: live and history unchanged, the verdict kept with its reasons', () => {
    const { deploy, context } = start();
    deploy('v2', 3);
    expect(context().live).toBe('v1');
    expect(context().history).toHaveLength(1);
    expect(context().candidate).toBeNull();
    expect(context().verdict?.verdict).toBe('reject');
    expect(context().verdict?.reasons.length).toBeGreaterThan(0);
  });

  it('judges against the thresholds it was given', () => {
    const { deploy, context } = start({ minQuality: 0, tolerance: 1, regressionsMustPass: false });
    deploy('v2', 3);
    expect(context().live).toBe('v2');
  });

  it('rolls back step by step, never onto a release rolled back from, recording each at its minute', () => {
    const { actor, at, deploy, context } = start();
    deploy('v2');
    deploy('v3');
    at(50);
    actor.send({ type: 'ROLLBACK' });
    expect(context()).toMatchObject({ live: 'v2', lastGood: 'v1', bad: ['v3'] });
    expect(context().history.at(-1)).toEqual({ release: 'v2', at: 50, via: 'rollback' });
    at(60);
    actor.send({ type: 'ROLLBACK' });
    expect(context()).toMatchObject({ live: 'v1', lastGood: null, bad: ['v3', 'v2'] });
    actor.send({ type: 'ROLLBACK' });
    expect(context().live).toBe('v1');
    expect(context().history).toHaveLength(5);
  });

  it('forgives a release rolled back from once it passes a canary again', () => {
    const { actor, deploy, context } = start();
    deploy('v2');
    actor.send({ type: 'ROLLBACK' });
    expect(context().bad).toEqual(['v2']);
    deploy('v2');
    expect(context()).toMatchObject({ live: 'v2', bad: [], lastGood: 'v1' });
  });
});

describe('a release rolled back from, after another release is promoted', () => {
  it('stays bad: a later rollback never lands on it', () => {
    const { actor, deploy, context } = start();
    deploy('v2');
    deploy('v3');
    actor.send({ type: 'ROLLBACK' });
    expect(context()).toMatchObject({ live: 'v2', bad: ['v3'] });
    deploy('v4');
    expect(context()).toMatchObject({ live: 'v4', bad: ['v3'], lastGood: 'v2' });
    actor.send({ type: 'ROLLBACK' });
    expect(context()).toMatchObject({ live: 'v2', bad: ['v3', 'v4'], lastGood: 'v1' });
    actor.send({ type: 'ROLLBACK' });
    expect(context()).toMatchObject({ live: 'v1', bad: ['v3', 'v4', 'v2'], lastGood: null });
    expect(context().history.map((record) => `${record.via}:${record.release}`)).toEqual([
      'initial:v1',
      'canary:v2',
      'canary:v3',
      'rollback:v2',
      'canary:v4',
      'rollback:v2',
      'rollback:v1',
    ]);
  });
});

describe('lastGoodOf', () => {
  const history = (...releases: string[]): ReleaseRecord[] =>
    releases.map((release, at) => ({ release, at, via: 'canary' }));

  it('is the newest release other than live that is not bad', () => {
    expect(lastGoodOf(history('v1', 'v2', 'v3'), 'v3', [])).toBe('v2');
    expect(lastGoodOf(history('v1', 'v2', 'v3'), 'v3', ['v2'])).toBe('v1');
    expect(lastGoodOf(history('v1', 'v2', 'v1'), 'v1', [])).toBe('v2');
    expect(lastGoodOf(history('v1'), 'v1', [])).toBeNull();
    expect(lastGoodOf([], 'v1', [])).toBeNull();
  });
});
