import { parseAllDocuments } from 'yaml';
import { type Expr, ExprError, parseCondition } from './analysis-expr.js';
import { InputError } from './errors.js';
import type { Direction } from './judge.js';

/**
 * Argo Rollouts' canary strategy and analysis templates, as the engine runs them. `readArgo` reads a
 * user's own multi-document YAML (a `Rollout` and its `AnalysisTemplate`s); `readStrategy` reads the
 * same fields written inline in a scenario. Both give one `RolloutStrategy`, in engine minutes, and a
 * list of warnings: every field the engine does not act on (traffic routing, replica counts,
 * anti-affinity, ...) is named there rather than dropped without a word.
 *
 * Defaults are Argo's: failureLimit 0, inconclusiveLimit 0, consecutiveErrorLimit 4, a metric with no
 * interval measured once, progressDeadlineSeconds 600, progressDeadlineAbort false.
 */

export type Provider =
  | { kind: 'prometheus'; address: string; query: string }
  | { kind: 'web'; url: string; method: string; headers: Record<string, string>; jsonPath: string | null }
  /** A drill's simulated SLI: the error ratio on the canary's traffic, the stable's, or the whole service's. */
  | { kind: 'sli'; sli: string; of: 'canary' | 'stable' | 'service' }
  /** Today's eval-set judge (canary.ts) on the candidate against what is live. */
  | { kind: 'evalSet' }
  /** The statistical judge: per-minute error ratios of canary against stable, and the eval set paired. */
  | {
      kind: 'judge';
      slis: { sli: string; direction: Direction; critical: boolean; mustHaveData: boolean }[];
      evalSet: boolean;
      alpha: number;
      pass: number;
      marginal: number;
    }
  /** A provider the engine cannot run (job, kayenta, datadog, ...): every measurement is an Error. */
  | { kind: 'unsupported'; name: string };

export interface AnalysisMetric {
  name: string;
  /** Minutes between measurements; null: measured once. */
  interval: number | null;
  /** How many measurements; null with an interval: until the analysis is stopped (background analysis). */
  count: number | null;
  initialDelay: number;
  successCondition: string | null;
  failureCondition: string | null;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
  provider: Provider;
}

export interface AnalysisTemplate {
  name: string;
  args: Record<string, string | null>;
  metrics: AnalysisMetric[];
}

export interface AnalysisRef {
  templates: string[];
  args: Record<string, string>;
}

export type RolloutStep =
  | { setWeight: number }
  /** minutes null: until promoted. */
  | { pause: { minutes: number | null } }
  | { analysis: AnalysisRef };

/** What on-call does with a rollout that waits for a human (an inconclusive analysis, an open pause). */
export type OnCallChoice = 'promote' | 'abort' | 'wait';

export interface RolloutStrategy {
  /** Where it came from (an Argo file, or `rollout` in a scenario), for messages. */
  source: string;
  steps: RolloutStep[];
  /** Background analysis: runs from `startingStep` until the rollout ends. */
  background: (AnalysisRef & { startingStep: number }) | null;
  templates: AnalysisTemplate[];
  /** Minutes a step may go without progress (a setWeight hook unanswered) before the rollout is degraded. */
  progressDeadline: number;
  /** Whether passing the progress deadline aborts (Argo's progressDeadlineAbort), or only marks it. */
  progressDeadlineAbort: boolean;
  /** Minutes an inconclusive rollout waits for a human before it aborts on its own. */
  inconclusiveTimeout: number;
  /** Which candidates go through the rollout; null: every deploy. */
  releases: string[] | null;
  /** In a drill: what on-call does with a waiting rollout, and after how many minutes. */
  onCall: { inconclusive: OnCallChoice; pause: OnCallChoice; afterMinutes: number };
}

