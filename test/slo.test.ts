import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Burn,
  type BurnPair,
  backtest,
  burnRate,
  DEFAULT_POLICY,
  errorBudget,
  evaluatePolicy,
  pairName,
  type SeriesStep,
  SliLedger,
  WINDOWS,
} from '../src/toolkit/slo.js';

const THREE_DAYS = 3 * 1440;
const healthy = (minute: number): SeriesStep => ({ minute, requests: 1000, errors: 0 });
const failing = (minute: number, errorRatio: number): SeriesStep => ({
  minute,
  requests: 1000,
  errors: 1000 * errorRatio,
});

function burnOf(partial: Partial<Burn>): Burn {
  return { '5m': 0, '30m': 0, '1h': 0, '2h': 0, '6h': 0, '1d': 0, '3d': 0, ...partial };
}

describe('burnRate', () => {
  it('is the error ratio over the error budget: 20% errors against a 99% objective burn 20x', () => {
    expect(burnRate(0.2, 0.99)).toBeCloseTo(20, 10);
  });

  it('is 1x when errors spend exactly the budget', () => {
    expect(burnRate(0.001, 0.999)).toBe(1);
    expect(burnRate(0, 0.99)).toBe(0);
  });

  it('is exactly 6x for 60% errors against 90%, though 1 - 0.9 is 0.09999999999999998 in floating point', () => {
    expect(1 - 0.9).not.toBe(0.1);
    expect(burnRate(0.6, 0.9)).toBe(6);
  });

  it('reads a ratio written with an exponent exactly: 1.5e-7 against 99% is 1.5e-5x', () => {
    expect(burnRate(1.5e-7, 0.99)).toBe(1.5e-5);
    expect(burnRate(1.44e-5, 0.999999)).toBe(14.4);
  });

  it('passes a ratio that is not a number through as floating point', () => {
    expect(burnRate(Number.NaN, 0.99)).toBeNaN();
    expect(burnRate(Number.POSITIVE_INFINITY, 0.99)).toBe(Number.POSITIVE_INFINITY);
  });

  it('falls back to floating point for a ratio or objective with more digits than a double holds exactly', () => {
    expect(burnRate(0.1 + 0.2, 0.99)).toBeCloseTo(30, 9);
    expect(burnRate(0.2, 0.99 + 1e-17)).toBeCloseTo(20, 9);
    expect(burnRate(0.5, 1 / 3)).toBeCloseTo(0.75, 12);
    expect(burnRate(1e-20, 0.99)).toBeCloseTo(1e-18, 30);
  });

  it('rejects an objective outside (0, 1), where there is no budget to burn', () => {
    for (const objective of [0, 1, 1.5, -0.5, Number.NaN]) {
      expect(() => burnRate(0.1, objective)).toThrow(RangeError);
    }
  });
});

describe('the default policy', () => {
  it('is the SRE Workbook table for a 30-day objective', () => {
    expect(DEFAULT_POLICY).toEqual([
      { severity: 'page', long: '1h', short: '5m', threshold: 14.4 },
      { severity: 'page', long: '6h', short: '30m', threshold: 6 },
      { severity: 'ticket', long: '1d', short: '2h', threshold: 3 },
      { severity: 'ticket', long: '3d', short: '6h', threshold: 1 },
    ]);
  });

  it('cannot be changed by a caller', () => {
    expect(Object.isFrozen(DEFAULT_POLICY)).toBe(true);
    expect(DEFAULT_POLICY.every((pair) => Object.isFrozen(pair))).toBe(true);
  });
});

