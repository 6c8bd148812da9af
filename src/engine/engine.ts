import { type Actor, type AnyActorRef, createActor, type InspectionEvent } from 'xstate';
import {
  type IncidentMachine,
  incidentMachine,
  isPlayOutput,
  type LearnInput,
  type LearnOutput,
  misreport,
  type PlayLogic,
  type ShipInput,
  type ShipOutput,
  thrown,
} from '../../machines/incident.js';
import type { PlayInput, PlayOps, PlayOutput } from '../../machines/play.js';
import type { ReleaseContext, ReleaseRecord } from '../../machines/release.js';
import { outputsOf, type RunbookOps } from '../../machines/runbook.js';
import { minuteToTimestamp, parseTimestamp } from '../toolkit/alerts.js';
import { type CanaryReport, type CanaryVerdict, scoreOf } from '../toolkit/canary.js';
import { type AlertGroup, Correlator, type GroupRef, type SavedCorrelation } from '../toolkit/correlate.js';
import { InputError } from '../toolkit/errors.js';
import { escalationsDue } from '../toolkit/escalation.js';
import type { EvalCase } from '../toolkit/postmortem.js';
import { ANSWER_WORDS, own } from '../toolkit/sli.js';
import { SliLedger } from '../toolkit/slo.js';
import { link, route, type Severity, triage } from '../toolkit/triage.js';
import { EngineClock } from './clock.js';
import {
  type EngineConfig,
  type IncidentTypeConfig,
  type Maybe,
  type WorldPort,
  whenReady,
} from './config.js';
import { type DeferredRef, deferred } from './deferred.js';
import { unplaceable } from './input-check.js';
import {
  type Input,
  isWorldInput,
  type OperatorInput,
  type OutcomeInput,
  type TaskInput,
  type WorldInput,
} from './inputs.js';
import type { JournalEntry, Notification, RunJournal } from './journal.js';
import { burnedBy, writePostmortem } from './learn.js';
import { batchOutputs, escalationNotice } from './records.js';
import {
  isRollout,
  type PendingShips,
  type ReleaseActor,
  releaseActor,
  rolloutEvent,
  rolloutOf,
  rolloutWork,
  shipOutcome,
} from './rollouts.js';
import {
  checkCommand,
  flowMachines,
  flowSrc,
  operatorEvent,
  type RunbookWait,
  reattach,
  runbookActor,
  statusOf,
  waitOf,
} from './runbooks.js';
import { type PendingTimer, TimerTable } from './timers.js';
import { stateName, type TraceEntry, TraceRecorder } from './trace.js';
import { escalationForUndelivered, TRIGGER_KINDS, type Undelivered } from './undeliverable.js';

/**
 * The engine: inputs in, machines stepped, outputs out. It holds the incident and release actors,
 * the online intake (correlation as alerts arrive), the SLI ledgers and the tasks the machines start
 * (plays, postmortems, ship steps). It does not know whether its world is a drill or production.
 *
 * Durability: each input is applied in memory and buffered; `commit()` writes the buffered inputs,
 * with the trace entries, incident records and notifications they produced, in one transaction. Only
 * then do plays start. Given a journal with entries, the engine first replays them: the world's inputs
 * are matched as the world sends them again, the plays' and tasks' reports are applied where they were
 * recorded, and no play runs until the replay is over; a play that had started without a recorded
 * outcome then runs again under the same idempotency key.
 */

type IncidentActor = Actor<IncidentMachine>;

export interface EngineIncident {
  id: string;
  group: GroupRef;
  type: IncidentTypeConfig | undefined;
  actor: IncidentActor;
}

export interface TicketRecord {
  id: string;
  at: number;
  title: string;
  severity: Severity;
  because: string;
  queue: string;
  incident: string | null;
}

export interface ShipReport {
  report: CanaryReport | null;
  checks: CanaryVerdict['checks'];
}

export interface EngineOptions {
  config: EngineConfig;
  world: WorldPort;
  /** Plays by name, the stock ones included. */
  plays: Record<string, PlayLogic>;
  /** The journal to write; entries already in it are replayed first. */
  journal?: RunJournal | null;
  inspect?: (event: InspectionEvent) => void;
  /** Called with each trace entry as it is recorded (the inspector streams them). */
  onTrace?: (entry: TraceEntry) => void;
  /**
   * A replay's record of the engine's own tasks (postmortem, ship) by idempotency key: the report
   * the record has for it, instead of asking the world again (null: run the task).
   */
  recordedTask?: (kind: 'learn' | 'ship', key: string) => Promise<Omit<OutcomeInput, 'kind' | 'key'>> | null;
}

type TaskKind = 'play' | 'learn' | 'ship';

/** A play or task a machine started: the stand-in in the machine, and the real run outside it. */
interface Task {
  key: string;
  kind: TaskKind;
  /** The play's name (or the task's), for running it. */
  name: string;
  incident: string;
  ref: DeferredRef;
  input: unknown;
  runner: AnyActorRef | null;
  started: boolean;
}

/** No incident waiting for a human: shared, as most minutes have none. */
const NOBODY: readonly EngineIncident[] = [];

/**
 * Quiet inputs (ticks, SLI counts that moved no machine) that may wait for the next commit. They are
 * what the world sends again after a crash, so the cap bounds memory and resending, not what is lost;
 * since a run of repeated minutes takes a few bytes in the journal (journal-codec.ts), it is a sim day
 * of a drill's three inputs a minute rather than 200 minutes, and a quiet day is a commit, not seven.
 */
const MAX_QUIET = 4320;

