import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * Checkpoints a journal's WAL from a thread of its own (see SqliteStore's `checkpoint: 'background'`).
 * A checkpoint copies the WAL back into the database file and fsyncs it: done inline by the writer,
 * it stalls the commit that crosses the threshold for tens of milliseconds, and the server's answers
 * with it. A PASSIVE checkpoint from a second connection runs beside the writer and blocks nobody;
 * SQLite restarts the WAL from its beginning once a checkpoint has copied all of it, so the file stays
 * as big as a second or so of commits.
 */

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new Database(file, { timeout: 1000, fileMustExist: true });

setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or locked for longer than the timeout: the next beat tries again.
  }
}, intervalMs);
