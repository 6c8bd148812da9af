import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * What loading a plays module from a folder of its own takes: the module hooks of plays-hooks.ts
 * registered once (the package resolves for it, `.ts` loads), and, when it fails, where in the file.
 */

/** The package's folder: the nearest package.json named runbook-machines above this module. */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'runbook-machines'
    )
      return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

let registered = false;

/**
 * Registers the hooks before the first plays module is imported. They are the compiled
 * dist/src/engine/plays-hooks.js whether this runs from the bundle (dist/cli) or from dist/src; where
 * there is no build (src/ under a test runner, which resolves modules itself) there is nothing to do.
 */
export function registerPlaysHooks(module: string): void {
  if (registered) return;
  registered = true;
  const root = packageRoot();
  const hooks = root && join(root, 'dist', 'src', 'engine', 'plays-hooks.js');
  if (!root || !hooks || !existsSync(hooks)) return;
  let rolldownUtils: string | null = null;
  try {
    rolldownUtils = pathToFileURL(createRequire(join(root, 'package.json')).resolve('rolldown/utils')).href;
  } catch {
    // Not installed (a production install): Node's own type stripping, where it has one.
  }
  register(pathToFileURL(hooks).href, {
    data: { entry: pathToFileURL(join(root, 'dist', 'src', 'index.js')).href, rolldownUtils },
  });
  // A stack through a .ts module shows its own lines (the hooks hand Node a source map).
  if (/\.m?ts$/.test(module)) process.setSourceMapsEnabled(true);
}

/** `[stdin]:3` and the caret under the column, as `node --check` prints a syntax error. */
function checkSyntax(path: string): { line: string; message: string } | null {
  const checked = spawnSync(process.execPath, ['--input-type=module', '--check'], {
    input: readFileSync(path, 'utf8'),
    encoding: 'utf8',
  });
  const lines = checked.stderr.split('\n');
  const at = lines.findIndex((l) => /^\[stdin\]:\d+$/.test(l));
  if (at < 0) return null;
  const caret = lines[at + 2]?.indexOf('^') ?? -1;
  const message = lines.find((l) => /^\w*Error: /.test(l));
  return {
    line: `${lines[at]?.slice('[stdin]:'.length)}${caret >= 0 ? `:${caret + 1}` : ''}`,
    message: message ?? 'syntax error',
  };
}

/**
 * Where a plays module failed to load, as `LINE:COLUMN` (or null) and the reason in one line: from the
 * hooks' own `FILE:LINE:COL: ...` for a .ts module, from `node --check` for a syntax error Node's
 * import reports without a place (Node 20 does), else from the first stack frame in the module.
 */
export function whereItFailed(error: unknown, path: string): { line: string | null; message: string } {
  const text = error instanceof Error ? error.message : String(error);
  const first = text.split('\n')[0] ?? '';
  const own = first.startsWith(`${path}:`) ? /^:(\d+:\d+): (.*)$/.exec(first.slice(path.length)) : null;
  if (own)
    return { line: own[1] ?? null, message: `${error instanceof Error ? error.name : 'Error'}: ${own[2]}` };
  if (error instanceof SyntaxError && !/\.m?ts$/.test(path)) {
    const found = checkSyntax(path);
    if (found) return found;
  }
  // A frame names the module by URL, or by path where a source map (a .ts module's) rewrote it.
  const frames = error instanceof Error ? (error.stack?.split('\n') ?? []) : [];
  for (const name of [pathToFileURL(path).href, path]) {
    const frame = frames.find((l) => l.includes(`${name}:`));
    const place = frame?.slice(frame.indexOf(name) + name.length).match(/^:(\d+:\d+)/)?.[1];
    if (place) return { line: place, message: first };
  }
  return { line: null, message: first };
}
