import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BacktestOptions,
  type BacktestRow,
  backtest,
  backtestColumns,
  evaluatePolicy,
  pairFiresAt,
  type SeriesStep,
  SliLedger,
} from '../src/toolkit/slo.js';

const RUNS = Number(process.env.PROPS_RUNS ?? 60);

/** The backtest as it was written before the columns: a ledger, one minute at a time. */
function minuteByMinute(steps: readonly SeriesStep[], options: BacktestOptions): BacktestRow[] {
  const ledger = new SliLedger();
  const rows: BacktestRow[] = [];
  let current = { requests: 0, errors: 0 };
  let next = 0;
  for (let minute = 0; ; minute++) {
    if (minute >= options.from) {
      const burn = ledger.burnAt(minute, options.objective);
      rows.push({ minute, ...evaluatePolicy(burn, options.policy), burn });
    }
    if (minute === options.to) return rows;
    for (let step = steps[next]; step && step.minute <= minute; step = steps[++next]) current = step;
    ledger.record(current);
  }
}

/** Steps at increasing minutes (some fractional), with whole or fractional counts up to `most` a minute. */
const stepsOf = (most: number, fractional: boolean) =>
  fc
    .array(
      fc.record({
        gap: fc.oneof(fc.integer({ min: 1, max: 400 }), fc.double({ min: 0.25, max: 50, noNaN: true })),
        requests: fractional
          ? fc.double({ min: 0, max: most, noNaN: true })
          : fc.integer({ min: 0, max: most }),
        errorShare: fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
      }),
      { minLength: 1, maxLength: 12 },
    )
    .map((raw) => {
      let minute = -1;
      return raw.map(({ gap, requests, errorShare }): SeriesStep => {
        minute += gap;
        const errors = fractional ? requests * errorShare : Math.floor(requests * errorShare);
        return { minute, requests, errors };
      });
    });

const options = fc
  .record({
    objective: fc.constantFrom(0.99, 0.999, 0.9, 0.99999, 0.123456789, 1 - 1e-12),
    from: fc.integer({ min: 0, max: 3000 }),
    span: fc.integer({ min: 0, max: 1500 }),
  })
  .map(({ objective, from, span }): BacktestOptions => ({ objective, from, to: from + span }));

describe('backtestColumns', () => {
  it('gives, row for row, what a ledger evaluated minute by minute gives: whole counts, exact burns', () => {
    fc.assert(
      fc.property(stepsOf(5000, false), options, (steps, opts) => {
        expect(backtest(steps, opts)).toEqual(minuteByMinute(steps, opts));
      }),
      { numRuns: RUNS },
    );
  });

  it('gives the same past where the exact division gives out: huge or fractional counts', () => {
    fc.assert(
      fc.property(fc.oneof(stepsOf(1_000_000_000, false), stepsOf(1000, true)), options, (steps, opts) => {
        expect(backtest(steps, opts)).toEqual(minuteByMinute(steps, opts));
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps firing as one bitset a pair and the alert as the most urgent firing severity', () => {
    const steps: SeriesStep[] = [
      { minute: 0, requests: 1000, errors: 0 },
      { minute: 4320, requests: 1000, errors: 200 },
      { minute: 4500, requests: 1000, errors: 0 },
    ];
    const columns = backtestColumns(steps, { objective: 0.99, from: 4300, to: 4600 });
    const firingRows = (pair: number) =>
      Array.from({ length: columns.length }, (_, i) => i).filter((i) => pairFiresAt(columns, pair, i));
    // page:1h/5m fires from 4364 through 4501 (see slo.test.ts), 6h/30m from 4429 through 4520.
    expect(firingRows(0)).toEqual(Array.from({ length: 4501 - 4364 + 1 }, (_, i) => 4364 - 4300 + i));
    expect(firingRows(1)[0]).toBe(4429 - 4300);
    expect(firingRows(1).at(-1)).toBe(4520 - 4300);
    expect(firingRows(2)).toEqual([]);
    expect(columns.urgency[4363 - 4300]).toBe(0);
    expect(columns.urgency[4364 - 4300]).toBe(2);
    expect(columns.firing.map((bits) => bits.length)).toEqual([10, 10, 10, 10]);
  });

  it('reports a bad minute of counts as the ledger did, naming the minute it starts', () => {
    const steps = [
      { minute: 0, requests: 10, errors: 0 },
      { minute: 7, requests: 10, errors: 11 },
    ];
    expect(() => backtestColumns(steps, { objective: 0.99, from: 0, to: 20 })).toThrow(
      'minute 7: need 0 <= errors <= requests, got 11 of 10',
    );
    // A step the backtest never reaches is not read.
    expect(backtestColumns(steps, { objective: 0.99, from: 0, to: 7 }).length).toBe(8);
  });
});
