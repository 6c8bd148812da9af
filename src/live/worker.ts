import { Registry } from 'prom-client';
import { Inbox, Lease } from '../engine/pg-lease.js';
import { LeaseLost, type PgStore } from '../engine/pg-store.js';
import type { incidentRecord } from '../engine/records.js';
import type { TraceEntry } from '../engine/trace.js';
import { parseTimestamp } from '../toolkit/alerts.js';
import { InputError } from '../toolkit/errors.js';
import { JournalWatch } from './backpressure.js';
import type { WallClock } from './clock.js';
import type { LiveConfig } from './config.js';
import type { Received } from './intake.js';
import { type LiveEngine, type LiveTap, lastLiveRun, Refused } from './runtime.js';

/**
 * One of several `runbook serve` workers on one Postgres. The live run is one journal, replayed
 * deterministically by whoever drives it, so one worker at a time drives it: the holder of its lease
 * (renewed every beat, lost when not renewed within the lease time). Every worker answers the API:
 * the holder applies what it receives itself; the others journal it in the inbox (acknowledged once
 * committed there), and the holder applies the inbox at its next beat. When the holder dies, its
 * lease runs out and the next worker to claim it restores the run from the journal (plays without a
 * recorded outcome run again under their keys) and goes on. A worker that was stopped past its lease
 * finds out at its next renewal, or at its next commit, which is fenced by the lease in the same
 * statement: it drops its engine without writing anything and carries on as a standby.
 */

export const LIVE_LEASE = 'live-run';

export interface WorkerOptions {
  store: PgStore;
  /** This worker's name in the lease and the journal: host and pid. */
  name: string;
  leaseSeconds: number;
  clock: WallClock;
  config: LiveConfig;
  /** Builds the engine once the lease is held: opens (or creates) the live run and replays its journal. */
  startEngine: () => LiveEngine;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

type IncidentRecord = ReturnType<typeof incidentRecord>;

export class LeasedWorker {
  readonly clock: WallClock;
  readonly config: LiveConfig;
  private live: LiveEngine | null = null;
  private readonly lease: Lease;
  private readonly inbox: Inbox;
  private readonly standbyMetrics = { registry: new Registry() };
  /** A standby journals what it receives in the inbox: its own watch says when that falls behind. */
  private readonly standbyJournal: JournalWatch;
  /** Who watches this worker's engine (the inspector), and how to stop each watching the current one. */
  private readonly taps = new Set<LiveTap>();
  private readonly watching = new Map<LiveTap, () => void>();

  constructor(private readonly options: WorkerOptions) {
    this.clock = options.clock;
    this.config = options.config;
    this.lease = new Lease(options.store, LIVE_LEASE, options.name, options.leaseSeconds);
    this.inbox = new Inbox(options.store, options.name);
    options.store.fence = { lease: LIVE_LEASE, owner: options.name };
    this.standbyJournal = new JournalWatch(options.clock, options.config.journal);
  }

  get journal(): JournalWatch {
    return this.live?.journal ?? this.standbyJournal;
  }

  get leading(): boolean {
    return this.live !== null;
  }

  get run() {
    return this.live?.run ?? null;
  }

  get resumed(): number {
    return this.live?.resumed ?? 0;
  }

  get metrics(): { registry: Registry } {
    return this.live?.metrics ?? this.standbyMetrics;
  }

  /** Every second: keep (or take) the lease; the holder applies the inbox and moves its clock. */
  heartbeat(): void {
    try {
      this.beat();
    } catch (error) {
      // The database is out of reach: the lease cannot be renewed, so nothing more is done as its holder.
      if (!(error instanceof InputError)) throw error;
      if (this.live) this.drop(error.message);
      else this.options.log(`cannot reach the database: ${error.message}`);
    }
  }

