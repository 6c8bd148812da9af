import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { TraceEntry } from '../engine/trace.js';
import { minuteToTimestamp } from '../toolkit/alerts.js';
import { packageRoot } from '../toolkit/package-files.js';
import type { ShiftResult } from '../world/drill.js';
import type { Scenario } from '../world/scenario.js';
import { chart, type MachineName, markSvg, marksOf, toSvg } from './export.js';
import type { GateReport } from './gate.js';
import { budgetPlot, incidentPlot, type PlotSpec } from './plots.js';
import { type Recorded, withRecorded } from './report-replay.js';
import { rolloutSection } from './report-rollout.js';
import {
  escapeHtml,
  gateTableHtml,
  incidentRows,
  incidentSection,
  labelsOf,
  type MinuteLabel,
  pathOf,
  table,
  timelineTable,
  timesTable,
} from './report-sections.js';
import { releaseTimeline } from './timeline.js';

export { escapeHtml } from './report-sections.js';

/**
 * The shift report: one self-contained HTML file (its scripts, styles and data inline; nothing is
 * fetched) that shows a finished shift: the gate, every SLO's error budget, the release timeline
 * with every canary verdict, one section per incident (its SLI, burns and budget on its own time
 * range, its plays, fix, statechart and postmortem), the other actors' statecharts, the alert
 * groups and the trace. The plots are drawn in the browser by uPlot from data written here; every
 * number comes from the result, the trace and the gate, and nothing reads the wall clock, so the
 * same scenario gives the same bytes.
 */

export interface ReportInput {
  scenario: Scenario;
  result: ShiftResult;
  /** Null for a live run (`runbook serve`): a gate judges a rehearsal, and its sections are left out. */
  gate: GateReport | null;
  /** `report --replay`: the recorded run, drawn beside this replay of it (report-replay.ts). */
  recorded?: Recorded;
}

const require = createRequire(import.meta.url);
const ownAsset = (...path: string[]) => readFileSync(join(packageRoot(), 'src', 'views', ...path), 'utf8');
const libraryAsset = (path: string) => readFileSync(require.resolve(path), 'utf8');

/** The page's scripts in load order: the libraries, then ours (which use their globals). */
function scripts(): string[] {
  return [
    libraryAsset('uplot/dist/uPlot.iife.min.js'),
    libraryAsset('@panzoom/panzoom/dist/panzoom.min.js'),
    ownAsset('inspector', 'page', 'zoom.js'),
    ownAsset('report-page', 'report.js'),
  ];
}

