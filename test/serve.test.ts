import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stockPlays } from '../src/engine/plays.js';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import { tokenCheck } from '../src/live/access.js';
import { loadLiveConfig } from '../src/live/config.js';
import { postedAlerts } from '../src/live/intake.js';
import { LiveEngine } from '../src/live/runtime.js';
import { buildServer } from '../src/live/server.js';

/**
 * `runbook serve` over real HTTP on loopback, in process, on a wall clock the test moves: alerts in,
 * incidents out, an SLI that burns pages, an ack mitigates, bad payloads leave the journal untouched.
 */

const CONFIG = 'examples/serve.yaml';
const dir = mkdtempSync(join(tmpdir(), 'runbook-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Running {
  base: string;
  live: LiveEngine;
  app: FastifyInstance;
  store: SqliteStore;
  /** Moves the wall clock on by whole minutes. */
  advance(minutes: number): void;
}

const started: Running[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) {
    await s.app.close();
    s.live.close();
    s.store.close();
  }
});

async function start(token: string | null = null): Promise<Running> {
  let now = Date.UTC(2026, 11, 1, 9, 0, 20);
  const store = new SqliteStore(join(dir, `${started.length}-${Math.random()}.db`));
  const config = loadLiveConfig(CONFIG, Object.keys(stockPlays));
  const live = new LiveEngine({ config, configFile: CONFIG, store, clock: () => now });
  const app = buildServer(live, { token, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const running = { base, live, app, store, advance: (m: number) => (now += m * 60000) };
  started.push(running);
  return running;
}

async function call(base: string, method: string, path: string, body?: unknown, raw?: string) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined && raw === undefined ? {} : { 'content-type': 'application/json' },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, json: text.startsWith('{') ? JSON.parse(text) : text };
}

const alert = (labels: Record<string, string>) => ({ labels, annotations: { summary: 'test' } });

