import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';

describe('the command line', () => {
  it('prints help and exits 0', async () => {
    const io = bufferIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout).toContain('Usage: runbook');
  });

  it('prints the version of package.json and exits 0', async () => {
    const io = bufferIo();
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(await main(['--version'], io)).toBe(0);
    expect(io.stdout.trim()).toBe(version);
  });

  it('lists every command in its help, each described as a sentence', async () => {
    const io = bufferIo();
    await main(['--help'], io);
    for (const name of [
      'demo',
      'drill',
      'gate',
      'burn',
      'correlate',
      'storm',
      'export',
      'inspect',
      'report',
      'paths',
    ]) {
      expect(io.stdout).toMatch(new RegExp(`\\n  ${name} \\[options\\]( \\[\\w+\\.\\.\\.\\])? +[A-Z]`));
    }
  });

  it('rejects an unknown flag with exit code 2 and no stack trace', async () => {
    const io = bufferIo();
    expect(await main(['--no-such-flag'], io)).toBe(2);
    expect(io.stderr).toContain('--no-such-flag');
    expect(io.stderr).not.toMatch(/\n\s+at /);
  });
});
