import type { ReleaseRecord } from '../../machines/release.js';
import type { TraceEntry } from '../engine/trace.js';
import type { IncidentResult, ShiftResult } from '../world/result.js';
import type { GateReport } from './gate.js';

/**
 * What a replay under changed settings did differently from the run replayed under its own: per
 * incident, the first transition that differs and what followed on either side; then the shift's
 * counts and times, before and after. Read off the two results and their traces, nothing recomputed.
 */

export interface Step {
  t: number;
  from: string | null;
  event: string;
  to: string;
}

export interface IncidentDiff {
  /** The incident, or `release` for the release actor. */
  id: string;
  /** The first transition that is not the same on both sides (null: the same incident, step by step). */
  first: { minute: number; before: Step | null; after: Step | null } | null;
  /** What followed the first difference on each side (the differing step included). */
  before: Step[];
  after: Step[];
  state: { before: string | null; after: string | null };
  times: { before: Times; after: Times };
}

/** Minutes from onset (or from the page, for MTTA) as incident tools report them. */
export interface Times {
  mttd: number | null;
  mtta: number | null;
  mttm: number | null;
  mttr: number | null;
}

export interface Totals {
  incidents: number;
  pages: number;
  tickets: number;
  escalations: number;
  plays: number;
  promoted: string[];
  rejected: string[];
  live: string;
  /** The primary incident's times, as the gate reads them. */
  times: Times;
}

export interface ReplayDiff {
  /** Whether both results are the same, byte for byte. */
  same: boolean;
  incidents: IncidentDiff[];
  totals: { before: Totals; after: Totals };
  plays: { before: string[]; after: string[] };
  releases: { before: ReleaseRecord[]; after: ReleaseRecord[] };
  gate: { before: GateSummary; after: GateSummary } | null;
  /** Escalations the on-call policy owed while pages waited (live runs; a drill has no policy). */
  notified: { before: number; after: number } | null;
}

export interface GateSummary {
  passed: number;
  total: number;
  failing: { id: string; detail: string }[];
}

const stepOf = ({ t, from, event, to }: TraceEntry): Step => ({ t, from, event, to });
const sameStep = (a: Step, b: Step) =>
  a.t === b.t && a.from === b.from && a.event === b.event && a.to === b.to;

function stepsOf(trace: readonly TraceEntry[], actor: string): Step[] {
  return trace.filter((e) => e.actor === actor).map(stepOf);
}

const since = (from: number | null | undefined, to: number | null | undefined) =>
  from === null || from === undefined || to === null || to === undefined ? null : to - from;

export function timesOf(incident: IncidentResult | undefined): Times {
  const m = incident?.milestones;
  const onset = m?.onset ?? m?.opened;
  return {
    mttd: since(onset, m?.detected),
    mtta: since(m?.paged ?? m?.detected, m?.acknowledged),
    mttm: since(onset, m?.mitigated),
    mttr: since(onset, m?.resolved),
  };
}

function incidentDiff(id: string, before: ShiftResult, after: ShiftResult): IncidentDiff {
  const a = stepsOf(before.trace, id);
  const b = stepsOf(after.trace, id);
  let i = 0;
  while (i < a.length && i < b.length && sameStep(a[i] as Step, b[i] as Step)) i++;
  const differs = i < a.length || i < b.length;
  const x = a[i] ?? null;
  const y = b[i] ?? null;
  const was = before.incidents.find((inc) => inc.id === id);
  const is = after.incidents.find((inc) => inc.id === id);
  return {
    id,
    first: differs ? { minute: Math.min(x?.t ?? Infinity, y?.t ?? Infinity), before: x, after: y } : null,
    before: differs ? a.slice(i) : [],
    after: differs ? b.slice(i) : [],
    state: { before: was?.state ?? null, after: is?.state ?? null },
    times: { before: timesOf(was), after: timesOf(is) },
  };
}

const reached = (trace: readonly TraceEntry[], state: string) =>
  new Set(trace.filter((e) => e.actor.startsWith('INC-') && e.to === state).map((e) => e.actor)).size;

/** Releases the canary promoted, in order (the release history names them). */
const promoted = (result: ShiftResult) =>
  result.releases.filter((r) => r.via === 'canary').map((r) => r.release);

/** Candidates the canary rejected: an incident's fix by name, a timeline deploy by the release actor's trace. */
function rejected(result: ShiftResult): string[] {
  const fixes = result.incidents.flatMap((i) =>
    i.ship?.candidate && i.ship.verdict === 'reject' ? [i.ship.candidate] : [],
  );
  const all = result.trace.filter((e) => e.actor === 'release' && e.to === 'rejected').length;
  return [...fixes, ...Array.from({ length: Math.max(0, all - fixes.length) }, () => '(a timeline deploy)')];
}