describe('runbook serve', () => {
  it('opens an incident per group of posted alerts and lists it, filtered by service and state', async () => {
    const { base } = await start();
    const posted = await call(base, 'POST', '/api/v2/alerts', [
      alert({ alertname: 'HighErrorRate', service: 'agent' }),
      alert({ alertname: 'AnswerQualityLow', service: 'agent' }),
      alert({ alertname: 'HighLatency', service: 'billing' }),
    ]);
    expect(posted).toEqual({ status: 200, json: { accepted: 3, duplicates: 0 } });
    const all = (await call(base, 'GET', '/api/incidents')).json.incidents;
    expect(all.map((i: { labels: object }) => i.labels)).toEqual([
      { service: 'agent' },
      { service: 'billing' },
    ]);
    expect(all[0]).toMatchObject({ id: 'INC-1', state: 'watching', alerts: 2, openedAt: 0 });
    const agent = (await call(base, 'GET', '/api/incidents?service=agent')).json.incidents;
    expect(agent.map((i: { id: string }) => i.id)).toEqual(['INC-1']);
    expect((await call(base, 'GET', '/api/incidents?state=page')).json.incidents).toEqual([]);
  });

  it('pages when the posted SLI counts burn the budget, and an ack through the API starts mitigating', async () => {
    const { base, advance } = await start();
    await call(base, 'POST', '/api/v2/alerts', [alert({ alertname: 'AnswerQualityLow', service: 'agent' })]);
    // The first minute is not over: its counts cannot be in yet.
    expect((await call(base, 'POST', '/api/sli', { sli: 'quality', requests: 1000, errors: 5 })).status).toBe(
      409,
    );
    advance(1);
    const sli = await call(base, 'POST', '/api/sli', { sli: 'quality', requests: 1000, errors: 400 });
    expect(sli).toEqual({ status: 200, json: { minute: 0 } });
    const paged = (await call(base, 'GET', '/api/incidents?state=page')).json.incidents;
    expect(paged).toMatchObject([{ id: 'INC-1', severity: 'sev1' }]);

    expect((await call(base, 'POST', '/api/incidents/INC-9/ack', { by: 'Alice Chen' })).status).toBe(404);
    advance(1);
    const acked = await call(base, 'POST', '/api/incidents/INC-1/ack', { by: 'Alice Chen' });
    expect(acked.status).toBe(200);
    expect(acked.json.state).toMatch(/^mitigate/);
    expect(acked.json.milestones).toMatchObject({ paged: 1, acknowledged: 2 });
    const detail = (await call(base, 'GET', '/api/incidents/INC-1')).json;
    expect(detail.trace.map((e: { to: string }) => e.to)).toEqual(
      expect.arrayContaining(['page', expect.stringMatching(/^mitigate/)]),
    );
    // Acknowledged once: a second ack is not for now.
    expect((await call(base, 'POST', '/api/incidents/INC-1/ack', { by: 'Bob Okafor' })).status).toBe(409);
  });

  it('rebuilds a paged, acknowledged incident from its journal alone, plays and trace included', async () => {
    const running = await start();
    const { base, advance } = running;
    await call(base, 'POST', '/api/v2/alerts', [alert({ alertname: 'AnswerQualityLow', service: 'agent' })]);
    advance(1);
    await call(base, 'POST', '/api/sli', { sli: 'quality', requests: 1000, errors: 400 });
    await call(base, 'POST', '/api/incidents/INC-1/ack', { by: 'Carmen Diaz' });
    await new Promise((done) => setTimeout(done, 50)); // the rollback play reports
    const before = (await call(base, 'GET', '/api/incidents/INC-1')).json;
    expect(before.plays).toMatchObject([{ play: 'rollback' }]);
    // A second engine on the same file, as after a crash: nobody sends the alerts or the ack again.
    const store = new SqliteStore(running.store.location);
    const config = loadLiveConfig(CONFIG, Object.keys(stockPlays));
    const again = new LiveEngine({
      config,
      configFile: CONFIG,
      store,
      clock: () => Date.UTC(2026, 11, 1, 9, 2),
    });
    try {
      expect(again.run?.id).toBe(running.live.run?.id);
      expect(again.incident('INC-1')).toEqual(before);
    } finally {
      again.close();
      store.close();
    }
  });

  it('answers 400 naming the field for bad payloads and journals nothing of them', async () => {
    const { base, live } = await start();
    await call(base, 'POST', '/api/v2/alerts', [alert({ service: 'agent' })]);
    const before = (live.run?.entries() ?? []).length;
    const cases: [string, string, unknown, string | undefined, number, string][] = [
      ['POST', '/api/v2/alerts', [{}], undefined, 400, '[0].labels'],
      ['POST', '/api/v2/alerts', [{ labels: { service: 3 } }], undefined, 400, '[0].labels.service'],
      ['POST', '/api/v2/alerts', [{ labels: {} }], undefined, 400, '[0].labels'],
      ['POST', '/api/v2/alerts', [{ labels: { 'bad-name': 'x' } }], undefined, 400, '[0].labels.bad-name'],
      [
        'POST',
        '/api/v2/alerts',
        [alert({ a: 'b' }), { labels: { a: 'c' }, startsAt: 'noon' }],
        undefined,
        400,
        '[1].startsAt',
      ],
      ['POST', '/api/v2/alerts', { labels: { a: 'b' } }, undefined, 400, '(body)'],
      ['POST', '/api/v2/alerts', undefined, '[{"labels": {"a": "b"}', 400, '(body)'],
      [
        'POST',
        '/api/v2/alerts',
        undefined,
        '[{"labels": {"a": "b"}, "__proto__": {"x": 1}}]',
        400,
        '[0].__proto__',
      ],
      ['POST', '/api/v2/alerts', [{ labels: { a: 'x'.repeat(1024 * 1024) } }], undefined, 413, '(body)'],
      [
        'POST',
        '/webhook/alertmanager',
        { version: '3', groupKey: 'g', status: 'firing', receiver: 'r', alerts: [] },
        undefined,
        400,
        'version',
      ],
      ['POST', '/api/sli', { sli: 'latency', requests: 10, errors: 1 }, undefined, 400, 'sli'],
      ['POST', '/api/sli', { sli: 'quality', requests: 10, errors: 11 }, undefined, 400, 'errors'],
      ['POST', '/api/sli', { sli: 'quality', requests: 1.5, errors: 0 }, undefined, 400, 'requests'],
      ['POST', '/api/incidents/INC-1/ack', {}, undefined, 400, 'by'],
    ];
    for (const [method, path, body, raw, status, field] of cases) {
      const res = await call(base, method, path, body, raw);
      expect({ path, body: raw ?? body, status: res.status, field: res.json.field }).toEqual({
        path,
        body: raw ?? body,
        status,
        field,
      });
      expect(res.json.error).toMatch(/\w/);
    }
    expect((live.run?.entries() ?? []).length).toBe(before);
    const poisoned = await call(
      base,
      'POST',
      '/api/v2/alerts',
      undefined,
      '[{"labels": {"a": "b"}, "__proto__": {}}]',
    );
    expect(poisoned.json.error).toBe('a key named __proto__ is refused');
    expect((await call(base, 'GET', '/healthz')).status).toBe(200);
  });

  it('takes a redelivered webhook notification as already seen: nothing changes', async () => {
    const { base, live } = await start();
    const notification = {
      version: '4',
      groupKey: '{}:{service="agent"}',
      status: 'firing',
      receiver: 'runbook',
      groupLabels: { service: 'agent' },
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'HighErrorRate', service: 'agent' },
          annotations: {},
          startsAt: '2026-12-01T08:59:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: 'f00',
        },
        {
          status: 'firing',
          labels: { alertname: 'HighLatency', service: 'gateway' },
          annotations: {},
          startsAt: '2026-12-01T08:59:30Z',
          endsAt: '0001-01-01T00:00:00Z',
        },
      ],
    };
    expect((await call(base, 'POST', '/webhook/alertmanager', notification)).json).toEqual({
      accepted: 2,
      duplicates: 0,
    });
    const incidents = (await call(base, 'GET', '/api/incidents')).json;
    const journaled = (live.run?.entries() ?? []).length;
    expect((await call(base, 'POST', '/webhook/alertmanager', notification)).json).toEqual({
      accepted: 0,
      duplicates: 2,
    });
    expect((await call(base, 'GET', '/api/incidents')).json).toEqual(incidents);
    expect(incidents.incidents).toHaveLength(2);
    expect((live.run?.entries() ?? []).length).toBe(journaled);
    const metrics = (await call(base, 'GET', '/metrics')).json as string;
    expect(metrics).toContain('runbook_alerts_received_total{outcome="accepted"} 2');
    expect(metrics).toContain('runbook_alerts_received_total{outcome="duplicate"} 2');
    expect(metrics).toContain('runbook_incidents{state="watching"} 2');
  });

  it('asks for the bearer token when it has one, and compares it whole', async () => {
    const { base } = await start('s3cret');
    expect((await call(base, 'GET', '/api/incidents')).status).toBe(401);
    const ok = await fetch(`${base}/api/incidents`, { headers: { authorization: 'Bearer s3cret' } });
    expect(ok.status).toBe(200);
    expect((await call(base, 'GET', '/healthz')).status).toBe(200);
    const check = tokenCheck('s3cret');
    expect([
      check('Bearer s3cret'),
      check('Bearer s3cre'),
      check('Bearer s3cret2'),
      check(undefined),
    ]).toEqual([true, false, false, false]);
  });
});

