import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Cluster, postgresAvailable, startCluster } from '../bench/postgres-cluster.js';

/**
 * Several `runbook serve` workers on one real Postgres, as real processes: any of them takes alerts,
 * one drives the run at a time; when its holder is SIGKILLed another takes over from the journal and
 * the incidents end as a single worker's would, none opened twice, no accepted alert lost. Two workers
 * starting together make one run and one incident per group; a worker stopped past its lease
 * (SIGSTOP) notices it lost it when it runs again and writes nothing more.
 */

const CLI = resolve('bin/runbook.cjs');
const dir = mkdtempSync(join(tmpdir(), 'runbook-workers-'));
const children: ChildProcess[] = [];
let cluster: Cluster | null = null;
let databases = 0;
beforeAll(async () => {
  if (postgresAvailable()) cluster = await startCluster();
}, 120_000);
afterEach(() => {
  for (const child of children.splice(0)) {
    child.kill('SIGCONT');
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
afterAll(() => {
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The shipped example's service, its epoch five minutes back: an SLI minute can be posted at once.
 * With `rollbackHook`, the rollback play calls it (a play that takes as long as the hook holds it).
 */
function liveConfig(rollbackHook?: string): string {
  const file = join(dir, `live-${++databases}.yaml`);
  const epoch = new Date(Math.floor(Date.now() / 60000) * 60000 - 5 * 60000).toISOString();
  writeFileSync(
    file,
    `name: workers
epoch: ${epoch.replace('.000Z', 'Z')}
service: { name: agent, requestsPerMinute: 1000 }
release: v2
slos:
  quality: { objective: 0.99 }
groupBy: [service]
resolveTimeoutMinutes: 60
oncall:
  roster: [Alice Chen, Bob Okafor]
incidentTypes:
  - name: quality-regression
    match: { service: agent }
    sli: quality
    runbook:
      - { play: rollback, timeout: 10 }
postmortem:
  rootCauses: [To be written.]
  trigger: To be written.
${rollbackHook ? `deploy:\n  rollback: { play: http, with: { url: "${rollbackHook}", timeoutSeconds: 30 } }\n` : ''}`,
  );
  return file;
}

/**
 * A deploy system's rollback endpoint that records every call's idempotency key. While `holding`,
 * it answers nobody (the play is in flight, for as long as the test wants); otherwise 200 at once.
 */
function rollbackEndpoint() {
  const keys: string[] = [];
  const held: ServerResponse[] = [];
  let holding = false;
  const server = createServer((req, res) => {
    keys.push(String(req.headers['idempotency-key']));
    req.resume();
    if (holding) held.push(res);
    else res.end('{"rolledBack": true}');
  });
  return {
    keys,
    hold: (on: boolean) => {
      holding = on;
    },
    listen: () =>
      new Promise<string>((done) =>
        server.listen(0, '127.0.0.1', () =>
          done(`http://127.0.0.1:${(server.address() as AddressInfo).port}/rollback`),
        ),
      ),
    close: () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

interface Worker {
  base: string;
  child: ChildProcess;
  name: string;
  log: () => string;
}

function serve(db: string, config: string, lease: number, extra: string[] = []): Promise<Worker> {
  const child = spawn(process.execPath, [
    CLI,
    'serve',
    '--listen',
    '127.0.0.1:0',
    '--db',
    db,
    '--config',
    config,
    '--lease',
    String(lease),
    ...extra,
  ]);
  children.push(child);
  let out = '';
  child.stderr.on('data', (chunk) => {
    out += chunk;
  });
  return new Promise((done, fail) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (base) done({ base, child, name: `${hostname()}/${child.pid}`, log: () => out });
    });
    child.on('close', (code) => fail(new Error(`serve exited ${code} before listening: ${out}`)));
  });
}

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 60_000) {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
    const value = await probe().catch(() => null);
    if (value) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function query<T>(db: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: db });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

const holder = async (db: string) =>
  (
    await query<{ owner: string }>(
      db,
      "SELECT owner FROM leases WHERE name = 'live-run' AND expires_at > now()",
    )
  )[0]?.owner;

/** Ninety alerts over five services, each alert its own name: five groups, one incident each. */
const storm = Array.from({ length: 90 }, (_, i) => ({
  labels: {
    alertname: `Storm${i}`,
    service: ['agent', 'billing', 'search', 'checkout', 'auth'][i % 5] as string,
  },
}));

interface Listed {
  id: string;
  state: string;
  labels: { service: string };
  alerts: number;
}

/** An incident as `GET /api/incidents/:id` answers it (the parts compared). */
interface Incident extends Listed {
  severity: string | null;
  type: string;
  plays: { play: string; outcome?: string }[];
  milestones: Record<string, number | null>;
}

/** Posts the alerts in fives, taking turns over the workers; answers how many were accepted. */
async function post(workers: Worker[], alerts: typeof storm): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < alerts.length; i += 5) {
    const to = workers[(i / 5) % workers.length] as Worker;
    const res = await call(to.base, 'POST', '/api/v2/alerts', alerts.slice(i, i + 5));
    expect(res.status).toBe(200);
    accepted += res.json.accepted as number;
  }
  return accepted;
}

/** The shift both runs go through up to the kill: half the storm, the agent's SLI burns, a page, an ack. */
async function pageAndAck(workers: Worker[]): Promise<number> {
  const accepted = await post(workers, storm.slice(0, 45));
  const sli = await call((workers[0] as Worker).base, 'POST', '/api/sli', {
    sli: 'quality',
    requests: 1000,
    errors: 400,
  });
  expect(sli.status).toBe(200);
  const paged = await until('the agent incident to page', async () => {
    for (const w of workers) {
      const listed = (await call(w.base, 'GET', '/api/incidents?state=page')).json.incidents as Listed[];
      if (listed[0]) return listed[0];
    }
    return null;
  });
  expect(
    (
      await call((workers[1] ?? workers[0])?.base as string, 'POST', `/api/incidents/${paged.id}/ack`, {
        by: 'Alice Chen',
      })
    ).status,
  ).toBe(200);
  return accepted;
}

/**
 * The incidents as the worker driving the run has them (the stored rows are updated on transitions
 * only, so a group's alert count there can lag), once all accepted alerts are in.
 */
async function settled(db: string, workers: Worker[], accepted: number, played = false) {
  return until(`all ${accepted} accepted alerts in the incidents`, async () => {
    const name = await holder(db);
    const driver = workers.find((w) => w.name === name);
    if (!driver) return null;
    const listed = (await call(driver.base, 'GET', '/api/incidents')).json.incidents as Listed[];
    const records = await Promise.all(
      listed.map(
        async (i) => (await call(driver.base, 'GET', `/api/incidents/${i.id}`)).json as unknown as Incident,
      ),
    );
    const total = records.reduce((sum, r) => sum + r.alerts, 0);
    const agent = records.find((r) => r.labels.service === 'agent');
    const outcome = agent?.plays[0]?.outcome;
    const done = total === accepted && (!played || (outcome !== undefined && outcome !== 'running'));
    return done ? records : null;
  });
}

describe.runIf(postgresAvailable())('runbook serve workers on one Postgres', () => {
  it('carries on after the lead worker is SIGKILLed mid-play: same incidents as one worker, none twice, no alert lost, the play run again under its key', async () => {
    const c = cluster as Cluster;
    const deploys = rollbackEndpoint();
    const config = liveConfig(await deploys.listen());
    const single = c.database('single');
    const alone = await serve(single, config, 3);
    await until('the single worker to lead', () => holder(single));
    let acceptedAlone = await pageAndAck([alone]);
    acceptedAlone += await post([alone], storm.slice(45));
    const reference = await settled(single, [alone], acceptedAlone, true);

    expect(deploys.keys).toEqual(['INC-1/1/1']);

    const shared = c.database('shared');
    const workers = await Promise.all([1, 2, 3].map(() => serve(shared, config, 3)));
    const lead = await until('a worker to lead', () => holder(shared));
    // The owner's rollback play will hang in the deploy system: it dies in the middle of it.
    deploys.hold(true);
    let accepted = await pageAndAck(workers);
    await until('the rollback play to be in flight', async () => deploys.keys.length === 2);
    const owner = workers.find((w) => w.name === lead) as Worker;
    owner.child.kill('SIGKILL');
    deploys.hold(false);
    const survivors = workers.filter((w) => w !== owner);
    // While nobody holds the lease the survivors still take alerts: into the inbox.
    accepted += await post(survivors, storm.slice(45));
    const next = await until('a survivor to take over', async () => {
      const now = await holder(shared);
      return now && now !== lead ? now : null;
    });
    expect(survivors.map((w) => w.name)).toContain(next);
    const records = await settled(shared, survivors, accepted, true);

    expect(accepted).toBe(storm.length);
    expect(acceptedAlone).toBe(storm.length);
    const shape = (r: Incident) => ({
      id: r.id,
      state: r.state,
      severity: r.severity,
      type: r.type,
      labels: r.labels,
      alerts: r.alerts,
      plays: r.plays.map((p) => ({ play: p.play, outcome: p.outcome })),
    });
    expect(records.map(shape)).toEqual(reference.map(shape));
    // Milestones are wall-clock minutes: counted from each run's first incident, they may still differ
    // by a minute boundary the two runs straddle and by the takeover (the lease, then a beat).
    const start = (run: Incident[]) =>
      Math.min(...run.map((r) => r.milestones.opened ?? Number.POSITIVE_INFINITY));
    const gaps = records.flatMap((r, i) =>
      Object.entries(r.milestones).map(([milestone, at]) => {
        const was = reference[i]?.milestones[milestone] ?? null;
        return {
          milestone: `${r.id} ${milestone}`,
          same: (at === null) === (was === null),
          gap: at === null || was === null ? 0 : Math.abs(at - start(records) - (was - start(reference))),
        };
      }),
    );
    for (const { milestone, same, gap } of gaps) {
      expect(same, milestone).toBe(true);
      expect(gap, milestone).toBeLessThanOrEqual(2);
    }
    // One incident per group: the services are distinct and the ids run INC-1 .. INC-5.
    expect(new Set(records.map((r) => r.labels.service)).size).toBe(records.length);
    expect(records.map((r) => r.id)).toEqual(records.map((_, i) => `INC-${i + 1}`));
    const [inbox] = await query<{ n: number }>(shared, 'SELECT count(*)::int AS n FROM inbox');
    expect(inbox?.n).toBe(0);
    // The play the dead owner was running ran again on the new one, under the same idempotency key.
    expect(deploys.keys).toEqual(['INC-1/1/1', 'INC-1/1/1', 'INC-1/1/1']);
    deploys.close();
  }, 300_000);

  it('shows each worker’s inspector the engine it drives: the run so far on taking it over, then each transition', async () => {
    const c = cluster as Cluster;
    const db = c.database('inspect');
    const config = liveConfig();
    const first = await serve(db, config, 2, ['--inspector-port', '0']);
    await until('the first worker to lead', async () => (await holder(db)) === first.name);
    const second = await serve(db, config, 2, ['--inspector-port', '0']);
    const inspectorOf = (w: Worker) =>
      until('the inspector URL in the log', async () => /"inspector":"(http:[^"]+)"/.exec(w.log())?.[1]);
    const watch = async (w: Worker) => {
      const socket = new WebSocket(`${(await inspectorOf(w)).replace('http', 'ws')}ws`);
      const seen: { actor: string; to: string }[] = [];
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; entry?: { actor: string; to: string } };
        if (message.type === 'trace' && message.entry) seen.push(message.entry);
      });
      return { socket, seen };
    };
    const standby = await watch(second);
    const lead = await watch(first);
    await call(second.base, 'POST', '/api/v2/alerts', [
      { labels: { alertname: 'Inspect', service: 'agent' } },
    ]);
    await until('the holder’s inspector to show INC-1', async () =>
      lead.seen.some((e) => e.actor === 'INC-1' && e.to === 'watching'),
    );
    // The standby drives nothing: its inspector has nothing to show.
    expect(standby.seen.filter((e) => e.actor.startsWith('INC-'))).toEqual([]);
    first.child.kill('SIGKILL');
    await until('the second worker to take over', async () => (await holder(db)) === second.name);
    // Watching from before the takeover, it now streams the new engine's transitions as they happen.
    await call(second.base, 'POST', '/api/sli', { sli: 'quality', requests: 1000, errors: 400 });
    await until('the page on the new holder’s inspector', async () =>
      standby.seen.some((e) => e.actor === 'INC-1' && e.to === 'page'),
    );
    // A page opened now gets the run so far first, replayed from the journal.
    const late = await watch(second);
    await until('the run so far', async () =>
      ['watching', 'page'].every((to) => late.seen.some((e) => e.actor === 'INC-1' && e.to === to)),
    );
    for (const { socket } of [standby, lead, late]) socket.close();
  }, 120_000);

  it('makes one run and one incident when two workers start together and both get the same group', async () => {
    const c = cluster as Cluster;
    const db = c.database('race');
    const config = liveConfig();
    const [a, b] = (await Promise.all([serve(db, config, 3), serve(db, config, 3)])) as [Worker, Worker];
    const answers = await Promise.all([
      call(a.base, 'POST', '/api/v2/alerts', [{ labels: { alertname: 'RaceA', service: 'billing' } }]),
      call(b.base, 'POST', '/api/v2/alerts', [{ labels: { alertname: 'RaceB', service: 'billing' } }]),
    ]);
    expect(answers.map((r) => r.json.accepted)).toEqual([1, 1]);
    const records = await settled(db, [a, b], 2);
    expect(records.map((r) => [r.labels.service, r.alerts])).toEqual([['billing', 2]]);
    expect(await query(db, 'SELECT id FROM runs')).toEqual([{ id: 'run-1' }]);
  }, 120_000);

  it('a worker stopped past its lease notices it lost it when it runs again, and writes nothing more', async () => {
    const c = cluster as Cluster;
    const db = c.database('partition');
    const config = liveConfig();
    const first = await serve(db, config, 2);
    await until('the first worker to lead', async () => (await holder(db)) === first.name);
    const second = await serve(db, config, 2);
    await call(first.base, 'POST', '/api/v2/alerts', [
      { labels: { alertname: 'Before', service: 'billing' } },
    ]);
    first.child.kill('SIGSTOP');
    await until('the second worker to take over', async () => (await holder(db)) === second.name);
    await call(second.base, 'POST', '/api/v2/alerts', [
      { labels: { alertname: 'During', service: 'billing' } },
    ]);
    const [mark] = await query<{ last: number }>(db, 'SELECT max(last_seq)::int AS last FROM journal');
    first.child.kill('SIGCONT');
    // Posted to the stale worker at once: it must not apply it as the run's driver.
    const late = await call(first.base, 'POST', '/api/v2/alerts', [
      { labels: { alertname: 'After', service: 'billing' } },
    ]);
    expect(late.json.accepted).toBe(1);
    await until('the first worker to notice', async () => /lost the lease/.test(first.log()));
    const written = await query<{ n: number }>(
      db,
      'SELECT count(*)::int AS n FROM journal WHERE written_by = $1 AND last_seq > $2',
      [first.name, mark?.last ?? 0] as unknown[],
    );
    expect(written).toEqual([{ n: 0 }]);
    expect(await holder(db)).toBe(second.name);
    const records = await settled(db, [first, second], 3);
    expect(records.map((r) => r.alerts)).toEqual([3]);
  }, 120_000);
});
