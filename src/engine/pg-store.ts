import { createSyncFn } from 'synckit';
import { InputError } from '../toolkit/errors.js';
import {
  type Batch,
  type JournalEntry,
  type Notification,
  OUTBOX_PER_COMMIT,
  type PendingNotification,
  type RunInfo,
  type RunMeta,
  type Store,
  type StoredRun,
} from './journal.js';
import { encodeInputs, entriesOf, type JournalRow } from './journal-codec.js';
import type { PgCall, Statement } from './pg-worker.js';
import type { TraceEntry } from './trace.js';
import { workerFile } from './worker-file.js';

/**
 * The journal on PostgreSQL, for several workers on one database: the same tables and migrations as
 * the SQLite store (`sqlite-store.ts`), the version kept in a `runbook_schema` row instead of SQLite's
 * `user_version`. The engine commits synchronously, so every call blocks until a worker thread
 * (`pg-worker.ts`, through synckit) has run it on node-postgres: a batch is acknowledged once Postgres
 * has committed it (`synchronous_commit` as the server has it: on by default, so fsynced there).
 */

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     scenario TEXT NOT NULL,
     scenario_text TEXT NOT NULL,
     plays TEXT,
     state TEXT NOT NULL CHECK (state IN ('running', 'finished')),
     created_at TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
     result TEXT
   );
   CREATE TABLE journal (
     run_id TEXT NOT NULL REFERENCES runs(id),
     first_seq BIGINT NOT NULL,
     last_seq BIGINT NOT NULL,
     inputs TEXT NOT NULL,
     PRIMARY KEY (run_id, first_seq)
   );
   CREATE TABLE trace (
     run_id TEXT NOT NULL REFERENCES runs(id),
     seq BIGINT NOT NULL,
     t DOUBLE PRECISION NOT NULL,
     actor TEXT NOT NULL,
     from_state TEXT,
     event TEXT NOT NULL,
     to_state TEXT NOT NULL,
     PRIMARY KEY (run_id, seq)
   );
   CREATE TABLE incidents (
     run_id TEXT NOT NULL REFERENCES runs(id),
     id TEXT NOT NULL,
     state TEXT NOT NULL,
     severity TEXT,
     opened_at DOUBLE PRECISION NOT NULL,
     record TEXT NOT NULL,
     PRIMARY KEY (run_id, id)
   );
   CREATE TABLE outbox (
     run_id TEXT NOT NULL REFERENCES runs(id),
     key TEXT NOT NULL,
     incident TEXT NOT NULL,
     kind TEXT NOT NULL,
     payload TEXT NOT NULL,
     delivered_at TEXT,
     PRIMARY KEY (run_id, key)
   );`,
  // v2: checkpoints, so a restore replays only the journal after the last one.
  `CREATE TABLE checkpoints (
     run_id TEXT NOT NULL REFERENCES runs(id),
     seq BIGINT NOT NULL,
     state TEXT NOT NULL,
     PRIMARY KEY (run_id, seq)
   );`,
  // v3, Postgres only: several `serve` workers on one database. The live run is driven by the holder
  // of its lease; the other workers journal what they receive in the inbox for the holder to apply.
  // Each journal row names the worker that wrote it.
  `CREATE TABLE leases (
     name TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     expires_at TIMESTAMPTZ NOT NULL
   );
   CREATE TABLE inbox (
     id BIGSERIAL PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('alert', 'sli', 'ack')),
     key TEXT UNIQUE,
     payload TEXT NOT NULL,
     received_by TEXT NOT NULL
   );
   ALTER TABLE journal ADD COLUMN written_by TEXT;`,
  // v4: delivery of the outbox, live: its order, who has it already, how many tries failed (SQLite's v3).
  `ALTER TABLE outbox ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
   ALTER TABLE outbox ADD COLUMN delivered_to JSONB NOT NULL DEFAULT '[]';
   ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE outbox ADD COLUMN last_error TEXT;
   CREATE INDEX outbox_undelivered ON outbox (run_id, position) WHERE delivered_at IS NULL;`,
  // v5: a journal row may stand for a run of quiet minutes with a marker (src/engine/journal-codec.ts).
  // No table changes: the version is there so that an older runbook refuses the database, not misreads it.
  '-- journal rows: {"again": N} markers',
];
export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** Every migrating worker takes this advisory lock first: two starting at once migrate once. */
const MIGRATION_LOCK = 0x52424d31;

/** How long one call may block the engine before it is reported as a database that does not answer. */
const CALL_TIMEOUT_MS = 30_000;

export interface PgStoreOptions {
  afterCommit?: (seq: number) => void;
  beforeCommit?: (seq: number) => void;
}

/** The lease a worker's commits are fenced by: `name` held by `owner`, unexpired at commit time. */
export interface Fence {
  lease: string;
  owner: string;
}

/** A commit refused because the worker no longer holds the run's lease: another worker drives it now. */
export class LeaseLost extends Error {
  constructor(readonly owner: string) {
    super(`${owner} no longer holds the lease: nothing of the batch was written`);
  }
}

export const isPostgresUrl = (location: string) => /^postgres(ql)?:\/\//.test(location);

/** The URL as messages show it: without its password. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

const WHY: Record<string, string> = {
  ECONNREFUSED: 'cannot connect: nothing listens there (is PostgreSQL running?)',
  ENOTFOUND: 'cannot connect: no such host',
  '28P01': 'refused the login (wrong user or password)',
  '28000': 'refused the login (no pg_hba.conf entry for this user or host)',
  '3D000': 'has no such database (create it first: createdb NAME)',
  '42501': 'permission denied (the user may not create or write the journal tables)',
  '53100': 'cannot grow: the disk is full (nothing of the last batch was kept)',
  '57P01': 'lost the connection: the server shut down (nothing of the last batch was kept)',
  ECONNRESET: 'lost the connection (nothing of the last batch was kept)',
};

function storeError(location: string, error: unknown): InputError {
  const { code, message } = error as { code?: string; message?: string };
  const timedOut = /timed-out/.test(message ?? '');
  const why = timedOut
    ? `did not answer within ${CALL_TIMEOUT_MS / 1000} s (nothing of the last batch is known to be kept)`
    : (WHY[code ?? ''] ?? `database error: ${message ?? String(error)}`);
  return new InputError(why, location, '--db');
}

const pgWorker = workerFile('pg-worker.js');

export class PgStore implements Store {
  readonly location: string;
  private readonly url: string;
  private readonly call: (request: PgCall) => unknown[][];
  /** Set by a serve worker: every commit then checks, in its own statement, that the lease is still held. */
  fence: Fence | null = null;

  constructor(
    url: string,
    private readonly options: PgStoreOptions = {},
  ) {
    this.url = url;
    this.location = redacted(url);
    this.call = createSyncFn<(request: PgCall) => Promise<unknown[][]>>(pgWorker, {
      timeout: CALL_TIMEOUT_MS,
    });
    try {
      this.migrate();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Runs statements, in one transaction when `transaction`; a failure names the URL and --db. */
  exec(statements: Statement[], transaction = true): unknown[][] {
    try {
      return this.call({ op: 'run', url: this.url, statements, transaction });
    } catch (error) {
      throw storeError(this.location, error);
    }
  }

  /** One statement, atomic by itself: one round trip, no BEGIN/COMMIT around it. */
  rows<T>(text: string, values: unknown[] = []): T[] {
    return this.exec([{ text, values }], false)[0] as T[];
  }

  statement(text: string, values: unknown[] = []): void {
    this.exec([{ text, values }], false);
  }

  private migrate(): void {
    const [, , tables, schema] = this.exec([
      { text: 'SELECT pg_advisory_xact_lock($1)', values: [MIGRATION_LOCK] },
      { text: 'CREATE TABLE IF NOT EXISTS runbook_schema (version INTEGER NOT NULL)' },
      {
        text: `SELECT count(*) AS n FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_name IN ('runs', 'journal')`,
      },
      { text: 'SELECT version FROM runbook_schema' },
    ]) as [unknown, unknown, { n: number }[], { version: number }[]];
    const version = schema[0]?.version ?? 0;
    if (version === 0 && (tables[0]?.n ?? 0) > 0) {
      throw new InputError(
        'holds tables of another program (runs, journal) and no runbook schema: use a database of its own',
        this.location,
        '--db',
      );
    }
    if (version > PG_SCHEMA_VERSION) {
      throw new InputError(
        `has schema version ${version}, newer than this runbook's ${PG_SCHEMA_VERSION}: upgrade runbook-machines`,
        this.location,
        '--db',
      );
    }
    if (version === PG_SCHEMA_VERSION) return;
    // Under the lock again: another worker may have migrated between the read and now.
    this.exec([
      { text: 'SELECT pg_advisory_xact_lock($1)', values: [MIGRATION_LOCK] },
      {
        text: `DO $$ BEGIN IF (SELECT coalesce(max(version), 0) FROM runbook_schema) = ${version} THEN
                 ${MIGRATIONS.slice(version).join('\n')}
                 DELETE FROM runbook_schema; INSERT INTO runbook_schema VALUES (${PG_SCHEMA_VERSION});
               END IF; END $$`,
      },
    ]);
  }

  createRun(meta: RunMeta): StoredRun {
    // The lock orders concurrent creators: each numbers its run after the ones committed before it.
    const [, [row]] = this.exec([
      { text: 'LOCK TABLE runs IN SHARE ROW EXCLUSIVE MODE' },
      {
        text: `INSERT INTO runs (id, scenario, scenario_text, plays, state)
               SELECT 'run-' || (count(*) + 1), $1, $2, $3, 'running' FROM runs RETURNING id`,
        values: [meta.scenario, meta.scenarioText, meta.plays],
      },
    ]) as [unknown, { id: string }[]];
    return new PgRun(this, (row as { id: string }).id, meta, this.options);
  }

  openRun(id: string): StoredRun {
    const [row] = this.rows<{ scenario: string; scenario_text: string; plays: string | null }>(
      'SELECT scenario, scenario_text, plays FROM runs WHERE id = $1',
      [id],
    );
    if (!row) {
      throw new InputError(
        `no run ${id} in this database (see: runbook runs --db URL)`,
        this.location,
        'RUN',
      );
    }
    const meta = { scenario: row.scenario, scenarioText: row.scenario_text, plays: row.plays };
    return new PgRun(this, id, meta, this.options);
  }

  runs(): RunInfo[] {
    return this.rows<RunInfo>(
      `SELECT r.id, r.scenario, r.state, r.created_at AS "createdAt",
              coalesce((SELECT max(last_seq) FROM journal j WHERE j.run_id = r.id), 0) AS inputs
         FROM runs r ORDER BY substr(r.id, 5)::int`,
    );
  }

  close(): void {
    try {
      this.call({ op: 'close', url: this.url });
    } catch {
      // Closing a connection that is already gone: nothing is left to release.
    }
  }
}

