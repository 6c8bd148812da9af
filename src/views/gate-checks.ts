import type { TraceEntry } from '../engine/trace.js';
import type { IncidentResult, ShiftResult } from '../world/drill.js';
import { checkName, type GateCheckSpec, MEAN_TIMES, type MeanTimeKind } from '../world/gate-schema.js';

/**
 * The gate's checks as data: each kind reads what the machines recorded (the result's incidents,
 * milestones, tickets, releases and budgets, and the trace's transitions) and says whether the
 * scenario's expectation holds, with the evidence in one line. Nothing here re-runs or recomputes
 * the story: a milestone's minute is read, never derived from the SLI.
 */

export interface Verdict {
  ok: boolean;
  detail: string;
}

type Of<K extends GateCheckSpec['kind']> = Extract<GateCheckSpec, { kind: K }>;
type Judge<K extends GateCheckSpec['kind']> = (spec: Of<K>, result: ShiftResult) => Verdict;

/** `97.5%`, `99.95%`: a percentage to two decimals, without trailing zeros. */
const pct = (x: number) => `${Number((x * 100).toFixed(2))}%`;
const transitionsOf = (trace: readonly TraceEntry[], actor: string) => trace.filter((e) => e.actor === actor);

/** The incidents a check looks at: those of its type, or every typed incident. */
const incidentsOf = (result: ShiftResult, type: string | undefined) =>
  result.incidents.filter((i) => (type === undefined ? i.type !== '' : i.type === type));

const noneOpened = (type: string | undefined): Verdict => ({
  ok: false,
  detail: `no ${type ?? 'typed'} incident was opened`,
});

/** Every checked incident must hold; the detail lists each one's evidence, the failing ones first. */
function eachIncident(
  result: ShiftResult,
  type: string | undefined,
  judge: (incident: IncidentResult) => Verdict,
): Verdict {
  const incidents = incidentsOf(result, type);
  if (incidents.length === 0) return noneOpened(type);
  const verdicts = incidents.map(judge);
  const failing = verdicts.filter((v) => !v.ok);
  return {
    ok: failing.length === 0,
    detail: (failing.length > 0 ? failing : verdicts).map((v) => v.detail).join('; '),
  };
}

/** Minutes from the incident's onset to a milestone, when both were recorded. */
const sinceOnset = (incident: IncidentResult, at: number | undefined) =>
  at === undefined || incident.milestones.onset === undefined ? undefined : at - incident.milestones.onset;

const within = (minutes: number | undefined, limit: number | undefined) =>
  limit === undefined || (minutes !== undefined && minutes <= limit);

const withinWords = (minutes: number | undefined, limit: number | undefined) =>
  `${minutes === undefined ? 'no onset recorded' : `${minutes} min after onset`}${limit === undefined ? '' : ` (at most ${limit})`}`;

const severityWords = (incident: IncidentResult, want: string | undefined) =>
  `${incident.severity ?? 'no severity'}${want !== undefined && incident.severity !== want ? ` (expected ${want})` : ''}`;

const incidents: Judge<'incidents'> = (spec, result) => {
  const opened =
    spec.type === undefined ? result.incidents : result.incidents.filter((i) => i.type === spec.type);
  return {
    ok: opened.length === spec.count,
    detail: `${opened.length} ${spec.type ? `${spec.type} ` : ''}incident${opened.length === 1 ? '' : 's'} opened (${result.intake.alerts.posted} alerts by [${result.intake.groupBy.join(', ')}]); expected ${spec.count}`,
  };
};

const detected: Judge<'detected'> = (spec, result) =>
  eachIncident(result, spec.type, (incident) => {
    const at = incident.milestones.detected;
    if (at === undefined) return { ok: false, detail: `${incident.id} was never detected` };
    const after = sinceOnset(incident, at);
    return {
      ok:
        within(after, spec.withinMinutes) &&
        (spec.severity === undefined || incident.severity === spec.severity),
      detail: `${incident.id} detected at minute ${at}, ${withinWords(after, spec.withinMinutes)}, ${severityWords(incident, spec.severity)}`,
    };
  });

const paged: Judge<'paged'> = (spec, result) =>
  eachIncident(result, spec.type, (incident) => {
    // Paged straight from detect, or a ticket whose burn sped up into a page pair.
    const page = transitionsOf(result.trace, incident.id).find(
      (e) => (e.from === 'detect' || e.from === 'ticket') && e.to === 'page',
    );
    if (!page)
      return {
        ok: false,
        detail: `${incident.id} was never paged (${severityWords(incident, spec.severity)})`,
      };
    const after = sinceOnset(incident, page.t);
    return {
      ok:
        within(after, spec.withinMinutes) &&
        (spec.severity === undefined || incident.severity === spec.severity),
      detail: `${incident.id} ${page.from} -> page at minute ${page.t}, ${withinWords(after, spec.withinMinutes)}, ${severityWords(incident, spec.severity)}`,
    };
  });

