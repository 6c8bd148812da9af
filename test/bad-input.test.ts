import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BadInput, CaseContext } from './bad-input/case.js';
import { fileCases } from './bad-input/file-cases.js';
import { flagCases } from './bad-input/flag-cases.js';
import { scenarioCases } from './bad-input/scenario-cases.js';
import { sloSpecCases } from './bad-input/slo-spec-cases.js';
import { assertBuilt, errorLines, runCli } from './support/cli-process.js';

/**
 * The bad-input corpus, run against the built CLI in child processes: every case must exit 2 with
 * exactly one line on stderr naming the file and the field (or flag), print nothing on stdout and
 * no stack trace, leave nothing behind in the folder it ran in, and finish within the watchdog's
 * time and memory. Cases run concurrently, each in a folder of its own.
 */

const root = mkdtempSync(join(tmpdir(), 'runbook-bad-input-'));
let busy: Server;
let busyPort = 0;

beforeAll(async () => {
  assertBuilt();
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
});

afterAll(() => {
  busy.close();
  rmSync(root, { recursive: true, force: true });
});

/** Every path under `dir`, relative to it, sorted. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

function prepare(c: BadInput, folder: string): CaseContext {
  const dir = join(root, folder);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(c.files?.() ?? {})) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return { dir, busyPort };
}

const STACK = /^\s+at .*(:\d+:\d+|\(native\))|node:internal|^\S*Error: /m;

const corpus: [string, BadInput[]][] = [
  ['scenario fields', scenarioCases],
  ['files', fileCases],
  ['flags', flagCases],
  ['SLO specs', sloSpecCases],
];

for (const [area, cases] of corpus) {
  describe.concurrent(`bad input (${area}): exit 2, one line naming the file and the field, no stack, nothing left behind`, () => {
    it.for(cases.map((c, i) => ({ ...c, folder: `${area.replace(/\W+/g, '-')}-${i}` })))(
      '$what',
      // The watchdog inside bounds each run; this only has to outlast the longest watchdog.
      { timeout: 100_000 },
      async (c, { expect }) => {
        const ctx = prepare(c, c.folder);
        const before = listing(ctx.dir);
        const run = await runCli(c.args(ctx), { cwd: ctx.dir, limits: c.limits, stdin: c.stdin });
        const shown = `stderr: ${run.stderr.slice(0, 2000)}\nstdout: ${run.stdout.slice(0, 500)}`;
        expect(run.killed, shown).toBeNull();
        expect(run.code, shown).toBe(2);
        const lines = errorLines(run);
        expect(lines, shown).toHaveLength(1);
        const [line = ''] = lines;
        expect(line).toMatch(/^runbook: /);
        if (c.file) expect(line).toContain(c.file);
        expect(line).toMatch(c.says);
        expect(run.stderr).not.toMatch(STACK);
        expect(run.stdout).toBe('');
        expect(listing(ctx.dir), 'files left behind').toEqual(before);
      },
    );
  });
}

describe('the corpus', () => {
  it('holds at least 150 cases, each named once', () => {
    const all = corpus.flatMap(([, cases]) => cases);
    const names = all.map((c) => c.what);
    expect(all.length).toBeGreaterThanOrEqual(150);
    expect(new Set(names).size).toBe(names.length);
  });
});
