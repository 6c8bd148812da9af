import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { stockPlays } from '../src/engine/plays.js';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import { parseLiveConfig } from '../src/live/config.js';
import { postedAlerts } from '../src/live/intake.js';
import { OutboxDelivery } from '../src/live/outbox.js';
import { livePlays } from '../src/live/plays.js';
import { LiveEngine } from '../src/live/runtime.js';
import { InputError } from '../src/toolkit/errors.js';

/**
 * Live plays and notifications against real HTTP on loopback: an `http` play and a deploy hook
 * called with their idempotency keys, an `exec` play with its environment allow-list, the outbox
 * delivered to a PagerDuty-shaped receiver that checks every event against the Events API v2 shape
 * and fails the first deliveries, and an escalation policy whose levels follow from the journal.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-live-plays-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** PagerDuty Events API v2, as its documentation states the request body. */
const pagerDutyEvent = z.discriminatedUnion('event_action', [
  z.strictObject({
    routing_key: z.string().length(32),
    event_action: z.literal('trigger'),
    dedup_key: z.string().max(255),
    client: z.string().optional(),
    payload: z.strictObject({
      summary: z.string().min(1).max(1024),
      source: z.string().min(1),
      severity: z.enum(['critical', 'error', 'warning', 'info']),
      timestamp: z.iso.datetime().optional(),
      component: z.string().optional(),
      group: z.string().optional(),
      class: z.string().optional(),
      custom_details: z.record(z.string(), z.unknown()).optional(),
    }),
  }),
  z.strictObject({
    routing_key: z.string().length(32),
    event_action: z.enum(['acknowledge', 'resolve']),
    dedup_key: z.string().max(255),
  }),
]);

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A receiver on loopback: records every request; `failFirst` answers 503 to the first N to `/pd`. */
class Receiver {
  readonly requests: Received[] = [];
  failFirst = 0;
  playStatus = 200;
  private server: Server | null = null;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => {
        text += chunk;
      });
      req.on('end', () => {
        const body = text ? JSON.parse(text) : null;
        this.requests.push({ path: req.url ?? '', headers: req.headers, body });
        if (req.url === '/pd') {
          if (this.failFirst > 0) {
            this.failFirst--;
            res.writeHead(503).end('try later');
            return;
          }
          const checked = pagerDutyEvent.safeParse(body);
          res.writeHead(checked.success ? 202 : 400).end(checked.success ? '{"status":"success"}' : 'bad');
          return;
        }
        res.writeHead(req.url === '/play' ? this.playStatus : 200).end('done');
      });
    });
    await new Promise<void>((done) => this.server?.listen(0, '127.0.0.1', done));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  to(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    await new Promise((done) => this.server?.close(done));
  }
}

const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const PLAY_NAMES = [...Object.keys(stockPlays), ...Object.keys(livePlays({}))];

function configText(base: string, runbook: string, extra = ''): string {
  return `name: live-plays
service: { name: agent, requestsPerMinute: 1000 }
release: v2
slos: { quality: { objective: 0.99 } }
oncall:
  roster: [Alice Chen, Bob Okafor]
  escalation:
    levels:
      - { notify: [Alice Chen], afterMinutes: 5 }
      - { notify: [Bob Okafor], afterMinutes: 5 }
    repeats: 1
incidentTypes:
  - name: quality-regression
    match: { service: agent }
    sli: quality
    runbook:
${runbook}
postmortem: { rootCauses: [unknown], trigger: unknown }
notifiers:
  - { name: pd, type: pagerduty, url: "${base}/pd", routingKey: ${ROUTING_KEY} }
  - { name: chat, type: webhook, url: "${base}/hook" }
delivery: { backoff: { initialSeconds: 1, maxSeconds: 60 } }
${extra}`;
}

interface Live {
  live: LiveEngine;
  store: SqliteStore;
  delivery: OutboxDelivery;
  advance(minutes: number): void;
  seconds(n: number): void;
}

const opened: Live[] = [];
afterEach(async () => {
  for (const { live, store, delivery } of opened.splice(0)) {
    await delivery.stop();
    live.close();
    store.close();
  }
});

