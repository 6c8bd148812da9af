import type { Io } from './io.js';

/**
 * One line of progress on stderr for work that takes seconds (a million-alert correlate, a storm
 * written to a file, a big drill), redrawn in place. Only for a person at a terminal: with `--json`
 * the output is for a program, and a pipe or a CI log gets nothing extra.
 */
export interface Progress {
  /** Whether anything is drawn: a caller skips building text nobody sees. */
  readonly active: boolean;
  /** Redraws the line. */
  show(text: string): void;
  /** Clears it: before the command's own output, and before an error is printed. */
  done(): void;
}

const QUIET: Progress = { active: false, show: () => undefined, done: () => undefined };

/** Carriage return, then erase the line: the next text starts from a clean line. */
const REDRAW = '\r\x1b[2K';

/** `quiet`: with `--json` (output for a program), or when the output itself goes to the terminal. */
export function progress(io: Io | undefined, quiet: boolean | undefined): Progress {
  if (quiet === true || io?.errStream?.isTTY !== true) return QUIET;
  let shown = false;
  return {
    active: true,
    show(text) {
      io.err(`${REDRAW}${text}`);
      shown = true;
    },
    done() {
      if (shown) io.err(REDRAW);
      shown = false;
    },
  };
}

/** Runs `work` with a progress line that is cleared however the work ends. */
export async function withProgress<T>(
  io: Io | undefined,
  quiet: boolean | undefined,
  work: (line: Progress) => Promise<T>,
): Promise<T> {
  const line = progress(io, quiet);
  try {
    return await work(line);
  } finally {
    line.done();
  }
}

/** Grouped digits without toLocaleString, whose first call loads ICU's number formats. */
export { thousands } from '../toolkit/schema-errors.js';

export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;

export const percent = (done: number, total: number): string =>
  `${Math.min(100, Math.floor((100 * done) / Math.max(total, 1)))}%`;
