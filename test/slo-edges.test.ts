import { describe, expect, it } from 'vitest';
import {
  type Burn,
  backtest,
  backtestColumns,
  burnRate,
  errorBudget,
  evaluatePolicy,
  pairFiresAt,
  type SeriesStep,
  SliLedger,
} from '../src/toolkit/slo.js';

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

describe('SliLedger.burnAt reads every window', () => {
  // 4,420 minutes of 10 requests (past the ledger's first capacity of 1,024 minutes, twice over), one
  // error in each of seven minutes placed so that the 5m window holds 1 of them, 30m 2, ... 3d all 7,
  // and one more error before the 3d window. Against 90% (budget 1/10) a window of w minutes holding
  // e errors burns (e / 10w) / (1/10) = e / w.
  const at = 4420;
  const errorMinutes = new Set([at - 1, at - 10, at - 40, at - 100, at - 300, at - 1000, at - 3000, 10]);
  const ledger = ledgerOf(Array.from({ length: at }, (_, m) => [10, errorMinutes.has(m) ? 1 : 0] as const));

  it('each window over its own minutes', () => {
    expect(ledger.burnAt(at, 0.9)).toEqual({
      '5m': 1 / 5,
      '30m': 2 / 30,
      '1h': 3 / 60,
      '2h': 4 / 120,
      '6h': 5 / 360,
      '1d': 6 / 1440,
      '3d': 7 / 4320,
    });
  });

  it('keeps every minute as the ledger grows', () => {
    expect(ledger.minutes).toBe(at);
    for (let m = 0; m < at; m++) {
      expect(ledger.countsOver(1, m + 1)).toEqual({ requests: 10, errors: errorMinutes.has(m) ? 1 : 0 });
    }
    expect(ledger.countsOver(at, at)).toEqual({ requests: 10 * at, errors: errorMinutes.size });
  });
});

describe('burns past exact integers', () => {
  // 1,125,899,906,842,631 requests (just over 2^50) with 675,539,944,105,581 errors against 95%: the
  // fraction errors * 100 / (requests * 5) needs integers past 2^53, which floats cannot hold, so the
  // burn is the float quotient (12.00000000000004). Divided as if exact it is 12.000000000000043.
  const requests = 1_125_899_906_842_631;
  const errors = 675_539_944_105_581;

  it('in a ledger: the float quotient', () => {
    const ledger = ledgerOf([[requests, errors]]);
    expect(ledger.burnAt(1, 0.95)['5m']).toBe(errors / requests / 0.05);
    expect(ledger.burnAt(1, 0.95)['5m']).not.toBe((errors * 100) / (requests * 5));
  });

  it('in a backtest: the same numbers as the ledger', () => {
    expectBacktestMatchesLedger([{ minute: 0, requests, errors }], 0.95, 0, 3);
  });

  it('in a backtest whose largest total is a multiple of 100 past 2^53 / 100: still the float quotient', () => {
    // 675,539,944,105,620 of 1,125,899,906,842,700 against 95% is 12 as a fraction, 11.999999999999998
    // in floats: the total times the budget's 100 is past 2^53, so no window's fraction is trusted as exact.
    const rows = expectBacktestMatchesLedger(
      [{ minute: 0, requests: 1_125_899_906_842_700, errors: 675_539_944_105_620 }],
      0.95,
      0,
      1,
    );
    expect(rows[1]?.burn['5m']).toBe(11.999999999999998);
  });

  it('an objective of more than 15 digits: its budget is 1 - objective in floats', () => {
    // 0.9999999999999999 read as the decimal 9999999999999999 / 10^16 would round the numerator to
    // 10^16 and leave a budget of 0; 0.6666666666666666's 10^16 is no safe integer either.
    expect(errorBudget(0.9999999999999999)).toBe(1 - 0.9999999999999999);
    expect(errorBudget(0.9999999999999999)).toBeGreaterThan(0);
    expect(errorBudget(0.6666666666666666)).toBe(1 - 0.6666666666666666);
  });
});

describe('evaluatePolicy: both windows strictly above the threshold', () => {
  const burn = (over: Partial<Burn>): Burn => ({
    '5m': 0,
    '30m': 0,
    '1h': 0,
    '2h': 0,
    '6h': 0,
    '1d': 0,
    '3d': 0,
    ...over,
  });

  it('a long window exactly at the threshold does not fire, however high the short one', () => {
    expect(evaluatePolicy(burn({ '1h': 14.4, '5m': 100 }))).toEqual({ alert: 'none', firing: [] });
  });

  it('a short window exactly at the threshold does not fire, however high the long one', () => {
    expect(evaluatePolicy(burn({ '1h': 100, '5m': 14.4 }))).toEqual({ alert: 'none', firing: [] });
  });

  it('both a hair above fire', () => {
    expect(evaluatePolicy(burn({ '1h': 14.400000000000002, '5m': 14.400000000000002 }))).toEqual({
      alert: 'page',
      firing: ['page:1h/5m'],
    });
  });
});

