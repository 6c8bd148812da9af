import { readFile } from 'node:fs/promises';
import type { InitializeHook, LoadHook, ResolveHook } from 'node:module';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

/**
 * Module hooks for plays modules (registered by load-plays.ts with `module.register`, so on Node 20
 * they run on Node's loader thread). Two things a plays module in a folder of its own needs:
 *
 * - `import { definePlay } from 'runbook-machines'` resolves where the folder has no such package
 *   installed: to the package the CLI itself runs from. A folder that has it installed gets its own.
 * - A `.ts` module loads: its types are stripped by rolldown's transform (oxc), the bundler the
 *   package builds with, or by Node's own `stripTypeScriptTypes` where Node has one (22.13 and
 *   later); a syntax error names the file, line and column.
 */

let entry = '';
/** Where rolldown's transform is, if installed beside the package: resolved by the registering side. */
let rolldownUtils: string | null = null;

export const initialize: InitializeHook<{ entry: string; rolldownUtils: string | null }> = (data) => {
  entry = data.entry;
  rolldownUtils = data.rolldownUtils;
};

const PACKAGE = 'runbook-machines';

export const resolve: ResolveHook = async (specifier, context, next) => {
  if (specifier !== PACKAGE) return next(specifier, context);
  try {
    return await next(specifier, context);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    return { url: entry, format: 'module', shortCircuit: true };
  }
};

const TYPESCRIPT = /\.(ts|mts)$/;

interface TransformResult {
  code: string;
  map?: object | null;
  errors: { message: string; loc?: { line: number; column: number } }[];
}
type Transform = (file: string, source: string, options: object) => Promise<TransformResult>;

async function stripTypes(path: string, source: string): Promise<string> {
  if (rolldownUtils) {
    const { transform } = (await import(rolldownUtils)) as { transform: Transform };
    const result = await transform(path, source, { lang: 'ts', sourcemap: true });
    const first = result.errors[0];
    if (first) {
      const where = first.loc ? `:${first.loc.line}:${first.loc.column + 1}` : '';
      const message = stripVTControlCharacters(first.message)
        .split('\n')[0]
        ?.replace(/^\[\w+\]\s*/, '');
      throw new SyntaxError(`${path}${where}: ${message}`);
    }
    const map = result.map ? Buffer.from(JSON.stringify(result.map)).toString('base64') : null;
    return map ? `${result.code}\n//# sourceMappingURL=data:application/json;base64,${map}\n` : result.code;
  }
  const { stripTypeScriptTypes } = (await import('node:module')) as {
    stripTypeScriptTypes?: (code: string) => string;
  };
  if (stripTypeScriptTypes) return stripTypeScriptTypes(source);
  throw new Error(
    'a .ts plays module needs rolldown installed (npm install --save-dev rolldown) or Node >= 22.13; or write it as .mjs',
  );
}

export const load: LoadHook = async (url, context, next) => {
  if (!url.startsWith('file:') || !TYPESCRIPT.test(new URL(url).pathname)) return next(url, context);
  const path = fileURLToPath(url);
  const source = await stripTypes(path, await readFile(path, 'utf8'));
  return { format: 'module', source, shortCircuit: true };
};