function startLive(text: string, db = join(dir, `${opened.length}-${process.hrtime.bigint()}.db`)): Live {
  let now = Date.UTC(2026, 11, 1, 9, 0, 20);
  const clock = () => now;
  const config = parseLiveConfig(text, 'live.yaml', PLAY_NAMES);
  const store = new SqliteStore(db);
  const live = new LiveEngine({ config, configFile: 'live.yaml', store, clock });
  const run = live.run;
  if (!run) throw new Error('no run');
  const log = { warn: () => {}, error: () => {} };
  const delivery = new OutboxDelivery({
    outbox: run,
    run: run.id,
    epoch: live.engine.config.epoch,
    notifiers: config.notifiers,
    clock,
    metrics: live.metrics,
    log,
    timeoutSeconds: 5,
    backoff: config.delivery.backoff,
  });
  const handle = {
    live,
    store,
    delivery,
    advance: (m: number) => {
      now += m * 60000;
    },
    seconds: (s: number) => {
      now += s * 1000;
    },
  };
  opened.push(handle);
  return handle;
}

/** Opens INC-1 and burns its SLI hard enough to page at minute 1. */
function pageIncident({ live, advance }: Live): void {
  live.receive(
    postedAlerts([{ labels: { alertname: 'AnswerQualityLow', service: 'agent' } }], { now: live.clock() }, 5),
  );
  advance(1);
  live.recordSli('quality', 1000, 400);
}

/** Waits (on the real clock: plays make real requests) until INC-1's current play has reported. */
async function playReported(live: LiveEngine): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const plays = live.incident('INC-1').plays;
    if (plays.length > 0 && plays.every((p: { outcome: string }) => p.outcome !== 'running')) return;
    await new Promise((done) => setTimeout(done, 25));
  }
  throw new Error('the play never reported');
}