/** A strategy and what was not acted on in it. */
export interface ReadStrategy {
  strategy: RolloutStrategy;
  warnings: string[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

class Reader {
  readonly warnings: string[] = [];
  constructor(readonly file: string) {}

  fail(field: string, message: string): never {
    throw new InputError(message, this.file, field);
  }

  obj(v: unknown, field: string): Obj {
    if (!isObj(v)) this.fail(field, 'must be a mapping');
    return v;
  }

  list(v: unknown, field: string): unknown[] {
    if (!Array.isArray(v)) this.fail(field, 'must be a list');
    return v;
  }

  str(v: unknown, field: string): string {
    if (typeof v !== 'string' || v === '') this.fail(field, 'must be a non-empty string');
    return v;
  }

  int(v: unknown, field: string, min = 0): number {
    // Argo writes some integers as intstr ("20"): read both.
    const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min)
      this.fail(field, `must be an integer >= ${min}`);
    return n;
  }

  /** Argo durations ("30s", "5m", "1h30m", or seconds as a number) in whole engine minutes, rounded up. */
  minutes(v: unknown, field: string): number {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return Math.ceil(v / 60);
    if (typeof v === 'string') {
      if (/^\d+$/.test(v)) return Math.ceil(Number(v) / 60);
      const parts = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v);
      if (parts && v !== '') {
        const [, h = '0', m = '0', s = '0'] = parts;
        return Math.ceil((Number(h) * 3600 + Number(m) * 60 + Number(s)) / 60);
      }
    }
    return this.fail(field, 'must be a duration such as 30s, 5m or 1h (or seconds as a number)');
  }

  /** Warns of every key of `o` not in `known`. */
  rest(o: Obj, known: readonly string[], field: string): void {
    for (const key of Object.keys(o)) {
      if (!known.includes(key))
        this.warnings.push(`${this.file}: ${field ? `${field}.` : ''}${key} is not acted on`);
    }
  }

  condition(v: unknown, field: string): string | null {
    if (v === undefined || v === null) return null;
    const source = this.str(v, field);
    try {
      parseCondition(source);
    } catch (error) {
      if (error instanceof ExprError) this.fail(field, `cannot read the condition: ${error.message}`);
      throw error;
    }
    return source;
  }
}

const STEP_KINDS = ['setWeight', 'pause', 'analysis'];
const IGNORED_STEPS = ['setCanaryScale', 'experiment', 'setHeaderRoute', 'setMirrorRoute', 'plugin'];

function readSteps(r: Reader, raw: unknown, field: string): RolloutStep[] {
  return r.list(raw ?? [], field).flatMap((item, i): RolloutStep[] => {
    const at = `${field}[${i}]`;
    const step = r.obj(item, at);
    const keys = Object.keys(step);
    const kind = keys.find((k) => STEP_KINDS.includes(k));
    if (!kind) {
      const ignored = keys.find((k) => IGNORED_STEPS.includes(k));
      if (ignored) {
        r.warnings.push(`${r.file}: ${at}.${ignored} is not acted on (the step is skipped)`);
        return [];
      }
      return r.fail(at, `must be one of setWeight, pause, analysis (found ${keys.join(', ') || 'nothing'})`);
    }
    r.rest(step, [kind], at);
    if (kind === 'setWeight') {
      const weight = r.int(step.setWeight, `${at}.setWeight`);
      if (weight > 100) r.fail(`${at}.setWeight`, 'must be at most 100');
      return [{ setWeight: weight }];
    }
    if (kind === 'pause') {
      const pause = step.pause === null ? {} : r.obj(step.pause, `${at}.pause`);
      r.rest(pause, ['duration'], `${at}.pause`);
      const minutes = pause.duration === undefined ? null : r.minutes(pause.duration, `${at}.pause.duration`);
      return [{ pause: { minutes } }];
    }
    return [{ analysis: readRef(r, step.analysis, `${at}.analysis`) }];
  });
}

function readArgs(r: Reader, raw: unknown, field: string): Record<string, string> {
  const args: Record<string, string> = {};
  r.list(raw ?? [], field).forEach((item, i) => {
    const arg = r.obj(item, `${field}[${i}]`);
    r.rest(arg, ['name', 'value'], `${field}[${i}]`);
    if (arg.value === undefined) r.fail(`${field}[${i}].value`, 'must be set (valueFrom is not supported)');
    args[r.str(arg.name, `${field}[${i}].name`)] = String(arg.value);
  });
  return args;
}

