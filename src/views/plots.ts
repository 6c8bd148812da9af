import { own } from '../toolkit/sli.js';
import type { BurnPair } from '../toolkit/slo.js';
import type { IncidentResult, ShiftResult } from '../world/drill.js';
import type { BudgetSeries, IncidentSeries } from '../world/plot-series.js';
import type { Scenario } from '../world/scenario.js';
import { sloWords } from '../world/service-spec.js';
import type { ReleaseStep } from './timeline.js';

/**
 * What the report's plots show, as data for the page's script (which draws them with uPlot): the
 * x values, one panel per quantity with its lines (thresholds are dashed lines of their own, named
 * in the legend rather than written over the plot) and the moments to mark. Every value comes from
 * the shift's result; nothing here draws.
 */

export interface PlotLine {
  label: string;
  colour: string;
  /** Dash pattern in px; solid when absent. */
  dash?: number[];
  values: number[];
}

export interface PlotPanel {
  title: string;
  /** `percent` values are fractions shown as %, `burn` values are multiples of the budget rate. */
  unit: 'percent' | 'burn';
  lines: PlotLine[];
}

export interface PlotMarker {
  t: number;
  kind: 'onset' | 'detected' | 'paged' | 'mitigated' | 'resolved' | 'escalated' | ReleaseStep['kind'];
  label: string;
  colour: string;
}

export interface PlotSpec {
  id: string;
  title: string;
  x: number[];
  panels: PlotPanel[];
  markers: PlotMarker[];
}

/** Colours with at least 3:1 against white (WCAG's contrast for graphics), told apart by dash too. */
export const COLOURS = {
  sli: '#0f172a',
  long: '#1d4ed8',
  short: '#b45309',
  threshold: '#b91c1c',
  objective: '#15803d',
  budget: '#6d28d9',
  freshness: '#0f766e',
  onset: '#475569',
  paged: '#b91c1c',
  detected: '#c2410c',
  mitigated: '#1d4ed8',
  resolved: '#0f766e',
  escalated: '#9f1239',
  promoted: '#15803d',
  rejected: '#b91c1c',
  rollback: '#6d28d9',
  initial: '#475569',
} as const;

const DASHED = [6, 4];

/** `fast page pair 1h/5m (pages above 14.4x)`: fast and slow when a severity has more than one pair. */
function pairTitle(pair: BurnPair, policy: readonly BurnPair[]): string {
  const same = policy.filter((p) => p.severity === pair.severity);
  const speed = same.length > 1 ? (same.indexOf(pair) === 0 ? 'fast ' : 'slow ') : '';
  const does = pair.severity === 'page' ? 'pages' : 'opens a ticket';
  return `${speed}${pair.severity} pair ${pair.long}/${pair.short} (${does} above ${pair.threshold}x)`;
}

/** `rollback to v2`, `canary rejected v3-fix`. */
export const stepLabel = (step: ReleaseStep) =>
  step.kind === 'rollback' ? `rollback to ${step.release}` : `canary ${step.kind} ${step.release}`;

/** The incident's own moments and the release steps that fall inside its range. */
export function incidentMarkers(
  incident: IncidentResult,
  timeline: readonly ReleaseStep[],
  range: { from: number; to: number },
): PlotMarker[] {
  const m = incident.milestones;
  const markers: PlotMarker[] = [];
  const add = (t: number | undefined, kind: PlotMarker['kind'], label: string) => {
    if (t !== undefined && t >= range.from && t <= range.to)
      markers.push({ t, kind, label, colour: COLOURS[kind] });
  };
  add(m.onset, 'onset', 'onset');
  if (m.paged !== undefined) add(m.paged, 'paged', `paged ${incident.severity ?? ''}`.trim());
  else add(m.detected, 'detected', `detected (${incident.severity ?? 'ticket'})`);
  const recovered = incident.plays.find((p) => p.outcome === 'recovered');
  add(m.mitigated, 'mitigated', recovered ? `mitigated by ${recovered.play}` : 'mitigated');
  add(m.resolved, 'resolved', 'resolved');
  add(m.escalated, 'escalated', 'escalated');
  for (const step of timeline) {
    if (step.kind !== 'initial') add(step.at, step.kind, stepLabel(step));
  }
  return markers.sort((a, b) => a.t - b.t);
}

