import { dirname, resolve } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { InputError } from './errors.js';
import { readUserFile } from './files.js';
import { zodToInput } from './schema-errors.js';
import { isSliKind, SLI_KINDS, type SliKind } from './sli.js';
import {
  type BurnPair,
  DEFAULT_POLICY,
  errorBudget,
  pairName,
  SLO_PERIOD_MINUTES,
  WINDOWS,
  type WindowName,
} from './slo.js';
import { parseYamlMapping } from './yaml.js';

/**
 * SLOs as code: Sloth's `prometheus/v1` spec in, Prometheus rule groups out, with Sloth's recording
 * rule names, labels and group names, and its page and ticket multi-window multi-burn-rate alerts.
 * The alerts are built from the same policy (pairs, windows, thresholds) the incident machine's
 * guards evaluate, so a rule file and a drill cannot disagree about when an SLO pages.
 */

/** Sloth's names: start and end alphanumeric; letters, digits, `.`, `_`, `-` in between. */
const slothName = z
  .string()
  .regex(
    /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
    'must be a name that starts and ends with a letter or digit (letters, digits, . _ - between)',
  );
/** Prometheus label and annotation names. */
const labelName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const labels = z.record(z.string(), z.string()).superRefine((record, ctx) => {
  for (const key of Object.keys(record)) {
    if (!labelName.test(key))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        input: key,
        message: 'must be a Prometheus label name ([A-Za-z_][A-Za-z0-9_]*)',
      });
  }
});
/** Sloth renders `{{.window}}` (spaces allowed) in every SLI query, once per window. */
const WINDOW_VARIABLE = /\{\{ *\.window *\}\}/g;
const query = z
  .string()
  .min(1)
  .refine((text) => new RegExp(WINDOW_VARIABLE.source).test(text), 'must contain the {{.window}} variable');

const alert = z.strictObject({
  disable: z.boolean().default(false),
  labels: labels.default({}),
  annotations: labels.default({}),
});

const slo = z.strictObject({
  name: slothName,
  description: z.string().optional(),
  /** Percent, as Sloth takes it: 99.9. 100 leaves no error budget to burn, so it is refused. */
  objective: z.number().gt(0, 'must be a percentage in (0, 100)').lt(100, 'must be a percentage in (0, 100)'),
  labels: labels.default({}),
  sli: z.union(
    [
      z.strictObject({ events: z.strictObject({ error_query: query, total_query: query }) }),
      z.strictObject({ raw: z.strictObject({ error_ratio_query: query }) }),
    ],
    { error: 'must hold exactly one of events (error_query, total_query) or raw (error_ratio_query)' },
  ),
  alerting: z.strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z_:][A-Za-z0-9_:]*$/, 'must be a Prometheus alert name')
      .optional(),
    labels: labels.default({}),
    annotations: labels.default({}),
    page_alert: alert.default({ disable: false, labels: {}, annotations: {} }),
    ticket_alert: alert.default({ disable: false, labels: {}, annotations: {} }),
  }),
});

const specSchema = z.strictObject({
  version: z.literal('prometheus/v1', { error: 'must be "prometheus/v1" (the Sloth spec this reads)' }),
  service: slothName,
  labels: labels.default({}),
  slos: z.array(slo).min(1, 'must list at least one SLO').max(100, 'must list at most 100 SLOs'),
});

export type SlothSpec = z.infer<typeof specSchema>;
export type SlothSlo = SlothSpec['slos'][number];
type Severity = BurnPair['severity'];

/** What zod's shapes cannot say: unique SLO names, an alert name wherever an alert is on. */
function checkSpec(spec: SlothSpec, file: string): void {
  const seen = new Set<string>();
  spec.slos.forEach((s, i) => {
    if (seen.has(s.name))
      throw new InputError(`duplicate SLO ${JSON.stringify(s.name)}`, file, `slos[${i}].name`);
    seen.add(s.name);
    const { alerting } = s;
    const on = !alerting.page_alert.disable || !alerting.ticket_alert.disable;
    if (on && alerting.name === undefined) {
      throw new InputError(
        'is required while page_alert or ticket_alert is enabled',
        file,
        `slos[${i}].alerting.name`,
      );
    }
    if ('events' in s.sli && s.sli.events.error_query === s.sli.events.total_query) {
      throw new InputError('must differ from total_query', file, `slos[${i}].sli.events.error_query`);
    }
  });
}

export function parseSlothSpec(text: string, file: string): SlothSpec {
  const raw = parseYamlMapping(text, file, 'a Sloth prometheus/v1 spec (version:, service:, slos:)');
  const parsed = specSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw zodToInput(parsed.error, file, 'SLO spec');
  checkSpec(parsed.data, file);
  return parsed.data;
}

