import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
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
import type { TraceEntry } from './trace.js';
import { workerFile } from './worker-file.js';

/**
 * The embedded journal: one SQLite file in WAL mode. `synchronous = NORMAL`: a commit is a write to
 * the WAL, fsynced at WAL checkpoints. That survives any crash of the process (kill -9 included: the
 * committed pages are in the OS already); only a power cut or kernel crash may lose the newest commits.
 * `synchronous = FULL` (the `durability: 'power'` option) closes that gap at one fsync per commit.
 */

/** Each migration moves the schema one version up; `PRAGMA user_version` says where a file is. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     scenario TEXT NOT NULL,
     scenario_text TEXT NOT NULL,
     plays TEXT,
     state TEXT NOT NULL CHECK (state IN ('running', 'finished')),
     created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
     result TEXT
   );
   -- One row a commit: the batch's inputs as a JSON array, seq first_seq .. last_seq.
   CREATE TABLE journal (
     run_id TEXT NOT NULL REFERENCES runs(id),
     first_seq INTEGER NOT NULL,
     last_seq INTEGER NOT NULL,
     inputs TEXT NOT NULL,
     PRIMARY KEY (run_id, first_seq)
   ) WITHOUT ROWID;
   CREATE TABLE trace (
     run_id TEXT NOT NULL REFERENCES runs(id),
     seq INTEGER NOT NULL,
     t REAL NOT NULL,
     actor TEXT NOT NULL,
     from_state TEXT,
     event TEXT NOT NULL,
     to_state TEXT NOT NULL,
     PRIMARY KEY (run_id, seq)
   ) WITHOUT ROWID;
   CREATE TABLE incidents (
     run_id TEXT NOT NULL REFERENCES runs(id),
     id TEXT NOT NULL,
     state TEXT NOT NULL,
     severity TEXT,
     opened_at REAL NOT NULL,
     record TEXT NOT NULL,
     PRIMARY KEY (run_id, id)
   ) WITHOUT ROWID;
   CREATE TABLE outbox (
     run_id TEXT NOT NULL REFERENCES runs(id),
     key TEXT NOT NULL,
     incident TEXT NOT NULL,
     kind TEXT NOT NULL,
     payload TEXT NOT NULL,
     delivered_at TEXT,
     PRIMARY KEY (run_id, key)
   ) WITHOUT ROWID;`,
  // v2: checkpoints, so a restore replays only the journal after the last one.
  `CREATE TABLE checkpoints (
     run_id TEXT NOT NULL REFERENCES runs(id),
     seq INTEGER NOT NULL,
     state TEXT NOT NULL,
     PRIMARY KEY (run_id, seq)
   ) WITHOUT ROWID;`,
  // v3: delivery of the outbox, live: its order, who has it already, how many tries failed.
  `ALTER TABLE outbox ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE outbox ADD COLUMN delivered_to TEXT NOT NULL DEFAULT '[]';
   ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE outbox ADD COLUMN last_error TEXT;
   CREATE INDEX outbox_undelivered ON outbox (run_id, position) WHERE delivered_at IS NULL;`,
  // v4: a journal row may stand for a run of quiet minutes with a marker (src/engine/journal-codec.ts).
  // No table changes: the version is there so that an older runbook refuses the file, not misreads it.
  '-- journal rows: {"again": N} markers',
];
export const SCHEMA_VERSION = MIGRATIONS.length;
const APPLICATION_ID = 0x52424d31; // "RBM1": tells our files from any other SQLite database

export interface SqliteStoreOptions {
  /** 'process' (default): survives a killed process. 'power': also a power cut, one fsync per commit. */
  durability?: 'process' | 'power';
  /** Called after each commit with its last journal seq: the kill test's fault injection. */
  afterCommit?: (seq: number) => void;
  /** Called before each commit with its last journal seq (nothing of the batch is written yet). */
  beforeCommit?: (seq: number) => void;
  /** Open an existing journal only: for reading runs, not for starting one. */
  mustExist?: boolean;
  /**
   * 'inline' (default): the writer checkpoints the WAL every 8192 pages, in the commit that crosses
   * it (fine for a drill). 'background': a thread of its own does, every second, so no commit waits
   * for one (`runbook serve`, where every commit is someone's answer; see sqlite-checkpointer.ts).
   */
  checkpoint?: 'inline' | 'background';
}

/** How often the background checkpointer runs: the WAL holds about this much of the journal's writes. */
const CHECKPOINT_EVERY_MS = 1000;
/** Where the writer checkpoints by itself: a 32 MB WAL (8192 pages of 4 KB). */
const BACKSTOP_PAGES = 8192;

