import { describe, expect, it } from 'vitest';
import { judgeEvalSet, judgeMetric, mannWhitney, mcNemar, rollUp } from '../src/toolkit/judge.js';

// Known values from SciPy 1.17 (scipy.stats.mannwhitneyu / binomtest), which agree with R's wilcox.test.
const LARGE_BASELINE = [
  0.346, 0.822, 0.33, -1.303, 0.905, 0.446, -0.537, 0.581, 0.365, 0.294, 0.028, 0.547, -0.736, -0.163, -0.482,
  0.599, 0.04, -0.292, -0.782, -0.257, 0.008, -0.276, 1.294, 1.007, -2.711, -1.889, -0.175, -0.422, 0.214,
  0.217, 2.118, -1.112, -0.378, 2.043, 0.647, 0.663, -0.514, -1.648, 0.167, 0.109, -1.227, -0.683, -0.072,
  -0.945, -0.098, 0.095, 0.036, -0.506, 0.594, 0.891, 0.321, -0.818, 0.732, -0.501, 0.879, -1.072, 0.914,
  -0.02, -1.249, -0.314,
];
const LARGE_CANARY = [
  0.554, 0.773, -0.482, -0.607, 0.7, 0.033, 0.736, 1.26, -1.149, 0.754, 1.725, 0.202, -0.311, 1.252, 0.753,
  1.396, 0.155, -0.982, 0.39, 0.054, 1.275, 0.694, -1.131, -0.695, 1.384, 1.18, -0.14, 0.499, 0.946, 0.968,
  1.376, 0.756, 0.405, 0.241, 1.556, -1.751, 0.361, 0.533, -0.925, 0.833, -0.151, 1.362, 0.374, 1.169, 1.719,
  0.883, -0.376, -1.014, 2.253, 0.389, -0.189, 0.644, 0.309, 1.352, 0.534, 0.514, -0.215, 0.97, -0.534, 1.166,
  2.024, -1.025, -1.966, 1.117, 3.048, -0.501, -0.751, 1.089, -0.341, -0.006,
];

const cases = (pattern: string) => [...pattern].map((c, i) => ({ id: `q${i}`, correct: c === '1' }));

describe('mannWhitney', () => {
  it('gives the exact two-sided p of fully separated samples (1/20 each side of 3 vs 3)', () => {
    const test = mannWhitney([1, 2, 3], [4, 5, 6]);
    expect(test).toMatchObject({ u: 9, method: 'exact' });
    expect(test.p).toBeCloseTo(0.1, 12);
    expect(mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p).toBeCloseTo(2 / 252, 12);
  });

  it("matches R's depression example (W = 35, two-sided p = 0.2544)", () => {
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const test = mannWhitney(y, x);
    expect(test.u).toBe(35);
    expect(test.p).toBeCloseTo(0.2544122544122544, 12);
  });

  it('sees a doubled error ratio in eight minutes of samples (exact p = 0.000155)', () => {
    const baseline = [0.01, 0.012, 0.011, 0.009, 0.01, 0.013, 0.011, 0.01];
    const canary = [0.021, 0.019, 0.02, 0.022, 0.018, 0.02, 0.021, 0.019];
    const test = mannWhitney(baseline, canary);
    expect(test.method).toBe('normal'); // the baseline has ties
    const untied = mannWhitney([1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 16]);
    expect(untied.p).toBeCloseTo(0.0001554001554001554, 12);
  });

  it('uses the normal approximation with tie and continuity corrections when values tie', () => {
    const test = mannWhitney([1, 2, 2, 3, 3, 3, 4], [3, 4, 4, 5, 5, 6, 6, 7]);
    expect(test).toMatchObject({ u: 52.5, method: 'normal' });
    expect(test.p).toBeCloseTo(0.004793348746185457, 6);
  });

  it('uses the normal approximation for large samples', () => {
    const test = mannWhitney(LARGE_BASELINE, LARGE_CANARY);
    expect(test).toMatchObject({ u: 2743, method: 'normal' });
    expect(test.p).toBeCloseTo(0.0026946939511777648, 6);
  });

  it('finds nothing between samples that are all equal', () => {
    expect(mannWhitney([1, 1, 1], [1, 1]).p).toBe(1);
  });

  it('refuses an empty side', () => {
    expect(() => mannWhitney([], [1])).toThrow(/both sides/);
  });
});

