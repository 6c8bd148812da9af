import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stockPlays } from '../src/engine/plays.js';
import { parseLiveConfig } from '../src/live/config.js';
import { InputError } from '../src/toolkit/errors.js';
import { DEFAULT_POLICY } from '../src/toolkit/slo.js';
import { runShift } from '../src/world/drill.js';
import { loadScenario, parseScenario } from '../src/world/scenario.js';

/** One Sloth spec feeds the rules, the drill and serve: `sloSpec: FILE` sets objectives and the policy. */

const dir = mkdtempSync(join(tmpdir(), 'runbook-slo-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const STOCK = resolve('scenarios/stock-shift.yaml');
const plays = Object.keys(stockPlays);

function spec(objective: number, ticket = 'labels: { severity: warning }'): string {
  const file = join(dir, `slo-${objective}-${ticket.length}.yaml`);
  writeFileSync(
    file,
    `version: prometheus/v1
service: agent
slos:
  - name: quality
    objective: ${objective}
    sli:
      events:
        error_query: sum(rate(wrong_total[{{.window}}]))
        total_query: sum(rate(answers_total[{{.window}}]))
    alerting:
      name: QualityBurn
      ticket_alert: { ${ticket} }
`,
  );
  return file;
}

const scenarioWith = (lines: string) => parseScenario(`extends: ${STOCK}\n${lines}\n`, join(dir, 's.yaml'));

describe('a scenario with sloSpec', () => {
  it('runs the stock shift byte for byte when the spec states its objectives (scenarios/slo-spec.yaml)', async () => {
    const fromSpec = loadScenario('scenarios/slo-spec.yaml');
    const stock = loadScenario(STOCK);
    expect({ ...fromSpec, name: stock.name }).toEqual(stock);
    const [a, b] = await Promise.all([runShift(fromSpec), runShift({ ...stock, name: fromSpec.name })]);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('takes the objective from the spec, in percent, and drops the pairs of a disabled alert', () => {
    const s = scenarioWith(`sloSpec: ${spec(99.5, 'disable: true')}`);
    expect(s.slos.quality?.objective).toBe(0.995);
    expect(s.alerting.policy).toEqual(DEFAULT_POLICY.filter((pair) => pair.severity === 'page'));
    expect(s.alerting.severity).toEqual({ page: 'sev1', ticket: 'sev3' });
  });

  it('pages later against a looser objective from the spec: the drill follows the spec', async () => {
    const strict = await runShift(scenarioWith(`sloSpec: ${spec(99)}`));
    const loose = await runShift(scenarioWith(`sloSpec: ${spec(90)}`));
    expect(strict.milestones.paged).toBeDefined();
    expect(loose.milestones.paged ?? Number.POSITIVE_INFINITY).toBeGreaterThan(strict.milestones.paged ?? 0);
  });

  it('refuses slos beside sloSpec, and a latency SLO with no threshold, naming the file and field', () => {
    const both = () =>
      parseScenario(`sloSpec: ${spec(99)}\nslos: { quality: { objective: 0.9 } }\n`, 'x.yaml');
    expect(both).toThrowError(InputError);
    expect(() => both()).toThrow(/comes from sloSpec/);
    try {
      both();
    } catch (error) {
      expect((error as InputError).format()).toMatch(/^runbook: x\.yaml: slos: comes from sloSpec/);
    }
    const latency = spec(99).replace('.yaml', '-latency.yaml');
    writeFileSync(latency, readFileSync(spec(99), 'utf8').replace('name: quality', 'name: latency'));
    try {
      scenarioWith(`sloSpec: ${latency}`);
      expect.fail('a latency SLO without threshold_ms was accepted');
    } catch (error) {
      expect((error as InputError).format()).toContain(
        `${latency}: slos[0].labels.threshold_ms: must be the latency threshold`,
      );
    }
  });
});

describe("serve's configuration with sloSpec", () => {
  it('reads the spec relative to the configuration file', () => {
    writeFileSync(join(dir, 'slo.yaml'), readFileSync(spec(99.9), 'utf8'));
    const text = readFileSync('examples/serve.yaml', 'utf8').replace(
      'slos:\n  quality: { objective: 0.99 }\n',
      'sloSpec: slo.yaml\n',
    );
    expect(text).toContain('sloSpec: slo.yaml');
    const config = parseLiveConfig(text, join(dir, 'live.yaml'), plays);
    expect(config.slos.quality?.objective).toBe(0.999);
    expect(config.alerting.policy).toEqual(DEFAULT_POLICY);
  });
});
