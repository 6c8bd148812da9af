import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { weigh } from '../src/engine/why.js';
import { DEFAULT_POLICY } from '../src/toolkit/slo.js';

/**
 * `runbook why`: each decision about an incident with the guard that let it through, the numbers
 * the guard was given and the thresholds it compared them with, all read off the recorded run.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-why-'));
const db = join(dir, 'shifts.db');
let stock: { detect: { incident: string; burn: Record<string, number>; firing: string[]; pagedAt: number } };
let broken: { ship: { incident: string; candidate: string; checks: { name: string; ok: boolean }[] } };

async function cli(args: string[]) {
  const io = bufferIo();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

beforeAll(async () => {
  stock = JSON.parse(
    (await cli(['drill', '--scenario', 'scenarios/stock-shift.yaml', '--db', db, '--json'])).stdout,
  );
  broken = JSON.parse(
    (await cli(['drill', '--scenario', 'scenarios/broken-fix.yaml', '--db', db, '--json'])).stdout,
  );
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runbook why', () => {
  it('says the page was let through by pagePairFiring, with the burn over every window and the pairs that fired', async () => {
    const { code, stdout } = await cli(['why', 'run-1', stock.detect.incident, '--db', db, '--json']);
    expect(code).toBe(0);
    const { decisions } = JSON.parse(stdout);
    const page = decisions.find((d: { kind: string }) => d.kind === 'page');
    expect(page.guard).toBe('pagePairFiring');
    expect(page.t).toBe(stock.detect.pagedAt);
    expect(page.inputs.burn).toEqual(stock.detect.burn);
    expect(page.inputs.firing).toEqual(stock.detect.firing);
    // The pairs that fired are exactly those whose both windows exceed their threshold.
    const fired = weigh(stock.detect.burn as never, DEFAULT_POLICY)
      .filter((w) => w.fires)
      .map((w) => w.pair);
    expect(page.inputs.firing).toEqual(fired);
    expect(page.path[page.path.length - 1]).toBe(page.transition);
    expect(decisions.map((d: { kind: string }) => d.kind)).toEqual(
      expect.arrayContaining(['page', 'acknowledge', 'play', 'promotion', 'resolve']),
    );
  });

  it('names the canary checks that failed when the broken fix is rejected, with the thresholds', async () => {
    const { stdout } = await cli(['why', 'run-2', broken.ship.incident, '--db', db, '--json']);
    const rejection = JSON.parse(stdout).decisions.find((d: { kind: string }) => d.kind === 'rejection');
    expect(rejection.inputs.checks).toEqual(broken.ship.checks);
    expect(Object.keys(rejection.thresholds)).toEqual(['minQuality', 'tolerance', 'regressionsMustPass']);
    const text = await cli(['why', 'run-2', broken.ship.incident, '--db', db]);
    for (const check of broken.ship.checks.filter((c) => !c.ok))
      expect(text.stdout).toContain(`${check.name} FAILED`);
  });

  it('says where the incident stood at a minute, and keeps only the decisions made by then', async () => {
    const before = stock.detect.pagedAt - 1;
    const { stdout } = await cli([
      'why',
      'run-1',
      stock.detect.incident,
      '--db',
      db,
      '--at',
      String(before),
      '--json',
    ]);
    const out = JSON.parse(stdout);
    expect(out.decisions.every((d: { t: number }) => d.t <= before)).toBe(true);
    expect(out.decisions.some((d: { kind: string }) => d.kind === 'page')).toBe(false);
    // A minute before the page, the fast pair had not fired on both windows.
    expect(out.at.weighed.find((w: { pair: string }) => w.pair === 'page:1h/5m').fires).toBe(false);
  });

  it('refuses an incident the run does not have, and a bad minute, with exit 2', async () => {
    const r1 = await cli(['why', 'run-1', 'INC-99', '--db', db]);
    expect([r1.code, r1.stderr]).toEqual([2, expect.stringContaining('no incident INC-99')]);
    const r2 = await cli(['why', 'run-1', 'INC-5', '--db', db, '--at', 'soon']);
    expect([r2.code, r2.stderr]).toEqual([2, expect.stringContaining('--at')]);
  });
});

describe('decision records live', () => {
  it('gives the API the decisions, and the outbox a page that says what decided it', async () => {
    const { SqliteStore } = await import('../src/engine/sqlite-store.js');
    const { startLive } = await import('./support/live-server.js');
    const live = join(dir, 'live.db');
    const server = await startLive(new SqliteStore(live));
    const post = (path: string, body: unknown) =>
      fetch(`${server.base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    try {
      await post('/api/v2/alerts', [{ labels: { alertname: 'AnswerQualityLow', service: 'agent' } }]);
      server.advance(60_000);
      await post('/api/sli', { sli: 'quality', requests: 1000, errors: 400 });
      const incident = await (await fetch(`${server.base}/api/incidents/INC-1`)).json();
      const page = incident.decisions.find((d: { kind: string }) => d.kind === 'page');
      expect(page.guard).toBe('pagePairFiring');
      expect(page.inputs.firing.length).toBeGreaterThan(0);
      expect(page.because).toContain(page.inputs.firing[0]);
    } finally {
      await server.close();
    }
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(live, { readonly: true });
    const rows = db.prepare("SELECT payload FROM outbox WHERE kind = 'page'").all() as { payload: string }[];
    db.close();
    const notification = JSON.parse(rows[0]?.payload ?? '{}');
    expect(notification.why).toMatch(/^paged at minute \d+ \(sev1\): SLI/);

    const { deliveryOf } = await import('../src/live/notifiers.js');
    const ctx = { run: 'run-1', timestamp: '2026-12-07T00:00:00Z' };
    const pd = deliveryOf(
      {
        name: 'pd',
        type: 'pagerduty',
        url: 'http://127.0.0.1:1/pd',
        routingKey: 'k'.repeat(32),
        kinds: ['page'],
      },
      notification,
      ctx,
    );
    expect(JSON.parse(pd?.body ?? '{}').payload.custom_details.why).toBe(notification.why);
    const hook = deliveryOf(
      { name: 'chat', type: 'webhook', url: 'http://127.0.0.1:1/hook', headers: {}, kinds: ['page'] },
      notification,
      ctx,
    );
    expect(JSON.parse(hook?.body ?? '{}').why).toBe(notification.why);
  });
});
