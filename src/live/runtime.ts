import type { InspectionEvent } from 'xstate';
import type { PlayLogic } from '../../machines/incident.js';
import type { OperatorCommand } from '../../machines/runbook.js';
import { Engine, type EngineIncident } from '../engine/engine.js';
import type { ReleaseOperatorInput } from '../engine/inputs.js';
import type { Notification, Store, StoredRun } from '../engine/journal.js';
import { stockPlays } from '../engine/plays.js';
import { incidentDecisions, incidentRecord } from '../engine/records.js';
import { stateName, type TraceEntry } from '../engine/trace.js';
import { TRIGGER_KINDS } from '../engine/undeliverable.js';
import type { Decision } from '../engine/why.js';
import { parseTimestamp } from '../toolkit/alerts.js';
import { InputError } from '../toolkit/errors.js';
import { JournalWatch } from './backpressure.js';
import { EngineMinutes, engineTimeOf, minuteStart, type WallClock } from './clock.js';
import { engineConfigOf, type LiveConfig } from './config.js';
import { PayloadError, type Received } from './intake.js';
import { LiveMetrics } from './metrics.js';
import { livePlays } from './plays.js';
import { type ReleaseStatus, refusal, releaseStatus } from './release-desk.js';
import { LiveRollout } from './rollout-driver.js';
import { redactUrls, storedConfig, withCurrentSecrets } from './secrets.js';
import { liveWorld } from './world.js';

/**
 * The engine live: the world is whoever calls the API, on the wall clock. Each call first moves the
 * engine's clock to the current minute (a tick input), then submits what it brings, then flushes:
 * the answer goes out only once its inputs are in the journal. A restart with the same journal
 * resumes its last running run by replaying the journal's own inputs.
 */

/** How long after an alert's end its redelivery key is kept: a redelivery later than that is news. */
export const REMEMBER_MINUTES = 60;

/** A request the engine refuses: 404 unknown, 409 not now, 502 the world it asked failed. */
export class Refused extends Error {
  constructor(
    readonly status: 404 | 409 | 502,
    message: string,
  ) {
    super(message);
  }
}

/** What a live run keeps in the journal's run row: a restart runs on the same configuration, epoch and pace. */
export interface LiveRunMeta {
  live: true;
  config: LiveConfig;
  epoch: string;
  /** `--time-scale`: how many times faster than the wall clock the engine's clock runs (1 when absent). */
  timeScale?: number;
}

/** The last run of `runbook serve` still running in the store (not a drill's). */
export function lastLiveRun(store: Store): StoredRun | null {
  for (const info of store.runs().reverse()) {
    if (info.state !== 'running') continue;
    const run = store.openRun(info.id);
    if ((JSON.parse(run.meta.scenarioText) as Partial<LiveRunMeta>).live === true) return run;
  }
  return null;
}

/** The reads of one SLI from Prometheus: failures in a row (0 once one succeeds) and the last error. */
export interface SliReads {
  failures: number;
  lastError: string | null;
  /** The engine minute of the last read that answered. */
  lastOkMinute: number | null;
}

/** Someone watching the engine's actors as they move: the inspector attached to the server. */
export interface LiveTap {
  inspect(event: InspectionEvent): void;
  onTrace(entry: TraceEntry): void;
}

export interface LiveOptions {
  config: LiveConfig;
  /** The configuration's file, for listings (`runbook runs`). */
  configFile: string;
  store: Store | null;
  clock: WallClock;
  plays?: Record<string, PlayLogic>;
  /** Runs the engine's clock this many times faster than the wall clock (game days); 1 by default. */
  timeScale?: number;
  /** Where the rollout driver says what went wrong (a setWeight hook failing); stderr by default. */
  log?: (message: string) => void;
}

export class LiveEngine {
  readonly engine: Engine;
  readonly config: LiveConfig;
  readonly run: StoredRun | null;
  /** Called after each commit the API makes: the outbox has something new to deliver. */
  afterCommit: () => void = () => {};
  readonly metrics: LiveMetrics;
  /** The journal's commit times and the requests waiting for it: whether intake is behind. */
  readonly journal: JournalWatch;
  /** Whether this start resumed a run (and how many inputs its journal replayed). */
  readonly resumed: number;
  readonly clock: WallClock;
  /** The stored run's pace: engine minutes per wall-clock minute. */
  readonly timeScale: number;
  private readonly epochMs: number;
  private readonly minutes: EngineMinutes;
  private readonly taps = new Set<LiveTap>();
  /** Redelivery keys of the alerts received, with when each alert ends (engine ms): see `forget`. */
  private readonly seen = new Map<string, number>();
  private forgotUpTo = 0;
  private readonly sliReads = new Map<string, SliReads>();

