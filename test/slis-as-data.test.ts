import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/toolkit/errors.js';
import { errorBudget } from '../src/toolkit/slo.js';
import { runShift } from '../src/world/drill.js';
import { loadScenario, parseScenario } from '../src/world/scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'runbook-slis-'));
const STOCK = join(process.cwd(), 'scenarios/stock-shift.yaml');
const CHECKOUT = join(process.cwd(), 'scenarios/checkout-api.yaml');

const fieldOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return `${(error as InputError).field}: ${(error as InputError).message}`;
  }
  throw new Error('no error');
};

describe('slos: the first form', () => {
  it('reads quality alone as quality and a 99% freshness, neither raising its alert, in that order', () => {
    const s = loadScenario('scenarios/stock-shift.yaml');
    expect(Object.keys(s.slos)).toEqual(['quality', 'freshness']);
    expect(s.slos.quality).toMatchObject({ kind: 'quality', objective: 0.99, alerting: { raise: false } });
    expect(s.slos.freshness).toMatchObject({
      kind: 'freshness',
      objective: 0.99,
      alerting: { raise: false },
    });
  });
});

describe('slos: SLIs as data', () => {
  it('takes any names, each of a kind, and raises each SLO alert unless told not to', () => {
    const s = parseScenario(
      `extends: ${CHECKOUT}\nslos:\n  checkout-availability: { kind: availability, objective: 0.995 }\n  checkout-latency: { kind: latency, objective: 0.99, thresholdMs: 250, alerting: { raise: false } }\n  availability: null\nincidentTypes:\n  - { name: bad-deploy, match: { service: checkout, sloth_slo: checkout-availability }, sli: checkout-availability, runbook: [{ play: rollback }] }\n`.replace(
        '  availability: null\n',
        '',
      ),
      join(dir, 'named.yaml'),
    );
    // The base's `availability` merges in too: mappings overlay key by key.
    expect(Object.keys(s.slos).sort()).toEqual(['availability', 'checkout-availability', 'checkout-latency']);
    expect(s.slos['checkout-latency']).toMatchObject({
      kind: 'latency',
      thresholdMs: 250,
      alerting: { raise: false },
    });
    expect(s.slos['checkout-availability']?.alerting).toMatchObject({
      raise: true,
      name: 'CheckoutAvailabilitySLOBurnRate',
    });
  });

  it('burns 2% errors against 99.9% at 20x, measured by the machines, and pages from the SLO alert alone', async () => {
    const scenario = loadScenario(CHECKOUT);
    const result = await runShift(scenario, { file: CHECKOUT });
    const release = scenario.releases.find((r) => r.name === 'v42');
    const objective = scenario.slos.availability?.objective as number;
    // The machines' burn against the ratio the scenario states: 0.02 / 0.001.
    expect(result.detect?.burnRate).toBeCloseTo((release?.errorRate as number) / errorBudget(objective), 6);
    expect(result.detect?.burnRate).toBeCloseTo(20, 6);
    expect(result.detect?.firing).toContain('page:1h/5m');
    // No storm: the incident is the SLO alert's, with Sloth's labels.
    expect(scenario.storm.alerts + scenario.storm.listed.length).toBe(0);
    expect(result.incidents).toHaveLength(1);
    expect(result.incidents[0]?.labels).toEqual({ service: 'checkout' });
    expect(result.incidents[0]?.alertnames).toEqual(['AvailabilitySLOBurnRate']);
    expect(result.milestones.paged).toBe(4320 + Math.ceil((60 * 14.4) / 20));
  });

  it('refuses an SLI named by an incident type but not declared, even one every object inherits', () => {
    for (const sli of ['latency', 'constructor', 'toString']) {
      const text = `extends: ${CHECKOUT}\nincidentTypes:\n  - { name: x, match: { service: checkout }, sli: "${sli}", runbook: [{ play: rollback }] }\n`;
      expect(fieldOf(() => parseScenario(text, join(dir, 'x.yaml')))).toMatch(
        new RegExp(`^incidentTypes\\[0\\]\\.sli: unknown SLI "${sli}"`),
      );
    }
  });

  it('refuses an SLO alert no incident type can take and a scenario that can open no incident', () => {
    const typo = `extends: ${CHECKOUT}\nincidentTypes:\n  - { name: x, match: { service: checkot }, sli: availability, runbook: [{ play: rollback }] }\n`;
    expect(fieldOf(() => parseScenario(typo, join(dir, 't.yaml')))).toMatch(
      /^incidentTypes\[0\]\.match: no alert, SLO alert or ticket of this scenario carries service="checkot"/,
    );
    const silent = `extends: ${CHECKOUT}\nslos:\n  availability: { kind: availability, objective: 0.999, alerting: { raise: false } }\n`;
    expect(fieldOf(() => parseScenario(silent, join(dir, 's.yaml')))).toMatch(/^storm: can open no incident/);
  });
});

describe('a Sloth spec with free SLO names', () => {
  it('maps each SLO onto an SLI of the kind its category label says, with its alert name', () => {
    const spec = join(dir, 'checkout-slo.yaml');
    writeFileSync(
      spec,
      `version: prometheus/v1
service: checkout
slos:
  - name: requests-availability
    objective: 99.9
    labels: { category: availability }
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting: { name: CheckoutAvailability }
`,
    );
    const s = parseScenario(
      `extends: ${CHECKOUT}\nsloSpec: ${spec}\nincidentTypes:\n  - { name: bad-deploy, match: { sloth_slo: requests-availability }, sli: requests-availability, runbook: [{ play: rollback }] }\n`,
      join(dir, 'with-spec.yaml'),
    );
    expect(s.slos).toEqual({
      'requests-availability': {
        kind: 'availability',
        objective: 0.999,
        alerting: { name: 'CheckoutAvailability', raise: true },
      },
    });
  });

  it('keeps a stock scenario running as before', () => {
    const s = loadScenario(STOCK);
    expect(s.incidentTypes.map((t) => t.sli)).toEqual(['quality']);
  });
});
