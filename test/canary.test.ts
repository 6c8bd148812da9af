import { describe, expect, it } from 'vitest';
import { type CanaryReport, DEFAULT_CANARY, type EvalScore, judge, scoreOf } from '../src/toolkit/canary.js';

/** A score with `correct` of `total` right; `failed` lists the wrong case ids. */
const score = (release: string, correct: number, total: number, failed: string[] = []): EvalScore => ({
  release,
  total,
  correct,
  quality: total === 0 ? 0 : correct / total,
  failed,
});

const REG = 'reg-INC-1-refunds-1';

const report = (overrides: Partial<CanaryReport> = {}): CanaryReport => ({
  candidate: score('v3-fix', 100, 100),
  baseline: score('v2', 100, 100),
  regressionIds: [REG],
  ...overrides,
});

const check = (r: CanaryReport, name: string, thresholds = DEFAULT_CANARY) =>
  judge(r, thresholds).checks.find((c) => c.name === name);

describe('scoreOf', () => {
  it('counts correct answers, computes quality and lists failed ids sorted', () => {
    const results = [
      { id: 'refunds-2', correct: false },
      { id: 'billing-1', correct: true },
      { id: 'refunds-1', correct: false },
      { id: 'hours-1', correct: true },
      { id: 'hours-2', correct: true },
    ];
    expect(scoreOf('v3', results)).toEqual({
      release: 'v3',
      total: 5,
      correct: 3,
      quality: 0.6,
      failed: ['refunds-1', 'refunds-2'],
    });
  });

  it('scores an empty run as quality 0 so it can never pass', () => {
    expect(scoreOf('v3', [])).toEqual({ release: 'v3', total: 0, correct: 0, quality: 0, failed: [] });
    expect(judge(report({ candidate: scoreOf('v3', []) })).verdict).toBe('reject');
  });
});

describe('judge', () => {
  it('uses the SLO objective, a one-point tolerance and mandatory regressions by default', () => {
    expect(DEFAULT_CANARY).toEqual({ minQuality: 0.99, tolerance: 0.01, regressionsMustPass: true });
  });

  it('promotes a candidate that passes every check, with no reasons', () => {
    const verdict = judge(report());
    expect(verdict.verdict).toBe('promote');
    expect(verdict.reasons).toEqual([]);
    expect(verdict.checks.map((c) => [c.name, c.ok])).toEqual([
      ['quality', true],
      ['vs-baseline', true],
      ['regressions', true],
    ]);
  });

  describe('the quality check', () => {
    it('rejects a candidate below the objective, with the numbers in the reason', () => {
      const verdict = judge(report({ candidate: score('v3', 80, 100), baseline: score('v2', 80, 100) }));
      expect(verdict.verdict).toBe('reject');
      expect(verdict.reasons).toEqual(['candidate quality 80.0% < 99.0%']);
    });

    it('passes a candidate at exactly the objective', () => {
      const r = report({ candidate: score('v3', 99, 100) });
      expect(check(r, 'quality')).toEqual({
        name: 'quality',
        ok: true,
        detail: 'candidate quality 99.0% >= 99.0%',
      });
      expect(judge(r).verdict).toBe('promote');
    });

    it('rejects a candidate just below the objective', () => {
      expect(check(report({ candidate: score('v3', 989, 1000) }), 'quality')?.ok).toBe(false);
    });
  });

  describe('the vs-baseline check', () => {
    const lenient = { ...DEFAULT_CANARY, minQuality: 0 };

    it('rejects a candidate worse than the baseline by more than the tolerance, even above the objective', () => {
      const r = report({ candidate: score('v3', 97, 100), baseline: score('v2', 100, 100) });
      const verdict = judge(r, { ...DEFAULT_CANARY, minQuality: 0.95 });
      expect(verdict.verdict).toBe('reject');
      expect(verdict.reasons).toEqual(['candidate quality 97.0% < baseline v2 100.0% - tolerance 1.0%']);
    });

    it('passes a candidate exactly the tolerance below the baseline, despite float rounding', () => {
      // 0.8 - 0.1 is 0.7000000000000001 in floating point, a hair above 7/10.
      const r = report({ candidate: score('v3', 7, 10), baseline: score('v2', 8, 10) });
      expect(check(r, 'vs-baseline', { ...lenient, tolerance: 0.1 })?.ok).toBe(true);
    });

    it('rejects a candidate just beyond the tolerance', () => {
      const r = report({ candidate: score('v3', 69, 100), baseline: score('v2', 80, 100) });
      expect(check(r, 'vs-baseline', { ...lenient, tolerance: 0.1 })?.ok).toBe(false);
    });

    it('passes a candidate better than the baseline', () => {
      const r = report({ candidate: score('v3', 100, 100), baseline: score('v2', 80, 100) });
      expect(check(r, 'vs-baseline')?.ok).toBe(true);
    });
  });

  describe('the regressions check', () => {
    it('rejects a candidate that fails a regression case even when its quality meets the objective', () => {
      const r = report({ candidate: score('v3-fix', 99, 100, [REG]) });
      const verdict = judge(r);
      expect(verdict.checks.map((c) => [c.name, c.ok])).toEqual([
        ['quality', true],
        ['vs-baseline', true],
        ['regressions', false],
      ]);
      expect(verdict.verdict).toBe('reject');
      expect(verdict.reasons).toEqual(['regression case reg-INC-1-refunds-1 failed']);
    });

    it('names every failing regression case, sorted', () => {
      const r = report({
        candidate: score('v3-fix', 98, 100, ['reg-INC-2-b', 'reg-INC-1-a']),
        regressionIds: ['reg-INC-2-b', 'reg-INC-1-a', 'reg-INC-3-c'],
      });
      expect(check(r, 'regressions', { ...DEFAULT_CANARY, minQuality: 0 })?.detail).toBe(
        'regression cases reg-INC-1-a, reg-INC-2-b failed',
      );
    });

    it('ignores failures of ordinary cases that are not regression cases', () => {
      const r = report({ candidate: score('v3-fix', 99, 100, ['refunds-9']) });
      expect(check(r, 'regressions')).toEqual({
        name: 'regressions',
        ok: true,
        detail: 'all 1 regression case(s) passed',
      });
    });

    it('reports but does not hold a failed regression case against the candidate when regressions are advisory', () => {
      const r = report({ candidate: score('v3-fix', 99, 100, [REG]) });
      const verdict = judge(r, { ...DEFAULT_CANARY, regressionsMustPass: false });
      expect(verdict.verdict).toBe('promote');
      expect(verdict.checks[2]).toEqual({
        name: 'regressions',
        ok: true,
        detail: 'regression case reg-INC-1-refunds-1 failed (advisory)',
      });
    });
  });

  it('gives one reason per failed check, in check order', () => {
    const r = report({ candidate: score('v3', 80, 100, [REG]), baseline: score('v2', 100, 100) });
    expect(judge(r).reasons).toEqual([
      'candidate quality 80.0% < 99.0%',
      'candidate quality 80.0% < baseline v2 100.0% - tolerance 1.0%',
      'regression case reg-INC-1-refunds-1 failed',
    ]);
  });
});