  private beat(): void {
    if (this.live && !this.lease.renew()) {
      this.drop('its lease ran out before it was renewed');
    }
    if (!this.live) {
      if (!this.lease.claim()) return;
      this.live = this.options.startEngine();
      for (const tap of this.taps) this.watching.set(tap, this.live.watch(tap));
      this.options.log('took the lease: driving the live run', {
        run: this.live.run?.id,
        replayed: this.live.resumed,
      });
    }
    this.fenced(() => {
      this.applyInbox();
      this.live?.heartbeat();
    });
  }

  receive(alerts: readonly Received[]): { accepted: number; duplicates: number } {
    const held = this.fenced(() => this.live?.receive(alerts));
    if (held) return held;
    const accepted = alerts.filter(({ alert, key }) => this.inbox.post('alert', key, alert)).length;
    return { accepted, duplicates: alerts.length - accepted };
  }

  recordSli(sli: string, requests: number, errors: number): { minute: number } {
    const held = this.fenced(() => this.live?.recordSli(sli, requests, errors));
    if (held) return held;
    this.inbox.post('sli', null, { sli, requests, errors });
    return { minute: this.minute() - 1 };
  }

  /** The holder keeps how its Prometheus reads go; a standby reads nothing. */
  noteSliRead(sli: string, minute: number, error: string | null): void {
    this.live?.noteSliRead(sli, minute, error);
  }

  /** Workers run on the wall clock: a time scale is for one-process game days. */
  readonly timeScale = 1;
  readonly engineTimeOf = (wallMs: number): number => wallMs;

  /** The holder's clock; a standby has none of its own. */
  clockInfo(): ReturnType<LiveEngine['clockInfo']> {
    return this.live?.clockInfo() ?? null;
  }

  /** A deploy is canaried by the worker that holds the run; the others send it there. */
  deploy(candidate: string): ReturnType<LiveEngine['deploy']> {
    if (!this.live) {
      return Promise.reject(
        new Refused(409, 'this worker does not hold the live run: deploy through the worker that does'),
      );
    }
    return this.live.deploy(candidate);
  }

  /** The release desk is the holder's: another worker refuses rather than guess at it. */
  releaseStatus(): ReturnType<LiveEngine['releaseStatus']> {
    if (!this.live)
      throw new Refused(409, 'this worker does not hold the live run: ask the worker that does');
    return this.live.releaseStatus();
  }

  releaseCommand(
    ...args: Parameters<LiveEngine['releaseCommand']>
  ): ReturnType<LiveEngine['releaseCommand']> {
    if (!this.live)
      throw new Refused(409, 'this worker does not hold the live run: ask the worker that does');
    const done = this.fenced(() => this.live?.releaseCommand(...args));
    if (!done)
      throw new Refused(409, 'this worker lost the live run while committing: ask the worker that holds it');
    return done;
  }

  ack(id: string, by: string): IncidentRecord {
    const held = this.fenced(() => this.live?.ack(id, by));
    if (held) return held;
    const record = this.stored(id);
    this.inbox.post('ack', null, { id, by });
    return record;
  }

  /** A runbook command is checked against the run's state, which only the worker holding it has. */
  operate(...args: Parameters<LiveEngine['operate']>): ReturnType<LiveEngine['operate']> {
    const held = this.fenced(() => this.live?.operate(...args));
    if (held) return held;
    throw new Refused(
      409,
      'this worker does not hold the live run: send runbook commands to the worker that does',
    );
  }

  incidents(filter: { state?: string; service?: string }) {
    if (this.live) return this.live.incidents(filter);
    const run = this.liveRun();
    if (!run) return [];
    return this.options.store
      .rows<{ record: string }>(
        `SELECT record FROM incidents WHERE run_id = $1
            AND ($2::text IS NULL OR state = $2 OR state LIKE $2 || '.%')
            AND ($3::text IS NULL OR (record::json -> 'labels' ->> 'service') = $3)
          ORDER BY substr(id, 5)::int`,
        [run, filter.state ?? null, filter.service ?? null],
      )
      .map((row) => {
        const { id, state, severity, labels, alerts, openedAt } = JSON.parse(row.record) as IncidentRecord;
        return { id, state, severity, labels, alerts, openedAt };
      });
  }

