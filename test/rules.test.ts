import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CASE_OBJECTIVE_PERCENT,
  casesSpec,
  havePromtool,
  PROMTOOL,
  promtoolTest,
  runPromtool,
  type SeriesCase,
} from '../bench/promtool.js';
import { createRng } from '../src/toolkit/rng.js';
import { backtest, DEFAULT_POLICY, type SeriesStep } from '../src/toolkit/slo.js';
import { loadSlothSpec, objectiveRatio, rulesYaml, slothRules } from '../src/toolkit/sloth.js';

/**
 * The rules `runbook rules` writes, checked by Debian's promtool (package `prometheus`, which
 * `.ci/run` installs): `promtool check rules` accepts every file, and `promtool test rules` fires the
 * page and ticket alerts at exactly the minutes the toolkit's backtest (`runbook burn`) fires them,
 * at every minute of five series, at 1x and at --time-scale 60.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Twelve hours: the 1d and 3d windows still see the whole history, as Prometheus' rate() does early on. */
const LAST = 720;
const steady = (minute: number, errors = 0): SeriesStep => ({ minute, requests: 1000, errors });

/** Off-round error counts (197, not 200), so no burn lands on a threshold exactly (see below). */
const cases: SeriesCase[] = [
  { name: 'fast-burn', steps: [steady(0), steady(180, 197), steady(300)] },
  { name: 'slow-burn', steps: [steady(0), steady(120, 17), steady(560)] },
  { name: 'spike', steps: [steady(0, 1), steady(300, 1000), steady(311, 1)] },
  {
    name: 'variable-traffic',
    steps: (() => {
      const rng = createRng(13);
      return Array.from({ length: LAST }, (_, minute) => {
        const requests = 50 + rng.int(3000);
        const ratio = minute >= 200 && minute < 320 ? 0.09 : minute >= 450 && minute < 600 ? 0.045 : 0.004;
        return { minute, requests, errors: Math.round(requests * ratio * 2 * rng.next()) };
      });
    })(),
  },
  {
    name: 'flapping',
    steps: Array.from({ length: 16 }, (_, i) => steady(200 + i * 20, i % 2 === 0 ? 251 : 3)),
  },
];

const objective = objectiveRatio(CASE_OBJECTIVE_PERCENT);
const rows = new Map(cases.map((c) => [c.name, backtest(c.steps, { objective, from: 0, to: LAST })]));
const spec = casesSpec(cases);

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Promtool's verdict on one rules file and the expectations the backtest gives for it. */
function promtoolAgrees(timeScale: number): void {
  const rules = slothRules(spec, { timeScale });
  const rulesFile = write(`rules-${timeScale}.yaml`, rulesYaml(rules, 'cases'));
  const check = runPromtool(['check', 'rules', rulesFile]);
  expect(check.output).toContain('SUCCESS');
  expect(check.code).toBe(0);
  const tests = promtoolTest(spec, rules.groups, cases, {
    rulesFile,
    rows,
    secondsPerMinute: 60 / timeScale,
  });
  const run = runPromtool(['test', 'rules', write(`tests-${timeScale}.yaml`, tests)]);
  expect(run.output.slice(0, 4000)).toContain('SUCCESS');
  expect(run.code).toBe(0);
}

describe.skipIf(!havePromtool())('rules from runbook rules, under Debian promtool', () => {
  it('every series fires, and together they fire all four pairs: agreement is not agreement on silence', () => {
    for (const c of cases) {
      const fired = new Set(rows.get(c.name)?.flatMap((row) => row.firing.map((f) => f.split(':')[0])));
      expect(fired.size, c.name).toBeGreaterThan(0);
    }
    const all = new Set([...rows.values()].flatMap((r) => r.flatMap((row) => row.firing)));
    expect(all.size).toBe(DEFAULT_POLICY.length);
  });

  it('no burn lands within 1e-9 of a threshold, where float ratios in Prometheus could decide either way', () => {
    for (const [name, series] of rows) {
      for (const row of series) {
        for (const pair of DEFAULT_POLICY) {
          for (const burn of [row.burn[pair.long], row.burn[pair.short]]) {
            expect(Math.abs(burn - pair.threshold), `${name} minute ${row.minute}`).toBeGreaterThan(1e-9);
          }
        }
      }
    }
  });

  it('promtool check rules accepts the rules of the shipped example spec, at 1x and at 60x', () => {
    const example = loadSlothSpec('examples/slo/agent-slo.yaml');
    for (const timeScale of [1, 60]) {
      const file = write(
        `example-${timeScale}.yaml`,
        rulesYaml(slothRules(example, { timeScale }), 'example'),
      );
      const check = runPromtool(['check', 'rules', file]);
      expect(check.output).toMatch(/SUCCESS: \d+ rules found/);
      expect(check.code).toBe(0);
    }
  });

  // Timeouts only catch a hung promtool; the suite takes seconds on an idle machine.
  it('fires the page and ticket alerts at the same minutes as the backtest, every minute of five series', {
    timeout: 180_000,
  }, () => {
    promtoolAgrees(1);
  });

  it('fires them at the same scaled minutes with --time-scale 60 (a minute becomes a second)', {
    timeout: 180_000,
  }, () => {
    promtoolAgrees(60);
  });

  it('a rule file that disagrees with the backtest fails promtool (the check can fail)', {
    timeout: 180_000,
  }, () => {
    const fast = cases.slice(0, 1);
    const off = casesSpec(fast);
    const policy = DEFAULT_POLICY.map((pair) => ({ ...pair, threshold: pair.threshold * 1.2 }));
    const rules = slothRules(off, { policy });
    const rulesFile = write('rules-off.yaml', rulesYaml(rules, 'off'));
    // Up to the hour after the fast burn starts: the page is due in it.
    const minutes = Array.from({ length: 241 }, (_, m) => m);
    const tests = promtoolTest(off, rules.groups, fast, { rulesFile, rows, minutes });
    const run = runPromtool(['test', 'rules', write('tests-off.yaml', tests)]);
    expect(run.output).toContain('FAILED');
    expect(run.code).toBe(1);
  });
});

describe('promtool', () => {
  it('is installed (CI fails without it; a local run without it skips the rules tests, loudly)', () => {
    if (havePromtool()) return;
    const why = `${PROMTOOL} is missing: apt-get install prometheus (the rules tests were SKIPPED)`;
    if (process.env.CI) expect.fail(why);
    console.warn(`\n*** ${why} ***\n`);
  });
});
