import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPlays } from '../src/engine/load-plays.js';
import type { InputError } from '../src/toolkit/errors.js';
import { gate } from '../src/views/gate.js';
import { runShift, type ShiftResult } from '../src/world/drill.js';
import { CHECK_KINDS } from '../src/world/gate-schema.js';
import { loadScenario, parseScenario, type Scenario } from '../src/world/scenario.js';

const BASE = 'scenarios/gate-checks.yaml';
/** A scenario written in a test, as if beside the base. */
const JUDGED = 'scenarios/judged.yaml';

async function shift(file: string) {
  const scenario = loadScenario(file);
  const plays = scenario.plays ? await loadPlays(scenario.plays) : {};
  return { scenario, result: await runShift(scenario, { file, plays }) };
}

const failing = (scenario: Scenario, result: ShiftResult) =>
  gate(result, scenario)
    .checks.filter((c) => !c.ok)
    .map((c) => c.id);

/** The base's gate with its checks replaced: the same shift judged by other expectations. */
const judged = (result: ShiftResult, checks: string, base = 'gate-checks.yaml') =>
  gate(result, parseScenario(`extends: ${base}\nname: judged\ngate:\n${checks}`, JUDGED));

describe('checks as data', () => {
  it('passes the base scenario: every check of its gate holds', async () => {
    const { scenario, result } = await shift(BASE);
    const report = gate(result, scenario);
    expect(report.total).toBe(scenario.gate?.length);
    expect(failing(scenario, result)).toEqual([]);
  });

  it('lists every check kind in the base, so that each has a mutation below', () => {
    const kinds = new Set(loadScenario(BASE).gate?.map((c) => c.kind));
    expect([...kinds].sort()).toEqual([...CHECK_KINDS].sort());
  });

  it('runs the stock checks, same names, for a scenario without gate:', async () => {
    const { scenario, result } = await shift('scenarios/stale-index.yaml');
    expect(gate(result, scenario).checks.map((c) => c.id)).toEqual([
      'intake',
      'triage',
      'page',
      'mitigate',
      'learn',
      'ship',
      'verify',
      'stale-index',
    ]);
  });
});

/** Each kind's mutation and the one check of the base's gate it must fail. */
const MUTATIONS: [string, string][] = [
  ['incidents', 'incidents'],
  ['ticket', 'ticket:T-1042'],
  ['detected', 'detected:quality-regression'],
  ['paged', 'paged:quality-regression'],
  ['mitigated', 'mitigated:quality-regression'],
  ['escalated', 'escalated:quality-regression'],
  ['postmortem', 'postmortem:quality-regression'],
  ['fix', 'fix:quality-regression'],
  ['live', 'live'],
  ['budget', 'budget:freshness'],
  ['mttd', 'mttd:stale-index'],
  ['mtta', 'mtta:stale-index'],
  ['mttm', 'mttm:stale-index'],
  ['mttr', 'mttr:stale-index'],
];

describe('each check kind has a mutation that fails it and no other', () => {
  it('has a mutation file for every kind and no other file', () => {
    const files = readdirSync('scenarios/mutations/gate').map((f) => f.replace(/\.yaml$/, ''));
    expect(files.sort()).toEqual(MUTATIONS.map(([kind]) => kind).sort());
    expect(MUTATIONS.map(([kind]) => kind).sort()).toEqual([...CHECK_KINDS].sort());
  });

  it.each(MUTATIONS)('%s', async (kind, id) => {
    const { scenario, result } = await shift(`scenarios/mutations/gate/${kind}.yaml`);
    expect(failing(scenario, result)).toEqual([id]);
  });
});

