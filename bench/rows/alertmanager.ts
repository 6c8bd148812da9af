import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../ports.js';
import type { Row } from '../table.js';
import { BATCH, bodies, LABEL_SETS, startServer } from './intake.js';

/**
 * `runbook serve` beside the peer a user would otherwise put there: Debian's Alertmanager 0.25, both
 * loaded in one run with the same alerts on `POST /api/v2/alerts`, the same way (autocannon from this
 * process, the server on the other core). Alertmanager keeps alerts in memory and answers before it
 * writes anything; serve journals every new alert in SQLite before its 2xx. Each side gets a fresh
 * server and the same request bodies, Alertmanager first. `BENCH_ALERTMANAGER_SECONDS` (15) a side.
 */

const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const CONNECTIONS = 10;
/** serve may take at most twice Alertmanager's time per alert, and at most twice its p99. */
const MIN_RATE_RATIO = 0.5;
const MAX_P99_RATIO = 2;

const seconds = (): number => {
  const value = Number(process.env.BENCH_ALERTMANAGER_SECONDS);
  return Number.isFinite(value) && value >= 1 ? value : 15;
};

/** A route to a receiver with no integrations: Alertmanager groups the alerts and notifies nobody. */
const CONFIG = ['route:', '  receiver: blackhole', 'receivers:', '  - name: blackhole', ''].join('\n');

async function startAlertmanager(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, CONFIG);
  const child = spawn(
    ALERTMANAGER,
    [
      `--config.file=${config}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // No gossip: a single Alertmanager, as serve is a single process here.
      '--cluster.listen-address=',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; tries < 200; tries++) {
    const ready = await fetch(`${url}/-/ready`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) return { url, child };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${ALERTMANAGER} did not become ready on ${url}`);
}

interface Side {
  rate: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, duration: number, startsAtMs: number): Promise<Side> {
  const next = bodies(startsAtMs);
  const result = await autocannon({
    url: `${url}/api/v2/alerts`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: CONNECTIONS,
    duration,
    requests: [{ setupRequest: (request) => ({ ...request, body: next() }) }],
  });
  return {
    rate: (result['2xx'] * BATCH) / duration,
    p99: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function measure(
  start: () => Promise<{ url: string; child: ChildProcess }>,
  duration: number,
  at: number,
) {
  const { url, child } = await start();
  try {
    return await load(url, duration, at);
  } finally {
    child.kill('SIGKILL');
  }
}

const perSecond = (rate: number) => `${Math.round(rate).toLocaleString('en-US')} alerts/s`;
const answered = (side: Side) => `${side.ok} requests 2xx, ${side.non2xx} not, ${side.errors} errors`;

export async function alertmanager(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-bench-alertmanager-'));
  const duration = seconds();
  // One startsAt for both sides, a minute back, so neither sees an alert from the future.
  const at = Date.now() - 60_000;
  try {
    const am = await measure(() => startAlertmanager(mkdtempSync(join(dir, 'am-'))), duration, at);
    const serve = await measure(() => startServer(mkdtempSync(join(dir, 'serve-'))), duration, at);
    const clean = [am, serve].every((side) => side.non2xx === 0 && side.errors === 0 && side.ok > 0);
    const rateRatio = serve.rate / am.rate;
    const p99Ratio = serve.p99 / Math.max(am.p99, 1);
    const how = `the same ${BATCH}-alert POST /api/v2/alerts bodies (firing, label sets from ${LABEL_SETS}, each with a fresh endsAt) from autocannon, ${CONNECTIONS} connections, ${duration} s unthrottled a side, Alertmanager first: Debian's ${ALERTMANAGER} (one receiver with no integrations, no cluster) then the built \`runbook serve --db\` (SQLite journal)`;
    return [
      {
        row: 'alertmanager rate',
        figure: `serve ${perSecond(serve.rate)}`,
        target: `>= ${MIN_RATE_RATIO}x Alertmanager`,
        baseline: `Alertmanager ${perSecond(am.rate)}`,
        ratio: `${rateRatio.toFixed(2)}x`,
        pass: clean && rateRatio >= MIN_RATE_RATIO,
        how: `${how}; Alertmanager ${answered(am)}; serve ${answered(serve)}`,
      },
      {
        row: 'alertmanager p99',
        figure: `serve p99 ${serve.p99} ms`,
        target: `<= ${MAX_P99_RATIO}x Alertmanager`,
        baseline: `Alertmanager p99 ${am.p99} ms`,
        ratio: `${p99Ratio.toFixed(2)}x`,
        pass: clean && p99Ratio <= MAX_P99_RATIO,
        how: `the p99 request latency of the same two runs, saturated (${CONNECTIONS} requests in flight on each)`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
