import type { IncidentContext, PlayRecord } from '../../machines/incident.js';
import type { CanaryReport, CanaryVerdict } from '../toolkit/canary.js';
import { escalationsDue } from '../toolkit/escalation.js';
import { type Burn, type BurnPair, pairName } from '../toolkit/slo.js';
import type { EngineConfig } from './config.js';
import type { TraceEntry } from './trace.js';

/**
 * Decision records: why each page, ticket, escalation, play (a rollback), promotion and rejection
 * happened, read off what the machines kept (the incident's context, its transitions, the canary's
 * verdict) and the settings they ran under. Derived on demand, so nothing is added to a drill's
 * result: the record of a decision is the trace entry that made it, the guard that let it through,
 * and the numbers that guard was given.
 */

/** What a decision is read from: an incident as a result (or the live API) has it. */
export interface DecidedIncident {
  id: string;
  state: string;
  severity: string | null;
  detection: IncidentContext['detection'];
  milestones: IncidentContext['milestones'];
  plays: PlayRecord[];
  escalation: string | null;
  ship:
    | ({ candidate: string | null; verdict: string; reasons: string[] } & {
        report: CanaryReport | null;
        checks: CanaryVerdict['checks'];
      })
    | null;
}

/** One burn-rate pair as the guard weighed it: both windows must exceed the threshold. */
export interface PairWeighed {
  pair: string;
  long: number;
  short: number;
  threshold: number;
  fires: boolean;
}

export interface Decision {
  kind:
    | 'page'
    | 'ticket'
    | 'acknowledge'
    | 'play'
    | 'escalation'
    | 'notify'
    | 'promotion'
    | 'rejection'
    | 'resolve';
  t: number;
  /** The transition that made it, as the trace has it (`detect --SLI_SAMPLE--> page`). */
  transition: string | null;
  /** The guard (or the rule) that let the transition through. */
  guard: string;
  /** What the guard was given. */
  inputs: Record<string, unknown>;
  /** What it compared them with. */
  thresholds: Record<string, unknown>;
  /** The incident's path up to this decision. */
  path: string[];
  /** One line, for people. */
  because: string;
}

export type Settings = Pick<EngineConfig, 'alerting' | 'canary' | 'escalation'> & { objective: number };

const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? 'n/a' : `${(x * 100).toFixed(1)}%`;
const times = (x: number) => `${Number.isInteger(x) ? x : x.toFixed(1)}x`;
const arrow = (e: TraceEntry) => `${e.from ?? '(start)'} --${e.event}--> ${e.to}`;

/** Every pair of the policy weighed against the burn over its windows. */
export function weigh(burn: Burn, policy: readonly BurnPair[]): PairWeighed[] {
  return policy.map((p) => ({
    pair: pairName(p),
    long: burn[p.long],
    short: burn[p.short],
    threshold: p.threshold,
    fires: burn[p.long] > p.threshold && burn[p.short] > p.threshold,
  }));
}

function weighedText(weighed: readonly PairWeighed[]): string {
  return weighed
    .map(
      (w) =>
        `${w.pair} ${times(w.long)}/${times(w.short)} ${w.fires ? '>' : 'not both >'} ${times(w.threshold)}`,
    )
    .join('; ');
}

