import { createRng } from '../../src/toolkit/rng.js';
import {
  type BacktestColumns,
  type BacktestOptions,
  backtestColumns,
  backtest as backtestRows,
  type SeriesStep,
} from '../../src/toolkit/slo.js';
import { fmtMs, fmtRatio, median, msSince } from '../measure.js';
import type { Row } from '../table.js';

const DAYS = 30;
const MINUTES = DAYS * 1440;
const WARMUP = 5;
const RUNS = 31;
const TARGET_MS = 5;

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

/** The backtest options the row uses for a series of `minutes` minutes: every minute, objective 99%. */
export const wholeSeries = (minutes: number): BacktestOptions => ({
  objective: 0.99,
  from: 0,
  to: minutes - 1,
});

/** The median time of `run`, after warm-up, with the last run's result for the caller to check. */
function timed<T>(run: () => T): { ms: number; last: T } {
  for (let i = 0; i < WARMUP; i++) run();
  const times: number[] = [];
  let last = run();
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    last = run();
    times.push(msSince(start));
  }
  return { ms: median(times), last };
}

/**
 * Backtests a given series with `backtestColumns` (the columnar result, what `runbook burn` uses):
 * its median time and the result, for this row and for rows comparing other tools on the same series.
 */
export function backtestSeries(
  steps: readonly SeriesStep[],
  options: BacktestOptions,
): { ms: number; columns: BacktestColumns } {
  const { ms, last } = timed(() => backtestColumns(steps, options));
  const rows = options.to - options.from + 1;
  if (last.length !== rows) throw new Error(`backtest: ${last.length} rows for ${rows} minutes`);
  return { ms, columns: last };
}

export function backtest(): Row {
  const steps = monthOfMinutes();
  const options = wholeSeries(MINUTES);
  const { ms, columns } = backtestSeries(steps, options);
  const fired = columns.firing.filter((bits) => bits.some((word) => word !== 0)).length;
  // The same backtest as one object per minute, the public `backtest()`: what the columns save.
  const objects = timed(() => backtestRows(steps, options));
  if (objects.last.length !== columns.length)
    throw new Error('backtest: rows and columns disagree in length');
  return {
    row: 'backtest',
    figure: fmtMs(ms),
    target: `<= ${TARGET_MS} ms`,
    baseline: `rows as objects: ${fmtMs(objects.ms)}`,
    ratio: fmtRatio(objects.ms / ms),
    pass: ms <= TARGET_MS,
    how: `backtestColumns() over ${DAYS} days of per-minute counts (${MINUTES.toLocaleString('en')} steps, one a minute), the four default pairs (${fired} of them fired), median of ${RUNS} runs after ${WARMUP} warm-up; baseline: backtest(), the same as one object per minute${ms <= TARGET_MS ? '' : `; MISS by ${fmtRatio(ms / TARGET_MS)}`}`,
  };
}
