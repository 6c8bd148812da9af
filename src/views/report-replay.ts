import type { ShiftResult } from '../world/result.js';
import type { Scenario } from '../world/scenario.js';
import { budgetPlot, incidentPlot, type PlotLine, type PlotSpec } from './plots.js';
import { releaseTimeline } from './timeline.js';

/**
 * `report --replay`: the replay's report with the recorded run drawn on the same plots. Each panel
 * keeps the replay's lines and gets the record's beside them (grey, dotted, named "recorded"), on the
 * replay's minutes (a minute the record's series has not got is a gap); the record's moments are
 * marked too. The record's plots are built by the same functions as the replay's, from its result.
 */

export interface Recorded {
  scenario: Scenario;
  result: ShiftResult;
  /** The diff, as `runbook replay` prints it. */
  diff: string;
}

const RECORDED = '#64748b';

/** The record's plots, by id, as the report would draw them for the recorded run. */
function recordedPlots({ scenario, result }: Recorded): Map<string, PlotSpec> {
  const timeline = releaseTimeline(result, scenario);
  const specs = [budgetPlot(result, result.budget, timeline)];
  for (const incident of result.incidents) {
    const series = result.incidentSeries.find((s) => s.incident === incident.id);
    if (incident.type !== '' && series) specs.push(incidentPlot(incident, series, scenario, timeline));
  }
  return new Map(specs.map((spec) => [spec.id, spec]));
}

/** The record's line on the replay's minutes. */
function onMinutes(line: PlotLine, from: readonly number[], to: readonly number[]): PlotLine {
  const at = new Map(from.map((t, i) => [t, line.values[i]]));
  return {
    label: `${line.label} (recorded)`,
    colour: RECORDED,
    dash: [1, 3],
    // null: uPlot draws a gap where the record has no point.
    values: to.map((t) => at.get(t) ?? (null as unknown as number)),
  };
}

/** The replay's plots with the record's lines and moments added, panel by panel. */
export function withRecorded(specs: readonly PlotSpec[], recorded: Recorded): PlotSpec[] {
  const theirs = recordedPlots(recorded);
  return specs.map((spec) => {
    const was = theirs.get(spec.id);
    if (!was) return spec;
    return {
      ...spec,
      title: `${spec.title} (grey, dotted: the recorded run)`,
      panels: spec.panels.map((panel, i) => {
        const old = was.panels[i];
        if (!old || old.unit !== panel.unit) return panel;
        return { ...panel, lines: [...panel.lines, ...old.lines.map((l) => onMinutes(l, was.x, spec.x))] };
      }),
      markers: [
        ...spec.markers,
        ...was.markers.map((m) => ({ ...m, label: `recorded: ${m.label}`, colour: RECORDED })),
      ].sort((a, b) => a.t - b.t),
    };
  });
}
