import { type Actor, createActor, fromPromise, type InspectionEvent, SimulatedClock } from 'xstate';
import {
  type IncidentContext,
  type IncidentMachine,
  incidentMachine,
  type LearnInput,
  type LearnOutput,
  type PlayLogic,
  type PlayRecord,
  type ShipInput,
  type ShipOutput,
} from '../../machines/incident.js';
import type { PlayOps } from '../../machines/play.js';
import { type ReleaseRecord, releaseMachine } from '../../machines/release.js';
import { onsetOf, writePostmortem } from '../engine/learn.js';
import { stockPlays } from '../engine/plays.js';
import { stateName, type TraceEntry, TraceRecorder } from '../engine/trace.js';
import { type Alert, makeAlert, minuteToTimestamp } from '../toolkit/alerts.js';
import { type CanaryReport, type CanaryVerdict, DEFAULT_CANARY, scoreOf } from '../toolkit/canary.js';
import { type AlertGroup, Correlator } from '../toolkit/correlate.js';
import type { EvalCase } from '../toolkit/postmortem.js';
import { type Burn, SliLedger } from '../toolkit/slo.js';
import { link, route, type Severity, triage } from '../toolkit/triage.js';
import { type BudgetSeries, budgetSeries, type IncidentSeries, incidentSeries } from './plot-series.js';
import { checkPlays, type IncidentTypeSpec, type Scenario } from './scenario.js';
import { asEvalCase, ServiceUnderOperation, type SliName } from './service.js';
import { generateStorm } from './storm.js';

/**
 * The drill runs one scenario as a shift on a simulated clock (one tick = one sim minute): the
 * service serves traffic every minute, the SLO ledgers feed the incident actors, plays act on the
 * release actor and the service, and every transition of every actor lands in the trace.
 */

export interface ShiftOptions {
  /** Plays plugged in by name; they override stock plays of the same name. */
  plays?: Record<string, PlayLogic>;
  /** The scenario's file, for error messages. */
  file?: string;
  /** Extra inspection (the inspector streams the actors' events from here). */
  inspect?: (event: InspectionEvent) => void;
  /** Called with each trace entry as it is recorded. */
  onTrace?: (entry: TraceEntry) => void;
}

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

export interface TicketResult {
  id: string;
  at: number;
  title: string;
  severity: Severity;
  because: string;
  queue: string;
  incident: string | null;
}

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
  /** Minute by minute around the primary incident, for plots: its SLI and its fast-burn pair. */
  series: { sli: SliName; points: { t: number; sli: number; burn1h: number; burn5m: number }[] };
  /** Each typed incident minute by minute over its own span: SLI, every window's burn, budget left. */
  incidentSeries: IncidentSeries[];
  /** Every SLO's error budget left over the whole shift. */
  budget: BudgetSeries[];
  minutes: { start: number; end: number };
  trace: TraceEntry[];
}

type IncidentActor = Actor<IncidentMachine>;

interface OpenIncident {
  id: string;
  group: AlertGroup;
  type: IncidentTypeSpec | undefined;
  actor: IncidentActor;
  ackAt: number | null;
}

const FINAL = new Set(['resolved', 'escalated']);

/** An incident takes the first type whose matchers all hold for its group (labels or alertnames). */
function typeOf(group: AlertGroup, types: readonly IncidentTypeSpec[]): IncidentTypeSpec | undefined {
  return types.find((type) =>
    Object.entries(type.match).every(([label, value]) =>
      label === 'alertname' ? group.alertnames.includes(value) : group.labels[label] === value,
    ),
  );
}

/** The scenario's storm as it arrives: the generated alerts (lazily, however many), then the listed ones. */
export function* stormAlerts(scenario: Scenario): Generator<Alert> {
  const { storm, epoch } = scenario;
  if (storm.alerts > 0) {
    yield* generateStorm({
      seed: storm.seed ?? scenario.seed,
      alerts: storm.alerts,
      startMinute: storm.startMinute,
      spreadMinutes: storm.spreadMinutes,
      durationMinutes: storm.durationMinutes,
      services: storm.services,
      epoch,
    });
  }
  for (const listed of storm.listed) {
    yield makeAlert(listed.labels, listed.annotations, listed.at, listed.at + listed.durationMinutes, epoch);
  }
}

