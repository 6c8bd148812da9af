import { describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { gate } from '../src/views/gate.js';
import { runShift, type ShiftResult } from '../src/world/drill.js';
import { loadScenario } from '../src/world/scenario.js';

const shift = async (file: string) => {
  const scenario = loadScenario(file);
  const result = await runShift(scenario, { file });
  return { scenario, result, report: gate(result, scenario) };
};

const failing = (report: ReturnType<typeof gate>) => report.checks.filter((c) => !c.ok).map((c) => c.id);
const transitions = (result: ShiftResult, actor: string) =>
  result.trace.filter((e) => e.actor === actor).map((e) => `${e.from} -> ${e.to}`);

describe('the stock shift', async () => {
  const { result, report } = await shift('scenarios/stock-shift.yaml');
  const primary = result.primary ?? '';

  it('correlates the storm of 40 alerts into 5 incidents by service', () => {
    expect(result.intake.alerts.posted).toBe(40);
    expect(result.intake.incidents).toBe(5);
    expect(new Set(result.incidents.map((i) => i.labels.service)).size).toBe(5);
  });

  it('triages the refund ticket sev2, routes it to L2 and links it to the agent incident', () => {
    expect(result.intake.ticket).toMatchObject({ severity: 'sev2', queue: 'L2', incident: primary });
    expect(result.incidents.find((i) => i.id === primary)?.service).toBe('agent');
  });

  it('pages sev1 44 minutes after onset, when both fast-burn windows exceed 14.4x at a 20x burn', () => {
    expect(result.detect).toMatchObject({
      sli: 0.8,
      objective: 0.99,
      burnRate: 20,
      severity: 'sev1',
      firing: ['page:1h/5m'],
    });
    expect(result.milestones.onset).toBe(4320);
    expect(result.detect?.pagedAt).toBe(4364);
    expect(result.detect?.burn?.['1h']).toBeGreaterThan(14.4);
    expect(transitions(result, primary)).toContain('detect -> page');
  });

  it('mitigates with the first play, rollback to the last good release v2: SLI 80% -> 100%', () => {
    expect(result.mitigate).toMatchObject({
      play: 'rollback',
      step: 1,
      from: 'v3',
      to: 'v2',
      sliBefore: 0.8,
      sliAfter: 1,
    });
    expect(result.releases.map((r) => `${r.release}:${r.via}`)).toEqual([
      'v2:initial',
      'v3:canary',
      'v2:rollback',
      'v3-fix:canary',
    ]);
  });

  it('writes a blameless postmortem whose regression case joins the eval set', () => {
    expect(result.learn?.accepted).toBe(true);
    expect(result.learn?.postmortem).toMatch(/## Root causes[\s\S]*## Action items[\s\S]*## Timeline/);
    expect(result.learn?.regressionCases.map((c) => c.topic)).toEqual(['refunds']);
    expect(result.evalSet).toContain(result.learn?.regressionCases[0]?.id);
  });

  it('canaries the fix against live on the eval set plus the regression case and promotes it', () => {
    expect(result.ship).toMatchObject({ candidate: 'v3-fix', verdict: 'promote', reasons: [] });
    expect(transitions(result, 'release').slice(-3)).toEqual([
      'live -> canary',
      'canary -> promoted',
      'promoted -> live',
    ]);
    expect(result.live).toBe('v3-fix');
  });

  it('walks the incident through detect, page, mitigate, learn, ship, verify to resolved, with MTTD/MTTM/MTTR', () => {
    const states = result.trace.filter((e) => e.actor === primary).map((e) => e.to);
    expect(states.slice(states.indexOf('page'))).toEqual([
      'page',
      'mitigate.running',
      'mitigate.settling',
      'learn',
      'ship',
      'verify',
      'resolved',
    ]);
    expect(result.milestones).toMatchObject({ mttd: 44 });
    expect(result.milestones.mttm).toBeGreaterThan(result.milestones.mttd ?? Infinity);
    expect(result.milestones.mttr).toBeGreaterThan(result.milestones.mttm ?? Infinity);
  });

  it("reports the README's MTTD 44 / MTTM 47 / MTTR 57: acknowledged 2 min after the page, rolled back the next minute, resolved after the 10-min verify soak", () => {
    expect(result.milestones).toEqual({
      onset: 4320,
      detected: 4364,
      paged: 4364,
      acknowledged: 4366,
      mitigated: 4367,
      resolved: 4377,
      mttd: 44,
      mttm: 47,
      mttr: 57,
    });
  });

  it('scores 7/7', () => {
    expect(report).toMatchObject({ passed: 7, total: 7 });
  });

  it('records a trace in which each entry starts where the same actor last ended', () => {
    const last = new Map<string, string>();
    for (const entry of result.trace) {
      expect(entry.from).toBe(last.get(entry.actor) ?? null);
      last.set(entry.actor, entry.to);
    }
    expect(result.trace.map((e) => e.seq)).toEqual(result.trace.map((_, i) => i + 1));
  });
});

describe('the stock shift at 3 requests a minute', async () => {
  const { scenario, result, report } = await shift('scenarios/low-traffic.yaml');
  const wentLive = scenario.timeline.find((e) => 'deploy' in e && e.deploy === 'v3')?.at;

  it('has minutes after v3 went live that asked no refund question and served only good answers', () => {
    // A point at t carries the SLI of minute t - 1.
    const quiet = result.series.points.filter((p) => p.t > (wentLive ?? 0) && p.t <= 4362 && p.sli === 1);
    expect(quiet.length).toBeGreaterThan(10);
  });

  it('starts impact at the minute v3 went live, so MTTD counts from there, and still scores 7/7', () => {
    expect(wentLive).toBe(4320);
    expect(result.milestones).toMatchObject({ onset: wentLive, detected: 4362, mttd: 42 });
    expect(result.learn?.postmortem).toContain('42 minutes after onset');
    expect(report).toMatchObject({ passed: 7, total: 7 });
  });
});

describe('the broken fix', async () => {
  const { result, report } = await shift('scenarios/broken-fix.yaml');

  it('is rejected by the canary on its regression case and never goes live', () => {
    expect(result.ship?.verdict).toBe('reject');
    expect(result.ship?.reasons.join(' ')).toMatch(/regression case reg-INC-\d+-refunds-1 failed/);
    expect(result.releases.map((r) => r.release)).not.toContain('v3-fix');
    expect(result.live).toBe('v2');
  });

  it('scores 6/7 and names the ship check', () => {
    expect(report).toMatchObject({ passed: 6, total: 7 });
    expect(failing(report)).toEqual(['ship']);
  });
});

describe('the stale-index outage', async () => {
  const { result, report } = await shift('scenarios/stale-index.yaml');
  const stale = result.incidents.find((i) => i.type === 'stale-index');

  it('opens a second agent incident after the gap, pages on the freshness burn and reindexes', () => {
    expect(stale?.service).toBe('agent');
    expect(stale?.severity).toBe('sev1');
    expect(stale?.plays.map((p) => `${p.play}:${p.outcome}`)).toEqual(['reindex:recovered']);
    expect(stale?.state).toBe('resolved');
  });

  it('passes all eight checks, the eighth being the stale-index recovery', () => {
    expect(report.total).toBe(8);
    expect(report.checks.at(-1)).toMatchObject({ id: 'stale-index', ok: true });
    expect(report.passed).toBe(8);
  });

  it('with rollback first, shows rollback failing to recover the SLI, then reindex recovering it', async () => {
    const { result: r } = await shift('scenarios/stale-index-rollback-first.yaml');
    const incident = r.incidents.find((i) => i.type === 'stale-index');
    expect(incident?.plays.map((p) => `${p.play}:${p.outcome}`)).toEqual([
      'rollback:no-recovery',
      'reindex:recovered',
    ]);
    expect(transitions(r, incident?.id ?? '')).toEqual(
      expect.arrayContaining([
        'mitigate.running -> mitigate.settling',
        'mitigate.settling -> mitigate.nextStep',
        'mitigate.nextStep -> mitigate.running',
        'mitigate.settling -> learn',
      ]),
    );
  });

  it('escalates when the index cannot be rebuilt, the thrown play recorded as a failure', async () => {
    const { result: r } = await shift('scenarios/mutations/stale-index.yaml');
    const incident = r.incidents.find((i) => i.type === 'stale-index');
    expect(incident?.state).toBe('escalated');
    expect(incident?.plays[0]).toMatchObject({ play: 'reindex', outcome: 'failure' });
    expect(incident?.plays[0]?.detail).toMatch(/threw: the index source is unreachable/);
  });
});

describe('determinism', () => {
  it('gives byte-identical JSON for two runs of the same scenario', async () => {
    const first = bufferIo();
    const second = bufferIo();
    expect(await main(['drill', '--scenario', 'scenarios/stale-index.yaml', '--json'], first)).toBe(0);
    expect(await main(['drill', '--scenario', 'scenarios/stale-index.yaml', '--json'], second)).toBe(0);
    expect(first.stdout.length).toBeGreaterThan(1000);
    expect(second.stdout).toBe(first.stdout);
  });
});

describe('the shift commands', () => {
  it('gate exits 0 on the stock shift and prints the report as JSON with --json', async () => {
    const io = bufferIo();
    expect(await main(['gate', '--json'], io)).toBe(0);
    const report = JSON.parse(io.stdout);
    expect(report).toMatchObject({ passed: 7, total: 7 });
    expect(report.checks.map((c: { id: string; owner: string }) => `${c.id}:${c.owner}`)).toEqual([
      'intake:M32',
      'triage:M32',
      'page:M31',
      'mitigate:M31->M33',
      'learn:M31->M26',
      'ship:M33',
      'verify:M26',
    ]);
  });

  it('gate exits 1 on the broken fix', async () => {
    const io = bufferIo();
    expect(await main(['gate', '--scenario', 'scenarios/broken-fix.yaml'], io)).toBe(1);
    expect(io.stdout).toMatch(/FAIL\s+ship/);
  });

  it('demo narrates sections A-G with their owners, then the gate table', async () => {
    const io = bufferIo();
    expect(await main(['demo'], io)).toBe(0);
    const heads = io.stdout.match(/^[A-G] {2}\S+\s+\S+/gm) ?? [];
    expect(heads.map((h) => h.replace(/\s+/g, ' '))).toEqual([
      'A intake M32',
      'B detect M31',
      'C page M31',
      'D mitigate M31->M33',
      'E learn M31->M26',
      'F ship M33',
      'G verify M26',
    ]);
    expect(io.stdout).toContain('gate: 7/7');
  });

  it('demo --json keeps stdout pure JSON and narrates on stderr', async () => {
    const io = bufferIo();
    expect(await main(['demo', '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout).gate.passed).toBe(7);
    expect(io.stderr).toContain('A  intake');
  });
});
