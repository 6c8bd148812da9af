import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { prepareReplay } from '../src/cli/replay-run.js';
import { storedLiveRun } from './support/live-run.js';

/**
 * `runbook replay`: a recorded run's world inputs through fresh machines under changed settings.
 * Every expectation is read off the two replays (the run under its own settings, and under the
 * overlay's); none is a number typed in here.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-replay-'));
const shifts = join(dir, 'shifts.db');
let recorded = { stock: '', broken: '' };

async function cli(args: string[]) {
  const io = bufferIo();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

function overlayFile(name: string, yaml: string): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

/** The stock policy with both page pairs' thresholds at 30x: the 20x burn of the story no longer pages. */
const strictPaging = () =>
  overlayFile(
    'strict.yaml',
    `alerting:
  policy:
    - { severity: page, long: 1h, short: 5m, threshold: 30 }
    - { severity: page, long: 6h, short: 30m, threshold: 30 }
    - { severity: ticket, long: 1d, short: 2h, threshold: 3 }
    - { severity: ticket, long: 3d, short: 6h, threshold: 1 }
`,
  );

beforeAll(async () => {
  const stock = await cli(['drill', '--scenario', 'scenarios/stock-shift.yaml', '--db', shifts, '--json']);
  const broken = await cli(['drill', '--scenario', 'scenarios/broken-fix.yaml', '--db', shifts, '--json']);
  expect([stock.code, broken.code]).toEqual([0, 0]);
  recorded = { stock: stock.stdout, broken: broken.stdout };
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runbook replay of a drill', () => {
  it('runs a declared effect play the record lacks against the simulated world, and the incident it clears resolves', async () => {
    const db = join(dir, 'search.db');
    const drill = await cli([
      'drill',
      '--scenario',
      'scenarios/search-api-broken.yaml',
      '--db',
      db,
      '--json',
    ]);
    expect(drill.code).toBe(0);
    const failover = overlayFile(
      'failover.yaml',
      `incidentTypes:
  - name: slow-dependency
    match: { service: search, sloth_slo: latency }
    sli: latency
    runbook:
      - { play: failover, timeout: 5 }
`,
    );
    const run = await cli(['replay', 'run-1', '--db', db, '--with', failover]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /not in the record: failover under INC-1\/1\/1 \(min \d+\) ran against the simulated world/,
    );
    expect(run.stdout).not.toMatch(/unknown: failover/);
    expect(run.stdout).toMatch(/state: escalated -> resolved/);
  });

  it('replays the stock shift under its own settings to the recorded result, byte for byte, and says no diff', async () => {
    const prepared = await prepareReplay(shifts, 'run-1');
    const outcome = await prepared.under({}, 'none');
    expect(prepared.matchesRecord).toBe(true);
    expect(`${JSON.stringify(outcome.after.result, null, 2)}\n`).toBe(recorded.stock);
    expect(outcome.diff.same).toBe(true);
    expect(outcome.diff.incidents).toEqual([]);
    const text = await cli(['replay', 'run-1', '--db', shifts]);
    expect([text.code, text.stderr]).toEqual([0, '']);
    expect(text.stdout).toContain('No difference');
  });

  it('tickets INC-5 instead of paging it under a 30x page threshold, and names the first transition that differs', async () => {
    const { code, stdout } = await cli([
      'replay',
      'run-1',
      '--db',
      shifts,
      '--with',
      strictPaging(),
      '--json',
    ]);
    expect(code).toBe(0);
    const { diff } = JSON.parse(stdout);
    const inc5 = diff.incidents.find((d: { id: string }) => d.id === 'INC-5');
    const before = inc5.before.map((s: { to: string }) => s.to);
    const after = inc5.after.map((s: { to: string }) => s.to);
    expect(before).toContain('page');
    expect(after).toContain('ticket');
    expect(after).not.toContain('page');
    // The first difference is the first step of either side's rest, at the earlier of their minutes.
    expect(inc5.first.before).toEqual(inc5.before[0]);
    expect(inc5.first.after).toEqual(inc5.after[0]);
    expect(inc5.first.minute).toBe(Math.min(inc5.before[0].t, inc5.after[0].t));
    expect(diff.totals.after.pages).toBe(diff.totals.before.pages - 1);
    expect(diff.totals.after.tickets).toBe(diff.totals.before.tickets + 1);
    expect(diff.totals.after.times.mttd).toBeGreaterThan(diff.totals.before.times.mttd);
    expect(diff.gate.after.failing.map((f: { id: string }) => f.id)).toContain('page');
    const text = await cli(['replay', 'run-1', '--db', shifts, '--with', strictPaging()]);
    expect(text.stdout).toContain(`INC-5: first differs at minute ${inc5.first.minute}`);
  });

  it('promotes the broken fix under a looser canary, and the gate names the check that fails instead', async () => {
    const loose = overlayFile(
      'loose.yaml',
      'canary:\n  minQuality: 0.75\n  tolerance: 0.25\n  regressionsMustPass: false\n',
    );
    const { code, stdout } = await cli(['replay', 'run-2', '--db', shifts, '--with', loose, '--json']);
    expect(code).toBe(0);
    const { diff } = JSON.parse(stdout);
    const fix = JSON.parse(recorded.broken).ship.candidate;
    expect(diff.totals.before.rejected).toContain(fix);
    expect(diff.totals.after.promoted).toContain(fix);
    expect(diff.totals.after.live).toBe(fix);
    const failing = (side: { failing: { id: string }[] }) => side.failing.map((f) => f.id);
    expect(failing(diff.gate.before)).toContain('ship');
    expect(failing(diff.gate.after)).not.toContain('ship');
    const now = failing(diff.gate.after).filter((id) => !failing(diff.gate.before).includes(id));
    expect(now.length).toBeGreaterThan(0);
    const text = await cli(['replay', 'run-2', '--db', shifts, '--with', loose]);
    for (const id of now) expect(text.stdout).toContain(`now fails: ${id}:`);
    expect(text.stdout).toContain('now passes: ship');
  });

  it('runs a play the record lacks under a changed runbook against the simulated world, and says so', async () => {
    const file = 'scenarios/stale-index-rollback-first.yaml';
    const drilled = await cli(['drill', '--scenario', file, '--db', shifts, '--json']);
    const run = `run-${(await cli(['runs', '--db', shifts, '--json'])).stdout.match(/"id"/g)?.length}`;
    const recordedResult = JSON.parse(drilled.stdout);
    const stale = recordedResult.incidents.find((i: { type: string }) => i.type === 'stale-index');
    expect(stale.plays.map((p: { play: string }) => p.play)).toEqual(['rollback', 'reindex']);
    const reindexFirst = overlayFile(
      'reindex-first.yaml',
      `incidentTypes:
  - name: stale-index
    match: { service: agent, alertname: IndexStale }
    sli: freshness
    runbook:
      - { play: reindex, timeout: 10 }
  - name: quality-regression
    match: { service: agent }
    sli: quality
    runbook:
      - { play: rollback, timeout: 10 }
    fix: { candidate: v3-fix }
`,
    );
    const { code, stdout } = await cli(['replay', run, '--db', shifts, '--with', reindexFirst, '--json']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    // The record's first step under this key was rollback: reindex is not in it, and runs on the simulated world.
    expect(out.notRecorded).toEqual([
      expect.objectContaining({ key: `${stale.id}/1/1`, play: 'reindex', source: 'simulated' }),
    ]);
    expect(out.diff.plays.after.filter((p: string) => p.startsWith(`${stale.id} `))).toEqual([
      expect.stringMatching(/reindex .*recovered/),
    ]);
    expect(out.worldDiverged).not.toBeNull();
    expect(out.diff.totals.after.times.mttm).toBe(out.diff.totals.before.times.mttm);
    const inc = out.diff.incidents.find((d: { id: string }) => d.id === stale.id);
    expect(inc.times.after.mttm).toBeLessThan(inc.times.before.mttm);
  });

  it('report --replay draws the recorded run beside the replay on the same plots, with the diff', async () => {
    const out = join(dir, 'replay.html');
    const { code, stdout } = await cli([
      'report',
      '--run',
      'run-1',
      '--db',
      shifts,
      '--replay',
      strictPaging(),
      '--out',
      out,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('replayed with');
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<section id="replay">');
    const specs = JSON.parse(
      /<script type="application\/json" id="plot-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '[]',
    );
    const inc5 = specs.find((s: { id: string }) => s.id === 'plot-INC-5');
    const labels = inc5.panels.flatMap((p: { lines: { label: string }[] }) => p.lines.map((l) => l.label));
    // The replay's page threshold and the record's, on the same panel.
    expect(labels).toContain('page threshold 30x');
    expect(labels).toContain('page threshold 14.4x (recorded)');
    expect(inc5.markers.some((m: { label: string }) => m.label.startsWith('recorded: paged'))).toBe(true);
  });

  it('writes nothing to the journal it reads: the file is the same bytes after replays', async () => {
    const before = readFileSync(shifts);
    await cli(['replay', 'run-1', '--db', shifts, '--with', strictPaging()]);
    await cli(['replay', 'run-2', '--db', shifts, '--sweep', 'canary.tolerance=0.01,0.3']);
    expect(readFileSync(shifts).equals(before)).toBe(true);
  });

  it('sweeps one setting: one row per value, pages and MTTD, and the pages missed against the recorded run', async () => {
    const { code, stdout } = await cli([
      'replay',
      'run-1',
      '--db',
      shifts,
      '--sweep',
      'alerting.policy[0].threshold=10,14.4,30',
      '--json',
    ]);
    expect(code).toBe(0);
    const { rows } = JSON.parse(stdout);
    expect(rows.map((r: { value: number }) => r.value)).toEqual([10, 14.4, 30]);
    // The recorded run's own threshold misses nothing and adds nothing.
    expect(rows[1]).toMatchObject({ missed: [], extra: [] });
    const base = JSON.parse(recorded.stock);
    expect(rows[1].mttd).toBe(base.milestones.mttd);
    // A lower threshold pages no later; the 6h pair still pages at 6x when the first pair is at 30x.
    expect(rows[0].mttd).toBeLessThanOrEqual(rows[1].mttd);
    expect(rows[2].mttd).toBeGreaterThan(rows[1].mttd);
  });

  it('refuses an overlay that changes the recorded world, or a bad setting, naming the file and field (exit 2)', async () => {
    const world = overlayFile('world.yaml', 'service:\n  requestsPerMinute: 5\n');
    const bad = overlayFile('bad.yaml', 'canary:\n  tolerance: 7\n');
    const r1 = await cli(['replay', 'run-1', '--db', shifts, '--with', world]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(world);
    expect(r1.stderr).toContain('service');
    const r2 = await cli(['replay', 'run-1', '--db', shifts, '--with', bad]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('canary.tolerance');
    expect(r2.stderr).not.toMatch(/\n\s+at /);
    const r3 = await cli(['replay', 'run-9', '--db', shifts]);
    expect([r3.code, r3.stderr]).toEqual([2, expect.stringContaining('no run run-9')]);
    const r4 = await cli(['replay', 'run-1', '--db', shifts, '--sweep', 'alerting.nothing=1']);
    expect([r4.code, r4.stderr]).toEqual([2, expect.stringContaining('--sweep')]);
  });
});

describe('runbook replay of a live run (runbook serve --db)', () => {
  let live = '';
  beforeAll(async () => {
    live = await storedLiveRun(mkdtempSync(join(dir, 'live-')));
  }, 60_000);

  it('replays under its own settings to what its journal holds, and with a page threshold out of reach tickets the page', async () => {
    const prepared = await prepareReplay(live, 'run-1');
    expect(prepared.kind).toBe('live');
    expect(prepared.matchesRecord).toBe(true);
    expect((await prepared.under({}, 'none')).diff.same).toBe(true);
    const journal = readFileSync(live);
    const out = overlayFile(
      'live.yaml',
      'alerting:\n  policy:\n    - { severity: page, long: 1h, short: 5m, threshold: 1000 }\n    - { severity: ticket, long: 1h, short: 5m, threshold: 3 }\n',
    );
    const { code, stdout } = await cli(['replay', 'run-1', '--db', live, '--with', out, '--json']);
    expect(code).toBe(0);
    const { diff, matchesRecord } = JSON.parse(stdout);
    expect(matchesRecord).toBe(true);
    const paged = diff.incidents.find(
      (d: { first: { before: { to: string } } }) => d.first.before?.to === 'page',
    );
    expect(paged.first.after.to).toBe('ticket');
    expect(diff.totals.after.pages).toBe(diff.totals.before.pages - 1);
    expect(readFileSync(live).equals(journal)).toBe(true);
  });

  it('counts what a new escalation policy would have told while the page waited for its acknowledgement', async () => {
    const policy = overlayFile(
      'escalate.yaml',
      'oncall:\n  escalation:\n    levels:\n      - { notify: [Alice Chen], afterMinutes: 1 }\n      - { notify: [Bob Okafor], afterMinutes: 1 }\n    repeats: 2\n',
    );
    const { code, stdout } = await cli(['replay', 'run-1', '--db', live, '--with', policy, '--json']);
    expect(code).toBe(0);
    const { diff } = JSON.parse(stdout);
    expect(diff.notified.before).toBe(0);
    expect(diff.notified.after).toBeGreaterThan(0);
    // The record's acknowledgement is replayed as it was: the page waited as long, so nothing else moved.
    expect(diff.incidents).toEqual([]);
  });
});