export function loadSlothSpec(file: string): SlothSpec {
  return parseSlothSpec(readUserFile(file), file);
}

/**
 * A percentage as the ratio it stands for, `99.9` -> `0.999`. Dividing by 100 gives
 * 0.9990000000000001 (what Sloth writes), whose decimal the toolkit's exact burns would then carry.
 */
export function objectiveRatio(percent: number): number {
  return Number((percent / 100).toPrecision(15));
}

/** Every window divided by `timeScale` for game days: `--time-scale 60` turns 1h into 1m. */
export interface RulesOptions {
  policy?: readonly BurnPair[];
  timeScale?: number;
  /** The SLO period the policy's thresholds are set for. */
  periodMinutes?: number;
}

export interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}
export interface AlertingRule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
export interface RuleGroup {
  name: string;
  interval?: string;
  rules: (RecordingRule | AlertingRule)[];
}

const UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** Milliseconds as Prometheus writes a duration: `3d`, `1h12m`, `500ms`. */
export function promDuration(ms: number): string {
  let rest = ms;
  let out = '';
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * size;
  }
  return out || '0s';
}

/** A span of minutes, scaled: whole milliseconds, or the scale is refused. */
function scaled(minutes: number, timeScale: number, what: string): string {
  const ms = (minutes * 60_000) / timeScale;
  if (!Number.isInteger(ms) || ms < 1) {
    throw new InputError(
      `${what} / ${timeScale} is not a whole number of milliseconds`,
      undefined,
      '--time-scale',
    );
  }
  return promDuration(ms);
}

const sortedKeys = (record: Record<string, string>) =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The labels that pick one SLO's series: Sloth's id, service and SLO name. */
function idLabels(spec: SlothSpec, s: SlothSlo): Record<string, string> {
  return { sloth_id: `${spec.service}-${s.name}`, sloth_service: spec.service, sloth_slo: s.name };
}

function filterOf(ids: Record<string, string>): string {
  return `{${Object.entries(ids)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')}}`;
}

/** The error ratio over one window, from the SLI's queries with the window filled in. */
function sliExpr(s: SlothSlo, range: string): string {
  const fill = (text: string) => text.replace(WINDOW_VARIABLE, range).trim();
  if ('events' in s.sli)
    return `(${fill(s.sli.events.error_query)})\n/\n(${fill(s.sli.events.total_query)})\n`;
  return `(${fill(s.sli.raw.error_ratio_query)})\n`;
}

/** The windows the policy reads, and 5m, which the current burn rate reads: in the toolkit's order. */
function windowsOf(policy: readonly BurnPair[]): WindowName[] {
  const used = new Set<WindowName>(['5m', ...policy.flatMap((pair) => [pair.long, pair.short])]);
  return (Object.keys(WINDOWS) as WindowName[]).filter((name) => used.has(name));
}

const metric = (window: string) => `slo:sli_error:ratio_rate${window}`;

function sliGroup(spec: SlothSpec, s: SlothSlo, options: Required<RulesOptions>): RuleGroup {
  const base = { ...spec.labels, ...s.labels, ...idLabels(spec, s) };
  const { timeScale, periodMinutes } = options;
  const rules: RecordingRule[] = windowsOf(options.policy).map((window) => ({
    record: metric(window),
    expr: sliExpr(s, scaled(WINDOWS[window], timeScale, `window ${window}`)),
    labels: sortedKeys({ ...base, sloth_window: window }),
  }));
  const period = promDuration(periodMinutes * 60_000);
  const five = `${metric('5m')}${filterOf(idLabels(spec, s))}`;
  const range = scaled(periodMinutes, timeScale, `period ${period}`);
  rules.push({
    record: metric(period),
    expr: `sum_over_time(${five}[${range}])\n/ ignoring (sloth_window)\ncount_over_time(${five}[${range}])\n`,
    labels: sortedKeys({ ...base, sloth_window: period }),
  });
  return { name: `sloth-slo-sli-recordings-${spec.service}-${s.name}`, rules };
}

