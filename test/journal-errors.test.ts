import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A journal that cannot be used (corrupt, another program's, newer than this runbook, locked, or out
 * of space) is reported in one line naming the file and --db, exit 2, and the file is left as it was.
 */

const CLI = resolve('bin/runbook.cjs');
const dir = mkdtempSync(join(tmpdir(), 'runbook-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runbook(args: string[], shell?: string) {
  const command = shell ?? '';
  const result = command
    ? spawnSync('bash', ['-c', `${command}; exec "$0" "$@"`, process.execPath, CLI, ...args], {
        encoding: 'utf8',
      })
    : spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const hash = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A journal holding one finished stock shift: the "good" file the other cases start from. */
const good = join(dir, 'good.db');
beforeAll(() => {
  const run = runbook(['drill', '--db', good]);
  expect(run.code, run.stderr).toBe(0);
  new Database(good).pragma('wal_checkpoint(TRUNCATE)');
});

function expectRefused(run: ReturnType<typeof runbook>, file: string, why: RegExp) {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`${file}: --db: `);
  expect(lines[0]).toMatch(why);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('a journal that cannot be used', () => {
  it('refuses a file that is not SQLite, and leaves it as it was', () => {
    const file = join(dir, 'garbage.db');
    writeFileSync(file, 'not a database, just some bytes '.repeat(200));
    const before = hash(file);
    expectRefused(runbook(['drill', '--db', file]), file, /not a runbook database/);
    expect(hash(file)).toBe(before);
  });

  it("refuses another program's SQLite database, and leaves it as it was", () => {
    const file = join(dir, 'foreign.db');
    const db = new Database(file);
    db.exec('CREATE TABLE songs (title TEXT)');
    db.close();
    const before = hash(file);
    expectRefused(runbook(['drill', '--db', file]), file, /another program/);
    expectRefused(runbook(['runs', '--db', file]), file, /another program/);
    expect(hash(file)).toBe(before);
  });

  it('refuses a journal with a newer schema than this runbook knows', () => {
    const file = join(dir, 'newer.db');
    copyFileSync(good, file);
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    const before = hash(file);
    expectRefused(runbook(['runs', '--db', file]), file, /schema version 99, newer than this runbook's \d+/);
    expectRefused(runbook(['resume', 'run-1', '--db', file]), file, /upgrade runbook-machines/);
    expect(hash(file)).toBe(before);
  });

  it('refuses a journal another process holds locked, and leaves it as it was', () => {
    const file = join(dir, 'locked.db');
    copyFileSync(good, file);
    const before = hash(file);
    const holder = new Database(file);
    holder.exec('BEGIN EXCLUSIVE');
    try {
      expectRefused(runbook(['drill', '--db', file]), file, /locked by another process/);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(hash(file)).toBe(before);
  });

  it('stops at a full disk without a stack trace, keeping every batch committed before', () => {
    const file = join(dir, 'full.db');
    copyFileSync(good, file);
    // A file-size limit stands in for a full disk: the write-ahead log cannot grow past 64 KiB, so
    // the run starts (its id on stderr) and a later commit fails.
    const run = runbook(['drill', '--db', file, '--json'], 'ulimit -f 64');
    expect(run.stderr).toMatch(/^runbook: run run-2 journaled in /);
    expectRefused(
      { ...run, stderr: run.stderr.split('\n').slice(1).join('\n') },
      file,
      /could not be written/,
    );
    const runs = runbook(['runs', '--db', file, '--json']);
    expect(runs.code).toBe(0);
    const first = (JSON.parse(runs.stdout) as { runs: { id: string; state: string }[] }).runs[0];
    expect(first).toMatchObject({ id: 'run-1', state: 'finished' });
    const stored = runbook(['resume', 'run-1', '--db', file, '--json']);
    const fresh = runbook(['drill', '--json']);
    expect(stored.stdout).toBe(fresh.stdout);
  });

  it('says so when the journal to read does not exist, and creates nothing', () => {
    const file = join(dir, 'missing.db');
    expectRefused(runbook(['runs', '--db', file]), file, /cannot be opened/);
    expect(existsSync(file)).toBe(false);
  });

  it('names the run that is not there', () => {
    const run = runbook(['resume', 'run-9', '--db', good]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `runbook: ${good}: RUN: no run run-9 in this database (see: runbook runs --db FILE)\n`,
    );
  });
});
