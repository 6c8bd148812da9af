import type { TraceEntry } from '../engine/trace.js';
import type { IncidentResult, ShiftResult } from '../world/drill.js';
import type { GateReport } from './gate.js';
import { renderMarkdown } from './markdown.js';
import type { ReleaseStep } from './timeline.js';

/**
 * The pieces of the shift report's HTML: tables and per-incident sections. Every text that comes
 * from the shift is escaped here; the only markup is the report's own and markdown-it's.
 */

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const num = (x: number | null | undefined) => (x === null || x === undefined ? '–' : String(x));
const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)}%`;

/** `4364 (11-28 00:44Z)`: a sim minute and its wall-clock time on the scenario's epoch. */
export type MinuteLabel = (t: number | undefined | null) => string;

export function table(head: string[], rows: string[][], attrs = ''): string {
  return `<div class="scroll"><table${attrs}><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('\n')}</tbody></table></div>`;
}

export function gateTableHtml(gate: GateReport): string {
  return table(
    ['', 'check', 'owner', 'detail'],
    gate.checks.map((c) => [
      `<span class="${c.ok ? 'pass' : 'fail'}">${c.ok ? 'PASS' : 'FAIL'}</span>`,
      escapeHtml(c.id),
      escapeHtml(c.owner),
      escapeHtml(c.detail),
    ]),
    ' data-gate',
  ).replace(/<tr><td><span class="(pass|fail)">/g, '<tr data-check class="$1"><td><span class="$1">');
}

export const labelsOf = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `<code>${escapeHtml(k)}=${escapeHtml(v)}</code>`)
    .join(' ');

export function pathOf(trace: readonly TraceEntry[], actor: string): string {
  return trace
    .filter((e) => e.actor === actor)
    .map((e) => e.to)
    .join(' → ');
}

/** Minutes from the onset to a milestone: time to detect, to mitigate, to resolve. */
export function timesOf(incident: IncidentResult) {
  const { onset, detected, mitigated, resolved } = incident.milestones;
  const since = (t: number | undefined) => (onset === undefined || t === undefined ? null : t - onset);
  return { mttd: since(detected), mttm: since(mitigated), mttr: since(resolved) };
}

export function timesTable(incidents: readonly IncidentResult[]): string {
  return table(
    ['incident', 'type', 'ended', 'MTTD', 'MTTM', 'MTTR'],
    incidents.map((i) => {
      const times = timesOf(i);
      return [
        `<a href="#incident-${escapeHtml(i.id)}">${escapeHtml(i.id)}</a>`,
        escapeHtml(i.type),
        escapeHtml(i.state),
        `${num(times.mttd)} min`,
        `${num(times.mttm)} min`,
        `${num(times.mttr)} min`,
      ];
    }),
    ' data-times',
  );
}

export function incidentRows(result: ShiftResult, minute: MinuteLabel) {
  return result.incidents.map((i: IncidentResult) => [
    `<a href="#${i.type ? 'incident' : 'actor'}-${escapeHtml(i.id)}">${escapeHtml(i.id)}</a>`,
    escapeHtml(i.type || '(no type)'),
    escapeHtml(i.service),
    escapeHtml(i.severity ?? '–'),
    `<b>${escapeHtml(i.state)}</b>${i.escalation ? `<br>${escapeHtml(i.escalation)}` : ''}`,
    escapeHtml(i.detection?.firing.join(', ') || '–'),
    milestoneLines(i, minute).join('<br>') || '–',
  ]);
}

function milestoneLines(i: IncidentResult, minute: MinuteLabel): string[] {
  const m = i.milestones;
  return (
    [
      ['onset', m.onset],
      ['opened', m.opened],
      ['detected', m.detected],
      ['paged', m.paged],
      ['acknowledged', m.acknowledged],
      ['mitigated', m.mitigated],
      ['resolved', m.resolved],
      ['escalated', m.escalated],
    ] as const
  )
    .filter(([, t]) => t !== undefined)
    .map(([k, t]) => `${k} ${minute(t)}`);
}

const verdictCell = (step: ReleaseStep) => {
  if (step.kind === 'promoted') return '<span class="pass">promoted</span>';
  if (step.kind === 'rejected') return '<span class="fail">rejected</span>';
  return escapeHtml(step.kind === 'rollback' ? 'rolled back' : 'initial');
};

const scoreOf = (step: ReleaseStep) => {
  const r = step.report;
  if (!r) return '–';
  return `${escapeHtml(r.candidate.release)} ${pct(r.candidate.quality)} vs live ${escapeHtml(r.baseline.release)} ${pct(r.baseline.quality)}${r.regressionIds.length > 0 ? ` (${r.regressionIds.length} regression case${r.regressionIds.length > 1 ? 's' : ''})` : ''}`;
};

/** Every release step: deploys through the canary with their verdicts and checks, rollbacks. */
export function timelineTable(steps: readonly ReleaseStep[], minute: MinuteLabel): string {
  return table(
    ['minute', 'release', 'verdict', 'by', 'eval scores', 'checks', 'live after'],
    steps.map((step) => [
      minute(step.at),
      `<b>${escapeHtml(step.release)}</b>`,
      verdictCell(step),
      escapeHtml(step.by),
      scoreOf(step),
      step.checks
        .map(
          (c) =>
            `<span class="${c.ok ? 'pass' : 'fail'}">${c.ok ? 'ok' : 'FAILED'}</span> ${escapeHtml(c.name)}: ${escapeHtml(c.detail)}`,
        )
        .join('<br>') || '–',
      escapeHtml(step.live),
    ]),
    ' data-release-timeline',
  ).replace(/<tr><td>/g, '<tr data-release-step><td>');
}

/** One typed incident: what happened, when, the plot, the plays, the fix, its chart and postmortem. */
export function incidentSection(
  incident: IncidentResult,
  minute: MinuteLabel,
  parts: { plot: string; diagram: string },
): string {
  const id = escapeHtml(incident.id);
  const times = timesOf(incident);
  const ship = incident.ship;
  const learn = incident.learn;
  const plays = table(
    ['step', 'play', 'try', 'started', 'outcome', 'SLI before → after', 'detail'],
    incident.plays.map((p) => [
      String(p.step + 1),
      escapeHtml(p.play),
      String(p.attempt),
      minute(p.startedAt),
      `<b>${escapeHtml(p.outcome)}</b>`,
      `${pct(p.sliBefore)} → ${pct(p.sliAfter)}`,
      escapeHtml(p.detail),
    ]),
    ' data-plays',
  );
  return `<section id="incident-${id}" class="incident" data-incident="${id}">