describe('evaluatePolicy', () => {
  it('does not page when only the long window exceeds 14.4x', () => {
    expect(evaluatePolicy(burnOf({ '1h': 20, '5m': 1 }))).toEqual({ alert: 'none', firing: [] });
  });

  it('does not page when only the short window exceeds 14.4x', () => {
    expect(evaluatePolicy(burnOf({ '1h': 1, '5m': 20 }))).toEqual({ alert: 'none', firing: [] });
  });

  it('pages when both 1h and 5m exceed 14.4x', () => {
    expect(evaluatePolicy(burnOf({ '1h': 15, '5m': 15 }))).toEqual({ alert: 'page', firing: ['page:1h/5m'] });
  });

  it('needs strictly more than the threshold: exactly 14.4x on both windows does not page', () => {
    expect(evaluatePolicy(burnOf({ '1h': 14.4, '5m': 14.4 })).alert).toBe('none');
    expect(evaluatePolicy(burnOf({ '1h': 14.41, '5m': 14.41 })).alert).toBe('page');
  });

  it('opens a ticket when only a ticket pair fires', () => {
    expect(evaluatePolicy(burnOf({ '1d': 4, '2h': 4 }))).toEqual({
      alert: 'ticket',
      firing: ['ticket:1d/2h'],
    });
  });

  it('lets page win over ticket while naming every pair that fires, in policy order', () => {
    const burn = burnOf({ '5m': 20, '30m': 20, '1h': 20, '2h': 20, '6h': 20, '1d': 20, '3d': 20 });
    expect(evaluatePolicy(burn)).toEqual({
      alert: 'page',
      firing: ['page:1h/5m', 'page:6h/30m', 'ticket:1d/2h', 'ticket:3d/6h'],
    });
  });

  it('ORs the pairs: a slow burn tickets even when no fast pair fires', () => {
    const burn = burnOf({ '5m': 2, '30m': 2, '1h': 2, '2h': 2, '6h': 2, '1d': 2, '3d': 2 });
    expect(evaluatePolicy(burn)).toEqual({ alert: 'ticket', firing: ['ticket:3d/6h'] });
  });

  it('takes its thresholds from the policy it is given', () => {
    const policy: BurnPair[] = [{ severity: 'page', long: '30m', short: '5m', threshold: 2 }];
    expect(evaluatePolicy(burnOf({ '30m': 3, '5m': 3 }), policy)).toEqual({
      alert: 'page',
      firing: ['page:30m/5m'],
    });
    expect(evaluatePolicy(burnOf({ '1h': 20, '5m': 20 }), policy).alert).toBe('none');
  });
});

// The default thresholds and the objectives the Workbook and Sloth use, as exact fractions, so the
// exact error counts at a threshold come from integer arithmetic here, not from the code under test.
const OBJECTIVES: [objective: number, budget: [number, number]][] = [
  [0.9, [1, 10]],
  [0.99, [1, 100]],
  [0.999, [1, 1000]],
  [0.9995, [1, 2000]],
];
const THRESHOLDS: [threshold: number, exact: [number, number]][] = [
  [14.4, [72, 5]],
  [6, [6, 1]],
  [3, [3, 1]],
  [1, [1, 1]],
];
const REQUESTS = 1_000_000;
const cases = OBJECTIVES.flatMap(([objective, [bTop, bBottom]]) =>
  THRESHOLDS.map(([threshold, [kTop, kBottom]]) => {
    const errors = (REQUESTS * kTop * bTop) / (kBottom * bBottom);
    const pair = DEFAULT_POLICY.find((p) => p.threshold === threshold);
    if (!pair || !Number.isInteger(errors)) throw new Error('the table above is wrong');
    return { objective, threshold, errors, pair: pairName(pair) };
  }),
);
/** The ledger's burn over every window when each window holds exactly these counts. */
function burnFor(errors: number, objective: number): Burn {
  const ledger = new SliLedger();
  ledger.record({ requests: REQUESTS, errors });
  return ledger.burnAt(1, objective);
}
/** What Prometheus decides on a Sloth-style rule, `error_ratio > threshold * budget`, with the budget
 *  as Sloth computes it, `(100 - objective%) / 100`, printed without its floating-point noise. */
const slothBudget = (objective: number) => Number(((100 - objective * 100) / 100).toFixed(10));
const prometheusFires = (errors: number, objective: number, threshold: number) =>
  errors / REQUESTS > threshold * slothBudget(objective);