/** Rounds of the event loop a drain waits for plays to report before the world moves on. */
const DRAIN_ROUNDS = 100;
const nextRound = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Engine {
  readonly config: EngineConfig;
  readonly clock = new EngineClock();
  readonly trace: TraceRecorder;
  correlator: Correlator;
  readonly incidents: EngineIncident[] = [];
  readonly tickets: TicketRecord[] = [];
  readonly evalSet: EvalCase[];
  readonly shipReports = new Map<string, ShipReport>();
  release: ReleaseActor;
  /** What the world kept in the checkpoint this engine was restored from (null: started afresh). */
  readonly restoredWorld: unknown = null;
  private readonly timers: TimerTable;
  private readonly ledgers = new Map<string, SliLedger>();
  private readonly byId = new Map<string, EngineIncident>();
  /** Incidents waiting for a human: paged or ticketed, not yet acknowledged. Kept from the trace. */
  private readonly waiting = new Set<string>();
  private readonly world: WorldPort;
  private readonly plays: Record<string, PlayLogic>;
  private readonly machine: IncidentMachine;
  private readonly inspect: (event: InspectionEvent) => void;
  /** Results of rollbacks and world effects by idempotency key: the second try gets the first's. */
  private readonly applied = new Map<string, { result?: unknown; error?: string }>();
  private readonly tasks = new Map<string, Task>();
  private readonly pendingShips: PendingShips = new Map();
  private readonly journal: RunJournal | null;
  private readonly recordedTask: EngineOptions['recordedTask'];
  private replay: JournalEntry[];
  private cursor = 0;
  private seq = 0;
  private buffered: JournalEntry[] = [];
  private traceMark = 0;
  private inputsApplied = 0;
  /** Notifications the clock owed since the last commit (escalations): they go out with it. */
  private notices: Notification[] = [];

  constructor(options: EngineOptions) {
    const { config } = options;
    this.config = config;
    this.world = options.world;
    this.plays = options.plays;
    this.journal = options.journal ?? null;
    this.recordedTask = options.recordedTask;
    const saved = this.journal?.latestCheckpoint() ?? null;
    this.replay = this.journal?.entries(saved?.seq ?? 0) ?? [];
    this.evalSet = [...config.evalSet];
    this.timers = new TimerTable(() => this.clock.now());
    this.trace = new TraceRecorder(() => this.clock.now());
    this.trace.onEntry((entry) => {
      if (entry.to === 'page' || entry.to === 'ticket') this.waiting.add(entry.actor);
      else this.waiting.delete(entry.actor);
      if (entry.to === 'mitigate.flow') this.flows.add(entry.actor);
      else if (this.flows.size > 0 && this.byId.has(entry.actor)) this.flows.delete(entry.actor);
    });
    if (options.onTrace) this.trace.onEntry(options.onTrace);
    this.inspect = (event) => {
      this.trace.inspect(event);
      options.inspect?.(event);
    };
    this.machine = Engine.machineFor(Object.keys(this.plays), config.incidentTypes);
    if (saved) {
      const { engine, world } = JSON.parse(saved.state) as { engine: EngineState; world: unknown };
      this.restoredWorld = world;
      this.seq = saved.seq;
      [this.correlator, this.release] = this.restore(engine);
    } else {
      this.correlator = new Correlator({ ...config.intake, epoch: config.epoch });
      for (const sli of Object.keys(config.objectives)) this.ledgers.set(sli, new SliLedger());
      this.release = releaseActor(config.rollout, {
        clock: this.clock,
        inspect: this.inspect,
        input: this.releaseInput(),
      });
      this.timers.watch(this.release);
      this.release.start();
    }
    if (this.replay.length === 0) this.endReplay();
  }

  /**
   * Keeps the engine's state in the journal with the world's (`world`, plain data): persisted
   * snapshots of every actor, the engine's timer table, the intake, the ledgers. A restore starts
   * from the newest checkpoint and replays only the journal after it. Commits what is buffered first.
   */
  checkpoint(world: unknown): void {
    if (!this.journal || this.replaying) return;
    this.flush();
    this.journal.checkpoint(this.seq, JSON.stringify({ engine: this.save(), world }));
  }

  private releaseInput() {
    const { config } = this;
    return {
      service: config.service.name,
      initial: config.initialRelease,
      thresholds: config.canary,
      now: () => this.clock.now(),
    };
  }

  private save(): EngineState {
    return {
      now: this.now(),
      correlation: this.correlator.save(this.incidents.map((i) => i.group)),
      ledgers: Object.fromEntries([...this.ledgers].map(([sli, ledger]) => [sli, ledger.save()])),
      release: this.release.getPersistedSnapshot(),
      ...(this.config.rollout ? { releaseTimers: this.timers.pending(this.release) } : {}),
      incidents: this.incidents.map(({ id, type, actor }) => ({
        id,
        type: type?.name ?? null,
        snapshot: actor.getPersistedSnapshot(),
        timers: this.timers.pending(actor),
      })),
      tickets: this.tickets,
      evalSet: this.evalSet,
      shipReports: [...this.shipReports],
      applied: [...this.applied],
      trace: { length: this.trace.entries.length, states: this.trace.states() },
      ...(this.undeliverable.size > 0 ? { undeliverable: [...this.undeliverable] } : {}),
      ...(this.resolvedAlerts.size > 0 ? { resolvedAlerts: [...this.resolvedAlerts] } : {}),
    };
  }

  private restore(state: EngineState): [Correlator, ReleaseActor] {
    this.clock.set(state.now);
    const { correlator, refs } = Correlator.restore(
      { ...this.config.intake, epoch: this.config.epoch },
      state.correlation,
    );
    for (const [sli, saved] of Object.entries(state.ledgers)) this.ledgers.set(sli, SliLedger.restore(saved));
    this.tickets.push(...state.tickets);
    this.evalSet.splice(0, this.evalSet.length, ...state.evalSet);
    for (const [id, report] of state.shipReports) this.shipReports.set(id, report);
    for (const [key, done] of state.applied) this.applied.set(key, done);
    for (const [id, refused] of state.undeliverable ?? []) this.undeliverable.set(id, refused);
    for (const [id, resolved] of state.resolvedAlerts ?? []) this.resolvedAlerts.set(id, resolved);
    this.trace.restore(this.journal?.trace(state.trace.length) ?? [], state.trace.states);
    for (const [actor, at] of Object.entries(state.trace.states)) {
      if (at === 'page' || at === 'ticket') this.waiting.add(actor);
      if (at === 'mitigate.flow') this.flows.add(actor);
    }
    // Functions do not survive JSON: the clock readers go back into the restored contexts.
    const release = state.release as { context: ReleaseContext };
    release.context.now = () => this.clock.now();
    const restored = releaseActor(this.config.rollout, {
      clock: this.clock,
      inspect: this.inspect,
      snapshot: release,
      input: this.releaseInput(),
    });
    this.timers.watch(restored);
    restored.start();
    this.timers.rearm(restored, state.releaseTimers ?? []);
    state.incidents.forEach((saved, i) => {
      const snapshot = saved.snapshot as Parameters<typeof reattach>[0];
      reattach(snapshot, { machine: this.machineOps, runbook: this.runbookOps });
      const actor = this.incidentActor({
        id: saved.id,
        clock: this.clock,
        inspect: this.inspect,
        snapshot: snapshot as never,
        input: snapshot.context.input,
      });
      this.timers.watch(actor);
      const type = this.config.incidentTypes.find((t) => t.name === saved.type);
      const incident: EngineIncident = { id: saved.id, group: refs[i] as GroupRef, type, actor };
      this.incidents.push(incident);
      this.byId.set(saved.id, incident);
      this.sealWhenDone(incident);
      actor.start();
      this.timers.rearm(actor, saved.timers);
    });
    return [correlator, restored];
  }

  /** Whether the engine is still replaying its journal (the world is catching up). */
  get replaying(): boolean {
    return this.cursor < this.replay.length;
  }

  now(): number {
    return this.clock.now();
  }

  live(): ReleaseContext['live'] {
    return this.release.getSnapshot().context.live;
  }

  ledger(sli: string): SliLedger {
    const ledger = this.ledgers.get(sli);
    if (!ledger) throw new Error(`no SLI named ${sli}`);
    return ledger;
  }

  /** The incidents paged or ticketed and not yet acknowledged, oldest first. */
  awaitingAck(): readonly EngineIncident[] {
    // Asked every minute, and nearly every minute nobody is waiting.
    if (this.waiting.size === 0) return NOBODY;
    return [...this.waiting]
      .map((id) => this.byId.get(id) as EngineIncident)
      .sort((a, b) => order(a.id) - order(b.id));
  }

  groupOf(incident: EngineIncident): AlertGroup {
    return this.correlator.groupOf(incident.group);
  }

  /** What is live and the last canary's verdict. */
  releaseState(): { live: string; verdict: CanaryVerdict | null } {
    const { live, verdict } = this.release.getSnapshot().context;
    return { live, verdict };
  }

  /** Every release that went live, in order: the initial one, promotions and rollbacks. */
  releaseHistory(): readonly ReleaseRecord[] {
    return this.release.getSnapshot().context.history;
  }

  /** The release live at a minute, from the release actor's history. */
  liveAt(minute: number): string {
    let current = this.config.initialRelease;
    for (const record of this.release.getSnapshot().context.history)
      if (record.at <= minute) current = record.release;
    return current;
  }

  /** The canary's evidence for a candidate against what is live, on today's eval set. */
  canaryEvidence(candidate: string): Maybe<CanaryReport> {
    const cases = [...this.evalSet];
    const baseline = this.live();
    const regressionIds = cases.filter((c) => c.origin !== undefined).map((c) => c.id);
    const answers = this.world.evaluate(candidate, cases);
    const baselineAnswers = this.world.evaluate(baseline, cases);
    if (answers instanceof Promise || baselineAnswers instanceof Promise) {
      return Promise.all([answers, baselineAnswers]).then(([a, b]) => ({
        candidate: scoreOf(candidate, a),
        baseline: scoreOf(baseline, b),
        regressionIds,
      }));
    }
    return {
      candidate: scoreOf(candidate, answers),
      baseline: scoreOf(baseline, baselineAnswers),
      regressionIds,
    };
  }

  /** The canary's evidence from a world that answers at once (a drill's). */
  canaryReport(candidate: string): CanaryReport {
    const report = this.canaryEvidence(candidate);
    if (report instanceof Promise) throw new Error('this world answers evals later: use canaryEvidence');
    return report;
  }

  /** Applies one input from the world; it is acknowledged at the next `commit()`. */
  submit(input: WorldInput): void {
    if (this.replaying) {
      this.applyRecordedTasks();
    }
    if (this.replaying) {
      const entry = this.replay[this.cursor] as JournalEntry;
      if (JSON.stringify(entry.input) !== JSON.stringify(input)) {
        throw new InputError(
          `the journal diverges at input ${entry.seq}: it holds ${entry.input.kind}, the world sent ${input.kind} (was the scenario or the plays module changed?)`,
          this.journal?.id,
        );
      }
      this.cursor++;
      this.apply(input);
      if (!this.replaying) this.endReplay();
      return;
    }
    const refused = unplaceable(input);
    if (refused) throw new InputError(refused, this.journal?.id);
    this.keep(input);
    if (input.kind !== 'tick' && input.kind !== 'sli') this.loud = true;
    this.apply(input);
  }

  /**
   * Replays the whole journal without a world: live, nobody can send yesterday's alerts again, so the
   * journal's own world inputs stand in for them. Plays that had started without a recorded outcome
   * run again afterwards under their keys, as after a drill's replay.
   */
  replayJournal(): JournalEntry[] {
    const entries = this.replay.slice(this.cursor);
    while (this.replaying) {
      const entry = this.replay[this.cursor++] as JournalEntry;
      this.apply(entry.input);
    }
    if (entries.length > 0) this.endReplay();
    return entries;
  }

  /**
   * The world is about to move on: make what it submitted durable, then start the plays it asked for.
   * Group commit: a stretch of quiet minutes (ticks and SLI counts that moved no machine, which the
   * world sends again after a crash) rides along with the next batch that matters, up to
   * `MAX_QUIET` inputs. Anything else (an alert, a ticket, an ack, a deploy, a report, a transition,
   * a play to start) is committed before the world goes on.
   */
  commit(): void {
    if (this.journal && this.buffered.length > 0) {
      if (!this.mustCommit()) return;
      const trace = this.trace.entries.slice(this.traceMark);
      const { incidents, notifications } = batchOutputs(this, trace);
      notifications.push(...this.notices);
      this.journal.commit({ inputs: this.buffered, trace, incidents, notifications });
    }
    // A quiet minute owes nothing: its empty lists are kept rather than made again, minute after minute.
    if (this.notices.length > 0) this.notices = [];
    if (this.buffered.length > 0) this.buffered = [];
    this.loud = false;
    this.traceMark = this.trace.entries.length;
    if (!this.replaying) this.startTasks();
  }

  /** Commits whatever is buffered, quiet or not: at the end of a run. */
  flush(): void {
    this.quietCap = 0;
    this.commit();
    this.quietCap = MAX_QUIET;
  }

  private quietCap = MAX_QUIET;

  private mustCommit(): boolean {
    if (this.buffered.length >= this.quietCap || this.trace.entries.length > this.traceMark) return true;
    if (this.notices.length > 0) return true;
    if (this.tasks.size > 0) for (const task of this.tasks.values()) if (!task.started) return true;
    return this.loud;
  }

  /** Whether the buffer holds an input other than a tick or SLI counts: one the world cannot send again. */
  private loud = false;

  /**
   * Lets running plays and tasks report (each report is its own input and commit) before the world
   * moves on. Answers `undefined` when nothing is running, so a quiet minute does not wait for a
   * turn of the event loop; otherwise a promise to await.
   */
  drain(): Promise<void> | undefined {
    if (this.replaying) this.applyRecordedTasks();
    if (this.replaying || !this.busy()) return undefined;
    return this.reports();
  }

  private async reports(): Promise<void> {
    for (let round = 0; round < DRAIN_ROUNDS && this.busy(); round++) {
      const before = this.inputsApplied;
      await nextRound();
      if (this.inputsApplied === before) break;
    }
  }

  stop(): void {
    for (const task of this.tasks.values()) task.runner?.stop();
    for (const { actor } of this.incidents) actor.stop();
    this.release.stop();
  }

  private busy(): boolean {
    // Asked every minute; iterating even an empty Map makes an iterator object.
    if (this.tasks.size === 0) return false;
    for (const task of this.tasks.values()) if (task.started) return true;
    return false;
  }

  /** While replaying, the reports plays and tasks made between two world inputs. */
  private applyRecordedTasks(): void {
    while (this.replaying) {
      const entry = this.replay[this.cursor] as JournalEntry;
      if (isWorldInput(entry.input)) return;
      this.cursor++;
      this.apply(entry.input);
    }
    this.endReplay();
  }

  private endReplay(): void {
    if (this.replay.length > 0) {
      this.seq = (this.replay[this.replay.length - 1] as JournalEntry).seq;
      this.replay = [];
      this.cursor = 0;
    }
    // A resumed run's trace so far is in the journal already; a new run's first entries (the release's
    // initial state) go with its first commit.
    if (this.seq > 0) this.traceMark = this.trace.entries.length;
    // What the replayed ticks owed went out with the commits that first owed it.
    this.notices = [];
    this.startTasks();
  }

  /** Numbers an input; with a journal, buffers it for the next commit (without one, nothing reads it). */
  private keep(input: Input): void {
    const seq = ++this.seq;
    if (this.journal) this.buffered.push({ seq, input });
  }

  /** A report of a play or task, or what it did while running: applied and committed at once. */
  private submitTask(input: TaskInput): void {
    this.keep(input);
    this.loud = true;
    this.apply(input);
    this.commit();
  }

  private apply(input: Input): void {
    this.inputsApplied++;
    switch (input.kind) {
      case 'tick': {
        const from = this.now();
        this.clock.set(input.t);
        this.escalate(from, input.t);
        break;
      }
      case 'sli':
        this.recordSli(input.sli, input.counts);
        break;
      case 'alert':
        try {
          this.admitAlert(input.alert);
        } catch (error) {
          // A journal from before intake checked times may hold one it could not place: it changed nothing.
          if (unplaceable(input) === null) throw error;
        }
        break;
      case 'ticket':
        this.fileTicket(input.ticket);
        break;
      case 'ack': {
        const incident = this.byId.get(input.incident);
        incident?.actor.send(incident.type?.flow ? { type: 'ACK', flow: true } : { type: 'ACK' });
        this.ackWins(input.incident);
        break;
      }
      case 'undeliverable':
        this.recordUndeliverable(input);
        break;
      case 'operator': {
        const incident = this.byId.get(input.incident);
        if (incident) runbookActor(incident.actor)?.send(operatorEvent(input));
        break;
      }
      case 'deploy':
        this.release.send({ type: 'DEPLOY', candidate: input.candidate, report: input.report });
        break;
      case 'weight':
      case 'measure':
      case 'release-operator':
        if (isRollout(this.release)) this.release.send(rolloutEvent(input));
        break;
      case 'rollback':
        if (!this.applied.has(input.key)) this.applied.set(input.key, { result: this.rollback() });
        break;
      case 'effect':
        if (!this.applied.has(input.key)) this.applied.set(input.key, this.effect(input));
        break;
      case 'outcome':
        this.finishTask(input);
        break;
    }
    this.dropStaleTasks();
    if (this.pendingShips.size > 0) this.settleShips();
  }

  /** Pages nobody acknowledged by now move up the on-call escalation policy, if there is one. */
  private escalate(from: number, to: number): void {
    const policy = this.config.escalation;
    if (!policy) return;
    for (const incident of this.awaitingAck()) {
      const snapshot = incident.actor.getSnapshot();
      const paged = snapshot.context.milestones.paged;
      if (!snapshot.matches('page') || paged === undefined) continue;
      for (const step of escalationsDue(policy, paged, from, to)) {
        this.notices.push(escalationNotice(incident, step));
      }
    }
  }

  private recordSli(sli: string, counts: { requests: number; errors: number }): void {
    const ledger = this.ledger(sli);
    ledger.record(counts);
    const t = this.now();
    const objective = this.config.objectives[sli] as number;
    for (const incident of this.incidents) {
      if (incident.type?.sli !== sli || incident.actor.getSnapshot().status !== 'active') continue;
      incident.actor.send({ type: 'SLI_SAMPLE', sli: ledger.sli(t), burn: ledger.burnAt(t, objective) });
    }
  }

  private admitAlert(alert: Parameters<Correlator['admit']>[0]): void {
    const { group, opened } = this.correlator.admit(alert);
    if (this.config.intake.reopen) this.noteResolved(alert, group);
    if (!opened) return;
    const type = this.config.incidentTypes.find((candidate) =>
      Object.entries(candidate.match).every(([label, value]) => alert.labels[label] === value),
    );
    const incident = this.openIncident(group, type, alert.labels.service ?? '');
    // Only typed incidents have an SLI here; the rest are looked at and go back to watching.
    if (type) {
      const ledger = this.ledger(type.sli);
      const t = this.now();
      const burn = ledger.burnAt(t, this.config.objectives[type.sli] as number);
      incident.actor.send({ type: 'ALERTS', sli: ledger.sli(t), burn });
    } else {
      incident.actor.send({ type: 'ALERTS', sli: null, burn: null });
    }
  }

  private openIncident(
    group: GroupRef,
    type: IncidentTypeConfig | undefined,
    service: string,
  ): EngineIncident {
    const id = `INC-${this.incidents.length + 1}`;
    const { config } = this;
    const actor = this.incidentActor({
      id,
      clock: this.clock,
      inspect: this.inspect,
      input: {
        id,
        service,
        type: type?.name ?? '',
        // An incident no type matched watches no SLI: its objective is never read.
        objective: type ? (own(config.objectives, type.sli) ?? 0.99) : 0.99,
        policy: (type && config.slis && own(config.slis, type.sli)?.policy) || config.alerting.policy,
        runbook: type?.runbook ?? [],
        ...(type?.flow
          ? {
              flow: {
                src: flowSrc(type.name),
                labels: this.correlator.groupOf(group).labels,
                epochMinute: Date.parse(config.epoch) / 60_000,
                ops: this.runbookOps,
              },
            }
          : {}),
        severityFor: config.alerting.severity,
        settleMinutes: type?.settleMinutes ?? 5,
        verifyMinutes: type?.verifyMinutes ?? 10,
        ops: this.machineOps,
      },
    });
    const incident: EngineIncident = { id, group, type, actor };
    this.incidents.push(incident);
    this.byId.set(id, incident);
    this.timers.watch(actor);
    this.sealWhenDone(incident);
    actor.start();
    return incident;
  }

  /**
   * An acknowledgement in the same commit as the minute an escalation fell due wins: the escalation
   * owed for that incident is not sent (it would say "not acknowledged" after the acknowledgement).
   */
  private ackWins(id: string): void {
    if (this.notices.length === 0 || this.byId.get(id)?.actor.getSnapshot().matches('page')) return;
    this.notices = this.notices.filter((n) => n.incident !== id || n.kind !== 'escalate');
  }

  /**
   * Live: the alerts Alertmanager reported resolved (an endsAt by the end of the engine's minute), by
   * incident: each fingerprint once, with the minute of the last. They do not resolve the incident:
   * an incident resolves when its SLI says the service is well again.
   */
  readonly resolvedAlerts = new Map<string, { fingerprints: string[]; lastAt: number }>();

  private noteResolved(alert: Parameters<Correlator['admit']>[0], group: GroupRef): void {
    const endsAt = (parseTimestamp(alert.endsAt) - parseTimestamp(this.config.epoch)) / 60000;
    // The engine's minute lags the wall clock by up to one: an alert that ended within it has ended.
    if (!(endsAt <= this.now() + 1)) return;
    const incident = this.incidents.findLast((i) => this.correlator.sameGroup(i.group, group));
    if (!incident) return;
    const seen = this.resolvedAlerts.get(incident.id) ?? { fingerprints: [], lastAt: endsAt };
    if (!seen.fingerprints.includes(alert.fingerprint)) seen.fingerprints.push(alert.fingerprint);
    seen.lastAt = Math.max(seen.lastAt, endsAt);
    this.resolvedAlerts.set(incident.id, seen);
  }

  /** Notifications receivers refused for good, by incident: shown with it (see undeliverable.ts). */
  readonly undeliverable = new Map<string, Undelivered[]>();

  private recordUndeliverable(input: Extract<WorldInput, { kind: 'undeliverable' }>): void {
    const incident = this.byId.get(input.incident);
    if (!incident) return;
    const refused: Undelivered = {
      notifier: input.notifier,
      kind: input.notification,
      t: this.now(),
      why: input.why,
    };
    this.undeliverable.set(input.incident, [...(this.undeliverable.get(input.incident) ?? []), refused]);
    const c = incident.actor.getSnapshot().context;
    if (TRIGGER_KINDS.includes(refused.kind) && this.awaitingAck().includes(incident)) {
      const who = { id: incident.id, type: c.input.type, service: c.input.service, severity: c.severity };
      this.notices.push(escalationForUndelivered(who, refused, this.config.escalation));
    }
  }

  /** With `intake.reopen`, an incident that reaches its end seals its group: later alerts open a new one. */
  private sealWhenDone(incident: EngineIncident): void {
    if (!this.config.intake.reopen) return;
    const subscription = incident.actor.subscribe((snapshot) => {
      if (snapshot.status !== 'done') return;
      this.correlator.seal(incident.group, this.now());
      subscription.unsubscribe();
    });
  }

  private fileTicket(ticket: Extract<WorldInput, { kind: 'ticket' }>['ticket']): void {
    const verdict = triage(ticket, this.config.triage);
    const spans = this.incidents.map((incident) => {
      const group = this.groupOf(incident);
      const state = stateName(incident.actor.getSnapshot().value);
      return {
        id: incident.id,
        service: group.labels.service ?? '',
        startsAt: group.startsAt,
        endsAt: group.endsAt,
        open: state !== 'resolved' && state !== 'escalated',
      };
    });
    this.tickets.push({
      id: ticket.id,
      at: ticket.at,
      title: ticket.title,
      severity: verdict.severity,
      because: verdict.because,
      queue: route(verdict.severity, this.config.routing),
      incident: link(ticket, spans) ?? null,
    });
  }

  private rollback(): { from: string; to: string } | null {
    const from = this.live();
    this.release.send({ type: 'ROLLBACK' });
    const to = this.live();
    return to === from ? null : { from, to };
  }

  private effect(input: Extract<Input, { kind: 'effect' }>): { result?: unknown; error?: string } {
    try {
      return { result: this.world.effect(input.effect, this.now()) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** What the machines themselves may do to the world: read it. Acting is for plays, under a key. */
  private readonly machineOps: PlayOps = {
    now: () => this.clock.now(),
    release: () => {
      const { live, lastGood } = this.release.getSnapshot().context;
      return { live, lastGood };
    },
    rollback: () => {
      throw new Error('only a play may roll back');
    },
    reindex: () => {
      throw new Error('only a play may reindex');
    },
    setFlag: () => {
      throw new Error('only a play may set a flag');
    },
    clearFaults: () => {
      throw new Error('only a play may clear a fault');
    },
  };

  /** What a runbook's machine may do besides reading the clock: hand a message to the outbox. */
  private readonly runbookOps: RunbookOps = {
    now: () => this.clock.now(),
    notify: ({ incident, step, run, channel, text }) => {
      const c = this.byId.get(incident)?.actor.getSnapshot().context;
      this.notices.push({
        key: `${incident}/notify/${step}/${run}`,
        incident,
        kind: 'notify',
        t: this.now(),
        severity: c?.severity ?? null,
        summary: text,
        to: [channel],
      });
    },
  };

  /** Incidents whose mitigate stage runs a runbook of the statechart language. Kept from the trace. */
  private readonly flows = new Set<string>();

  /** Where each runbook run waits now (an approval, an operator, a retry's backoff, the SLI), oldest incident first. */
  runbookWaits(): RunbookWait[] {
    if (this.flows.size === 0) return [];
    const waits: RunbookWait[] = [];
    for (const id of [...this.flows].sort((a, b) => order(a) - order(b))) {
      const incident = this.byId.get(id) as EngineIncident;
      const runbook = runbookActor(incident.actor);
      const wait = runbook ? waitOf(id, runbook, incident.type?.flow) : null;
      if (wait) waits.push(wait);
    }
    return waits;
  }

  /** An incident's runbook run now (null when its mitigate stage runs none). */
  runbookStatus(id: string): ReturnType<typeof statusOf> | null {
    const incident = this.byId.get(id);
    const runbook = incident ? runbookActor(incident.actor) : null;
    return runbook ? statusOf(runbook) : null;
  }

  /**
   * An operator's command to an incident's runbook run: checked against what the run can take now
   * (refused with an InputError, nothing journaled), then applied as an input like any other.
   */
  operate(input: OperatorInput): void {
    const incident = this.byId.get(input.incident);
    if (!incident) throw new InputError(`no incident ${input.incident}`, undefined, 'incident');
    checkCommand(input, runbookActor(incident.actor), incident.type?.flow);
    this.submit(input);
  }

  /** The ops a play gets: every act goes through the journal under the play's idempotency key. */
  private opsFor(key: string): PlayOps {
    let acts = 0;
    const act = <T>(input: TaskInput & { key: string }): T => {
      if (!this.applied.has(input.key)) this.submitTask(input);
      const done = this.applied.get(input.key);
      if (done?.error !== undefined) throw new Error(done.error);
      return done?.result as T;
    };
    return {
      ...this.machineOps,
      rollback: () => act({ kind: 'rollback', key: `${key}#${++acts}` }),
      reindex: () => act({ kind: 'effect', key: `${key}#${++acts}`, effect: { type: 'reindex' } }),
      setFlag: (name, on) => {
        act({ kind: 'effect', key: `${key}#${++acts}`, effect: { type: 'flag', name, on } });
      },
      clearFaults: (faults) =>
        act<string[]>({
          kind: 'effect',
          key: `${key}#${++acts}`,
          effect: { type: 'clear', faults: [...faults] },
        }),
    };
  }

  /**
   * The incident machine with stand-ins for the plays, the postmortem and the ship step: the engine
   * runs the real ones. Providing builds a whole new machine (every state node again), 0.1-0.2 ms
   * that a drill or a bench of many engines would pay per engine: so it is built once per set of play
   * names and shared, and a stand-in finds its engine through the actor system of its incident.
   */
  private static machineFor(
    playNames: readonly string[],
    types: readonly IncidentTypeConfig[],
  ): IncidentMachine {
    const flows = types.flatMap((type) => (type.flow ? [type.flow] : []));
    const key = flows.length === 0 ? JSON.stringify(playNames) : JSON.stringify([playNames, flows]);
    const known = Engine.machines.get(key);
    if (known) return known;
    const standIn = <TOutput, TInput>(kind: TaskKind, name: string) =>
      deferred<TOutput, TInput>((self, input) =>
        Engine.bySystem.get(self.system)?.taskStarted(kind, name, self as DeferredRef, input),
      );
    const plays = Object.fromEntries(playNames.map((name) => [name, standIn('play', name)]));
    const machine = incidentMachine.provide({
      actors: {
        ...(plays as Record<'rollback', PlayLogic>),
        ...(flowMachines(flows, plays) as unknown as Record<'runbook', never>),
        writePostmortem: standIn<LearnOutput, LearnInput>('learn', 'writePostmortem'),
        shipFix: standIn<ShipOutput, ShipInput>('ship', 'shipFix'),
      },
    });
    Engine.machines.set(key, machine);
    return machine;
  }

  private static readonly machines = new Map<string, IncidentMachine>();
  /** Each incident actor's system, to the engine that created it: whose stand-ins start in it. */
  private static readonly bySystem = new WeakMap<object, Engine>();

  /** An incident actor of this engine, its stand-ins routed here. */
  private incidentActor(options: Parameters<typeof createActor<IncidentMachine>>[1]): IncidentActor {
    const actor = createActor(this.machine, options);
    Engine.bySystem.set(actor.system, this);
    return actor;
  }

  private taskStarted(kind: TaskKind, name: string, ref: DeferredRef, input: unknown): void {
    const incident =
      kind === 'play' ? (input as PlayInput).incident.id : (input as LearnInput | ShipInput).incidentId;
    const key = kind === 'play' ? (input as PlayInput).key : `${incident}/${kind}`;
    this.tasks.set(key, {
      key,
      kind,
      name,
      incident,
      ref,
      input,
      runner: null,
      started: false,
    });
  }

  /** A task whose stand-in the machine has stopped (a play that timed out) is stopped for good. */
  private dropStaleTasks(): void {
    if (this.tasks.size === 0) return;
    for (const [key, task] of this.tasks) {
      // The machine that started it (the incident, or its runbook) still has it as its child.
      const parent = task.ref._parent;
      const snapshot = parent?.getSnapshot() as
        | { status: string; children: Record<string, unknown> }
        | undefined;
      const current = snapshot?.status === 'active' && snapshot.children[task.ref.id] === task.ref;
      if (current) continue;
      task.runner?.stop();
      this.tasks.delete(key);
    }
  }

  private finishTask(input: OutcomeInput): void {
    const task = this.tasks.get(input.key);
    if (!task) return; // a report after the play's step timed out: recorded, and too late to count
    this.tasks.delete(input.key);
    task.runner?.stop();
    if (input.error !== undefined) {
      task.ref.send({ type: 'engine.outcome', error: input.error });
      return;
    }
    if (task.kind === 'learn') {
      for (const c of (input.output as LearnOutput).regressionCases) {
        if (!this.evalSet.some((e) => e.id === c.id)) this.evalSet.push(c);
      }
    }
    const output =
      task.kind === 'ship' ? this.ship(task.incident, input.output as ShipEvidence) : input.output;
    // A fix that went out in a rollout reports when the rollout ends.
    if (output === null) this.pendingShips.set(task.incident, task.ref);
    else task.ref.send({ type: 'engine.outcome', output });
  }

  /** Deploys the fix through the canary on the evidence the ship task gathered (null: its rollout runs on). */
  private ship(incident: string, evidence: ShipEvidence): ShipOutput | null {
    if (evidence.candidate === null || evidence.report === null) {
      return { candidate: null, verdict: 'none', reasons: [evidence.why], live: this.live() };
    }
    // Asked again after a restore (the ship step's stand-in starts over): its rollout is not started twice.
    if (!rolloutOf(this.release, incident)) {
      this.release.send({
        type: 'DEPLOY',
        candidate: evidence.candidate,
        report: evidence.report,
        by: incident,
      });
    }
    if (rolloutOf(this.release, incident)) {
      this.shipReports.set(incident, { report: evidence.report, checks: [] });
      return shipOutcome(this.release, incident);
    }
    const verdict = this.release.getSnapshot().context.verdict;
    this.shipReports.set(incident, { report: evidence.report, checks: verdict?.checks ?? [] });
    return {
      candidate: evidence.candidate,
      verdict: verdict?.verdict ?? 'reject',
      reasons: verdict?.reasons ?? [],
      live: this.live(),
    };
  }

  /** Fixes whose rollout has ended: their ship steps get the outcome. */
  private settleShips(): void {
    for (const [incident, ref] of this.pendingShips) {
      const output = shipOutcome(this.release, incident);
      if (!output) continue;
      this.pendingShips.delete(incident);
      ref.send({ type: 'engine.outcome', output });
    }
  }

  /** What the running rollout waits for from the world (null: none runs, or there is no strategy). */
  rolloutWork() {
    return rolloutWork(this.release, this.now());
  }

  private startTasks(): void {
    if (this.tasks.size === 0) return;
    const waiting = [...this.tasks.values()].filter((task) => !task.started);
    if (waiting.length === 0) return;
    for (const task of waiting) task.started = true;
    // After the commit returns: a play never runs inside the transaction that started it.
    queueMicrotask(() => {
      for (const task of waiting) if (this.tasks.get(task.key) === task) this.run(task);
    });
  }

  private run(task: Task): void {
    const report = (outcome: Omit<OutcomeInput, 'kind' | 'key'>) => {
      if (this.tasks.get(task.key) === task) this.submitTask({ kind: 'outcome', key: task.key, ...outcome });
    };
    const failed = (error: unknown) =>
      report({ error: error instanceof Error ? error.message : String(error) });
    // A live world's answers come later: the report is made (and journaled) when they come.
    const settle = (work: () => unknown) => {
      try {
        const output = work();
        if (output instanceof Promise) output.then((value) => report({ output: value }), failed);
        else report({ output });
      } catch (error) {
        failed(error);
      }
    };
    if (task.kind !== 'play') {
      const recorded = this.recordedTask?.(task.kind, task.key);
      if (recorded) {
        recorded.then(report, failed);
        return;
      }
      settle(() =>
        task.kind === 'learn'
          ? this.learn(task.input as LearnInput)
          : this.shipEvidence(task.input as ShipInput),
      );
      return;
    }
    const logic = this.plays[task.name] as PlayLogic;
    const runner = createActor(logic, {
      input: { ...(task.input as PlayInput), ops: this.opsFor(task.key) },
    });
    task.runner = runner;
    runner.subscribe({
      complete: () => report(playReport(runner.getSnapshot().output)),
      error: (error) => report({ error: thrown(error) }),
    });
    runner.start();
  }

  private learn(input: LearnInput): Maybe<LearnOutput> {
    const incident = this.byId.get(input.incidentId);
    const sli = incident?.type?.sli ?? (Object.keys(this.config.objectives)[0] as string);
    // What the release live at detection got wrong is asked of the world first: live, over HTTP.
    const detected = input.milestones.detected ?? input.milestones.opened;
    const releaseAtDetection = this.liveAt(burnedBy(detected));
    return whenReady(this.world.wrongAnswers(releaseAtDetection, sli), (wrong) =>
      writePostmortem(input, {
        sli,
        words: (this.config.slis && own(this.config.slis, sli)?.words) || ANSWER_WORDS,
        ledger: this.ledger(sli),
        requestsPerMinute: this.config.service.requestsPerMinute,
        roster: this.config.roster,
        narrative: incident?.type?.postmortem ?? this.config.postmortem,
        liveAt: (minute) => this.liveAt(minute),
        wrongAnswers: (release) => (release === releaseAtDetection ? wrong : []),
        minuteLabel: (t) => `${minuteToTimestamp(t, this.config.epoch).slice(11, 16)}Z (min ${t})`,
      }),
    );
  }

  private shipEvidence(input: ShipInput): Maybe<ShipEvidence> {
    const fix = this.byId.get(input.incidentId)?.type?.fix;
    if (!fix) return { candidate: null, report: null, why: 'no fix to ship for this incident type' };
    return whenReady(this.canaryEvidence(fix.candidate), (report) => ({
      candidate: fix.candidate,
      report,
      why: '',
    }));
  }
}

/** INC-12 -> 12: incidents in the order they opened. */
const order = (id: string) => Number(id.slice(4));

/** The engine as a checkpoint keeps it: plain data, snapshots as XState persists them. */
interface EngineState {
  now: number;
  correlation: SavedCorrelation;
  ledgers: Record<string, [number, number, number][]>;
  release: unknown;
  /** The rollout machine's pending timers (pauses, deadlines); absent without a strategy. */
  releaseTimers?: PendingTimer[];
  incidents: { id: string; type: string | null; snapshot: unknown; timers: PendingTimer[] }[];
  tickets: TicketRecord[];
  evalSet: EvalCase[];
  shipReports: [string, ShipReport][];
  applied: [string, { result?: unknown; error?: string }][];
  trace: { length: number; states: Record<string, string> };
  undeliverable?: [string, Undelivered[]][];
  resolvedAlerts?: [string, { fingerprints: string[]; lastAt: number }][];
}

/** What the ship task gathers before the engine deploys: the fix and the canary's scores for it. */
interface ShipEvidence {
  candidate: string | null;
  report: CanaryReport | null;
  why: string;
}

/** A play's report as the machine needs it (JSON-safe for the journal): anything else is a failed step saying what came back. */
function playReport(output: unknown): { output: PlayOutput } {
  if (isPlayOutput(output)) {
    // Named outputs (a runbook's later steps read them) are kept only when the play reported some.
    const outputs = outputsOf(output);
    const named = Object.keys(outputs).length > 0 ? { outputs } : {};
    return { output: { ok: output.ok, detail: output.detail ?? '', ...named } };
  }
  return { output: { ok: false, detail: misreport(output) } };
}
