import type { IncidentContext, LearnOutput, PlayRecord, ShipOutput } from '../../machines/incident.js';
import type { ReleaseRecord } from '../../machines/release.js';
import type { Engine, TicketRecord } from '../engine/engine.js';
import { onsetOf } from '../engine/learn.js';
import { stateName, type TraceEntry } from '../engine/trace.js';
import type { CanaryReport, CanaryVerdict } from '../toolkit/canary.js';
import type { EvalCase } from '../toolkit/postmortem.js';
import type { Burn } from '../toolkit/slo.js';
import type { Severity } from '../toolkit/triage.js';
import { type BudgetSeries, budgetSeries, type IncidentSeries, incidentSeries } from './plot-series.js';
import { type RolloutResult, rolloutResult } from './rollout-result.js';
import type { Scenario } from './scenario.js';
import type { SliName } from './service.js';

/** The result of a shift, as `drill --json` prints it and the gate, the report and the inspector read it. */

export interface IncidentResult {
  id: string;
  service: string;
  type: string;
  labels: Record<string, string>;
  alerts: number;
  alertnames: string[];
  startsAt: number;
  endsAt: number;
  state: string;
  severity: Severity | null;
  detection: IncidentContext['detection'];
  milestones: IncidentContext['milestones'] & { onset?: number };
  plays: PlayRecord[];
  escalation: string | null;
  learn: LearnOutput | null;
  ship: (ShipOutput & { report: CanaryReport | null; checks: CanaryVerdict['checks'] }) | null;
}

/** A deploy the canary rejected: it never went live, and here is why (its scores and checks). */
export interface RejectedDeploy {
  release: string;
  at: number;
  candidate: CanaryReport['candidate'];
  baseline: CanaryReport['baseline'];
  reasons: string[];
  checks: CanaryVerdict['checks'];
}

/** A ticket as triaged, routed and linked by the engine's intake. */
export type TicketResult = TicketRecord;

export interface ShiftResult {
  scenario: string;
  intake: {
    alerts: { posted: number; distinct: number };
    groupBy: string[];
    incidents: number;
    ticket: TicketResult | null;
    tickets: TicketResult[];
  };
  /** The first incident a type matched: the one sections B-G of the story follow. */
  primary: string | null;
  detect: {
    incident: string;
    sli: number | null;
    objective: number;
    burnRate: number | null;
    burn: Burn | null;
    firing: string[];
    severity: Severity | null;
    detectedAt: number | null;
    pagedAt: number | null;
  } | null;
  mitigate: {
    incident: string;
    play: string | null;
    step: number | null;
    from: string;
    to: string;
    sliBefore: number | null;
    sliAfter: number | null;
    plays: PlayRecord[];
  } | null;
  learn: {
    incident: string;
    accepted: boolean;
    findings: LearnOutput['findings'];
    postmortem: string;
    regressionCases: EvalCase[];
  } | null;
  ship: {
    incident: string;
    candidate: string | null;
    verdict: ShipOutput['verdict'];
    reasons: string[];
    checks: CanaryVerdict['checks'];
  } | null;
  live: string;
  releases: ReleaseRecord[];
  /** The canary's eval set at the end of the shift (ids): regression cases join it. */
  evalSet: string[];
  milestones: {
    onset: number | null;
    detected: number | null;
    paged: number | null;
    acknowledged: number | null;
    mitigated: number | null;
    resolved: number | null;
    mttd: number | null;
    mttm: number | null;
    mttr: number | null;
  };
  incidents: IncidentResult[];
  /** Deploys the canary rejected when they were deployed (not an incident's fix): only when there are any. */
  rejectedDeploys?: RejectedDeploy[];
  /** Minute by minute around the primary incident, for plots: its SLI and its fast-burn pair. */
  series: { sli: SliName; points: { t: number; sli: number; burn1h: number; burn5m: number }[] };
  /** Each typed incident minute by minute over its own span: SLI, every window's burn, budget left. */
  incidentSeries: IncidentSeries[];
  /** Every SLO's error budget left over the whole shift. */
  budget: BudgetSeries[];
  minutes: { start: number; end: number };
  trace: TraceEntry[];
  /** Only for a scenario with a canary strategy: its rollouts, decisions and evidence. */
  rollout?: RolloutResult;
}

/**
 * The releases either side of a mitigating play: what was live when it started, and where a
 * rollback in its window landed (a play that does not touch releases leaves them equal).
 */
function releaseMove(history: readonly ReleaseRecord[], startedAt: number, mitigated: number | undefined) {
  let from = history[0]?.release ?? '';
  for (const record of history)
    if (record.at < startedAt || (record.at === startedAt && record.via !== 'rollback'))
      from = record.release;
  const rollbacks = history.filter(
    (r) => r.via === 'rollback' && r.at >= startedAt && r.at <= (mitigated ?? startedAt),
  );
  return { from, to: rollbacks[rollbacks.length - 1]?.release ?? from };
}

const since = (from: number | null, to: number | undefined) =>
  from === null || to === undefined ? null : to - from;