function readRef(r: Reader, raw: unknown, field: string): AnalysisRef {
  const ref = r.obj(raw, field);
  r.rest(ref, ['templates', 'args', 'startingStep'], field);
  const templates = r.list(ref.templates, `${field}.templates`).map((item, i) => {
    const t = r.obj(item, `${field}.templates[${i}]`);
    r.rest(t, ['templateName'], `${field}.templates[${i}]`);
    return r.str(t.templateName, `${field}.templates[${i}].templateName`);
  });
  if (templates.length === 0) r.fail(`${field}.templates`, 'must name at least one template');
  return { templates, args: readArgs(r, ref.args, `${field}.args`) };
}

const DIRECTIONS = ['increase', 'decrease', 'either'];

/** The engine's own providers, written in an Argo file as plugins: `plugin: {runbook-machines/sli: {...}}`. */
const PLUGIN_PREFIX = 'runbook-machines/';

function readProvider(r: Reader, raw: unknown, field: string): Provider {
  let provider = r.obj(raw, field);
  let at = field;
  if (isObj(provider.plugin)) {
    const name = Object.keys(provider.plugin)[0] ?? '';
    if (name.startsWith(PLUGIN_PREFIX)) {
      provider = { [name.slice(PLUGIN_PREFIX.length)]: provider.plugin[name] };
      at = `${field}.plugin.${name}`;
    } else {
      r.warnings.push(`${r.file}: ${field}.plugin ${name} cannot be run here: its measurements are errors`);
      return { kind: 'unsupported', name: `plugin ${name}` };
    }
  }
  const keys = Object.keys(provider);
  if (keys.length !== 1) r.fail(field, 'must name exactly one provider');
  const kind = keys[0] as string;
  const spec = provider[kind] === null ? {} : r.obj(provider[kind], `${at}.${kind}`);
  const sub = `${at}.${kind}`;
  switch (kind) {
    case 'prometheus':
      r.rest(spec, ['address', 'query'], sub);
      return {
        kind,
        address: r.str(spec.address, `${sub}.address`),
        query: r.str(spec.query, `${sub}.query`),
      };
    case 'web': {
      r.rest(spec, ['url', 'method', 'headers', 'jsonPath'], sub);
      const headers: Record<string, string> = {};
      r.list(spec.headers ?? [], `${sub}.headers`).forEach((h, i) => {
        const header = r.obj(h, `${sub}.headers[${i}]`);
        headers[r.str(header.key, `${sub}.headers[${i}].key`)] = String(header.value ?? '');
      });
      return {
        kind,
        url: r.str(spec.url, `${sub}.url`),
        method: spec.method === undefined ? 'GET' : r.str(spec.method, `${sub}.method`),
        headers,
        jsonPath: spec.jsonPath === undefined ? null : r.str(spec.jsonPath, `${sub}.jsonPath`),
      };
    }
    case 'sli': {
      r.rest(spec, ['sli', 'of'], sub);
      const of = spec.of ?? 'canary';
      if (of !== 'canary' && of !== 'stable' && of !== 'service')
        r.fail(`${sub}.of`, 'must be canary, stable or service');
      return { kind, sli: r.str(spec.sli, `${sub}.sli`), of };
    }
    case 'evalSet':
      r.rest(spec, [], sub);
      return { kind };
    case 'judge': {
      r.rest(spec, ['slis', 'evalSet', 'alpha', 'pass', 'marginal'], sub);
      const slis = r.list(spec.slis ?? [], `${sub}.slis`).map((item, i) => {
        const s = r.obj(item, `${sub}.slis[${i}]`);
        r.rest(s, ['sli', 'direction', 'critical', 'mustHaveData'], `${sub}.slis[${i}]`);
        const direction = s.direction ?? 'increase';
        if (!DIRECTIONS.includes(direction as string)) {
          r.fail(`${sub}.slis[${i}].direction`, 'must be increase, decrease or either');
        }
        return {
          sli: r.str(s.sli, `${sub}.slis[${i}].sli`),
          direction: direction as Direction,
          critical: s.critical === true,
          mustHaveData: s.mustHaveData === true,
        };
      });
      const number = (v: unknown, name: string, fallback: number, max: number) => {
        if (v === undefined) return fallback;
        if (typeof v !== 'number' || v < 0 || v > max)
          r.fail(`${sub}.${name}`, `must be a number from 0 to ${max}`);
        return v;
      };
      const judge = {
        kind,
        slis,
        evalSet: spec.evalSet === true,
        alpha: number(spec.alpha, 'alpha', 0.05, 1),
        pass: number(spec.pass, 'pass', 95, 100),
        marginal: number(spec.marginal, 'marginal', 75, 100),
      } as const;
      if (judge.marginal > judge.pass) r.fail(`${sub}.marginal`, 'must be at most pass');
      if (slis.length === 0 && !judge.evalSet) r.fail(sub, 'must judge at least one SLI or the eval set');
      return judge;
    }
    default:
      r.warnings.push(`${r.file}: ${sub} cannot be run here: its measurements are errors`);
      return { kind: 'unsupported', name: kind };
  }
}

