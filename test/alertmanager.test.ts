import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../bench/ports.js';

/**
 * Debian's real Alertmanager (`prometheus-alertmanager`, which `.ci/run` installs) in front of
 * `runbook serve`: alerts posted to Alertmanager reach the engine through its webhook and open the
 * same incidents, grouped the same way, as the same alerts posted straight to the engine. Killed with
 * SIGKILL while Alertmanager delivers and started again on the same port and journal, the server gets
 * every alert through Alertmanager's retries, and opens each incident once, as an uninterrupted one does.
 */

const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const CLI = resolve('bin/runbook.cjs');
const dir = mkdtempSync(join(tmpdir(), 'runbook-am-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function serve(args: string[] = ['--listen', '127.0.0.1:0'], started?: (child: ChildProcess) => void) {
  const child = spawn(process.execPath, [CLI, 'serve', ...args]);
  children.push(child);
  started?.(child);
  return new Promise<string>((done, fail) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (url) done(url);
    });
    child.on('close', (code) => fail(new Error(`serve exited ${code}: ${out}`)));
  });
}

async function until<T>(what: string, probe: () => Promise<T | null>, ms = 30_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Debian's Alertmanager on loopback with `config`, its own storage; answers its base URL once ready. */
async function alertmanager(name: string, config: string, port: number): Promise<string> {
  const file = join(dir, `${name}.yml`);
  writeFileSync(file, config);
  const am = spawn(ALERTMANAGER, [
    `--config.file=${file}`,
    `--storage.path=${join(dir, `${name}-data`)}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
  ]);
  children.push(am);
  const base = `http://127.0.0.1:${port}`;
  await until('Alertmanager to be ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : null));
  return base;
}

const alerts = [
  { labels: { alertname: 'HighErrorRate', service: 'agent' } },
  { labels: { alertname: 'AnswerQualityLow', service: 'agent' } },
  { labels: { alertname: 'HighLatency', service: 'billing' } },
];

const incidentsOf = async (base: string) =>
  (
    (await (await fetch(`${base}/api/incidents`)).json()) as {
      incidents: { labels: object; alerts: number }[];
    }
  ).incidents;

describe('a real Alertmanager in front of runbook serve', () => {
  it('delivers alerts that open the same incidents as posting them straight to the engine', async () => {
    const [viaWebhook, direct, amPort] = await Promise.all([serve(), serve(), freePort()]);
    const amBase = await alertmanager(
      'first',
      `route:
  receiver: runbook
  group_by: [service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: runbook
    webhook_configs:
      - url: ${viaWebhook}/webhook/alertmanager
`,
      amPort,
    );
    const post = (base: string) =>
      fetch(`${base}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
    expect((await post(amBase)).status).toBe(200);
    expect((await post(direct)).status).toBe(200);

    const expected = (await incidentsOf(direct)).map(({ labels, alerts }) => ({ labels, alerts }));
    expect(expected).toEqual([
      { labels: { service: 'agent' }, alerts: 2 },
      { labels: { service: 'billing' }, alerts: 1 },
    ]);
    const delivered = await until('both groups through the webhook', async () => {
      const incidents = await incidentsOf(viaWebhook);
      const total = incidents.reduce((n, i) => n + i.alerts, 0);
      return total === alerts.length ? incidents : null;
    });
    const byService = (list: { labels: object; alerts: number }[]) =>
      list
        .map(({ labels, alerts }) => ({ labels, alerts }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(byService(delivered)).toEqual(byService(expected));
    const metrics = await (await fetch(`${viaWebhook}/metrics`)).text();
    expect(metrics).toContain(`runbook_alerts_received_total{outcome="accepted"} ${alerts.length}`);
  });

  it('brings every alert in through its retries when the server is killed -9 mid-delivery: none lost, none opened twice', async () => {
    const [port, amPort] = await Promise.all([freePort(), freePort()]);
    const steady = await serve();
    const args = ['--listen', `127.0.0.1:${port}`, '--db', join(dir, 'killed.db')];
    let first: ChildProcess | undefined;
    const killed = await serve(args, (child) => {
      first = child;
    });
    const amBase = await alertmanager(
      'retries',
      `route:
  receiver: steady
  group_by: [service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: killed
      continue: true
    - receiver: steady
receivers:
  - name: killed
    webhook_configs:
      - url: ${killed}/webhook/alertmanager
  - name: steady
    webhook_configs:
      - url: ${steady}/webhook/alertmanager
`,
      amPort,
    );
    const batch = (services: string[], names: string[]) =>
      services.flatMap((service) => names.map((alertname) => ({ labels: { alertname, service } })));
    const post = (list: unknown[]) =>
      fetch(`${amBase}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(list),
      });
    expect((await post(batch(['agent', 'billing', 'search'], ['HighErrorRate', 'HighLatency']))).status).toBe(
      200,
    );
    await until('the first deliveries to reach the server', async () =>
      (await incidentsOf(killed)).length > 0 ? true : null,
    );
    const gone = new Promise((done) => first?.once('close', done));
    first?.kill('SIGKILL');
    await gone;
    // While it is down: new groups and new alerts in old groups, which Alertmanager fails to deliver.
    expect(
      (await post(batch(['agent', 'auth', 'search', 'payments'], ['DiskAlmostFull', 'HighErrorRate'])))
        .status,
    ).toBe(200);
    await until('Alertmanager to fail a delivery to the dead server', async () => {
      const text = await (await fetch(`${amBase}/metrics`)).text();
      const failed =
        /^alertmanager_notification_requests_failed_total\{[^}]*integration="webhook"[^}]*\} (\d+)/m.exec(
          text,
        );
      return Number(failed?.[1] ?? 0) > 0 ? true : null;
    });

    const restarted = await serve(args);
    expect(restarted).toBe(killed);
    const settled = async (base: string) => {
      const incidents = await incidentsOf(base);
      return incidents.reduce((n, i) => n + i.alerts, 0) === 12 ? incidents : null;
    };
    const [after, uninterrupted] = await Promise.all([
      until('every alert in the restarted server', () => settled(restarted)),
      until('every alert in the uninterrupted server', () => settled(steady)),
    ]);
    const byService = (list: { labels: object; alerts: number }[]) =>
      list
        .map(({ labels, alerts }) => ({ labels, alerts }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(byService(uninterrupted)).toEqual(
      [
        ['agent', 3],
        ['auth', 2],
        ['billing', 2],
        ['payments', 2],
        ['search', 3],
      ].map(([service, alerts]) => ({
        labels: { service },
        alerts,
      })),
    );
    expect(byService(after)).toEqual(byService(uninterrupted));
    const ready = await (await fetch(`${restarted}/readyz`)).json();
    // The same run, resumed from its journal: what was acknowledged before the kill was not taken again.
    expect(ready).toMatchObject({ run: 'run-1' });
    expect(ready.replayed).toBeGreaterThan(0);
  });
});
