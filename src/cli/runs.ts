import { resolve } from 'node:path';
import type { PlayLogic } from '../../machines/incident.js';
import type { RunJournal } from '../engine/journal.js';
import { loadPlays } from '../engine/load-plays.js';
import { SqliteStore } from '../engine/sqlite-store.js';
import { InputError } from '../toolkit/errors.js';
import { gate } from '../views/gate.js';
import { runShift, type ShiftResult } from '../world/drill.js';
import type { Scenario } from '../world/scenario.js';
import type { CommandContext, CommandModule } from './main.js';
import { printDrill } from './shift.js';

/**
 * Runs kept in a journal: `drill --db` keeps one, `runs` lists them, `resume` finishes one that was
 * interrupted (or prints the stored result of one that finished).
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

/** The journal at `file`: created for a new run, required to exist for reading one. */
export function openStore(file: string, mustExist = true): SqliteStore {
  if (file === '') throw new InputError('needs a file name', undefined, '--db');
  return new SqliteStore(file, { ...faultHooks(), mustExist });
}

interface NewRun {
  scenario: Scenario;
  file: string;
  plays: Record<string, PlayLogic>;
  playsModule: string | null;
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
    ctx?.io.err(`runbook: run ${journal.id} journaled in ${db}\n`);
    return await finishRun(journal, run.scenario, run.plays, run.file);
  } finally {
    store.close();
  }
}

async function finishRun(
  journal: RunJournal,
  scenario: Scenario,
  plays: Record<string, PlayLogic>,
  file: string,
): Promise<ShiftResult> {
  const result = await runShift(scenario, { plays, file, journal });
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

const pad = (text: string, width: number) => text.padEnd(width);

export const registerRuns: CommandModule = (program, ctx: CommandContext) => {
  program
    .command('runs')
    .description('List the runs journaled in a database: id, scenario, state, inputs.')
    .requiredOption('--db <file>', 'the SQLite journal (as given to drill --db)')
    .option('--json', 'print JSON on stdout: {"runs": [{"id", "scenario", "state", "inputs", "createdAt"}]}')
    .addHelpText('after', '\nExamples:\n  runbook runs --db shifts.db\n  runbook runs --db shifts.db --json')
    .action((flags: { db: string; json?: boolean }) => {
      const store = openStore(flags.db);
      const runs = store.runs();
      store.close();
      if (flags.json) {
        ctx.io.out(`${JSON.stringify({ runs }, null, 2)}\n`);
        return;
      }
      const lines = runs.map(
        (r) => `${pad(r.id, 8)} ${pad(r.state, 9)} ${String(r.inputs).padStart(7)}  ${r.scenario}`,
      );
      ctx.io.out(`${['id       state      inputs  scenario', ...lines].join('\n')}\n`);
    });

  program
    .command('resume')
    .description(
      'Finish an interrupted run from its journal and print what drill would have printed (a finished run: its stored result).',
    )
    .argument('<run>', 'the run id, as `runbook runs` lists it (e.g. run-1)')
    .requiredOption('--db <file>', 'the SQLite journal the run is in')
    .option('--json', 'print JSON on stdout (and only JSON)')
    .addHelpText(
      'after',
      '\nThe journal is replayed through fresh machines (recorded play outcomes are not run again), then\nthe shift goes on; a play that had started without a recorded outcome runs again under its\nidempotency key.\n\nExamples:\n  runbook resume run-1 --db shifts.db --json',
    )
    .action(async (run: string, flags: { db: string; json?: boolean }) => {
      const { result } = await resumeRun(flags.db, run);
      printDrill(ctx, result, flags.json);
    });
};

/** The stored run a report or the inspector reads, scored as a fresh one would be. */
export async function storedRun(db: string, id: string) {
  const { scenario, result } = await resumeRun(db, id);
  return { scenario, result, report: gate(result, scenario) };
}