const METRIC_FIELDS = [
  'name',
  'interval',
  'count',
  'initialDelay',
  'successCondition',
  'failureCondition',
  'failureLimit',
  'inconclusiveLimit',
  'consecutiveErrorLimit',
  'provider',
];

function readMetric(r: Reader, raw: unknown, field: string): AnalysisMetric {
  const m = r.obj(raw, field);
  r.rest(m, METRIC_FIELDS, field);
  const limit = (v: unknown, name: string, fallback: number) =>
    v === undefined ? fallback : r.int(v, `${field}.${name}`, -1);
  const provider = readProvider(r, m.provider, `${field}.provider`);
  const successCondition = r.condition(m.successCondition, `${field}.successCondition`);
  const failureCondition = r.condition(m.failureCondition, `${field}.failureCondition`);
  if (!successCondition && !failureCondition && provider.kind !== 'evalSet' && provider.kind !== 'judge') {
    r.fail(field, 'needs a successCondition or a failureCondition');
  }
  return {
    name: r.str(m.name, `${field}.name`),
    interval: m.interval === undefined ? null : Math.max(1, r.minutes(m.interval, `${field}.interval`)),
    count: m.count === undefined ? null : r.int(m.count, `${field}.count`, 1),
    initialDelay: m.initialDelay === undefined ? 0 : r.minutes(m.initialDelay, `${field}.initialDelay`),
    successCondition,
    failureCondition,
    failureLimit: limit(m.failureLimit, 'failureLimit', 0),
    inconclusiveLimit: limit(m.inconclusiveLimit, 'inconclusiveLimit', 0),
    consecutiveErrorLimit: limit(m.consecutiveErrorLimit, 'consecutiveErrorLimit', 4),
    provider,
  };
}

function readTemplate(r: Reader, name: string, spec: Obj, field: string): AnalysisTemplate {
  r.rest(spec, ['args', 'metrics'], field);
  const args: Record<string, string | null> = {};
  r.list(spec.args ?? [], `${field}.args`).forEach((item, i) => {
    const arg = r.obj(item, `${field}.args[${i}]`);
    r.rest(arg, ['name', 'value'], `${field}.args[${i}]`);
    args[r.str(arg.name, `${field}.args[${i}].name`)] = arg.value === undefined ? null : String(arg.value);
  });
  const metrics = r
    .list(spec.metrics, `${field}.metrics`)
    .map((m, i) => readMetric(r, m, `${field}.metrics[${i}]`));
  if (metrics.length === 0) r.fail(`${field}.metrics`, 'must list at least one metric');
  return { name, args, metrics };
}

