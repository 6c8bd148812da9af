import type { TraceEntry } from '../engine/trace.js';
import { own } from '../toolkit/sli.js';
import type { IncidentResult, ShiftResult } from '../world/drill.js';
import type { Scenario } from '../world/scenario.js';
import { judge } from './gate-checks.js';

/**
 * The eval gate scores a shift from what the machines did: the result's recorded facts and the
 * trace's transitions. It never re-runs or recomputes the story; the scenario only supplies what
 * is expected (how many incidents, the ticket's routing, which play should mitigate).
 */

export interface GateCheck {
  id: string;
  owner: string;
  ok: boolean;
  detail: string;
}

export interface GateReport {
  passed: number;
  total: number;
  checks: GateCheck[];
}

const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? 'none' : `${(x * 100).toFixed(1)}%`;

/** The transitions of one actor, in order. */
const transitionsOf = (trace: readonly TraceEntry[], actor: string) => trace.filter((e) => e.actor === actor);

/** Whether the actor's states, in trace order, pass through `stages` in that order. */
function passesThrough(trace: readonly TraceEntry[], actor: string, stages: readonly RegExp[]): string[] {
  const states = transitionsOf(trace, actor).map((e) => e.to);
  const missing: string[] = [];
  let at = 0;
  for (const stage of stages) {
    const found = states.findIndex((s, i) => i >= at && stage.test(s));
    if (found < 0) missing.push(stage.source.replace(/[\^$()]/g, ''));
    else at = found + 1;
  }
  return missing;
}

/** A scenario scored by the stock story's checks: one with `expect:`. */
type StockScenario = Scenario & { expect: NonNullable<Scenario['expect']> };

type Check = (
  result: ShiftResult,
  scenario: StockScenario,
  primary: IncidentResult | undefined,
) => Omit<GateCheck, 'id' | 'owner'>;

const intake: Check = (result, scenario) => {
  const { alerts, incidents, groupBy } = result.intake;
  return {
    ok: incidents === scenario.expect.incidents,
    detail: `${alerts.posted} alerts (${alerts.distinct} distinct) -> ${incidents} incidents by [${groupBy.join(', ')}]; expected ${scenario.expect.incidents}`,
  };
};

const triageCheck: Check = (result, scenario, primary) => {
  const want = scenario.expect.ticket;
  if (!want) return { ok: true, detail: 'no ticket expected' };
  const ticket = result.intake.tickets.find((t) => t.id === want.id);
  if (!ticket) return { ok: false, detail: `ticket ${want.id} was never triaged` };
  const problems = [
    ticket.severity !== want.severity && `severity ${ticket.severity}, expected ${want.severity}`,
    ticket.queue !== want.queue && `queue ${ticket.queue}, expected ${want.queue}`,
    ticket.incident !== primary?.id &&
      `linked to ${ticket.incident ?? 'nothing'}, expected ${primary?.id ?? 'the worked incident'}`,
  ].filter(Boolean);
  return {
    ok: problems.length === 0,
    detail:
      problems.length === 0
        ? `${ticket.id} "${ticket.title}": ${ticket.severity} -> ${ticket.queue}, linked to ${ticket.incident}`
        : `${ticket.id}: ${problems.join('; ')}`,
  };
};

const page: Check = (result, scenario, primary) => {
  if (!primary) return { ok: false, detail: 'no incident of a known type was opened' };
  // Paged straight from detect, or a ticket whose burn sped up into a page pair.
  const paged = transitionsOf(result.trace, primary.id).find(
    (e) => (e.from === 'detect' || e.from === 'ticket') && e.to === 'page',
  );
  const pagePairs = (primary.detection?.firing ?? []).filter((f) => f.startsWith('page:'));
  const want = scenario.alerting.severity.page;
  const ok = paged !== undefined && pagePairs.length > 0 && primary.severity === want;
  const burn = result.detect?.burnRate;
  return {
    ok,
    detail: paged
      ? `${primary.id} ${paged.from} -> page at minute ${paged.t}: ${pagePairs.join(', ') || 'no page pair'} at ${burn ?? '?'}x, ${primary.severity}${primary.severity === want ? '' : ` (a page is ${want})`}`
      : `${primary.id} never went detect -> page (${primary.detection?.firing.join(', ') || 'no pair fired'}; severity ${primary.severity ?? 'none'})`,
  };
};