  incident(id: string) {
    if (this.live) return this.live.incident(id);
    const trace = this.options.store.rows<TraceEntry>(
      `SELECT seq, t, actor, from_state AS "from", event, to_state AS "to"
         FROM trace WHERE run_id = $1 AND actor = $2 ORDER BY seq`,
      [this.liveRun(), id],
    );
    // The postmortem, the fix and the decisions live in the holder's machines, not in the stored record.
    return { ...this.stored(id), postmortem: null, ship: null, sliReads: null, trace, decisions: null };
  }

  /** A clean stop: the last inputs are committed and the lease is given up for the next worker. */
  close(): void {
    if (!this.live) return;
    this.fenced(() => this.live?.close());
    this.lease.release();
    this.live = null;
  }

  /** Runs `work` on the engine while the lease holds; a commit the fence refused drops the engine. */
  private fenced<T>(work: () => T | undefined): T | undefined {
    if (!this.live) return undefined;
    try {
      return work();
    } catch (error) {
      if (!(error instanceof LeaseLost)) throw error;
      this.drop('a commit found the lease held by another worker');
      return undefined;
    }
  }

  /**
   * The inspector follows the engine this worker drives (the transitions so far, then each one as it
   * happens); while it stands by there is nothing to show, and when it takes the run (again) the
   * watchers are attached to the new engine.
   */
  watch(tap: LiveTap): () => void {
    this.taps.add(tap);
    if (this.live) this.watching.set(tap, this.live.watch(tap));
    return () => {
      this.taps.delete(tap);
      this.watching.get(tap)?.();
      this.watching.delete(tap);
    };
  }

  /** The transitions of the run so far, as this worker's engine has them (none while standing by). */
  trace(): readonly TraceEntry[] {
    return this.live?.engine.trace.entries ?? [];
  }

  /** Stops driving the run, writing nothing more: what this engine did since its last commit is not kept. */
  private drop(why: string): void {
    for (const unwatch of this.watching.values()) unwatch();
    this.watching.clear();
    this.live?.engine.stop();
    this.live = null;
    this.options.log(`lost the lease (${why}): standing by`);
  }

  /** Applies what the other workers received, then drops it from the inbox once it is in the journal. */
  private applyInbox(): void {
    const live = this.live as LiveEngine;
    const items = this.inbox.waiting();
    if (items.length === 0) return;
    for (const item of items) {
      const payload = JSON.parse(item.payload);
      try {
        if (item.kind === 'alert') live.receive([{ alert: payload, key: item.key as string }]);
        if (item.kind === 'sli') live.recordSli(payload.sli, payload.requests, payload.errors);
        if (item.kind === 'ack') live.ack(payload.id, payload.by);
      } catch (error) {
        if (error instanceof LeaseLost) throw error;
        // Refused now (an SLI minute counted twice, an incident no longer paged): as if posted here.
        this.options.log(`inbox ${item.kind} refused: ${(error as Error).message}`);
      }
    }
    this.inbox.done(items.map((item) => item.id));
  }

  private liveRun(): string | null {
    return lastLiveRun(this.options.store)?.id ?? null;
  }

  private stored(id: string): IncidentRecord {
    const [row] = this.options.store.rows<{ record: string }>(
      'SELECT record FROM incidents WHERE run_id = $1 AND id = $2',
      [this.liveRun(), id],
    );
    if (!row) throw new Refused(404, `no incident ${id}`);
    return JSON.parse(row.record) as IncidentRecord;
  }

  /** The engine's minute as the holder counts it: whole minutes since the run's epoch. */
  private minute(): number {
    const run = lastLiveRun(this.options.store);
    const epoch = run ? (JSON.parse(run.meta.scenarioText) as { epoch: string }).epoch : null;
    return epoch ? Math.floor((this.clock() - parseTimestamp(epoch)) / 60000) : 0;
  }
}
