import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/engine/sqlite-store.js';
import { runShift } from '../../src/world/drill.js';
import { loadScenario } from '../../src/world/scenario.js';
import { fmtMs, fmtRatio, median, msSince } from '../measure.js';
import type { Row } from '../table.js';
import { scenarioFile } from './shift.js';

// As for the shift row, V8 needs a few hundred shifts to settle (this row's figures swung from 1.1x to
// 3.5x from one process to the next with 5 warm-up runs); both sides warm up together.
const WARMUP = 150;
const RUNS = 51;
const TARGET_RATIO = 2;

/**
 * The stock shift with its journal (SQLite, WAL, synchronous=NORMAL, group commit) against
 * the same shift without, alternating in one process so both see the same machine; and the journal's
 * appends per second over the journaled runs.
 */
export async function durable(): Promise<Row> {
  const file = scenarioFile('stock-shift.yaml');
  const scenario = loadScenario(file);
  const dir = mkdtempSync(join(tmpdir(), 'runbook-bench-'));
  let inputs = 0;
  const plain = async () => {
    const start = performance.now();
    await runShift(scenario, { file });
    return msSince(start);
  };
  const journaled = async (i: number) => {
    const store = new SqliteStore(join(dir, `run-${i}.db`));
    const journal = store.createRun({ scenario: file, scenarioText: JSON.stringify(scenario), plays: null });
    const start = performance.now();
    await runShift(scenario, { file, journal });
    const ms = msSince(start);
    inputs = store.runs()[0]?.inputs ?? 0;
    store.close();
    return ms;
  };
  try {
    for (let i = 0; i < WARMUP; i++) {
      await plain();
      await journaled(-1 - i);
    }
    const bare: number[] = [];
    const kept: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      bare.push(await plain());
      kept.push(await journaled(i));
    }
    const withJournal = median(kept);
    const without = median(bare);
    const ratio = withJournal / without;
    const perSecond = Math.round(inputs / (withJournal / 1000));
    return {
      row: 'durable',
      figure: `${fmtMs(withJournal)} (${perSecond.toLocaleString('en-US')} appends/s)`,
      target: `<= ${TARGET_RATIO}x`,
      baseline: fmtMs(without),
      ratio: `${ratio.toFixed(2)}x`,
      pass: ratio <= TARGET_RATIO,
      how: `stock shift journaled in a fresh SQLite file (${inputs} inputs, group commit: quiet minutes ride with the next minute that moves a machine) vs the same shift without a journal, alternating, median of ${RUNS} each after ${WARMUP} warm-up${ratio <= TARGET_RATIO ? '' : `; MISS by ${fmtRatio(ratio / TARGET_RATIO)}`}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
