import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, it } from 'vitest';
import { type JournalBatch, killAndResume } from './support/kill-run.js';

/**
 * The durability contract, proven on real processes with the SQLite journal: a shift journaled with
 * --db is SIGKILLed at many points, resumed with `runbook resume`, and must end byte-identical to a
 * run that was never killed, with no play completed twice for one idempotency key.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function batches(file: string): Promise<JournalBatch[]> {
  const db = new Database(file, { readonly: true });
  const rows = db
    .prepare('SELECT first_seq, last_seq, inputs FROM journal ORDER BY first_seq')
    .all() as JournalBatch[];
  db.close();
  return Promise.resolve(rows);
}

// The stock shift resumes from a checkpoint hours before the kill and replays the tail; the stale-index
// shift checkpoints every 3 minutes, so it resumes from a checkpoint taken with plays running and timers
// (play timeouts, settle windows, soaks) pending, which must be re-armed at their due minutes.
describe.concurrent.each([
  ['stock-shift', '1440'],
  ['stale-index', '3'],
])('a %s run (checkpoint every %s min) killed with SIGKILL and resumed', (name, every) => {
  it('ends byte-identical to an uninterrupted run, every play completed once per key', async () => {
    await killAndResume({
      scenario: name,
      every,
      dir,
      journal: (label) => join(dir, `${label}.db`),
      batches,
      minPoints: 16,
    });
  }, 300_000);
});

// No storm: its SLO alerts come from the world's own ledger (in the checkpoint), its failed requests
// from the service's carried remainders, its runbook runs a declared effect play before the rollback.
// A shorter story than the stock one, so fewer distinct points to kill it at.
describe('a checkout-api run (checkpoint every 3 min) killed with SIGKILL and resumed', () => {
  it('ends byte-identical to an uninterrupted run, every play completed once per key', async () => {
    await killAndResume({
      scenario: 'checkout-api',
      every: '3',
      dir,
      journal: (label) => join(dir, `${label}.db`),
      batches,
      minPoints: 12,
    });
  }, 300_000);
});
