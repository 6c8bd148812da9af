import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stockPlays } from '../src/engine/plays.js';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import { parseLiveConfig } from '../src/live/config.js';
import { postedAlerts } from '../src/live/intake.js';
import { OutboxDelivery } from '../src/live/outbox.js';
import { livePlays } from '../src/live/plays.js';
import { LiveEngine } from '../src/live/runtime.js';

/**
 * Notifications that can never be delivered, and acknowledgements racing escalations: a PagerDuty
 * 400 on the trigger marks the incident and escalates to the next level through the notifiers that
 * still take it, PagerDuty is never asked to acknowledge or resolve an alert it never saw, and an
 * ack in the same commit as the minute an escalation falls due wins over it.
 */

interface Received {
  path: string;
  body: { event_action?: string; kind?: string; summary?: string };
}

/** PagerDuty refusing every trigger with its 400 body; a chat webhook taking everything. */
const received: Received[] = [];
let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(text) as Received['body'];
      received.push({ path: req.url ?? '', body });
      if (req.url === '/pd' && body.event_action === 'trigger')
        return res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(
            '{"status":"invalid event","message":"Event object is invalid","errors":["Length of \'routing_key\' is incorrect"]}',
          );
      res.writeHead(req.url === '/pd' ? 202 : 200).end('{"status":"success"}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((done) => server.close(done)));

const PLAY_NAMES = [...Object.keys(stockPlays), ...Object.keys(livePlays({}))];
const config = (notifiers: string) => `name: undeliverable
service: { name: agent, requestsPerMinute: 1000 }
release: v2
slos: { quality: { objective: 0.99 } }
oncall:
  roster: [Alice Chen, Bob Okafor]
  escalation:
    levels:
      - { notify: [Alice Chen], afterMinutes: 2 }
      - { notify: [Bob Okafor], afterMinutes: 2 }
incidentTypes:
  - name: quality-regression
    match: { service: agent }
    sli: quality
    runbook: [{ play: reindex }]
postmortem: { rootCauses: [unknown], trigger: unknown }
${notifiers}`;

const opened: (() => Promise<void>)[] = [];
afterEach(async () => {
  received.length = 0;
  for (const close of opened.splice(0)) await close();
});

function start(text: string) {
  let now = Date.UTC(2026, 11, 1, 9, 0, 20);
  const clock = () => now;
  const parsed = parseLiveConfig(text, 'live.yaml', PLAY_NAMES);
  const store = new SqliteStore(':memory:');
  const live = new LiveEngine({ config: parsed, configFile: 'live.yaml', store, clock });
  const run = live.run;
  if (!run) throw new Error('no run');
  const warnings: string[] = [];
  const delivery = new OutboxDelivery({
    outbox: run,
    run: run.id,
    epoch: live.engine.config.epoch,
    notifiers: parsed.notifiers,
    clock,
    metrics: live.metrics,
    log: { warn: (_d, message) => warnings.push(message), error: (_d, message) => warnings.push(message) },
    timeoutSeconds: 5,
    backoff: parsed.delivery.backoff,
    refused: (notifier, n, why) => live.refused(notifier, n, why),
    neverTriggered: (notifier, incident) => live.neverTriggered(notifier, incident),
  });
  opened.push(async () => {
    await delivery.stop();
    live.close();
    store.close();
  });
  const paged = () => {
    live.receive(postedAlerts([{ labels: { alertname: 'Burn', service: 'agent' } }], { now }, 5));
    now += 60_000;
    live.recordSli('quality', 1000, 400);
  };
  return {
    live,
    run,
    delivery,
    warnings,
    paged,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const NOTIFIERS = `notifiers:
  - { name: pd, type: pagerduty, url: "BASE/pd", routingKey: R0UT1NGKEY0123456789abcdefABCDEF }
  - { name: chat, type: webhook, url: "BASE/hook" }`;

describe('a PagerDuty 400 on the trigger', () => {
  it('marks the incident, escalates to level 2 through the webhook, and sends PagerDuty no acknowledge or resolve', async () => {
    const { live, delivery, paged, warnings } = start(config(NOTIFIERS.replaceAll('BASE', base)));
    paged();
    await delivery.deliverDue();
    await delivery.deliverDue();
    const record = live.incident('INC-1') as { undeliverable?: { notifier: string; kind: string }[] };
    expect(record.undeliverable?.map((u) => [u.notifier, u.kind])).toEqual([['pd', 'page']]);
    const hook = received.filter((r) => r.path === '/hook').map((r) => r.body);
    expect(hook.map((b) => b.kind)).toEqual(['page', 'escalate']);
    expect(hook[1]?.summary).toContain('could not be delivered');
    expect(hook[1]?.summary).toContain('level 2 (Bob Okafor)');
    const metrics = await live.metrics.registry.metrics();
    expect(metrics).toMatch(/^runbook_incidents_undeliverable 1$/m);

    live.ack('INC-1', 'Bob Okafor');
    await delivery.deliverDue();
    const pd = received.filter((r) => r.path === '/pd').map((r) => r.body.event_action);
    expect(pd).toEqual(['trigger']);
    expect(received.filter((r) => r.path === '/hook').map((r) => r.body.kind)).toEqual([
      'page',
      'escalate',
      'acknowledge',
    ]);
    expect(warnings.some((w) => w.includes('refused the trigger of INC-1'))).toBe(true);
    await delivery.deliverDue();
    expect(received.filter((r) => r.path === '/pd').map((r) => r.body.event_action)).toEqual(['trigger']);
  });
});

describe('an ack and an escalation due in the same commit', () => {
  it('sends the acknowledgement and no "not acknowledged" escalation', () => {
    const { run, paged, advance, live } = start(config(''));
    paged();
    // Paged at minute 1; level 2 is due at minute 3. Nothing moves the clock until the ack comes.
    advance(2 * 60_000);
    live.ack('INC-1', 'Alice Chen');
    const kinds = run.undelivered().map((p) => p.notification.kind);
    expect(kinds).toContain('acknowledge');
    expect(kinds).not.toContain('escalate');
  });

  it('still escalates when the minute was committed before the ack', () => {
    const { run, paged, advance, live } = start(config(''));
    paged();
    advance(2 * 60_000);
    live.heartbeat();
    live.ack('INC-1', 'Alice Chen');
    expect(run.undelivered().map((p) => p.notification.kind)).toEqual(['page', 'escalate', 'acknowledge']);
  });
});
