import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../bench/ports.js';
import { stockPlays } from '../src/engine/plays.js';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import { EngineMinutes, engineTimeOf, minuteStart } from '../src/live/clock.js';
import { type EvalsConfig, parseLiveConfig } from '../src/live/config.js';
import { postedAlerts } from '../src/live/intake.js';
import { livePlays } from '../src/live/plays.js';
import { ReleaseFollower } from '../src/live/release-hook.js';
import { LiveEngine } from '../src/live/runtime.js';
import { buildServer } from '../src/live/server.js';
import { liveWorld } from '../src/live/world.js';
import { assertBuilt, runCli } from './support/cli-process.js';

/**
 * Deploys through the live engine: the engine's clock at a time scale, alert intake on that clock,
 * the live world asking a real eval service on loopback, canaried deploys promoted or rejected, the
 * deploy.promote hook following promotions (with retries under one idempotency key), the HTTP API for
 * all of it, an incident carried through its postmortem and fix, and the CLI's checks of the new flags.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-live-deploys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Request {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

interface Case {
  id: string;
  topic: string;
  question: string;
  expected: string;
}

const CASES: Case[] = [
  { id: 'c1', topic: 'refunds', question: 'How long do refunds take?', expected: '5 days' },
  { id: 'c2', topic: 'billing', question: 'When is the invoice sent?', expected: 'on the 1st' },
  { id: 'c3', topic: 'shipping', question: 'Do you ship abroad?', expected: 'yes' },
];

/**
 * The service's side on loopback: `/eval` answers each case right unless `wrong[release]` lists it
 * (or leaves it out when `omit[release]` does), `/wrong` answers `wrongCases[release]`, `/promote`
 * fails its first `failPromote` calls with 503, `/rollback` answers 200. Every request is recorded.
 */
class Service {
  readonly requests: Request[] = [];
  wrong: Record<string, string[]> = {};
  omit: Record<string, string[]> = {};
  wrongCases: Record<string, Case[]> = {};
  evalMode: 'ok' | 'fail' | 'shape' = 'ok';
  failPromote = 0;
  base = '';
  private server: Server | null = null;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => {
        text += chunk;
      });
      req.on('end', () => {
        const body = text ? JSON.parse(text) : null;
        this.requests.push({ path: req.url ?? '', headers: req.headers, body });
        const json = (status: number, value: unknown) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        if (req.url === '/eval') {
          if (this.evalMode === 'fail') return json(500, { error: 'eval store down' });
          if (this.evalMode === 'shape') return json(200, { scores: [] });
          const { release, cases } = body as { release: string; cases: Case[] };
          const wrong = this.wrong[release] ?? [];
          const omit = this.omit[release] ?? [];
          return json(200, {
            results: cases
              .filter((c) => !omit.includes(c.id))
              .map((c) => ({ id: c.id, correct: !wrong.includes(c.id) })),
          });
        }
        if (req.url === '/wrong') {
          const { release } = body as { release: string };
          return json(200, { cases: this.wrongCases[release] ?? [] });
        }
        if (req.url === '/promote' && this.failPromote > 0) {
          this.failPromote--;
          return res.writeHead(503).end('deploy system busy');
        }
        return res.writeHead(200).end('done');
      });
    });
    await new Promise<void>((done) => this.server?.listen(0, '127.0.0.1', done));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  to(path: string): Request[] {
    return this.requests.filter((r) => r.path === path);
  }

  reset(): void {
    this.requests.length = 0;
    this.wrong = {};
    this.omit = {};
    this.wrongCases = {};
    this.evalMode = 'ok';
    this.failPromote = 0;
  }

  async stop(): Promise<void> {
    await new Promise((done) => this.server?.close(done));
  }
}

const service = new Service();
beforeAll(() => service.start());
afterAll(() => service.stop());
afterEach(() => service.reset());

const PLAY_NAMES = [...Object.keys(stockPlays), ...Object.keys(livePlays({}))];
const WALL_START = Date.UTC(2026, 11, 1, 9, 0, 20);