class PgRun implements StoredRun {
  constructor(
    private readonly store: PgStore,
    readonly id: string,
    readonly meta: RunMeta,
    private readonly hooks: PgStoreOptions,
  ) {}

  entries(after = 0): JournalEntry[] {
    const rows = this.store.rows<JournalRow>(
      'SELECT first_seq AS first, last_seq AS last, inputs FROM journal WHERE run_id = $1 AND last_seq > $2 ORDER BY first_seq',
      [this.id, after],
    );
    return entriesOf(rows, this.store.location, this.id, after);
  }

  /**
   * One statement for the whole batch (data-modifying CTEs, atomic as any statement): one round trip,
   * each table's rows as one JSON array.
   */
  commit(batch: Batch): void {
    const first = batch.inputs[0];
    const last = batch.inputs[batch.inputs.length - 1];
    if (!first || !last) return;
    this.hooks.beforeCommit?.(last.seq);
    const inputs = encodeInputs(batch.inputs.map((entry) => entry.input));
    const incidents = batch.incidents.map((i) => ({ ...i, record: JSON.stringify(i.record) }));
    // The order they were owed in: a page goes out before its acknowledgement.
    const outbox = batch.notifications.map((n, i) => ({
      ...n,
      payload: JSON.stringify(n),
      position: last.seq * OUTBOX_PER_COMMIT + i,
    }));
    const { fence } = this.store;
    // `held` has one row when the batch may be written: no fence, or the fence's lease still held.
    const [written] = this.store.rows<{ n: number }>(
      `WITH held AS (
         SELECT 1 WHERE $8::text IS NULL OR EXISTS (
           SELECT 1 FROM leases WHERE name = $8 AND owner = $9 AND expires_at > now())
       ), journal_row AS (
         INSERT INTO journal (run_id, first_seq, last_seq, inputs, written_by)
         SELECT $1, $2, $3, $4, $9 FROM held RETURNING 1
       ), trace_rows AS (
         INSERT INTO trace (run_id, seq, t, actor, from_state, event, to_state)
         SELECT $1, x.seq, x.t, x.actor, x."from", x.event, x."to"
           FROM held, json_to_recordset($5::json)
             AS x(seq BIGINT, t DOUBLE PRECISION, actor TEXT, "from" TEXT, event TEXT, "to" TEXT)
       ), incident_rows AS (
         INSERT INTO incidents (run_id, id, state, severity, opened_at, record)
         SELECT $1, x.id, x.state, x.severity, x."openedAt", x.record
           FROM held, json_to_recordset($6::json)
             AS x(id TEXT, state TEXT, severity TEXT, "openedAt" DOUBLE PRECISION, record TEXT)
         ON CONFLICT (run_id, id) DO UPDATE SET state = excluded.state,
           severity = excluded.severity, record = excluded.record
       ), outbox_rows AS (
         INSERT INTO outbox (run_id, key, incident, kind, payload, position)
         SELECT $1, x.key, x.incident, x.kind, x.payload, x.position
           FROM held, json_to_recordset($7::json)
             AS x(key TEXT, incident TEXT, kind TEXT, payload TEXT, position BIGINT)
         ON CONFLICT DO NOTHING
       )
       SELECT count(*) AS n FROM journal_row`,
      [
        this.id,
        first.seq,
        last.seq,
        inputs,
        JSON.stringify(batch.trace),
        JSON.stringify(incidents),
        JSON.stringify(outbox),
        fence?.lease ?? null,
        fence?.owner ?? null,
      ],
    );
    if (fence && written?.n === 0) throw new LeaseLost(fence.owner);
    this.hooks.afterCommit?.(last.seq);
  }

