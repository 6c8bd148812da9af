import { resolve } from 'node:path';
import { checkWritable, writeFileAtomic } from './io.js';
import type { CommandContext, CommandModule } from './main.js';
import { pathFlag } from './options.js';
import { scoreShift } from './shift.js';

interface ReportFlags {
  scenario?: string;
  plays?: string;
  out: string;
}

export const registerReport: CommandModule = (program, ctx: CommandContext) => {
  program
    .command('report')
    .description(
      'Run a shift and write one self-contained HTML report: statecharts with the path taken, SLI and burn plot, incidents, postmortem, gate.',
    )
    .option('--scenario <file>', 'the shift to run (YAML); default: the stock shift', pathFlag('--scenario'))
    .option('--plays <module>', 'an ES module exporting your own plays by name', pathFlag('--plays'))
    .option(
      '--out <file>',
      'where to write the report (written atomically)',
      pathFlag('--out'),
      'report.html',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  runbook report --out report.html\n  runbook report --scenario scenarios/broken-fix.yaml --out broken.html',
    )
    .action(async (flags: ReportFlags) => {
      checkWritable(flags.out);
      const { scenario, result, report } = await scoreShift(flags);
      const { renderReport } = await import('../views/report.js');
      const html = await renderReport({ scenario, result, gate: report });
      await writeFileAtomic(flags.out, [html]);
      ctx.io.out(`wrote ${resolve(flags.out)} (gate ${report.passed}/${report.total})\n`);
    });
};