  constructor(options: LiveOptions) {
    const { store, clock } = options;
    this.clock = clock;
    this.run = store ? lastLiveRun(store) : null;
    const isNewRun = this.run === null;
    const stored: LiveRunMeta = this.run
      ? (JSON.parse(this.run.meta.scenarioText) as LiveRunMeta)
      : {
          live: true,
          config: options.config,
          epoch: options.config.epoch ?? minuteStart(clock, options.timeScale),
          ...(options.timeScale && options.timeScale !== 1 ? { timeScale: options.timeScale } : {}),
        };
    if (store && !this.run) {
      this.run = store.createRun({
        scenario: options.configFile,
        // Secrets stay in the file: the journal keeps references to them (secrets.ts).
        scenarioText: JSON.stringify({ ...stored, config: storedConfig(stored.config) }),
        plays: null,
      });
    }
    this.config = !isNewRun ? withCurrentSecrets(stored.config, options.config) : stored.config;
    this.timeScale = stored.timeScale ?? 1;
    this.epochMs = parseTimestamp(stored.epoch);
    // The limits are the running configuration's, not the stored run's: they tune this process.
    this.journal = new JournalWatch(clock, options.config.journal);
    this.engine = new Engine({
      config: engineConfigOf(stored.config, stored.epoch),
      // Hooks, eval endpoints and notifiers come from the file as it is now: where they are does not
      // change what the machines did.
      world: liveWorld(options.config.evals),
      plays: { ...stockPlays, ...livePlays(options.config.deploy), ...options.plays },
      journal: this.run && this.journal.timed(this.run),
      inspect: (event) => {
        for (const tap of this.taps) tap.inspect(event);
      },
      onTrace: (entry) => {
        for (const tap of this.taps) tap.onTrace(entry);
      },
    });
    this.metrics = new LiveMetrics(
      () => this.engine,
      () => this.run,
    );
    this.journal.register(this.metrics.registry);
    const replayed = this.engine.replayJournal();
    for (const { input } of replayed)
      if (input.kind === 'alert' && input.key) this.seen.set(input.key, parseTimestamp(input.alert.endsAt));
    this.resumed = replayed.length;
    this.minutes = new EngineMinutes(clock, this.epochMs, this.timeScale);
    this.minutes.resumeAt(this.engine.now());
    this.rollouts = this.config.rollout
      ? new LiveRollout({
          engine: this.engine,
          run: this.run?.id ?? 'run',
          hook: options.config.deploy.setWeight,
          submit: (input) => {
            this.tick();
            this.engine.submit(input);
            this.engine.flush();
            this.afterCommit();
          },
          log: options.log ?? ((message) => process.stderr.write(`runbook: ${message}\n`)),
        })
      : null;
  }

  /** The running rollout's world (router and analysis providers); null without a strategy. */
  private readonly rollouts: LiveRollout | null;

  /** The engine's clock: its epoch, its pace and the minute it is at (for `/readyz`). */
  clockInfo(): { epoch: string; timeScale: number; minute: number } | null {
    return { epoch: this.engine.config.epoch, timeScale: this.timeScale, minute: this.engine.now() };
  }

  /** The engine's time (ms) for a wall-clock time: the same unless the run has a time scale. */
  readonly engineTimeOf = (wallMs: number): number => engineTimeOf(wallMs, this.epochMs, this.timeScale);

  /**
   * A release deployed through the engine: canaried against what is live on the eval set (asked of
   * the eval endpoint), then promoted or rejected by the release machine. A promotion is carried out
   * by the deploy hook (release-hook.ts), after the commit.
   */
  async deploy(candidate: string) {
    // With nothing to judge on every candidate would score 0% and be rejected: say why instead.
    if (this.engine.evalSet.length === 0)
      throw new Refused(409, 'the canary has no eval set to judge on: configure evalSet (and evals.url)');
    // The eval endpoint failing is the world's fault, not the caller's: 502, with its reason.
    const report = await Promise.resolve(this.engine.canaryEvidence(candidate)).catch((error: Error) => {
      throw new Refused(502, `no canary evidence for ${candidate}: ${redactUrls(error.message)}`);
    });
    this.tick();
    this.engine.submit({ kind: 'deploy', candidate, report });
    this.engine.flush();
    this.afterCommit();
    this.rollouts?.wake();
    const { verdict, live } = this.engine.releaseState();
    return {
      candidate,
      verdict: verdict?.verdict ?? 'reject',
      reasons: verdict?.reasons ?? [],
      live,
      report,
    };
  }

