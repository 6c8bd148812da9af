import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BacktestRow, backtest } from '../../src/toolkit/slo.js';
import { type RuleGroup, rulesYaml, slothRules } from '../../src/toolkit/sloth.js';
import { fmtMs, fmtRatio } from '../measure.js';
import { CASE_OBJECTIVE_PERCENT, casesSpec, havePromtool, promtoolTest, runPromtool } from '../promtool.js';
import type { Row } from '../table.js';
import { backtestSeries, monthOfMinutes } from './backtest.js';

const DAYS = Number(process.env.PROMTOOL_BENCH_DAYS ?? 30);
const MINUTES = DAYS * 1440;
const TARGET_RATIO = 1000;

/**
 * The rules without the period (30d) ones: those feed budget dashboards, not the alerts, and past
 * about a week of one-minute samples promtool's test harness refuses their `[30d]` ranges ("query
 * processing would load too many samples into memory"), which is its limit, not a disagreement.
 */
function alertingRules(rules: { groups: RuleGroup[] }): { groups: RuleGroup[] } {
  const period = /ratio_rate30d|^slo:period_/;
  return {
    ...rules,
    groups: rules.groups.map((group) => ({
      ...group,
      rules: group.rules.filter((rule) => !('record' in rule && period.test(rule.record))),
    })),
  };
}

/** The minutes around every change of what fires: promtool checks these, not all 43,200. */
function transitions(rows: readonly BacktestRow[]): number[] {
  const key = (row: BacktestRow | undefined) => row?.firing.join(',') ?? '';
  const minutes = new Set<number>([0, rows.length - 1]);
  rows.forEach((row, i) => {
    if (i > 0 && key(row) !== key(rows[i - 1])) for (const m of [i - 1, i, i + 1]) minutes.add(m);
  });
  return [...minutes].filter((m) => m < rows.length).sort((a, b) => a - b);
}

/**
 * The backtest row's 30 days of per-minute counts, judged twice: by the toolkit's backtest (median of
 * RUNS) and by Debian's `promtool test rules` on the rules `runbook rules` writes for them (once), which
 * must fire the same alerts at every minute where what fires changes. The ratio is how many times
 * longer promtool takes.
 */
export function promtool(): Row {
  if (!havePromtool()) {
    const how = '/usr/bin/promtool is missing (apt-get install prometheus)';
    return {
      row: 'promtool',
      figure: '-',
      target: `ratio >= ${TARGET_RATIO}x`,
      baseline: '',
      ratio: '',
      pass: false,
      how,
    };
  }
  const steps = monthOfMinutes().slice(0, MINUTES);
  const cases = [{ name: 'month', steps }];
  const objective = CASE_OBJECTIVE_PERCENT / 100;
  const options = { objective, from: 0, to: MINUTES - 1 };
  // The baseline is the backtest row's own: the columnar backtest `runbook burn` runs. The rows as
  // objects give promtool its expectations.
  const { ms: backtestMs } = backtestSeries(steps, options);
  const rows = backtest(steps, options);
  const dir = mkdtempSync(join(tmpdir(), 'runbook-bench-promtool-'));
  try {
    const spec = casesSpec(cases);
    const rules = alertingRules(slothRules(spec));
    const rulesFile = join(dir, 'rules.yaml');
    writeFileSync(rulesFile, rulesYaml(rules, 'bench'));
    const minutes = transitions(rows);
    const tests = join(dir, 'tests.yaml');
    writeFileSync(
      tests,
      promtoolTest(spec, rules.groups, cases, { rulesFile, rows: new Map([['month', rows]]), minutes }),
    );
    const run = runPromtool(['test', 'rules', tests]);
    const agrees = run.code === 0 && run.output.includes('SUCCESS');
    const ratio = run.ms / backtestMs;
    const first = agrees
      ? ''
      : ` FIRST MISMATCH: ${/alertname: \S+, time: \S+/.exec(run.output)?.[0] ?? run.output.slice(0, 300)}`;
    return {
      row: 'promtool',
      figure: `${(run.ms / 1000).toFixed(1)} s${agrees ? '' : ' (DISAGREES)'}`,
      target: `ratio >= ${TARGET_RATIO}x, same alerts`,
      baseline: `backtest ${fmtMs(backtestMs)}`,
      ratio: fmtRatio(ratio),
      pass: agrees && ratio >= TARGET_RATIO,
      how: `promtool test rules (Debian's, once) on the backtest row's ${DAYS} days of per-minute counts with the rules of runbook rules (${rules.groups.reduce((n, g) => n + g.rules.length, 0)} rules, evaluated every minute; the 30d period rules left out, see alertingRules), alerts checked at the ${minutes.length} minutes around each change of what fires; baseline: the backtest row's backtestColumns() on the same counts${first}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
