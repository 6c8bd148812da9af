#!/usr/bin/env node
// `npm ci` builds the CLI (the package's `prepare` script): tsc compiles it to dist/, rolldown bundles
// it into dist/cli/ (rolldown.config.mjs). The bundle starts from a code cache; the compiled modules
// are the same code, used when there is no bundle (a build that ran tsc alone).
// CommonJS, not an ES module: a CommonJS entry starts Node's module system only, ~12 ms sooner than an
// ES module entry, which sets up the ES module loader too (the bundle is CommonJS).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const bundle = join(__dirname, '..', 'dist', 'cli');
const argv = process.argv.slice(2);
if (existsSync(join(bundle, 'bin.cjs'))) {
  // Each command starts from a cache of its own code (see src/cli/compile-cache.ts).
  require(join(bundle, 'compile-cache.cjs')).useCompileCache(bundle, argv[0] ?? 'help');
  // Plays modules are imported by this module's import(): code run from the cache has none.
  require(join(bundle, 'bin.cjs')).runCli(argv, (url) => import(url));
} else {
  import('../dist/src/cli/bin.js').then(({ runCli }) => runCli(argv));
}
