import { dirname, relative, resolve } from 'node:path';
import { type ReadStrategy, readArgo, readStrategy } from '../toolkit/argo.js';
import { InputError } from '../toolkit/errors.js';
import { readUserFile } from '../toolkit/files.js';

/**
 * A scenario's (or `serve`'s configuration's) `rollout:`: the canary strategy inline (Argo's `steps`, `analysis` and deadline
 * fields, with `templates`), or `file:` naming an Argo Rollouts YAML file (a `Rollout` and its
 * `AnalysisTemplate`s) relative to the scenario, beside the drill's extras (`releases`, `onCall`,
 * `inconclusiveTimeout`).
 */
export function readScenarioRollout(
  raw: unknown,
  file: string,
  releases: readonly string[] | null,
): ReadStrategy {
  const read = readFrom(raw, file);
  read.strategy.releases?.forEach((release, i) => {
    if (releases && !releases.includes(release)) {
      throw new InputError(
        `unknown release ${JSON.stringify(release)} (releases: ${releases.join(', ')})`,
        file,
        `rollout.releases[${i}]`,
      );
    }
  });
  return read;
}

function readFrom(raw: unknown, file: string): ReadStrategy {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !('file' in raw)) {
    return readStrategy(raw, file);
  }
  const { file: argoFile, ...extras } = raw as Record<string, unknown>;
  if (typeof argoFile !== 'string' || argoFile.trim() === '') {
    throw new InputError('must be the path of an Argo Rollouts YAML file', file, 'rollout.file');
  }
  const known = ['releases', 'onCall', 'inconclusiveTimeout'];
  const stray = Object.keys(extras).find((key) => !known.includes(key));
  if (stray) {
    throw new InputError(
      `is not read beside file: (give the strategy in ${argoFile})`,
      file,
      `rollout.${stray}`,
    );
  }
  const path = resolve(dirname(file), argoFile);
  let text: string;
  try {
    text = readUserFile(path);
  } catch (error) {
    throw new InputError(`cannot read ${path}: ${(error as Error).message}`, file, 'rollout.file');
  }
  // Named as from where the command runs, so a result does not depend on where the checkout is.
  return readArgo(text, relative(process.cwd(), path) || path, extras);
}
