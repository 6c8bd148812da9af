import { SimulatedClock } from 'xstate';
import { driveBare, driveOurs } from '../lifecycle.js';
import { fmtRatio, msSince } from '../measure.js';
import type { Row } from '../table.js';

const LIFECYCLES = 100_000;
const ROUNDS = 10;
const WARMUP = 5_000;
const TARGET_RATIO = 1.5;

function expectResolved(state: string, which: string): void {
  if (state !== 'resolved') throw new Error(`the ${which} machine ended in ${state}, not resolved`);
}

/**
 * Our incident machine against the bare one, the same lifecycle 100k times each. The two alternate
 * in rounds so that a slow patch of the machine (another process, a major GC) falls on both.
 */
export function overhead(): Row {
  const clock = new SimulatedClock();
  for (let i = 0; i < WARMUP; i++) {
    expectResolved(driveOurs(clock, 'INC-1'), 'incident');
    expectResolved(driveBare(clock), 'bare');
  }
  let ours = 0;
  let bare = 0;
  const perRound = LIFECYCLES / ROUNDS;
  for (let round = 0; round < ROUNDS; round++) {
    let start = performance.now();
    for (let i = 0; i < perRound; i++) driveOurs(clock, 'INC-1');
    ours += msSince(start);
    start = performance.now();
    for (let i = 0; i < perRound; i++) driveBare(clock);
    bare += msSince(start);
  }
  const ratio = ours / bare;
  const us = (ms: number) => `${((ms * 1000) / LIFECYCLES).toFixed(1)} µs/lifecycle`;
  return {
    row: 'overhead',
    figure: us(ours),
    target: `ratio <= ${TARGET_RATIO}`,
    baseline: us(bare),
    ratio: fmtRatio(ratio),
    pass: ratio <= TARGET_RATIO,
    how: `${LIFECYCLES / 1000}k lifecycles each (watching -> detect -> page -> mitigate -> learn -> ship -> verify -> resolved, 5 events + the verify timer on a SimulatedClock), our incident machine vs a bare machine with the same states, events, children and timers; alternating rounds of ${perRound / 1000}k after ${WARMUP / 1000}k warm-up each${ratio <= TARGET_RATIO ? '' : `; MISS by ${fmtRatio(ratio / TARGET_RATIO)}`}`,
  };
}
