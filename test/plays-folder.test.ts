import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Child processes of the built CLI: plays modules load through Node's loader and the package's
// module hooks, as they do for a user (a test runner resolves modules its own way).
const BIN = resolve('bin/runbook.cjs');
const KILL_SWITCH = resolve('scenarios/kill-switch.yaml');

/** A folder outside the package with the given files, and `runbook ARGS` run in it. */
function inFolder(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-plays-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
}

const FLAG_OFF_JS = `import { definePlay } from 'runbook-machines';
export const flagOff = definePlay(({ step, ops }) => {
  ops.setFlag(step.with.flag, false);
  return { ok: true, detail: 'flag off' };
});
`;

describe('plays from a folder of your own', () => {
  it("imports definePlay from 'runbook-machines' where the folder has no such package", () => {
    const run = inFolder({ 'plays.mjs': FLAG_OFF_JS });
    const gate = run('gate', '--scenario', KILL_SWITCH, '--plays', 'plays.mjs');
    expect(gate.stderr).toBe('');
    expect(gate.stdout).toMatch(/^gate: 7\/7\n/);
    expect(gate.status).toBe(0);
  });

  it('loads a .ts module and the .ts modules it imports, types stripped', () => {
    const run = inFolder({
      'plays.ts': `import { definePlay, type PlayInput, type PlayOutput } from 'runbook-machines';
import { flagName } from './lib/flags.ts';
export const flagOff = definePlay(({ step, ops }: PlayInput): PlayOutput => {
  ops.setFlag(flagName(step.with), false);
  return { ok: true, detail: 'flag off' };
});
`,
      'lib/flags.ts': `export const flagName = (settings: Record<string, unknown>): string => String(settings.flag);\n`,
    });
    const gate = run('gate', '--scenario', KILL_SWITCH, '--plays', 'plays.ts');
    expect(gate.stderr).toBe('');
    expect(gate.status).toBe(0);
  });

  it("uses the folder's own runbook-machines when it has one installed", () => {
    const run = inFolder({
      'node_modules/runbook-machines/package.json': JSON.stringify({
        name: 'runbook-machines',
        type: 'module',
        exports: './index.js',
      }),
      // A stand-in package: its definePlay is not a play, so the CLI's refusal shows whose was imported.
      'node_modules/runbook-machines/index.js': 'export const definePlay = () => ({ mine: true });\n',
      'plays.mjs': FLAG_OFF_JS,
    });
    const gate = run('gate', '--scenario', KILL_SWITCH, '--plays', 'plays.mjs');
    expect(gate.stderr).toBe(
      'runbook: plays.mjs: flagOff: is not a play (wrap the function with definePlay from runbook-machines)\n',
    );
    expect(gate.status).toBe(2);
  });

  it.each([
    [
      'a JavaScript syntax error',
      'plays.mjs',
      "import { definePlay } from 'runbook-machines';\nexport const a = {\n  x: 1,,\n};\n",
      "runbook: plays.mjs:3:8: cannot load the plays module: SyntaxError: Unexpected token ','\n",
    ],
    [
      'a TypeScript syntax error',
      'plays.ts',
      "import { definePlay } from 'runbook-machines';\nconst limit: number = ;\n",
      /^runbook: plays\.ts:2:23: cannot load the plays module: SyntaxError: Unexpected token\n$/,
    ],
    [
      'a throw at the top level',
      'plays.mjs',
      "import { definePlay } from 'runbook-machines';\n\nthrow new Error('no credentials');\n",
      'runbook: plays.mjs:3:7: cannot load the plays module: no credentials\n',
    ],
    [
      'a throw at the top level of a .ts module (its own lines, through a source map)',
      'plays.ts',
      "import { definePlay } from 'runbook-machines';\ntype Settings = { flag: string };\n\nconst settings: Settings | null = null;\nif (!settings) throw new Error('no settings');\n",
      'runbook: plays.ts:5:22: cannot load the plays module: no settings\n',
    ],
    [
      'an import that does not resolve',
      'plays.mjs',
      "import { nothing } from './missing.mjs';\nexport const a = nothing;\n",
      /^runbook: plays\.mjs: cannot load the plays module: Cannot find module .*missing\.mjs/,
    ],
  ])('names the file, line and column of %s', (_what, name, text, message) => {
    const run = inFolder({ [name]: text });
    const gate = run('gate', '--scenario', KILL_SWITCH, '--plays', name);
    expect(gate.status).toBe(2);
    if (typeof message === 'string') expect(gate.stderr).toBe(message);
    else expect(gate.stderr).toMatch(message);
  });
});
