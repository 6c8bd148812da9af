import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

/**
 * `runbook serve` as a real process: killed with SIGKILL right after a 200 and started again on the
 * same journal, it still has every acknowledged alert and incident; SIGTERM exits 0; a bad config or
 * an off-loopback address without a token is one line and exit 2.
 */

const CLI = resolve('bin/runbook.cjs');
const dir = mkdtempSync(join(tmpdir(), 'runbook-serve-proc-'));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the server on a free port and answers its base URL once it listens. */
function serve(
  args: string[],
): Promise<{ base: string; child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0', ...args]);
  children.push(child);
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return new Promise((done, fail) => {
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (url) done({ base: url, child, exited });
    });
    child.on('close', (code) => fail(new Error(`serve exited ${code} before listening: ${out}`)));
  });
}

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code) => done({ code, stderr }));
  });
}

const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('runbook serve, the process', () => {
  it('keeps every acknowledged alert and incident through kill -9 and a restart on the same --db', async () => {
    const db = join(dir, 'live.db');
    const first = await serve(['--db', db]);
    const alerts = [
      { labels: { alertname: 'HighErrorRate', service: 'agent' } },
      { labels: { alertname: 'AnswerQualityLow', service: 'agent' } },
      { labels: { alertname: 'DiskAlmostFull', service: 'search' } },
    ];
    expect((await post(first.base, '/api/v2/alerts', alerts)).status).toBe(200);
    const before = await (await fetch(`${first.base}/api/incidents`)).json();
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await serve(['--db', db]);
    const after = await (await fetch(`${second.base}/api/incidents`)).json();
    expect(after).toEqual(before);
    expect(after.incidents.map((i: { alerts: number }) => i.alerts)).toEqual([2, 1]);
    const ready = await (await fetch(`${second.base}/readyz`)).json();
    expect(ready).toMatchObject({ ready: true, run: 'run-1' });
    expect(ready.replayed).toBeGreaterThanOrEqual(alerts.length);
    // The alerts already journaled are redeliveries now: nothing is opened twice.
    expect(await (await post(second.base, '/api/v2/alerts', alerts.slice(2))).json()).toEqual({
      accepted: 0,
      duplicates: 1,
    });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const resume = await cli(['resume', 'run-1', '--db', db]);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(/^runbook: .*live\.db: RUN: run-1 is a run of runbook serve, not a drill/);
  });

  it('refuses a bad config, naming the file and field, and an off-loopback address without a token', async () => {
    expect(await cli(['serve', '--check'])).toMatchObject({ code: 0 });
    const bad = await cli(['serve', '--check', '--config', 'scenarios/stock-shift.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^runbook: scenarios\/stock-shift\.yaml: \S+: .+\n$/);
    const open = await cli(['serve', '--listen', '0.0.0.0:0'], { RUNBOOK_TOKEN: '' });
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/^runbook: --listen: refuses to listen on 0\.0\.0\.0 without a bearer token/);
  });
});
