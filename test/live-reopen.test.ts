import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import { type LiveServer, startLive, until } from './support/live-server.js';

/**
 * A group whose incident is over opens a new incident on its next firing alert, as Alertmanager starts
 * a new notification group once the old one is flushed: with the shipped configuration (no
 * gapMinutes), a second burn after INC-1 ended pages again instead of joining the ended incident.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-reopen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let deploySystem: Server;
let hookUrl = '';
beforeAll(async () => {
  deploySystem = createServer((_req, res) => res.writeHead(200).end('rolled back'));
  await new Promise<void>((done) => deploySystem.listen(0, '127.0.0.1', done));
  hookUrl = `http://127.0.0.1:${(deploySystem.address() as AddressInfo).port}/rollback`;
});
afterAll(() => new Promise((done) => deploySystem.close(done)));

const servers: LiveServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

interface Listed {
  id: string;
  state: string;
  alerts: number;
}
const listed = async (base: string) =>
  ((await (await fetch(`${base}/api/incidents`)).json()) as { incidents: Listed[] }).incidents;

const FIRST_START = '2026-12-01T09:00:20.000Z';
const burn = { alertname: 'AnswerQualityLow', service: 'agent' };

/** INC-1: paged on a burn, acknowledged, and then `ending` (good minutes, or nothing, until it is over). */
async function firstIncidentOver(withHook: boolean): Promise<LiveServer> {
  const server = await startLive(new SqliteStore(':memory:'), (config) =>
    withHook ? { ...config, deploy: { rollback: { play: 'http', with: httpHook(hookUrl) } } } : config,
  );
  servers.push(server);
  const { base, advance } = server;
  await post(base, '/api/v2/alerts', [{ labels: burn, startsAt: FIRST_START }]);
  advance(60_000);
  await post(base, '/api/sli', { sli: 'quality', requests: 1000, errors: 400 });
  advance(60_000);
  expect((await post(base, '/api/incidents/INC-1/ack', { by: 'Alice Chen' })).status).toBe(200);
  await until('INC-1 to end', async () => {
    advance(60_000);
    await post(base, '/api/sli', { sli: 'quality', requests: 1000, errors: 0 });
    const state = (await listed(base))[0]?.state ?? '';
    return state === 'resolved' || state === 'escalated' ? state : null;
  });
  return server;
}

function httpHook(url: string) {
  return { url, method: 'POST' as const, headers: {}, timeoutSeconds: 5 };
}

describe('a group whose incident is over', () => {
  it.each([
    ['resolved', true],
    ['escalated', false],
  ])(
    'opens a new incident on its next firing alert once INC-1 is %s, and the new one pages',
    async (end, withHook) => {
      const { base, advance } = await firstIncidentOver(withHook);
      expect((await listed(base))[0]?.state).toBe(end);
      // A re-send of the alert that fired all along changes nothing: it belongs to INC-1.
      await post(base, '/api/v2/alerts', [{ labels: burn, startsAt: FIRST_START }]);
      expect((await listed(base)).map((i) => i.id)).toEqual(['INC-1']);

      advance(60_000);
      await post(base, '/api/v2/alerts', [{ labels: burn }]);
      const incidents = await listed(base);
      expect(incidents.map((i) => i.id)).toEqual(['INC-1', 'INC-2']);
      expect(incidents[0]?.state).toBe(end);
      // The new burn pages (its long window has to fill first, after INC-1's good minutes).
      const paged = await until('INC-2 to page', async () => {
        advance(60_000);
        await post(base, '/api/sli', { sli: 'quality', requests: 1000, errors: 400 });
        const second = (await (await fetch(`${base}/api/incidents/INC-2`)).json()) as {
          milestones: { paged?: number };
        };
        return second.milestones.paged ?? null;
      });
      expect(paged).toBeGreaterThan(0);
      // Further alerts of the new firing join INC-2.
      await post(base, '/api/v2/alerts', [{ labels: { ...burn, alertname: 'HighErrorRate' } }]);
      expect((await listed(base)).map((i) => [i.id, i.alerts])).toEqual([
        ['INC-1', 1],
        ['INC-2', 2],
      ]);
    },
  );

  it('keeps the seal through a restart from the journal: later alerts join the new incident', async () => {
    const db = join(dir, 'reopen.db');
    const first = await startLive(new SqliteStore(db));
    const { base, advance } = first;
    await post(base, '/api/v2/alerts', [{ labels: burn, startsAt: FIRST_START }]);
    advance(60_000);
    await post(base, '/api/sli', { sli: 'quality', requests: 1000, errors: 400 });
    await post(base, '/api/incidents/INC-1/ack', { by: 'Alice Chen' });
    let elapsed = 60_000;
    await until('INC-1 to end', async () => {
      advance(60_000);
      elapsed += 60_000;
      await post(base, '/api/sli', { sli: 'quality', requests: 1000, errors: 400 });
      return (await listed(base))[0]?.state === 'escalated' ? true : null;
    });
    advance(60_000);
    elapsed += 60_000;
    await post(base, '/api/v2/alerts', [{ labels: burn }]);
    await first.close();

    const second = await startLive(new SqliteStore(db));
    servers.push(second);
    second.advance(elapsed + 60_000);
    await post(second.base, '/api/v2/alerts', [{ labels: { ...burn, alertname: 'HighErrorRate' } }]);
    await post(second.base, '/api/v2/alerts', [{ labels: burn, startsAt: FIRST_START }]);
    expect((await listed(second.base)).map((i) => [i.id, i.alerts])).toEqual([
      ['INC-1', 1],
      ['INC-2', 2],
    ]);
  });
});
