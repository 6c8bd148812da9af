import { ExprError, holds, parseCondition } from './analysis-expr.js';
import type { AnalysisMetric, AnalysisRef, AnalysisTemplate } from './argo.js';

/**
 * An analysis run as Argo Rollouts assesses it: each metric is measured on its schedule, each
 * measurement is Successful, Failed, Inconclusive or Error by the metric's conditions, and the limits
 * (failureLimit, inconclusiveLimit, consecutiveErrorLimit) turn the measurements into the metric's
 * phase. The run fails as soon as one metric fails or errs; otherwise it ends when every metric has
 * its count, Inconclusive if any metric is. Pure: the measurements come in as data.
 */

export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';
export type MetricPhase = 'Running' | MeasurementPhase;

export interface Measurement {
  at: number;
  phase: MeasurementPhase;
  /** What the provider returned (`result` of the conditions), with its evidence when a judge measured. */
  value: unknown;
  message: string;
}

export interface MetricRun {
  name: string;
  template: string;
  metric: AnalysisMetric;
  args: Record<string, string | null>;
  measurements: Measurement[];
  phase: MetricPhase;
}

export interface AnalysisRun {
  /** `step <n>` or `background`. */
  name: string;
  startedAt: number;
  metrics: MetricRun[];
  phase: MetricPhase;
}

/** A run of the templates an analysis step (or the background analysis) names, started at `at`. */
export function startRun(
  name: string,
  ref: AnalysisRef,
  templates: readonly AnalysisTemplate[],
  at: number,
): AnalysisRun {
  const metrics = ref.templates.flatMap((templateName) => {
    const template = templates.find((t) => t.name === templateName) as AnalysisTemplate;
    const args = { ...template.args, ...ref.args };
    return template.metrics.map((metric) => ({
      name: metric.name,
      template: template.name,
      metric,
      args,
      measurements: [],
      phase: 'Running' as const,
    }));
  });
  return { name, startedAt: at, metrics, phase: 'Running' };
}

/** How many measurements a metric takes: its count, once without an interval, unbounded with one. */
const countOf = (metric: AnalysisMetric): number => metric.count ?? (metric.interval === null ? 1 : Infinity);

/** The minute the metric's next measurement is due, or null when it takes no more. */
export function nextDue(run: AnalysisRun, m: MetricRun): number | null {
  if (m.phase !== 'Running') return null;
  const k = m.measurements.length;
  if (k >= countOf(m.metric)) return null;
  return run.startedAt + m.metric.initialDelay + k * (m.metric.interval ?? 0);
}

/** The metrics due a measurement by minute `t`. */
export function dueAt(run: AnalysisRun | null, t: number): MetricRun[] {
  if (!run || run.phase !== 'Running') return [];
  return run.metrics.filter((m) => {
    const due = nextDue(run, m);
    return due !== null && due <= t;
  });
}

/**
 * One measurement's phase from the provider's answer. Without conditions, a judge's answer carries
 * its own verdict. Argo's rules: the failure condition first; with only one condition the other
 * outcome is its opposite; with both and neither holding, Inconclusive.
 */
export function assess(metric: AnalysisMetric, value: unknown): { phase: MeasurementPhase; message: string } {
  const { successCondition: success, failureCondition: failure } = metric;
  if (!success && !failure) return ownVerdict(value);
  const { phase, message } = byConditions(success, failure, value);
  return { phase, message: `result ${JSON.stringify(value)}: ${message}` };
}

function byConditions(
  success: string | null,
  failure: string | null,
  value: unknown,
): { phase: MeasurementPhase; message: string } {
  try {
    if (failure && holds(parseCondition(failure), value))
      return { phase: 'Failed', message: `failureCondition ${failure} holds` };
    if (success && holds(parseCondition(success), value))
      return { phase: 'Successful', message: `successCondition ${success} holds` };
    if (success && failure)
      return { phase: 'Inconclusive', message: `neither ${success} nor ${failure} holds` };
    return success
      ? { phase: 'Failed', message: `successCondition ${success} does not hold` }
      : { phase: 'Successful', message: `failureCondition ${failure} does not hold` };
  } catch (error) {
    if (error instanceof ExprError)
      return { phase: 'Error', message: `cannot assess ${JSON.stringify(value)}: ${error.message}` };
    throw error;
  }
}

function ownVerdict(value: unknown): { phase: MeasurementPhase; message: string } {
  const verdict = (value as { verdict?: unknown } | null)?.verdict;
  const judged = value as { score?: number; metrics?: { detail: string }[]; reasons?: string[] } | null;
  // A judge's score and each metric's test say why; an eval-set verdict says which checks failed.
  const why =
    judged?.score !== undefined
      ? ` (score ${judged.score}: ${(judged.metrics ?? []).map((m) => m.detail).join('; ')})`
      : judged?.reasons && judged.reasons.length > 0
        ? ` (${judged.reasons.join('; ')})`
        : '';
  const message = `verdict ${String(verdict)}${why}`;
  if (verdict === 'Pass' || verdict === 'promote') return { phase: 'Successful', message };
  if (verdict === 'Fail' || verdict === 'reject') return { phase: 'Failed', message };
  if (verdict === 'Marginal') return { phase: 'Inconclusive', message };
  return { phase: 'Error', message: 'the provider gave no verdict and the metric has no condition' };
}

/** A metric's phase from its measurements and limits (a limit of -1 is no limit). */
export function metricPhase(m: MetricRun): MetricPhase {
  const { metric, measurements } = m;
  const count = (phase: MeasurementPhase) => measurements.filter((x) => x.phase === phase).length;
  let consecutiveErrors = 0;
  for (let i = measurements.length - 1; i >= 0 && measurements[i]?.phase === 'Error'; i--)
    consecutiveErrors++;
  if (metric.failureLimit >= 0 && count('Failed') > metric.failureLimit) return 'Failed';
  if (metric.inconclusiveLimit >= 0 && count('Inconclusive') > metric.inconclusiveLimit)
    return 'Inconclusive';
  if (metric.consecutiveErrorLimit >= 0 && consecutiveErrors > metric.consecutiveErrorLimit) return 'Error';
  return measurements.length >= countOf(metric) ? 'Successful' : 'Running';
}

/** The run's phase: Failed or Error at once; otherwise Running until every metric is done. */
export function runPhase(metrics: readonly MetricRun[]): MetricPhase {
  const phases = metrics.map((m) => m.phase);
  if (phases.includes('Failed')) return 'Failed';
  if (phases.includes('Error')) return 'Error';
  if (phases.includes('Running')) return 'Running';
  return phases.includes('Inconclusive') ? 'Inconclusive' : 'Successful';
}

/** The run with one more measurement of `metric`. */
export function record(run: AnalysisRun, metric: string, measurement: Measurement): AnalysisRun {
  const metrics = run.metrics.map((m) => {
    if (m.name !== metric || m.phase !== 'Running') return m;
    const next = { ...m, measurements: [...m.measurements, measurement] };
    return { ...next, phase: metricPhase(next) };
  });
  return { ...run, metrics, phase: runPhase(metrics) };
}

/**
 * A background run ends with the rollout: metrics that measure until stopped and have not failed are
 * Successful then, as Argo terminates them.
 */
export function terminate(run: AnalysisRun): AnalysisRun {
  const metrics = run.metrics.map((m) =>
    m.phase === 'Running' ? { ...m, phase: 'Successful' as const } : m,
  );
  return { ...run, metrics, phase: run.phase === 'Running' ? runPhase(metrics) : run.phase };
}
