import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../toolkit/errors.js';
import type { CommandContext, CommandModule } from './command.js';
import { INIT_KINDS, type InitKind, starterPlays, starterScenario } from './init-templates.js';
import { pathFlag } from './options.js';

interface InitFlags {
  service: string;
  sli: string;
  dir: string;
  ts?: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Writes the files, each created only where nothing is (O_EXCL): an existing file is never replaced. */
function writeNew(files: readonly { path: string; text: string }[]): void {
  for (const { path } of files)
    if (existsSync(path)) throw new InputError('already exists: runbook init never overwrites a file', path);
  const written: string[] = [];
  try {
    for (const { path, text } of files) {
      writeFileSync(path, text, { flag: 'wx' });
      written.push(path);
    }
  } catch (error) {
    // Nothing half-made: the files written before the failure go too.
    for (const path of written) rmSync(path, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot write (${code ?? (error as Error).message})`, files[written.length]?.path);
  }
}

export const registerInit: CommandModule = (program, ctx: CommandContext) => {
  program
    .command('init')
    .description(
      'Write a commented starter scenario and a plays module for your service that pass their own gate; never overwrites a file.',
    )
    .requiredOption('--service <name>', 'the service the scenario is about (letters, digits, . _ -)')
    .option('--sli <kind>', `the kind of its SLI: ${INIT_KINDS.join(', ')}`, 'availability')
    .option('--dir <folder>', 'where to write SERVICE.yaml and its plays module', pathFlag('--dir'), '.')
    .option('--ts', 'write the plays module as TypeScript (SERVICE-plays.ts) instead of JavaScript')
    .addHelpText(
      'after',
      '\nExamples:\n  runbook init --service checkout --sli availability\n  runbook init --service search --sli latency --dir runbooks --ts\n  runbook gate checkout.yaml',
    )
    .action((flags: InitFlags) => {
      if (!NAME.test(flags.service) || flags.service.length > 100)
        throw new InputError(
          `must be a name of letters, digits, . _ - (got ${JSON.stringify(flags.service)})`,
          undefined,
          '--service',
        );
      if (!(INIT_KINDS as readonly string[]).includes(flags.sli))
        throw new InputError(
          `must be one of ${INIT_KINDS.join(', ')} (got ${JSON.stringify(flags.sli)})`,
          undefined,
          '--sli',
        );
      if (!existsSync(flags.dir) || !statSync(flags.dir).isDirectory())
        throw new InputError('no such directory', flags.dir, '--dir');
      const kind = flags.sli as InitKind;
      const playsFile = `${flags.service}-plays.${flags.ts ? 'ts' : 'mjs'}`;
      const scenario = join(flags.dir, `${flags.service}.yaml`);
      const plays = join(flags.dir, playsFile);
      writeNew([
        { path: scenario, text: starterScenario(flags.service, kind, `./${playsFile}`) },
        { path: plays, text: starterPlays(flags.service, kind, flags.ts === true) },
      ]);
      ctx.io.out(`wrote ${scenario}\nwrote ${plays}\nnext: runbook gate ${scenario}\n`);
    });
};
