import type { CommandContext, CommandModule } from './command.js';
import { printDrill } from './shift.js';

/**
 * `runs` lists the runs kept in a journal; `resume` finishes one that was interrupted (or prints the
 * stored result of one that finished). The journal code loads only when one of them runs.
 */

const pad = (text: string, width: number) => text.padEnd(width);

export const registerRuns: CommandModule = (program, ctx: CommandContext) => {
  program
    .command('runs')
    .description('List the runs journaled in a database: id, scenario, state, inputs.')
    .requiredOption('--db <file|url>', 'the journal, SQLite file or postgres:// URL (as given to drill --db)')
    .option('--json', 'print JSON on stdout: {"runs": [{"id", "scenario", "state", "inputs", "createdAt"}]}')
    .addHelpText('after', '\nExamples:\n  runbook runs --db shifts.db\n  runbook runs --db shifts.db --json')
    .action(async (flags: { db: string; json?: boolean }) => {
      const { openStore } = await import('./run-store.js');
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
    .requiredOption('--db <file|url>', 'the journal the run is in (SQLite file or postgres:// URL)')
    .option('--json', 'print JSON on stdout (and only JSON)')
    .addHelpText(
      'after',
      '\nThe journal is replayed through fresh machines (recorded play outcomes are not run again), then\nthe shift goes on; a play that had started without a recorded outcome runs again under its\nidempotency key.\n\nExamples:\n  runbook resume run-1 --db shifts.db --json',
    )
    .action(async (run: string, flags: { db: string; json?: boolean }) => {
      const { resumeRun } = await import('./run-store.js');
      const { result } = await resumeRun(flags.db, run);
      printDrill(ctx, result, flags.json);
    });
};