function configText(extra: string): string {
  return `name: live-deploys
service: { name: agent, requestsPerMinute: 1000 }
release: v2
slos: { quality: { objective: 0.99 } }
oncall: { roster: [Alice Chen] }
incidentTypes:
  - name: quality-regression
    match: { service: agent }
    sli: quality
    fix: { candidate: v3-fix }
    runbook:
      - { play: rollback, timeout: 10 }
postmortem: { rootCauses: [a prompt change], trigger: the v3 deploy }
evalSet:
${CASES.map((c) => `  - { id: ${c.id}, topic: ${c.topic}, question: "${c.question}", expected: "${c.expected}" }`).join('\n')}
${extra}`;
}

const evalsYaml = (base: string) => `evals: { url: "${base}/eval", wrongAnswersUrl: "${base}/wrong" }`;
const hooksYaml = (base: string) =>
  `deploy:\n  rollback: { play: http, with: { url: "${base}/rollback" } }\n  promote: { play: http, with: { url: "${base}/promote" } }`;

interface Live {
  live: LiveEngine;
  store: SqliteStore;
  /** Moves the wall clock on by `ms`. */
  advance(ms: number): void;
}

const opened: { live: LiveEngine; store: SqliteStore; follower?: ReleaseFollower }[] = [];
afterEach(() => {
  for (const { live, store, follower } of opened.splice(0)) {
    follower?.stop();
    live.close();
    store.close();
  }
});

function startLive(text: string, timeScale?: number): Live {
  let now = WALL_START;
  const config = parseLiveConfig(text, 'live.yaml', PLAY_NAMES);
  const store = new SqliteStore(':memory:');
  const live = new LiveEngine({ config, configFile: 'live.yaml', store, clock: () => now, timeScale });
  opened.push({ live, store });
  return {
    live,
    store,
    advance: (ms) => {
      now += ms;
    },
  };
}

/** Polls (on the real clock) until `probe` answers something other than null: a condition, not a timing. */
async function until<T>(what: string, probe: () => T | null, ms = 15_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    const value = probe();
    if (value !== null) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the engine clock at a time scale', () => {
  it('runs 60 engine minutes per wall minute from the epoch, is the wall clock at scale 1, and starts runs on the second', () => {
    const epoch = Date.UTC(2026, 11, 1, 9, 0, 20);
    expect(engineTimeOf(epoch + 1000, epoch, 60)).toBe(epoch + 60_000);
    expect(engineTimeOf(epoch + 2500, epoch, 60)).toBe(epoch + 150_000);
    expect(engineTimeOf(epoch, epoch, 60)).toBe(epoch);
    expect(engineTimeOf(epoch + 12_345, epoch, 1)).toBe(epoch + 12_345);

    let now = epoch;
    const fast = new EngineMinutes(() => now, epoch, 60);
    const slow = new EngineMinutes(() => now, epoch, 1);
    now = epoch + 999;
    expect([fast.now(), slow.now()]).toEqual([0, 0]);
    now = epoch + 1000;
    expect([fast.now(), slow.now()]).toEqual([1, 0]);
    now = epoch + 59_999;
    expect([fast.now(), slow.now()]).toEqual([59, 0]);
    now = epoch + 60_000;
    expect([fast.now(), slow.now()]).toEqual([60, 1]);

    const wall = () => Date.UTC(2026, 11, 1, 9, 17, 42, 750);
    expect(minuteStart(wall, 60)).toBe('2026-12-01T09:17:42Z');
    expect(minuteStart(wall)).toBe('2026-12-01T09:17:00Z');
    expect(minuteStart(wall, 1)).toBe('2026-12-01T09:17:00Z');
  });
});

