import type { RolloutDecision, RolloutRecord } from '../../machines/rollout.js';
import type { AnalysisRun, Measurement, MetricRun } from '../toolkit/analysis.js';
import type { RolloutStep, RolloutStrategy } from '../toolkit/argo.js';
import type { Judgement } from '../toolkit/judge.js';
import type { RolloutResult } from '../world/rollout-result.js';
import { escapeHtml, type MinuteLabel, num, table } from './report-sections.js';

/**
 * The shift report's Rollout section, for a scenario with a canary strategy: the strategy's steps,
 * then each rollout's decisions, and under every decision that ended an analysis the run it was
 * decided on: each metric's condition and measurements, and for the statistical judge its
 * statistic, U, n, p, score and thresholds. Everything is read from the result's `rollout`, so the
 * page answers "why was it aborted (or promoted)?" with the numbers the machine used.
 */

function stepText(step: RolloutStep): string {
  if ('setWeight' in step) return `setWeight ${step.setWeight}%`;
  if ('pause' in step)
    return step.pause.minutes === null ? 'pause until promoted' : `pause ${step.pause.minutes} min`;
  const args = Object.entries(step.analysis.args).map(([k, v]) => `${k}=${v}`);
  return `analysis: ${step.analysis.templates.join(', ')}${args.length > 0 ? ` (${args.join(', ')})` : ''}`;
}

function stepsTable(strategy: RolloutStrategy): string {
  const rows = strategy.steps.map((step, i) => [String(i + 1), escapeHtml(stepText(step))]);
  const background = strategy.background
    ? `<p>Background analysis from step ${strategy.background.startingStep + 1}: ${escapeHtml(strategy.background.templates.join(', '))}</p>`
    : '';
  return `${table(['step', 'what'], rows, ' data-rollout-steps')}${background}`;
}

const isJudgement = (value: unknown): value is Judgement =>
  typeof value === 'object' &&
  value !== null &&
  'score' in value &&
  'metrics' in value &&
  'thresholds' in value;

function conditionOf(metric: MetricRun): string {
  const { successCondition, failureCondition, provider } = metric.metric;
  if (provider.kind === 'judge')
    return `judge: pass >= ${provider.pass}, marginal >= ${provider.marginal}, alpha ${provider.alpha}`;
  const parts = [
    successCondition === null ? '' : `success: ${successCondition}`,
    failureCondition === null ? '' : `failure: ${failureCondition}`,
  ].filter((p) => p !== '');
  return parts.length > 0 ? parts.join('; ') : '(none)';
}

function judgementHtml(judgement: Judgement): string {
  const { score, verdict, thresholds } = judgement;
  return `<p data-judgement data-score="${score}" data-verdict="${escapeHtml(verdict)}">Judge: score <b>${score}</b>, verdict <b>${escapeHtml(verdict)}</b> (pass >= ${thresholds.pass}, marginal >= ${thresholds.marginal}, alpha ${thresholds.alpha})</p>${table(
    ['metric', 'classification', 'test', 'statistic (U)', 'n baseline/canary', 'p', 'detail'],
    judgement.metrics.map((m) => [
      escapeHtml(m.name),
      `<span class="${m.failed ? 'fail' : 'pass'}">${escapeHtml(m.classification)}</span>`,
      escapeHtml(m.method ?? '–'),
      num(m.statistic),
      `${m.baseline.length}/${m.canary.length}`,
      `<span data-p>${num(m.p)}</span>`,
      escapeHtml(m.detail),
    ]),
    ' data-judge',
  )}`;
}

function measurementRows(measurements: readonly Measurement[]): string[][] {
  return measurements.map((m) => [
    String(m.at),
    `<span class="${m.phase === 'Successful' ? 'pass' : m.phase === 'Failed' ? 'fail' : ''}">${escapeHtml(m.phase)}</span>`,
    isJudgement(m.value)
      ? judgementHtml(m.value)
      : `<code>${escapeHtml(JSON.stringify(m.value) ?? 'null')}</code>`,
    escapeHtml(m.message),
  ]);
}

function runHtml(run: AnalysisRun): string {
  return `<div data-analysis-run="${escapeHtml(run.name)}"><h4>Analysis ${escapeHtml(run.name)} (from minute ${run.startedAt}): ${escapeHtml(run.phase)}</h4>${run.metrics
    .map(
      (metric) =>
        `<h5>${escapeHtml(metric.template)} / ${escapeHtml(metric.name)}: ${escapeHtml(metric.phase)}</h5><p>Condition: <code>${escapeHtml(conditionOf(metric))}</code></p>${table(
          ['minute', 'phase', 'measured', 'message'],
          measurementRows(metric.measurements),
        )}`,
    )
    .join('\n')}</div>`;
}

function decisionHtml(decision: RolloutDecision, minute: MinuteLabel): string {
  return `<li data-decision="${escapeHtml(decision.what)}"><b>${escapeHtml(decision.what)}</b> at ${escapeHtml(minute(decision.at))}: <span data-why>${escapeHtml(decision.why)}</span>${decision.evidence ? runHtml(decision.evidence) : ''}</li>`;
}

function rolloutHtml(rollout: RolloutRecord, minute: MinuteLabel): string {
  const outcome = rollout.outcome ?? 'still running';
  const cls = rollout.outcome === 'promoted' ? 'pass' : rollout.outcome === 'aborted' ? 'fail' : '';
  return `<section data-rollout="${rollout.n}" data-outcome="${escapeHtml(outcome)}"><h3>Rollout ${rollout.n}: ${escapeHtml(rollout.candidate)} over ${escapeHtml(rollout.baseline)}${rollout.requestedBy ? ` (fix for ${escapeHtml(rollout.requestedBy)})` : ''}: <span class="${cls}">${escapeHtml(outcome)}</span></h3>
<p>Started ${escapeHtml(minute(rollout.startedAt))}, ended ${escapeHtml(minute(rollout.endedAt))}; phase ${escapeHtml(rollout.phase)}, canary weight ${rollout.weight}%.</p>
<ol class="decisions">${rollout.decisions.map((d) => decisionHtml(d, minute)).join('\n')}</ol></section>`;
}

/** The section, or null for a scenario without a strategy (its report stays as it was). */
export function rolloutSection(
  strategy: RolloutStrategy | undefined,
  result: RolloutResult | undefined,
  minute: MinuteLabel,
): string | null {
  if (!strategy || !result) return null;
  const warnings =
    result.warnings.length > 0 ? `<p>Not acted on: ${escapeHtml(result.warnings.join('; '))}</p>` : '';
  return `<section id="rollout"><h2>Rollout: progressive delivery's steps, analyses and verdicts <small>(${escapeHtml(result.source)})</small></h2>
<h3>Steps</h3>${stepsTable(strategy)}${warnings}
${result.rollouts.length > 0 ? result.rollouts.map((r) => rolloutHtml(r, minute)).join('\n') : '<p>No rollout ran.</p>'}</section>`;
}