  checkpoint(seq: number, state: string): void {
    // Only the newest is ever read: older ones would only grow the table.
    this.store.statement(
      `WITH older AS (DELETE FROM checkpoints WHERE run_id = $1 AND seq < $2)
       INSERT INTO checkpoints (run_id, seq, state) VALUES ($1, $2, $3)
       ON CONFLICT (run_id, seq) DO UPDATE SET state = excluded.state`,
      [this.id, seq, state],
    );
  }

  latestCheckpoint(): { seq: number; state: string } | null {
    const [row] = this.store.rows<{ seq: number; state: string }>(
      'SELECT seq, state FROM checkpoints WHERE run_id = $1 ORDER BY seq DESC LIMIT 1',
      [this.id],
    );
    return row ?? null;
  }

  trace(count: number): TraceEntry[] {
    return this.store.rows<TraceEntry>(
      `SELECT seq, t, actor, from_state AS "from", event, to_state AS "to"
         FROM trace WHERE run_id = $1 ORDER BY seq LIMIT $2`,
      [this.id, count],
    );
  }

  undelivered(): PendingNotification[] {
    const rows = this.store.rows<{ payload: string; deliveredTo: string[]; attempts: number }>(
      `SELECT payload, delivered_to AS "deliveredTo", attempts FROM outbox
        WHERE run_id = $1 AND delivered_at IS NULL ORDER BY position`,
      [this.id],
    );
    return rows.map((row) => ({
      notification: JSON.parse(row.payload) as Notification,
      deliveredTo: row.deliveredTo,
      attempts: row.attempts,
    }));
  }

  delivered(key: string, notifier: string | null, owed: number, at: string): void {
    this.store.statement(
      `UPDATE outbox SET
         delivered_to = CASE WHEN $3::text IS NULL OR delivered_to ? $3 THEN delivered_to
                             ELSE delivered_to || to_jsonb($3::text) END,
         delivered_at = CASE WHEN jsonb_array_length(CASE WHEN $3::text IS NULL OR delivered_to ? $3
                             THEN delivered_to ELSE delivered_to || to_jsonb($3::text) END) >= $4
                             THEN $5 ELSE delivered_at END
       WHERE run_id = $1 AND key = $2`,
      [this.id, key, notifier, owed, at],
    );
  }

  deliveryFailed(key: string, error: string): void {
    this.store.statement(
      'UPDATE outbox SET attempts = attempts + 1, last_error = $3 WHERE run_id = $1 AND key = $2',
      [this.id, key, error],
    );
  }

  finish(result: string): void {
    this.store.statement("UPDATE runs SET state = 'finished', result = $1 WHERE id = $2", [result, this.id]);
  }

  result(): string | null {
    const [row] = this.store.rows<{ result: string | null }>('SELECT result FROM runs WHERE id = $1', [
      this.id,
    ]);
    return row?.result ?? null;
  }
}
