import { describe, expect, it } from 'vitest';
import { backtest, burnRate, SliLedger } from '../src/toolkit/slo.js';

// Edges of the SLO toolkit that mutation testing found unguarded: checkpoints, the budget's period
// at both ends of a history, and the wording of each refusal.

function ledgerOf(minutes: readonly (readonly [requests: number, errors: number])[]): SliLedger {
  const ledger = new SliLedger();
  for (const [requests, errors] of minutes) ledger.record({ requests, errors });
  return ledger;
}

describe('SliLedger checkpoints', () => {
  const minutes = [
    [10, 1],
    [10, 1],
    [10, 2],
    [20, 2],
    [0, 0],
    [10, 1],
  ] as const;

  it('saves runs of minutes with the same requests and the same errors, and nothing else', () => {
    expect(ledgerOf(minutes).save()).toEqual([
      [2, 10, 1],
      [1, 10, 2],
      [1, 20, 2],
      [1, 0, 0],
      [1, 10, 1],
    ]);
    expect(new SliLedger().save()).toEqual([]);
  });

  it('restores every minute it saved', () => {
    const ledger = ledgerOf(minutes);
    const restored = SliLedger.restore(ledger.save());
    expect(restored.minutes).toBe(minutes.length);
    for (let at = 0; at <= minutes.length; at++) {
      expect(restored.countsOver(1, at)).toEqual(ledger.countsOver(1, at));
    }
  });
});

describe('SliLedger.record', () => {
  it('refuses a minute whose requests are not a finite number, naming the minute', () => {
    const ledger = ledgerOf([[1, 0]]);
    expect(() => ledger.record({ requests: Number.POSITIVE_INFINITY, errors: 0 })).toThrow(
      'minute 1: need 0 <= errors <= requests, got 0 of Infinity',
    );
    expect(() => ledger.record({ requests: Number.NaN, errors: 0 })).toThrow(RangeError);
    expect(ledger.minutes).toBe(1);
  });
});

describe('SliLedger.budgetRemaining', () => {
  // 60 minutes at 20% errors of 100 requests: a 20x burn against 99% from the very first minute.
  const burning = ledgerOf(Array.from({ length: 60 }, () => [100, 20] as const));

  it('counts only the minutes of the period that have happened', () => {
    expect(burning.budgetRemaining(30, 0.99)).toBeCloseTo(1 - (20 * 30) / 43_200, 12);
    expect(burning.budgetRemaining(30, 0.99, 120)).toBeCloseTo(1 - (20 * 30) / 120, 12);
  });

  it('counts no minute past the last one recorded', () => {
    expect(burning.budgetRemaining(100, 0.99)).toBe(burning.budgetRemaining(60, 0.99));
    expect(burning.budgetRemaining(100, 0.99, 120)).toBeCloseTo(1 - (20 * 60) / 120, 12);
  });

  it('forgets the minutes that fell out of the period', () => {
    const recovered = ledgerOf([
      ...Array.from({ length: 60 }, () => [100, 20] as const),
      ...Array.from({ length: 120 }, () => [100, 0] as const),
    ]);
    expect(recovered.budgetRemaining(180, 0.99, 120)).toBe(1);
    expect(recovered.budgetRemaining(120, 0.99, 120)).toBeCloseTo(1 - 20 * (60 / 120), 12);
  });

  it('refuses a minute that is not whole', () => {
    expect(() => burning.budgetRemaining(1.5, 0.99)).toThrow('minute must be a whole number >= 0, got 1.5');
  });
});

describe('refusals name what is wrong', () => {
  it('an objective outside (0, 1)', () => {
    expect(() => burnRate(0.1, 1)).toThrow('objective must be in (0, 1), got 1');
  });

  it('a window or minute that is not a whole number >= 0', () => {
    const ledger = ledgerOf([[1, 0]]);
    expect(() => ledger.countsOver(1.5, 1)).toThrow('window must be a whole number >= 0, got 1.5');
    expect(() => ledger.countsOver(1, -1)).toThrow('minute must be a whole number >= 0, got -1');
    expect(() => ledger.burnAt(-1, 0.99)).toThrow('minute must be a whole number >= 0, got -1');
    expect(() => ledger.burnAt(0.5, 0.99)).toThrow(RangeError);
  });

  it("a backtest's range that is not whole minutes 0 <= from <= to", () => {
    const steps = [{ minute: 0, requests: 10, errors: 0 }];
    const range = (from: number, to: number) => () => backtest(steps, { objective: 0.99, from, to });
    expect(range(-1, 5)).toThrow('need whole minutes 0 <= from <= to, got from -1, to 5');
    expect(range(0.5, 5)).toThrow(RangeError);
    expect(range(0, 5.5)).toThrow(RangeError);
  });

  it("a backtest's steps that go back in time", () => {
    const steps = [
      { minute: 5, requests: 10, errors: 0 },
      { minute: 3, requests: 10, errors: 0 },
    ];
    expect(() => backtest(steps, { objective: 0.99, from: 0, to: 10 })).toThrow(
      'step minutes must increase, got 3 after 5',
    );
  });
});

describe('burnRate reads the decimal a ratio prints as', () => {
  it('with an exponent and no fraction digits: 3e-7 against 90% is exactly 3e-6x', () => {
    // In floating point 3e-7 / 0.1 is 0.0000029999999999999997.
    expect(burnRate(3e-7, 0.9)).toBe(3e-6);
  });

  it('as a whole number: every request failing against 90% is exactly 10x', () => {
    expect(burnRate(1, 0.9)).toBe(10);
  });
});
