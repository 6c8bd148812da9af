import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Script } from 'node:vm';

/**
 * A V8 code cache for the bundled CLI (dist/cli/, see rolldown.config.mjs): every `runbook` process
 * compiles the same JavaScript, so the bytecode of the last run is kept beside it and handed back to V8.
 *
 * Why this and not a library: Node 20 has no module compile cache (`module.enableCompileCache` came in
 * Node 22.1), and v8-compile-cache stores what V8 compiles before a module runs. V8 compiles functions
 * lazily, on their first call, so most of a command's code is compiled after that point and was not in
 * its cache (measured on `runbook gate`: no gain). This cache is written when the process exits, with
 * every function the command ran.
 *
 * Each command keeps a cache of its own (`profile`, the command's name): a cache holds the functions
 * the run that wrote it called, and is not written again while V8 accepts it, so a `runbook --help`
 * run first must not leave `runbook gate` a cache of the help text's code.
 *
 * A cache file is named by the SHA-1 of the source it was made from: V8 itself only checks the source's
 * length, and a rebuilt bundle of the same length must not run stale bytecode. A file V8 rejects (another
 * Node, other flags) is rewritten at exit; files are written whole and renamed into place, so a process
 * never reads one half-written. Nothing here can fail a command: a cache that cannot be read or written
 * (a read-only install) only means a slower start. `RUNBOOK_COMPILE_CACHE=0` turns it off.
 *
 * Code compiled here has no import() on Node 20 (it needs --experimental-vm-modules, or prints an
 * experimental warning): the bundle imports plays modules through bin/runbook.cjs's (`importPlaysWith`).
 */

export interface CompileCacheStats {
  /** Modules whose cached bytecode V8 accepted. */
  hits: number;
  /** Modules compiled from source (no cache yet, or one V8 rejected). */
  misses: number;
}

const stats: CompileCacheStats = { hits: 0, misses: 0 };

export const compileCacheStats = (): Readonly<CompileCacheStats> => ({ ...stats });

type Compile = (this: Module, content: string, filename: string) => unknown;

/** What names a profile: a command's name; anything else shares one profile. */
const PROFILE = /^[a-z][a-z-]{0,31}$/;

export function useCompileCache(
  bundleDir: string,
  profile: string,
  cacheRoot = join(bundleDir, '.v8-cache'),
): void {
  if (process.env.RUNBOOK_COMPILE_CACHE === '0') return;
  const cacheDir = join(cacheRoot, PROFILE.test(profile) ? profile : 'other');
  const root = resolve(bundleDir) + sep;
  const proto = Module.prototype as unknown as { _compile: Compile };
  const compile = proto._compile;
  const toWrite: { script: Script; file: string }[] = [];

  proto._compile = function (this: Module, content: string, filename: string) {
    if (!filename.startsWith(root)) return compile.call(this, content, filename);
    const digest = createHash('sha1').update(content).digest('hex').slice(0, 20);
    const file = join(cacheDir, `${basename(filename)}.${digest}.v8`);
    const cachedData = readIfThere(file);
    const script = new Script(Module.wrap(content), { filename, cachedData });
    if (cachedData && !script.cachedDataRejected) stats.hits++;
    else {
      stats.misses++;
      toWrite.push({ script, file });
    }
    const wrapper = script.runInThisContext() as (...args: unknown[]) => unknown;
    const require = createRequire(filename);
    return wrapper.call(this.exports, this.exports, require, this, filename, dirname(filename));
  };

  process.once('exit', () => {
    if (toWrite.length === 0) return;
    try {
      mkdirSync(cacheDir, { recursive: true });
      for (const { script, file } of toWrite) {
        const partial = `${file}.${process.pid}.tmp`;
        writeFileSync(partial, script.createCachedData());
        renameSync(partial, file);
      }
    } catch {
      // A read-only or full disk: the next run compiles from source, as it would without a cache.
    }
  });
}

function readIfThere(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}
