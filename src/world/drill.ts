import type { InspectionEvent } from 'xstate';
import type { PlayLogic } from '../../machines/incident.js';
import type { EngineConfig, WorldPort } from '../engine/config.js';
import { Engine } from '../engine/engine.js';
import type { SliInput } from '../engine/inputs.js';
import type { RunJournal } from '../engine/journal.js';
import { definePlay, stockPlays } from '../engine/plays.js';
import type { TraceEntry } from '../engine/trace.js';
import { type Alert, makeAlert } from '../toolkit/alerts.js';
import { own } from '../toolkit/sli.js';
import type { MinuteCounts } from '../toolkit/slo.js';
import { answerApprovals } from './approvals.js';
import { assemble, type RejectedDeploy, type ShiftResult } from './result.js';
import { RolloutWorld, type RolloutWorldState } from './rollout-world.js';
import { checkPlays, type Scenario } from './scenario.js';
import { asEvalCase, type ServiceState, ServiceUnderOperation, type SliName } from './service.js';
import { sloWords } from './service-spec.js';
import { type SloAlertState, SloAlerts } from './slo-alerts.js';
import { generateStorm, stormArrivals } from './storm.js';

export type { IncidentResult, ShiftResult, TicketResult } from './result.js';

/**
 * The drill is a simulated world driving the engine on a simulated clock, one tick a sim minute: the
 * service under operation serves traffic and reports its SLI counts, the storm's alerts and the
 * tickets arrive when they fire, the timeline deploys, and on-call acknowledges pages. The engine
 * gets all of it as inputs, exactly as it would get them from HTTP and Prometheus.
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
  /** Journal the run here; a journal that has entries is a resumed run, replayed first. */
  journal?: RunJournal | null;
  /** Sim minutes between checkpoints of a journaled run (default 1440, a sim day). */
  checkpointMinutes?: number;
  /**
   * Told after every sim minute: the minute, the last minute the shift may run to (it stops sooner
   * once its story is over), and the storm's alerts sent so far. For a progress line.
   */
  onMinute?: (minute: number, lastMinute: number, alerts: number) => void;
  /** Told after each minute's inputs are committed, before plays report: a replay gives recorded reports due by then. */
  afterCommit?: (minute: number) => void;
}

/** What the engine needs of a scenario: everything but the simulated world. */
export function engineConfig(scenario: Scenario): EngineConfig {
  const evalIds = new Set(scenario.service.evalSet ?? scenario.service.questions.map((q) => q.id));
  return {
    service: { name: scenario.service.name, requestsPerMinute: scenario.service.requestsPerMinute },
    epoch: scenario.epoch,
    initialRelease: scenario.initialRelease,
    objectives: Object.fromEntries(Object.entries(scenario.slos).map(([sli, slo]) => [sli, slo.objective])),
    slis: Object.fromEntries(
      Object.entries(scenario.slos).map(([sli, slo]) => [
        sli,
        {
          kind: slo.kind,
          // The first form of `slos` keeps the stock story's words ("good answers").
          words: sloWords(slo),
          ...(slo.alerting.policy ? { policy: slo.alerting.policy } : {}),
        },
      ]),
    ),
    alerting: scenario.alerting,
    intake: { groupBy: scenario.storm.groupBy, gapMinutes: scenario.storm.gapMinutes },
    incidentTypes: scenario.incidentTypes,
    canary: {
      minQuality: scenario.canary.minQuality ?? qualityObjective(scenario),
      tolerance: scenario.canary.tolerance,
      regressionsMustPass: scenario.canary.regressionsMustPass,
    },
    ...(scenario.rollout ? { rollout: scenario.rollout.strategy } : {}),
    triage: scenario.triage,
    routing: scenario.routing,
    roster: scenario.oncall.roster,
    postmortem: scenario.postmortem,
    // The scenario schema has checked that every eval-set id names a question.
    evalSet: scenario.service.questions.filter((q) => evalIds.has(q.id)).map(asEvalCase),
  };
}

/** The canary's floor: the objective of the first quality SLI (answers), 99% for a service with none. */
function qualityObjective(scenario: Scenario): number {
  return Object.values(scenario.slos).find((slo) => slo.kind === 'quality')?.objective ?? 0.99;
}