describe('SliLedger.budgetRemaining once the period has moved on', () => {
  it('counts the period, not the minutes since the start', () => {
    // 60 minutes at 20% errors, then 120 clean: at minute 150 a 120-minute period holds minutes
    // 30-149, 30 of them burning: 600 errors of 12,000 requests, 5% against 99%, a 5x burn over
    // the whole period, which spends 5 periods' budget: 1 - 5 = -4 left.
    const ledger = ledgerOf([
      ...Array.from({ length: 60 }, () => [100, 20] as const),
      ...Array.from({ length: 120 }, () => [100, 0] as const),
    ]);
    expect(ledger.budgetRemaining(150, 0.99, 120)).toBe(-4);
  });
});

/**
 * A backtest's rows are, minute by minute, what a ledger fed the same minutes says: its burnAt and
 * evaluatePolicy (the backtest's own contract: "the same numbers").
 */
function expectBacktestMatchesLedger(
  steps: readonly SeriesStep[],
  objective: number,
  from: number,
  to: number,
) {
  const ledger = new SliLedger();
  let step = -1;
  for (let minute = 0; minute < to; minute++) {
    while (steps[step + 1] !== undefined && (steps[step + 1] as SeriesStep).minute <= minute) step++;
    const current = steps[step];
    ledger.record(
      current ? { requests: current.requests, errors: current.errors } : { requests: 0, errors: 0 },
    );
  }
  const rows = backtest(steps, { objective, from, to });
  expect(rows).toHaveLength(to - from + 1);
  rows.forEach((row, i) => {
    const burn = ledger.burnAt(from + i, objective);
    expect({ minute: row.minute, burn: row.burn }).toEqual({ minute: from + i, burn });
    expect({ alert: row.alert, firing: row.firing }).toEqual(evaluatePolicy(burn));
  });
  return rows;
}

describe('backtest: the same numbers as a ledger', () => {
  it('from the first minute, while the windows are still filling', () => {
    const rows = expectBacktestMatchesLedger(
      [
        { minute: 0, requests: 100, errors: 1 },
        { minute: 20, requests: 100, errors: 80 },
        { minute: 90, requests: 100, errors: 0 },
      ],
      0.95,
      0,
      130,
    );
    // 80% against 95% is a 16x burn: an hour into it every pair fires, and the page wins over the tickets.
    expect(rows[85]).toMatchObject({
      alert: 'page',
      firing: ['page:1h/5m', 'page:6h/30m', 'ticket:1d/2h', 'ticket:3d/6h'],
    });
  });

  it('60% errors against 90% is exactly 6x, so the 6x pair does not fire', () => {
    const rows = expectBacktestMatchesLedger([{ minute: 0, requests: 10, errors: 6 }], 0.9, 0, 400);
    expect(rows[400]?.burn['6h']).toBe(6);
    expect(rows[400]?.firing).toEqual(['ticket:1d/2h', 'ticket:3d/6h']);
  });

  it('fractional counts: read in floats when their fraction is not whole', () => {
    // 0.01 errors of 1 request against 90%: 0.01 * 10 is no whole number, so the burn is
    // 0.01 / 1 / 0.1 = 0.09999999999999999, not 0.1.
    const rows = expectBacktestMatchesLedger([{ minute: 0, requests: 1, errors: 0.01 }], 0.9, 0, 5);
    expect(rows[1]?.burn['5m']).toBe(0.09999999999999999);
    expectBacktestMatchesLedger([{ minute: 0, requests: 1.5, errors: 0.02 }], 0.9, 0, 5);
  });

  it('fractional minutes early, whole ones later: the whole windows still exact', () => {
    const rows = expectBacktestMatchesLedger(
      [
        { minute: 0, requests: 1, errors: 0.5 },
        { minute: 10, requests: 10, errors: 6 },
      ],
      0.9,
      0,
      40,
    );
    expect(rows[40]?.burn['5m']).toBe(6);
    expect(rows[40]?.burn['30m']).toBe(6);
  });

  it('an objective whose budget is no exact fraction', () => {
    expectBacktestMatchesLedger(
      [
        { minute: 0, requests: 10, errors: 1 },
        { minute: 5, requests: 10, errors: 7 },
      ],
      0.6666666666666666,
      0,
      12,
    );
  });

  it('a step whose minute never comes (NaN, or past the last) leaves the previous one to the end', () => {
    const steady = { minute: 0, requests: 10, errors: 5 };
    const expected = backtest([steady], { objective: 0.9, from: 0, to: 10 });
    expect(
      backtest([steady, { minute: Number.NaN, requests: 10, errors: 0 }], {
        objective: 0.9,
        from: 0,
        to: 10,
      }),
    ).toEqual(expected);
    expect(
      backtest([steady, { minute: 50, requests: 10, errors: 0 }], { objective: 0.9, from: 0, to: 10 }),
    ).toEqual(expected);
  });
});