function totals(result: ShiftResult): Totals {
  return {
    incidents: result.incidents.length,
    pages: reached(result.trace, 'page'),
    tickets: reached(result.trace, 'ticket'),
    escalations: reached(result.trace, 'escalated'),
    plays: result.incidents.reduce((n, i) => n + i.plays.length, 0),
    promoted: promoted(result),
    rejected: rejected(result),
    live: result.live,
    times: timesOf(result.incidents.find((i) => i.id === result.primary)),
  };
}

const playsOf = (result: ShiftResult) =>
  result.incidents.flatMap((i) =>
    i.plays.map((p) => `${i.id} ${p.play} (step ${p.step + 1}, try ${p.attempt}): ${p.outcome}`),
  );

function gateSummary(report: GateReport): GateSummary {
  return {
    passed: report.passed,
    total: report.total,
    failing: report.checks.filter((c) => !c.ok).map((c) => ({ id: c.id, detail: c.detail })),
  };
}

export function replayDiff(
  before: ShiftResult,
  after: ShiftResult,
  gates: { before: GateReport; after: GateReport } | null = null,
  notified: ReplayDiff['notified'] = null,
): ReplayDiff {
  const ids = [...new Set([...before.incidents, ...after.incidents].map((i) => i.id))].sort(
    (p, q) => Number(p.slice(4)) - Number(q.slice(4)),
  );
  // The release actor too: a canary that decides otherwise is a transition of its own.
  ids.push('release');
  return {
    same: JSON.stringify(before) === JSON.stringify(after),
    incidents: ids.map((id) => incidentDiff(id, before, after)).filter((d) => d.first !== null),
    totals: { before: totals(before), after: totals(after) },
    plays: { before: playsOf(before), after: playsOf(after) },
    releases: { before: before.releases, after: after.releases },
    gate: gates ? { before: gateSummary(gates.before), after: gateSummary(gates.after) } : null,
    notified,
  };
}

const stepText = (s: Step | null) =>
  s === null ? '(nothing)' : `min ${s.t}: ${s.from ?? '(start)'} --${s.event}--> ${s.to}`;
const num = (n: number | null) => (n === null ? 'n/a' : `${n} min`);

/** The diff as people read it. */
export function diffText(diff: ReplayDiff): string {
  if (diff.same)
    return 'No difference: the replay under the new settings is the recorded run, byte for byte.\n';
  const lines: string[] = [];
  for (const d of diff.incidents) {
    const first = d.first as NonNullable<IncidentDiff['first']>;
    lines.push(`${d.id}: first differs at minute ${first.minute}`);
    lines.push(`  before: ${stepText(first.before)}`);
    lines.push(`  after:  ${stepText(first.after)}`);
    const rest = (steps: Step[]) =>
      steps
        .slice(1)
        .map((s) => `${s.to}@${s.t}`)
        .join(' -> ') || '(no more)';
    lines.push(`  then before: ${rest(d.before)}`);
    lines.push(`  then after:  ${rest(d.after)}`);
    if (d.state.before !== null || d.state.after !== null)
      lines.push(`  state: ${d.state.before ?? '(none)'} -> ${d.state.after ?? '(none)'}`);
    for (const key of ['mttd', 'mtta', 'mttm', 'mttr'] as const) {
      if (d.times.before[key] !== d.times.after[key])
        lines.push(`  ${key.toUpperCase()}: ${num(d.times.before[key])} -> ${num(d.times.after[key])}`);
    }
  }
  if (diff.incidents.length === 0) lines.push('Every incident went through the same transitions.');
  const { before, after } = diff.totals;
  lines.push('', 'shift                 before        after');
  const row = (name: string, x: string | number, y: string | number) =>
    lines.push(`${name.padEnd(20)}  ${String(x).padEnd(12)}  ${String(y)}`);
  row('incidents', before.incidents, after.incidents);
  row('pages', before.pages, after.pages);
  row('tickets', before.tickets, after.tickets);
  row('escalations', before.escalations, after.escalations);
  if (diff.notified) row('escalation notices', diff.notified.before, diff.notified.after);
  row('plays run', before.plays, after.plays);
  for (const key of ['mttd', 'mtta', 'mttm', 'mttr'] as const)
    row(`${key.toUpperCase()} (primary)`, num(before.times[key]), num(after.times[key]));
  row('promoted', before.promoted.join(', ') || '-', after.promoted.join(', ') || '-');
  row('rejected', before.rejected.join(', ') || '-', after.rejected.join(', ') || '-');
  row('live at the end', before.live, after.live);
  if (diff.gate) {
    const g = (s: GateSummary) => `${s.passed}/${s.total}`;
    row('gate', g(diff.gate.before), g(diff.gate.after));
    for (const f of diff.gate.after.failing) {
      if (!diff.gate.before.failing.some((b) => b.id === f.id))
        lines.push(`  now fails: ${f.id}: ${f.detail}`);
    }
    for (const f of diff.gate.before.failing) {
      if (!diff.gate.after.failing.some((a) => a.id === f.id)) lines.push(`  now passes: ${f.id}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
