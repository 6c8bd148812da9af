import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { definePlay } from '../src/engine/plays.js';
import { ReplayJournal } from '../src/engine/replay-journal.js';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import { packageRoot, stockScenario } from '../src/toolkit/package-files.js';
import type { ServerMessage } from '../src/views/inspector/protocol.js';
import { type Inspector, startInspector } from '../src/views/inspector/server.js';
import { runShift, type ShiftResult } from '../src/world/drill.js';
import { loadScenario, type Scenario } from '../src/world/scenario.js';

let scenario: Scenario;
let expected: ShiftResult;
const open: Inspector[] = [];

beforeAll(async () => {
  scenario = loadScenario(stockScenario());
  expected = await runShift(scenario);
});
afterEach(async () => {
  for (const inspector of open.splice(0)) await inspector.close();
});

async function start(options: Partial<Parameters<typeof startInspector>[0]> = {}) {
  const inspector = await startInspector({ scenario, speed: 0, ...options });
  open.push(inspector);
  return inspector;
}

/** Connects like the page does and collects messages until the run is done. */
function collect(url: string, options: { send?: boolean; origin?: string } = {}) {
  return new Promise<{ messages: ServerMessage[]; at: number[] }>((resolve, reject) => {
    const socket = new WebSocket(
      `${url.replace('http', 'ws')}ws`,
      options.origin ? { origin: options.origin } : {},
    );
    const messages: ServerMessage[] = [];
    const at: number[] = [];
    socket.on('open', () => options.send && socket.send(JSON.stringify({ type: 'run' })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as ServerMessage;
      messages.push(message);
      at.push(performance.now());
      if (message.type === 'done' || message.type === 'error') {
        socket.close();
        resolve({ messages, at });
      }
    });
    socket.on('error', reject);
  });
}