function storeError(file: string, error: unknown): InputError {
  const code = (error as { code?: string }).code ?? '';
  const why: Record<string, string> = {
    SQLITE_NOTADB: 'is not a runbook database (not SQLite, or corrupt)',
    SQLITE_CORRUPT: 'is corrupt',
    SQLITE_BUSY: 'is locked by another process',
    SQLITE_LOCKED: 'is locked by another process',
    SQLITE_FULL: 'cannot grow: the disk is full (nothing of the last batch was kept)',
    SQLITE_READONLY: 'is read-only',
    SQLITE_CANTOPEN: 'cannot be opened (no such file or folder, or no permission)',
    SQLITE_IOERR: 'could not be written (I/O error; nothing of the last batch was kept)',
  };
  const known = Object.entries(why).find(([prefix]) => code.startsWith(prefix));
  return new InputError(
    known ? known[1] : `database error: ${error instanceof Error ? error.message : String(error)}`,
    file,
    '--db',
  );
}

export class SqliteStore implements Store {
  readonly location: string;
  private readonly db: Database.Database;
  private readonly options: SqliteStoreOptions;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.location = file;
    this.options = options;
    try {
      this.db = new Database(file, { timeout: 2000, fileMustExist: options.mustExist ?? false });
    } catch (error) {
      throw storeError(file, error);
    }
    this.inTransaction = this.db.transaction((fn: () => unknown) => fn());
    try {
      this.migrate();
    } catch (error) {
      this.db.close();
      throw error instanceof InputError ? error : storeError(file, error);
    }
    if (options.checkpoint === 'background' && !this.db.memory) {
      // The writer's own checkpoint (every BACKSTOP_PAGES) is left as a backstop, for writes that
      // outrun the thread (a saturated server): most of the WAL is copied back by then.
      this.checkpointer = new Worker(workerFile('sqlite-checkpointer.js'), {
        workerData: { file: this.db.name, intervalMs: CHECKPOINT_EVERY_MS },
      });
      // It never keeps the process alive, and a checkpoint cut short is redone by the next open.
      this.checkpointer.unref();
      // A thread that cannot start or dies leaves the writer's backstop: the WAL stays bounded.
      this.checkpointer.on('error', () => undefined);
    }
  }

  private checkpointer: Worker | null = null;

  private migrate(): void {
    const { db } = this;
    const version = db.pragma('user_version', { simple: true }) as number;
    const appId = db.pragma('application_id', { simple: true }) as number;
    const empty =
      (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number })
        .n === 0;
    if (!empty && appId !== APPLICATION_ID) {
      throw new InputError(
        'is an SQLite database of another program, not a runbook journal',
        this.location,
        '--db',
      );
    }
    if (version > SCHEMA_VERSION) {
      throw new InputError(
        `has schema version ${version}, newer than this runbook's ${SCHEMA_VERSION}: upgrade runbook-machines`,
        this.location,
        '--db',
      );
    }
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${this.options.durability === 'power' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    // A checkpoint copies the WAL back and fsyncs: every 1000 pages (the default) is dozens a shift.
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    if (version === SCHEMA_VERSION) return;
    db.transaction(() => {
      for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] as string);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }

  /** Runs a write; a failure names the file and leaves the database as it was (the transaction rolls back). */
  write<T>(fn: () => T): T {
    try {
      return this.inTransaction(fn) as T;
    } catch (error) {
      throw storeError(this.location, error);
    }
  }

  // One wrapper for every write: better-sqlite3 builds a new one on each `transaction()` call.
  private inTransaction!: (fn: () => unknown) => unknown;

  createRun(meta: RunMeta): StoredRun {
    const id = this.write(() => {
      const row = this.db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number };
      const runId = `run-${row.n + 1}`;
      this.db
        .prepare(
          "INSERT INTO runs (id, scenario, scenario_text, plays, state) VALUES (?, ?, ?, ?, 'running')",
        )
        .run(runId, meta.scenario, meta.scenarioText, meta.plays);
      return runId;
    });
    return new SqliteRun(this, this.db, id, meta, this.options);
  }

  openRun(id: string): StoredRun {
    const row = this.db.prepare('SELECT scenario, scenario_text, plays FROM runs WHERE id = ?').get(id) as
      | { scenario: string; scenario_text: string; plays: string | null }
      | undefined;
    if (!row)
      throw new InputError(
        `no run ${id} in this database (see: runbook runs --db FILE)`,
        this.location,
        'RUN',
      );
    const meta = { scenario: row.scenario, scenarioText: row.scenario_text, plays: row.plays };
    return new SqliteRun(this, this.db, id, meta, this.options);
  }

  runs(): RunInfo[] {
    const rows = this.db
      .prepare(
        `SELECT r.id, r.scenario, r.state, r.created_at AS createdAt,
                coalesce((SELECT max(last_seq) FROM journal j WHERE j.run_id = r.id), 0) AS inputs
           FROM runs r ORDER BY r.rowid`,
      )
      .all() as RunInfo[];
    return rows;
  }

  close(): void {
    void this.checkpointer?.terminate();
    this.checkpointer = null;
    if (this.db.open) this.db.close();
  }
}

class SqliteRun implements StoredRun {
  private readonly insertInputs: Database.Statement;
  private readonly insertTrace: Database.Statement;
  private readonly upsertIncident: Database.Statement;
  private readonly insertOutbox: Database.Statement;