const mitigate: Check = (result, scenario, primary) => {
  if (!primary) return { ok: false, detail: 'no incident of a known type was opened' };
  const want = scenario.expect.mitigation.play;
  // The expected step must be the one that recovered the SLI (after its retries, if any); the steps
  // before it ran and did not recover it. By default the first step that ran: the runbook's first
  // play, or in a runbook of the statechart language the first play that ran (gates and notes run none).
  const expected = scenario.expect.mitigation.step;
  const step = expected === undefined ? (primary.plays[0]?.step ?? 0) : expected - 1;
  const first = primary.plays.find((p) => p.outcome === 'recovered' && p.step === step);
  const nth = step === 0 ? 'first play' : `play of step ${step + 1}`;
  const m = result.mitigate;
  const objective = result.detect?.objective ?? 1;
  const recovered = first !== undefined && first.play === want && (first.sliAfter ?? 0) >= objective;
  const leftViaLearn = transitionsOf(result.trace, primary.id).some(
    (e) => (e.from === 'mitigate.settling' || e.from === 'mitigate.flow') && e.to === 'learn',
  );
  const ok = recovered && leftViaLearn;
  return {
    ok,
    detail: ok
      ? `${nth} ${want}: ${m?.from === m?.to ? `live stays ${m?.to}` : `${m?.from} -> ${m?.to}`}, SLI ${pct(first?.sliBefore)} -> ${pct(first?.sliAfter)} (objective ${pct(objective)})`
      : `expected ${want} as the ${nth} to recover the SLI; plays: ${primary.plays.map((p) => `${p.play} ${p.outcome}`).join(', ') || 'none'}`,
  };
};

const learn: Check = (result, scenario, primary) => {
  const l = result.learn;
  if (!l) return { ok: false, detail: 'no postmortem was written' };
  const joined = l.regressionCases.filter((c) => result.evalSet.includes(c.id));
  // Only wrong answers become eval cases: a postmortem on failed or slow requests has none to add.
  const sli = scenario.incidentTypes.find((t) => t.name === primary?.type)?.sli ?? '';
  const answers = own(scenario.slos, sli)?.kind === 'quality';
  const ok =
    l.accepted &&
    l.findings.length === 0 &&
    (l.regressionCases.length > 0 || !answers) &&
    joined.length === l.regressionCases.length;
  const blame = l.findings.map((f) => `${f.field} names ${f.person}`).join('; ');
  return {
    ok,
    detail: ok
      ? answers || joined.length > 0
        ? `blameless postmortem; regression case ${joined.map((c) => c.id).join(', ')} joined the eval set`
        : `blameless postmortem (SLI ${sli} counts no answers: no regression case to add)`
      : [
          !l.accepted && `postmortem sent back: ${blame || 'not accepted'}`,
          l.regressionCases.length === 0 && answers && 'no regression case',
          joined.length < l.regressionCases.length && 'a regression case is missing from the eval set',
        ]
          .filter(Boolean)
          .join('; '),
  };
};

const ship: Check = (result, scenario, primary) => {
  const s = result.ship;
  // A type with no fix to ship (a fault a play cleared) must leave live where mitigation left it.
  const type = scenario.incidentTypes.find((t) => t.name === primary?.type);
  if (primary && type && !type.fix) {
    const left = result.mitigate?.to;
    const ok = s?.verdict === 'none' && left !== undefined && result.live === left;
    return {
      ok,
      detail: ok
        ? `no fix declared for ${type.name}: nothing to canary; live stays ${result.live}`
        : s
          ? `no fix declared for ${type.name}, yet live is ${result.live} (mitigation left ${left ?? 'nothing'})`
          : `no fix declared for ${type.name}; ${primary.id} never reached ship`,
    };
  }
  if (!primary || !s?.candidate) return { ok: false, detail: 'no fix was shipped' };
  // The candidate's own canary: the release actor's canary -> promoted after the incident entered ship.
  const shipping = transitionsOf(result.trace, primary.id).find((e) => e.to === 'ship');
  const promoted = transitionsOf(result.trace, 'release').some(
    // A rollout's last step leads to promoted as a canary's verdict does.
    (e) =>
      (e.from === 'canary' || e.from?.startsWith('rollout.') === true) &&
      e.to === 'promoted' &&
      shipping !== undefined &&
      e.seq > shipping.seq,
  );
  const ok = promoted && s.verdict === 'promote' && result.live === s.candidate;
  return {
    ok,
    detail: ok
      ? `${s.candidate} canary -> promoted; live ${result.live}`
      : s.verdict === 'promote'
        ? `${s.candidate} was promoted, but live is ${result.live} at the end of the shift`
        : `${s.candidate} ${s.verdict === 'reject' ? 'rejected by the canary' : s.verdict}: ${s.reasons.join('; ') || 'no reasons'}; live ${result.live}`,
  };
};

