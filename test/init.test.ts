import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Child processes of the built CLI: plays modules load through Node's own loader and the package's
// module hooks, as they do for a user (a test runner resolves modules its own way).
const BIN = resolve('bin/runbook.cjs');
const runbook = (args: string[], cwd: string) =>
  spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
const folder = () => mkdtempSync(join(tmpdir(), 'runbook-init-'));

describe('runbook init', () => {
  it.each(['availability', 'latency', 'quality', 'freshness'])(
    'writes a %s starter that passes its own gate at once, from a folder outside the package',
    (kind) => {
      const dir = folder();
      const init = runbook(['init', '--service', 'shop', '--sli', kind], dir);
      expect(init.stderr).toBe('');
      expect(init.status).toBe(0);
      expect(readdirSync(dir).sort()).toEqual(['shop-plays.mjs', 'shop.yaml']);
      const gate = runbook(['gate', 'shop.yaml'], dir);
      expect(gate.stderr).toBe('');
      expect(gate.stdout).toMatch(/^gate: (\d+)\/\1\n/);
      expect(gate.status).toBe(0);
      // The runbook's play is the module's own, and a gate check reads it.
      expect(gate.stdout).toMatch(
        /PASS {2}mitigated:\S+ +INC-1 mitigated by (rollbackToLastGood|rebuildIndex) \(step 1\)/,
      );
    },
  );

  it('writes TypeScript plays with --ts, and they load', () => {
    const dir = folder();
    expect(runbook(['init', '--service', 'search', '--sli', 'latency', '--ts'], dir).status).toBe(0);
    expect(readFileSync(join(dir, 'search-plays.ts'), 'utf8')).toContain('type PlayInput');
    const gate = runbook(['gate', 'search.yaml'], dir);
    expect(gate.stderr).toBe('');
    expect(gate.status).toBe(0);
  });

  it('validates what it wrote', () => {
    const dir = folder();
    runbook(['init', '--service', 'queue', '--sli', 'availability'], dir);
    const validate = runbook(['validate', 'queue.yaml'], dir);
    expect(validate.stdout).toBe('ok  queue.yaml (queue: 1 incident type, 9 gate checks)\n');
    expect(validate.status).toBe(0);
  });

  it('refuses to overwrite a file, and then writes neither', () => {
    const dir = folder();
    writeFileSync(join(dir, 'shop-plays.mjs'), 'mine\n');
    const init = runbook(['init', '--service', 'shop'], dir);
    expect(init.status).toBe(2);
    expect(init.stderr).toBe(
      'runbook: shop-plays.mjs: already exists: runbook init never overwrites a file\n',
    );
    expect(readdirSync(dir)).toEqual(['shop-plays.mjs']);
    expect(readFileSync(join(dir, 'shop-plays.mjs'), 'utf8')).toBe('mine\n');
  });

  it.each([
    [
      ['--service', 'shop', '--sli', 'speed'],
      /^runbook: --sli: must be one of availability, latency, quality, freshness \(got "speed"\)\n$/,
    ],
    [['--service', '../up'], /^runbook: --service: must be a name/],
    [['--service', 'shop', '--dir', 'missing'], /^runbook: missing: --dir: no such directory\n$/],
    [[], /required option '--service <name>' not specified/],
  ])('refuses bad flags %j with exit 2 and writes nothing', (flags, message) => {
    const dir = folder();
    const init = runbook(['init', ...flags], dir);
    expect(init.status).toBe(2);
    expect(init.stderr).toMatch(message);
    expect(readdirSync(dir)).toEqual([]);
  });
});
