import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { makeAlert } from '../src/toolkit/alerts.js';
import { assertBuilt, runCli } from './support/cli-process.js';

/**
 * `runbook correlate --alerts -` as a user runs it: the built CLI in a process of its own, reading
 * its standard input. Apart from test/correlate-cli.test.ts because it runs dist/, not src/: the
 * mutation tests (vitest.mutation.config.ts) run the unit tests against mutated sources in Stryker's
 * sandbox, where a test of the built CLI would see none of the mutants (and dist/ may be older than
 * the sandbox's copy of src/).
 */

let dir = '';
const fixture = (name: string) => join(dir, name);

const run = async (...args: string[]) => {
  const io = bufferIo();
  const code = await main(args, io);
  return { code, ...io };
};

const alerts = [
  makeAlert({ alertname: 'HighErrorRate', service: 'agent', instance: 'pod-1' }, {}, 0, 10),
  makeAlert({ alertname: 'HighErrorRate', service: 'agent', instance: 'pod-2' }, {}, 2, 12),
  makeAlert({ alertname: 'HighErrorRate', service: 'agent', instance: 'pod-1' }, {}, 3, 13),
  makeAlert({ alertname: 'HighLatency', service: 'agent', instance: 'pod-1' }, {}, 60, 70),
  makeAlert({ alertname: 'DiskAlmostFull', service: 'index', instance: 'pod-0' }, {}, 5, 9),
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-correlate-stdin-'));
  writeFileSync(fixture('list.json'), JSON.stringify(alerts));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runbook correlate --alerts - (standard input)', () => {
  beforeAll(() => assertBuilt());

  it('reads a JSON list or NDJSON piped in, as it reads the file', async () => {
    const fromFile = await run('correlate', '--alerts', fixture('list.json'), '--json');
    const list = await runCli(['correlate', '--alerts', '-', '--json'], {
      cwd: process.cwd(),
      stdin: JSON.stringify(alerts),
    });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toBe(fromFile.stdout);
    const lines = await runCli(['correlate', '--alerts', '-', '--json'], {
      cwd: process.cwd(),
      stdin: alerts.map((alert) => JSON.stringify(alert)).join('\n'),
    });
    expect(lines.stdout).toBe(fromFile.stdout);
  });

  it('names standard input in an error, exit 2', async () => {
    const broken = await runCli(['correlate', '--alerts', '-'], {
      cwd: process.cwd(),
      stdin: '[{"labels": ',
    });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toBe('runbook: (standard input): invalid JSON: unexpected end of the file\n');
  });
});
