import { resolve } from 'node:path';
import type { Limits } from '../support/cli-process.js';

/**
 * One bad input and what the CLI must say about it: exit 2, one line on stderr that names the
 * file (when there is one) and the field or flag, nothing on stdout, no stack trace, nothing left
 * behind in the folder it ran in, within the watchdog's time and memory.
 */
export interface BadInput {
  what: string;
  /** Files written into the case's own folder (its working directory) before the run. */
  files?: () => Record<string, string | Buffer>;
  args: (ctx: CaseContext) => string[];
  /** The file the line names, as the case passed it (relative to its folder) or a part of its path. */
  file?: string;
  /** The field or flag, and what the line says about it. */
  says: RegExp;
  stdin?: string;
  limits?: Partial<Limits>;
}

export interface CaseContext {
  /** The case's folder, which is also its working directory. */
  dir: string;
  /** A port something else is listening on. */
  busyPort: number;
}

export const STOCK = resolve('scenarios/stock-shift.yaml');

/** A scenario that extends the stock shift with `body`, run with `command` (gate by default). */
export function scenario(
  what: string,
  body: string | (() => string),
  says: RegExp,
  command = 'gate',
): BadInput {
  return {
    what: `scenario: ${what}`,
    files: () => ({ 's.yaml': `extends: ${STOCK}\n${typeof body === 'string' ? body : body()}` }),
    args: () => [command, '--scenario', 's.yaml'],
    file: 's.yaml',
    says,
  };
}

/** A whole scenario file, nothing extended. */
export function wholeFile(what: string, text: () => string | Buffer, says: RegExp): BadInput {
  return {
    what: `scenario file: ${what}`,
    files: () => ({ 's.yaml': text() }),
    args: () => ['gate', '--scenario', 's.yaml'],
    file: 's.yaml',
    says,
  };
}

/** Flags alone (no file of the case's own); `file` when the line names a path the flags gave. */
export function flags(
  what: string,
  args: (ctx: CaseContext) => string[],
  says: RegExp,
  file?: string,
): BadInput {
  return { what: `flags: ${what}`, args, says, file };
}

/** An alerts file for `correlate`. */
export function alerts(what: string, json: () => string | Buffer, says: RegExp): BadInput {
  return {
    what: `alerts: ${what}`,
    files: () => ({ 'a.json': json() }),
    args: () => ['correlate', '--alerts', 'a.json'],
    file: 'a.json',
    says,
  };
}

/** A traffic series for `burn`. */
export function series(what: string, json: () => string, says: RegExp): BadInput {
  return {
    what: `series: ${what}`,
    files: () => ({ 's.json': json() }),
    args: () => ['burn', '--series', 's.json'],
    file: 's.json',
    says,
  };
}

/** A plays module for `gate --plays`. */
export function plays(what: string, source: string, says: RegExp, limits?: Partial<Limits>): BadInput {
  return {
    what: `plays: ${what}`,
    files: () => ({ 'p.mjs': source }),
    args: () => ['gate', '--plays', 'p.mjs'],
    file: 'p.mjs',
    says,
    limits,
  };
}

/** One valid alert, with `patch` applied. */
export function alert(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    labels: { alertname: 'HighErrorRate', service: 'agent' },
    annotations: { summary: 'errors' },
    startsAt: '2026-01-01T00:00:00Z',
    endsAt: '2026-01-01T01:00:00Z',
    ...patch,
  };
}

/**
 * A case that parses a lot before it can refuse (a list one past its bound, a mapping of 80,000
 * keys): a second of work on an idle machine, so its watchdog allows for a loaded one.
 */
export const heavy = (c: BadInput): BadInput => ({ ...c, limits: { ...c.limits, seconds: 60 } });

/** `count` copies of a flow-mapping line, for list fields past their bound. */
export const many = (count: number, line: (i: number) => string) =>
  Array.from({ length: count }, (_, i) => line(i)).join('\n');