/** A play the scenario declares under `effects`: it clears its faults, or nothing, and succeeds. */
function effectPlay(name: string, clears: readonly string[]) {
  return definePlay(({ ops }) => {
    const cleared = clears.length > 0 ? ops.clearFaults(clears) : [];
    return {
      ok: true,
      detail:
        cleared.length > 0
          ? `${name} cleared ${cleared.join(', ')}`
          : `${name} ran; it clears ${clears.length > 0 ? `${clears.join(', ')}, none of which is active` : 'no fault'}`,
    };
  });
}

/** The plays of a scenario's `effects`, by name. */
export function effectPlays(scenario: Scenario): Record<string, PlayLogic> {
  return Object.fromEntries(
    Object.entries(scenario.effects).map(([name, effect]) => [name, effectPlay(name, effect.clears)]),
  );
}

/** What the world's Prometheus watches: every SLO whose alert is raised into intake. */
function sloAlerts(scenario: Scenario): SloAlerts {
  return new SloAlerts(
    scenario.service.name,
    scenario.epoch,
    Object.entries(scenario.slos)
      .filter(([, slo]) => slo.alerting.raise)
      .map(([sli, slo]) => ({
        sli,
        alertname: slo.alerting.name,
        objective: slo.objective,
        policy: slo.alerting.policy ?? scenario.alerting.policy,
      })),
  );
}

/** The scenario's storm in the order it is generated: the generated alerts (lazily), then the listed ones. */
export function* stormAlerts(scenario: Scenario): Generator<Alert> {
  const { storm, epoch } = scenario;
  if (storm.alerts > 0) yield* generateStorm(stormSpec(scenario));
  for (const listed of storm.listed) {
    yield makeAlert(listed.labels, listed.annotations, listed.at, listed.at + listed.durationMinutes, epoch);
  }
}

function stormSpec(scenario: Scenario) {
  const { storm } = scenario;
  return {
    seed: storm.seed ?? scenario.seed,
    alerts: storm.alerts,
    startMinute: storm.startMinute,
    spreadMinutes: storm.spreadMinutes,
    durationMinutes: storm.durationMinutes,
    services: storm.services,
    epoch: scenario.epoch,
  };
}

/**
 * The storm as it arrives, minute by minute: the generated alerts and the listed ones by start minute
 * (generated first within a minute), and the last minute any of them still fires.
 */
function arrivals(scenario: Scenario): {
  lastEnd: number;
  alerts: Generator<{ at: number; alert: Alert }>;
} {
  const { storm, epoch } = scenario;
  const generated = stormArrivals(stormSpec(scenario));
  const listed = [...storm.listed].sort((a, b) => a.at - b.at);
  const lastEnd = Math.max(
    0,
    generated.lastStart === null ? 0 : generated.lastStart + storm.durationMinutes,
    ...listed.map((l) => l.at + l.durationMinutes),
  );
  function* merged() {
    let next = 0;
    for (const arrival of generated.alerts()) {
      for (let l = listed[next]; l && l.at < arrival.at; l = listed[++next]) yield listedAlert(l);
      yield arrival;
    }
    for (let l = listed[next]; l; l = listed[++next]) yield listedAlert(l);
  }
  const listedAlert = (l: (typeof listed)[number]) => ({
    at: l.at,
    alert: makeAlert(l.labels, l.annotations, l.at, l.at + l.durationMinutes, epoch),
  });
  return { lastEnd, alerts: merged() };
}

/** The simulated service as the engine's world: its eval answers, what it gets wrong, its knobs. */
function simulatedWorld(scenario: Scenario, service: ServiceUnderOperation): WorldPort {
  return {
    evaluate: (release, cases) => service.evaluate(release, cases),
    // Only an answers SLI has wrong answers to turn into regression cases.
    wrongAnswers: (release, sli) =>
      own(scenario.slos, sli)?.kind === 'quality' ? service.wrongAnswers(release).map(asEvalCase) : [],
    effect: (effect, now) => {
      if (effect.type === 'clear') return service.clearFaults(effect.faults, now);
      if (effect.type === 'flag') {
        // A flag nothing reads would "succeed" and change nothing: refuse it, as a typo.
        if (!service.flags.includes(effect.name))
          throw new Error(
            `no flag ${JSON.stringify(effect.name)}: the service reads ${service.flags.join(', ') || 'no flags'}`,
          );
        return service.setFlag(effect.name, effect.on);
      }
      if (!scenario.service.index.rebuildable) {
        throw new Error('the index source is unreachable: the rebuild cannot start');
      }
      return service.reindex(now);
    },
  };
}

