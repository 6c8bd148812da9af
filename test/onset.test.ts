import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { onsetOf } from '../src/engine/learn.js';
import { SliLedger } from '../src/toolkit/slo.js';

/** A ledger of per-minute counts, minute 0 first. */
function ledgerOf(minutes: [requests: number, errors: number][]): SliLedger {
  const ledger = new SliLedger();
  for (const [requests, errors] of minutes) ledger.record({ requests, errors });
  return ledger;
}
const healthy = (n: number, requests = 1000): [number, number][] => Array(n).fill([requests, 0]);

describe('onsetOf: where MTTD, MTTM and MTTR count from', () => {
  it('is the first minute of the run of bad minutes before detection at high traffic', () => {
    const ledger = ledgerOf([...healthy(10), ...Array(5).fill([1000, 200])]);
    expect(onsetOf(ledger, 0.99, 15)).toBe(10);
  });

  it('is restarted by one good minute at high traffic: at 20% errors it would have held 200 bad answers', () => {
    const ledger = ledgerOf([...healthy(5), [1000, 200], [1000, 200], [1000, 0], [1000, 200], [1000, 200]]);
    expect(onsetOf(ledger, 0.99, 10)).toBe(8);
  });

  it('is not restarted at 3 requests a minute by the minutes that asked no refund question', () => {
    // Questions cycle refunds, shipping, billing, account, returns; v3 answers refunds wrongly from
    // minute 20. Three requests a minute ask refunds in minutes 0, 1 and 3 of every five.
    const minutes: [number, number][] = Array.from({ length: 40 }, (_, m) => {
      const asked = [0, 1, 2].map((i) => (m * 3 + i) % 5);
      return [3, m >= 20 ? asked.filter((q) => q === 0).length : 0];
    });
    expect(minutes.slice(20, 25).map(([, errors]) => errors)).toEqual([1, 1, 0, 1, 0]);
    expect(onsetOf(ledgerOf(minutes), 0.99, 40)).toBe(20);
  });

  it('is restarted by good minutes that would have held exactly one bad answer at the error ratio', () => {
    // Over minutes 0..2 the ratio is 3/9; minute 1's three good requests would have held one bad answer.
    expect(
      onsetOf(
        ledgerOf([
          [3, 1],
          [3, 0],
          [3, 2],
        ]),
        0.99,
        3,
      ),
    ).toBe(2);
    expect(
      onsetOf(
        ledgerOf([
          [3, 1],
          [2, 0],
          [3, 1],
        ]),
        0.99,
        3,
      ),
    ).toBe(0);
  });

  it('is not restarted by minutes with no traffic at all', () => {
    const ledger = ledgerOf([...healthy(5), [100, 50], [0, 0], [0, 0], [0, 0], [100, 50]]);
    expect(onsetOf(ledger, 0.99, 10)).toBe(5);
  });

  it('skips good minutes just before detection to reach the bad stretch', () => {
    const ledger = ledgerOf([...healthy(5, 3), [3, 1], [3, 1], [3, 0]]);
    expect(onsetOf(ledger, 0.99, 8)).toBe(5);
  });

  it('is the detection minute itself when no minute before it was bad', () => {
    expect(onsetOf(ledgerOf(healthy(10)), 0.99, 10)).toBe(10);
  });

  it('counts a minute above the objective but with errors as good', () => {
    const ledger = ledgerOf([
      [1000, 200],
      [1000, 5],
      [1000, 200],
      [1000, 200],
    ]);
    expect(onsetOf(ledger, 0.99, 4)).toBe(2);
    expect(onsetOf(ledger, 0.999, 4)).toBe(0);
  });

  it('agrees with the walk minute by minute on any history', () => {
    // The definition, read literally: walk back from detection, adding up good minutes' requests,
    // and let a bad minute restart the stretch unless those requests would have held a bad answer.
    const walk = (ledger: SliLedger, objective: number, detected: number) => {
      let onset = detected;
      let quiet = 0;
      for (let minute = detected - 1; minute >= 0; minute--) {
        if (ledger.sli(minute + 1) >= objective) {
          quiet += ledger.countsOver(1, minute + 1).requests;
          continue;
        }
        if (quiet * ledger.errorRatio(detected - minute, detected) >= 1) break;
        onset = minute;
        quiet = 0;
      }
      return onset;
    };
    const minute = fc
      .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }))
      .map(([requests, errors]): [number, number] => [requests, Math.min(errors, requests)]);
    fc.assert(
      fc.property(
        fc.array(minute, { maxLength: 40 }),
        fc.constantFrom(0.5, 0.9, 0.99),
        fc.integer({ min: 0, max: 45 }),
        (minutes, objective, detected) => {
          const ledger = ledgerOf(minutes);
          expect(onsetOf(ledger, objective, detected)).toBe(walk(ledger, objective, detected));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