  /** Moves the engine to the current minute: timers due by then fire (settle windows, play timeouts). */
  private tick(): void {
    const t = this.minutes.now();
    if (t > this.engine.now()) this.engine.submit({ kind: 'tick', t });
  }

  /**
   * Forgets the redelivery keys of alerts that ended more than REMEMBER_MINUTES ago, once an engine
   * minute, so a server up for months holds the keys of the last hour's alerts, not of every alert
   * it ever took. Alertmanager retries a notification until the next one for its group (group_interval,
   * minutes), and resends a firing alert with a new endsAt (a new key) anyway: a redelivery of an
   * alert an hour past its end does not come.
   */
  private forget(): void {
    const now = this.engine.now();
    if (now <= this.forgotUpTo) return;
    this.forgotUpTo = now;
    const before = this.engineTimeOf(this.clock()) - REMEMBER_MINUTES * 60_000;
    for (const [key, endsAt] of this.seen) if (endsAt < before) this.seen.delete(key);
  }

  /** How many redelivery keys are held now. */
  get rememberedKeys(): number {
    return this.seen.size;
  }

  /** The timer's beat: the clock moves even when nobody calls; quiet minutes ride with the next commit. */
  heartbeat(): void {
    this.forget();
    this.tick();
    this.engine.commit();
    this.afterCommit();
    this.rollouts?.wake();
  }

  /** Alerts in; a redelivered one (same key) is dropped. Answers how many were new. */
  receive(alerts: readonly Received[]): { accepted: number; duplicates: number } {
    this.tick();
    let accepted = 0;
    for (const { alert, key } of alerts) {
      if (this.seen.has(key)) continue;
      this.seen.set(key, parseTimestamp(alert.endsAt));
      this.engine.submit({ kind: 'alert', alert, key });
      accepted++;
    }
    this.engine.flush();
    this.afterCommit();
    const duplicates = alerts.length - accepted;
    this.metrics.alerts.inc({ outcome: 'accepted' }, accepted);
    this.metrics.alerts.inc({ outcome: 'duplicate' }, duplicates);
    return { accepted, duplicates };
  }

  /**
   * One minute of an SLI's counts: the minute that just ended. Minutes nobody reported are recorded
   * as no traffic first, so the ledger's minutes stay the clock's; a second report for the same
   * minute is refused rather than shifting every later minute.
   */
  recordSli(sli: string, requests: number, errors: number): { minute: number } {
    // Own keys only: `constructor` or `toString` are in every object, and are no SLI.
    if (!Object.hasOwn(this.engine.config.objectives, sli)) {
      const known = Object.keys(this.engine.config.objectives).join(', ');
      throw new PayloadError(`unknown SLI ${JSON.stringify(sli)} (known: ${known})`, 'sli');
    }
    if (errors > requests) throw new PayloadError('must be <= requests', 'errors');
    this.tick();
    const t = this.engine.now();
    const ledger = this.engine.ledger(sli);
    if (ledger.minutes >= t) {
      throw new Refused(409, `minute ${t - 1} of ${sli} is counted already; post once a minute`);
    }
    while (ledger.minutes < t - 1) {
      this.engine.submit({ kind: 'sli', sli, counts: { requests: 0, errors: 0 } });
    }
    this.engine.submit({ kind: 'sli', sli, counts: { requests, errors } });
    this.engine.flush();
    this.afterCommit();
    return { minute: t - 1 };
  }

  /**
   * A receiver refused a notification for good (the outbox says so): journaled, so the incident shows
   * it and a page nobody got escalates, after a restart too.
   */
  refused(notifier: string, n: Notification, why: string): void {
    this.tick();
    this.engine.submit({ kind: 'undeliverable', incident: n.incident, notifier, notification: n.kind, why });
    this.engine.flush();
    this.afterCommit();
  }

  /** Whether every trigger of `incident` that `notifier` was sent was refused (and at least one was). */
  neverTriggered(notifier: string, incident: string): boolean {
    const refused = this.engine.undeliverable.get(incident) ?? [];
    return refused.some((r) => r.notifier === notifier && TRIGGER_KINDS.includes(r.kind));
  }

  /** What is live and the rollouts: `GET /api/release`. */
  releaseStatus(): ReleaseStatus {
    this.tick();
    this.engine.commit();
    return releaseStatus(this.engine);
  }

