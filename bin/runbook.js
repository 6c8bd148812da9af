#!/usr/bin/env node
// `npm ci` builds the CLI (the package's `prepare` script): tsc compiles it to dist/, rolldown bundles
// it into dist/cli/ (rolldown.config.mjs). The bundle starts from a code cache; the compiled modules
// are the same code, used when there is no bundle (a build that ran tsc alone).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/cli/', import.meta.url));
const argv = process.argv.slice(2);
if (existsSync(`${bundle}bin.cjs`)) {
  const { useCompileCache } = await import('../dist/src/cli/compile-cache.js');
  // Each command starts from a cache of its own code (see src/cli/compile-cache.ts).
  useCompileCache(bundle, argv[0] ?? 'help');
  // Plays modules are imported by this module's import(): code run from the cache has none.
  await createRequire(import.meta.url)(`${bundle}bin.cjs`).runCli(argv, (url) => import(url));
} else {
  await (await import('../dist/src/cli/bin.js')).runCli(argv);
}
