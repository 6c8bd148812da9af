// The CLI as one CommonJS bundle (dist/cli/), built by `npm run build` after tsc: `runbook` loads a
// few files instead of ~245 ES modules and starts from a code cache (src/cli/compile-cache.ts).
// Commands keep loading only what they use: each dynamic import() is a chunk of its own.
import { defineConfig } from 'rolldown';

// CommonJS packages with native parts, worker threads or files of their own, required where they are
// installed. The ESM-only ones (@statelyai/inspect, @viz-js/viz) must be bundled: Node 20 cannot
// require() an ES module.
const external = ['better-sqlite3', 'pg', 'fastify', 'ws', 'prom-client', 'synckit'];

export default defineConfig({
  // compile-cache is bin/runbook.cjs's to require before the bundle: it installs the cache the bundle loads through.
  input: { bin: 'dist/src/cli/bin.js', 'compile-cache': 'dist/src/cli/compile-cache.js' },
  platform: 'node',
  external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)),
  output: {
    dir: 'dist/cli',
    format: 'cjs',
    entryFileNames: '[name].cjs',
    chunkFileNames: '[name]-[hash].cjs',
    cleanDir: true,
  },
});
