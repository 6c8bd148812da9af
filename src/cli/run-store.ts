import { resolve } from 'node:path';
import type { PlayLogic } from '../../machines/incident.js';
import type { RunJournal, Store } from '../engine/journal.js';
import { loadPlays } from '../engine/load-plays.js';
import { isPostgresUrl, PgStore } from '../engine/pg-store.js';
import { ReplayJournal } from '../engine/replay-journal.js';
import { SqliteStore } from '../engine/sqlite-store.js';
import { InputError } from '../toolkit/errors.js';
import { gate } from '../views/gate.js';
import { runShift, type ShiftOptions, type ShiftResult } from '../world/drill.js';
import type { Scenario } from '../world/scenario.js';
import type { CommandContext } from './command.js';

/**
 * Runs kept in a journal: starting one, finishing one, reading one back. Loaded only by the commands
 * that use a journal (`drill --db`, `runs`, `resume`, `report --run`, `inspect --run`).
 */

/**
 * Fault injection for the kill tests, and for anyone who wants to see the journal at work:
 * `RUNBOOK_FAULT=after-commit:N` kills the process (SIGKILL) right after the commit that holds input N,
 * before anything it started runs; `before-commit:N` kills it with input N applied but not committed.
 */
function faultHooks(): { afterCommit?: (seq: number) => void; beforeCommit?: (seq: number) => void } {
  const fault = /^(after|before)-commit:(\d+)$/.exec(process.env.RUNBOOK_FAULT ?? '');
  if (!fault) return {};
  const at = Number(fault[2]);
  const kill = (seq: number) => {
    if (seq >= at) process.kill(process.pid, 'SIGKILL');
  };
  return fault[1] === 'after' ? { afterCommit: kill } : { beforeCommit: kill };
}

/**
 * The journal at `file`: an SQLite file (created for a new run, required to exist for reading one), or
 * a `postgres://` URL (the database must exist; its tables are created on first use).
 */
export function openStore(
  file: string,
  mustExist = true,
  checkpoint: 'inline' | 'background' = 'inline',
): Store {
  if (file === '') throw new InputError('needs a file name or a postgres:// URL', undefined, '--db');
  if (isPostgresUrl(file)) return new PgStore(file, faultHooks());
  return new SqliteStore(file, { ...faultHooks(), mustExist, checkpoint });
}

interface NewRun {
  scenario: Scenario;
  file: string;
  plays: Record<string, PlayLogic>;
  playsModule: string | null;
  onMinute?: ShiftOptions['onMinute'];
}

/** Runs a shift with its journal in `db`: the run's id goes to stderr, the result is kept with it. */
export async function journaledShift(db: string, run: NewRun, ctx?: CommandContext): Promise<ShiftResult> {
  const store = openStore(db, false);
  try {
    const journal = store.createRun({
      scenario: run.file,
      // The scenario as validated, `extends` resolved: a resume runs exactly this shift.
      scenarioText: JSON.stringify(run.scenario),
      plays: run.playsModule === null ? null : resolve(run.playsModule),
    });
    ctx?.io.err(`runbook: run ${journal.id} journaled in ${store.location}\n`);
    return await finishRun(journal, run.scenario, run.plays, run.file, run.onMinute);
  } finally {
    store.close();
  }
}

/** `RUNBOOK_CHECKPOINT_MINUTES`: sim minutes between checkpoints (default 1440, a sim day; 1 checkpoints every minute). */
function checkpointMinutes(): number | undefined {
  const minutes = Number(process.env.RUNBOOK_CHECKPOINT_MINUTES);
  return Number.isInteger(minutes) && minutes >= 1 ? minutes : undefined;
}

async function finishRun(
  journal: RunJournal,
  scenario: Scenario,
  plays: Record<string, PlayLogic>,
  file: string,
  onMinute?: ShiftOptions['onMinute'],
): Promise<ShiftResult> {
  const result = await runShift(scenario, {
    plays,
    file,
    journal,
    checkpointMinutes: checkpointMinutes(),
    onMinute,
  });
  journal.finish(JSON.stringify(result));
  return result;
}

/** Finishes an interrupted run (replaying its journal first), or gives a finished run's stored result. */
export async function resumeRun(
  db: string,
  id: string,
): Promise<{ scenario: Scenario; result: ShiftResult }> {
  const store = openStore(db);
  try {
    const journal = store.openRun(id);
    // A live run keeps its configuration there, marked `live`, instead of a scenario.
    const scenario = JSON.parse(journal.meta.scenarioText) as Scenario & { live?: true };
    if (scenario.live) {
      throw new InputError(
        `${id} is a run of runbook serve, not a drill: start \`runbook serve --db ${db}\` to resume it`,
        db,
        'RUN',
      );
    }
    const stored = journal.result();
    if (stored !== null) return { scenario, result: JSON.parse(stored) as ShiftResult };
    const plays = journal.meta.plays ? await loadPlays(journal.meta.plays) : {};
    return { scenario, result: await finishRun(journal, scenario, plays, journal.meta.scenario) };
  } finally {
    store.close();
  }
}

/** A stored run's journal, read whole into memory for a replay (the database is closed again). */
export function storedJournal(db: string, id: string): ReplayJournal {
  const store = openStore(db);
  try {
    return new ReplayJournal(store.openRun(id));
  } finally {
    store.close();
  }
}

/**
 * The stored run a report reads: a drill's scored as a fresh one would be; a live one (`runbook
 * serve`) replayed read-only from its journal, with no gate (a gate judges a rehearsal).
 */
export async function storedRun(db: string, id: string) {
  const { isLiveRun, liveRunResult } = await import('../live/stored-run.js');
  const store = openStore(db);
  let live: ReplayJournal | null;
  try {
    const run = store.openRun(id);
    live = isLiveRun(run) ? new ReplayJournal(run) : null;
  } finally {
    store.close();
  }
  if (live) return { ...liveRunResult(live), report: null };
  const { scenario, result } = await resumeRun(db, id);
  return { scenario, result, report: gate(result, scenario) };
}