function metaGroup(spec: SlothSpec, s: SlothSlo, options: Required<RulesOptions>): RuleGroup {
  const ids = idLabels(spec, s);
  const labels = sortedKeys({ ...spec.labels, ...s.labels, ...ids });
  const filter = filterOf(ids);
  const objective = objectiveRatio(s.objective);
  const period = promDuration(options.periodMinutes * 60_000);
  const perBudget = (ratio: string) =>
    `${ratio}${filter}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${filter}\n`;
  const info: Record<string, string> = {
    ...labels,
    sloth_mode: 'runbook-rules',
    sloth_objective: String(s.objective),
    sloth_spec: 'prometheus/v1',
  };
  if (options.timeScale !== 1) info.sloth_time_scale = String(options.timeScale);
  const rules: RecordingRule[] = [
    { record: 'slo:objective:ratio', expr: `vector(${objective})`, labels },
    // The budget as the decimal it is (0.001), not 1 - 0.999 in floats: see errorBudget.
    { record: 'slo:error_budget:ratio', expr: `vector(${errorBudget(objective)})`, labels },
    { record: 'slo:time_period:days', expr: `vector(${options.periodMinutes / 1440})`, labels },
    { record: 'slo:current_burn_rate:ratio', expr: perBudget(metric('5m')), labels },
    { record: 'slo:period_burn_rate:ratio', expr: perBudget(metric(period)), labels },
    {
      record: 'slo:period_error_budget_remaining:ratio',
      expr: `1 - slo:period_burn_rate:ratio${filter}`,
      labels,
    },
    { record: 'sloth_slo_info', expr: 'vector(1)', labels: sortedKeys(info) },
  ];
  return { name: `sloth-slo-meta-recordings-${spec.service}-${s.name}`, rules };
}

/**
 * One severity's alert: its pairs OR-ed, each firing only when both windows burn faster than its
 * threshold, written as Sloth writes them (`error ratio > threshold * budget`, short window first).
 */
function alertRule(
  spec: SlothSpec,
  s: SlothSlo,
  severity: Severity,
  pairs: readonly BurnPair[],
): AlertingRule {
  const filter = filterOf(idLabels(spec, s));
  const budget = errorBudget(objectiveRatio(s.objective));
  const over = (window: WindowName, threshold: number) =>
    `    max(${metric(window)}${filter} > (${threshold} * ${budget})) without (sloth_window)`;
  const expr = pairs
    .map((pair) => `(\n${over(pair.short, pair.threshold)}\n    and\n${over(pair.long, pair.threshold)}\n)`)
    .join('\nor\n');
  const own = severity === 'page' ? s.alerting.page_alert : s.alerting.ticket_alert;
  return {
    alert: s.alerting.name ?? '',
    expr: `${expr}\n`,
    labels: sortedKeys({ sloth_severity: severity, ...s.alerting.labels, ...own.labels }),
    annotations: sortedKeys({
      title: `(${severity}) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.`,
      summary: '{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.',
      ...s.alerting.annotations,
      ...own.annotations,
    }),
  };
}

function alertGroup(spec: SlothSpec, s: SlothSlo, policy: readonly BurnPair[]): RuleGroup {
  const rules: AlertingRule[] = [];
  for (const severity of ['page', 'ticket'] as const) {
    const own = severity === 'page' ? s.alerting.page_alert : s.alerting.ticket_alert;
    const pairs = policy.filter((pair) => pair.severity === severity);
    if (!own.disable && pairs.length > 0) rules.push(alertRule(spec, s, severity, pairs));
  }
  return { name: `sloth-slo-alerts-${spec.service}-${s.name}`, rules };
}

/**
 * The rule groups for every SLO of a spec: SLI recordings, metadata, alerts (Sloth's three groups).
 * A scaled file also evaluates scaled: once a second at 60x, where Prometheus' default is a minute.
 */
export function slothRules(spec: SlothSpec, options: RulesOptions = {}): { groups: RuleGroup[] } {
  const all: Required<RulesOptions> = {
    policy: options.policy ?? DEFAULT_POLICY,
    timeScale: options.timeScale ?? 1,
    periodMinutes: options.periodMinutes ?? SLO_PERIOD_MINUTES,
  };
  const groups = spec.slos.flatMap((s) => [
    sliGroup(spec, s, all),
    metaGroup(spec, s, all),
    alertGroup(spec, s, all.policy),
  ]);
  const interval = all.timeScale === 1 ? undefined : scaled(1, all.timeScale, 'the evaluation interval 1m');
  return {
    groups: groups
      .filter((g) => g.rules.length > 0)
      .map((g) => (interval ? { name: g.name, interval, rules: g.rules } : g)),
  };
}

/** An SLO's alerting as the engine's policy: the pairs of the severities it leaves enabled. */
export function specPolicy(s: SlothSlo, policy: readonly BurnPair[] = DEFAULT_POLICY): BurnPair[] {
  const off = (severity: Severity) =>
    severity === 'page' ? s.alerting.page_alert.disable : s.alerting.ticket_alert.disable;
  return policy.filter((pair) => !off(pair.severity)).map((pair) => ({ ...pair }));
}

