import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../src/cli/io.js';
import { progress, withProgress } from '../src/cli/progress.js';
import { assertBuilt, BIN } from './support/cli-process.js';

const REDRAW = '\r\x1b[2K';

function terminal(isTTY: boolean): Io & { written: string } {
  const io = {
    written: '',
    out: () => undefined,
    err(text: string) {
      io.written += text;
    },
    errStream: { isTTY } as NodeJS.WriteStream,
  };
  return io;
}

describe('progress line', () => {
  it('redraws one line in place on a terminal and clears it when done', () => {
    const io = terminal(true);
    const line = progress(io, false);
    expect(line.active).toBe(true);
    line.show('correlate: 1 alert');
    line.show('correlate: 2 alerts');
    line.done();
    line.done();
    expect(io.written).toBe(`${REDRAW}correlate: 1 alert${REDRAW}correlate: 2 alerts${REDRAW}`);
  });

  it('says nothing with --json, to a pipe or a file, or without a stream', () => {
    for (const [io, json] of [
      [terminal(true), true],
      [terminal(false), false],
    ] as const) {
      const line = progress(io, json);
      // A caller skips building text for a line that is not drawn (`drill` asks every 240 minutes).
      expect(line.active).toBe(false);
      line.show('x');
      line.done();
      expect(io.written).toBe('');
    }
    expect(() => progress(undefined, false).show('x')).not.toThrow();
    expect(progress(undefined, false).active).toBe(false);
  });

  it('clears the line before an error is printed', async () => {
    const io = terminal(true);
    await expect(
      withProgress(io, false, async (line) => {
        line.show('half way');
        throw new Error('bad alert');
      }),
    ).rejects.toThrow('bad alert');
    expect(io.written).toBe(`${REDRAW}half way${REDRAW}`);
  });
});

// The built CLI in a pseudo-terminal (util-linux's `script`, in every Debian), against the same
// command piped: progress for a person at a terminal, nothing for programs.
describe('progress of long commands, in a terminal', () => {
  let dir: string;
  let alerts: string;
  // What the terminal got, each redraw shown as <CL>.
  const inTerminal = (args: string[]) => {
    const command = [process.execPath, BIN, ...args].map((word) => `'${word}'`).join(' ');
    const run = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    return { code: run.status, output: run.stdout.replaceAll(REDRAW, '<CL>') };
  };
  const piped = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'progress-'));
    alerts = join(dir, 'storm.ndjson');
    const storm = inTerminal([
      'storm',
      '--seed',
      '7',
      '--alerts',
      '120000',
      '--services',
      '500',
      '--out',
      alerts,
    ]);
    expect(storm.code).toBe(0);
    expect(storm.output).toContain('<CL>storm: 50,000 of 120,000 alerts (41%)');
    expect(storm.output).toContain('<CL>storm: 100,000 of 120,000 alerts (83%)<CL>wrote 120000 alerts');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('storm draws no line over a storm written to the terminal itself', () => {
    const onScreen = inTerminal(['storm', '--alerts', '51000', '--services', '500', '--ndjson']);
    expect(onScreen.code).toBe(0);
    expect(onScreen.output).not.toContain('storm:');
    expect(onScreen.output).not.toContain('<CL>');
  });

  it('correlate shows alerts and megabytes read, then clears the line for its table', () => {
    const { code, output } = inTerminal(['correlate', '--alerts', alerts]);
    expect(code).toBe(0);
    expect(output).toMatch(/<CL>correlate: [\d,]+ alerts, \d+ MB of 32 MB \(\d+%\)/);
    // The last redraw clears the line, and the table starts on it.
    expect(output).toMatch(/<CL>\d+ groups? by service, alertname from 120000 alerts/);
    expect(inTerminal(['correlate', '--alerts', alerts, '--json']).output).not.toContain('correlate:');
    const quiet = piped(['correlate', '--alerts', alerts]);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('a drill shows its sim minutes and storm alerts, and --json shows none', () => {
    const gate = inTerminal(['gate']);
    expect(gate.code).toBe(0);
    expect(gate.output).toMatch(/<CL>drill: minute 4,320 \(at most [\d,]+\), \d+ alerts in/);
    // The line is cleared before the gate's table, which follows whole.
    const afterProgress = gate.output.split('<CL>').at(-1);
    expect(afterProgress).not.toContain('drill:');
    expect(afterProgress).toContain('PASS  intake');
    expect(inTerminal(['gate', '--json']).output).not.toContain('drill:');
    expect(piped(['gate']).stderr).toBe('');
  });
});
