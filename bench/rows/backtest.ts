import { createRng } from '../../src/toolkit/rng.js';
import { backtest as runBacktest, type SeriesStep } from '../../src/toolkit/slo.js';
import { fmtMs, median, msSince } from '../measure.js';
import type { Row } from '../table.js';

const DAYS = 30;
const MINUTES = DAYS * 1440;
const WARMUP = 5;
const RUNS = 31;
const TARGET_MS = 50;

/**
 * Thirty days of per-minute counts, one step a minute: ~1000 requests with a trickle of errors,
 * and a few bursts of 2% to 25% errors that make every pair of the default policy fire at some point.
 */
export function monthOfMinutes(seed = 30): SeriesStep[] {
  const rng = createRng(seed);
  const bursts = [
    { from: 5 * 1440, to: 5 * 1440 + 90, ratio: 0.25 },
    { from: 12 * 1440, to: 12 * 1440 + 8 * 60, ratio: 0.08 },
    { from: 20 * 1440, to: 21 * 1440 + 12 * 60, ratio: 0.035 },
    { from: 25 * 1440, to: 28 * 1440, ratio: 0.015 },
  ];
  const steps: SeriesStep[] = [];
  for (let minute = 0; minute < MINUTES; minute++) {
    const requests = 900 + rng.int(200);
    const burst = bursts.find((b) => minute >= b.from && minute < b.to);
    const ratio = burst ? burst.ratio : 0.002 * rng.next();
    steps.push({ minute, requests, errors: Math.round(requests * ratio) });
  }
  return steps;
}

export function backtest(): Row {
  const steps = monthOfMinutes();
  const options = { objective: 0.99, from: 0, to: MINUTES - 1 };
  const once = () => {
    const start = performance.now();
    const rows = runBacktest(steps, options);
    const ms = msSince(start);
    if (rows.length !== MINUTES) throw new Error(`backtest: ${rows.length} rows for ${MINUTES} minutes`);
    return { ms, rows };
  };
  for (let i = 0; i < WARMUP; i++) once();
  const times: number[] = [];
  let fired = new Set<string>();
  for (let i = 0; i < RUNS; i++) {
    const { ms, rows } = once();
    times.push(ms);
    fired = new Set(rows.flatMap((row) => row.firing));
  }
  const ms = median(times);
  return {
    row: 'backtest',
    figure: fmtMs(ms),
    target: `<= ${TARGET_MS} ms`,
    baseline: '',
    ratio: '',
    pass: ms <= TARGET_MS,
    how: `backtest() over ${DAYS} days of per-minute counts (${MINUTES.toLocaleString('en')} steps, one a minute), the four default pairs (${fired.size} of them fired), median of ${RUNS} runs after ${WARMUP} warm-up`,
  };
}
