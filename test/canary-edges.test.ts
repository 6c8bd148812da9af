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
