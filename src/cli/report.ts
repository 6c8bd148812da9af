import { resolve } from 'node:path';
import { InputError } from '../toolkit/errors.js';
import type { CommandContext, CommandModule } from './command.js';
import { checkWritable, writeFileAtomic } from './io.js';
import { pathFlag } from './options.js';
import { scoreShift } from './shift.js';

interface ReportFlags {
  scenario?: string;
  plays?: string;
  out: string;
  run?: string;
  db?: string;
  replay?: string;
}

export const registerReport: CommandModule = (program, ctx: CommandContext) => {
  program
    .command('report')
    .description(
      'Run a shift and write one self-contained HTML report: the gate, the error budget, every canary verdict, and per incident its SLI and burn plots, plays, statechart and postmortem.',
    )
    .option('--scenario <file>', 'the shift to run (YAML); default: the stock shift', pathFlag('--scenario'))
    .option('--plays <module>', 'an ES module exporting your own plays by name', pathFlag('--plays'))
    .option(
      '--out <file>',
      'where to write the report (written atomically)',
      pathFlag('--out'),
      'report.html',
    )
    .option(
      '--run <id>',
      'report a run kept with drill --db or serve --db instead of running a shift (needs --db)',
    )
    .option('--db <file|url>', 'the journal the run is in (SQLite file or postgres:// URL)', pathFlag('--db'))
    .option(
      '--replay <overlay.yaml>',
      'with --run: report the run replayed under these settings, the recorded run drawn on the same plots',
      pathFlag('--replay'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  runbook report --out report.html\n  runbook report --scenario scenarios/broken-fix.yaml --out broken.html\n  runbook report --run run-1 --db shifts.db --out run-1.html',
    )
    .action(async (flags: ReportFlags) => {
      if ((flags.run === undefined) !== (flags.db === undefined)) {
        throw new InputError(
          '--run and --db go together: the run, and the journal it is in',
          undefined,
          '--run',
        );
      }
      checkWritable(flags.out);
      if (flags.replay !== undefined) {
        if (flags.run === undefined || flags.db === undefined)
          throw new InputError('needs --run and --db: the recorded run to replay', undefined, '--replay');
        await replayReport(ctx, flags.run, flags.db, flags.replay, flags.out);
        return;
      }
      const { scenario, result, report } =
        flags.run !== undefined && flags.db !== undefined
          ? await (await import('./run-store.js')).storedRun(flags.db, flags.run)
          : await scoreShift(flags, ctx);
      const { renderReport } = await import('../views/report.js');
      const html = await renderReport({ scenario, result, gate: report });
      await writeFileAtomic(flags.out, [html]);
      const summary = report
        ? `gate ${report.passed}/${report.total}`
        : `live run ${flags.run}: ${result.incidents.length} incidents, no gate`;
      ctx.io.out(`wrote ${resolve(flags.out)} (${summary})\n`);
    });
};

/** `report --run RUN --db FILE --replay OVERLAY`: the replay's report, the record drawn beside it. */
async function replayReport(ctx: CommandContext, run: string, db: string, file: string, out: string) {
  const { prepareReplay, readOverlay } = await import('./replay-run.js');
  const { diffText } = await import('../views/replay-diff.js');
  const { renderReport } = await import('../views/report.js');
  const overlay = readOverlay(file);
  const outcome = await (await prepareReplay(db, run)).under(overlay.mapping, overlay.file);
  const { after, before } = outcome;
  const html = await renderReport({
    scenario: after.scenario,
    result: after.result,
    gate: after.gate,
    recorded: { scenario: before.scenario, result: before.result, diff: diffText(outcome.diff) },
  });
  await writeFileAtomic(out, [html]);
  const gate = after.gate ? `gate ${after.gate.passed}/${after.gate.total}` : 'no gate';
  ctx.io.out(`wrote ${resolve(out)} (run ${run} replayed with ${file}: ${gate})\n`);
}