  constructor(
    private readonly store: SqliteStore,
    private readonly db: Database.Database,
    readonly id: string,
    readonly meta: RunMeta,
    private readonly hooks: SqliteStoreOptions,
  ) {
    this.insertInputs = db.prepare(
      'INSERT INTO journal (run_id, first_seq, last_seq, inputs) VALUES (?, ?, ?, ?)',
    );
    this.insertTrace = db.prepare(
      'INSERT INTO trace (run_id, seq, t, actor, from_state, event, to_state) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.upsertIncident = db.prepare(
      `INSERT INTO incidents (run_id, id, state, severity, opened_at, record) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, id) DO UPDATE SET state = excluded.state, severity = excluded.severity,
         record = excluded.record`,
    );
    this.insertOutbox = db.prepare(
      'INSERT OR IGNORE INTO outbox (run_id, key, incident, kind, payload, position) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  entries(after = 0): JournalEntry[] {
    const rows = this.db
      .prepare(
        'SELECT first_seq AS first, last_seq AS last, inputs FROM journal WHERE run_id = ? AND last_seq > ? ORDER BY first_seq',
      )
      .all(this.id, after) as JournalRow[];
    return entriesOf(rows, this.store.location, this.id, after);
  }

  commit(batch: Batch): void {
    const first = batch.inputs[0];
    const last = batch.inputs[batch.inputs.length - 1];
    if (!first || !last) return;
    this.hooks.beforeCommit?.(last.seq);
    this.store.write(() => {
      const inputs = encodeInputs(batch.inputs.map((entry) => entry.input));
      this.insertInputs.run(this.id, first.seq, last.seq, inputs);
      for (const e of batch.trace) {
        this.insertTrace.run(this.id, e.seq, e.t, e.actor, e.from, e.event, e.to);
      }
      for (const i of batch.incidents) {
        this.upsertIncident.run(this.id, i.id, i.state, i.severity, i.openedAt, JSON.stringify(i.record));
      }
      for (const [i, n] of batch.notifications.entries()) {
        // The order they were owed in: a page goes out before its acknowledgement.
        const position = last.seq * OUTBOX_PER_COMMIT + i;
        this.insertOutbox.run(this.id, n.key, n.incident, n.kind, JSON.stringify(n), position);
      }
    });
    this.hooks.afterCommit?.(last.seq);
  }

  checkpoint(seq: number, state: string): void {
    this.store.write(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO checkpoints (run_id, seq, state) VALUES (?, ?, ?)')
        .run(this.id, seq, state);
      // Only the newest is ever read: older ones would only grow the file.
      this.db.prepare('DELETE FROM checkpoints WHERE run_id = ? AND seq < ?').run(this.id, seq);
    });
  }

  latestCheckpoint(): { seq: number; state: string } | null {
    const row = this.db
      .prepare('SELECT seq, state FROM checkpoints WHERE run_id = ? ORDER BY seq DESC LIMIT 1')
      .get(this.id) as { seq: number; state: string } | undefined;
    return row ?? null;
  }

  trace(count: number): TraceEntry[] {
    const rows = this.db
      .prepare(
        'SELECT seq, t, actor, from_state AS "from", event, to_state AS "to" FROM trace WHERE run_id = ? ORDER BY seq LIMIT ?',
      )
      .all(this.id, count) as TraceEntry[];
    return rows;
  }

  undelivered(): PendingNotification[] {
    const rows = this.db
      .prepare(
        `SELECT payload, delivered_to AS deliveredTo, attempts FROM outbox
          WHERE run_id = ? AND delivered_at IS NULL ORDER BY position`,
      )
      .all(this.id) as { payload: string; deliveredTo: string; attempts: number }[];
    return rows.map((row) => ({
      notification: JSON.parse(row.payload) as Notification,
      deliveredTo: JSON.parse(row.deliveredTo) as string[],
      attempts: row.attempts,
    }));
  }

  delivered(key: string, notifier: string | null, owed: number, at: string): void {
    this.store.write(() => {
      if (notifier !== null) {
        this.db
          .prepare(
            `UPDATE outbox SET delivered_to = json_insert(delivered_to, '$[#]', ?)
              WHERE run_id = ? AND key = ? AND NOT EXISTS (SELECT 1 FROM json_each(delivered_to) WHERE value = ?)`,
          )
          .run(notifier, this.id, key, notifier);
      }
      this.db
        .prepare(
          'UPDATE outbox SET delivered_at = ? WHERE run_id = ? AND key = ? AND json_array_length(delivered_to) >= ?',
        )
        .run(at, this.id, key, owed);
    });
  }

  deliveryFailed(key: string, error: string): void {
    this.store.write(() => {
      this.db
        .prepare('UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE run_id = ? AND key = ?')
        .run(error, this.id, key);
    });
  }

  finish(result: string): void {
    this.store.write(() => {
      this.db.prepare("UPDATE runs SET state = 'finished', result = ? WHERE id = ?").run(result, this.id);
    });
  }

  result(): string | null {
    const row = this.db.prepare('SELECT result FROM runs WHERE id = ?').get(this.id) as
      | { result: string | null }
      | undefined;
    return row?.result ?? null;
  }
}