describe('a burn exactly at a threshold does not fire; one error more does', () => {
  it.each(cases)('$pair ($threshold x) at objective $objective', ({ objective, threshold, errors, pair }) => {
    expect(burnRate(errors / REQUESTS, objective)).toBe(threshold);
    if (errors > REQUESTS) return; // 14.4x against 90% would take 144% errors: no ledger can hold it.
    const at = burnFor(errors, objective);
    expect(at['3d']).toBe(threshold);
    expect(evaluatePolicy(at).firing).not.toContain(pair);
    expect(prometheusFires(errors, objective, threshold)).toBe(false);

    const above = burnFor(errors + 1, objective);
    expect(above['5m']).toBeGreaterThan(threshold);
    expect(evaluatePolicy(above).firing).toContain(pair);
    expect(prometheusFires(errors + 1, objective, threshold)).toBe(true);
  });

  it.each(OBJECTIVES)(
    'prices the budget of %s as Sloth does, without its floating-point noise',
    (objective, [top, bottom]) => {
      expect(errorBudget(objective)).toBe(top / bottom);
      expect(errorBudget(objective)).toBe(slothBudget(objective));
    },
  );

  it('prices an objective with more digits than a double holds exactly as 1 - objective', () => {
    expect(errorBudget(1 / 3)).toBe(1 - 1 / 3);
    expect(() => errorBudget(1)).toThrow(RangeError);
  });
});

