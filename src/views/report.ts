import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../cli/paths.js';
import type { TraceEntry } from '../engine/trace.js';
import { minuteToTimestamp } from '../toolkit/alerts.js';
import type { IncidentResult, ShiftResult } from '../world/drill.js';
import type { Scenario } from '../world/scenario.js';
import { chart, type MachineName, markSvg, marksOf, toSvg } from './export.js';
import type { GateReport } from './gate.js';

/**
 * The shift report: one self-contained HTML file (inline SVG and CSS, no script, nothing fetched)
 * that shows a finished shift: the statecharts with what each actor did marked on them, the SLI and
 * burn over sim time with the page, rollback and promotion marked, the incidents and their alert
 * groups, the postmortem and the gate. Everything comes from the result, the trace and the gate;
 * nothing reads the wall clock, so the same scenario gives the same bytes.
 */

export interface ReportInput {
  scenario: Scenario;
  result: ShiftResult;
  gate: GateReport;
}

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const pct = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined ? 'n/a' : `${(x * 100).toFixed(digits)}%`;
const num = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : String(x));

// ------------------------------------------------------------------------------------ markdown

function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>');
}

const cells = (row: string) =>
  row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());

/**
 * Markdown as postmortems use it (headings, paragraphs, lists, pipe tables, bold, code), rendered
 * simply; every piece of text is escaped first, so no markup in a postmortem reaches the page.
 * Headings move down `shift` levels to sit under the report's own.
 */