/** The decisions of one incident, in the order they were made. */
export function decisionsOf(
  incident: DecidedIncident,
  trace: readonly TraceEntry[],
  settings: Settings,
): Decision[] {
  const steps = trace.filter((e) => e.actor === incident.id);
  const decisions: Decision[] = [];
  const pathTo = (i: number) => steps.slice(0, i + 1).map(arrow);
  const policy = settings.alerting.policy;
  const detection = incident.detection;
  steps.forEach((entry, i) => {
    if (entry.to === 'page' || entry.to === 'ticket') {
      const severity = entry.to;
      const fromTicket = entry.from === 'ticket';
      // The page's numbers are what the machine kept at detection; a ticket later paged keeps the page's.
      const exact = detection?.burn && (severity === 'page' || incident.milestones.paged === undefined);
      const weighed = exact && detection?.burn ? weigh(detection.burn, policy) : [];
      const firing = weighed.filter((w) => w.fires);
      decisions.push({
        kind: severity,
        t: entry.t,
        transition: arrow(entry),
        guard: fromTicket
          ? 'burnFiring (page pairs only)'
          : severity === 'page'
            ? 'pagePairFiring'
            : 'ticketPairFiring',
        inputs: exact
          ? { sli: detection?.sli ?? null, burn: detection?.burn ?? null, firing: detection?.firing ?? [] }
          : {},
        thresholds: {
          objective: settings.objective,
          policy: policy.map((p) => ({ pair: pairName(p), threshold: p.threshold })),
        },
        path: pathTo(i),
        because: exact
          ? `${severity === 'page' ? 'paged' : 'ticketed'} at minute ${entry.t} (${severity === 'page' ? settings.alerting.severity.page : settings.alerting.severity.ticket}): SLI ${pct(detection?.sli)} against ${pct(settings.objective)}; ${firing.length > 0 ? weighedText(firing) : 'no pair fired'}${severity === 'ticket' ? `; page pairs: ${weighedText(weighed.filter((w) => w.pair.startsWith('page')))}` : ''}`
          : `ticketed at minute ${entry.t}; the numbers kept are the later page's`,
      });
    } else if (entry.event === 'ACK') {
      decisions.push({
        kind: 'acknowledge',
        t: entry.t,
        transition: arrow(entry),
        guard: '(none: an acknowledgement starts the runbook)',
        inputs: {},
        thresholds: {},
        path: pathTo(i),
        because: `acknowledged at minute ${entry.t}, ${entry.t - (incident.milestones.paged ?? incident.milestones.detected ?? entry.t)} min after it was ${incident.milestones.paged !== undefined ? 'paged' : 'ticketed'}`,
      });
    } else if (entry.to === 'escalated') {
      decisions.push({
        kind: 'escalation',
        t: entry.t,
        transition: arrow(entry),
        guard:
          entry.from === 'verify'
            ? 'not sliAtObjective while verifying'
            : entry.from?.endsWith('nextStep')
              ? 'not hasNextStep'
              : 'escalatesOnFailure',
        inputs: { plays: incident.plays.map((p) => `${p.play}: ${p.outcome}`) },
        thresholds: { objective: settings.objective },
        path: pathTo(i),
        because: `escalated at minute ${entry.t}: ${incident.escalation ?? 'no reason kept'}`,
      });
    } else if (entry.to === 'resolved') {
      decisions.push({
        kind: 'resolve',
        t: entry.t,
        transition: arrow(entry),
        guard: 'verifySoak elapsed with sliAtObjective on every sample',
        inputs: {},
        thresholds: { objective: settings.objective },
        path: pathTo(i),
        because: `resolved at minute ${entry.t}: the SLI held at ${pct(settings.objective)} or better through the soak`,
      });
    }
  });
  for (const play of incident.plays) decisions.push(playDecision(play, steps, settings));
  decisions.push(...escalationNotices(incident, settings));
  if (incident.ship?.candidate) decisions.push(shipDecision(incident, steps, settings));
  return decisions.sort((a, b) => a.t - b.t);
}

function playDecision(play: PlayRecord, steps: readonly TraceEntry[], settings: Settings): Decision {
  const upTo = steps.filter((e) => e.t <= play.startedAt).map(arrow);
  const outcomeGuard: Record<PlayRecord['outcome'], string> = {
    running: '(still running)',
    success: 'playSucceeded',
    failure: 'not playSucceeded',
    timeout: 'playTimeout elapsed',
    'no-recovery': 'settleWindow elapsed without sliAtObjective',
    recovered: 'playSucceeded, then sliAtObjective',
  };
  return {
    kind: 'play',
    t: play.startedAt,
    transition: `mitigate.running (step ${play.step + 1}, try ${play.attempt})`,
    guard: outcomeGuard[play.outcome],
    inputs: { play: play.play, detail: play.detail, sliBefore: play.sliBefore, sliAfter: play.sliAfter },
    thresholds: { objective: settings.objective },
    path: upTo,
    because: `${play.play} (runbook step ${play.step + 1}, try ${play.attempt}) at minute ${play.startedAt}: ${play.outcome}; ${play.detail || 'no detail'}; SLI ${pct(play.sliBefore)} -> ${pct(play.sliAfter)} against ${pct(settings.objective)}`,
  };
}

