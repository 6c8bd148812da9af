import { describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';

describe('the command line', () => {
  it('prints help and exits 0', async () => {
    const io = bufferIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout).toContain('Usage: runbook');
  });

  it('rejects an unknown flag with exit code 2 and no stack trace', async () => {
    const io = bufferIo();
    expect(await main(['--no-such-flag'], io)).toBe(2);
    expect(io.stderr).toContain('--no-such-flag');
    expect(io.stderr).not.toMatch(/\n\s+at /);
  });
});