describe('mcNemar', () => {
  it('counts only the discordant pairs and tests them exactly', () => {
    const test = mcNemar(cases('111111111'), cases('100000011'));
    expect(test).toMatchObject({ regressed: 6, fixed: 0 });
    expect(test.p).toBeCloseTo(0.03125, 12);
    expect(mcNemar(cases('1111111111'), cases('0000000000')).p).toBeCloseTo(2 / 1024, 12);
  });

  it('gives p = 1 when the releases agree on every case', () => {
    expect(mcNemar(cases('1010'), cases('1010'))).toEqual({ regressed: 0, fixed: 0, p: 1 });
  });

  it('matches binomtest(2, 12) = 0.0386 for 10 regressions against 2 fixes', () => {
    const test = mcNemar(cases('111111111100'), cases('000000000011'));
    expect(test).toMatchObject({ regressed: 10, fixed: 2 });
    expect(test.p).toBeCloseTo(0.03857421875, 12);
  });
});

describe('judgeMetric', () => {
  const errors = { name: 'error-ratio', direction: 'increase' as const };

  it('fails a metric that rose significantly when it must not increase', () => {
    const verdict = judgeMetric(errors, [1, 2, 3, 4, 5], [6, 7, 8, 9, 10], 0.05);
    expect(verdict).toMatchObject({ classification: 'High', failed: true, statistic: 25 });
    expect(verdict.detail).toMatch(/U=25, n=5\/5, p=0\.0079 < 0\.05/);
  });

  it('passes a metric that fell when only an increase counts against it', () => {
    const verdict = judgeMetric(errors, [6, 7, 8, 9, 10], [1, 2, 3, 4, 5], 0.05);
    expect(verdict).toMatchObject({ classification: 'Low', failed: false });
    expect(
      judgeMetric({ ...errors, direction: 'either' }, [6, 7, 8, 9, 10], [1, 2, 3, 4, 5], 0.05).failed,
    ).toBe(true);
  });

  it('passes a difference that is not significant', () => {
    expect(judgeMetric(errors, [1, 2, 3], [4, 5, 6], 0.05)).toMatchObject({
      classification: 'Pass',
      failed: false,
    });
  });

  it('fails NoData only under mustHaveData', () => {
    expect(judgeMetric(errors, [], [1], 0.05)).toMatchObject({ classification: 'NoData', failed: false });
    const must = judgeMetric({ ...errors, mustHaveData: true }, [], [1], 0.05);
    expect(must).toMatchObject({ classification: 'NoData', failed: true });
    expect(must.detail).toBe('error-ratio: no data from the baseline (mustHaveData)');
  });
});

describe('judgeEvalSet', () => {
  it('is High when the canary regresses significantly on the eval set', () => {
    const verdict = judgeEvalSet(
      { name: 'evals', direction: 'increase' },
      cases('111111'),
      cases('000000'),
      0.05,
    );
    expect(verdict).toMatchObject({ classification: 'High', failed: true, statistic: 6, method: 'mcnemar' });
  });
});

describe('rollUp', () => {
  const pass = judgeMetric({ name: 'a', direction: 'increase' }, [1, 2, 3], [1, 2, 3], 0.05);
  const fail = judgeMetric({ name: 'b', direction: 'increase' }, [1, 2, 3, 4, 5], [6, 7, 8, 9, 10], 0.05);
  const none = judgeMetric({ name: 'c', direction: 'increase' }, [], [], 0.05);

  it('scores the share of metrics with data that passed, against pass and marginal thresholds', () => {
    expect(rollUp([pass, pass, pass, fail])).toMatchObject({ score: 75, verdict: 'Marginal' });
    expect(rollUp([pass, fail])).toMatchObject({ score: 50, verdict: 'Fail' });
    expect(rollUp([pass, none])).toMatchObject({ score: 100, verdict: 'Pass' });
    expect(rollUp([pass, fail], { alpha: 0.05, pass: 50, marginal: 25 }).verdict).toBe('Pass');
  });

  it('scores 0 when a critical metric fails, whatever the others say', () => {
    const judgement = rollUp([pass, pass, pass, { ...fail, critical: true }]);
    expect(judgement).toMatchObject({ score: 0, verdict: 'Fail' });
    expect(judgement.reasons.at(-1)).toBe('critical metric b failed: score 0');
  });

  it('never passes on no evidence', () => {
    expect(rollUp([none])).toMatchObject({
      score: 0,
      verdict: 'Fail',
      reasons: ['no metric had data: score 0'],
    });
  });
});