/** The CSP allows exactly these inline scripts, by hash, and nothing from anywhere. */
const hashOf = (script: string) => `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;

const REPORT_CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #0f172a; margin: 0; background: #f1f5f9; }
header { background: #0f172a; color: #f8fafc; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #cbd5e1; }
header .pass { color: #86efac; }
header .fail { color: #fca5a5; }
main { max-width: 1180px; margin: 0 auto; padding: 12px 28px 48px; }
section { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 14px 18px; margin: 16px 0; min-width: 0; }
section section { border: 0; padding: 0; margin: 12px 0 0; }
h2 { font-size: 18px; margin: 0 0 10px; }
h2 small { font-weight: normal; color: #475569; }
h3 { font-size: 15px; margin: 14px 0 6px; }
h4, h5, h6 { font-size: 14px; margin: 12px 0 4px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid #e2e8f0; }
th { background: #f8fafc; font-weight: 600; }
code { font: 12px ui-monospace, Menlo, Consolas, monospace; background: #f1f5f9; padding: 1px 4px; border-radius: 3px; overflow-wrap: anywhere; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 6px 0; }
.card { border: 1px solid #e2e8f0; border-radius: 8px; padding: 8px 14px; min-width: 100px; background: #fff; }
.card b { display: block; font-size: 20px; }
.card b.small { font-size: 14px; }
.card span { color: #475569; font-size: 12px; }
.pass { color: #15803d; font-weight: 700; }
.fail { color: #b91c1c; font-weight: 700; }
tr.fail td { background: #fef2f2; }
.milestones { columns: 2 16em; margin: 4px 0; padding-left: 18px; }
.diagrams { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
.diagram { border: 1px solid #e2e8f0; border-radius: 8px; padding: 8px; margin: 12px 0 0; flex: 1 1 100%; min-width: 0; }
.diagram[data-machine="release"] { flex: 1 1 300px; }
.diagram h3 { margin: 0 0 6px; }
.diagram p { margin: 0 0 6px; color: #475569; font-size: 12px; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
.legend i { display: inline-block; width: 14px; height: 10px; border-radius: 3px; margin-right: 4px; vertical-align: middle; border: 1.5px solid; }
.postmortem { max-width: 900px; }
details summary { cursor: pointer; font-weight: 600; }
button { font: inherit; font-size: 13px; padding: 3px 10px; border: 1px solid #64748b; border-radius: 6px; background: #fff; color: #0f172a; cursor: pointer; }
:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
.plot { position: relative; margin: 8px 0; }
.plot-tools { display: flex; gap: 6px; flex-wrap: wrap; margin-top: 8px; }
.marker-strip { position: relative; margin-bottom: 4px; }
.marker-label { position: absolute; box-sizing: border-box; white-space: nowrap; font-size: 12px; line-height: 18px; font-weight: 600; background: #fff; padding: 0 2px; }
.marker-tick { position: absolute; bottom: -2px; width: 2px; height: 4px; }
.marker-label.wrapped { white-space: normal; }
.panel-title { margin: 6px 0 0; font-size: 13px; font-weight: 600; color: #334155; }
.uplot { width: auto; }
.u-legend { font-size: 12px; text-align: left; }
.u-legend th { pointer-events: none; font-weight: 500; }
.u-inline tr { margin-right: 10px; }
@media (max-width: 640px) {
  header { padding: 12px 12px; }
  main { padding: 4px 8px 32px; }
  section { padding: 10px 10px; }
  .card { min-width: 80px; padding: 6px 10px; }
}
`;

/** Each actor's trace entries, in order: indexed once, so a storm's thousands of actors cost one pass. */
function traceByActor(trace: readonly TraceEntry[]): Map<string, TraceEntry[]> {
  const byActor = new Map<string, TraceEntry[]>();
  for (const entry of trace) {
    const entries = byActor.get(entry.actor);
    if (entries) entries.push(entry);
    else byActor.set(entry.actor, [entry]);
  }
  return byActor;
}

/**
 * Incidents no type matched, grouped by the path they took: a storm opens thousands of them and
 * nearly all go watching -> detect -> watching, so each distinct path is drawn once, naming its incidents.
 */
function byPath(incidents: readonly ShiftResult['incidents'][number][], traces: Map<string, TraceEntry[]>) {
  const groups = new Map<string, ShiftResult['incidents'][number][]>();
  for (const incident of incidents) {
    const path = (traces.get(incident.id) ?? []).map((e) => e.to).join(' → ');
    const group = groups.get(path);
    if (group) group.push(incident);
    else groups.set(path, [incident]);
  }
  return [...groups].map(([path, members]) => ({ path, members }));
}

function renderDiagram(
  traces: Map<string, TraceEntry[]>,
  svgs: Record<MachineName, string>,
  actor: string,
  machine: MachineName,
  note: string,
): string {
  const marks = marksOf(chart(machine), traces.get(actor) ?? []);
  return `<figure class="diagram" id="actor-${escapeHtml(actor)}" data-actor="${escapeHtml(actor)}" data-machine="${machine}" data-current-state="${escapeHtml(marks.current ?? '')}">
<h3>${escapeHtml(actor)} <small>(${machine})</small>: ${escapeHtml(marks.current ?? 'not started')}</h3>
<p>${escapeHtml(note)}</p>
<div class="diagram-body">${markSvg(svgs[machine], marks)}</div>
</figure>`;
}

