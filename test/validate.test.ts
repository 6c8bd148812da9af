import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';

const STOCK = resolve('scenarios/stock-shift.yaml');

/** A scenario file in a temp folder, extending the stock shift with `yaml`. */
function scenario(yaml: string, name = 'candidate.yaml'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'validate-')), name);
  writeFileSync(file, `extends: ${STOCK}\nname: candidate\n${yaml}`);
  return file;
}

async function validate(...args: string[]) {
  const io = bufferIo();
  const code = await main(['validate', ...args], io);
  return { code, ...io };
}

describe('runbook validate', () => {
  it('passes every scenario of the repository and every gate mutation (each with its own plays)', async () => {
    const files = [
      // kill-switch's plays come by --plays only (below).
      ...readdirSync('scenarios')
        .filter((f) => f.endsWith('.yaml') && f !== 'kill-switch.yaml')
        .map((f) => `scenarios/${f}`),
      ...readdirSync('scenarios/mutations/gate').map((f) => `scenarios/mutations/gate/${f}`),
    ];
    const { code, stdout, stderr } = await validate(...files);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(files.length);
    expect(stdout).toContain(
      'ok  scenarios/gate-checks.yaml (gate-checks: 2 incident types, 16 gate checks)',
    );
  });

  it('names an unknown play, and knows the plays of a module given with --plays', async () => {
    const file = scenario(
      'incidentTypes: [{ name: q, match: { service: agent }, sli: quality, runbook: [{ play: flagOff }], fix: { candidate: v3-fix } }]\n',
    );
    const bad = await validate(file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `runbook: ${file}: incidentTypes[0].runbook[0].play: unknown play "flagOff" (known plays: reindex, rollback)\n`,
    );
    expect((await validate(file, '--plays', 'scenarios/plays/kill-switch.js')).code).toBe(0);
  });

  it('loads a plays module without running a play or a shift', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'validate-log-')), 'plays.log');
    writeFileSync(log, '');
    process.env.PLAYS_LOG = log;
    try {
      const { code } = await validate(
        'scenarios/stock-shift.yaml',
        '--plays',
        'test/fixtures/recording-plays.js',
      );
      expect(code).toBe(0);
    } finally {
      delete process.env.PLAYS_LOG;
    }
    expect(readFileSync(log, 'utf8')).toBe('');
  });

  it('refuses a runbook step that no path reaches', async () => {
    const file = scenario(
      [
        'incidentTypes:',
        '  - name: q',
        '    match: { service: agent }',
        '    sli: quality',
        '    fix: { candidate: v3-fix }',
        '    runbook:',
        '      steps:',
        '        - { name: first, play: rollback, next: resolve }',
        '        - { name: orphan, play: reindex }',
        '',
      ].join('\n'),
    );
    const { code, stderr } = await validate(file);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `runbook: ${file}: incidentTypes[0].runbook.steps[1]: step "orphan" is never reached: no step's next, onFailure, onTimeout or onReject leads to it\n`,
    );
  });

  it('reaches a step through a failure exit', async () => {
    const file = scenario(
      [
        'incidentTypes:',
        '  - name: q',
        '    match: { service: agent }',
        '    sli: quality',
        '    fix: { candidate: v3-fix }',
        '    runbook:',
        '      steps:',
        '        - { name: first, play: reindex, next: resolve, onFailure: second }',
        '        - { name: second, play: rollback }',
        '',
      ].join('\n'),
    );
    expect((await validate(file)).code).toBe(0);
  });

  it('checks every file, reports each bad one, and exits 2 when any is bad', async () => {
    const unreachable = scenario(
      'incidentTypes: [{ name: q, match: { service: nowhere }, sli: quality, runbook: [{ play: rollback }] }]\n',
    );
    const badSchema = scenario('seed: "42"\n');
    const { code, stdout, stderr } = await validate(unreachable, 'scenarios/stock-shift.yaml', badSchema);
    expect(code).toBe(2);
    expect(stdout).toBe(
      'ok  scenarios/stock-shift.yaml (stock-shift: 1 incident type, the stock gate checks)\n',
    );
    const lines = stderr.trim().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^runbook: ${unreachable}: incidentTypes\\[0\\]\\.match: .*service="nowhere"`),
    );
    expect(lines[1]).toBe(`runbook: ${badSchema}: seed: expected a number, got the string "42"`);
  });

  it('prints JSON with --json, and nothing on stderr', async () => {
    const bad = scenario(
      'incidentTypes: [{ name: q, match: { service: agent }, sli: speed, runbook: [{ play: rollback }] }]\n',
    );
    const { code, stdout, stderr } = await validate('scenarios/stale-index.yaml', bad, '--json');
    expect(code).toBe(2);
    expect(stderr).toBe('');
    const results = JSON.parse(stdout) as { file: string; ok: boolean; error?: string }[];
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect(results[1]?.error).toMatch(/incidentTypes\[0\]\.sli: unknown SLI "speed"/);
  });

  it('needs a file', async () => {
    const { code, stderr } = await validate();
    expect(code).toBe(2);
    expect(stderr).toMatch(/missing required argument 'files'/);
  });
});
