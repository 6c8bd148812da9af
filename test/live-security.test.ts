import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { stockPlays } from '../src/engine/plays.js';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import { parseLiveConfig } from '../src/live/config.js';
import { livePlays } from '../src/live/plays.js';
import { LiveEngine } from '../src/live/runtime.js';
import { type Inspector, startInspector } from '../src/views/inspector/server.js';
import { type LiveServer, startLive, until } from './support/live-server.js';
import { killServers, serveChild } from './support/serve-child.js';

/**
 * The doors a browser could open: DNS rebinding (a page on another site whose name now points at
 * loopback sends its own Host), cross-site writes (a page posting with its Origin, or "null" from a
 * sandboxed frame), and the inspector's socket. The API and the inspector refuse all of them, token
 * or not; the inspector asks for the API's token when there is one.
 */

const servers: LiveServer[] = [];
const inspectors: Inspector[] = [];
afterEach(async () => {
  killServers();
  for (const server of servers.splice(0)) await server.close();
  for (const inspector of inspectors.splice(0)) await inspector.close();
});

/** A raw request (fetch will not send a Host of our choosing): answers the status and the body. */
function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((done, fail) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers, setHost: !('host' in headers) },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

const PLAY_NAMES = [...Object.keys(stockPlays), ...Object.keys(livePlays({}))];
const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const ALERT = JSON.stringify([{ labels: { alertname: 'Burn', service: 'agent' } }]);
const JSON_TYPE = { 'content-type': 'application/json' };

async function live(): Promise<LiveServer> {
  const server = await startLive(new SqliteStore(':memory:'));
  servers.push(server);
  return server;
}

