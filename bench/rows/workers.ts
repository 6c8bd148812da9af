import { type ChildProcess, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { fmtRatio, median, msSince } from '../measure.js';
import { type Cluster, startCluster } from '../postgres-cluster.js';
import type { Row } from '../table.js';

/**
 * `runbook serve` workers on one Postgres (a throwaway cluster on loopback): alerts per second taken
 * and incidents per second applied with 1, 2 and 3 workers, and the takeover time after the lease
 * holder is SIGKILLed. Real processes over real HTTP, as in production.
 */

const CLI = fileURLToPath(new URL('../../../bin/runbook.cjs', import.meta.url));
const ALERTS = 600;
const PER_INCIDENT = 10;
const LEASE_SECONDS = 5;
const KILLS = 10;

interface Worker {
  base: string;
  child: ChildProcess;
  name: string;
}

function serve(db: string): Promise<Worker> {
  const args = [CLI, 'serve', '--listen', '127.0.0.1:0', '--db', db, '--lease', String(LEASE_SECONDS)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  return new Promise((done, fail) => {
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      const base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (base) done({ base, child, name: `${hostname()}/${child.pid}` });
    });
    child.on('close', (code) => fail(new Error(`serve exited ${code}: ${out.slice(-500)}`)));
  });
}

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function holder(client: pg.Client): Promise<string | null> {
  const { rows } = await client.query(
    "SELECT owner FROM leases WHERE name = 'live-run' AND expires_at > now()",
  );
  return (rows[0] as { owner: string } | undefined)?.owner ?? null;
}

async function until<T>(probe: () => Promise<T | null>): Promise<T> {
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    await pause(50);
  }
}

async function withWorkers<T>(
  cluster: Cluster,
  db: string,
  n: number,
  work: (w: Worker[], c: pg.Client, url: string) => Promise<T>,
) {
  const url = cluster.database(db);
  const workers = await Promise.all(Array.from({ length: n }, () => serve(url)));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await until(() => holder(client));
    return await work(workers, client, url);
  } finally {
    await client.end();
    for (const w of workers) w.child.kill('SIGKILL');
  }
}

/** Posts the storm over the workers, one lane each; answers ms until all taken, and until all applied. */
async function storm(workers: Worker[], client: pg.Client): Promise<{ taken: number; applied: number }> {
  const start = performance.now();
  const batches = Array.from({ length: ALERTS / PER_INCIDENT }, (_, b) =>
    Array.from({ length: PER_INCIDENT }, (_, i) => ({ labels: { alertname: `A${i}`, service: `svc-${b}` } })),
  );
  await Promise.all(
    workers.map(async (w, lane) => {
      for (let b = lane; b < batches.length; b += workers.length) {
        const res = await fetch(`${w.base}/api/v2/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batches[b]),
        });
        if (res.status !== 200) throw new Error(`POST alerts: ${res.status}`);
      }
    }),
  );
  const taken = msSince(start);
  const lead = await holder(client);
  const driver = workers.find((w) => w.name === lead) as Worker;
  await until(async () => {
    const { incidents } = (await (await fetch(`${driver.base}/api/incidents`)).json()) as {
      incidents: { alerts: number }[];
    };
    const alerts = incidents.reduce((sum, i) => sum + i.alerts, 0);
    return alerts === ALERTS ? true : null;
  });
  return { taken, applied: msSince(start) };
}

export async function workers(): Promise<Row> {
  const cluster = await startCluster();
  try {
    const figures: { n: number; alerts: number; incidents: number }[] = [];
    for (const n of [1, 2, 3]) {
      const { taken, applied } = await withWorkers(cluster, `bench_${n}`, n, storm);
      figures.push({
        n,
        alerts: ALERTS / (taken / 1000),
        incidents: ALERTS / PER_INCIDENT / (applied / 1000),
      });
    }
    const one = figures[0] as (typeof figures)[number];
    const three = figures[2] as (typeof figures)[number];
    const ratio = three.alerts / one.alerts;
    return {
      row: 'pg workers',
      figure: figures
        .map((f) => `${f.n}w ${f.alerts.toFixed(0)} alerts/s ${f.incidents.toFixed(1)} inc/s`)
        .join('; '),
      target: '3w >= 0.5x 1w alerts/s',
      baseline: `1w ${one.alerts.toFixed(0)} alerts/s`,
      ratio: fmtRatio(ratio),
      pass: ratio >= 0.5,
      how: `${ALERTS} alerts (${ALERTS / PER_INCIDENT} groups) posted in tens over N serve workers on one Postgres, one lane a worker; alerts/s until every POST answered, inc/s until the lease holder has applied them all (the others journal theirs in the inbox)`,
    };
  } finally {
    cluster.stop();
  }
}

export async function takeover(): Promise<Row> {
  const cluster = await startCluster();
  try {
    const times = await withWorkers(cluster, 'takeover', 3, async (workers, client, url) => {
      const measured: number[] = [];
      for (let k = 0; k < KILLS; k++) {
        const lead = await holder(client);
        const victim = workers.find((w) => w.name === lead) as Worker;
        victim.child.kill('SIGKILL');
        const start = performance.now();
        await until(async () => {
          const now = await holder(client);
          return now !== null && now !== lead ? now : null;
        });
        measured.push(msSince(start));
        workers.splice(workers.indexOf(victim), 1, await serve(url));
      }
      return measured;
    });
    const mid = median(times) / 1000;
    return {
      row: 'pg takeover',
      figure: `${mid.toFixed(1)} s median of ${KILLS}`,
      target: `<= lease (${LEASE_SECONDS} s) + 2 s`,
      baseline: '',
      ratio: '',
      pass: mid <= LEASE_SECONDS + 2,
      how: `3 serve workers on one Postgres, --lease ${LEASE_SECONDS}: the lease holder SIGKILLed, time until another worker holds the lease (it then replays the journal), ${KILLS} times`,
    };
  } finally {
    cluster.stop();
  }
}