export function markdownToHtml(md: string, shift = 2): string {
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let paragraph: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;
  const flush = () => {
    if (paragraph.length > 0) out.push(`<p>${inline(paragraph.join(' '))}</p>`);
    paragraph = [];
    if (list) {
      const tag = list.ordered ? 'ol' : 'ul';
      out.push(`<${tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join('')}</${tag}>`);
    }
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    const next = lines[i + 1] ?? '';
    if (line.trim() === '') {
      flush();
    } else if (heading) {
      flush();
      const level = Math.min(6, (heading[1] ?? '#').length + shift);
      out.push(`<h${level}>${inline(heading[2] ?? '')}</h${level}>`);
    } else if (line.trim().startsWith('|') && /^\s*\|?\s*:?-{3,}/.test(next)) {
      flush();
      const head = cells(line);
      const rows: string[][] = [];
      i += 2;
      while (i < lines.length && (lines[i] ?? '').trim().startsWith('|')) rows.push(cells(lines[i++] ?? ''));
      i--;
      out.push(
        `<table><thead><tr>${head.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${rows
          .map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`,
      );
    } else if (bullet || numbered) {
      const ordered = numbered !== null && bullet === null;
      if (paragraph.length > 0 || (list && list.ordered !== ordered)) flush();
      list ??= { ordered, items: [] };
      list.items.push((bullet?.[1] ?? numbered?.[1] ?? '').trim());
    } else {
      if (list) flush();
      paragraph.push(line.trim());
    }
  }
  flush();
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------- plot

export interface PlotMarker {
  kind: 'onset' | 'promote' | 'rollback' | 'page' | 'detected' | 'mitigated' | 'resolved';
  t: number;
  label: string;
}

/** The moments the plot marks: from the milestones and the release history, never recomputed. */
export function plotMarkers(result: ShiftResult): PlotMarker[] {
  const points = result.series.points;
  const first = points[0]?.t ?? result.minutes.start;
  const last = points[points.length - 1]?.t ?? result.minutes.end;
  const m = result.milestones;
  const markers: PlotMarker[] = [];
  if (m.onset !== null) markers.push({ kind: 'onset', t: m.onset, label: 'onset' });
  for (const r of result.releases) {
    if (r.via === 'canary') markers.push({ kind: 'promote', t: r.at, label: `promote ${r.release}` });
    if (r.via === 'rollback') markers.push({ kind: 'rollback', t: r.at, label: `rollback to ${r.release}` });
  }
  if (m.paged !== null) {
    markers.push({ kind: 'page', t: m.paged, label: `page ${result.detect?.severity ?? ''}`.trim() });
  } else if (m.detected !== null) {
    markers.push({ kind: 'detected', t: m.detected, label: 'detected' });
  }
  if (m.mitigated !== null) {
    const play = result.mitigate?.play;
    markers.push({ kind: 'mitigated', t: m.mitigated, label: play ? `mitigated (${play})` : 'mitigated' });
  }
  if (m.resolved !== null) markers.push({ kind: 'resolved', t: m.resolved, label: 'resolved' });
  return markers.filter((k) => k.t >= first && k.t <= last).sort((a, b) => a.t - b.t);
}

const MARKER_COLOURS: Record<PlotMarker['kind'], string> = {
  onset: '#64748b',
  promote: '#15803d',
  rollback: '#7c3aed',
  page: '#dc2626',
  detected: '#ea580c',
  mitigated: '#2563eb',
  resolved: '#0f766e',
};

/** A step that gives about `count` ticks over `span`: 1, 2, 5 times a power of ten. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  for (const f of [1, 2, 5, 10]) if (f * power >= raw) return f * power;
  return 10 * power;
}

const fixed = (x: number) => Number(x.toFixed(1)).toString();

/**
 * Rows for the marker labels: each label goes right of its line (left of it near the right edge),
 * on the first row where it overlaps no label already placed.
 */
function placeLabels(markers: PlotMarker[], x: (t: number) => number, width: number) {
  const rows: [number, number][][] = [];
  return markers.map((marker) => {
    const px = x(marker.t);
    const text = `${marker.label} (${marker.t})`;
    const span = text.length * 6.2 + 8;
    const anchorEnd = px + span > width - 4;
    const [from, to] = anchorEnd ? [px - span, px] : [px, px + span];
    let row = rows.findIndex((taken) => taken.every(([a, b]) => to <= a || from >= b));
    if (row < 0) row = rows.push([]) - 1;
    rows[row]?.push([from, to]);
    return { marker, px, text, row, anchorEnd };
  });
}

/**
 * SLI (top) and burn rate over the fast pair's windows (bottom) against sim minutes, as inline SVG,
 * with the objective and the page threshold as dashed lines and the shift's moments as markers.
 */
export function plotSvg(result: ShiftResult, scenario: Scenario): string {
  const points = result.series.points;
  const objective = result.detect?.objective ?? scenario.slos[result.series.sli].objective;
  const pagePair = scenario.alerting.policy.find((p) => p.severity === 'page' && p.long === '1h');
  const threshold = pagePair?.threshold ?? 14.4;
  const W = 960;
  const left = 64;
  const right = 24;
  const sliH = 170;
  const gap = 34;
  const burnH = 150;
  const bottom = 40;
  if (points.length === 0) {
    return `<svg data-plot="sli-burn" viewBox="0 0 ${W} 60" role="img" aria-label="no series"><text x="${left}" y="30">no SLI series in this shift</text></svg>`;
  }
  const t0 = points[0]?.t ?? 0;
  const t1 = Math.max(t0 + 1, points[points.length - 1]?.t ?? t0 + 1);
  const x = (t: number) => left + ((t - t0) / (t1 - t0)) * (W - left - right);
  const labels = placeLabels(plotMarkers(result), x, W);
  const top = 16 + Math.max(2, ...labels.map((l) => l.row + 1)) * 14;
  const H = top + sliH + gap + burnH + bottom;
  const sliMin = Math.min(objective, ...points.map((p) => p.sli));
  const sliLo = Math.max(0, Math.floor((sliMin - 0.02) * 20) / 20);
  const ySli = (v: number) => top + (1 - (v - sliLo) / (1 - sliLo || 1)) * sliH;
  const burnMax = Math.max(threshold, ...points.map((p) => Math.max(p.burn1h, p.burn5m))) * 1.1;
  const burnTop = top + sliH + gap;
  const yBurn = (v: number) => burnTop + (1 - v / burnMax) * burnH;
  const line = (cls: string, colour: string, y: (p: (typeof points)[number]) => number, width = 1.8) =>
    `<polyline class="${cls}" fill="none" stroke="${colour}" stroke-width="${width}" points="${points
      .map((p) => `${fixed(x(p.t))},${fixed(y(p))}`)
      .join(' ')}"/>`;

  const out: string[] = [
    `<svg data-plot="sli-burn" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(result.series.sli)} SLI and burn rate over sim minutes" font-family="Helvetica,Arial,sans-serif" font-size="11">`,
    `<rect x="${left}" y="${top}" width="${W - left - right}" height="${sliH}" fill="#f8fafc" stroke="#cbd5e1"/>`,
    `<rect x="${left}" y="${burnTop}" width="${W - left - right}" height="${burnH}" fill="#f8fafc" stroke="#cbd5e1"/>`,
  ];
  // Axes: minutes along the bottom, SLI % and burn x on the left of each panel.
  const xStep = niceStep(t1 - t0, 10);
  for (let t = Math.ceil(t0 / xStep) * xStep; t <= t1; t += xStep) {
    const px = fixed(x(t));
    out.push(
      `<line x1="${px}" x2="${px}" y1="${top}" y2="${burnTop + burnH}" stroke="#e2e8f0"/>`,
      `<text x="${px}" y="${burnTop + burnH + 16}" text-anchor="middle" fill="#475569">${t}</text>`,
    );
  }
  out.push(
    `<text x="${(left + W - right) / 2}" y="${H - 6}" text-anchor="middle" fill="#475569">sim minute</text>`,
  );
  const sliStep = niceStep(1 - sliLo, 4);
  for (let v = 1; v >= sliLo - 1e-9; v -= sliStep) {
    out.push(
      `<text x="${left - 6}" y="${fixed(ySli(v) + 4)}" text-anchor="end" fill="#475569">${(v * 100).toFixed(0)}%</text>`,
    );
  }
  const burnStep = niceStep(burnMax, 4);
  for (let v = 0; v <= burnMax; v += burnStep) {
    out.push(
      `<text x="${left - 6}" y="${fixed(yBurn(v) + 4)}" text-anchor="end" fill="#475569">${fixed(v)}x</text>`,
    );
  }
  out.push(
    `<text x="${left + 6}" y="${top + sliH - 8}" font-weight="bold" fill="#0f172a">${escapeHtml(result.series.sli)} SLI</text>`,
    `<text x="${left + 6}" y="${burnTop + 14}" font-weight="bold" fill="#0f172a">burn rate</text>`,
    `<line class="objective" x1="${left}" x2="${W - right}" y1="${fixed(ySli(objective))}" y2="${fixed(ySli(objective))}" stroke="#16a34a" stroke-dasharray="5 4"/>`,
    `<text x="${W - right - 4}" y="${fixed(ySli(objective) - 4)}" text-anchor="end" fill="#15803d">objective ${pct(objective)}</text>`,
    `<line class="threshold" x1="${left}" x2="${W - right}" y1="${fixed(yBurn(threshold))}" y2="${fixed(yBurn(threshold))}" stroke="#dc2626" stroke-dasharray="5 4"/>`,
    `<text x="${W - right - 4}" y="${fixed(yBurn(threshold) - 4)}" text-anchor="end" fill="#b91c1c">page ${threshold}x (1h and 5m)</text>`,
    line('sli', '#0f172a', (p) => ySli(p.sli), 2),
    line('burn1h', '#2563eb', (p) => yBurn(p.burn1h)),
    line('burn5m', '#f59e0b', (p) => yBurn(p.burn5m), 1.4),
  );
  // Markers: a line across both panels, its label on the first row where it overlaps no other.
  for (const { marker, px, text, row, anchorEnd } of labels) {
    const colour = MARKER_COLOURS[marker.kind];
    const ly = 14 + row * 14;
    out.push(
      `<g data-marker="${marker.kind}" data-t="${marker.t}">`,
      `<line x1="${fixed(px)}" x2="${fixed(px)}" y1="${ly + 3}" y2="${burnTop + burnH}" stroke="${colour}" stroke-width="1.2" stroke-dasharray="${marker.kind === 'onset' ? '2 3' : 'none'}"/>`,
      `<text x="${fixed(anchorEnd ? px - 3 : px + 3)}" y="${ly}"${anchorEnd ? ' text-anchor="end"' : ''} fill="${colour}">${escapeHtml(text)}</text>`,
      '</g>',
    );
  }
  // Legend below the plot, left, clear of the lines.
  const legend = [
    ['#0f172a', `${result.series.sli} SLI`],
    ['#2563eb', 'burn 1h'],
    ['#f59e0b', 'burn 5m'],
  ] as const;
  legend.forEach(([colour, label], i) => {
    const lx = left + i * 100;
    out.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${H - 10}" y2="${H - 10}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${lx + 22}" y="${H - 6}" fill="#334155">${escapeHtml(label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}

// -------------------------------------------------------------------------------------- tables

function table(head: string[], rows: string[][], attrs = ''): string {
  return `<table${attrs}><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('\n')}</tbody></table>`;
}

function gateTableHtml(gate: GateReport): string {
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

const labelsOf = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `<code>${escapeHtml(k)}=${escapeHtml(v)}</code>`)
    .join(' ');

/** Each actor's trace entries, in order: looked up once per diagram instead of filtering the whole trace. */
function traceByActor(trace: readonly TraceEntry[]): Map<string, TraceEntry[]> {
  const byActor = new Map<string, TraceEntry[]>();
  for (const entry of trace) {
    const entries = byActor.get(entry.actor);
    if (entries) entries.push(entry);
    else byActor.set(entry.actor, [entry]);
  }
  return byActor;
}

const pathOf = (entries: readonly TraceEntry[] = []) => entries.map((e) => e.to).join(' → ');

/**
 * Incidents no type matched, by the path they took: a storm opens thousands of them and nearly all
 * go watching -> detect -> watching, so each distinct path is drawn once, naming its incidents.
 */
function byPath(incidents: IncidentResult[], traces: Map<string, TraceEntry[]>) {
  const groups = new Map<string, IncidentResult[]>();
  for (const incident of incidents) {
    const path = pathOf(traces.get(incident.id));
    const group = groups.get(path);
    if (group) group.push(incident);
    else groups.set(path, [incident]);
  }
  return [...groups].map(([path, members]) => ({ path, members }));
}

function incidentRows(result: ShiftResult, minute: (t: number | undefined) => string) {
  return result.incidents.map((i: IncidentResult) => [
    `<a href="#actor-${escapeHtml(i.id)}">${escapeHtml(i.id)}</a>`,
    escapeHtml(i.type || '(no type)'),
    escapeHtml(i.service),
    escapeHtml(i.severity ?? '–'),
    `<b>${escapeHtml(i.state)}</b>${i.escalation ? `<br>${escapeHtml(i.escalation)}` : ''}`,
    escapeHtml(i.detection?.firing.join(', ') || '–'),
    [
      ['detected', i.milestones.detected],
      ['paged', i.milestones.paged],
      ['ack', i.milestones.acknowledged],
      ['mitigated', i.milestones.mitigated],
      ['resolved', i.milestones.resolved],
    ]
      .filter(([, t]) => t !== undefined)
      .map(([k, t]) => `${k} ${minute(t as number)}`)
      .join('<br>') || '–',
    i.plays
      .map(
        (p) => `${escapeHtml(p.play)} (try ${p.attempt}): ${escapeHtml(p.outcome)} – ${escapeHtml(p.detail)}`,
      )
      .join('<br>') || '–',
  ]);
}

// -------------------------------------------------------------------------------------- report

function readAsset(name: string): string {
  return readFileSync(join(packageRoot(), 'src', 'views', 'inspector', 'page', name), 'utf8');
}

const REPORT_CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #0f172a; margin: 0; background: #f1f5f9; }
header { background: #0f172a; color: #f8fafc; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #cbd5e1; }
main { max-width: 1180px; margin: 0 auto; padding: 12px 28px 48px; }
section { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 14px 18px; margin: 16px 0; }
h2 { font-size: 18px; margin: 0 0 10px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
h4, h5 { font-size: 14px; margin: 12px 0 4px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid #e2e8f0; }
th { background: #f8fafc; font-weight: 600; }
code { font: 12px ui-monospace, Menlo, Consolas, monospace; background: #f1f5f9; padding: 1px 4px; border-radius: 3px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid #e2e8f0; border-radius: 8px; padding: 8px 14px; min-width: 110px; background: #fff; }
.card b { display: block; font-size: 20px; }
.card span { color: #475569; font-size: 12px; }
.pass { color: #15803d; font-weight: 700; }
.fail { color: #b91c1c; font-weight: 700; }
tr.fail td { background: #fef2f2; }
.diagrams { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
.diagram { border: 1px solid #e2e8f0; border-radius: 8px; padding: 8px; margin: 0; flex: 2 1 560px; min-width: 0; }
.diagram[data-machine="release"] { flex: 1 1 300px; }
.diagram h3 { margin: 0 0 6px; }
.diagram p { margin: 0 0 6px; color: #475569; font-size: 12px; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
.legend i { display: inline-block; width: 14px; height: 10px; border-radius: 3px; margin-right: 4px; vertical-align: middle; border: 1.5px solid; }
.postmortem { max-width: 900px; }
svg[data-plot] { width: 100%; height: auto; display: block; }
details summary { cursor: pointer; font-weight: 600; }
`;

export async function renderReport({ scenario, result, gate }: ReportInput): Promise<string> {
  const minute = (t: number | undefined | null) =>
    t === undefined || t === null ? 'n/a' : `${t} (${minuteToTimestamp(t, scenario.epoch).slice(5, 16)}Z)`;
  const svgs: Record<MachineName, string> = {
    incident: await toSvg(chart('incident')),
    release: await toSvg(chart('release')),
  };
  const traces = traceByActor(result.trace);
  /** `also`: more actors that took the same path, each given an anchor here. */
  const diagram = (actor: string, machine: MachineName, note: string, also: string[] = []) => {
    const marks = marksOf(chart(machine), traces.get(actor) ?? []);
    const others = also.map((id) => `<span id="actor-${escapeHtml(id)}">${escapeHtml(id)}</span>`).join(', ');
    const title = also.length > 0 ? `${escapeHtml(actor)} and ${also.length} more` : escapeHtml(actor);
    return `<figure class="diagram" id="actor-${escapeHtml(actor)}" data-actor="${escapeHtml(actor)}" data-machine="${machine}" data-current-state="${escapeHtml(marks.current ?? '')}">
<h3>${title} <small>(${machine})</small>: ${escapeHtml(marks.current ?? 'not started')}</h3>
<p>${escapeHtml(note)}</p>${others ? `\n<p>Same path: ${others}</p>` : ''}
${markSvg(svgs[machine], marks)}
</figure>`;
  };
  const typed = result.incidents.filter((i) => i.type !== '');
  const untyped = result.incidents.filter((i) => i.type === '');
  const m = result.milestones;
  const passedAll = gate.passed === gate.total;

  const body = [
    `<header><h1>Shift report: ${escapeHtml(result.scenario)}</h1><p>sim minutes ${result.minutes.start}–${result.minutes.end} · ${result.incidents.length} incidents · ${result.trace.length} transitions · live ${escapeHtml(result.live)} · gate <span class="${passedAll ? 'pass' : 'fail'}">${gate.passed}/${gate.total}</span></p></header>`,
    '<main>',
    `<section><h2>At a glance</h2><div class="cards">
<div class="card"><span>gate</span><b class="${passedAll ? 'pass' : 'fail'}">${gate.passed}/${gate.total}</b></div>
<div class="card"><span>MTTD</span><b>${num(m.mttd)} min</b></div>
<div class="card"><span>MTTM</span><b>${num(m.mttm)} min</b></div>
<div class="card"><span>MTTR</span><b>${num(m.mttr)} min</b></div>
<div class="card"><span>burn at detection</span><b>${num(result.detect?.burnRate)}x</b></div>
<div class="card"><span>live at the end</span><b>${escapeHtml(result.live)}</b></div>
</div></section>`,
    `<section id="gate"><h2>Gate: ${gate.passed}/${gate.total}</h2>${gateTableHtml(gate)}</section>`,
    `<section id="plot"><h2>${escapeHtml(result.series.sli)} SLI and burn rate${result.primary ? ` (${escapeHtml(result.primary)})` : ''}</h2>${plotSvg(result, scenario)}</section>`,
    `<section id="diagrams"><h2>Statecharts: what each actor did</h2>
<p class="legend"><span><i style="background:#fde68a;border-color:#b45309"></i>where it ended</span><span><i style="background:#e0ecff;border-color:#2563eb"></i>visited</span><span><i style="background:#fff;border-color:#2563eb"></i>transition taken (blue)</span></p>
<div class="diagrams">
${diagram('release', 'release', result.releases.map((r) => `${r.release} (${r.via}, min ${r.at})`).join(' → '))}
${typed.map((i) => diagram(i.id, 'incident', `${i.type} on ${i.service}: ${pathOf(traces.get(i.id))}`)).join('\n')}
</div>
${
  untyped.length > 0
    ? `<details><summary>${untyped.length} incident(s) no type matched (looked at, no SLO burn): ${untyped.map((i) => escapeHtml(i.id)).join(', ')}</summary><div class="diagrams">
${byPath(untyped, traces)
  .map(({ path, members: [first, ...rest] }) =>
    first
      ? diagram(
          first.id,
          'incident',
          rest.length > 0 ? path : `${first.service}: ${path}`,
          rest.map((i) => i.id),
        )
      : '',
  )
  .join('\n')}
</div></details>`
    : ''
}
</section>`,
    `<section id="incidents"><h2>Incidents</h2>${table(
      ['incident', 'type', 'service', 'severity', 'state', 'fired', 'milestones (sim minute)', 'plays'],
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
    `<section id="postmortem" class="postmortem"><h2>Postmortem${result.learn ? ` (${escapeHtml(result.learn.incident)}, ${result.learn.accepted ? 'published' : 'sent back'})` : ''}</h2>${
      result.learn?.postmortem ? markdownToHtml(result.learn.postmortem) : '<p>No postmortem was written.</p>'
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
    `<footer><p style="color:#64748b;font-size:12px">Written by <code>runbook report</code> from scenario ${escapeHtml(scenario.name)}; every number comes from the shift's result, trace and gate.</p></footer>`,
    '</main>',
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Shift report: ${escapeHtml(result.scenario)}</title>
<style>${REPORT_CSS}
${readAsset('diagram.css')}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}
