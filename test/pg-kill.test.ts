import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Cluster, postgresAvailable, startCluster } from '../bench/postgres-cluster.js';
import { type JournalBatch, killAndResume } from './support/kill-run.js';

/**
 * The durability contract on the Postgres journal: a drill with `--db postgres://...` is SIGKILLed at
 * points over the stages (intake, mid-play, a play's outcome uncommitted, the settle window, the
 * ship step, the end), resumed with `runbook resume`, and ends byte-identical to an
 * uninterrupted run on the same store, every play completed once per idempotency key.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-pg-kill-'));
let cluster: Cluster | null = null;
beforeAll(async () => {
  cluster = await startCluster();
}, 120_000);
afterAll(() => {
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function batches(url: string): Promise<JournalBatch[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT first_seq::int AS first_seq, last_seq::int AS last_seq, inputs FROM journal ORDER BY first_seq',
    );
    return rows as JournalBatch[];
  } finally {
    await client.end();
  }
}

/** The stages a Postgres journal must survive, a subset of the SQLite test's (each kill is two processes). */
const STAGES = /mid-storm|mid-play|outcome uncommitted|mid-settle|ship uncommitted|last input/;

describe.runIf(postgresAvailable())('a drill journaled in Postgres, killed with SIGKILL and resumed', () => {
  it('ends byte-identical to an uninterrupted run, every play completed once per key', async () => {
    const c = cluster as Cluster;
    await killAndResume({
      scenario: 'stale-index',
      // Checkpoints every 30 sim minutes: some kills resume from one taken with timers pending.
      every: '30',
      dir,
      journal: (label) => c.database(label.replace(/\W/g, '_')),
      batches,
      pick: (points) => points.filter((p) => STAGES.test(p.stage)),
      minPoints: 6,
    });
  }, 600_000);
});
