import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * A Postgres journal that cannot be reached is bad input like an unusable SQLite file: one line naming
 * the URL (its password hidden) and --db, exit 2, no stack trace, nothing on stdout.
 */

const CLI = resolve('bin/runbook.cjs');

/** A loopback port nothing listens on: taken, then given back. */
function closedPort(): Promise<number> {
  return new Promise((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

describe('a Postgres journal that cannot be reached', () => {
  it('is one line naming the URL without its password, exit 2, for every command that takes --db', async () => {
    const url = `postgres://runbook:s3cret@127.0.0.1:${await closedPort()}/journal`;
    for (const args of [
      ['runs'],
      ['resume', 'run-1'],
      ['drill'],
      ['report', '--run', 'run-1', '--out', '/tmp/x.html'],
    ]) {
      const run = spawnSync(process.execPath, [CLI, ...args, '--db', url], { encoding: 'utf8' });
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines, run.stderr).toHaveLength(1);
      expect(lines[0]).toContain(`${url.replace('s3cret', '***')}: --db: cannot connect`);
      expect(run.stderr).not.toContain('s3cret');
    }
  }, 120_000);
});
