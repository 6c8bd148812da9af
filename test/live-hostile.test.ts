import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { scanAlerts } from '../src/cli/alert-file.js';
import type { Engine } from '../src/engine/engine.js';
import { stockPlays } from '../src/engine/plays.js';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import { loadLiveConfig } from '../src/live/config.js';
import { runCommand } from '../src/live/plays.js';
import { ReleaseFollower } from '../src/live/release-hook.js';
import { LiveEngine } from '../src/live/runtime.js';
import { assertBuilt, runCli } from './support/cli-process.js';
import { LIVE_CONFIG, type LiveServer, startLive, until } from './support/live-server.js';
import { killServers, serveChild } from './support/serve-child.js';

/**
 * `runbook serve` against input meant to break it: what the API refuses before anything is journaled,
 * and what a hook or a replay must survive when something bad got through anyway.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const servers: LiveServer[] = [];
afterEach(async () => {
  killServers();
  for (const server of servers.splice(0)) await server.close();
});

async function live(): Promise<LiveServer> {
  const server = await startLive(new SqliteStore(':memory:'));
  servers.push(server);
  return server;
}

const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('release names at the API', () => {
  it.each([
    ['a NUL byte', 'v3\u0000fix'],
    ['200 KB', 'v'.repeat(200_000)],
    ['a newline', 'v3\nv4'],
    ['a leading dash (an option to a hook)', '-rf'],
    ['a space', 'v3 fix'],
  ])('refuses a candidate with %s: 400 naming candidate, nothing journaled', async (_what, candidate) => {
    const { base, live: engine } = await live();
    const before = engine.run?.entries().length;
    const response = await post(base, '/api/deploys', { candidate });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; field: string };
    expect(body.field).toBe('candidate');
    expect(body.error).toMatch(/release name|at most 200/);
    expect(engine.run?.entries().length).toBe(before);
  });

  it('takes a version, a tag and an image reference (then the eval set decides)', async () => {
    const { base } = await live();
    for (const candidate of ['v3-fix', '1.4.2+build.7', 'registry.example/agent:v3@sha256:ab12']) {
      const response = await post(base, '/api/deploys', { candidate });
      // The shipped configuration has no eval set: refused for that, not for the name.
      expect(response.status, candidate).toBe(409);
    }
  });
});

describe('a hook that cannot start', () => {
  const exec = { command: '/bin/true', args: [], env: [], timeoutSeconds: 5 };

  it('is a failed call naming why when a fact holds a NUL byte', async () => {
    const called = await runCommand(exec, { key: 'k', facts: { release: 'a\u0000b' } });
    expect(called.ok).toBe(false);
    expect(called.detail).toContain('cannot run (ERR_INVALID_ARG_VALUE)');
  });

  it('is a failed call naming why when a fact is longer than execve takes', async () => {
    const called = await runCommand(exec, { key: 'k', facts: { release: 'v'.repeat(200_000) } });
    expect(called.ok).toBe(false);
    expect(called.detail).toContain('cannot run (E2BIG)');
  });

  it('is retried and reported by the deploy follower, never a crash', async () => {
    const history = [
      { release: 'v2', at: 0, via: 'initial' as const },
      { release: 'v3\u0000fix', at: 1, via: 'canary' as const },
    ];
    const logged: string[] = [];
    const follower = new ReleaseFollower({
      engine: { releaseHistory: () => history } as unknown as Engine,
      run: 'r1',
      hook: { play: 'exec', with: exec },
      log: (message) => logged.push(message),
    });
    follower.wake();
    try {
      const failed = await until(
        'the hook failure to be reported',
        async () => logged.find((m) => m.startsWith('deploy hook failed, retrying')) ?? null,
      );
      expect(failed).toContain('cannot run (ERR_INVALID_ARG_VALUE)');
    } finally {
      follower.stop();
    }
  });
});

describe('alert times the engine cannot hold', () => {
  const alert = (extra: object) => [{ labels: { alertname: 'QualityBurn', service: 'agent' }, ...extra }];

  it('are 400 naming the field before the journal, and the restarted server replays the rest', async () => {
    const db = join(dir, 'times.db');
    const first = await serveChild(['--listen', '127.0.0.1:0', '--db', db, '--time-scale', '60']);
    const refused: [string, unknown, string][] = [
      ['/api/v2/alerts', alert({ startsAt: '0001-01-02T00:00:00Z' }), '[0].startsAt'],
      ['/api/v2/alerts', alert({ startsAt: '9999-12-31T23:00:00Z' }), '[0].startsAt'],
      [
        '/api/v2/alerts',
        alert({ startsAt: '2026-12-01T10:00:00Z', endsAt: '2026-12-01T09:00:00Z' }),
        '[0].endsAt',
      ],
      [
        '/webhook/alertmanager',
        {
          version: '4',
          groupKey: '{}:{service="agent"}',
          status: 'firing',
          receiver: 'runbook',
          alerts: alert({ status: 'firing', startsAt: '0001-01-02T00:00:00Z' }),
        },
        'alerts[0].startsAt',
      ],
    ];
    for (const [path, body, field] of refused) {
      const response = await post(first.base, path, body);
      expect(response.status, field).toBe(400);
      expect(((await response.json()) as { field: string }).field).toBe(field);
    }
    expect((await post(first.base, '/api/v2/alerts', alert({}))).status).toBe(200);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await serveChild(['--listen', '127.0.0.1:0', '--db', db]);
    const ready = (await (await fetch(`${second.base}/readyz`)).json()) as { replayed: number };
    expect(ready.replayed).toBeGreaterThan(0);
    const { incidents } = (await (await fetch(`${second.base}/api/incidents`)).json()) as {
      incidents: { alerts: number }[];
    };
    expect(incidents.map((i) => i.alerts)).toEqual([1]);
  });

  it('in a journal written before intake checked them, are passed over on replay', () => {
    const db = join(dir, 'poisoned.db');
    const config = loadLiveConfig(LIVE_CONFIG, Object.keys(stockPlays));
    const clock = () => Date.UTC(2026, 11, 1, 9, 0, 20);
    const store = new SqliteStore(db);
    const first = new LiveEngine({ config, configFile: LIVE_CONFIG, store, clock });
    const run = first.run;
    if (!run) throw new Error('no run');
    const seq = run.entries().length + 1;
    const labels = { alertname: 'QualityBurn', service: 'agent' };
    // What an older server journaled for `startsAt: 0001-01-02` at --time-scale 60, then failed to apply.
    const poisoned = {
      labels,
      annotations: {},
      startsAt: '-119529-02-04T07:28:00.000Z',
      endsAt: '2026-12-01T09:05:20.000Z',
      fingerprint: 'f',
    };
    run.commit({
      inputs: [{ seq, input: { kind: 'alert', alert: poisoned, key: 'k' } }],
      trace: [],
      incidents: [],
      notifications: [],
    });
    first.close();
    store.close();

    const reopened = new SqliteStore(db);
    const second = new LiveEngine({ config, configFile: LIVE_CONFIG, store: reopened, clock });
    expect(second.resumed).toBe(seq);
    expect(second.incidents({})).toEqual([]);
    second.close();
    reopened.close();
  });
});

describe('SLI names', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'refuses %s, a key every object inherits: 400 naming sli',
    async (sli) => {
      const { base } = await live();
      const response = await post(base, '/api/sli', { sli, requests: 10, errors: 0 });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string; field: string };
      expect(body.field).toBe('sli');
      expect(body.error).toContain('unknown SLI');
    },
  );
});

describe('serve --check and a journal in memory', () => {
  assertBuilt();
  it('says what will not work with the shipped configuration, and still exits 0', async () => {
    const run = await runCli(['serve', '--check'], { cwd: process.cwd() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/ok \(1 incident types, 4 warnings above\)/);
    expect(run.stderr).toContain(
      'incidentTypes[0].runbook[0]: rollback calls deploy.rollback, which is not configured',
    );
    expect(run.stderr).toContain('--token-file: no bearer token');
    expect(run.stderr).toContain('--db: no --db: the journal is in memory');
  });

  it('exits 2 naming --listen for an address off loopback without a token', async () => {
    const run = await runCli(['serve', '--check', '--listen', '0.0.0.0:9095', '--db', join(dir, 'c.db')], {
      cwd: process.cwd(),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--listen: 0.0.0.0 is off loopback and there is no bearer token');
    expect(run.stderr).not.toContain('--db:');
  });

  it('warns on stderr when serve runs without --db', async () => {
    const server = await serveChild(['--listen', '127.0.0.1:0']);
    expect(server.output()).toContain('warning: no --db: the journal is in memory');
  });
});

describe('alert files', () => {
  const scan = async (text: Buffer) => {
    const alerts: unknown[] = [];
    await scanAlerts('alerts.json', [text], (a) => alerts.push(a));
    return alerts;
  };
  const json = JSON.stringify([
    { labels: { alertname: 'A', service: 'agent' }, startsAt: '2026-12-01T09:00:00Z' },
  ]);

  it('take a UTF-8 byte order mark, as a JSON list and as NDJSON', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    expect(await scan(Buffer.concat([bom, Buffer.from(json)]))).toHaveLength(1);
    const line = JSON.stringify({ labels: { alertname: 'A' }, startsAt: '2026-12-01T09:00:00Z' });
    expect(await scan(Buffer.concat([bom, Buffer.from(`${line}\n${line}\n`)]))).toHaveLength(2);
  });

  it('refuse an alert that ends before it starts, naming endsAt and the rule', async () => {
    const bad = JSON.stringify([
      { labels: { alertname: 'A' }, startsAt: '2026-12-01T10:00:00Z', endsAt: '2026-12-01T09:00:00Z' },
    ]);
    const error = await scan(Buffer.from(bad)).catch((e: Error & { field?: string; file?: string }) => e);
    expect(error).toMatchObject({ field: 'alerts[0].endsAt', file: 'alerts.json' });
    expect((error as Error).message).toContain('start time must be before end time');
  });
});
