import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReleaseContext } from '../machines/release.js';
import { stateName } from '../src/engine/trace.js';
import { type CanaryReport, type CanaryThresholds, judge, scoreOf } from '../src/toolkit/canary.js';
import { startModelActor } from '../src/views/model.js';

const RUNS = Number(process.env.PROPS_RUNS ?? 1000);
const SEED = Number(process.env.PROPS_SEED ?? 5);

const INITIAL = 'v1';
const name = fc.constantFrom('v1', 'v2', 'v3', 'v4', 'v5', 'v6');

/** Eval results on up to 12 cases; most candidates get all or nearly all right, so some pass. */
const results = fc
  .tuple(
    fc.integer({ min: 0, max: 12 }),
    fc.oneof(fc.constant<number[]>([]), fc.array(fc.integer({ min: 0, max: 11 }), { maxLength: 3 })),
  )
  .map(([total, wrong]) =>
    Array.from({ length: total }, (_, i) => ({ id: `q${i}`, correct: !wrong.includes(i) })),
  );

type Command =
  | { type: 'DEPLOY'; candidate: string; report: CanaryReport }
  | { type: 'ROLLBACK' }
  | { type: 'wait'; minutes: number }
  | { type: 'ACK' | 'BOGUS' | 'xstate.done.actor.play' };

const deploy: fc.Arbitrary<Command> = fc
  .record({
    candidate: name,
    baseline: name,
    candidateResults: results,
    baselineResults: results,
    regressionIds: fc.subarray(['q0', 'q1', 'q5', 'q11']),
  })
  .map(({ candidate, baseline, candidateResults, baselineResults, regressionIds }) => ({
    type: 'DEPLOY',
    candidate,
    report: {
      candidate: scoreOf(candidate, candidateResults),
      baseline: scoreOf(baseline, baselineResults),
      regressionIds,
    },
  }));

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: deploy },
  { weight: 4, arbitrary: fc.constant<Command>({ type: 'ROLLBACK' }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 90 }).map((minutes): Command => ({ type: 'wait', minutes })),
  },
  // Events this machine does not know: ignored.
  {
    weight: 1,
    arbitrary: fc.constantFrom<Command>(
      { type: 'ACK' },
      { type: 'BOGUS' },
      { type: 'xstate.done.actor.play' },
    ),
  },
);

const thresholds: fc.Arbitrary<CanaryThresholds> = fc.record({
  minQuality: fc.constantFrom(0.5, 0.8, 0.9, 0.99, 1),
  tolerance: fc.constantFrom(0, 0.01, 0.05),
  regressionsMustPass: fc.boolean(),
});

/**
 * What the release should look like, kept by the test from the events alone: every release that went
 * live in order, those rolled back from, and those whose canary passed.
 */
class Oracle {
  readonly lives: string[] = [INITIAL];
  readonly bad = new Set<string>();
  readonly passed = new Set<string>();

  constructor(public live: string) {}

  /** The newest release that was live before, other than live, and never rolled back from. */
  lastGood(): string | null {
    for (let i = this.lives.length - 1; i >= 0; i--) {
      const release = this.lives[i];
      if (release !== undefined && release !== this.live && !this.bad.has(release)) return release;
    }
    return null;
  }

  goLive(release: string) {
    this.lives.push(release);
    this.live = release;
  }
}

describe('release machine under random event sequences', () => {
  it(`keeps its invariants after every step (${RUNS} runs)`, () => {
    let promotions = 0;
    let rollbacks = 0;
    fc.assert(
      fc.property(thresholds, fc.array(command, { maxLength: 40, size: 'medium' }), (limits, commands) => {
        const { actor, clock } = startModelActor('release', {
          input: (clock) => ({
            service: 'answers',
            initial: INITIAL,
            thresholds: limits,
            now: () => clock.now(),
          }),
        });
        const oracle = new Oracle(INITIAL);
        try {
          for (const [i, cmd] of commands.entries()) {
            const before = actor.getSnapshot().context as ReleaseContext;
            if (cmd.type === 'wait') clock.increment(cmd.minutes);
            else actor.send(cmd);
            const snapshot = actor.getSnapshot();
            const after = snapshot.context as ReleaseContext;
            const at = `step ${i + 1} (${cmd.type}${cmd.type === 'DEPLOY' ? ` ${cmd.candidate}` : ''})`;

            expect(snapshot.status, `${at}: the actor never errors`).toBe('active');
            expect(stateName(snapshot.value), `${at}: at rest in live`).toBe('live');

            if (cmd.type === 'DEPLOY') {
              const verdict = judge(cmd.report, limits).verdict;
              expect(after.verdict?.verdict, `${at}: the canary's verdict is recorded`).toBe(verdict);
              if (verdict === 'promote') {
                oracle.passed.add(cmd.candidate);
                oracle.bad.delete(cmd.candidate);
                oracle.goLive(cmd.candidate);
                promotions++;
              }
              expect(after.live, `${at}: live after the canary`).toBe(oracle.live);
            } else if (cmd.type === 'ROLLBACK') {
              const target = oracle.lastGood();
              expect(before.lastGood, `${at}: the last good release before the rollback`).toBe(target);
              if (target !== null) {
                oracle.bad.add(oracle.live);
                oracle.goLive(target);
                rollbacks++;
              }
              expect(after.live, `${at}: a rollback lands on the last good release`).toBe(
                target ?? before.live,
              );
            } else {
              expect(after, `${at}: anything else changes nothing`).toEqual(before);
            }

            expect(
              after.live === INITIAL || oracle.passed.has(after.live),
              `${at}: ${after.live} is live only after its canary passed, or as the initial release`,
            ).toBe(true);
            expect(after.lastGood, `${at}: the last good release`).toBe(oracle.lastGood());
            expect(after.history.at(-1)?.release, `${at}: the history ends with live`).toBe(after.live);
            expect(after.candidate, `${at}: no candidate left at rest`).toBeNull();
          }
        } finally {
          actor.stop();
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    if (RUNS >= 500) {
      expect(promotions, 'promotions over all runs').toBeGreaterThan(RUNS);
      expect(rollbacks, 'rollbacks over all runs').toBeGreaterThan(RUNS / 2);
    }
  });
});
