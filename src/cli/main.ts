import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { InputError } from '../toolkit/errors.js';
import { packageRoot } from '../toolkit/package-files.js';
import { registerBurn } from './burn.js';
import type { CommandContext, CommandModule } from './command.js';
import { registerCorrelate, registerStorm } from './correlate.js';
import { registerExport } from './export.js';
import { registerGate } from './gate-command.js';
import { registerInit } from './init.js';
import { registerInspect } from './inspect.js';
import { type Io, processIo } from './io.js';
import { registerPaths } from './paths-command.js';
import { registerRelease } from './release.js';
import { registerReplay } from './replay.js';
import { registerReport } from './report.js';
import { registerRules } from './rules.js';
import { registerRunbooks } from './runbooks.js';
import { registerRuns } from './runs.js';
import { registerServe } from './serve.js';
import { registerShift } from './shift.js';
import { registerValidate } from './validate.js';
import { registerWhy } from './why.js';

/** Every command of the CLI, in the order `--help` lists them. */
const commands: CommandModule[] = [
  registerShift,
  registerGate,
  registerValidate,
  registerInit,
  registerRuns,
  registerReplay,
  registerWhy,
  registerRelease,
  registerServe,
  registerBurn,
  registerRules,
  registerCorrelate,
  registerStorm,
  registerExport,
  registerInspect,
  registerReport,
  registerPaths,
  registerRunbooks,
];

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

export function buildProgram(ctx: CommandContext): Command {
  // Parse errors read like every other bad input: one line, `runbook: ...`, exit 2.
  const output = {
    writeOut: (s: string) => ctx.io.out(s),
    writeErr: (s: string) => ctx.io.err(s),
    outputError: (s: string, write: (s: string) => void) =>
      write(
        `runbook: ${s
          .trim()
          .replace(/^error: /, '')
          .replace(/\s*\n\s*/g, ' ')} (see --help)\n`,
      ),
  };
  const program = new Command('runbook')
    .description(
      'Rehearse an on-call shift on XState statecharts: intake, detect, page, mitigate, learn, ship, verify; then gate it.',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput(output);
  for (const register of commands) register(program, ctx);
  // A stray word is named below rather than counted by commander.
  for (const command of program.commands)
    command.exitOverride().configureOutput(output).allowExcessArguments(true);
  program.hook('preAction', (_program, command) => {
    // A command's declared arguments (resume's RUN) are its own; only words beyond them are stray.
    const extra = command.args[command.registeredArguments.length];
    if (extra !== undefined && !command.registeredArguments.some((a) => a.variadic)) {
      throw new InputError(
        `unexpected argument ${JSON.stringify(extra)} (${command.name()} takes ${command.registeredArguments.length > 0 ? `${command.registeredArguments.map((a) => a.name().toUpperCase()).join(' ')} and options` : 'options only'}; see --help)`,
      );
    }
  });
  return program;
}

/** Runs the CLI and returns its exit code; it never throws for bad input and never prints a stack for it. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const ctx: CommandContext = {
    io,
    exit: (c) => {
      code = c;
    },
  };
  const program = buildProgram(ctx);
  try {
    // Bare `runbook` asks what there is: help, on stdout, and no error.
    await program.parseAsync(argv.length === 0 ? ['--help'] : argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successful exits; every other parse error is bad input.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof InputError) {
      io.err(`${error.format()}\n`);
      return 2;
    }
    throw error;
  }
}
