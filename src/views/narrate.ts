import type { IncidentResult, ShiftResult } from '../world/drill.js';
import type { GateReport } from './gate.js';

/**
 * Tells a finished shift as the story of sections A-G, each labelled with its stage and, when the
 * scenario names them (`owners:`), the module that owns it. Every number comes from the result and the trace; nothing here computes the story.
 */

/** What a number that was never measured reads as (never `n/a` or `undefined`). */
const NONE = 'none';
const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? NONE : `${(x * 100).toFixed(1)}%`;
const times = (x: number | null | undefined) =>
  x === null || x === undefined ? NONE : `${Number(x.toFixed(2))}x`;
const min = (x: number | null | undefined) => (x === null || x === undefined ? NONE : `${x} min`);

/** The stage owner labels a scenario gives (the stock story's M31...); none by default. */
export type StageOwners = Partial<Record<string, string>>;

function section(letter: string, stage: string, owners: StageOwners, lines: string[]): string {
  const owner = owners[stage] ?? '';
  const head = `${letter}  ${stage.padEnd(9)} ${owner ? `${owner.padEnd(9)} ` : ''}`;
  const pad = ' '.repeat(head.length);
  return lines.map((line, i) => (i === 0 ? head : pad) + line).join('\n');
}

/** A further typed incident of the shift (the stale-index outage, say), told stage by stage. */
function otherIncident(incident: IncidentResult, owners: StageOwners): string {
  const m = incident.milestones;
  const d = incident.detection;
  const detect = d
    ? `${d.firing.join(', ') || 'no pair'} (1h ${times(d.burn?.['1h'])}, 5m ${times(d.burn?.['5m'])}; SLI ${pct(d.sli)}) at minute ${m.detected}: ${m.paged !== undefined ? 'paged' : 'ticketed'} ${incident.severity}`
    : 'no burn: back to watching';
  const plays = incident.plays.map(
    (p) =>
      `play ${p.step + 1} ${p.play} (try ${p.attempt}): ${p.outcome}: ${p.detail}` +
      (p.outcome === 'recovered' ? `; SLI ${pct(p.sliBefore)} -> ${pct(p.sliAfter)}` : ''),
  );
  const learn = incident.learn
    ? `${incident.learn.accepted ? 'blameless postmortem published' : 'postmortem sent back'}; regression cases: ${incident.learn.regressionCases.map((c) => c.id).join(', ') || 'none'}`
    : 'no postmortem';
  const end = `${incident.ship ? `${incident.ship.candidate ?? 'no fix'} (${incident.ship.verdict}); ` : ''}${incident.state}${
    incident.escalation
      ? ` (${incident.escalation})`
      : m.resolved !== undefined
        ? ` at minute ${m.resolved}`
        : ''
  }`;
  return [
    `+  ${incident.id} ${incident.type} on ${incident.service}, opened at minute ${m.opened} by ${incident.alertnames.join(', ')}`,
    section(' ', 'detect', owners, [detect]),
    section(' ', 'mitigate', owners, plays.length ? plays : ['no play ran']),
    section(' ', 'learn', owners, [learn]),
    section(' ', 'ship', owners, [end]),
  ].join('\n');
}

