import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { packageRoot } from '../../src/toolkit/package-files.js';
import { fmtMb } from '../measure.js';
import { freePort } from '../ports.js';
import type { Row } from '../table.js';

/**
 * `runbook serve` under load, as its users run it: the built CLI with its SQLite journal, alerts
 * posted to `POST /api/v2/alerts` by autocannon from this process (the server has the other core).
 * Each request carries BATCH alerts the way Prometheus sends them: label sets from a fixed population,
 * each with a fresh endsAt, so every alert is new to the intake and is journaled before the 2xx.
 * `BENCH_INTAKE_SECONDS` (60) and `BENCH_INTAKE_SOAK_SECONDS` (300) shorten the runs for a quick look.
 */

export const BATCH = 10;
const SERVICES = 50;
const INSTANCES = 200;
/** How many distinct label sets the bodies cycle through. */
export const LABEL_SETS = SERVICES * INSTANCES;
const CONNECTIONS = 10;
const FIXED_RATE = 2000;
const TARGET_RATE = 10_000;
const TARGET_P99_MS = 50;
const RSS_GROWTH = 0.1;

const seconds = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value >= 1 ? value : fallback;
};

/** The server on a fresh journal in `dir`; answers its URL once it is ready. */
export async function startServer(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(packageRoot(), 'bin', 'runbook.cjs'),
      'serve',
      '--db',
      join(dir, 'live.db'),
      '--listen',
      `127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; tries < 200; tries++) {
    const ready = await fetch(`${url}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) return { url, child };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error('runbook serve did not become ready');
}

/**
 * The next request's body: BATCH alerts, each label set re-sent with an endsAt no alert had before.
 * With `startsAtMs` (the alertmanager row) every alert also carries that startsAt, its endsAt an hour on.
 */
export function bodies(startsAtMs?: number): () => string {
  let sent = 0;
  const startsAt = startsAtMs === undefined ? undefined : new Date(startsAtMs).toISOString();
  const firstEnd = startsAtMs === undefined ? Date.UTC(2026, 11, 1, 9, 0, 0) : startsAtMs + 60 * 60 * 1000;
  return () => {
    const alerts = [];
    for (let i = 0; i < BATCH; i++, sent++) {
      const labels = {
        alertname: 'HighErrorRate',
        service: `svc-${sent % SERVICES}`,
        instance: `pod-${Math.floor(sent / SERVICES) % INSTANCES}`,
      };
      const endsAt = new Date(firstEnd + sent).toISOString();
      alerts.push(startsAt === undefined ? { labels, endsAt } : { labels, startsAt, endsAt });
    }
    return JSON.stringify(alerts);
  };
}

function load(url: string, duration: number, overallRate?: number) {
  const next = bodies();
  return autocannon({
    url: `${url}/api/v2/alerts`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: CONNECTIONS,
    duration,
    overallRate,
    requests: [{ setupRequest: (request) => ({ ...request, body: next() }) }],
  });
}

const rss = (pid: number) => {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
};

async function throughput(dir: string, duration: number): Promise<Row> {
  const { url, child } = await startServer(dir);
  try {
    const result = await load(url, duration);
    const rate = (result['2xx'] * BATCH) / duration;
    return {
      row: 'intake',
      figure: `${Math.round(rate).toLocaleString('en-US')} alerts/s`,
      target: `>= ${TARGET_RATE.toLocaleString('en-US')} alerts/s`,
      baseline: '',
      ratio: '',
      pass: rate >= TARGET_RATE && result.non2xx === 0 && result.errors === 0,
      how: `POST /api/v2/alerts on the built \`runbook serve --db\` (SQLite journal, a commit before each 2xx), ${BATCH} new alerts a request, autocannon with ${CONNECTIONS} connections for ${duration} s; ${result['2xx']} requests answered 2xx, ${result.non2xx} not, ${result.errors} errors; p99 ${result.latency.p99} ms`,
    };
  } finally {
    child.kill('SIGKILL');
  }
}

async function soak(dir: string, duration: number): Promise<Row[]> {
  const { url, child } = await startServer(dir);
  const pid = child.pid as number;
  try {
    let early = 0;
    const sample = setTimeout(
      () => {
        early = rss(pid);
      },
      (duration / 5) * 1000,
    );
    const result = await load(url, duration, FIXED_RATE / BATCH);
    clearTimeout(sample);
    const late = rss(pid);
    const growth = late / early - 1;
    const { p50, p99 } = result.latency;
    const clean = result.non2xx === 0 && result.errors === 0;
    const alerts = result['2xx'] * BATCH;
    return [
      {
        row: 'intake-latency',
        figure: `p50 ${p50} ms, p99 ${p99} ms`,
        target: `p99 <= ${TARGET_P99_MS} ms`,
        baseline: '',
        ratio: '',
        pass: p99 <= TARGET_P99_MS && clean,
        how: `the same server and load at a fixed ${FIXED_RATE.toLocaleString('en-US')} alerts/s (${FIXED_RATE / BATCH} requests/s of ${BATCH}) for ${duration} s: ${alerts} alerts, ${result.non2xx} non-2xx, ${result.errors} errors`,
      },
      {
        row: 'intake-rss',
        figure: `${fmtMb(late)} after ${duration} s (${(growth * 100).toFixed(1)}%)`,
        target: `within ${RSS_GROWTH * 100}% of ${duration / 5} s`,
        baseline: `${fmtMb(early)} after ${duration / 5} s`,
        ratio: `${(late / early).toFixed(2)}x`,
        pass: Math.abs(growth) <= RSS_GROWTH,
        how: `the server's resident set (/proc/PID/status VmRSS) under that fixed load, at a fifth of the run and at its end`,
      },
    ];
  } finally {
    child.kill('SIGKILL');
  }
}

export async function intake(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-bench-intake-'));
  try {
    const first = await throughput(mkdtempSync(join(dir, 'rate-')), seconds('BENCH_INTAKE_SECONDS', 60));
    return [
      first,
      ...(await soak(mkdtempSync(join(dir, 'soak-')), seconds('BENCH_INTAKE_SOAK_SECONDS', 300))),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