describe('check parameters', () => {
  it('bounds detection and paging by minutes after onset, and by severity', async () => {
    const { result } = await shift(BASE);
    const onset = result.incidents.find((i) => i.type === 'quality-regression')?.milestones.onset ?? 0;
    const detectedAt =
      result.incidents.find((i) => i.type === 'quality-regression')?.milestones.detected ?? 0;
    const after = detectedAt - onset;
    const report = judged(
      result,
      [
        `  - { kind: detected, type: quality-regression, withinMinutes: ${after}, name: at }`,
        `  - { kind: detected, type: quality-regression, withinMinutes: ${after - 1}, name: before }`,
        `  - { kind: paged, type: quality-regression, withinMinutes: ${after - 1}, name: page-before }`,
        '  - { kind: paged, type: quality-regression, severity: sev2, name: page-sev2 }',
        '  - { kind: detected, severity: sev1, name: every-typed }',
      ].join('\n'),
    );
    expect(report.checks.map((c) => [c.id, c.ok])).toEqual([
      ['at', true],
      ['before', false],
      ['page-before', false],
      ['page-sev2', false],
      ['every-typed', true],
    ]);
    expect(report.checks[1]?.detail).toBe(
      `INC-5 detected at minute ${detectedAt}, ${after} min after onset (at most ${after - 1}), sev1`,
    );
  });

  it('asks for a named play, the first play, and a time bound for mitigation', async () => {
    const { result } = await shift('scenarios/mutations/gate/mitigated.yaml');
    const report = judged(
      result,
      [
        '  - { kind: mitigated, type: quality-regression, name: any }',
        '  - { kind: mitigated, type: quality-regression, play: rollback, name: by-rollback }',
        '  - { kind: mitigated, type: quality-regression, play: reindex, name: by-reindex }',
        '  - { kind: mitigated, type: quality-regression, first: true, name: first }',
        '  - { kind: mitigated, type: quality-regression, withinMinutes: 1, name: quick }',
      ].join('\n'),
      'mutations/gate/mitigated.yaml',
    );
    expect(report.checks.map((c) => [c.id, c.ok])).toEqual([
      ['any', true],
      ['by-rollback', true],
      ['by-reindex', false],
      ['first', false],
      ['quick', false],
    ]);
  });

  it('expects an escalation when asked to, and says why the incident escalated', async () => {
    const { result } = await shift('scenarios/mutations/gate/escalated.yaml');
    const report = judged(
      result,
      [
        '  - { kind: escalated, type: quality-regression }',
        '  - { kind: escalated, type: stale-index, expected: true }',
      ].join('\n'),
    );
    expect(report.checks.map((c) => c.ok)).toEqual([true, false]);
    expect(report.checks[0]?.detail).toMatch(/^INC-5 escalated at minute \d+: SLI fell to 90\.0% /);
  });

  it('passes a broken fix that the canary rejected and that never went live', async () => {
    const { result } = await shift('scenarios/mutations/gate/fix.yaml');
    const report = judged(result, '  - { kind: fix, type: quality-regression, outcome: rejected }');
    expect(report.checks[0]).toMatchObject({ ok: true, detail: expect.stringMatching(/never live$/) });
    const shipped = await shift(BASE);
    expect(
      judged(shipped.result, '  - { kind: fix, type: quality-regression, outcome: rejected }').checks[0]?.ok,
    ).toBe(false);
  });

  it('needs at least K regression cases, and a mean time over every checked incident', async () => {
    const { result } = await shift(BASE);
    const report = judged(
      result,
      [
        '  - { kind: postmortem, type: quality-regression, minRegressionCases: 2 }',
        '  - { kind: postmortem, type: stale-index, minRegressionCases: 0 }',
        `  - { kind: mttr, atMost: ${result.milestones.mttr} }`,
      ].join('\n'),
    );
    expect(report.checks.map((c) => c.ok)).toEqual([false, true, true]);
    expect(report.checks[2]?.detail).toMatch(/^MTTR [\d.]+ min \(onset to resolution; INC-5 57, INC-6 22\)/);
  });

  it('fails a type that opened no incident, and a ticket linked to another type', async () => {
    const { result } = await shift(BASE);
    const scenario = parseScenario(
      [
        'extends: gate-checks.yaml',
        'name: judged',
        'expect: { recoveries: [] }',
        'incidentTypes:',
        '  - { name: never, match: { service: retrieval }, sli: quality, runbook: [{ play: rollback }] }',
        '  - { name: quality-regression, match: { service: agent }, sli: quality, runbook: [{ play: rollback }] }',
        'gate:',
        '  - { kind: paged, type: never }',
        '  - { kind: ticket, id: T-1042, type: never }',
      ].join('\n'),
      JUDGED,
    );
    expect(gate(result, scenario).checks.map((c) => c.detail)).toEqual([
      'no never incident was opened',
      'T-1042: linked to INC-5 (quality-regression), expected a never incident',
    ]);
  });
});

describe('a gate that cannot be checked is bad input', () => {
  const refused = (checks: string) => {
    try {
      parseScenario(`extends: gate-checks.yaml\nname: bad\ngate:\n${checks}\n`, JUDGED);
    } catch (error) {
      return (error as InputError).format();
    }
    return 'accepted';
  };

  it.each([
    [
      'an unknown kind',
      '  - { kind: speedy }',
      /gate\[0\]\.kind: must be one of incidents, detected, .*ticket/,
    ],
    ['an unknown field', '  - { kind: live, release: v2, within: 3 }', /gate\[0\]\.within: unknown field/],
    ['an unknown type', '  - { kind: paged, type: nope }', /gate\[0\]\.type: unknown incident type "nope"/],
    ['an unknown release', '  - { kind: live, release: v9 }', /gate\[0\]\.release: unknown release "v9"/],
    ['an unknown ticket', '  - { kind: ticket, id: T-1 }', /gate\[0\]\.id: unknown ticket "T-1"/],
    [
      'an unknown SLI',
      '  - { kind: budget, sli: speed, atLeast: 0.5 }',
      /gate\[0\]\.sli: unknown SLI "speed"/,
    ],
    ['a missing bound', '  - { kind: mttr }', /gate\[0\]\.atMost: is required/],
    [
      'a mitigating play no runbook of the type names',
      '  - { kind: mitigated, type: stale-index, play: rolback }',
      /gate\[0\]\.play: no runbook of stale-index names play "rolback" \(plays: reindex\)/,
    ],
    [
      'two checks of one name',
      '  - { kind: live, release: v2 }\n  - { kind: live, release: v4 }',
      /gate\[1\]\.name: duplicate check "live"/,
    ],
  ])('%s', (_what, checks, message) => {
    expect(refused(checks)).toMatch(message);
  });

  it('refuses a fix check for a type without a fix', () => {
    const text = [
      'extends: stock-shift.yaml',
      'name: no-fix',
      'incidentTypes: [{ name: q, match: { service: agent }, sli: quality, runbook: [{ play: rollback }] }]',
      'gate: [{ kind: fix, type: q, outcome: shipped }]',
    ].join('\n');
    expect(() => parseScenario(text, 'scenarios/x.yaml')).toThrow(/incident type "q" has no fix/);
  });

  it('needs expect: or gate:', () => {
    const stock = readFileSync('scenarios/stock-shift.yaml', 'utf8');
    const text = stock.slice(0, stock.indexOf('\nexpect:'));
    expect(() => parseScenario(text, 'scenarios/x.yaml')).toThrow(
      expect.objectContaining({ field: 'expect', message: 'is required (or a gate: of checks)' }),
    );
  });
});
