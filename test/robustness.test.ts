import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/cli/io.js';
import { InputError } from '../src/toolkit/errors.js';
import { assertBuilt, type CliRun, errorLines, runCli } from './support/cli-process.js';

/**
 * What bad input and hostile conditions must not do to the built CLI beyond exiting 2: a pipe that
 * closes, a slow reader, a Ctrl-C in the middle of a write, a plugged-in play that reports nonsense.
 * Each run is watched: a hang or a runaway fails the test with that message.
 */

const root = mkdtempSync(join(tmpdir(), 'runbook-robust-'));
const folder = (name: string) => mkdtempSync(join(root, `${name}-`));
const library = pathToFileURL(resolve('dist/src/index.js')).href;

beforeAll(assertBuilt);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const noTrouble = (run: CliRun) => {
  expect(run.killed, run.stderr).toBeNull();
  // A signal nobody sent: V8 aborting at its heap cap, say.
  expect(run.signal, run.stderr.slice(0, 2000)).toBeNull();
  expect(run.stderr).not.toMatch(/^\s+at |node:internal|Error:/m);
};

describe.concurrent('the command line under hostile conditions', () => {
  it('prints help on stdout and exits 0 when run bare: help is not an error', async () => {
    const run = await runCli([], { cwd: folder('bare') });
    noTrouble(run);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: runbook');
    expect(run.stderr).toBe('');
  });

  it('stops a 3,000,000-alert storm quietly as soon as its reader goes away (| head -c 200)', async () => {
    let bytes = 0;
    const run = await runCli(['storm', '--alerts', '3000000'], {
      cwd: folder('head'),
      onSpawn: (child) => {
        child.stdout?.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes >= 200) child.stdout?.destroy();
        });
      },
    });
    noTrouble(run);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
  });

  it('holds a storm in memory no faster than a slow reader takes it (backpressure), then ends it whole', async () => {
    let bytes = 0;
    let tail = Buffer.alloc(0);
    const run = await runCli(['storm', '--alerts', '200000'], {
      cwd: folder('slow'),
      // Unread for two seconds, 200,000 alerts (50 MB of JSON) would pile up in the writer past the
      // heap cap this leaves (72 MB); drained, a few chunks at a time are held (about 90 MB of RSS).
      limits: { rssMb: 200 },
      onSpawn: (child) => {
        child.stdout?.pause();
        setTimeout(() => child.stdout?.resume(), 2000);
        child.stdout?.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          tail = Buffer.concat([tail, chunk.subarray(-8)]).subarray(-8);
        });
      },
    });
    noTrouble(run);
    expect(run.code).toBe(0);
    expect(tail.toString('latin1').endsWith('\n]\n')).toBe(true);
    expect(bytes).toBeGreaterThan(40_000_000);
  });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`removes the temporary file when ${signal} arrives during storm --out, and exits ${code}`, async () => {
      const dir = folder(`signal-${signal}`);
      const run = await runCli(['storm', '--alerts', '5000000', '--out', 'big.json'], {
        cwd: dir,
        onSpawn: (child) => {
          const poll = setInterval(() => {
            if (readdirSync(dir).some((name) => name.startsWith('big.json.tmp-'))) {
              clearInterval(poll);
              child.kill(signal);
            }
          }, 20);
          child.on('close', () => clearInterval(poll));
        },
      });
      noTrouble(run);
      expect(run.code).toBe(code);
      expect(readdirSync(dir)).toEqual([]);
    });
  }

  it('correlates an alert of 60,000 labels out of order in O(n log n), not the insertion sort', async () => {
    const dir = folder('labels');
    const labels: Record<string, string> = {};
    for (let i = 60_000; i > 0; i--) labels[`l${String(i).padStart(5, '0')}`] = 'v';
    const alert = { labels, startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-01-01T01:00:00Z' };
    writeFileSync(join(dir, 'a.json'), JSON.stringify([alert]));
    const run = await runCli(['correlate', '--alerts', 'a.json', '--group-by', 'l00001'], { cwd: dir });
    noTrouble(run);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/1 group by l00001 from 1 alert \(1 distinct\)/);
  });
});

/** Plays that break the contract: the incident records a failed step and the shift goes on. */
const misreports: [what: string, body: string, detail: RegExp][] = [
  [
    'returns undefined',
    'return undefined;',
    /^the play reported undefined; a play must return \{ ok, detail \}$/,
  ],
  ['forgets to return', '', /^the play reported undefined; a play must return \{ ok, detail \}$/],
  ['returns null', 'return null;', /^the play reported null; a play must return \{ ok, detail \}$/],
  ['returns a number', 'return 42;', /^the play reported 42; a play must return \{ ok, detail \}$/],
  [
    'reports ok as a string',
    "return { ok: 'yes', detail: 'done' };",
    /^the play reported \{"ok":"yes","detail":"done"\}; a play must/,
  ],
  [
    'returns an object that cannot be printed',
    'const a = {}; a.a = a; return a;',
    /^the play reported object; a play must return/,
  ],
  ['throws something that is not an Error', 'throw Object.create(null);', /^the play threw: object$/],
];

describe.concurrent('a plugged-in play that reports nonsense is a failed step, and the shift goes on', () => {
  it.for(misreports)('a rollback play that %s', async ([, body, detail], { expect }) => {
    const dir = folder('plays');
    const module = `import { definePlay } from ${JSON.stringify(library)};\nexport const rollback = definePlay(() => { ${body} });\n`;
    writeFileSync(join(dir, 'p.mjs'), module);
    const run = await runCli(['drill', '--json', '--plays', 'p.mjs'], { cwd: dir });
    expect(run.killed).toBeNull();
    expect(errorLines(run)).toEqual([]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      incidents: { state: string; plays: { outcome: string; detail: string }[] }[];
    };
    const worked = result.incidents.find((incident) => incident.plays.length > 0);
    expect(worked?.plays[0]?.outcome).toBe('failure');
    expect(worked?.plays[0]?.detail).toMatch(detail);
    // The runbook had one play: with it failed, the incident escalates instead of the run crashing.
    expect(worked?.state).toBe('escalated');
  });

  it('fails the gate (exit 1), not the run (exit 2 or a stack), when the rollback play returns undefined', async () => {
    const dir = folder('gate');
    writeFileSync(
      join(dir, 'p.mjs'),
      `import { definePlay } from ${JSON.stringify(library)};\nexport const rollback = definePlay(() => undefined);\n`,
    );
    const run = await runCli(['gate', '--plays', 'p.mjs'], { cwd: dir });
    noTrouble(run);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL {2}mitigate/);
  });
});

describe('writeFileAtomic', () => {
  it('names the file and --out, and leaves nothing, when the path runs through a file', async () => {
    const error = await writeFileAtomic('/etc/passwd/x.mmd', ['a']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).format()).toBe(
      'runbook: /etc/passwd/x.mmd: --out: cannot write: a part of the path is not a directory (ENOTDIR)',
    );
  });

  it('refuses a folder before writing anything beside it', async () => {
    const dir = folder('atomic');
    const error = await writeFileAtomic(dir, ['a'], '--report').catch((e: unknown) => e);
    expect((error as InputError).format()).toBe(
      `runbook: ${dir}: --report: cannot write: is a directory (EISDIR)`,
    );
    expect(existsSync(`${dir}.tmp-${process.pid}`)).toBe(false);
  });
});