const mitigated: Judge<'mitigated'> = (spec, result) =>
  eachIncident(result, spec.type, (incident) => {
    const plays = incident.plays.map((p) => `${p.play} ${p.outcome}`).join(', ') || 'none';
    const by = incident.plays.find((p) => p.outcome === 'recovered');
    const at = incident.milestones.mitigated;
    if (!by || at === undefined)
      return { ok: false, detail: `${incident.id} was never mitigated; plays: ${plays}` };
    const after = sinceOnset(incident, at);
    const problems = [
      spec.play !== undefined && by.play !== spec.play && `expected ${spec.play}`,
      // The first step that ran: a runbook of the statechart language may start with gates and notes.
      spec.first && by.step !== incident.plays[0]?.step && 'expected the first play to recover the SLI',
      !within(after, spec.withinMinutes) && `later than ${spec.withinMinutes} min`,
    ].filter(Boolean);
    return {
      ok: problems.length === 0,
      detail: `${incident.id} mitigated by ${by.play} (step ${by.step + 1}) at minute ${at}, ${withinWords(after, spec.withinMinutes)}${problems.length > 0 ? `: ${problems.join('; ')}; plays: ${plays}` : ''}`,
    };
  });

const escalated: Judge<'escalated'> = (spec, result) =>
  eachIncident(result, spec.type, (incident) => {
    const entered = transitionsOf(result.trace, incident.id).find((e) => e.to === 'escalated');
    return {
      ok: (entered !== undefined) === spec.expected,
      detail: entered
        ? `${incident.id} escalated at minute ${entered.t}: ${incident.escalation ?? 'no reason recorded'}${spec.expected ? '' : ' (expected no escalation)'}`
        : `${incident.id} ended in ${incident.state} without escalating${spec.expected ? ' (expected an escalation)' : ''}`,
    };
  });

const meanTime =
  (kind: MeanTimeKind) =>
  (spec: { type?: string; atMost: number }, result: ShiftResult): Verdict => {
    const { from, to, words } = MEAN_TIMES[kind];
    const checked = incidentsOf(result, spec.type);
    if (checked.length === 0) return noneOpened(spec.type);
    const spans = checked.map((incident) => {
      const start = incident.milestones[from];
      const end = incident.milestones[to];
      return { id: incident.id, minutes: start === undefined || end === undefined ? undefined : end - start };
    });
    const missing = spans.filter((s) => s.minutes === undefined).map((s) => s.id);
    const name = kind.toUpperCase();
    if (missing.length > 0)
      return { ok: false, detail: `${name}: ${missing.join(', ')} recorded no ${from} -> ${to} (${words})` };
    const mean = spans.reduce((sum, s) => sum + (s.minutes ?? 0), 0) / spans.length;
    const shown = Number.isInteger(mean) ? String(mean) : mean.toFixed(1);
    return {
      ok: mean <= spec.atMost,
      detail: `${name} ${shown} min (${words}; ${spans.map((s) => `${s.id} ${s.minutes}`).join(', ')}); at most ${spec.atMost}`,
    };
  };

const postmortem: Judge<'postmortem'> = (spec, result) =>
  eachIncident(result, spec.type, (incident) => {
    const learn = incident.learn;
    if (!learn) return { ok: false, detail: `${incident.id} has no postmortem` };
    const cases = learn.regressionCases.map((c) => c.id);
    const missing = cases.filter((id) => !result.evalSet.includes(id));
    const blame = learn.findings.map((f) => `${f.field} names ${f.person}`).join('; ');
    const problems = [
      !learn.accepted && `sent back: ${blame || learn.error || 'not accepted'}`,
      cases.length < spec.minRegressionCases &&
        `${cases.length} regression cases, expected at least ${spec.minRegressionCases}`,
      missing.length > 0 && `not in the eval set: ${missing.join(', ')}`,
    ].filter(Boolean);
    return {
      ok: problems.length === 0,
      detail:
        problems.length === 0
          ? `${incident.id} postmortem published, ${cases.length} regression case${cases.length === 1 ? '' : 's'}${cases.length > 0 ? ` (${cases.join(', ')}) in the eval set` : ''}`
          : `${incident.id} postmortem: ${problems.join('; ')}`,
    };
  });