function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>(
    (resolve, reject) => {
      const req = request(url, { headers }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe('the inspector server', () => {
  it('listens on 127.0.0.1 only, on a free port when asked for port 0', async () => {
    const inspector = await start();
    expect(inspector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(inspector.port).toBeGreaterThan(0);
  });

  it('serves the page with both statecharts inline, its script and styles, and nothing else', async () => {
    const { url } = await start();
    const page = await get(url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<template data-machine="incident"><svg data-machine="incident"');
    expect(page.body).toContain('<template data-machine="release"><svg data-machine="release"');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    for (const asset of ['app.js', 'zoom.js', 'panzoom.js', 'app.css', 'diagram.css'])
      expect((await get(`${url}${asset}`)).status).toBe(200);
    expect((await get(`${url}../package.json`)).status).toBe(404);
    expect((await get(`${url}nope`)).status).toBe(404);
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const { url } = await start();
    expect((await get(url, { host: 'attacker.example' })).status).toBe(421);
  });

  it('refuses WebSocket connections from another origin', async () => {
    const { url } = await start();
    await expect(collect(url, { origin: 'http://attacker.example' })).rejects.toThrow(/401/);
  });

  it('replays a journaled run: the stored trace again, with payloads, and no play runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-inspect-'));
    try {
      const store = new SqliteStore(join(dir, 'run.db'));
      const journal = store.createRun({
        scenario: 'stock',
        scenarioText: JSON.stringify(scenario),
        plays: null,
      });
      const ran: string[] = [];
      const stored = await runShift(scenario, {
        journal,
        plays: { rollback: definePlay(() => ({ ok: true, detail: 'counted' })) },
      });
      const replay = new ReplayJournal(journal);
      store.close();
      const counting = definePlay(({ key }) => {
        ran.push(key);
        return { ok: true, detail: 'counted' };
      });
      const { url } = await start({ journal: replay, plays: { rollback: counting } });
      const { messages } = await collect(url);
      const trace = messages.flatMap((m) => (m.type === 'trace' ? [m] : []));
      expect(trace.map((m) => m.entry)).toEqual(stored.trace);
      expect(trace.some((m) => m.entry.event === 'SLI_SAMPLE' && m.payload !== null)).toBe(true);
      expect(ran).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('streams the shift when a page connects: every transition of the trace, then done', async () => {
    const { url } = await start();
    const { messages } = await collect(url);
    expect(messages[0]).toEqual({ type: 'hello', scenario: 'stock-shift', speed: 0, autorun: true });
    expect(messages[1]).toEqual({ type: 'start', run: 1 });
    const trace = messages.flatMap((m) => (m.type === 'trace' ? [m] : []));
    expect(trace.map((m) => m.entry)).toEqual(expected.trace);
    expect(trace.every((m) => m.machine === (m.entry.actor === 'release' ? 'release' : 'incident'))).toBe(
      true,
    );
    expect(trace.filter((m) => m.entry.from !== null).every((m) => m.edge !== null)).toBe(true);
    const done = messages.at(-1);
    const last: Record<string, string> = {};
    for (const entry of expected.trace) last[entry.actor] = entry.to;
    expect(done).toEqual({
      type: 'done',
      run: 1,
      transitions: expected.trace.length,
      states: last,
      gate: { passed: 7, total: 7, failed: [] },
    });
  });

  it('sends what each event carries and each actor’s context after each transition', async () => {
    const { url } = await start();
    const { messages } = await collect(url);
    const sample = messages.find((m) => m.type === 'event' && m.event === 'SLI_SAMPLE');
    expect(sample).toMatchObject({
      payload: { sli: expect.any(Number), burn: { '1h': expect.any(Number) } },
    });
    const paged = messages.find(
      (m) => m.type === 'trace' && m.entry.actor === expected.primary && m.entry.to === 'page',
    );
    // The page came on a sample whose burns fire the page pair: the same numbers the incident recorded.
    const detection = expected.incidents.find((i) => i.id === expected.primary)?.detection;
    expect(paged).toMatchObject({
      payload: { sli: detection?.sli },
      context: { severity: 'sev1', milestones: { paged: expected.milestones.paged } },
    });
    const rolledBack = messages.find((m) => m.type === 'trace' && m.entry.event === 'ROLLBACK');
    expect(rolledBack).toMatchObject({ context: { live: expected.mitigate?.to } });
    // Functions (the clock, the plays' ops) are left out rather than failing the message.
    expect(JSON.stringify(paged)).not.toContain('"ops":{"');
  });

  it('names the gate checks that failed', async () => {
    const broken = loadScenario('scenarios/broken-fix.yaml');
    const { url } = await start({ scenario: broken });
    const { messages } = await collect(url);
    const done = messages.at(-1);
    expect(done?.type === 'done' && done.gate?.failed.map((c) => c.id)).toEqual(['ship']);
    expect(done?.type === 'done' && done.gate?.failed[0]?.detail).toContain('v3-fix');
  });

  it('lists the events the actors receive, with their sim minute, before the transitions they cause', async () => {
    const { url } = await start();
    const { messages } = await collect(url);
    const ack = messages.findIndex((m) => m.type === 'event' && m.event === 'ACK');
    expect(messages[ack]).toMatchObject({ actor: expected.primary, t: expected.milestones.acknowledged });
    expect(messages[ack + 1]).toMatchObject({
      type: 'trace',
      entry: { from: 'page', to: 'mitigate.running' },
    });
  });

  it('waits for the page’s Run button when autorun is off', async () => {
    const { url } = await start({ autorun: false });
    const { messages } = await collect(url, { send: true });
    expect(messages.filter((m) => m.type === 'start')).toHaveLength(1);
    expect(messages.at(-1)?.type).toBe('done');
  });

  it('paces the stream at --speed transitions per second', async () => {
    const { url } = await start({ speed: 40 });
    const { messages, at } = await collect(url);
    const times = messages.flatMap((m, i) => (m.type === 'trace' ? [at[i] as number] : []));
    const span = (times.at(-1) ?? 0) - (times[0] ?? 0);
    expect(span).toBeGreaterThanOrEqual(((times.length - 1) * 1000) / 40 - 50);
  });

  it('stops: close() ends the streams and frees the port', async () => {
    const inspector = await start({ speed: 5 });
    const socket = new WebSocket(`${inspector.url.replace('http', 'ws')}ws`);
    const closed = new Promise((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.on('message', resolve));
    await inspector.close();
    await closed;
    await expect(get(inspector.url)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('runbook inspect', () => {
  it('prints the URL, serves until Ctrl-C, then exits 0', async () => {
    const bin = join(packageRoot(), 'bin', 'runbook.cjs');
    expect(existsSync(join(packageRoot(), 'dist', 'src', 'cli', 'inspect.js')), 'npm run build first').toBe(
      true,
    );
    const child = spawn(process.execPath, [bin, 'inspect', '--port', '0', '--speed', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((await get(url)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toContain('inspector stopped');
  });

  it('rejects a bad --port or --speed with exit 2', async () => {
    const { main } = await import('../src/cli/main.js');
    const { bufferIo } = await import('../src/cli/io.js');
    const port = bufferIo();
    expect(await main(['inspect', '--port', '70000'], port)).toBe(2);
    expect(port.stderr).toContain('--port');
    const speed = bufferIo();
    expect(await main(['inspect', '--speed', 'fast'], speed)).toBe(2);
    expect(speed.stderr).toContain('--speed');
  });
});