describe('SliLedger', () => {
  function ledgerOf(minutes: { requests: number; errors: number }[]): SliLedger {
    const ledger = new SliLedger();
    for (const counts of minutes) ledger.record(counts);
    return ledger;
  }

  it('numbers the minutes it records from 0', () => {
    const ledger = ledgerOf([
      { requests: 1, errors: 0 },
      { requests: 1, errors: 1 },
    ]);
    expect(ledger.minutes).toBe(2);
    expect(ledger.errorRatio(1, 1)).toBe(0);
    expect(ledger.errorRatio(1, 2)).toBe(1);
  });

  it('covers the w whole minutes before t: a 3-minute window at minute 10 is minutes 7, 8 and 9', () => {
    const ledger = ledgerOf(Array.from({ length: 10 }, (_, minute) => ({ requests: 100, errors: minute })));
    expect(ledger.errorRatio(3, 10)).toBeCloseTo((7 + 8 + 9) / 300, 12);
  });

  it('clips a window to the history that exists instead of diluting it with minutes that never happened', () => {
    const ledger = ledgerOf(Array.from({ length: 10 }, () => ({ requests: 1000, errors: 100 })));
    expect(ledger.errorRatio(WINDOWS['1h'], 10)).toBeCloseTo(0.1, 12);
    expect(ledger.burnAt(10, 0.99)['3d']).toBeCloseTo(10, 9);
  });

  it('clips a window that reaches past the minutes recorded so far', () => {
    const ledger = ledgerOf([{ requests: 10, errors: 5 }]);
    expect(ledger.errorRatio(5, 3)).toBe(0.5);
  });

  it('reports an error ratio of 0 when the window holds no requests', () => {
    const ledger = ledgerOf([
      { requests: 0, errors: 0 },
      { requests: 0, errors: 0 },
    ]);
    expect(ledger.errorRatio(5, 0)).toBe(0);
    expect(ledger.errorRatio(5, 2)).toBe(0);
    expect(ledger.burnAt(2, 0.99)).toEqual(burnOf({}));
  });

  it('reads the SLI over the minute before t unless given a window', () => {
    const ledger = ledgerOf([
      { requests: 100, errors: 50 },
      { requests: 100, errors: 10 },
    ]);
    expect(ledger.sli(2)).toBeCloseTo(0.9, 12);
    expect(ledger.sli(2, 2)).toBeCloseTo(0.7, 12);
  });

  it('keeps exact windows past its initial capacity (a 3-day window over 5000 minutes)', () => {
    const ledger = ledgerOf(
      Array.from({ length: 5000 }, (_, minute) => ({ requests: 10, errors: minute % 2 })),
    );
    expect(ledger.minutes).toBe(5000);
    expect(ledger.errorRatio(4320, 5000)).toBeCloseTo(2160 / 43200, 12);
  });

  it('agrees with a rescan of the raw minutes for any history, window and minute', () => {
    const minute = fc
      .integer({ min: 0, max: 50 })
      .chain((requests) =>
        fc.record({ requests: fc.constant(requests), errors: fc.integer({ min: 0, max: requests }) }),
      );
    fc.assert(
      fc.property(
        fc.array(minute, { maxLength: 80 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (minutes, window, at) => {
          const covered = minutes.slice(Math.max(0, at - window), at);
          const requests = covered.reduce((sum, m) => sum + m.requests, 0);
          const errors = covered.reduce((sum, m) => sum + m.errors, 0);
          expect(ledgerOf(minutes).errorRatio(window, at)).toBeCloseTo(
            requests === 0 ? 0 : errors / requests,
            12,
          );
        },
      ),
    );
  });

  it('spends the error budget as burn times minutes over the 30-day period', () => {
    // 1000 minutes healthy, then 60 minutes at 20% errors: a 20x burn for an hour of a 99% SLO.
    const ledger = ledgerOf([
      ...Array.from({ length: 1000 }, () => ({ requests: 100, errors: 0 })),
      ...Array.from({ length: 60 }, () => ({ requests: 100, errors: 20 })),
    ]);
    expect(ledger.budgetRemaining(1000, 0.99)).toBe(1);
    expect(ledger.budgetRemaining(0, 0.99)).toBe(1);
    // 1200 errors against 1% of 100 requests a minute for 43,200 minutes (43,200): 2.78% spent.
    expect(ledger.budgetRemaining(1060, 0.99)).toBeCloseTo(1 - 1200 / 43_200, 10);
    expect(ledger.budgetRemaining(1060, 0.99, 2 * 60)).toBeLessThan(0);
    expect(ledger.budgetRemaining(1030, 0.99)).toBeGreaterThan(ledger.budgetRemaining(1060, 0.99));
  });

  it('computes the burn of fractional counts in floating point', () => {
    const ledger = ledgerOf([{ requests: 1000, errors: 14.4 }]);
    expect(ledger.burnAt(1, 0.999)['5m']).toBeCloseTo(14.4, 9);
  });

  it('reports the counts over a window, clipped like the error ratio, and rejects a fractional window', () => {
    const ledger = ledgerOf([
      { requests: 10, errors: 1 },
      { requests: 20, errors: 3 },
    ]);
    expect(ledger.countsOver(5, 2)).toEqual({ requests: 30, errors: 4 });
    expect(ledger.countsOver(1, 2)).toEqual({ requests: 20, errors: 3 });
    expect(ledger.countsOver(3, 0)).toEqual({ requests: 0, errors: 0 });
    expect(() => ledger.countsOver(1.5, 2)).toThrow(RangeError);
    expect(() => ledger.countsOver(1, -1)).toThrow(RangeError);
  });

  it('rejects a minute with more errors than requests', () => {
    expect(() => new SliLedger().record({ requests: 1, errors: 2 })).toThrow(RangeError);
    expect(() => new SliLedger().record({ requests: 1, errors: -1 })).toThrow(RangeError);
  });
});

describe('backtest: 20% errors (20x) after three healthy days, stopping at minute 4500', () => {
  const steps = [healthy(0), failing(THREE_DAYS, 0.2), healthy(4500)];
  const rows = backtest(steps, { objective: 0.99, from: 0, to: 4700 });
  const row = (minute: number) => {
    const found = rows.find((r) => r.minute === minute);
    if (!found) throw new Error(`no row for minute ${minute}`);
    return found;
  };

  it('reports one row per minute from `from` to `to`, inclusive', () => {
    expect(rows.map((r) => r.minute)).toEqual(Array.from({ length: 4701 }, (_, minute) => minute));
  });

  it('raises no alert before minute 4364', () => {
    expect(rows.filter((r) => r.minute < 4364 && r.alert !== 'none')).toEqual([]);
    expect(row(4363).burn['1h']).toBeCloseTo((20 * 43) / 60, 9);
  });

  it('pages 44 minutes after a 20x burn begins, once both 1h and 5m exceed 14.4x', () => {
    expect(row(4364).alert).toBe('page');
    expect(row(4364).firing).toEqual(['page:1h/5m']);
    expect(row(4364).burn['1h']).toBeCloseTo((20 * 44) / 60, 9);
    expect(row(4364).burn['5m']).toBeCloseTo(20, 9);
  });

  it('keeps the 1h/5m page firing through minute 4501 and clears it at minute 4502, when the 5m window falls to 12x', () => {
    const paging = rows.filter((r) => r.firing.includes('page:1h/5m')).map((r) => r.minute);
    expect(paging[0]).toBe(4364);
    expect(paging.at(-1)).toBe(4501);
    expect(paging).toHaveLength(4501 - 4364 + 1);
    expect(row(4502).burn['5m']).toBeCloseTo(12, 9);
    expect(row(4502).burn['1h']).toBeGreaterThan(14.4);
  });

  it('also pages on 6h/30m from minute 4429 and stays paging until that pair clears at minute 4521', () => {
    expect(rows.find((r) => r.firing.includes('page:6h/30m'))?.minute).toBe(4429);
    expect(row(4520).alert).toBe('page');
    expect(row(4520).firing).toEqual(['page:6h/30m']);
    expect(row(4521)).toMatchObject({ alert: 'none', firing: [] });
  });

  it('gives the same rows for a window of minutes as for the whole history, since earlier minutes still fill the windows', () => {
    expect(backtest(steps, { objective: 0.99, from: 4360, to: 4370 })).toEqual(rows.slice(4360, 4371));
  });
});

describe('backtest: 2% errors (2x) after three healthy days', () => {
  const rows = backtest([healthy(0), failing(THREE_DAYS, 0.02)], { objective: 0.99, from: 0, to: 7000 });

  it('never pages: 2x is below both page thresholds', () => {
    expect(rows.some((r) => r.alert === 'page')).toBe(false);
  });

  it('opens a ticket on 3d/6h from minute 6481, once the 3-day window holds more than 1x', () => {
    const ticketing = rows.filter((r) => r.alert === 'ticket').map((r) => r.minute);
    expect(ticketing[0]).toBe(6481);
    expect(ticketing).toHaveLength(7000 - 6481 + 1);
    expect(rows[6481]?.firing).toEqual(['ticket:3d/6h']);
    expect(rows[6480]?.burn['3d']).toBeLessThanOrEqual(1);
  });
});

describe('backtest: 0.5% errors (0.5x)', () => {
  it('never alerts over a 30-day month', () => {
    const rows = backtest([healthy(0), failing(THREE_DAYS, 0.005)], {
      objective: 0.99,
      from: 0,
      to: 30 * 1440,
    });
    expect(rows).toHaveLength(30 * 1440 + 1);
    expect(rows.filter((r) => r.alert !== 'none')).toEqual([]);
  });
});

describe('backtest inputs', () => {
  it('treats the minutes before the first step as carrying no traffic', () => {
    const rows = backtest([failing(10, 0.5)], { objective: 0.99, from: 10, to: 11 });
    expect(rows[0]?.burn['5m']).toBe(0);
    expect(rows[1]?.burn['5m']).toBeCloseTo(50, 9);
  });

  it('evaluates a single minute when from equals to', () => {
    expect(backtest([healthy(0)], { objective: 0.99, from: 5, to: 5 })).toHaveLength(1);
  });

  it('rejects steps whose minutes do not increase, and a range that runs backwards', () => {
    expect(() => backtest([healthy(5), healthy(5)], { objective: 0.99, from: 0, to: 10 })).toThrow(
      RangeError,
    );
    expect(() => backtest([healthy(0)], { objective: 0.99, from: 10, to: 9 })).toThrow(RangeError);
  });
});