<h2>${id}: ${escapeHtml(incident.type)} on ${escapeHtml(incident.service)} <small>${escapeHtml(incident.state)}${incident.severity ? `, ${escapeHtml(incident.severity)}` : ''}</small></h2>
${incident.escalation ? `<p class="fail">Escalated: ${escapeHtml(incident.escalation)}</p>` : ''}
<div class="cards" data-incident-times>
<div class="card"><span>MTTD</span><b>${num(times.mttd)} min</b></div>
<div class="card"><span>MTTM</span><b>${num(times.mttm)} min</b></div>
<div class="card"><span>MTTR</span><b>${num(times.mttr)} min</b></div>
<div class="card"><span>fired</span><b class="small">${escapeHtml(incident.detection?.firing.join(', ') || 'none')}</b></div>
</div>
<h3>Milestones</h3>
<ul class="milestones">${milestoneLines(incident, minute)
    .map((line) => `<li>${line}</li>`)
    .join('')}</ul>
${parts.plot}
<h3>Plays</h3>
${incident.plays.length > 0 ? plays : '<p>No play ran.</p>'}
<h3>Fix</h3>
<p>${ship ? `${escapeHtml(ship.candidate ?? 'no candidate')}: <span class="${ship.verdict === 'promote' ? 'pass' : 'fail'}">${escapeHtml(ship.verdict)}</span>${ship.reasons.length > 0 ? ` – ${escapeHtml(ship.reasons.join('; '))}` : ''}` : 'Not shipped.'}</p>
${parts.diagram}
<section class="postmortem" data-postmortem="${id}">
<h3>Postmortem${learn ? ` (${learn.accepted ? 'published' : 'sent back'})` : ''}</h3>
${learn?.markdown ? renderMarkdown(learn.markdown, 3) : '<p>No postmortem was written.</p>'}
</section>
</section>`;
}