/** The shift's result, read off the engine at the end: the machines' records, the trace, the ledgers. */
export function assemble(
  scenario: Scenario,
  engine: Engine,
  minutes: { start: number; end: number },
  rejectedDeploys: readonly RejectedDeploy[] = [],
): ShiftResult {
  const { objectives } = engine.config;
  const ledgerOf = (sli: string) => engine.ledger(sli);
  const ledgers = Object.fromEntries(Object.keys(objectives).map((sli) => [sli, ledgerOf(sli)]));
  // An incident no type matched watches no SLI; the shift's first SLI stands in for its plots.
  const firstSli = Object.keys(objectives)[0] as SliName;
  const release = engine.release.getSnapshot().context;
  const results: IncidentResult[] = engine.incidents.map((incident) => {
    const { id, type, actor } = incident;
    const group = engine.groupOf(incident);
    const snapshot = actor.getSnapshot();
    const c = snapshot.context;
    const sli = type?.sli ?? firstSli;
    const onset =
      c.milestones.detected !== undefined
        ? onsetOf(ledgerOf(sli), objectives[sli] as number, c.milestones.detected)
        : undefined;
    const ship = c.ship
      ? { ...c.ship, ...(engine.shipReports.get(id) ?? { report: null, checks: [] }) }
      : null;
    return {
      id,
      service: c.input.service,
      type: c.input.type,
      labels: group.labels,
      alerts: group.count,
      alertnames: group.alertnames,
      startsAt: group.startsAt,
      endsAt: group.endsAt,
      state: stateName(snapshot.value),
      severity: c.severity,
      detection: c.detection && { ...c.detection, burn: c.detection.burn && roundBurn(c.detection.burn) },
      milestones: { ...c.milestones, ...(onset !== undefined ? { onset } : {}) },
      plays: c.plays,
      escalation: c.escalation,
      learn: c.learn,
      ship,
    };
  });

  const primary = results.find((r) => r.type !== '') ?? null;
  const sliName: SliName = scenario.incidentTypes.find((t) => t.name === primary?.type)?.sli ?? firstSli;
  const objective = objectives[sliName] as number;
  const m = primary?.milestones;
  const onset = m?.onset ?? null;
  const recovered = primary?.plays.find((p) => p.outcome === 'recovered');
  const firstPair = primary?.detection?.firing[0];
  const shortWindow = firstPair?.split('/')[1] as keyof Burn | undefined;

  const from = Math.max(minutes.start, (onset ?? minutes.end) - 60);
  const points = [];
  const ledger = ledgerOf(sliName);
  for (let t = from; t <= minutes.end; t++) {
    const burn = ledger.burnAt(t, objective);
    points.push({
      t,
      sli: round(ledger.sli(t)),
      burn1h: round(burn['1h']),
      burn5m: round(burn['5m']),
    });
  }

  return {
    scenario: scenario.name,
    intake: {
      alerts: engine.correlator.counts(),
      groupBy: [...scenario.storm.groupBy],
      incidents: results.length,
      ticket: engine.tickets[0] ?? null,
      tickets: engine.tickets,
    },
    primary: primary?.id ?? null,
    detect: primary
      ? {
          incident: primary.id,
          sli: primary.detection?.sli ?? null,
          objective,
          burnRate:
            shortWindow && primary.detection?.burn ? round(primary.detection.burn[shortWindow]) : null,
          burn: primary.detection?.burn ? roundBurn(primary.detection.burn) : null,
          firing: primary.detection?.firing ?? [],
          severity: primary.severity,
          detectedAt: m?.detected ?? null,
          pagedAt: m?.paged ?? null,
        }
      : null,
    mitigate: primary
      ? {
          incident: primary.id,
          play: recovered?.play ?? null,
          step: recovered ? recovered.step + 1 : null,
          ...releaseMove(release.history, recovered?.startedAt ?? minutes.end, m?.mitigated),
          sliBefore: recovered?.sliBefore ?? null,
          sliAfter: recovered?.sliAfter ?? null,
          plays: primary.plays,
        }
      : null,
    learn: primary?.learn
      ? {
          incident: primary.id,
          accepted: primary.learn.accepted,
          findings: primary.learn.findings,
          postmortem: primary.learn.markdown,
          regressionCases: primary.learn.regressionCases,
        }
      : null,
    ship: primary?.ship
      ? {
          incident: primary.id,
          candidate: primary.ship.candidate,
          verdict: primary.ship.verdict,
          reasons: primary.ship.reasons,
          checks: primary.ship.checks,
        }
      : null,
    live: release.live,
    releases: release.history,
    evalSet: engine.evalSet.map((c) => c.id),
    milestones: {
      onset,
      detected: m?.detected ?? null,
      paged: m?.paged ?? null,
      acknowledged: m?.acknowledged ?? null,
      mitigated: m?.mitigated ?? null,
      resolved: m?.resolved ?? null,
      mttd: since(onset, m?.detected),
      mttm: since(onset, m?.mitigated),
      mttr: since(onset, m?.resolved),
    },
    incidents: results,
    ...(rejectedDeploys.length > 0 ? { rejectedDeploys: [...rejectedDeploys] } : {}),
    series: { sli: sliName, points },
    incidentSeries: incidentSeries(
      engine.incidents.flatMap((incident, i) =>
        incident.type
          ? [
              {
                id: incident.id,
                sli: incident.type.sli,
                startsAt: engine.groupOf(incident).startsAt,
                milestones: results[i]?.milestones ?? {},
              },
            ]
          : [],
      ),
      ledgers,
      objectives,
      minutes,
    ),
    budget: budgetSeries(ledgers, objectives, minutes),
    minutes,
    trace: engine.trace.entries,
    ...withRollout(scenario, engine),
  };
}

function withRollout(scenario: Scenario, engine: Engine): { rollout?: RolloutResult } {
  const rollout = rolloutResult(scenario, engine);
  return rollout ? { rollout } : {};
}

/** Numbers in the JSON keep 4 decimals: enough for a burn of 14.6667, stable across platforms. */
function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

function roundBurn(burn: Burn): Burn {
  return Object.fromEntries(Object.entries(burn).map(([k, v]) => [k, round(v)])) as Burn;
}