export function narrate(result: ShiftResult, report: GateReport, owners: StageOwners = {}): string {
  const out: string[] = [];
  const { intake, detect, mitigate, learn, ship, milestones } = result;
  out.push(
    `runbook-machines: shift "${result.scenario}", sim minutes ${result.minutes.start}-${result.minutes.end}`,
    '',
  );

  const groups = result.incidents
    .map((i) => `${i.id} ${Object.values(i.labels).join('/')} (${i.alerts})`)
    .join(', ');
  const a = [
    `${intake.alerts.posted} alerts posted (${intake.alerts.distinct} distinct) -> ${intake.incidents} incidents by [${intake.groupBy.join(', ')}]`,
    groups,
  ];
  for (const t of intake.tickets) {
    a.push(
      `ticket ${t.id} "${t.title}": ${t.severity} (${t.because}) -> ${t.queue}, linked to ${t.incident ?? 'no incident'}`,
    );
  }
  out.push(section('A', 'intake', owners, a));
  // A deploy the canary turned away never went live: say so, with the scores it was turned away on.
  for (const r of result.rejectedDeploys ?? []) {
    out.push(
      section(' ', 'deploy', owners, [
        `${r.release} at minute ${r.at}: rejected by the canary (${r.candidate.correct}/${r.candidate.total} vs live ${r.baseline.release} ${r.baseline.correct}/${r.baseline.total}); live stays ${r.baseline.release}`,
        ...r.checks.map((c) => `${c.ok ? 'ok' : 'FAIL'} ${c.detail}`),
      ]),
    );
  }

  if (detect) {
    const onsetRelease = result.releases
      .filter((r) => milestones.onset !== null && r.at <= milestones.onset)
      .at(-1);
    out.push(
      section('B', 'detect', owners, [
        detect.sli === null
          ? `live ${result.live}: its SLI was never sampled against the ${pct(detect.objective)} SLO`
          : `${onsetRelease ? `${onsetRelease.release} live since minute ${onsetRelease.at}` : 'live release'}: SLI ${pct(detect.sli)} against a ${pct(detect.objective)} SLO`,
        detect.sli === null || detect.burnRate === null
          ? `no burn measured: ${detect.incident} was opened by its alerts, its SLI never sampled`
          : `burn rate (1 - ${detect.sli.toFixed(2)}) / (1 - ${detect.objective}) = ${times(detect.burnRate)}`,
      ]),
    );
    const burn = detect.burn;
    out.push(
      section('C', 'page', owners, [
        detect.pagedAt !== null
          ? `${detect.firing.join(', ')} fired (1h ${times(burn?.['1h'])}, 5m ${times(burn?.['5m'])}) at minute ${detect.pagedAt}, ${milestones.mttd} min after onset: ${detect.incident} paged ${detect.severity}`
          : `no page pair fired: ${detect.firing.join(', ') || 'nothing fired'}; ${detect.incident} is ${detect.severity ?? 'unrated'}`,
      ]),
    );
  }
  if (mitigate) {
    const lines = mitigate.plays.map(
      (p) =>
        `play ${p.step + 1} ${p.play} (try ${p.attempt}, minute ${p.startedAt}): ${p.outcome}: ${p.detail}` +
        (p.outcome === 'recovered' ? `; SLI ${pct(p.sliBefore)} -> ${pct(p.sliAfter)}` : ''),
    );
    if (mitigate.play)
      lines.push(`mitigated at minute ${milestones.mitigated}: live ${mitigate.from} -> ${mitigate.to}`);
    out.push(section('D', 'mitigate', owners, lines.length ? lines : ['no play ran']));
  }
  if (learn) {
    out.push(
      section('E', 'learn', owners, [
        learn.accepted
          ? 'blameless postmortem published (Google template)'
          : `postmortem sent back: ${learn.findings.map((f) => `${f.field} names ${f.person}`).join('; ')}`,
        `regression case(s) ${learn.regressionCases.map((c) => c.id).join(', ') || 'none'} -> eval set now ${result.evalSet.length} cases`,
      ]),
    );
  }
  if (ship) {
    out.push(
      section('F', 'ship', owners, [
        ship.candidate
          ? `${ship.candidate} canaried: ${ship.checks.map((c) => `${c.ok ? 'ok' : 'FAIL'} ${c.detail}`).join('; ')}`
          : 'no fix',
        `verdict ${ship.verdict}; live ${result.live}`,
      ]),
    );
  }
  const others = result.incidents.filter((i) => i.type !== '' && i.id !== result.primary);
  if (others.length > 0)
    out.push('', 'also in this shift:', ...others.map((i) => otherIncident(i, owners)), '');
  const g = [
    `MTTD ${min(milestones.mttd)}, MTTM ${min(milestones.mttm)}, MTTR ${min(milestones.mttr)} (from onset at minute ${milestones.onset ?? NONE})`,
    `gate ${report.passed}/${report.total}`,
  ];
  out.push(section('G', 'verify', owners, g), '', gateTable(report));
  return `${out.join('\n')}\n`;
}

export function gateTable(report: GateReport): string {
  return [`gate: ${report.passed}/${report.total}`, ...gateRows(report)].join('\n');
}

/** Each check's line of the gate's table, in order. */
export function gateRows(report: GateReport): string[] {
  // The stock checks' widths, wider for a scenario's own longer names; no owner column when none has one.
  const idWidth = Math.max(12, ...report.checks.map((c) => c.id.length));
  const ownerWidth = Math.max(9, ...report.checks.map((c) => c.owner.length));
  const owned = report.checks.some((c) => c.owner !== '');
  return report.checks.map(
    (c) =>
      `${c.ok ? 'PASS' : 'FAIL'}  ${c.id.padEnd(idWidth)} ${owned ? `${c.owner.padEnd(ownerWidth)} ` : ''}${c.detail}`,
  );
}