/** Resolves once pending promise reactions (plays, postmortem, ship) have run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function runShift(scenario: Scenario, options: ShiftOptions = {}): Promise<ShiftResult> {
  const file = options.file ?? scenario.name;
  const plays: Record<string, PlayLogic> = { ...stockPlays, ...options.plays };
  checkPlays(scenario, Object.keys(plays), file);

  const clock = new SimulatedClock();
  const now = () => clock.now();
  const trace = new TraceRecorder(now);
  if (options.onTrace) trace.onEntry(options.onTrace);
  const inspect = (event: InspectionEvent) => {
    trace.inspect(event);
    options.inspect?.(event);
  };

  const objectives: Record<SliName, number> = {
    quality: scenario.slos.quality.objective,
    freshness: scenario.slos.freshness.objective,
  };
  const release = createActor(releaseMachine, {
    id: 'release',
    clock,
    inspect,
    input: {
      service: scenario.service.name,
      initial: scenario.initialRelease,
      thresholds: {
        minQuality: scenario.canary.minQuality ?? objectives.quality,
        tolerance: scenario.canary.tolerance ?? DEFAULT_CANARY.tolerance,
        regressionsMustPass: scenario.canary.regressionsMustPass,
      },
      now,
    },
  }).start();
  const live = () => release.getSnapshot().context.live;

  const service = new ServiceUnderOperation({
    name: scenario.service.name,
    requestsPerMinute: scenario.service.requestsPerMinute,
    questions: scenario.service.questions,
    releases: scenario.releases,
    index: scenario.service.index,
    live,
  });
  const ledgers: Record<SliName, SliLedger> = { quality: new SliLedger(), freshness: new SliLedger() };
  // The scenario schema has checked that every eval-set id names a question.
  const evalIds = new Set(scenario.service.evalSet ?? scenario.service.questions.map((q) => q.id));
  const evalSet: EvalCase[] = scenario.service.questions.filter((q) => evalIds.has(q.id)).map(asEvalCase);

  /** Deploys through the canary: the candidate and live are scored on today's eval set. */
  const deploy = (candidate: string) => {
    const cases = [...evalSet];
    const baseline = live();
    const report: CanaryReport = {
      candidate: scoreOf(candidate, service.evaluate(candidate, cases)),
      baseline: scoreOf(baseline, service.evaluate(baseline, cases)),
      regressionIds: cases.filter((c) => c.origin !== undefined).map((c) => c.id),
    };
    release.send({ type: 'DEPLOY', candidate, report });
    return { report, verdict: release.getSnapshot().context.verdict };
  };

  const ops: PlayOps = {
    now,
    release: () => {
      const { live: current, lastGood } = release.getSnapshot().context;
      return { live: current, lastGood };
    },
    rollback: () => {
      const from = live();
      release.send({ type: 'ROLLBACK' });
      const to = live();
      return to === from ? null : { from, to };
    },
    reindex: () => {
      if (!scenario.service.index.rebuildable) {
        throw new Error('the index source is unreachable: the rebuild cannot start');
      }
      return service.reindex(now());
    },
    setFlag: (name, on) => service.setFlag(name, on),
  };

  const incidents: OpenIncident[] = [];
  const byId = new Map<string, OpenIncident>();
  const shipReports = new Map<string, { report: CanaryReport | null; checks: CanaryVerdict['checks'] }>();
  const sliOf = (incident: OpenIncident | undefined): SliName => incident?.type?.sli ?? 'quality';
  const liveAt = (minute: number) => {
    const history = release.getSnapshot().context.history;
    let current = scenario.initialRelease;
    for (const record of history) if (record.at <= minute) current = record.release;
    return current;
  };

  const machine = incidentMachine.provide({
    actors: {
      ...(plays as Record<'rollback', PlayLogic>),
      writePostmortem: fromPromise<LearnOutput, LearnInput>(async ({ input }) =>
        writePostmortem(input, {
          scenario,
          service,
          ledgerOf: (id) => ledgers[sliOf(byId.get(id))],
          sliOf: (id) => sliOf(byId.get(id)),
          narrativeOf: (id) => byId.get(id)?.type?.postmortem ?? scenario.postmortem,
          liveAt,
          evalSet,
          minuteLabel: (t) => `${minuteToTimestamp(t, scenario.epoch).slice(11, 16)}Z (min ${t})`,
        }),
      ),
      shipFix: fromPromise<ShipOutput, ShipInput>(async ({ input }) => {
        const fix = byId.get(input.incidentId)?.type?.fix;
        if (!fix) {
          return {
            candidate: null,
            verdict: 'none',
            reasons: ['no fix to ship for this incident type'],
            live: live(),
          };
        }
        const { report, verdict } = deploy(fix.candidate);
        shipReports.set(input.incidentId, { report, checks: verdict?.checks ?? [] });
        return {
          candidate: fix.candidate,
          verdict: verdict?.verdict ?? 'reject',
          reasons: verdict?.reasons ?? [],
          live: live(),
        };
      }),
    },
  });

  // Intake: the storm is correlated as Alertmanager would group it; each group is an incident that
  // opens at its first alert.
  const correlator = new Correlator({
    groupBy: scenario.storm.groupBy,
    gapMinutes: scenario.storm.gapMinutes,
    epoch: scenario.epoch,
  });
  for (const alert of stormAlerts(scenario)) correlator.add(alert);
  const correlation = correlator.result();
  const groups = [...correlation.groups].sort((a, b) => a.startsAt - b.startsAt || (a.key < b.key ? -1 : 1));
  const opening = new Map<number, AlertGroup[]>();
  for (const group of groups) opening.set(group.startsAt, [...(opening.get(group.startsAt) ?? []), group]);
  let nextIncident = 1;

  const tickets: TicketResult[] = [];
  const lastEvent = Math.max(
    0,
    ...scenario.timeline.map((e) => e.at),
    ...groups.map((g) => g.endsAt),
    ...scenario.tickets.map((t) => t.at),
  );
  const end = scenario.until ?? lastEvent + 1440;
  const start = 0;

  const burnOf = (sli: SliName, t: number) => ledgers[sli].burnAt(t, objectives[sli]);
  const isBusy = () =>
    incidents.some(({ actor }) => {
      const snapshot = actor.getSnapshot();
      return snapshot.children.play !== undefined || snapshot.matches('learn') || snapshot.matches('ship');
    });

  let t = start;
  for (; t <= end; t++) {
    clock.set(t);

    for (const event of scenario.timeline) {
      if (event.at !== t) continue;
      if ('deploy' in event) deploy(event.deploy);
      else service.stallIndexer();
    }

    for (const group of opening.get(t) ?? []) {
      const type = typeOf(group, scenario.incidentTypes);
      const id = `INC-${nextIncident++}`;
      const sli: SliName = type?.sli ?? 'quality';
      const actor = createActor(machine, {
        id,
        clock,
        inspect,
        input: {
          id,
          service: group.labels.service ?? '',
          type: type?.name ?? '',
          objective: objectives[sli],
          policy: scenario.alerting.policy,
          runbook: type?.runbook ?? [],
          severityFor: scenario.alerting.severity,
          settleMinutes: type?.settleMinutes ?? 5,
          verifyMinutes: type?.verifyMinutes ?? 10,
          ops,
        },
      });
      const open: OpenIncident = { id, group, type, actor, ackAt: null };
      incidents.push(open);
      byId.set(id, open);
      actor.start();
      // Only typed incidents have an SLI here; the rest are looked at and go back to watching.
      actor.send(
        type
          ? { type: 'ALERTS', sli: ledgers[sli].sli(t), burn: burnOf(sli, t) }
          : { type: 'ALERTS', sli: null, burn: null },
      );
    }

    for (const ticket of scenario.tickets) {
      if (ticket.at !== t) continue;
      const verdict = triage(ticket, scenario.triage);
      const spans = incidents.map(({ id, group, actor }) => ({
        id,
        service: group.labels.service ?? '',
        startsAt: group.startsAt,
        endsAt: group.endsAt,
        open: !FINAL.has(stateName(actor.getSnapshot().value)),
      }));
      tickets.push({
        id: ticket.id,
        at: ticket.at,
        title: ticket.title,
        severity: verdict.severity,
        because: verdict.because,
        queue: route(verdict.severity, scenario.routing),
        incident: link(ticket, spans) ?? null,
      });
    }

    for (const incident of incidents) {
      if (!incident.type || incident.actor.getSnapshot().status !== 'active') continue;
      const sli = incident.type.sli;
      incident.actor.send({ type: 'SLI_SAMPLE', sli: ledgers[sli].sli(t), burn: burnOf(sli, t) });
      const snapshot = incident.actor.getSnapshot();
      if (incident.ackAt === null && (snapshot.matches('page') || snapshot.matches('ticket'))) {
        const wait = snapshot.matches('page') ? scenario.oncall.ackMinutes : scenario.oncall.ticketAckMinutes;
        incident.ackAt = t + wait;
      }
      if (
        incident.ackAt !== null &&
        incident.ackAt <= t &&
        (snapshot.matches('page') || snapshot.matches('ticket'))
      ) {
        incident.actor.send({ type: 'ACK' });
      }
    }

    // Plays, the postmortem and the ship step are promise actors: let them report before the
    // minute ends. A play that never reports is left to its step's timeout on the sim clock.
    for (let round = 0; round < 100 && isBusy(); round++) {
      const before = trace.entries.length;
      await settle();
      if (trace.entries.length === before) break;
    }

    const counts = service.serve(t);
    ledgers.quality.record(counts.quality);
    ledgers.freshness.record(counts.freshness);

    const pending = t < lastEvent;
    const typedOpen = incidents.some((i) => i.type && i.actor.getSnapshot().status === 'active');
    if (!pending && !typedOpen) break;
  }
  const last = Math.min(t, end);

  for (const { actor } of incidents) actor.stop();
  release.stop();

  return assemble({
    scenario,
    correlation,
    incidents,
    tickets,
    shipReports,
    release: release.getSnapshot().context,
    evalSet,
    ledgers,
    objectives,
    trace: trace.entries,
    minutes: { start, end: last },
    liveAt,
  });
}

