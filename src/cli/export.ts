import { InputError } from '../toolkit/errors.js';
import { FORMATS, type Format, MACHINE_NAMES, type MachineName } from '../views/catalog.js';
import { checkWritable, writeFileAtomic } from './io.js';
import type { CommandContext, CommandModule } from './main.js';
import { pathFlag } from './options.js';

interface ExportFlags {
  machine: string;
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
    .requiredOption('--machine <name>', `the machine: ${MACHINE_NAMES.join(' | ')}`)
    .option('--format <format>', `${FORMATS.join(' | ')}`, 'mermaid')
    .option('--out <file>', 'write to this file (atomically) instead of stdout', pathFlag('--out'))
    .addHelpText(
      'after',
      '\nExamples:\n  runbook export --machine incident --format mermaid\n  runbook export --machine release --format svg --out release.svg',
    )
    .action(async (flags: ExportFlags) => {
      const machine = oneOf<MachineName>(flags.machine, MACHINE_NAMES, '--machine');
      const format = oneOf<Format>(flags.format, FORMATS, '--format');
      const { exportMachine } = await import('../views/export.js');
      const text = await exportMachine(machine, format);
      if (flags.out) {
        checkWritable(flags.out);
        await writeFileAtomic(flags.out, [text]);
        ctx.io.err(`wrote ${flags.out}\n`);
      } else {
        ctx.io.out(text);
      }
    });
};