describe('alert intake at a time scale', () => {
  it('maps stated times onto the engine clock, leaves Go zero time unset, and keys by the sender strings', () => {
    const epoch = Date.UTC(2026, 11, 1, 9, 0, 0);
    const engineTime = (ms: number) => engineTimeOf(ms, epoch, 60);
    // 10 s of wall clock after the epoch: engine minute 10.
    const time = { now: engineTime(epoch + 10_000), engineTime };
    const body = [
      {
        labels: { alertname: 'A', service: 'agent' },
        startsAt: '2026-12-01T09:00:05Z',
        endsAt: '2026-12-01T09:00:08Z',
      },
      { labels: { alertname: 'B', service: 'agent' }, startsAt: '0001-01-01T00:00:00Z' },
      {
        labels: { alertname: 'C', service: 'agent' },
        startsAt: '2026-12-01T09:00:03Z',
        endsAt: '0001-01-01T00:00:00Z',
      },
    ];
    const first = postedAlerts(body, time, 5);
    expect(first.map((r) => [r.alert.startsAt, r.alert.endsAt])).toEqual([
      ['2026-12-01T09:05:00.000Z', '2026-12-01T09:08:00.000Z'],
      // Unset: from now (engine minute 10) for the 5-minute resolve timeout, in engine time.
      ['2026-12-01T09:10:00.000Z', '2026-12-01T09:15:00.000Z'],
      ['2026-12-01T09:03:00.000Z', '2026-12-01T09:15:00.000Z'],
    ]);
    expect(first.map((r) => r.key.split('|').slice(1))).toEqual([
      ['2026-12-01T09:00:05Z', '2026-12-01T09:00:08Z'],
      ['0001-01-01T00:00:00Z', ''],
      ['2026-12-01T09:00:03Z', '0001-01-01T00:00:00Z'],
    ]);
    // The same notification redelivered two wall seconds (two engine minutes) later has the same keys.
    const again = postedAlerts(body, { now: engineTime(epoch + 12_000), engineTime }, 5);
    expect(again.map((r) => r.key)).toEqual(first.map((r) => r.key));
    expect(again[1]?.alert.startsAt).toBe('2026-12-01T09:12:00.000Z');

    // Without a time scale the sender's times are the engine's.
    const plain = postedAlerts(body.slice(0, 1), { now: epoch + 10_000 }, 5);
    expect([plain[0]?.alert.startsAt, plain[0]?.alert.endsAt]).toEqual([
      '2026-12-01T09:00:05Z',
      '2026-12-01T09:00:08Z',
    ]);
  });
});

describe('the live world', () => {
  const evals = (extra: Partial<EvalsConfig> = {}): EvalsConfig => ({
    url: `${service.base}/eval`,
    timeoutSeconds: 5,
    ...extra,
  });

  it('asks the eval and wrong-answers endpoints, counts left-out cases wrong, and rejects bad answers naming the URL', async () => {
    const world = liveWorld(evals({ wrongAnswersUrl: `${service.base}/wrong` }));
    service.wrong = { v3: ['c2'] };
    service.omit = { v3: ['c3'] };
    expect(await world.evaluate('v3', CASES)).toEqual([
      { id: 'c1', correct: true },
      { id: 'c2', correct: false },
      { id: 'c3', correct: false },
    ]);
    expect(service.to('/eval').map((r) => r.body)).toEqual([{ release: 'v3', cases: CASES }]);

    service.evalMode = 'fail';
    await expect(world.evaluate('v3', CASES)).rejects.toThrow(`POST ${service.base}/eval -> 500`);
    service.evalMode = 'shape';
    await expect(world.evaluate('v3', CASES)).rejects.toThrow(
      `POST ${service.base}/eval answered another shape`,
    );

    const c1 = CASES[0] as Case;
    service.wrongCases = { v3: [c1] };
    expect(await world.wrongAnswers('v3', 'quality')).toEqual([c1]);
    expect(await world.wrongAnswers('v2', 'quality')).toEqual([]);
    expect(service.to('/wrong').map((r) => r.body)).toEqual([
      { release: 'v3', sli: 'quality' },
      { release: 'v2', sli: 'quality' },
    ]);

    const asked = service.requests.length;
    expect(await liveWorld(evals()).wrongAnswers('v3', 'quality')).toEqual([]);
    expect(service.requests).toHaveLength(asked);
    await expect((async () => liveWorld(undefined).evaluate('v3', CASES))()).rejects.toThrow(/evals\.url/);
  });
});