/** What the good events of a scenario's SLI are called ("good answers", "fast requests"). */
function sloOf(scenario: Scenario, sli: string): string {
  const slo = own(scenario.slos, sli);
  return slo ? sloWords(slo).good : 'good events';
}

/** An incident's SLI, each alerting pair's burns against its threshold, and the budget left. */
export function incidentPlot(
  incident: IncidentResult,
  series: IncidentSeries,
  scenario: Scenario,
  timeline: readonly ReleaseStep[],
): PlotSpec {
  const { points } = series;
  const policy = scenario.alerting.policy;
  const x = points.map((p) => p.t);
  const constant = (value: number) => points.map(() => value);
  const panels: PlotPanel[] = [
    {
      title: `${series.sli} SLI (share of ${sloOf(scenario, series.sli)} each minute)`,
      unit: 'percent',
      lines: [
        { label: `${series.sli} SLI`, colour: COLOURS.sli, values: points.map((p) => p.sli) },
        {
          label: `objective ${(series.objective * 100).toFixed(1)}%`,
          colour: COLOURS.objective,
          dash: DASHED,
          values: constant(series.objective),
        },
      ],
    },
    ...policy.map((pair) => ({
      title: pairTitle(pair, policy),
      unit: 'burn' as const,
      lines: [
        { label: `burn ${pair.long}`, colour: COLOURS.long, values: points.map((p) => p.burn[pair.long]) },
        {
          label: `burn ${pair.short}`,
          colour: COLOURS.short,
          dash: [2, 2],
          values: points.map((p) => p.burn[pair.short]),
        },
        {
          label: `${pair.severity} threshold ${pair.threshold}x`,
          colour: COLOURS.threshold,
          dash: DASHED,
          values: constant(pair.threshold),
        },
      ],
    })),
    {
      title: `${series.sli} error budget left (30-day SLO)`,
      unit: 'percent',
      lines: [{ label: 'budget left', colour: COLOURS.budget, values: points.map((p) => p.budget) }],
    },
  ];
  const range = { from: x[0] ?? 0, to: x[x.length - 1] ?? 0 };
  return {
    id: `plot-${incident.id}`,
    title: `${incident.id}: ${series.sli} SLI, burn rates and budget, minutes ${range.from}–${range.to}`,
    x,
    panels,
    markers: incidentMarkers(incident, timeline, range),
  };
}

/**
 * Every SLO's error budget left over the whole shift; the marks are each typed incident's page (or
 * detection) and the release steps.
 */
export function budgetPlot(
  result: ShiftResult,
  budgets: readonly BudgetSeries[],
  timeline: readonly ReleaseStep[],
): PlotSpec {
  const x = budgets[0]?.points.map((p) => p.t) ?? [];
  const range = { from: x[0] ?? 0, to: x[x.length - 1] ?? 0 };
  const markers: PlotMarker[] = [];
  for (const incident of result.incidents) {
    if (incident.type === '') continue;
    const at = incident.milestones.paged ?? incident.milestones.detected;
    if (at !== undefined) {
      markers.push({
        t: at,
        kind: 'paged',
        label: `${incident.id} ${incident.milestones.paged !== undefined ? 'paged' : 'detected'}`,
        colour: COLOURS.paged,
      });
    }
  }
  for (const step of timeline) {
    if (step.kind === 'initial' || step.at < range.from || step.at > range.to) continue;
    markers.push({ t: step.at, kind: step.kind, label: stepLabel(step), colour: COLOURS[step.kind] });
  }
  return {
    id: 'plot-budget',
    title: `Error budget left over the shift, minutes ${range.from}–${range.to}`,
    x,
    panels: [
      {
        title: 'error budget left (30-day SLO), every SLO',
        unit: 'percent',
        lines: budgets.map((b, i) => ({
          label: `${b.sli} (objective ${(b.objective * 100).toFixed(1)}%)`,
          colour: i === 0 ? COLOURS.budget : COLOURS.freshness,
          values: b.points.map((p) => p.remaining),
        })),
      },
    ],
    markers: markers.sort((a, b) => a.t - b.t),
  };
}