const plotHtml = (spec: PlotSpec) =>
  `<div class="plot" data-plot="${escapeHtml(spec.id)}" tabindex="0" role="group" aria-label="${escapeHtml(spec.title)}; ← → move the cursor, + − zoom, 0 shows the whole range"></div>`;

export async function renderReport({ scenario, result, gate, recorded }: ReportInput): Promise<string> {
  const minute: MinuteLabel = (t) =>
    t === undefined || t === null ? '–' : `${t} (${minuteToTimestamp(t, scenario.epoch).slice(5, 16)}Z)`;
  const svgs: Record<MachineName, string> = {
    incident: await toSvg(chart('incident')),
    release: await toSvg(chart('release')),
  };
  const timeline = releaseTimeline(result, scenario);
  const typed = result.incidents.filter((i) => i.type !== '');
  const untyped = result.incidents.filter((i) => i.type === '');
  const traces = traceByActor(result.trace);
  const paths = byPath(untyped, traces);
  const specs: PlotSpec[] = [budgetPlot(result, result.budget, timeline)];
  const sections = typed.map((incident) => {
    const series = result.incidentSeries.find((s) => s.incident === incident.id);
    const spec = series ? incidentPlot(incident, series, scenario, timeline) : null;
    if (spec) specs.push(spec);
    return incidentSection(incident, minute, {
      plot: spec ? `<h3>SLI, burn rates and budget</h3>${plotHtml(spec)}` : '',
      diagram: renderDiagram(traces, svgs, incident.id, 'incident', pathOf(result.trace, incident.id)),
    });
  });
  const passedAll = gate !== null && gate.passed === gate.total;
  const failed = gate?.checks.filter((c) => !c.ok).map((c) => c.id) ?? [];
  const gateText = gate ? `${gate.passed}/${gate.total}` : '';
  const code = scripts();
  const rollout = rolloutSection(scenario.rollout?.strategy, result.rollout, minute);
  const data = JSON.stringify(recorded ? withRecorded(specs, recorded) : specs).replace(/</g, '\\u003c');

  const body = [
    `<header><h1>Shift report: ${escapeHtml(result.scenario)}</h1><p>sim minutes ${result.minutes.start}–${result.minutes.end} · ${result.incidents.length} incidents (${typed.length} worked) · ${result.trace.length} transitions · live ${escapeHtml(result.live)}${gate ? ` · gate <span class="${passedAll ? 'pass' : 'fail'}">${gateText}</span>` : ' · a live run (runbook serve): no gate'}${failed.length > 0 ? ` · failed: ${escapeHtml(failed.join(', '))}` : ''}</p></header>`,
    '<main>',
    `<section id="glance"><h2>At a glance</h2><div class="cards">
${gate ? `<div class="card"><span>gate</span><b class="${passedAll ? 'pass' : 'fail'}">${gateText}</b></div>` : ''}
<div class="card"><span>incidents worked</span><b>${typed.length}</b></div>
<div class="card"><span>live at the end</span><b>${escapeHtml(result.live)}</b></div>
</div>
<h3>Time to detect, mitigate and resolve, from each incident's onset</h3>
${timesTable(typed)}</section>`,
    recorded
      ? `<section id="replay"><h2>Replay: what changed against the recorded run</h2><pre>${escapeHtml(recorded.diff)}</pre></section>`
      : '',
    gate
      ? `<section id="gate"><h2>Gate: ${gateText}${failed.length > 0 ? ` <small class="fail">failed: ${escapeHtml(failed.join(', '))}</small>` : ''}</h2>${gateTableHtml(gate)}</section>`
      : '',
    `<section id="budget"><h2>Error budget left</h2>${plotHtml(specs[0] as PlotSpec)}</section>`,
    `<section id="releases"><h2>Release timeline: every deploy, canary verdict and rollback</h2>${timelineTable(timeline, minute)}</section>`,
    // Only for a scenario with a strategy: without one no line is added, so its report keeps its bytes.
    ...(rollout ? [rollout] : []),
    ...sections,
    `<section id="diagrams"><h2>Statecharts: what each actor did</h2>
<p class="legend"><span><i style="background:#fde68a;border-color:#b45309"></i>where it ended</span><span><i style="background:#e0ecff;border-color:#2563eb"></i>visited</span><span><i style="background:#fff;border-color:#2563eb"></i>transition taken (blue)</span></p>
<div class="diagrams">
${renderDiagram(traces, svgs, 'release', 'release', timeline.map((s) => `${s.release} (${s.kind}, min ${s.at})`).join(' → '))}
</div>
${
  untyped.length > 0
    ? `<details><summary>${untyped.length} incident(s) no type matched (looked at, no SLO burn), drawn once per path they took</summary><div class="diagrams">
${paths
  .map(({ path, members }) =>
    renderDiagram(
      traces,
      svgs,
      (members[0] as (typeof members)[number]).id,
      'incident',
      `${members.length} incident(s): ${members
        .slice(0, 20)
        .map((i) => `${i.id} (${i.service})`)
        .join(', ')}${members.length > 20 ? ', …' : ''}: ${path}`,
    ),
  )
  .join('\n')}
</div></details>`
    : ''
}
</section>`,
    `<section id="incidents"><h2>All incidents</h2>${table(
      ['incident', 'type', 'service', 'severity', 'state', 'fired', 'milestones (sim minute)'],
      incidentRows(result, minute),
      ' data-incidents',
    )}</section>`,
    `<section id="alert-groups"><h2>Alert groups</h2><p>${result.intake.alerts.posted} alerts posted (${result.intake.alerts.distinct} distinct) grouped by [${escapeHtml(result.intake.groupBy.join(', '))}] into ${result.intake.incidents} incidents.</p>${table(
      ['group', 'incident', 'alerts', 'alertnames', 'first – last (sim minute)'],
      result.incidents.map((i) => [
        labelsOf(i.labels),
        escapeHtml(i.id),
        String(i.alerts),
        escapeHtml(i.alertnames.join(', ')),
        `${i.startsAt} – ${i.endsAt}`,
      ]),
      ' data-alert-groups',
    )}${
      result.intake.tickets.length > 0
        ? `<h3>Tickets</h3>${table(
            ['ticket', 'minute', 'title', 'severity', 'queue', 'linked to'],
            result.intake.tickets.map((t) => [
              escapeHtml(t.id),
              String(t.at),
              escapeHtml(t.title),
              `${escapeHtml(t.severity)} (${escapeHtml(t.because)})`,
              escapeHtml(t.queue),
              escapeHtml(t.incident ?? '–'),
            ]),
          )}`
        : ''
    }</section>`,
    `<section id="trace"><details><summary>Trace: ${result.trace.length} transitions</summary>${table(
      ['#', 'minute', 'actor', 'from', 'event', 'to'],
      result.trace.map((e) => [
        String(e.seq),
        String(e.t),
        escapeHtml(e.actor),
        escapeHtml(e.from ?? '(start)'),
        `<code>${escapeHtml(e.event)}</code>`,
        escapeHtml(e.to),
      ]),
    )}</details></section>`,
    `<footer><p style="color:#475569;font-size:12px;padding:0 28px">Written by <code>runbook report</code> from scenario ${escapeHtml(scenario.name)}; every number comes from the shift's result, trace and gate. Plots: uPlot; diagrams: Graphviz, zoomed with Panzoom.</p></footer>`,
    '</main>',
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src ${code.map(hashOf).join(' ')}">
<title>Shift report: ${escapeHtml(result.scenario)}</title>
<style>${REPORT_CSS}
${libraryAsset('uplot/dist/uPlot.min.css')}
${ownAsset('inspector', 'page', 'diagram.css')}</style>
</head>
<body>
${body.join('\n')}
<script type="application/json" id="plot-data">${data}</script>
${code.map((script) => `<script>${script}</script>`).join('\n')}
</body>
</html>
`;
}