const CANARY_FIELDS = ['steps', 'analysis'];
const EXTRA_FIELDS = ['releases', 'inconclusiveTimeout', 'onCall'];

function readCanary(
  r: Reader,
  canary: Obj,
  field: string,
  spec: { progressDeadlineSeconds?: unknown; progressDeadlineAbort?: unknown },
  extra: Obj,
  templates: AnalysisTemplate[],
): RolloutStrategy {
  r.rest(canary, CANARY_FIELDS, field);
  const steps = readSteps(r, canary.steps, `${field}.steps`);
  let background: RolloutStrategy['background'] = null;
  if (canary.analysis !== undefined) {
    const ref = readRef(r, canary.analysis, `${field}.analysis`);
    const raw = (canary.analysis as Obj).startingStep;
    background = {
      ...ref,
      startingStep: raw === undefined ? 0 : r.int(raw, `${field}.analysis.startingStep`),
    };
  }
  const names = new Set(templates.map((t) => t.name));
  const refs = [
    ...steps.flatMap((s, i) =>
      'analysis' in s ? s.analysis.templates.map((t) => [t, `${field}.steps[${i}]`]) : [],
    ),
    ...(background ? background.templates.map((t) => [t, `${field}.analysis`]) : []),
  ];
  for (const [name, at] of refs) {
    if (!names.has(name as string))
      r.fail(at as string, `names the AnalysisTemplate ${name}, which is not given`);
  }
  const deadline = spec.progressDeadlineSeconds;
  const onCall = extra.onCall === undefined ? {} : r.obj(extra.onCall, 'onCall');
  r.rest(onCall, ['inconclusive', 'pause', 'afterMinutes'], 'onCall');
  const choice = (v: unknown, name: string): OnCallChoice => {
    if (v === undefined) return 'wait';
    if (v !== 'promote' && v !== 'abort' && v !== 'wait')
      r.fail(`onCall.${name}`, 'must be promote, abort or wait');
    return v;
  };
  return {
    source: r.file,
    steps,
    background,
    templates,
    progressDeadline:
      deadline === undefined ? 10 : Math.max(1, r.minutes(deadline, 'spec.progressDeadlineSeconds')),
    progressDeadlineAbort: spec.progressDeadlineAbort === true,
    inconclusiveTimeout:
      extra.inconclusiveTimeout === undefined
        ? 60
        : r.int(extra.inconclusiveTimeout, 'inconclusiveTimeout', 1),
    releases:
      extra.releases === undefined
        ? null
        : r.list(extra.releases, 'releases').map((v, i) => r.str(v, `releases[${i}]`)),
    onCall: {
      inconclusive: choice(onCall.inconclusive, 'inconclusive'),
      pause: choice(onCall.pause, 'pause'),
      afterMinutes: onCall.afterMinutes === undefined ? 5 : r.int(onCall.afterMinutes, 'onCall.afterMinutes'),
    },
  };
}

const ROLLOUT_SPEC_FIELDS = ['strategy', 'progressDeadlineSeconds', 'progressDeadlineAbort'];
const ROLLOUT_IGNORED = [
  'replicas',
  'selector',
  'template',
  'workloadRef',
  'revisionHistoryLimit',
  'minReadySeconds',
];

/**
 * Reads Argo Rollouts YAML: one `Rollout` with a canary strategy and the `AnalysisTemplate`s (or
 * `ClusterAnalysisTemplate`s) it names, in any order, as separate documents. `extra` holds what the
 * scenario adds around the file (which releases, what on-call does).
 */
