import type { RunbookSpec } from '../../machines/runbook-spec.js';
import { InputError } from '../toolkit/errors.js';
import { FORMATS, type Format, MACHINE_NAMES, type MachineName } from '../views/catalog.js';
import type { CommandContext, CommandModule } from './command.js';
import { checkWritable, writeFileAtomic } from './io.js';
import { pathFlag } from './options.js';

interface ExportFlags {
  machine?: string;
  runbook?: string;
  scenario?: string;
  format: string;
  out?: string;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InputError(
      `must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`,
      undefined,
      flag,
    );
  }
  return value as T;
}

export const registerExport: CommandModule = (program, ctx: CommandContext) => {
  program
    .command('export')
    .description(
      'Print a statechart from its machine definition: mermaid, Graphviz dot, SVG (laid out offline) or JSON.',
    )
    .option('--machine <name>', `the machine: ${MACHINE_NAMES.join(' | ')}`)
    .option('--runbook <name>', "an incident type's runbook (statechart language), compiled: with --scenario")
    .option('--scenario <file>', 'the scenario whose runbook --runbook names', pathFlag('--scenario'))
    .option('--format <format>', `${FORMATS.join(' | ')}`, 'mermaid')
    .option('--out <file>', 'write to this file (atomically) instead of stdout', pathFlag('--out'))
    .addHelpText(
      'after',
      '\nExamples:\n  runbook export --machine incident --format mermaid\n  runbook export --machine release --format svg --out release.svg\n  runbook export --runbook quality-regression --scenario scenarios/checkout-approval.yaml',
    )
    .action(async (flags: ExportFlags) => {
      const format = oneOf<Format>(flags.format, FORMATS, '--format');
      let text: string;
      if (flags.runbook !== undefined) {
        const [flow] = await (await import('./runbooks.js')).flowsOf(flags.scenario, flags.runbook);
        const { exportChart, chartOf } = await import('../views/export.js');
        const { compileRunbook } = await import('../../machines/runbook.js');
        text = await exportChart(chartOf(compileRunbook(flow as RunbookSpec)), format);
      } else {
        if (flags.machine === undefined)
          throw new InputError('give --machine NAME or --runbook NAME', undefined, '--machine');
        const machine = oneOf<MachineName>(flags.machine, MACHINE_NAMES, '--machine');
        const { exportMachine } = await import('../views/export.js');
        text = await exportMachine(machine, format);
      }
      if (flags.out) {
        checkWritable(flags.out);
        await writeFileAtomic(flags.out, [text]);
        ctx.io.err(`wrote ${flags.out}\n`);
      } else {
        ctx.io.out(text);
      }
    });
};