const STAGES = [/^detect$/, /^(page|ticket)$/, /^mitigate\./, /^learn$/, /^ship$/, /^verify$/, /^resolved$/];

const verify: Check = (result, _scenario, primary) => {
  if (!primary) return { ok: false, detail: 'no incident of a known type was opened' };
  const missing = passesThrough(result.trace, primary.id, STAGES);
  const ok = missing.length === 0 && primary.state === 'resolved';
  return {
    ok,
    detail: ok
      ? `${primary.id}: detect, ${primary.milestones.paged !== undefined ? 'page' : 'ticket'}, mitigate, learn, ship, verify -> resolved (MTTR ${result.milestones.mttr} min)`
      : `${primary.id} ended in ${primary.state}${primary.escalation ? ` (${primary.escalation})` : ''}; missing in order: ${missing.join(', ') || 'none'}`,
  };
};

/** The extra check a scenario asks for: an incident type that must be resolved through a given play. */
function recovery(type: string, play: string): Check {
  return (result, scenario) => {
    const incident = result.incidents.find((i) => i.type === type);
    if (!incident) return { ok: false, detail: `no ${type} incident was opened` };
    const sli = scenario.incidentTypes.find((t) => t.name === type)?.sli ?? '';
    const objective = own(scenario.slos, sli)?.objective ?? 1;
    const by = incident.plays.find((p) => p.outcome === 'recovered');
    const ok = incident.state === 'resolved' && by?.play === play && (by.sliAfter ?? 0) >= objective;
    return {
      ok,
      detail: ok
        ? `${incident.id} resolved through ${play}: ${sli} SLI ${pct(by?.sliBefore)} -> ${pct(by?.sliAfter)} (objective ${pct(objective)})`
        : `${incident.id} ended in ${incident.state}${incident.escalation ? ` (${incident.escalation})` : ''}; plays: ${incident.plays.map((p) => `${p.play} ${p.outcome}`).join(', ') || 'none'}`,
    };
  };
}

/** The seven checks of the stock story, by stage (section 2 of the design). */
const CHECKS: { id: keyof Scenario['owners']; check: Check }[] = [
  { id: 'intake', check: intake },
  { id: 'triage', check: triageCheck },
  { id: 'page', check: page },
  { id: 'mitigate', check: mitigate },
  { id: 'learn', check: learn },
  { id: 'ship', check: ship },
  { id: 'verify', check: verify },
];

/** A scenario's own checks when it lists them (`gate:`), else the stock story's. */
export function gate(result: ShiftResult, scenario: Scenario): GateReport {
  const checks = scenario.gate
    ? scenario.gate.map((spec) => judge(spec, result))
    : stockChecks(result, scenario as StockScenario);
  return { passed: checks.filter((c) => c.ok).length, total: checks.length, checks };
}

function stockChecks(result: ShiftResult, scenario: StockScenario): GateCheck[] {
  const primary = result.incidents.find((i) => i.id === result.primary);
  // Owner labels are the scenario's (the stock story's M31...), none when it names none.
  const checks: GateCheck[] = CHECKS.map(({ id, check }) => ({
    id,
    owner: scenario.owners[id] ?? '',
    ...check(result, scenario, primary),
  }));
  for (const { type, play } of scenario.expect.recoveries) {
    checks.push({
      id: type,
      owner: scenario.owners.mitigate ?? '',
      ...recovery(type, play)(result, scenario, primary),
    });
  }
  return checks;
}