export function readArgo(text: string, file: string, extra: Obj = {}): ReadStrategy {
  const r = new Reader(file);
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new InputError('holds no YAML document', file);
  const objects = docs.map((doc, i) => {
    const problem = doc.errors[0];
    if (problem)
      throw new InputError(`invalid YAML in document ${i + 1}: ${problem.message.split('\n')[0]}`, file);
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  });
  let rollout: Obj | null = null;
  const templates: AnalysisTemplate[] = [];
  objects.forEach((raw, i) => {
    if (raw === null) return;
    const doc = r.obj(raw, `document ${i + 1}`);
    const kind = doc.kind;
    const name = isObj(doc.metadata) && typeof doc.metadata.name === 'string' ? doc.metadata.name : null;
    if (kind === 'Rollout') {
      if (rollout) r.fail(`document ${i + 1}`, 'is a second Rollout: give one per file');
      rollout = doc;
    } else if (kind === 'AnalysisTemplate' || kind === 'ClusterAnalysisTemplate') {
      const named = name ?? r.fail(`document ${i + 1}.metadata.name`, 'must name the template');
      templates.push(
        readTemplate(r, named, r.obj(doc.spec, `${kind} ${named}.spec`), `${kind} ${named}.spec`),
      );
    } else {
      r.warnings.push(`${file}: document ${i + 1} (kind ${String(kind)}) is not acted on`);
    }
  });
  if (!rollout) throw new InputError('holds no Rollout document (kind: Rollout)', file);
  const spec = r.obj((rollout as Obj).spec, 'spec');
  for (const key of Object.keys(spec)) {
    if (ROLLOUT_SPEC_FIELDS.includes(key)) continue;
    r.warnings.push(
      `${file}: spec.${key} is not acted on${ROLLOUT_IGNORED.includes(key) ? ' (the deploy system owns it)' : ''}`,
    );
  }
  const strategy = r.obj(spec.strategy, 'spec.strategy');
  if (strategy.canary === undefined)
    r.fail('spec.strategy.canary', 'must be set: only the canary strategy is run');
  r.rest(strategy, ['canary'], 'spec.strategy');
  const canary = r.obj(strategy.canary, 'spec.strategy.canary');
  return {
    strategy: readCanary(r, canary, 'spec.strategy.canary', spec, extra, templates),
    warnings: r.warnings,
  };
}

/**
 * A strategy written inline in a scenario's `rollout:`: the canary's `steps` and `analysis`, Argo's
 * deadline fields, `templates` (each an AnalysisTemplate's name and spec fields), and the extras.
 */
export function readStrategy(raw: unknown, file: string, field = 'rollout'): ReadStrategy {
  const r = new Reader(file);
  const o = r.obj(raw, field);
  const known = [
    ...CANARY_FIELDS,
    ...EXTRA_FIELDS,
    'templates',
    'progressDeadlineSeconds',
    'progressDeadlineAbort',
  ];
  r.rest(o, known, field);
  const templates = r.list(o.templates ?? [], `${field}.templates`).map((item, i) => {
    const t = r.obj(item, `${field}.templates[${i}]`);
    const { name, ...spec } = t;
    return readTemplate(r, r.str(name, `${field}.templates[${i}].name`), spec, `${field}.templates[${i}]`);
  });
  try {
    const canary = Object.fromEntries(Object.entries(o).filter(([key]) => CANARY_FIELDS.includes(key)));
    return { strategy: readCanary(r, canary, field, o, o, templates), warnings: r.warnings };
  } catch (error) {
    // The extras' fields are named from the rollout block, not from an Argo spec.
    if (error instanceof InputError && error.field && !error.field.startsWith(field)) {
      throw new InputError(error.message, file, `${field}.${error.field}`);
    }
    throw error;
  }
}

/** `{{args.name}}` in a provider's strings, from the step's args over the template's defaults. */
export function substituteArgs(text: string, args: Record<string, string | null>): string {
  return text.replace(/\{\{\s*args\.([A-Za-z0-9_-]+)\s*\}\}/g, (whole, name: string) => args[name] ?? whole);
}

/** The condition trees of a metric, parsed once (they were checked when the strategy was read). */
export function conditionsOf(metric: AnalysisMetric): { success: Expr | null; failure: Expr | null } {
  return {
    success: metric.successCondition ? parseCondition(metric.successCondition) : null,
    failure: metric.failureCondition ? parseCondition(metric.failureCondition) : null,
  };
}
