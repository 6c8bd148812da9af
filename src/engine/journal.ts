import type { Input } from './inputs.js';
import type { TraceEntry } from './trace.js';

/**
 * The journal is the engine's memory: every input, in the order it was applied, committed together
 * with what it produced (trace entries, incident records, notifications for the outbox). An input is
 * acknowledged only once its batch is committed; after a crash the engine replays the journal through
 * fresh machines and ends where it was. The store behind it is an interface: SQLite embedded, Postgres
 * for several workers.
 */

export interface JournalEntry {
  seq: number;
  input: Input;
}

/** An incident as the store keeps it for listing: the engine's record, updated as it changes. */
export interface IncidentRow {
  id: string;
  state: string;
  severity: string | null;
  openedAt: number;
  record: unknown;
}

/** Something to tell people: kept in the outbox until delivered. */
export interface Notification {
  /** Stable across retries and restarts: the incident and what happened to it. */
  key: string;
  incident: string;
  /** `notify`: a runbook's notify step (its channel in `to`). */
  kind: 'page' | 'ticket' | 'acknowledge' | 'resolve' | 'escalate' | 'notify' | 'rollout';
  t: number;
  severity: string | null;
  summary: string;
  /** Who it is for, when an escalation policy names them: the page's first level, an escalation's level. */
  to?: string[];
  /** What decided it (the guard's numbers and thresholds, src/engine/why.ts): for a page, ticket or escalation; a rollout decision's why. */
  why?: string;
}

/** Room for the notifications of one commit in the outbox's order (a commit owes a few at most). */
export const OUTBOX_PER_COMMIT = 4096;

/** A notification still owed to someone, as the outbox keeps it. */
export interface PendingNotification {
  notification: Notification;
  /** The notifiers that have it already. */
  deliveredTo: string[];
  /** Failed deliveries so far. */
  attempts: number;
}

/** What one commit writes: the inputs of the batch and everything they produced. */
export interface Batch {
  inputs: JournalEntry[];
  trace: TraceEntry[];
  incidents: IncidentRow[];
  notifications: Notification[];
}

export type RunState = 'running' | 'finished';

export interface RunInfo {
  id: string;
  scenario: string;
  state: RunState;
  inputs: number;
  createdAt: string;
}

/** The journal of one run. */
export interface RunJournal {
  readonly id: string;
  /** The entries already committed after seq `after` (default: all), in order: what a restore replays. */
  entries(after?: number): JournalEntry[];
  /** Keeps the engine's (and its world's) state as of input `seq`; a restore starts from the newest. */
  checkpoint(seq: number, state: string): void;
  latestCheckpoint(): { seq: number; state: string } | null;
  /** The first `count` trace entries: what a checkpoint's trace picks up from. */
  trace(count: number): TraceEntry[];
  /** Appends a batch in one transaction; nothing of it is kept if the commit fails. */
  commit(batch: Batch): void;
  /** Marks the run finished and keeps its result, so `resume` of a finished run prints it. */
  finish(result: string): void;
  /** The stored result of a finished run. */
  result(): string | null;
  /** What the run was started with (its scenario and plays), to resume it. */
  readonly meta: RunMeta;
}

/** The outbox of a stored run, as the live server delivers it: a store's runs have one. */
export interface Outbox {
  /** The notifications not yet delivered to every notifier, in the order they were owed. */
  undelivered(): PendingNotification[];
  /**
   * `notifier` is done with notification `key` (null: nobody is told this kind); once `owed` notifiers
   * are, the notification is delivered, at wall time `at`.
   */
  delivered(key: string, notifier: string | null, owed: number, at: string): void;
  /** A delivery of `key` failed: counted, with the reason, for the next try and for operators. */
  deliveryFailed(key: string, error: string): void;
}

/** A run as a store keeps it: its journal and its outbox. */
export type StoredRun = RunJournal & Outbox;

export interface RunMeta {
  /** The scenario file, as named on the command line (for listings and messages). */
  scenario: string;
  /** The scenario's text at the start of the run: a resume runs the same shift even if the file changed. */
  scenarioText: string;
  /** The plays module, when one was plugged in. */
  plays: string | null;
}

export interface Store {
  /** The file or URL behind it, for messages. */
  readonly location: string;
  createRun(meta: RunMeta): StoredRun;
  openRun(id: string): StoredRun;
  runs(): RunInfo[];
  close(): void;
}
