import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';

let dir = '';
const fixture = (name: string) => join(dir, name);

// 20% errors from minute 4320 to 4499 after three healthy days, at 1000 requests a minute.
const incident = {
  steps: [
    { minute: 0, requests: 1000, errors: 0 },
    { minute: 4320, requests: 1000, errors: 200 },
    { minute: 4500, requests: 1000, errors: 0 },
  ],
};

// Two healthy days, then a day at exactly 3x against a 90% objective (30% errors): at minute 4320 the
// 1d and 2h windows burn exactly 3x and the 3d window exactly 1x.
const exactlyThreeX = (errors: number) =>
  JSON.stringify({
    steps: [
      { minute: 0, requests: 1000, errors: 0 },
      { minute: 2880, requests: 1000, errors },
    ],
    until: 4320,
  });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-burn-'));
  const files: Record<string, string> = {
    'three-x.json': exactlyThreeX(300),
    'above-three-x.json': exactlyThreeX(301),
    'incident.json': JSON.stringify({ ...incident, until: 4700 }),
    'open-ended.json': JSON.stringify(incident),
    'broken.json': '{"steps": [',
    'negative.json': JSON.stringify({
      steps: [
        { minute: 0, requests: 10, errors: 0 },
        { minute: 5, requests: -3, errors: 0 },
      ],
    }),
    'too-many-errors.json': JSON.stringify({ steps: [{ minute: 0, requests: 10, errors: 11 }] }),
    'out-of-order.json': JSON.stringify({
      steps: [
        { minute: 10, requests: 1, errors: 0 },
        { minute: 10, requests: 1, errors: 0 },
      ],
    }),
    'fractional.json': JSON.stringify({ steps: [{ minute: 1.5, requests: 1, errors: 0 }] }),
    'empty.json': JSON.stringify({ steps: [] }),
    'misspelt.json': JSON.stringify({ steps: [{ minute: 0, requests: 1, errors: 0 }], untill: 10 }),
    'until-too-early.json': JSON.stringify({ steps: [{ minute: 100, requests: 1, errors: 0 }], until: 50 }),
    'until-too-late.json': JSON.stringify({
      steps: [{ minute: 0, requests: 1, errors: 0 }],
      until: 10_000_000,
    }),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(fixture(name), text);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(...args: string[]) {
  const io = bufferIo();
  const code = await main(['burn', ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

describe('runbook burn --json', () => {
  it('prints one JSON line per minute from --from to --to, burn rounded to 2 decimals', async () => {
    const { code, stdout, stderr } = await run(
      '--series',
      fixture('incident.json'),
      '--from',
      '4363',
      '--to',
      '4365',
      '--json',
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const rows = jsonLines(stdout);
    expect(rows.map((row) => [row.minute, row.alert])).toEqual([
      [4363, 'none'],
      [4364, 'page'],
      [4365, 'page'],
    ]);
    expect(rows[1]).toEqual({
      minute: 4364,
      alert: 'page',
      firing: ['page:1h/5m'],
      burn: { '5m': 20, '30m': 20, '1h': 14.67, '2h': 7.33, '6h': 2.44, '1d': 0.61, '3d': 0.2 },
    });
  });

  it("runs --to up to the series' until by default", async () => {
    const rows = jsonLines(
      (await run('--series', fixture('incident.json'), '--from', '4690', '--json')).stdout,
    );
    expect(rows.map((row) => row.minute)).toEqual(Array.from({ length: 11 }, (_, i) => 4690 + i));
  });

  it('runs --to to a day past the last step when the series has no until', async () => {
    const rows = jsonLines(
      (await run('--series', fixture('open-ended.json'), '--from', '5930', '--json')).stdout,
    );
    expect(rows.at(-1)?.minute).toBe(4500 + 1440);
  });

  it('prices the burn against --objective: at 99.9% the same errors burn 200x and page at minute 4325', async () => {
    const { stdout } = await run('--series', fixture('incident.json'), '--objective', '0.999', '--json');
    const firstPage = jsonLines(stdout).find((row) => row.alert === 'page');
    expect(firstPage.minute).toBe(4325);
    expect(firstPage.burn['5m']).toBe(200);
  });
});

describe('runbook burn (summary)', () => {
  it('does not ticket at exactly 3x on 1d/2h (the rule is strictly greater), and does one error a minute above', async () => {
    const at = await run(
      '--series',
      fixture('three-x.json'),
      '--objective',
      '0.9',
      '--from',
      '4320',
      '--json',
    );
    expect(jsonLines(at.stdout)).toEqual([
      {
        minute: 4320,
        alert: 'none',
        firing: [],
        burn: { '5m': 3, '30m': 3, '1h': 3, '2h': 3, '6h': 3, '1d': 3, '3d': 1 },
      },
    ]);
    const summary = await run('--series', fixture('three-x.json'), '--objective', '0.9');
    expect(summary.stdout.trim()).toBe(
      'minutes 0..4320 at objective 0.9: page 0 min, ticket 0 min, no alert 4321 min',
    );
    const above = await run('--series', fixture('above-three-x.json'), '--objective', '0.9');
    expect(above.stdout).toMatch(/^minute \d+: ticket:1d\/2h starts firing/m);
  });

  it('prints a line whenever a pair starts or stops firing, then the minutes spent at each alert level', async () => {
    const { code, stdout } = await run('--series', fixture('incident.json'));
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      'minute 4364: page:1h/5m starts firing (1h 14.67x, 5m 20x)',
      'minute 4429: page:6h/30m starts firing (6h 6.06x, 30m 20x)',
      'minute 4502: page:1h/5m stops firing (1h 19.33x, 5m 12x)',
      'minute 4521: page:6h/30m stops firing (6h 10x, 30m 6x)',
      'minutes 0..4700 at objective 0.99: page 157 min, ticket 0 min, no alert 4544 min',
    ]);
  });

  it('says which pairs are already firing when the report starts and which still fire when it ends', async () => {
    const { stdout } = await run('--series', fixture('incident.json'), '--from', '4400', '--to', '4450');
    expect(stdout.trim().split('\n')).toEqual([
      'minute 4400: page:1h/5m is already firing (1h 20x, 5m 20x)',
      'minute 4429: page:6h/30m starts firing (6h 6.06x, 30m 20x)',
      'minutes 4400..4450 at objective 0.99: page 51 min, ticket 0 min, no alert 0 min; ' +
        'still firing at minute 4450: page:1h/5m, page:6h/30m',
    ]);
  });

  it('documents the flags, the policy and an example in --help', async () => {
    const { code, stdout } = await run('--help');
    expect(code).toBe(0);
    for (const text of ['Usage: runbook burn', '--series <file>', '--objective', 'page:1h/5m', 'Examples:']) {
      expect(stdout).toContain(text);
    }
  });
});

describe('runbook burn on bad input', () => {
  // Each case: the arguments, then what the one error line must say.
  const cases: [string, () => string[], RegExp][] = [
    ['a missing file', () => ['--series', fixture('nope.json')], /nope\.json: no such file/],
    ['invalid JSON', () => ['--series', fixture('broken.json')], /broken\.json: invalid JSON/],
    [
      'a negative count',
      () => ['--series', fixture('negative.json')],
      /negative\.json: steps\[1\]\.requests: must be >= 0/,
    ],
    [
      'more errors than requests',
      () => ['--series', fixture('too-many-errors.json')],
      /too-many-errors\.json: steps\[0\]\.errors: must not exceed requests \(10\) \(got 11\)/,
    ],
    [
      'step minutes that do not increase',
      () => ['--series', fixture('out-of-order.json')],
      /out-of-order\.json: steps\[1\]\.minute: must be greater than the previous/,
    ],
    [
      'a fractional minute',
      () => ['--series', fixture('fractional.json')],
      /steps\[0\]\.minute: must be a whole number/,
    ],
    [
      'a series with no steps',
      () => ['--series', fixture('empty.json')],
      /empty\.json: steps: must have at least 1 step/,
    ],
    [
      'a misspelt field',
      () => ['--series', fixture('misspelt.json')],
      /misspelt\.json: untill: is not a series field/,
    ],
    [
      'an until before the last step',
      () => ['--series', fixture('until-too-early.json')],
      /until: must not be before/,
    ],
    [
      'objective 1.5',
      () => ['--series', fixture('incident.json'), '--objective', '1.5'],
      /--objective: must be in \(0, 1\)/,
    ],
    [
      'objective 0',
      () => ['--series', fixture('incident.json'), '--objective', '0'],
      /--objective: must be in \(0, 1\)/,
    ],
    [
      '--to before --from',
      () => ['--series', fixture('incident.json'), '--from', '10', '--to', '5'],
      /--to: must be >= --from/,
    ],
    [
      'a fractional --from',
      () => ['--series', fixture('incident.json'), '--from', '2.5'],
      /--from: must be a whole number/,
    ],
    [
      'a --to past a year of minutes',
      () => ['--series', fixture('incident.json'), '--to', '600000'],
      /--to: must be in \[0, 527040\]/,
    ],
    [
      'an until past a year of minutes',
      () => ['--series', fixture('until-too-late.json')],
      /until-too-late\.json: until: runs to minute 10000000, past the longest backtest/,
    ],
    ['an unknown flag', () => ['--series', fixture('incident.json'), '--bogus'], /unknown option '--bogus'/],
    ['no --series', () => [], /required option '--series <file>'/],
  ];

  it.each(cases)(
    'exits 2 on %s with one line on stderr naming the file and field or flag, no stack',
    async (_, args, says) => {
      const { code, stdout, stderr } = await run(...args());
      expect(code).toBe(2);
      expect(stdout).toBe('');
      // Commander follows its own parse errors with a usage hint; that hint is not an error line.
      const errorLines = stderr
        .split('\n')
        .filter((line) => line !== '' && line !== '(add --help for usage)');
      expect(errorLines).toHaveLength(1);
      expect(errorLines[0]).toMatch(says);
      expect(stderr).not.toMatch(/\n\s+at /);
    },
  );
});