describe('the API against DNS rebinding and cross-site writes', () => {
  it('answers 421 to a Host that is not the listen address, on reads and writes', async () => {
    const { base } = await live();
    const port = new URL(base).port;
    for (const host of [`attacker.example:${port}`, 'attacker.example', `127.0.0.2:${port}`]) {
      const read = await raw(base, 'GET', '/api/incidents', { host });
      expect(read.status, host).toBe(421);
      expect(JSON.parse(read.body).field).toBe('host');
      const write = await raw(base, 'POST', '/api/v2/alerts', { host, ...JSON_TYPE }, ALERT);
      expect(write.status, host).toBe(421);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`])
      expect((await raw(base, 'GET', '/api/incidents', { host })).status, host).toBe(200);
  });

  it('answers 403 to a write from a browser page, whatever its Origin, and nothing is journaled', async () => {
    const { base, live: engine } = await live();
    for (const origin of ['https://attacker.example', 'null', base]) {
      const write = await raw(base, 'POST', '/api/v2/alerts', { origin, ...JSON_TYPE }, ALERT);
      expect(write.status, origin).toBe(403);
      expect(JSON.parse(write.body).field).toBe('origin');
      const ack = await raw(base, 'POST', '/api/incidents/INC-1/ack', { origin, ...JSON_TYPE }, '{"by":"x"}');
      expect(ack.status, origin).toBe(403);
    }
    expect(engine.incidents({})).toEqual([]);
    // Alertmanager, Prometheus and curl send no Origin.
    expect((await raw(base, 'POST', '/api/v2/alerts', JSON_TYPE, ALERT)).status).toBe(200);
  });

  it('takes a name given with --allow-host, and still refuses others (the real process)', async () => {
    const server = await serveChild(['--listen', '127.0.0.1:0', '--allow-host', 'runbook.internal']);
    const port = new URL(server.base).port;
    expect((await raw(server.base, 'GET', '/healthz', { host: `runbook.internal:${port}` })).status).toBe(
      200,
    );
    expect((await raw(server.base, 'GET', '/healthz', { host: 'runbook.internal' })).status).toBe(200);
    expect((await raw(server.base, 'GET', '/healthz', { host: `attacker.example:${port}` })).status).toBe(
      421,
    );
  });
});

/** Opens the inspector's socket with `headers`: resolves on open, rejects with the refusal. */
function socket(url: string, path: string, headers: Record<string, string>): Promise<void> {
  return new Promise((done, fail) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}${path}`, { headers });
    ws.on('open', () => {
      ws.close();
      done();
    });
    ws.on('error', fail);
  });
}

async function inspector(token: string | null): Promise<Inspector> {
  const started = await startInspector({
    scenario: { name: 'live' },
    live: { name: 'live', trace: () => [], watch: () => () => {} },
    port: 0,
    speed: 0,
    token,
  });
  inspectors.push(started);
  return started;
}

describe("the inspector's socket", () => {
  it('refuses Origin null and a foreign Host, and takes its own page', async () => {
    const { url, port } = await inspector(null);
    await expect(socket(url, 'ws', { origin: 'null' })).rejects.toThrow(/401/);
    await expect(socket(url, 'ws', { host: `attacker.example:${port}` })).rejects.toThrow(/401/);
    await expect(socket(url, 'ws', { origin: `http://127.0.0.1:${port}` })).resolves.toBeUndefined();
  });

  it("asks for the API's token on the page and the socket when there is one", async () => {
    const { url, port } = await inspector('s3cret-token');
    const origin = `http://127.0.0.1:${port}`;
    expect((await raw(url, 'GET', '/', {})).status).toBe(401);
    expect((await raw(url, 'GET', '/?token=wrong', {})).status).toBe(401);
    expect((await raw(url, 'GET', '/?token=s3cret-token', {})).status).toBe(200);
    await expect(socket(url, 'ws', { origin })).rejects.toThrow(/401/);
    await expect(socket(url, 'ws?token=wrong', { origin })).rejects.toThrow(/401/);
    await expect(socket(url, 'ws?token=s3cret-token', { origin })).resolves.toBeUndefined();
  });
});

describe('secrets', () => {
  const SECRETS = ['QUERYSECRET1', 'HEADERSECRET2', 'R0UTINGSECRET3R0UTINGSECRET3ABCD', 'EVALSECRET4'];
  const received: { url: string; authorization?: string }[] = [];
  let service: import('node:http').Server;
  let base = '';
  const dir = mkdtempSync(join(tmpdir(), 'runbook-secrets-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    return new Promise((done) => service?.close(done));
  });

  async function startService(): Promise<void> {
    if (base) return;
    service = createServer((req, res) => {
      received.push({ url: req.url ?? '', authorization: req.headers.authorization });
      req.resume();
      // An eval endpoint that fails, repeating the URL it was asked (as some do).
      if (req.url?.startsWith('/eval')) return res.writeHead(500).end(`cannot serve ${base}${req.url}`);
      res.writeHead(200).end(`done ${base}${req.url}`);
    });
    await new Promise<void>((done) => service.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  }

  const configText = () => `name: secrets
service: { name: agent, requestsPerMinute: 1000 }
release: v2
slos: { quality: { objective: 0.99 } }
oncall: { roster: [Alice Chen] }
incidentTypes:
  - name: quality-regression
    match: { service: agent }
    sli: quality
    runbook:
      - { play: http, with: { url: "${base}/mitigate?key=${SECRETS[0]}", headers: { Authorization: "Bearer ${SECRETS[1]}" } } }
postmortem: { rootCauses: [unknown], trigger: unknown }
notifiers:
  - { name: pd, type: pagerduty, url: "${base}/pd", routingKey: ${SECRETS[2]} }
evals: { url: "${base}/eval?key=${SECRETS[3]}" }
evalSet:
  - { id: c1, topic: refunds, question: "How long?", expected: "5 days" }
`;

  it('are in no answer, log line, play detail or journal byte, and a new journal is 0600', async () => {
    await startService();
    const config = join(dir, 'live.yaml');
    writeFileSync(config, configText());
    const db = join(dir, 'secrets.db');
    const server = await serveChild([
      '--listen',
      '127.0.0.1:0',
      '--config',
      config,
      '--db',
      db,
      '--time-scale',
      '60',
    ]);
    const deploy = await post(server.base, '/api/deploys', { candidate: 'v3' });
    expect(deploy.status).toBe(502);
    const deployText = await deploy.text();
    expect(deployText).toContain('/eval?key=redacted');
    await post(server.base, '/api/v2/alerts', [{ labels: { alertname: 'Burn', service: 'agent' } }]);
    // At --time-scale 60 a minute is a second: the burn is counted once its minute has passed.
    await until('the burn to be counted', async () => {
      const sli = await post(server.base, '/api/sli', { sli: 'quality', requests: 1000, errors: 400 });
      return sli.status === 200 ? true : null;
    });
    const acked = await until('the page to be acknowledged', async () => {
      const ack = await post(server.base, '/api/incidents/INC-1/ack', { by: 'Alice Chen' });
      return ack.status === 200 ? ack.text() : null;
    });
    const detail = await until('the http play to report', async () => {
      const record = (await (await fetch(`${server.base}/api/incidents/INC-1`)).json()) as {
        plays: { outcome: string; detail: string }[];
      };
      const play = record.plays.find((p) => p.outcome !== 'running');
      return play ? play.detail : null;
    });
    expect(detail).toContain('/mitigate?key=redacted');
    // The play itself was sent the real values.
    expect(received.find((r) => r.url.startsWith('/mitigate'))?.authorization).toBe(`Bearer ${SECRETS[1]}`);
    expect(statSync(db).mode & 0o777).toBe(0o600);
    server.child.kill('SIGKILL');
    await server.exited;
    const journal = ['', '-wal']
      .filter((suffix) => existsSync(`${db}${suffix}`))
      .map((suffix) => readFileSync(`${db}${suffix}`).toString('latin1'))
      .join('');
    for (const secret of SECRETS) {
      for (const [where, text] of [
        ['the deploy answer', deployText],
        ['the ack answer', acked],
        ['the play detail', detail],
        ['the log', server.output()],
        ['the journal', journal],
      ] as const)
        expect(String(text).includes(secret), `${secret} in ${where}`).toBe(false);
    }
  });

  it('come back from the file as it is now when a run resumes', async () => {
    await startService();
    const db = join(dir, 'resume.db');
    const config = parseLiveConfig(configText(), 'live.yaml', PLAY_NAMES);
    const clock = () => Date.UTC(2026, 11, 1, 9, 0, 20);
    const first = new SqliteStore(db);
    new LiveEngine({ config, configFile: 'live.yaml', store: first, clock }).close();
    first.close();
    const again = new SqliteStore(db);
    const resumed = new LiveEngine({ config, configFile: 'live.yaml', store: again, clock });
    const step = resumed.config.incidentTypes[0]?.runbook[0];
    expect((step?.with as { headers: Record<string, string> } | undefined)?.headers.Authorization).toBe(
      `Bearer ${SECRETS[1]}`,
    );
    expect(resumed.run?.meta.scenarioText).not.toContain(SECRETS[1]);
    resumed.close();
    again.close();
  });
});