/** The scenario's service under operation; `live` reads the release actor, which owns what is live. */
export function simulatedService(
  scenario: Scenario,
  live: () => string,
  canary?: () => { release: string; weight: number } | null,
): ServiceUnderOperation {
  return new ServiceUnderOperation({
    name: scenario.service.name,
    requestsPerMinute: scenario.service.requestsPerMinute,
    questions: scenario.service.questions,
    releases: scenario.releases,
    index: scenario.service.index,
    live,
    slis: Object.fromEntries(Object.entries(scenario.slos).map(([sli, slo]) => [sli, slo.kind])),
    dailyCycle: scenario.service.dailyCycle,
    faults: scenario.faults,
    ...(canary ? { canary } : {}),
  });
}

export async function runShift(scenario: Scenario, options: ShiftOptions = {}): Promise<ShiftResult> {
  const file = options.file ?? scenario.name;
  const plays: Record<string, PlayLogic> = { ...stockPlays, ...effectPlays(scenario), ...options.plays };
  checkPlays(scenario, Object.keys(plays), file);

  let engine: Engine | null = null;
  const service = simulatedService(
    scenario,
    () => (engine as Engine).live(),
    scenario.rollout ? () => canaryOf(engine as Engine) : undefined,
  );
  engine = new Engine({
    config: engineConfig(scenario),
    world: simulatedWorld(scenario, service),
    plays,
    journal: options.journal ?? null,
    inspect: options.inspect,
    onTrace: options.onTrace,
  });
  try {
    const every = options.checkpointMinutes ?? CHECKPOINT_MINUTES;
    const rollouts = scenario.rollout
      ? new RolloutWorld(engine, service, scenario.rollout.strategy.onCall)
      : null;
    const { rejected, ...minutes } = await shift(scenario, engine, service, every, options, rollouts);
    engine.flush();
    return assemble(scenario, engine, minutes, rejected);
  } finally {
    engine.stop();
  }
}

/** Sim minutes between checkpoints of a journaled drill: a resume replays at most this much. */
export const CHECKPOINT_MINUTES = 1440;

/** The world as a checkpoint keeps it, beside the engine: where the shift is and what the service holds. */
interface WorldState {
  /** The last minute served. */
  t: number;
  served: Record<SliName, MinuteCounts> | null;
  /** Alerts of the storm sent so far. */
  arrived: number;
  service: ServiceState;
  /** The world's Prometheus, when it watches any SLO. */
  slo?: SloAlertState;
  /** Deploys the canary rejected so far, when there are any. */
  rejected?: RejectedDeploy[];
  /** The canary's split counts by minute, with a canary strategy. */
  rollout?: RolloutWorldState;
}