interface AssembleInput {
  scenario: Scenario;
  correlation: ReturnType<Correlator['result']>;
  incidents: OpenIncident[];
  tickets: TicketResult[];
  shipReports: Map<string, { report: CanaryReport | null; checks: CanaryVerdict['checks'] }>;
  release: { live: string; history: ReleaseRecord[] };
  evalSet: EvalCase[];
  ledgers: Record<SliName, SliLedger>;
  objectives: Record<SliName, number>;
  trace: TraceEntry[];
  minutes: { start: number; end: number };
  liveAt: (minute: number) => string;
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

function assemble(input: AssembleInput): ShiftResult {
  const { scenario, incidents, objectives, ledgers } = input;
  const results: IncidentResult[] = incidents.map(({ id, group, type, actor }) => {
    const snapshot = actor.getSnapshot();
    const c = snapshot.context;
    const sli = type?.sli ?? 'quality';
    const onset =
      c.milestones.detected !== undefined
        ? onsetOf(ledgers[sli], objectives[sli], c.milestones.detected)
        : undefined;
    const ship = c.ship
      ? { ...c.ship, ...(input.shipReports.get(id) ?? { report: null, checks: [] }) }
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
  const sliName: SliName = scenario.incidentTypes.find((t) => t.name === primary?.type)?.sli ?? 'quality';
  const objective = objectives[sliName];
  const m = primary?.milestones;
  const onset = m?.onset ?? null;
  const recovered = primary?.plays.find((p) => p.outcome === 'recovered');
  const firstPair = primary?.detection?.firing[0];
  const shortWindow = firstPair?.split('/')[1] as keyof Burn | undefined;

  const from = Math.max(input.minutes.start, (onset ?? input.minutes.end) - 60);
  const points = [];
  for (let t = from; t <= input.minutes.end; t++) {
    const burn = ledgers[sliName].burnAt(t, objectives[sliName]);
    points.push({
      t,
      sli: round(ledgers[sliName].sli(t)),
      burn1h: round(burn['1h']),
      burn5m: round(burn['5m']),
    });
  }

  return {
    scenario: scenario.name,
    intake: {
      alerts: { posted: input.correlation.posted, distinct: input.correlation.distinct },
      groupBy: input.correlation.group_by,
      incidents: results.length,
      ticket: input.tickets[0] ?? null,
      tickets: input.tickets,
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
          ...releaseMove(input.release.history, recovered?.startedAt ?? input.minutes.end, m?.mitigated),
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
    live: input.release.live,
    releases: input.release.history,
    evalSet: input.evalSet.map((c) => c.id),
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
    series: { sli: sliName, points },
    incidentSeries: incidentSeries(
      incidents.flatMap(({ id, type, group }, i) =>
        type
          ? [{ id, sli: type.sli, startsAt: group.startsAt, milestones: results[i]?.milestones ?? {} }]
          : [],
      ),
      ledgers,
      objectives,
      input.minutes,
    ),
    budget: budgetSeries(ledgers, objectives, input.minutes),
    minutes: input.minutes,
    trace: input.trace,
  };
}

/** Numbers in the JSON keep 4 decimals: enough for a burn of 14.6667, stable across platforms. */
function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

function roundBurn(burn: Burn): Burn {
  return Object.fromEntries(Object.entries(burn).map(([k, v]) => [k, round(v)])) as Burn;
}
