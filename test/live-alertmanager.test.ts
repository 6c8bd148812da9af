import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../bench/ports.js';
import { killAlertmanagers, startAlertmanager } from './support/alertmanager.js';
import { until } from './support/live-server.js';
import { killServers, serveChild } from './support/serve-child.js';

/**
 * `runbook serve` behind Debian's real Alertmanager 0.25 with the groups it really sends: a group of
 * thousands of alerts in one webhook (Alertmanager's `max_alerts` is 0, every alert, by default, and
 * it never retries a 4xx), and `max_alerts` as the documented way to keep webhooks small.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-am-groups-'));
afterEach(() => {
  killServers();
  killAlertmanagers();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const amConfig = (url: string, maxAlerts = 0) => `route:
  receiver: runbook
  group_by: [service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: runbook
    webhook_configs:
      - url: ${url}/webhook/alertmanager
        max_alerts: ${maxAlerts}
`;

/** `count` distinct alerts of one service, with the labels and annotations a real rule gives them. */
const storm = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    labels: {
      alertname: 'PodCrashLooping',
      service: 'agent',
      namespace: 'prod',
      pod: `agent-${i.toString().padStart(5, '0')}-7d9f8c6b5-x2x4k`,
      severity: 'page',
    },
    annotations: {
      summary: `Pod prod/agent-${i} is crash looping`,
      description: 'The pod restarted more than 5 times in the last 10 minutes; see the runbook.',
    },
    generatorURL: `http://prometheus.example:9090/graph?g0.expr=kube_pod_container_status_restarts_total&pod=${i}`,
  }));

const incidents = async (base: string) =>
  ((await (await fetch(`${base}/api/incidents`)).json()) as { incidents: { alerts: number }[] }).incidents;

async function deliver(count: number, maxAlerts: number): Promise<{ alerts: number; metrics: string }> {
  const server = await serveChild(['--listen', '127.0.0.1:0']);
  const am = await startAlertmanager(
    dir,
    `am-${count}-${maxAlerts}`,
    amConfig(server.base, maxAlerts),
    await freePort(),
  );
  const posted = await fetch(`${am}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(storm(count)),
  });
  expect(posted.status).toBe(200);
  const expected = maxAlerts === 0 ? count : maxAlerts;
  const alerts = await until(
    `the group through the webhook (${expected} alerts)`,
    async () => {
      const [incident] = await incidents(server.base);
      return incident && incident.alerts >= expected ? incident.alerts : null;
    },
    60_000,
  );
  return { alerts, metrics: await (await fetch(`${server.base}/metrics`)).text() };
}

describe('an Alertmanager group as one webhook', () => {
  it('takes a group of 3,000 alerts (over 1 MB) whole: one incident, every alert', async () => {
    const { alerts, metrics } = await deliver(3000, 0);
    expect(JSON.stringify(storm(3000)).length).toBeGreaterThan(1024 * 1024);
    expect(alerts).toBe(3000);
    expect(metrics).toContain('runbook_alerts_received_total{outcome="accepted"} 3000');
  }, 90_000);

  it('takes what max_alerts leaves of a group (truncatedAlerts): the documented way to bound webhooks', async () => {
    const { alerts } = await deliver(500, 100);
    expect(alerts).toBe(100);
  }, 90_000);
});

describe('a resolved webhook', () => {
  it('is recorded on the incident: which alerts Alertmanager resolved and when, and that it does not resolve it', async () => {
    const server = await serveChild(['--listen', '127.0.0.1:0']);
    const am = await startAlertmanager(dir, 'am-resolved', amConfig(server.base), await freePort());
    const alert = { labels: { alertname: 'HighLatency', service: 'billing' } };
    const postToAm = (body: unknown) =>
      fetch(`${am}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await postToAm([alert])).status).toBe(200);
    await until('the firing webhook', async () =>
      (await incidents(server.base)).length === 1 ? true : null,
    );
    expect((await postToAm([{ ...alert, endsAt: new Date().toISOString() }])).status).toBe(200);
    const resolved = await until(
      'the resolved webhook',
      async () => {
        const record = (await (await fetch(`${server.base}/api/incidents/INC-1`)).json()) as {
          alertsResolved?: {
            count: number;
            of: number;
            all: boolean;
            lastAt: number;
            resolvesIncident: boolean;
          };
        };
        return record.alertsResolved ?? null;
      },
      60_000,
    );
    expect(resolved).toMatchObject({ count: 1, of: 1, all: true, resolvesIncident: false });
    expect(resolved.lastAt).toBeTypeOf('number');
  }, 90_000);
});
