import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gate } from '../src/views/gate.js';
import { narrate } from '../src/views/narrate.js';
import { runShift } from '../src/world/drill.js';
import { loadScenario } from '../src/world/scenario.js';
import { assertBuilt, errorLines, runCli } from './support/cli-process.js';

/** Each scenario a user copies, run and scored as `runbook gate` does. */
async function scored(name: string) {
  const file = `scenarios/${name}.yaml`;
  const scenario = loadScenario(file);
  const result = await runShift(scenario, { file });
  return { scenario, result, report: gate(result, scenario) };
}

const failed = (report: ReturnType<typeof gate>) => report.checks.filter((c) => !c.ok).map((c) => c.id);

describe('the example services pass their gates', () => {
  for (const name of ['checkout-api', 'search-api', 'queue-worker']) {
    it(`${name}: every check holds`, async () => {
      const { report } = await scored(name);
      expect(failed(report)).toEqual([]);
      expect(report.passed).toBe(report.total);
    });
  }

  it('checkout-api: restart runs, does not help, and the runbook moves on to rollback, which recovers', async () => {
    const { result } = await scored('checkout-api');
    const plays = result.mitigate?.plays ?? [];
    expect(plays.map((p) => [p.play, p.outcome])).toEqual([
      ['restart', 'no-recovery'],
      ['rollback', 'recovered'],
    ]);
    expect(result.mitigate).toMatchObject({ play: 'rollback', step: 2, from: 'v42', to: 'v41' });
    expect(plays[1]?.sliAfter).toBeGreaterThanOrEqual(result.detect?.objective ?? 1);
  });

  it('search-api: failover clears the slow dependency; nothing is deployed or rolled back', async () => {
    const { result } = await scored('search-api');
    expect(result.mitigate?.play).toBe('failover');
    expect(result.mitigate?.plays[0]?.detail).toBe('failover cleared primary-replica-slow');
    expect(result.releases.map((r) => r.release)).toEqual(['s7']);
  });

  it('says failed, slow and wrong in the words of each SLI kind, and names no stage owner it was not given', async () => {
    const { scenario, result, report } = await scored('checkout-api');
    expect(result.learn?.postmortem).toContain('failed requests');
    expect(result.learn?.postmortem).not.toContain('answers');
    const story = narrate(result, report, scenario.owners);
    expect(story).not.toMatch(/M3\d|M26|undefined|n\/a/);
    const search = await scored('search-api');
    expect(search.result.learn?.postmortem).toContain('requests slower than 300 ms');
  });
});

describe('the broken twins fail for the right reason', () => {
  it('checkout-api-broken: the fix still fails 2% of requests and only verify fails', async () => {
    const { report, result } = await scored('checkout-api-broken');
    expect(failed(report)).toEqual(['verify']);
    expect(result.incidents[0]?.escalation).toMatch(/while verifying v42-fix/);
  });

  it('search-api-broken: rollback has nothing to roll back to; mitigate fails and the incident escalates', async () => {
    const { report, result } = await scored('search-api-broken');
    expect(failed(report)).toContain('mitigate');
    expect(failed(report)).not.toContain('page');
    expect(result.incidents[0]?.state).toBe('escalated');
  });

  it('queue-worker-broken: scale clears nothing, succeeds, and the SLI stays down', async () => {
    const { report, result } = await scored('queue-worker-broken');
    expect(failed(report)).toContain('mitigate');
    expect(result.incidents[0]?.plays.map((p) => p.outcome)).toEqual(['no-recovery']);
  });
});

describe('a deploy the canary rejects', () => {
  it('is listed with its scores and checks and narrated, and never goes live', async () => {
    const scenario = loadScenario('scenarios/stock-shift.yaml');
    scenario.service.evalSet = ['refunds-1', 'shipping-1'];
    const result = await runShift(scenario);
    expect(result.rejectedDeploys).toHaveLength(1);
    const rejected = result.rejectedDeploys?.[0];
    expect(rejected).toMatchObject({ release: 'v3', at: 4320 });
    expect(rejected?.candidate.failed).toEqual(['refunds-1']);
    expect(rejected?.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['quality', 'vs-baseline']);
    expect(result.releases.map((r) => r.release)).not.toContain('v3');
    const story = narrate(result, gate(result, scenario), scenario.owners);
    expect(story).toContain('v3 at minute 4320: rejected by the canary (1/2 vs live v2 2/2)');
    expect(story).not.toMatch(/undefined|n\/a/);
  });
});

describe('mistakes in a new scenario are errors (exit 2, file and field)', () => {
  assertBuilt();
  it('a match no alert of the scenario carries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-new-scenarios-'));
    writeFileSync(
      join(dir, 'typo.yaml'),
      `extends: ${process.cwd()}/scenarios/checkout-api.yaml\nincidentTypes:\n  - { name: bad-deploy, match: { service: checkot }, sli: availability, runbook: [{ play: rollback }] }\n`,
    );
    const run = await runCli(['gate', '--scenario', 'typo.yaml'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(errorLines(run)).toEqual([
      'runbook: typo.yaml: incidentTypes[0].match: no alert, SLO alert or ticket of this scenario carries service="checkot"',
    ]);
  });
});
