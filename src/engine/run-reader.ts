import Database from 'better-sqlite3';
import { InputError } from '../toolkit/errors.js';
import type { JournalEntry, RunMeta } from './journal.js';
import { entriesOf, type JournalRow } from './journal-codec.js';
import { isPostgresUrl, PgStore } from './pg-store.js';
import { SCHEMA_VERSION } from './sqlite-store.js';

/**
 * A recorded run read for a replay, and nothing written: its meta (the scenario or the live
 * configuration it ran with), every journal entry, and its stored result when it finished. An SQLite
 * journal is opened read-only (no migration, no pragma that writes, no WAL checkpoint on close), so a
 * replay leaves the file byte for byte as it was, even while `serve` is still writing to it.
 */

export interface RecordedRun {
  id: string;
  /** The file or URL it was read from, for messages. */
  location: string;
  meta: RunMeta;
  entries: JournalEntry[];
  /** A finished drill's result, as `drill --json` printed it; null while running, and for serve's runs. */
  result: string | null;
}

const APPLICATION_ID = 0x52424d31;

export function readRun(db: string, id: string): RecordedRun {
  if (db === '') throw new InputError('needs a file name or a postgres:// URL', undefined, '--db');
  return isPostgresUrl(db) ? readPostgres(db, id) : readSqlite(db, id);
}

function readSqlite(file: string, id: string): RecordedRun {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch {
    throw new InputError('cannot be opened (no such file, or no permission)', file, '--db');
  }
  try {
    const appId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (appId !== APPLICATION_ID) throw new InputError('is not a runbook journal', file, '--db');
    if (version > SCHEMA_VERSION)
      throw new InputError(
        `has schema version ${version}, newer than this runbook's ${SCHEMA_VERSION}`,
        file,
        '--db',
      );
    const row = db
      .prepare('SELECT scenario, scenario_text AS scenarioText, plays, result FROM runs WHERE id = ?')
      .get(id) as (RunMeta & { result: string | null }) | undefined;
    if (!row) throw noRun(id, file);
    const rows = db
      .prepare(
        'SELECT first_seq AS first, last_seq AS last, inputs FROM journal WHERE run_id = ? ORDER BY first_seq',
      )
      .all(id) as JournalRow[];
    const { result, ...meta } = row;
    return { id, location: file, meta, entries: entriesOf(rows, file, id, 0), result };
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot be read: ${(error as Error).message}`, file, '--db');
  } finally {
    db.close();
  }
}

/** Postgres: selects only (the store's schema check creates nothing in a database that has it). */
function readPostgres(url: string, id: string): RecordedRun {
  const store = new PgStore(url);
  try {
    const run = store.openRun(id);
    const [row] = store.rows<{ result: string | null }>('SELECT result FROM runs WHERE id = $1', [id]);
    return {
      id,
      location: store.location,
      meta: run.meta,
      entries: run.entries(),
      result: row?.result ?? null,
    };
  } finally {
    store.close();
  }
}

const noRun = (id: string, location: string) =>
  new InputError(`no run ${id} in this database (see: runbook runs --db FILE)`, location, 'RUN');
