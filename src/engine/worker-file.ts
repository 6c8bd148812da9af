import { existsSync } from 'node:fs';

/**
 * The compiled file of a worker thread the engine starts (the SQLite checkpointer, the Postgres
 * client). A worker thread loads a file, not code already in memory. From dist/src/engine/ the file is
 * beside this module; from the bundled CLI (dist/cli/, see rolldown.config.mjs) it is the same file
 * under dist/src/engine/, which tsc wrote before the bundle was made.
 */
export function workerFile(name: string): URL {
  const beside = new URL(`./${name}`, import.meta.url);
  return existsSync(beside) ? beside : new URL(`../src/engine/${name}`, import.meta.url);
}
