import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../bench/ports.js';
import { stockPlays } from '../src/engine/plays.js';
import { parseLiveConfig } from '../src/live/config.js';
import { postedAlerts } from '../src/live/intake.js';
import { PrometheusSli } from '../src/live/prometheus.js';
import { LiveEngine } from '../src/live/runtime.js';

/**
 * Live SLIs read from Debian's real Prometheus (package `prometheus`), started on loopback by the
 * test and scraping a tiny exporter the test serves every second: the engine's SLI ledger gets the
 * minute's counts from the spec's own queries. A Prometheus that is down or never answers is
 * retried and counted, and the engine keeps running.
 */

const PROMETHEUS = '/usr/bin/prometheus';
const EPOCH = '2026-12-01T00:00:00Z';
const dir = mkdtempSync(join(tmpdir(), 'runbook-prom-'));
const children: ChildProcess[] = [];
const servers: Server[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | null>, ms = 30_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** An HTTP server on loopback; `handler` answers every request. */
async function serveHttp(handler: Parameters<typeof createHttpServer>[1]): Promise<number> {
  const server = createHttpServer(handler);
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as { port: number }).port;
}

/** The SLO spec and a live configuration that reads its SLI from Prometheus at `url`. */
function liveConfig(url: string, extra = '') {
  writeFileSync(
    join(dir, 'slo.yaml'),
    `version: prometheus/v1
service: agent
slos:
  - name: quality
    objective: 99
    sli:
      events:
        error_query: sum(rate(answers_total{outcome="wrong"}[{{.window}}]))
        total_query: sum(rate(answers_total[{{.window}}]))
    alerting: { name: QualityBurn }
`,
  );
  const text = readFileSync('examples/serve.yaml', 'utf8').replace(
    'slos:\n  quality: { objective: 0.99 }\n',
    `epoch: "${EPOCH}"\nsloSpec: slo.yaml\nprometheus: { url: "${url}", intervalSeconds: 1${extra} }\n`,
  );
  return parseLiveConfig(text, join(dir, 'live.yaml'), Object.keys(stockPlays));
}

/** An engine a minute and a second past its epoch: the minute to read is minute 0. */
function engine(config: ReturnType<typeof liveConfig>) {
  return new LiveEngine({
    config,
    configFile: 'live.yaml',
    store: null,
    clock: () => Date.parse(EPOCH) + 61_000,
  });
}

const counter = async (live: LiveEngine, outcome: string) => {
  const metrics = await live.metrics.registry.getMetricsAsJSON();
  const reads = metrics.find((m) => m.name === 'runbook_prometheus_sli_reads_total');
  return reads?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
};

describe.skipIf(!existsSync(PROMETHEUS))("the SLI from Debian's Prometheus", () => {
  it("reads a minute's counts with the spec's queries and submits them to the SLI ledger", async () => {
    const started = Date.now();
    // 1000 answers a second, 200 of them wrong: the counters a real service would expose.
    const exporter = await serveHttp((_, res) => {
      const seconds = Math.floor((Date.now() - started) / 1000);
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(
        `# TYPE answers_total counter\nanswers_total{outcome="right"} ${800 * seconds}\nanswers_total{outcome="wrong"} ${200 * seconds}\n`,
      );
    });
    const port = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: agent
    static_configs: [{ targets: ["127.0.0.1:${exporter}"] }]
`,
    );
    const child = spawn(PROMETHEUS, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    const query = encodeURIComponent('sum(rate(answers_total[1m]))');
    await until('Prometheus to have two scrapes', async () => {
      const answer = (await (await fetch(`${url}/api/v1/query?query=${query}`)).json()) as {
        data: { result: unknown[] };
      };
      return answer.data.result.length > 0 ? true : null;
    });

    const live = engine(liveConfig(url));
    await new PrometheusSli(live, live.config.prometheus ?? expect.fail('no prometheus config')).poll();
    const ledger = live.engine.ledger('quality');
    expect(ledger.minutes).toBe(1);
    const { requests, errors } = ledger.countsOver(1, 1);
    // rate() x 60 over [1m]: the answers of the last minute, here the few seconds scraped so far.
    expect(requests).toBeGreaterThan(1000);
    expect(errors / requests).toBeCloseTo(0.2, 2);
    expect(await counter(live, 'ok')).toBe(1);
    live.close();
  });
});

describe('a Prometheus that is down or slow', () => {
  it('is retried and counted, never a crash; the minute waits for the next read', async () => {
    const closed = await freePort();
    const live = engine(liveConfig(`http://127.0.0.1:${closed}`, ', retries: 1'));
    const lines: string[] = [];
    const reader = new PrometheusSli(live, live.config.prometheus ?? expect.fail('no config'), (l) =>
      lines.push(l),
    );
    await reader.poll();
    expect(await counter(live, 'error')).toBe(1);
    expect(lines[0]).toMatch(/^prometheus: quality: .*\(after 2 tries\)$/);
    expect(live.engine.ledger('quality').minutes).toBe(0);
    // An incident watching the SLI shows why it stopped moving.
    live.receive(
      postedAlerts([{ labels: { alertname: 'QualityLow', service: 'agent' } }], { now: live.clock() }, 5),
    );
    const [open] = live.incidents({});
    const down = live.incident(open?.id ?? expect.fail('no incident'));
    expect(down.sliReads).toMatchObject({ failures: 1, lastOkMinute: null });
    expect(down.sliReads?.lastError).toMatch(/ECONNREFUSED.*\(after 2 tries\)/);
    await reader.poll();
    expect(live.incident(down.id).sliReads?.failures).toBe(2);
    // The engine runs on: the next push (or read) counts the minute.
    expect(live.recordSli('quality', 1000, 0)).toEqual({ minute: 0 });
    live.close();
  });

  it('gives up on a Prometheus that never answers after its timeout', async () => {
    const silent = await serveHttp(() => undefined);
    const live = engine(liveConfig(`http://127.0.0.1:${silent}`, ', retries: 0, timeoutSeconds: 0.2'));
    const lines: string[] = [];
    const reader = new PrometheusSli(live, live.config.prometheus ?? expect.fail('no config'), (l) =>
      lines.push(l),
    );
    await reader.poll();
    expect(await counter(live, 'error')).toBe(1);
    expect(lines[0]).toMatch(/no answer in 0.2s \(after 1 try\)$/);
    live.close();
  });
});

describe('prometheus', () => {
  it('is installed (CI fails without it; a local run without it skips the live SLI test, loudly)', () => {
    if (existsSync(PROMETHEUS)) return;
    const why = `${PROMETHEUS} is missing: apt-get install prometheus (the live SLI test was SKIPPED)`;
    if (process.env.CI) expect.fail(why);
    console.warn(`\n*** ${why} ***\n`);
  });
});