/** The world's clock: every minute, what happens in it goes to the engine, committed before plays run. */
async function shift(
  scenario: Scenario,
  engine: Engine,
  service: ServiceUnderOperation,
  every: number,
  { onMinute, afterCommit }: Pick<ShiftOptions, 'onMinute' | 'afterCommit'>,
  rollouts: RolloutWorld | null,
) {
  const storm = arrivals(scenario);
  const restored = engine.restoredWorld as WorldState | null;
  let arrived = 0;
  let arriving = storm.alerts.next();
  for (; restored && arrived < restored.arrived && !arriving.done; arrived++) arriving = storm.alerts.next();
  if (restored) service.restoreState(restored.service);
  const slo = sloAlerts(scenario);
  if (restored?.slo) slo.restore(restored.slo);
  if (restored?.rollout) rollouts?.restore(restored.rollout);
  const lastEvent = Math.max(
    storm.lastEnd,
    ...scenario.timeline.map((e) => e.at),
    ...scenario.tickets.map((t) => t.at),
    ...scenario.faults.map((f) => f.until ?? f.at),
  );
  const end = scenario.until ?? lastEvent + 1440;
  let served: Record<SliName, MinuteCounts> | null = restored?.served ?? null;
  const rejected: RejectedDeploy[] = [...(restored?.rejected ?? [])];
  // Most minutes have no event and no ticket: look them up by minute rather than scan the lists.
  const eventsAt = byMinute(scenario.timeline);
  const ticketsAt = byMinute(scenario.tickets);

  let t = restored ? restored.t + 1 : 0;
  // The service hands out the same counts while they repeat, and the world the same input with them:
  // the journal sees a repeated minute at a glance (see journal-codec.ts), and no garbage is made.
  const lastSli = new Map<SliName, SliInput>();
  const sliInput = (sli: SliName, counts: MinuteCounts): SliInput => {
    let input = lastSli.get(sli);
    if (input?.counts !== counts) {
      input = { kind: 'sli', sli, counts };
      lastSli.set(sli, input);
    }
    return input;
  };
  for (; t <= end; t++) {
    engine.submit({ kind: 'tick', t });
    // The minute that just ended, counted by the service: every incident on the SLI samples it.
    if (served) for (const sli in served) engine.submit(sliInput(sli, served[sli] as MinuteCounts));
    // Prometheus evaluates the SLO rules on what was served and sends the firing alerts.
    if (!slo.empty) for (const alert of slo.observe(t, served)) engine.submit({ kind: 'alert', alert });
    for (const event of eventsAt.get(t) ?? NOTHING) {
      if ('deploy' in event) {
        const report = engine.canaryReport(event.deploy);
        engine.submit({ kind: 'deploy', candidate: event.deploy, report });
        // The release machine judged it: a rejected deploy never goes live, and is reported as such.
        const verdict = engine.release.getSnapshot().context.verdict;
        if (verdict?.verdict === 'reject') {
          const { candidate, baseline } = report;
          const { reasons, checks } = verdict;
          rejected.push({ release: event.deploy, at: t, candidate, baseline, reasons, checks });
        }
      } else {
        service.stallIndexer();
      }
    }
    for (; !arriving.done && arriving.value.at === t; arriving = storm.alerts.next()) {
      engine.submit({ kind: 'alert', alert: arriving.value.alert });
      arrived++;
    }
    for (const ticket of ticketsAt.get(t) ?? NOTHING) engine.submit({ kind: 'ticket', ticket });
    acknowledge(scenario, engine, t);
    answerApprovals(scenario.oncall.approvals, engine, t);
    rollouts?.drive(t);
    engine.commit();
    afterCommit?.(t);
    // Plays, postmortems and ship steps report before the minute ends; one that never reports is
    // left to its step's timeout on the sim clock.
    const reports = engine.drain();
    if (reports) await reports;
    served = service.serve(t);
    rollouts?.served(t);
    if (t % every === 0) {
      engine.checkpoint({
        t,
        served,
        arrived,
        service: service.state(),
        ...(slo.empty ? {} : { slo: slo.state() }),
        ...(rejected.length > 0 ? { rejected } : {}),
        ...(rollouts ? { rollout: rollouts.state() } : {}),
      } satisfies WorldState);
    }
    onMinute?.(t, end, arrived);

    // A watched SLO may still be about to fire: the shift goes on while its service serves errors.
    if (t >= lastEvent && !typedOpen(engine) && (slo.empty || (!slo.firing && service.quiet(t)))) break;
  }
  return { start: 0, end: Math.min(t, end), rejected };
}

/** The canary's release and weight while a rollout runs (none without a strategy). */
function canaryOf(engine: Engine): { release: string; weight: number } | null {
  const work = engine.rolloutWork();
  return work && work.weight > 0 ? { release: work.candidate, weight: work.weight } : null;
}

/** What a minute without events or tickets holds: one empty list, not a new one a minute. */
const NOTHING: readonly never[] = [];

/** Each item under its minute, in the order listed. */
function byMinute<T extends { at: number }>(items: readonly T[]): Map<number, T[]> {
  const at = new Map<number, T[]>();
  for (const item of items) {
    const list = at.get(item.at);
    if (list) list.push(item);
    else at.set(item.at, [item]);
  }
  return at;
}

/** Whether an incident of a known type is still being worked: the shift goes on until none is. */
const typedOpen = (engine: Engine): boolean =>
  engine.incidents.some((i) => i.type && i.actor.getSnapshot().status === 'active');

/**
 * On-call acknowledges a page `ackMinutes` after it was paged, a ticket `ticketAckMinutes` after it
 * was opened; a ticket that turns into a page gets the page's deadline, counted from the page.
 */
function acknowledge(scenario: Scenario, engine: Engine, t: number): void {
  const waiting = engine.awaitingAck();
  if (waiting.length === 0) return;
  const { ackMinutes, ticketAckMinutes } = scenario.oncall;
  for (const incident of waiting) {
    const snapshot = incident.actor.getSnapshot();
    const { milestones } = snapshot.context;
    let due: number | null = null;
    if (snapshot.matches('page') && milestones.paged !== undefined) due = milestones.paged + ackMinutes;
    else if (snapshot.matches('ticket') && milestones.detected !== undefined) {
      due = milestones.detected + ticketAckMinutes;
    }
    if (due !== null && due <= t) engine.submit({ kind: 'ack', incident: incident.id, by: 'on-call' });
  }
}
