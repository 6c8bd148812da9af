import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { DEFAULT_POLICY } from '../src/toolkit/slo.js';
import { weigh } from '../src/views/why.js';

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
