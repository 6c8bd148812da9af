import type { Command } from 'commander';
import type { Io } from './io.js';

/** What a command registers with: the output it writes to and how it reports its exit code. */
export interface CommandContext {
  io: Io;
  /** 0 ok, 1 a gate check failed, 2 bad input. */
  exit(code: number): void;
}

/** A command module: it registers its command (or commands) on the program. */
export type CommandModule = (program: Command, ctx: CommandContext) => void;