describe('deploys through the live engine', () => {
  it('promotes a candidate that answers every case right and rejects one that fails, with reasons', async () => {
    const { live, store } = startLive(configText(evalsYaml(service.base)));
    const good = await live.deploy('v3');
    expect(good).toMatchObject({ candidate: 'v3', verdict: 'promote', reasons: [], live: 'v3' });
    expect(good.report.candidate).toMatchObject({ release: 'v3', total: 3, correct: 3, failed: [] });
    expect(good.report.baseline).toMatchObject({ release: 'v2', total: 3, correct: 3 });
    expect(
      service
        .to('/eval')
        .map((r) => (r.body as { release: string }).release)
        .sort(),
    ).toEqual(['v2', 'v3']);
    expect(live.engine.live()).toBe('v3');
    expect(live.engine.releaseHistory().map((r) => `${r.release}:${r.via}`)).toEqual([
      'v2:initial',
      'v3:canary',
    ]);
    const release = live.engine.trace.entries.filter((e) => e.actor === 'release').map((e) => e.to);
    expect(release).toEqual(expect.arrayContaining(['canary', 'promoted']));
    const journaled = store.openRun(live.run?.id as string).entries();
    expect(journaled.filter((e) => e.input.kind === 'deploy')).toHaveLength(1);

    service.wrong = { v4: ['c2'] };
    const bad = await live.deploy('v4');
    expect(bad).toMatchObject({ candidate: 'v4', verdict: 'reject', live: 'v3' });
    expect(bad.reasons).toEqual([
      'candidate quality 66.7% < 99.0%',
      'candidate quality 66.7% < baseline v3 100.0% - tolerance 1.0%',
    ]);
    expect(bad.report.candidate.failed).toEqual(['c2']);
    expect(live.engine.live()).toBe('v3');
    expect(live.engine.releaseHistory()).toHaveLength(2);
    expect(live.engine.trace.entries.filter((e) => e.actor === 'release').map((e) => e.to)).toContain(
      'rejected',
    );
  });
});

describe('the deploy.promote hook', () => {
  it('follows a promotion once, retrying a failing hook under the same key; skips rollbacks; logs without a hook', async () => {
    const s = startLive(configText(`${evalsYaml(service.base)}\n${hooksYaml(service.base)}`));
    const logs: { message: string; fields: Record<string, unknown> }[] = [];
    const follower = new ReleaseFollower({
      engine: s.live.engine,
      run: 'run-7',
      hook: s.live.config.deploy.promote,
      log: (message, fields) => logs.push({ message, fields }),
    });
    (opened.at(-1) as { follower?: ReleaseFollower }).follower = follower;
    s.live.afterCommit = () => follower.wake();

    service.failPromote = 2;
    expect((await s.live.deploy('v3')).verdict).toBe('promote');
    // Heartbeats wake the follower every 50 ms meanwhile: a retry still waits for its backoff.
    const heartbeats = setInterval(() => follower.wake(), 50);
    // The first retry is due 0.5 s after the first failure: six heartbeats later it has not come.
    await new Promise((r) => setTimeout(r, 300));
    expect(service.to('/promote')).toHaveLength(1);
    // Real timers: the retries come after 0.5 s and 1 s.
    await until('the third promote call', () => (service.to('/promote').length >= 3 ? true : null));
    await until('the success log', () =>
      logs.some((l) => l.message.startsWith('promoted through')) ? true : null,
    );
    clearInterval(heartbeats);
    const calls = service.to('/promote');
    expect(calls).toHaveLength(3);
    for (const call of calls) {
      expect(call.body).toEqual({ action: 'promote', release: 'v3', from: 'v2' });
      expect(call.headers['idempotency-key']).toBe('run-7/release/1');
      expect(call.headers['x-runbook-incident']).toBeUndefined();
    }
    expect(logs.map((l) => l.message.replace(/:.*/, ''))).toEqual([
      'deploy hook failed, retrying in 500 ms',
      'deploy hook failed, retrying in 1000 ms',
      'promoted through the deploy hook',
    ]);
    expect(logs[2]?.fields).toEqual({ release: 'v3', from: 'v2', key: 'run-7/release/1' });

    // An incident's rollback play moves live back to v2: a record in the history, but not a promotion.
    s.live.receive(
      postedAlerts(
        [{ labels: { alertname: 'AnswerQualityLow', service: 'agent' } }],
        { now: s.live.clock() },
        5,
      ),
    );
    s.advance(60_000);
    s.live.recordSli('quality', 1000, 400);
    s.live.ack('INC-1', 'Alice Chen');
    await until('the rollback play', () =>
      s.live.incident('INC-1').plays.some((p: { outcome: string }) => p.outcome === 'success') ? true : null,
    );
    s.live.heartbeat();
    expect(service.to('/rollback')).toHaveLength(1);
    expect(s.live.engine.releaseHistory().map((r) => `${r.release}:${r.via}`)).toEqual([
      'v2:initial',
      'v3:canary',
      'v2:rollback',
    ]);
    // The next promotion is record 3: the rollback (record 2) was passed over, v3 was not called again.
    expect((await s.live.deploy('v5')).verdict).toBe('promote');
    await until('the fourth promote call', () => (service.to('/promote').length >= 4 ? true : null));
    const next = service.to('/promote')[3];
    expect(next?.body).toEqual({ action: 'promote', release: 'v5', from: 'v2' });
    expect(next?.headers['idempotency-key']).toBe('run-7/release/3');

    // Without a hook the promotion is logged for a person to carry out.
    const bare = startLive(configText(evalsYaml(service.base)));
    const bareLogs: { message: string; fields: Record<string, unknown> }[] = [];
    const unhooked = new ReleaseFollower({
      engine: bare.live.engine,
      run: 'run-8',
      hook: undefined,
      log: (message, fields) => bareLogs.push({ message, fields }),
    });
    (opened.at(-1) as { follower?: ReleaseFollower }).follower = unhooked;
    await bare.live.deploy('v3');
    expect(() => unhooked.wake()).not.toThrow();
    await until('the no-hook log', () => (bareLogs.length > 0 ? true : null));
    expect(bareLogs).toEqual([
      {
        message: expect.stringContaining('no deploy.promote hook is configured'),
        fields: { release: 'v3', from: 'v2', key: 'run-8/release/1' },
      },
    ]);
    expect(service.to('/promote')).toHaveLength(4);
  });
});