describe('live plays and notifications', () => {
  const receiver = new Receiver();
  afterAll(() => receiver.stop());

  it('pages PagerDuty (retrying a failing receiver), escalates, and an ack runs the http play with its key', async () => {
    await receiver.start();
    receiver.failFirst = 2;
    const runbook = `      - { play: http, timeout: 10, with: { url: "${receiver.base}/play", body: { action: restart } } }`;
    const s = startLive(configText(receiver.base, runbook));
    pageIncident(s);
    await s.delivery.deliverDue();
    expect(receiver.to('/pd')).toHaveLength(1);
    // The failed trigger holds back nothing of other incidents, and is tried again only after its backoff.
    await s.delivery.deliverDue();
    expect(receiver.to('/pd')).toHaveLength(1);
    s.seconds(2);
    await s.delivery.deliverDue();
    s.seconds(4);
    await s.delivery.deliverDue();
    expect(receiver.to('/pd').map((r) => (r.body as { event_action: string }).event_action)).toEqual([
      'trigger',
      'trigger',
      'trigger',
    ]);

    s.advance(5);
    s.live.heartbeat();
    s.advance(5);
    s.live.heartbeat();
    s.advance(2);
    s.live.ack('INC-1', 'Bob Okafor');
    await playReported(s.live);
    s.advance(10);
    s.live.heartbeat();
    await s.delivery.deliverDue();

    const events = receiver.to('/pd').map((r) => r.body as z.infer<typeof pagerDutyEvent>);
    for (const event of events) expect(pagerDutyEvent.safeParse(event).success).toBe(true);
    expect(events.map((e) => e.event_action)).toEqual(['trigger', 'trigger', 'trigger', 'acknowledge']);
    expect(new Set(events.map((e) => e.dedup_key))).toEqual(new Set([`${s.live.run?.id}/INC-1`]));
    expect(events[2]).toMatchObject({ payload: { severity: 'critical', component: 'INC-1' } });

    const chat = receiver.to('/hook').map((r) => r.body as { key: string; to?: string[]; t: number });
    expect(chat.map((n) => [n.key, n.to, n.t])).toEqual([
      ['INC-1/page', ['Alice Chen'], 1],
      ['INC-1/escalate/1.2', ['Bob Okafor'], 6],
      ['INC-1/escalate/2.1', ['Alice Chen'], 11],
      ['INC-1/acknowledge', undefined, 13],
      // Nobody posted the SLI after the play: it never recovered, so the runbook ran out and escalated.
      ['INC-1/escalate', undefined, 23],
    ]);
    expect(new Set(receiver.to('/hook').map((r) => r.headers['idempotency-key']))).toHaveProperty('size', 5);

    const play = receiver.to('/play');
    expect(play).toHaveLength(1);
    expect(play[0]?.headers['idempotency-key']).toBe('INC-1/1/1');
    expect(play[0]?.body).toEqual({ action: 'restart' });
    expect(s.live.incident('INC-1').plays).toMatchObject([
      {
        play: 'http',
        outcome: 'no-recovery',
        detail: `POST ${receiver.base}/play -> 200: done; SLI still below objective after 5 min`,
      },
    ]);
    expect(s.store.openRun(s.live.run?.id as string).undelivered()).toEqual([]);
    const metrics = await s.live.metrics.registry.metrics();
    expect(metrics).toContain('runbook_notifications_total{notifier="pd",outcome="retry"} 2');
    expect(metrics).toContain('runbook_notifications_total{notifier="pd",outcome="delivered"} 2');
    expect(metrics).toContain('runbook_outbox_pending 0');
  });

  it('keeps the escalation schedule across a restart: each level is owed once, at its minute', async () => {
    const db = join(dir, 'restart.db');
    const runbook = `      - { play: http, timeout: 10, with: { url: "${receiver.base}/play" } }`;
    const first = startLive(configText(receiver.base, runbook), db);
    pageIncident(first);
    first.advance(7);
    first.live.heartbeat();
    first.live.close();
    const second = startLive(configText(receiver.base, runbook), db);
    second.advance(1 + 7 + 10);
    second.live.heartbeat();
    const owed = second.store
      .openRun(second.live.run?.id as string)
      .undelivered()
      .map(({ notification: n }) => [n.key, n.t]);
    expect(owed).toEqual([
      ['INC-1/page', 1],
      ['INC-1/escalate/1.2', 6],
      ['INC-1/escalate/2.1', 11],
      ['INC-1/escalate/2.2', 16],
    ]);
  });

  it('a failing http play fails its step, and a step that says escalate escalates', async () => {
    receiver.playStatus = 500;
    const runbook = `      - { play: http, timeout: 10, onFailure: escalate, with: { url: "${receiver.base}/play" } }`;
    const s = startLive(configText(receiver.base, runbook));
    pageIncident(s);
    s.live.ack('INC-1', 'Alice Chen');
    await playReported(s.live);
    receiver.playStatus = 200;
    const record = s.live.incident('INC-1');
    expect(record.state).toBe('escalated');
    expect(record.plays).toMatchObject([
      { play: 'http', outcome: 'failure', detail: expect.stringMatching(/-> 500/) },
    ]);
  });

  it('rolls back through the deploy hook with the play key, and fails without one', async () => {
    const hook = `deploy:\n  rollback: { play: http, with: { url: "${receiver.base}/deploy" } }`;
    const runbook = '      - { play: rollback, timeout: 10, onFailure: escalate }';
    const s = startLive(configText(receiver.base, runbook, hook));
    pageIncident(s);
    s.live.ack('INC-1', 'Alice Chen');
    await playReported(s.live);
    expect(receiver.to('/deploy')).toMatchObject([
      { body: { action: 'rollback', from: 'v2' }, headers: { 'idempotency-key': 'INC-1/1/1' } },
    ]);
    expect(s.live.incident('INC-1').plays).toMatchObject([{ play: 'rollback', outcome: 'success' }]);

    const bare = startLive(configText(receiver.base, runbook));
    pageIncident(bare);
    bare.live.ack('INC-1', 'Alice Chen');
    await playReported(bare.live);
    expect(bare.live.incident('INC-1')).toMatchObject({
      state: 'escalated',
      plays: [{ play: 'rollback', outcome: 'failure', detail: expect.stringContaining('no deploy hook') }],
    });
  });

  it('runs an exec play without a shell, passing only the allowed environment and the key', async () => {
    process.env.RUNBOOK_TEST_ALLOWED = 'yes';
    process.env.RUNBOOK_TEST_SECRET = 'leaked';
    const script =
      'console.log([process.env.RUNBOOK_IDEMPOTENCY_KEY, process.env.RUNBOOK_TEST_ALLOWED, process.env.RUNBOOK_TEST_SECRET ?? "withheld", process.argv[1]].join(" "))';
    const runbook = `      - { play: exec, timeout: 10, with: { command: ${JSON.stringify(process.execPath)}, args: ["-e", ${JSON.stringify(script)}, "$HOME;rm"], env: [RUNBOOK_TEST_ALLOWED] } }`;
    const s = startLive(configText(receiver.base, runbook));
    pageIncident(s);
    s.live.ack('INC-1', 'Alice Chen');
    await playReported(s.live);
    expect(s.live.incident('INC-1').plays).toMatchObject([
      {
        play: 'exec',
        outcome: 'success',
        detail: expect.stringMatching(/: exit 0: INC-1\/1\/1 yes withheld \$HOME;rm$/),
      },
    ]);
  });

  it('refuses a live play whose settings are wrong, naming the field', () => {
    const runbook = '      - { play: http, timeout: 10, with: { url: "ftp://x", method: BREW } }';
    const error = (() => {
      try {
        parseLiveConfig(configText(receiver.base, runbook), 'live.yaml', PLAY_NAMES);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe('incidentTypes[0].runbook[0].with.url');
  });
});

describe('the inspector attached to a running engine', () => {
  it('sends the transitions so far, then each new one as the API causes it, with its context', async () => {
    const { startInspector } = await import('../src/views/inspector/server.js');
    const { default: WebSocket } = await import('ws');
    const runbook = '      - { play: rollback, timeout: 10 }';
    const s = startLive(configText('http://127.0.0.1:9', runbook));
    s.live.receive(
      postedAlerts([{ labels: { alertname: 'QualityLow', service: 'agent' } }], { now: s.live.clock() }, 5),
    );
    const inspector = await startInspector({
      scenario: { name: 'live-plays' },
      live: {
        name: 'live-plays',
        trace: () => s.live.engine.trace.entries,
        watch: (tap) => s.live.watch(tap),
      },
      speed: 0,
    });
    try {
      const socket = new WebSocket(`${inspector.url.replace('http', 'ws')}ws`);
      const messages: { type: string; entry?: { actor: string; to: string }; context?: unknown }[] = [];
      const seen = (to: string) => messages.some((m) => m.type === 'trace' && m.entry?.to === to);
      socket.on('message', (data) => messages.push(JSON.parse(String(data))));
      const until = async (check: () => boolean) => {
        for (let i = 0; i < 200 && !check(); i++) await new Promise((done) => setTimeout(done, 25));
        expect(check()).toBe(true);
      };
      await until(() => seen('watching'));
      expect(seen('page')).toBe(false);
      s.advance(1);
      s.live.recordSli('quality', 1000, 400);
      await until(() => seen('page'));
      const page = messages.find((m) => m.type === 'trace' && m.entry?.to === 'page');
      expect(page?.entry?.actor).toBe('INC-1');
      expect(page?.context).toMatchObject({ severity: 'sev1', milestones: { paged: 1 } });
      socket.close();
    } finally {
      await inspector.close();
    }
  });
});

describe('PagerDuty routing keys', () => {
  it('are checked at start: a key, or an environment variable that is set', async () => {
    const { missingRoutingKey } = await import('../src/live/notifiers.js');
    const pd = { name: 'pd', type: 'pagerduty' as const, url: 'http://x', kinds: ['page' as const] };
    const hook = {
      name: 'chat',
      type: 'webhook' as const,
      url: 'http://x',
      headers: {},
      kinds: ['page' as const],
    };
    delete process.env.RUNBOOK_TEST_PD_KEY;
    expect(missingRoutingKey([hook, { ...pd, routingKey: ROUTING_KEY }])).toBeNull();
    expect(missingRoutingKey([hook, pd])).toEqual({ index: 1, why: 'needs routingKey or routingKeyEnv' });
    expect(missingRoutingKey([{ ...pd, routingKeyEnv: 'RUNBOOK_TEST_PD_KEY' }])).toEqual({
      index: 0,
      why: 'names RUNBOOK_TEST_PD_KEY, which is not set',
    });
    process.env.RUNBOOK_TEST_PD_KEY = ROUTING_KEY;
    expect(missingRoutingKey([{ ...pd, routingKeyEnv: 'RUNBOOK_TEST_PD_KEY' }])).toBeNull();
  });
});
