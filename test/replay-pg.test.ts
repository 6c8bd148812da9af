import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, postgresAvailable, startCluster } from '../bench/postgres-cluster.js';
import { assertBuilt, BIN } from './support/cli-process.js';

/** `runbook replay` of a drill journaled in a real Postgres: the same diff as from SQLite, nothing written. */

const available = postgresAvailable();
let cluster: Cluster | null = null;
let url = '';
beforeAll(async () => {
  if (!available) return;
  cluster = await startCluster();
  url = cluster.database('replay');
}, 60_000);
afterAll(() => cluster?.stop());

/** The built CLI: the Postgres store's worker thread runs from dist/. */
async function cli(args: string[]) {
  const child = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** Every row of the run's tables, as psql prints them: what a replay must leave as it was. */
const journalRows = () =>
  ['journal', 'runs', 'trace', 'incidents', 'outbox', 'checkpoints']
    .map(
      (table) =>
        spawnSync('/usr/lib/postgresql/15/bin/psql', [url, '-Atc', `SELECT * FROM ${table} ORDER BY 1, 2`], {
          encoding: 'utf8',
        }).stdout,
    )
    .join('\n');

describe.skipIf(!available)('runbook replay --db postgres://', () => {
  it('replays a drill kept in Postgres to its own result, and under a sweep leaves the journal as it was', async () => {
    assertBuilt();
    const drill = await cli(['drill', '--scenario', 'scenarios/stock-shift.yaml', '--db', url, '--json']);
    expect(drill.code, drill.stderr).toBe(0);
    const before = journalRows();
    // The rows are there to compare: the run, its journal and its trace.
    expect(before.split('run-1').length).toBeGreaterThan(10);
    const same = await cli(['replay', 'run-1', '--db', url, '--json']);
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ matchesRecord: true, diff: { same: true } });
    const sweep = await cli([
      'replay',
      'run-1',
      '--db',
      url,
      '--sweep',
      'alerting.policy[0].threshold=14.4,30',
      '--json',
    ]);
    const rows = JSON.parse(sweep.stdout).rows;
    expect(rows[0]).toMatchObject({ missed: [], extra: [] });
    expect(rows[1].mttd).toBeGreaterThan(rows[0].mttd);
    expect(journalRows()).toBe(before);
  }, 60_000);
});