describe('redelivery keys', () => {
  it("are kept an hour past the alert's end, then forgotten", async () => {
    const s = await start();
    const ended = {
      labels: { alertname: 'HighLatency', service: 'billing' },
      startsAt: '2026-12-01T09:00:00Z',
      endsAt: '2026-12-01T09:10:00Z',
    };
    const firing = { labels: { alertname: 'HighErrorRate', service: 'agent' } };
    expect((await call(s.base, 'POST', '/api/v2/alerts', [ended, firing])).json).toEqual({
      accepted: 2,
      duplicates: 0,
    });
    s.advance(60); // 10:00:20: the ended alert ended 50 minutes ago; the firing one's end (now + 5) at 09:05:20
    s.live.heartbeat();
    expect(s.live.rememberedKeys).toBe(2);
    expect((await call(s.base, 'POST', '/api/v2/alerts', [ended])).json).toEqual({
      accepted: 0,
      duplicates: 1,
    });
    s.advance(6); // 10:06:20: the firing one is forgotten, the ended one (09:10) not yet
    s.live.heartbeat();
    expect(s.live.rememberedKeys).toBe(1);
    s.advance(4); // 10:10:20
    s.live.heartbeat();
    expect(s.live.rememberedKeys).toBe(0);
    // A redelivery that late is news: Alertmanager does not send one (it resends with a new endsAt).
    expect((await call(s.base, 'POST', '/api/v2/alerts', [ended])).json).toEqual({
      accepted: 1,
      duplicates: 0,
    });
  });
});

describe('Alertmanager defaults for posted alerts', () => {
  const now = Date.UTC(2026, 11, 1, 9, 0, 0);
  it('fills a missing startsAt with now and a missing or zero endsAt with now plus the resolve timeout', () => {
    const [missing, zero, given, ended] = postedAlerts(
      [
        { labels: { a: '1' } },
        { labels: { a: '2' }, startsAt: '2026-12-01T08:00:00Z', endsAt: '0001-01-01T00:00:00Z' },
        { labels: { a: '3' }, startsAt: '2026-12-01T08:00:00Z', endsAt: '2026-12-01T08:30:00Z' },
        { labels: { a: '4' }, endsAt: '2026-12-01T08:30:00Z' },
      ],
      { now },
      7,
    ).map((r) => r.alert);
    expect(missing).toMatchObject({
      startsAt: '2026-12-01T09:00:00.000Z',
      endsAt: '2026-12-01T09:07:00.000Z',
    });
    expect(zero).toMatchObject({ startsAt: '2026-12-01T08:00:00Z', endsAt: '2026-12-01T09:07:00.000Z' });
    // Alertmanager starts an alert sent with only its endsAt at that endsAt, not now.
    expect(ended).toMatchObject({ startsAt: '2026-12-01T08:30:00Z', endsAt: '2026-12-01T08:30:00Z' });
    expect(given).toMatchObject({
      endsAt: '2026-12-01T08:30:00Z',
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });
});
