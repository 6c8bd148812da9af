import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { type Correlation, correlate } from '../src/toolkit/correlate.js';
import { gate } from '../src/views/gate.js';
import { runShift, stormAlerts } from '../src/world/drill.js';
import { loadScenario, parseScenario, type Scenario } from '../src/world/scenario.js';
import { generateStorm, stockServices, stockStorm } from '../src/world/storm.js';

/**
 * Scale is a property of the data, not of the code: the big storm is an ordinary scenario file, and
 * the same file shape at a smaller count goes through the same loader, generator and correlator.
 * Timings live in `npm run bench`, never here.
 */

const BIG_STORM = fileURLToPath(new URL('../scenarios/big-storm.yaml', import.meta.url));

/** The big storm's file with its storm scaled down: same fields, same shape, smaller numbers. */
function scaledDown(alerts: number, services: number): Scenario {
  const raw = parse(readFileSync(BIG_STORM, 'utf8'));
  raw.storm.alerts = alerts;
  raw.storm.services = { count: services };
  return parseScenario(stringify(raw), BIG_STORM);
}

function stormOf(scenario: Scenario): Correlation {
  const { storm, epoch } = scenario;
  return correlate(stormAlerts(scenario), { groupBy: storm.groupBy, gapMinutes: storm.gapMinutes, epoch });
}

describe('scenarios/big-storm.yaml', () => {
  it('loads as a valid scenario of 1,000,000 alerts over 10,000 generated services', () => {
    const scenario = loadScenario(BIG_STORM);
    expect(scenario.storm.alerts).toBe(1_000_000);
    expect(scenario.storm.services).toHaveLength(10_000);
    expect(scenario.storm.groupBy).toEqual(['service', 'alertname']);
    expect(scenario.storm.services.slice(0, 2).map((s) => s.name)).toEqual(['agent', 'retrieval']);
    expect(scenario.storm.services.at(-1)?.name).toBe('service-10000');
  });

  it('names every one of its services once', () => {
    const names = loadScenario(BIG_STORM).storm.services.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('correlates the same shape at 20,000 alerts over 500 services into one group per service and alertname', () => {
    const scenario = scaledDown(20_000, 500);
    const result = stormOf(scenario);
    expect(result.posted).toBe(20_000);
    expect(result.group_by).toEqual(['service', 'alertname']);
    // Forty alerts a service over three alertnames: every service raises all three.
    expect(result.groups).toHaveLength(1_500);
    // Three alertnames times four pods: at most twelve label sets a service.
    expect(result.distinct).toBeLessThanOrEqual(500 * 12);
    expect(result.groups.reduce((sum, group) => sum + group.count, 0)).toBe(result.distinct);
    for (const group of result.groups) {
      expect(Object.keys(group.labels)).toEqual(['service', 'alertname']);
      expect(group.alertnames).toEqual([group.labels.alertname]);
    }
  });

  it('runs as a whole shift at 20,000 alerts over 500 services and passes the gate', async () => {
    const scaled = scaledDown(20_000, 500);
    if (!scaled.expect) throw new Error('the big storm scenario has expect:');
    const scenario = { ...scaled, expect: { ...scaled.expect, incidents: 1_500 } };
    const result = await runShift(scenario, { file: BIG_STORM });
    const report = gate(result, scenario);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(result.intake.incidents).toBe(1_500);
    expect(result.live).toBe('v3-fix');
  });

  it('gives the same groups every time it is generated', () => {
    const scenario = scaledDown(5_000, 200);
    expect(stormOf(scenario)).toEqual(stormOf(scenario));
  });
});

describe('runbook storm | runbook correlate at scale', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'runbook-scale-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('streams a generated storm file into the groups the in-process correlator finds', async () => {
    const file = join(dir, 'storm.json');
    const written = bufferIo();
    const args = ['--seed', '7', '--alerts', '30000', '--services', '1000'];
    expect(await main(['storm', ...args, '--out', file], written)).toBe(0);

    const io = bufferIo();
    expect(await main(['correlate', '--alerts', file, '--json'], io)).toBe(0);
    expect(io.stderr).toBe('');
    const fromFile = JSON.parse(io.stdout);

    const inProcess = correlate(
      generateStorm({ ...stockStorm, seed: 7, alerts: 30_000, services: stockServices(1_000) }),
      { groupBy: ['service', 'alertname'] },
    );
    expect(fromFile).toMatchObject({ posted: 30_000, distinct: inProcess.distinct });
    expect(fromFile.groups).toHaveLength(inProcess.groups.length);
    expect(fromFile.groups.map((g: { labels: object; count: number }) => [g.labels, g.count])).toEqual(
      inProcess.groups.map((g) => [g.labels, g.count]),
    );
  });
});
