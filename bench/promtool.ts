import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stringify } from 'yaml';
import { type BacktestRow, DEFAULT_POLICY, pairName, type SeriesStep } from '../src/toolkit/slo.js';
import type { RuleGroup, SlothSpec } from '../src/toolkit/sloth.js';

/**
 * Debian's promtool against the toolkit: per-minute counts written as Prometheus counters, the rules
 * `runbook rules` generates for them, and the alerts the toolkit's backtest says must be firing at
 * each minute, as a `promtool test rules` file. Shared by test/rules.test.ts and the promtool bench row.
 */

export const PROMTOOL = '/usr/bin/promtool';
export const havePromtool = () => existsSync(PROMTOOL);

/** One traffic series under test: its name becomes an SLO of the spec and a `series` label. */
export interface SeriesCase {
  name: string;
  steps: readonly SeriesStep[];
}

/** The objective every case is held to, in percent as a Sloth spec writes it. */
export const CASE_OBJECTIVE_PERCENT = 99;

const alertName = (name: string) => `Burn_${name.replace(/\W/g, '_')}`;

/** One SLO per case, over counters named for it: `requests_total{series="fast"}`, `errors_total{...}`. */
export function casesSpec(cases: readonly SeriesCase[]): SlothSpec {
  const none = { disable: false, labels: {}, annotations: {} };
  return {
    version: 'prometheus/v1',
    service: 'backtest',
    labels: { team: 'sre' },
    slos: cases.map(({ name }) => ({
      name,
      objective: CASE_OBJECTIVE_PERCENT,
      labels: {},
      sli: {
        events: {
          error_query: `sum(rate(errors_total{series="${name}"}[{{.window}}]))`,
          total_query: `sum(rate(requests_total{series="${name}"}[{{.window}}]))`,
        },
      },
      alerting: {
        name: alertName(name),
        labels: { routing: 'oncall' },
        annotations: {},
        page_alert: { ...none, labels: { severity: 'critical' } },
        ticket_alert: { ...none, labels: { severity: 'warning' } },
      },
    })),
  };
}

/**
 * The counters' samples, one a minute from minute 0 through `last`: the sample at minute m totals
 * the minutes before m, so a rate over [m - w, m] counts exactly the toolkit's window at m.
 */
export function counterValues(
  steps: readonly SeriesStep[],
  last: number,
): { requests: number[]; errors: number[] } {
  const requests = [0];
  const errors = [0];
  let current = { requests: 0, errors: 0 };
  let next = 0;
  for (let minute = 0; minute < last; minute++) {
    for (let step = steps[next]; step && step.minute <= minute; step = steps[++next]) current = step;
    requests.push((requests[minute] ?? 0) + current.requests);
    errors.push((errors[minute] ?? 0) + current.errors);
  }
  return { requests, errors };
}

/** The labels and annotations an alert of `severity` carries for case `name`, templates expanded. */
function expectedAlert(spec: SlothSpec, rules: RuleGroup[], name: string, severity: 'page' | 'ticket') {
  const rule = rules
    .flatMap((g) => g.rules)
    .find((r) => 'alert' in r && r.alert === alertName(name) && r.labels.sloth_severity === severity);
  if (!rule || !('alert' in rule)) throw new Error(`no ${severity} alert for ${name}`);
  const labels = {
    ...spec.labels,
    sloth_id: `${spec.service}-${name}`,
    sloth_service: spec.service,
    sloth_slo: name,
    ...rule.labels,
  };
  const expand = (text: string) =>
    text.replace(
      /\{\{\$labels\.(\w+)\}\}/g,
      (_, label: string) => labels[label as keyof typeof labels] ?? '',
    );
  const annotations = Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, expand(v)]));
  return { exp_labels: labels, exp_annotations: annotations };
}

export interface PromtoolTestOptions {
  rulesFile: string;
  /** Each case's backtest rows, one per minute from 0 (what `runbook burn` reports). */
  rows: ReadonlyMap<string, readonly BacktestRow[]>;
  /** The minutes at which promtool checks the alerts; every minute by default. */
  minutes?: readonly number[];
  /** Seconds per simulated minute: 60, or 1 for rules made with `--time-scale 60`. */
  secondsPerMinute?: number;
}

/** A `promtool test rules` file: the cases' counters, and at each minute the alerts that must be firing. */
export function promtoolTest(
  spec: SlothSpec,
  rules: RuleGroup[],
  cases: readonly SeriesCase[],
  options: PromtoolTestOptions,
): string {
  const step = options.secondsPerMinute ?? 60;
  const last = Math.max(...[...options.rows.values()].map((rows) => rows.length - 1));
  const input_series = cases.flatMap(({ name, steps }) => {
    const { requests, errors } = counterValues(steps, last);
    return [
      { series: `requests_total{series="${name}"}`, values: requests.join(' ') },
      { series: `errors_total{series="${name}"}`, values: errors.join(' ') },
    ];
  });
  const minutes = options.minutes ?? Array.from({ length: last + 1 }, (_, m) => m);
  const alert_rule_test = cases.flatMap(({ name }) => {
    const rows = options.rows.get(name) ?? [];
    const page = expectedAlert(spec, rules, name, 'page');
    const ticket = expectedAlert(spec, rules, name, 'ticket');
    return minutes.map((minute) => {
      const fired = rows[minute]?.firing ?? [];
      const firing = new Set(
        DEFAULT_POLICY.filter((pair) => fired.includes(pairName(pair))).map((p) => p.severity),
      );
      const exp_alerts = [...(firing.has('page') ? [page] : []), ...(firing.has('ticket') ? [ticket] : [])];
      return { eval_time: `${minute * step}s`, alertname: alertName(name), exp_alerts };
    });
  });
  const test = { interval: `${step}s`, input_series, alert_rule_test };
  // Recordings before the alerts that read them: left unordered, promtool evaluates the groups in
  // Go's map order, and an alert sometimes read the previous minute's ratios.
  const group_eval_order = rules.map((group) => group.name);
  return stringify(
    { rule_files: [options.rulesFile], evaluation_interval: `${step}s`, group_eval_order, tests: [test] },
    { lineWidth: 0 },
  );
}

export interface PromtoolRun {
  code: number | null;
  output: string;
  ms: number;
}

/** Runs promtool with `args`; its output is kept whole (a failing `test rules` lists every mismatch). */
export function runPromtool(args: string[]): PromtoolRun {
  const start = performance.now();
  const run = spawnSync(PROMTOOL, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  return { code: run.status, output: `${run.stdout}${run.stderr}`, ms: performance.now() - start };
}
