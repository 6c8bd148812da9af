import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PlayLogic } from '../../machines/incident.js';
import { InputError } from '../toolkit/errors.js';
import { registerPlaysHooks, whereItFailed } from './plays-loader.js';

/** Actor logic is an object with the functions an actor calls (fromPromise, fromCallback, a machine ...). */
const isActorLogic = (value: unknown): value is PlayLogic =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { transition?: unknown }).transition === 'function' &&
  typeof (value as { getInitialSnapshot?: unknown }).getInitialSnapshot === 'function';

/** Seconds a plays module may take to load: its top level should define plays, not do work. */
export const PLAYS_LOAD_SECONDS = 10;

type Importer = (url: string) => Promise<unknown>;

let importModule: Importer = (url) => import(url);

/**
 * How plays modules are imported from now on. The bundled CLI runs its code from a V8 code cache
 * (src/cli/compile-cache.ts), where Node 20 has no import() without a flag; bin/runbook.cjs, a module
 * of Node's own loading, hands over its import().
 */
export function importPlaysWith(importer: Importer): void {
  importModule = importer;
}

/**
 * Imports the module, or fails with a reason: a top-level await that never settles would otherwise
 * end the process with exit code 13 and nothing said (once nothing else is left to run), or hang
 * (while a timer or socket keeps it waiting).
 */
async function importWithin(url: string): Promise<Record<string, unknown>> {
  let timer: NodeJS.Timeout | undefined;
  let onIdle: (() => void) | undefined;
  const stuck = new Promise<never>((_, reject) => {
    const fail = (why: string) => reject(new Error(`its top-level await ${why}`));
    onIdle = () => fail('never settles');
    process.once('beforeExit', onIdle);
    // Unref'd, so that with nothing else pending the loop goes idle and beforeExit says so at once.
    timer = setTimeout(
      () => fail(`did not settle within ${PLAYS_LOAD_SECONDS} s`),
      PLAYS_LOAD_SECONDS * 1000,
    ).unref();
  });
  try {
    return await Promise.race([importModule(url) as Promise<Record<string, unknown>>, stuck]);
  } finally {
    clearTimeout(timer);
    if (onIdle) process.off('beforeExit', onIdle);
  }
}

/**
 * Loads the plays a user plugs in: an ES module exporting plays by name (named exports, or a
 * default export that is an object of plays). Every export must be a play; at least one must exist.
 */
export async function loadPlays(file: string): Promise<Record<string, PlayLogic>> {
  const path = resolve(file);
  if (!existsSync(path)) throw new InputError('no such file', file);
  let module: Record<string, unknown>;
  try {
    registerPlaysHooks(path);
    module = await importWithin(pathToFileURL(path).href);
  } catch (error) {
    // `runbook: plays.ts:3:19: cannot load the plays module: ...`: where, as editors jump to it.
    const { line, message } = whereItFailed(error, path);
    const at = line ? `${file}:${line}` : file;
    throw new InputError(`cannot load the plays module: ${message}`, at);
  }
  const { default: fallback, ...named } = module;
  const exported = Object.keys(named).length > 0 ? named : (fallback as Record<string, unknown> | undefined);
  if (!exported || typeof exported !== 'object' || Object.keys(exported).length === 0) {
    throw new InputError(
      'exports no plays (export each play by name, e.g. `export const flagOff = definePlay(...)`)',
      file,
    );
  }
  const plays: Record<string, PlayLogic> = {};
  for (const [name, value] of Object.entries(exported)) {
    if (!isActorLogic(value)) {
      throw new InputError(
        'is not a play (wrap the function with definePlay from runbook-machines)',
        file,
        name,
      );
    }
    plays[name] = value;
  }
  return plays;
}