/** The rule file as Prometheus loads it, with a header that says where it came from. */
export function rulesYaml(rules: { groups: RuleGroup[] }, source: string): string {
  const header = `# Generated by runbook rules from ${source} (Sloth prometheus/v1 spec). DO NOT EDIT.\n`;
  return `${header}${stringify(rules, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** The first form's SLIs: a spec whose SLOs are all named for them, with no kind, reads as it always did. */
const ANSWER_SLIS = ['quality', 'freshness'] as const;

/**
 * An SLO's kind: its `category` label (Sloth's examples label SLOs `category: availability`), or its
 * name when that is a kind's own name. A latency SLO's threshold is its `threshold_ms` label.
 */
function kindOf(s: SlothSlo, specFile: string, i: number): { kind: SliKind; thresholdMs?: number } {
  const category = s.labels.category;
  const kind = category !== undefined && isSliKind(category) ? category : isSliKind(s.name) ? s.name : null;
  if (kind === null)
    throw new InputError(
      `must say the SLI's kind (${SLI_KINDS.join(', ')}) for SLO ${JSON.stringify(s.name)}${category === undefined ? '' : ` (got ${JSON.stringify(category)})`}`,
      specFile,
      `slos[${i}].labels.category`,
    );
  if (kind !== 'latency') return { kind };
  const threshold = Number(s.labels.threshold_ms);
  if (!(threshold > 0))
    throw new InputError(
      'must be the latency threshold in milliseconds (a request is good when faster)',
      specFile,
      `slos[${i}].labels.threshold_ms`,
    );
  return { kind, thresholdMs: threshold };
}

/**
 * A scenario's or a live configuration's `sloSpec: FILE` (relative to the file that names it), turned
 * into the `slos` and `alerting.policy` it stands for: each SLO, under its own name, is an SLI of the
 * kind its `category` label (or its name) says, with its objective and its alert's name; a spec of
 * SLOs named quality and freshness alone, with no category, is the first form of `slos` (see
 * service-spec.ts). The page and ticket alerts the spec leaves enabled are the policy's pairs. The rest of `raw` is kept; stating `slos` or `alerting.policy` beside
 * `sloSpec` is refused, as two sources for one number.
 */
export function withSloSpec(raw: Record<string, unknown>, file: string): Record<string, unknown> {
  const { sloSpec, ...rest } = raw;
  if (sloSpec === undefined) return raw;
  if (typeof sloSpec !== 'string' || sloSpec.trim() === '')
    throw new InputError('must be the path of a Sloth prometheus/v1 spec', file, 'sloSpec');
  const alerting = (rest.alerting ?? {}) as Record<string, unknown>;
  for (const [field, present] of [
    ['slos', rest.slos !== undefined],
    ['alerting.policy', typeof alerting === 'object' && alerting !== null && 'policy' in alerting],
  ] as const) {
    if (present) throw new InputError(`comes from sloSpec (${sloSpec}); state one or the other`, file, field);
  }
  const specFile = resolve(dirname(file), sloSpec);
  const spec = loadSlothSpec(specFile);
  const slos: Record<string, Record<string, unknown>> = {};
  let policy: BurnPair[] | undefined;
  // Named quality and freshness with no category: the first form of `slos`, as before SLIs were data.
  const firstForm = spec.slos.every(
    (s) => (ANSWER_SLIS as readonly string[]).includes(s.name) && s.labels.category === undefined,
  );
  spec.slos.forEach((s, i) => {
    slos[s.name] = firstForm
      ? { objective: objectiveRatio(s.objective) }
      : {
          ...kindOf(s, specFile, i),
          objective: objectiveRatio(s.objective),
          ...(s.alerting.name !== undefined ? { alerting: { name: s.alerting.name } } : {}),
        };
    const own = specPolicy(s);
    if (policy && pairsKey(policy) !== pairsKey(own))
      throw new InputError(
        'disables other alerts than the SLO before it: the engine runs one policy',
        specFile,
        `slos[${i}].alerting`,
      );
    policy = own;
  });
  if (policy?.length === 0)
    throw new InputError(
      'disables both alerts: the engine needs a policy to page or ticket on',
      specFile,
      'slos[0].alerting',
    );
  return { ...rest, slos, alerting: { ...alerting, policy }, ...prometheusQueries(rest.prometheus, spec) };
}

/**
 * Live, a configuration's `prometheus` without `queries` reads each SLI's last minute with the spec's
 * own events queries over a 1m window (rate x 60: that minute's counts). Raw SLIs have no counts.
 */
function prometheusQueries(prometheus: unknown, spec: SlothSpec): { prometheus?: unknown } {
  if (prometheus === null || typeof prometheus !== 'object' || 'queries' in prometheus) return {};
  const minute = (query: string) => `(${query.replace(WINDOW_VARIABLE, '1m').trim()}) * 60`;
  const queries = Object.fromEntries(
    spec.slos.flatMap((s) =>
      'events' in s.sli
        ? [[s.name, { errors: minute(s.sli.events.error_query), total: minute(s.sli.events.total_query) }]]
        : [],
    ),
  );
  return { prometheus: { ...prometheus, queries } };
}

const pairsKey = (pairs: readonly BurnPair[]) => pairs.map(pairName).join();
