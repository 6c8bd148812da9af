import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt } from './support/cli-process.js';

// The code cache the bundled CLI starts from (src/cli/compile-cache.ts), in child processes: it is
// written when a process exits and read by the next one.

const compiled = resolve('dist/src/cli/compile-cache.js');

let dir: string;
let bundle: string;
let cache: string;

beforeEach(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'compile-cache-'));
  bundle = join(dir, 'bundle');
  cache = join(bundle, '.v8-cache');
  mkdirSync(bundle);
  writeFileSync(join(dir, 'outside.cjs'), 'module.exports = () => "outside";\n');
  writeModules('answer', 42);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Two bundle modules, the first requiring the second, whose function is compiled lazily on its call. */
function writeModules(word: string, value: number): void {
  writeFileSync(
    join(bundle, 'main.cjs'),
    `const { pick } = require('./lib.cjs');\nexports.run = () => pick();\n`,
  );
  writeFileSync(
    join(bundle, 'lib.cjs'),
    `exports.pick = function pick() { return { ${word}: ${value}, file: __filename.endsWith('lib.cjs') }; };\n`,
  );
}

interface Run {
  code: number | null;
  out: { value: unknown; outside: string; stats: { hits: number; misses: number } } | null;
  stderr: string;
}

function run(env: Record<string, string> = {}, cacheRoot?: string, profile = 'gate'): Run {
  const driver = `
    const { useCompileCache, compileCacheStats } = await import(${JSON.stringify(compiled)});
    const { createRequire } = await import('node:module');
    useCompileCache(${JSON.stringify(bundle)}, ${JSON.stringify(profile)}${cacheRoot ? `, ${JSON.stringify(cacheRoot)}` : ''});
    const require = createRequire(${JSON.stringify(join(dir, 'driver.mjs'))});
    const value = require('./bundle/main.cjs').run();
    const outside = require('./outside.cjs')();
    console.log(JSON.stringify({ value, outside, stats: compileCacheStats() }));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', driver], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { code: child.status, out: child.stdout ? JSON.parse(child.stdout) : null, stderr: child.stderr };
}

const cacheFiles = (profile = 'gate') => readdirSync(join(cache, profile)).sort();

describe('compile cache', () => {
  it('compiles from source once, then every module of the bundle starts from its cache', () => {
    const first = run();
    expect(first.code, first.stderr).toBe(0);
    expect(first.out?.value).toEqual({ answer: 42, file: true });
    expect(first.out?.stats).toEqual({ hits: 0, misses: 2 });
    expect(cacheFiles()).toEqual([
      expect.stringMatching(/^lib\.cjs\.[0-9a-f]{20}\.v8$/),
      expect.stringMatching(/^main\.cjs\.[0-9a-f]{20}\.v8$/),
    ]);
    const second = run();
    expect(second.out).toEqual({ ...first.out, stats: { hits: 2, misses: 0 } });
  });

  it('leaves modules outside the bundle to Node', () => {
    const first = run();
    expect(first.out?.outside).toBe('outside');
    expect(first.out?.stats.misses).toBe(2);
    expect(cacheFiles().some((name) => name.startsWith('outside'))).toBe(false);
  });

  it('never runs bytecode made from another source, even of the same length', () => {
    run();
    writeModules('ANSWER', 24); // same length as before: V8's own check would accept the old cache
    const rebuilt = run();
    expect(rebuilt.out?.value).toEqual({ ANSWER: 24, file: true });
    expect(rebuilt.out?.stats).toEqual({ hits: 1, misses: 1 });
    expect(cacheFiles()).toHaveLength(3);
  });

  it('recompiles and rewrites a cache file V8 rejects', () => {
    run();
    for (const name of cacheFiles()) writeFileSync(join(cache, 'gate', name), Buffer.alloc(4096, 7));
    const damaged = run();
    expect(damaged.code, damaged.stderr).toBe(0);
    expect(damaged.out?.value).toEqual({ answer: 42, file: true });
    expect(damaged.out?.stats).toEqual({ hits: 0, misses: 2 });
    expect(run().out?.stats).toEqual({ hits: 2, misses: 0 });
    for (const name of cacheFiles())
      expect(readFileSync(join(cache, 'gate', name)).equals(Buffer.alloc(4096, 7))).toBe(false);
  });

  it("keeps a cache per command, so the first command run does not decide every other one's", () => {
    expect(run({}, undefined, 'gate').out?.stats).toEqual({ hits: 0, misses: 2 });
    expect(run({}, undefined, 'drill').out?.stats).toEqual({ hits: 0, misses: 2 });
    expect(run({}, undefined, 'gate').out?.stats).toEqual({ hits: 2, misses: 0 });
    expect(run({}, undefined, '../../etc').out?.stats).toEqual({ hits: 0, misses: 2 });
    expect(readdirSync(cache).sort()).toEqual(['drill', 'gate', 'other']);
    expect(cacheFiles('drill')).toEqual(cacheFiles('gate'));
  });

  it('runs without a cache where none can be written', () => {
    const blocked = join(dir, 'a-file');
    writeFileSync(blocked, '');
    const unwritable = run({}, join(blocked, 'cache'));
    expect(unwritable.code, unwritable.stderr).toBe(0);
    expect(unwritable.stderr).toBe('');
    expect(unwritable.out?.value).toEqual({ answer: 42, file: true });
    expect(run({}, join(blocked, 'cache')).out?.stats).toEqual({ hits: 0, misses: 2 });
  });

  it('is off with RUNBOOK_COMPILE_CACHE=0', () => {
    const off = run({ RUNBOOK_COMPILE_CACHE: '0' });
    expect(off.out?.value).toEqual({ answer: 42, file: true });
    expect(off.out?.stats).toEqual({ hits: 0, misses: 0 });
    expect(() => readdirSync(cache)).toThrow(/ENOENT/);
  });
});
