import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type JournalBatch, type KillPoint, killAndResume } from './support/kill-run.js';

/**
 * The durability contract for runbooks in the statechart language: a drill whose runbook waits at an
 * approval gate (checkout-approval) or fans out region by region (regional-restart) is SIGKILLed
 * there, resumed with `runbook resume`, and must end byte-identical to a run never killed, with no
 * play (no fan-out item) completed twice for one idempotency key. Checkpoints every 3 sim minutes, so
 * the resume starts from a checkpoint taken with the runbook's own timers (the gate's timeout) pending.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-flow-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function batches(file: string): Promise<JournalBatch[]> {
  const db = new Database(file, { readonly: true });
  const rows = db
    .prepare('SELECT first_seq, last_seq, inputs FROM journal ORDER BY first_seq')
    .all() as JournalBatch[];
  db.close();
  return Promise.resolve(rows);
}

/**
 * Keys of plays the recording fixture wraps (rollback, reindex): only those can be killed mid-play.
 * checkout-approval's first play is the scenario's restart effect: its approved rollback (step 3) is.
 */
const RECORDED = /^INC-1\/3\/|^INC-6\//;
const ROLLBACK_MID_PLAY: KillPoint = {
  stage: 'INC-1 mid-play: the approved rollback',
  env: { KILL_IN_PLAY: 'INC-1/3/1' },
};

/** The points inside the runbook, and a few around it: the whole list would repeat kill.test.ts. */
function runbookPoints(points: KillPoint[], extra: KillPoint[]): KillPoint[] {
  const chosen = [
    ...points.filter((p) => /runbook|fan-out|mid-play|acked|play acted|mid-settle/.test(p.stage)),
    ...extra,
  ].filter((p) => !p.env.KILL_IN_PLAY || RECORDED.test(p.env.KILL_IN_PLAY));
  // The scenario must reach its gate or its fan-out, or this test would prove nothing about them.
  expect(chosen.filter((p) => /approval|fan-out/.test(p.stage)).length).toBeGreaterThanOrEqual(2);
  return chosen;
}

describe.concurrent.each([
  ['checkout-approval', 'an approval gate', 4, [ROLLBACK_MID_PLAY]],
  ['regional-restart', 'a fan-out', 5, []],
] as const)('a %s run killed in %s and resumed', (name, _where, minPoints, extra) => {
  it('ends byte-identical to an uninterrupted run, every play and item completed once per key', async () => {
    await killAndResume({
      scenario: name,
      every: '3',
      dir,
      journal: (label) => join(dir, `${label}.db`),
      batches,
      pick: (points) => runbookPoints(points, [...extra]),
      minPoints,
    });
  }, 300_000);
});
