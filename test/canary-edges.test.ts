import { describe, expect, it } from 'vitest';
import { DEFAULT_CANARY, judge, scoreOf } from '../src/toolkit/canary.js';

// What the main canary tests leave out: advisory regressions that all pass, and ordering by code unit.

describe('advisory regressions', () => {
  it('report a clean pass without the advisory mark', () => {
    const candidate = scoreOf('v3', [{ id: 'reg-INC-1-a', correct: true }]);
    const verdict = judge(
      { candidate, baseline: candidate, regressionIds: ['reg-INC-1-a'] },
      { ...DEFAULT_CANARY, minQuality: 0, regressionsMustPass: false },
    );
    expect(verdict.checks[2]).toEqual({
      name: 'regressions',
      ok: true,
      detail: 'all 1 regression case(s) passed',
    });
  });
});

describe('ordering ids', () => {
  it('sorts failed cases by code unit, whatever the locale: capitals first', () => {
    const results = ['b', 'B', 'a', 'A'].map((id) => ({ id, correct: false }));
    expect(scoreOf('v3', results).failed).toEqual(['A', 'B', 'a', 'b']);
  });

  it('names failing regression cases by code unit too', () => {
    const failed = ['reg-b', 'reg-B', 'reg-a'];
    const candidate = scoreOf(
      'v3',
      failed.map((id) => ({ id, correct: false })),
    );
    const verdict = judge(
      { candidate, baseline: candidate, regressionIds: failed },
      { ...DEFAULT_CANARY, minQuality: 0 },
    );
    expect(verdict.reasons).toEqual(['regression cases reg-B, reg-a, reg-b failed']);
  });
});

describe('the default canary and the wording of its checks', () => {
  const score = (release: string, correct: number, failed: string[] = []) => ({
    release,
    total: 1000,
    correct,
    quality: correct / 1000,
    failed,
  });

  it('rejects by default a candidate that fails one regression case, whatever its quality', () => {
    const report = {
      candidate: score('v3-fix', 999, ['reg-INC-5-refunds-1']),
      baseline: score('v2', 995),
      regressionIds: ['reg-INC-5-refunds-1'],
    };
    expect(DEFAULT_CANARY.regressionsMustPass).toBe(true);
    expect(judge(report, DEFAULT_CANARY).verdict).toBe('reject');
  });

  it('states each score as a percentage with one decimal', () => {
    const report = { candidate: score('v3', 992), baseline: score('v2', 995), regressionIds: [] };
    const [quality, vsBaseline] = judge(report, DEFAULT_CANARY).checks;
    expect(quality?.detail).toBe('candidate quality 99.2% >= 99.0%');
    expect(vsBaseline?.detail).toBe('candidate quality 99.2% >= baseline v2 99.5% - tolerance 1.0%');
  });
});
