import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import { type Inspector, startInspector } from '../src/views/inspector/server.js';
import { type LiveServer, startLive } from './support/live-server.js';
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
