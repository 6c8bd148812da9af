import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PlayLogic } from '../../machines/incident.js';
import { InputError } from '../toolkit/errors.js';

/** Actor logic is an object with a transition function (fromPromise, fromCallback, a machine ...). */
const isActorLogic = (value: unknown): value is PlayLogic =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { transition?: unknown }).transition === 'function';

/**
 * Loads the plays a user plugs in: an ES module exporting plays by name (named exports, or a
 * default export that is an object of plays). Every export must be a play; at least one must exist.
 */
export async function loadPlays(file: string): Promise<Record<string, PlayLogic>> {
  const path = resolve(file);
  if (!existsSync(path)) throw new InputError('no such file', file);
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new InputError(`cannot load the plays module: ${(error as Error).message.split('\n')[0]}`, file);
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
