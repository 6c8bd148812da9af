import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareReplay, sweepRow, withValue } from '../../src/cli/replay-run.js';
import { journaledShift } from '../../src/cli/run-store.js';
import { runShift } from '../../src/world/drill.js';
import { loadScenario } from '../../src/world/scenario.js';
import { fmtMs, fmtRatio, median, msSince } from '../measure.js';
import type { Row } from '../table.js';
import { scenarioFile } from './shift.js';

/** The sweep's values: the fast-burn page threshold from 6x to 42x. */
const VALUES = [6, 8, 10, 12, 14.4, 18, 22, 26, 32, 42];
const RUNS = 3;
const TARGET_MS = 5000;

/**
 * `runbook replay --sweep` over a 30-day recorded run: the stock shift with a ticket filed on its
 * last day, so the drill serves every minute of 30 days, journaled to SQLite; then the run read back
 * and replayed once under its own settings and once per value of `alerting.policy[0].threshold`. The
 * baseline is the same 30-day drill run in memory: the ratio says what ten replays cost in drills.
 */
export async function replay(): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-bench-replay-'));
  try {
    const file = join(dir, 'month.yaml');
    writeFileSync(
      file,
      `extends: ${scenarioFile('stock-shift.yaml')}
name: stock-shift-month
tickets:
  - { id: TCK-LAST, at: 43100, service: agent, title: "Monthly check: answers fine?" }
`,
    );
    const scenario = loadScenario(file);
    const db = join(dir, 'month.db');
    const recorded = await journaledShift(db, { scenario, file, plays: {}, playsModule: null });
    if (recorded.minutes.end < 43_000)
      throw new Error(`the month ran to minute ${recorded.minutes.end} only`);
    const drills: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      await runShift(scenario, { file });
      drills.push(msSince(start));
    }
    const sweeps: number[] = [];
    let pages = '';
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const prepared = await prepareReplay(db, 'run-1');
      if (prepared.matchesRecord !== true) throw new Error('the month does not replay to its own result');
      const rows = [];
      for (const value of VALUES) {
        const settings = withValue(prepared.base, 'alerting.policy[0].threshold', value);
        rows.push(sweepRow(value, await prepared.under(settings, 'bench')));
      }
      sweeps.push(msSince(start));
      pages = rows.map((r) => `${r.value}:${r.mttd ?? '-'}`).join(' ');
    }
    const ms = median(sweeps);
    const drill = median(drills);
    return {
      row: 'replay-sweep',
      figure: fmtMs(ms),
      target: `<= ${TARGET_MS} ms`,
      baseline: fmtMs(drill),
      ratio: fmtRatio(ms / drill),
      pass: ms <= TARGET_MS,
      how: `a 30-day journaled stock shift (${recorded.minutes.end} sim minutes) read back and replayed under its own settings plus ${VALUES.length} values of alerting.policy[0].threshold, median of ${RUNS}; baseline: the same 30-day drill in memory (MTTD per value: ${pages})`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