function shipDecision(incident: DecidedIncident, steps: readonly TraceEntry[], settings: Settings): Decision {
  const ship = incident.ship as NonNullable<DecidedIncident['ship']>;
  const shipped = steps.find((e) => e.from === 'ship');
  const promote = ship.verdict === 'promote';
  const report = ship.report;
  return {
    kind: promote ? 'promotion' : 'rejection',
    t: shipped?.t ?? incident.milestones.mitigated ?? 0,
    transition: shipped ? arrow(shipped) : null,
    guard: promote ? 'every canary check passed' : 'a canary check failed',
    inputs: {
      candidate: report?.candidate ?? null,
      baseline: report?.baseline ?? null,
      regressionIds: report?.regressionIds ?? [],
      checks: ship.checks,
    },
    thresholds: { ...settings.canary },
    path: steps.filter((e) => e.t <= (shipped?.t ?? 0)).map(arrow),
    because: `${ship.candidate} ${promote ? 'promoted' : 'rejected'}: ${ship.checks.map((c) => `${c.name} ${c.ok ? 'ok' : 'FAILED'} (${c.detail})`).join('; ')}`,
  };
}

/** Who the escalation policy told while the page waited for its acknowledgement. */
function escalationNotices(incident: DecidedIncident, settings: Settings): Decision[] {
  const { escalation } = settings;
  const paged = incident.milestones.paged;
  if (!escalation || paged === undefined) return [];
  const until =
    incident.milestones.acknowledged ??
    incident.milestones.resolved ??
    incident.milestones.escalated ??
    paged;
  return escalationsDue(escalation, paged, paged - 1, until).map((step) => ({
    kind: 'notify' as const,
    t: step.at,
    transition: null,
    guard: "not acknowledged by the level's afterMinutes",
    inputs: { paged, acknowledged: incident.milestones.acknowledged ?? null },
    thresholds: { levels: escalation.levels, repeats: escalation.repeats },
    path: [],
    because: `level ${step.level}${step.pass > 1 ? ` (pass ${step.pass})` : ''} told at minute ${step.at}: ${step.notify.join(', ')}`,
  }));
}

/** The state an incident was in at `minute`, and what its SLO said then (from the result's series). */
export function standingAt(
  id: string,
  trace: readonly TraceEntry[],
  minute: number,
  point: { sli: number; burn: Burn } | undefined,
  settings: Settings,
): { state: string | null; sli: number | null; weighed: PairWeighed[]; because: string } {
  let state: string | null = null;
  for (const e of trace) if (e.actor === id && e.t <= minute) state = e.to;
  const weighed = point ? weigh(point.burn, settings.alerting.policy) : [];
  return {
    state,
    sli: point?.sli ?? null,
    weighed,
    because: point
      ? `at minute ${minute} ${id} was ${state ?? 'not open'}; SLI ${pct(point.sli)}; ${weighedText(weighed)}`
      : `at minute ${minute} ${id} was ${state ?? 'not open'} (no SLI series at that minute)`,
  };
}

/** A decision's line for notifications: what decided the page (or ticket, or escalation). */
export function reasonOf(
  incident: DecidedIncident,
  trace: readonly TraceEntry[],
  settings: Settings,
  kind: string,
): string | null {
  const found = decisionsOf(incident, trace, settings).filter((d) => d.kind === kind);
  return found[found.length - 1]?.because ?? null;
}

/** How many escalations a policy owed while pages waited: its steps past the page's own first level. */
export function escalationsOwed(
  incidents: readonly DecidedIncident[],
  escalation: Settings['escalation'],
): number {
  if (!escalation) return 0;
  let owed = 0;
  for (const { milestones: m } of incidents) {
    if (m.paged === undefined) continue;
    const until = m.acknowledged ?? m.resolved ?? m.escalated ?? m.paged;
    owed += escalationsDue(escalation, m.paged, m.paged, until).length;
  }
  return owed;
}