describe("backtest refuses a step's counts", () => {
  const run = (step: SeriesStep) => () =>
    backtest([{ minute: 0, requests: 10, errors: 0 }, step], { objective: 0.99, from: 0, to: 10 });

  it('more errors than requests, naming the minute the step starts', () => {
    expect(run({ minute: 3, requests: 5, errors: 6 })).toThrow(
      'minute 3: need 0 <= errors <= requests, got 6 of 5',
    );
  });

  it('negative errors, or requests that are not a finite number', () => {
    expect(run({ minute: 3, requests: 5, errors: -1 })).toThrow(
      'minute 3: need 0 <= errors <= requests, got -1 of 5',
    );
    expect(run({ minute: 4, requests: Number.POSITIVE_INFINITY, errors: 0 })).toThrow(
      'minute 4: need 0 <= errors <= requests, got 0 of Infinity',
    );
    expect(run({ minute: 4, requests: Number.NaN, errors: 0 })).toThrow(RangeError);
  });

  it('a first step that is wrong', () => {
    expect(() =>
      backtest([{ minute: 0, requests: 1, errors: 2 }], { objective: 0.99, from: 0, to: 3 }),
    ).toThrow('minute 0: need 0 <= errors <= requests, got 2 of 1');
  });

  it('but takes every request failing', () => {
    const rows = backtest([{ minute: 0, requests: 5, errors: 5 }], { objective: 0.9, from: 1, to: 1 });
    expect(rows[0]?.burn['5m']).toBe(10);
  });
});

describe('pairFiresAt', () => {
  it('a pair the policy does not have never fires', () => {
    const columns = backtestColumns([{ minute: 0, requests: 10, errors: 10 }], {
      objective: 0.99,
      from: 0,
      to: 10,
    });
    expect(pairFiresAt(columns, 0, 10)).toBe(true);
    expect(pairFiresAt(columns, columns.policy.length, 10)).toBe(false);
  });
});

describe('SliLedger.lastMinuteBelow', () => {
  // minute: 0 good, 1 bad, 2 no traffic, 3 exactly at 0.9, 4 bad, 5 good
  const ledger = ledgerOf([
    [10, 0],
    [10, 5],
    [0, 0],
    [10, 1],
    [10, 2],
    [10, 0],
  ]);

  it('is the latest minute before the given one below the objective, -1 when none is', () => {
    expect(ledger.lastMinuteBelow(0.9, 6)).toBe(4);
    expect(ledger.lastMinuteBelow(0.9, 5)).toBe(4);
    expect(ledger.lastMinuteBelow(0.9, 4)).toBe(1);
    expect(ledger.lastMinuteBelow(0.9, 1)).toBe(-1);
    expect(ledger.lastMinuteBelow(0.9, 0)).toBe(-1);
  });

  it('counts a minute at the objective and a minute without requests as not below', () => {
    expect(ledger.lastMinuteBelow(0.9, 4)).toBe(1);
    expect(ledger.lastMinuteBelow(0.95, 4)).toBe(3);
    expect(ledger.lastMinuteBelow(1, 3)).toBe(1);
  });

  it('reads only the minutes recorded, and agrees with sli() on each', () => {
    expect(ledger.lastMinuteBelow(0.9, 100)).toBe(4);
    expect(ledger.lastMinuteBelow(0.99, 100)).toBe(4);
    for (let m = 0; m < 6; m++)
      expect(ledger.lastMinuteBelow(0.9, m + 1) === m).toBe(ledger.sli(m + 1) < 0.9);
  });

  it('refuses a minute that is not a whole number >= 0', () => {
    expect(() => ledger.lastMinuteBelow(0.9, -1)).toThrow(/minute must be a whole number >= 0, got -1/);
    expect(() => ledger.lastMinuteBelow(0.9, 1.5)).toThrow(/got 1.5/);
  });
});