describe('deploys and the clock over HTTP', () => {
  it('POST /api/deploys canaries the candidate, refuses a body without one, and /readyz shows the clock', async () => {
    const s = startLive(configText(evalsYaml(service.base)), 60);
    const app = buildServer(s.live, { token: null, logger: false });
    try {
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.json()).toMatchObject({
        ready: true,
        clock: { epoch: '2026-12-01T09:00:20Z', timeScale: 60, minute: 0 },
      });

      service.wrong = { v4: ['c1'] };
      const rejected = await app.inject({
        method: 'POST',
        url: '/api/deploys',
        payload: { candidate: 'v4' },
      });
      expect(rejected.statusCode).toBe(200);
      expect(rejected.json()).toEqual({
        candidate: 'v4',
        verdict: 'reject',
        reasons: [
          'candidate quality 66.7% < 99.0%',
          'candidate quality 66.7% < baseline v2 100.0% - tolerance 1.0%',
        ],
        live: 'v2',
        candidateScore: { release: 'v4', total: 3, correct: 2, quality: 2 / 3, failed: ['c1'] },
        baselineScore: { release: 'v2', total: 3, correct: 3, quality: 1, failed: [] },
      });

      // Three wall seconds at 60x: the deploy lands at engine minute 3.
      s.advance(3000);
      const promoted = await app.inject({
        method: 'POST',
        url: '/api/deploys',
        payload: { candidate: 'v3' },
      });
      expect(promoted.json()).toMatchObject({ candidate: 'v3', verdict: 'promote', reasons: [], live: 'v3' });
      expect(s.live.engine.releaseHistory().at(-1)).toEqual({ release: 'v3', at: 3, via: 'canary' });

      const evalCalls = service.to('/eval').length;
      const missing = await app.inject({ method: 'POST', url: '/api/deploys', payload: { release: 'v9' } });
      expect(missing.statusCode).toBe(400);
      expect(missing.json()).toMatchObject({ field: 'candidate' });
      expect(service.to('/eval')).toHaveLength(evalCalls);

      // Alerts posted with wall-clock times land on the engine's clock.
      const wall = (ms: number) => new Date(WALL_START + ms).toISOString();
      const posted = await app.inject({
        method: 'POST',
        url: '/api/v2/alerts',
        payload: [{ labels: { alertname: 'A', service: 'agent' }, startsAt: wall(2000), endsAt: wall(7000) }],
      });
      expect(posted.json()).toEqual({ accepted: 1, duplicates: 0 });
      const group = s.live.engine.groupOf(s.live.engine.incidents[0] as never);
      expect([group.startsAt, group.endsAt]).toEqual([2, 7]);

      const after = await app.inject({ method: 'GET', url: '/readyz' });
      expect(after.json().clock).toEqual({ epoch: '2026-12-01T09:00:20Z', timeScale: 60, minute: 3 });
    } finally {
      await app.close();
    }
  });

  it('answers 409 to a deploy when there is no eval set to judge it on, and asks the endpoint nothing', async () => {
    const text = configText(evalsYaml(service.base)).replace(/evalSet:\n( {2}- .*\n)+/, '');
    const s = startLive(text);
    const app = buildServer(s.live, { token: null, logger: false });
    try {
      const refused = await app.inject({ method: 'POST', url: '/api/deploys', payload: { candidate: 'v3' } });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error).toMatch(/no eval set.*evalSet/);
      expect(service.to('/eval')).toHaveLength(0);
      expect(s.live.engine.releaseHistory()).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('answers 502 with the reason when the eval endpoint fails, and deploys nothing', async () => {
    const closed = await freePort();
    const s = startLive(configText(evalsYaml(`http://127.0.0.1:${closed}`)));
    const app = buildServer(s.live, { token: null, logger: false });
    try {
      const failed = await app.inject({ method: 'POST', url: '/api/deploys', payload: { candidate: 'v3' } });
      expect(failed.statusCode).toBe(502);
      expect(failed.json().error).toMatch(
        /^no canary evidence for v3: POST http:\/\/127\.0\.0\.1:\d+\/eval failed: ECONNREFUSED$/,
      );
      expect(s.live.engine.releaseHistory().map((r) => r.release)).toEqual(['v2']);
    } finally {
      await app.close();
    }
  });
});

describe('an incident through its postmortem and fix', () => {
  it('shows the postmortem and the shipped fix in the incident record once written', async () => {
    const s = startLive(configText(`${evalsYaml(service.base)}\n${hooksYaml(service.base)}`));
    const minutes = (n: number) => s.advance(n * 60_000);
    expect((await s.live.deploy('v3')).verdict).toBe('promote');
    // v3 gets refunds wrong; the fix answers everything, including the regression case made of it.
    service.wrongCases = { v3: [CASES[0] as Case] };
    s.live.receive(
      postedAlerts(
        [{ labels: { alertname: 'AnswerQualityLow', service: 'agent' } }],
        { now: s.live.clock() },
        5,
      ),
    );
    minutes(1);
    s.live.recordSli('quality', 1000, 400);
    expect(s.live.incident('INC-1').state).toBe('page');
    expect(s.live.incident('INC-1').postmortem).toBeNull();
    s.live.ack('INC-1', 'Alice Chen');
    await until('the rollback play', () =>
      s.live.incident('INC-1').plays.some((p: { outcome: string }) => p.outcome === 'success') ? true : null,
    );
    expect(s.live.engine.live()).toBe('v2');
    minutes(1);
    s.live.recordSli('quality', 1000, 0);
    const record = await until('the shipped fix', () => {
      const r = s.live.incident('INC-1');
      return r.ship ? r : null;
    });
    expect(record.state).toBe('verify');
    expect(record.postmortem).toMatchObject({
      accepted: true,
      regressionCases: ['reg-INC-1-c1'],
      markdown: expect.stringContaining('v3'),
    });
    expect(record.ship).toEqual({ candidate: 'v3-fix', verdict: 'promote', reasons: [], live: 'v3-fix' });
    // The fix was canaried on the eval set with the regression case in it.
    const fixEval = service
      .to('/eval')
      .map((r) => r.body as { release: string; cases: Case[] })
      .find((b) => b.release === 'v3-fix');
    expect(fixEval?.cases.map((c) => c.id)).toEqual(['c1', 'c2', 'c3', 'reg-INC-1-c1']);
    expect(service.to('/wrong').map((r) => r.body)).toEqual([{ release: 'v3', sli: 'quality' }]);
    expect(s.live.engine.live()).toBe('v3-fix');
  });
});

describe('runbook serve checks the new settings', () => {
  it('exits 2 naming evals.url for a bad eval URL, and --time-scale for a scale of 0', async () => {
    assertBuilt();
    const file = join(dir, 'bad-evals.yaml');
    writeFileSync(file, configText('evals: { url: not-a-url }'));
    const bad = await runCli(['serve', '--check', '--config', file], { cwd: process.cwd() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('evals.url');
    expect(bad.stderr).toContain(file);
    const good = join(dir, 'good-evals.yaml');
    writeFileSync(good, configText(evalsYaml('http://127.0.0.1:9')));
    expect(await runCli(['serve', '--check', '--config', good], { cwd: process.cwd() })).toMatchObject({
      code: 0,
    });
    const zero = await runCli(['serve', '--check', '--time-scale', '0'], { cwd: process.cwd() });
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--time-scale');
  });
});