  /** An operator's command on the rollout (promote, promote in full, abort, retry), journaled with who gave it. */
  releaseCommand(action: ReleaseOperatorInput['action'], by: string, why?: string): ReleaseStatus {
    this.tick();
    const refused = refusal(this.engine, action);
    if (refused) {
      this.engine.commit();
      throw new Refused(409, refused);
    }
    this.engine.submit({ kind: 'release-operator', action, by, ...(why ? { why } : {}) });
    this.engine.flush();
    this.afterCommit();
    this.rollouts?.wake();
    return releaseStatus(this.engine);
  }

  ack(id: string, by: string): ReturnType<typeof incidentRecord> {
    const incident = this.find(id);
    this.tick();
    if (!this.engine.awaitingAck().includes(incident)) {
      this.engine.commit();
      const state = stateName(incident.actor.getSnapshot().value);
      throw new Refused(409, `${id} is ${state}: only a paged or ticketed incident can be acknowledged`);
    }
    this.engine.submit({ kind: 'ack', incident: id, by });
    this.engine.flush();
    this.afterCommit();
    return incidentRecord(this.engine, incident);
  }

  /**
   * An operator's command to an incident's runbook run (approve, reject, pause, resume, skip, abort,
   * retry): journaled with who gave it, at the engine's minute. A command the run cannot take now is
   * refused (400 naming the field, or 409) and nothing is journaled.
   */
  operate(id: string, command: OperatorCommand, step: string | undefined, by: string) {
    const incident = this.find(id);
    this.tick();
    try {
      this.engine.operate({
        kind: 'operator',
        incident: id,
        command,
        ...(step === undefined ? {} : { step }),
        by,
      });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.engine.commit();
      if (error.field === 'step' || error.field === 'by') throw new PayloadError(error.message, error.field);
      throw new Refused(409, error.message);
    }
    this.engine.flush();
    this.afterCommit();
    return { ...incidentRecord(this.engine, incident), runbook: this.engine.runbookStatus(id) };
  }

  incidents(filter: { state?: string; service?: string }) {
    return this.engine.incidents
      .map((incident) => incidentRecord(this.engine, incident))
      .filter((r) => !filter.state || r.state === filter.state || r.state.startsWith(`${filter.state}.`))
      .filter((r) => !filter.service || r.labels.service === filter.service)
      .map(({ id, state, severity, labels, alerts, openedAt }) => ({
        id,
        state,
        severity,
        labels,
        alerts,
        openedAt,
      }));
  }

  /**
   * How the reads of an SLI from Prometheus are going (prometheus.ts reports each one): shown with
   * the incidents that watch it, so an SLI that stopped moving says why. Not journaled: it is the
   * state of the connection now, not something the machines did.
   */
  noteSliRead(sli: string, minute: number, error: string | null): void {
    const reads = this.sliReads.get(sli) ?? { failures: 0, lastError: null, lastOkMinute: null };
    if (error === null) Object.assign(reads, { failures: 0, lastError: null, lastOkMinute: minute });
    else Object.assign(reads, { failures: reads.failures + 1, lastError: error });
    this.sliReads.set(sli, reads);
  }

  /** One incident: its record, its postmortem and fix once written and shipped, and its trace. */
  incident(id: string) {
    const incident = this.find(id);
    const trace = this.engine.trace.entries.filter((e) => e.actor === id);
    const { learn, ship } = incident.actor.getSnapshot().context;
    const sliReads = (incident.type && this.sliReads.get(incident.type.sli)) ?? null;
    const postmortem = learn && {
      accepted: learn.accepted,
      findings: learn.findings,
      regressionCases: learn.regressionCases.map((c) => c.id),
      markdown: learn.markdown,
    };
    // Why each page, ticket, play and verdict happened: derived from the machines, never stored.
    const decisions = incidentDecisions(this.engine, incident) as Decision[] | null;
    // A runbook of the statechart language: the step it is at and where it waits, since when.
    const runbook = this.engine.runbookStatus(id);
    return {
      ...incidentRecord(this.engine, incident),
      postmortem,
      ship,
      sliReads,
      trace,
      decisions,
      ...(runbook ? { runbook } : {}),
    };
  }

  /** Streams what the actors do from now on to `tap`, until the returned function is called. */
  watch(tap: LiveTap): () => void {
    this.taps.add(tap);
    return () => this.taps.delete(tap);
  }

  /** Everything submitted is committed: before exiting. */
  close(): void {
    this.engine.flush();
    this.engine.stop();
  }

  private find(id: string): EngineIncident {
    const incident = this.engine.incidents.find((i) => i.id === id);
    if (!incident) throw new Refused(404, `no incident ${id}`);
    return incident;
  }
}
