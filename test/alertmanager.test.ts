import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Debian's real Alertmanager (`prometheus-alertmanager`, which `.ci/run` installs) in front of
 * `runbook serve`: alerts posted to Alertmanager reach the engine through its webhook and open the
 * same incidents, grouped the same way, as the same alerts posted straight to the engine.
 */

const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const CLI = resolve('bin/runbook.js');
const dir = mkdtempSync(join(tmpdir(), 'runbook-am-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

function serve(): Promise<string> {
  const child = spawn(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0']);
  children.push(child);
  return new Promise((done, fail) => {
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
    const config = join(dir, 'alertmanager.yml');
    writeFileSync(
      config,
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
    );
    const am = spawn(ALERTMANAGER, [
      `--config.file=${config}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
    ]);
    children.push(am);
    const amBase = `http://127.0.0.1:${amPort}`;
    await until('Alertmanager to be ready', async () =>
      (await fetch(`${amBase}/-/ready`)).ok ? true : null,
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
});