const fix: Judge<'fix'> = (spec, result) =>
  eachIncident(result, spec.type, (incident) => {
    const ship = incident.ship;
    if (!ship?.candidate) return { ok: false, detail: `${incident.id} shipped no fix` };
    const { candidate } = ship;
    // The candidate's own canary: the release actor's verdict after the incident entered ship.
    const shipping = transitionsOf(result.trace, incident.id).find((e) => e.to === 'ship');
    const verdict = transitionsOf(result.trace, 'release').find(
      (e) => e.from === 'canary' && shipping !== undefined && e.seq > shipping.seq,
    );
    const wasLive = result.releases.some((r) => r.release === candidate && r.at >= (shipping?.t ?? 0));
    const canary = `${candidate} canary -> ${verdict?.to ?? 'none'}`;
    if (spec.outcome === 'shipped') {
      const ok = ship.verdict === 'promote' && verdict?.to === 'promoted' && wasLive;
      return {
        ok,
        detail: ok
          ? `${incident.id}: ${canary}`
          : `${incident.id}: ${canary}, expected promoted: ${ship.reasons.join('; ') || 'no reasons'}`,
      };
    }
    const ok = ship.verdict === 'reject' && verdict?.to === 'rejected' && !wasLive;
    return {
      ok,
      detail: ok
        ? `${incident.id}: ${canary} (${ship.reasons.join('; ')}), never live`
        : `${incident.id}: ${canary}${wasLive ? ', and it went live' : ''}; expected rejected and never live`,
    };
  });

const live: Judge<'live'> = (spec, result) => {
  const last = result.releases[result.releases.length - 1];
  return {
    ok: result.live === spec.release,
    detail: `live ${result.live} at the end of the shift${last ? ` (since minute ${last.at}, by ${last.via})` : ''}; expected ${spec.release}`,
  };
};

const budget: Judge<'budget'> = (spec, result) => {
  const series = result.budget.find((b) => b.sli === spec.sli);
  const last = series?.points[series.points.length - 1];
  if (!series || !last) return { ok: false, detail: `no error budget was kept for ${spec.sli}` };
  return {
    ok: last.remaining >= spec.atLeast,
    detail: `${spec.sli} error budget left ${pct(last.remaining)} at minute ${last.t} (objective ${pct(series.objective)}); at least ${pct(spec.atLeast)}`,
  };
};

const ticket: Judge<'ticket'> = (spec, result) => {
  const triaged = result.intake.tickets.find((t) => t.id === spec.id);
  if (!triaged) return { ok: false, detail: `ticket ${spec.id} was never triaged` };
  const linked = result.incidents.find((i) => i.id === triaged.incident);
  const problems = [
    spec.severity !== undefined &&
      triaged.severity !== spec.severity &&
      `severity ${triaged.severity}, expected ${spec.severity}`,
    spec.queue !== undefined &&
      triaged.queue !== spec.queue &&
      `queue ${triaged.queue}, expected ${spec.queue}`,
    spec.type !== undefined &&
      linked?.type !== spec.type &&
      `linked to ${linked ? `${linked.id} (${linked.type || 'no type'})` : 'nothing'}, expected a ${spec.type} incident`,
  ].filter(Boolean);
  return {
    ok: problems.length === 0,
    detail:
      problems.length === 0
        ? `${triaged.id} "${triaged.title}": ${triaged.severity} -> ${triaged.queue}, linked to ${triaged.incident ?? 'nothing'}`
        : `${triaged.id}: ${problems.join('; ')}`,
  };
};

/** Each kind's judge. A kind added to the schema without one here does not compile. */
const JUDGES: { [K in GateCheckSpec['kind']]: Judge<K> } = {
  incidents,
  detected,
  paged,
  mitigated,
  escalated,
  mttd: meanTime('mttd'),
  mtta: meanTime('mtta'),
  mttm: meanTime('mttm'),
  mttr: meanTime('mttr'),
  postmortem,
  fix,
  live,
  budget,
  ticket,
};

/** One check of a scenario's `gate:` judged against the shift. */
export function judge(spec: GateCheckSpec, result: ShiftResult): { id: string; owner: string } & Verdict {
  // TypeScript does not tie `spec`'s kind to the judge looked up by it: the table above does.
  const run = JUDGES[spec.kind] as Judge<typeof spec.kind>;
  return { id: checkName(spec), owner: spec.owner ?? '', ...run(spec as never, result) };
}
