import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'runbook-bad-'));
const stock = resolve('scenarios/stock-shift.yaml');

/** Writes a scenario that extends the stock shift with `body` (or a whole file when raw). */
function scenario(name: string, body: string, raw = false): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, raw ? body : `extends: ${stock}\n${body}`);
  return file;
}

function module(name: string, body: string): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, body);
  return file;
}

const withRunbook = (steps: string) =>
  `incidentTypes:\n  - name: quality-regression\n    match: { service: agent }\n    sli: quality\n    runbook:\n${steps}\n`;

type Case = [what: string, args: () => string[], file: RegExp, field: RegExp];

const cases: Case[] = [
  [
    'a missing scenario file',
    () => ['gate', '--scenario', join(dir, 'nope.yaml')],
    /nope\.yaml/,
    /no such file/,
  ],
  [
    'broken YAML',
    () => ['gate', '--scenario', scenario('broken', 'name: [unclosed\n', true)],
    /broken\.yaml/,
    /invalid YAML at line \d+, column \d+: Flow sequence/,
  ],
  [
    'a YAML list instead of a mapping',
    () => ['gate', '--scenario', scenario('list', '- a\n- b\n', true)],
    /list\.yaml/,
    /must be a YAML mapping/,
  ],
  [
    'an unknown top-level field',
    () => ['gate', '--scenario', scenario('unknown-top', 'colour: red\n')],
    /unknown-top\.yaml/,
    /colour: unknown field/,
  ],
  [
    'an unknown field in a release',
    () => [
      'gate',
      '--scenario',
      scenario('unknown-nested', 'releases:\n  - { name: v2, wrongTopic: [refunds] }\n'),
    ],
    /unknown-nested\.yaml/,
    /releases\[0\]\.wrongTopic: unknown field/,
  ],
  [
    'an unknown play in a runbook',
    () => ['gate', '--scenario', scenario('unknown-play', withRunbook('      - { play: reboot }'))],
    /unknown-play\.yaml/,
    /incidentTypes\[0\]\.runbook\[0\]\.play: unknown play "reboot"/,
  ],
  [
    'an unknown release in the timeline',
    () => ['gate', '--scenario', scenario('unknown-release', 'timeline:\n  - { at: 4320, deploy: v4 }\n')],
    /unknown-release\.yaml/,
    /timeline\[0\]\.deploy: unknown release "v4"/,
  ],
  [
    'an unknown initial release',
    () => ['gate', '--scenario', scenario('initial', 'initialRelease: v1\n')],
    /initial\.yaml/,
    /initialRelease: unknown release/,
  ],
  [
    'an objective above 1',
    () => ['gate', '--scenario', scenario('objective-high', 'slos:\n  quality: { objective: 1.5 }\n')],
    /objective-high\.yaml/,
    /slos\.quality\.objective: must be between 0 and 1/,
  ],
  [
    'an objective of 0',
    () => ['gate', '--scenario', scenario('objective-zero', 'slos:\n  quality: { objective: 0 }\n')],
    /objective-zero\.yaml/,
    /slos\.quality\.objective: must be between 0 and 1/,
  ],
  [
    'a negative request rate',
    () => ['gate', '--scenario', scenario('negative', 'service:\n  requestsPerMinute: -5\n')],
    /negative\.yaml/,
    /service\.requestsPerMinute: must be >= 1/,
  ],
  [
    'a seed that is not a number',
    () => ['gate', '--scenario', scenario('seed', 'seed: forty-two\n')],
    /seed\.yaml/,
    /seed: /,
  ],
  [
    'a duplicate release',
    () => ['gate', '--scenario', scenario('duplicate', 'releases:\n  - { name: v2 }\n  - { name: v2 }\n')],
    /duplicate\.yaml/,
    /releases\[1\]\.name: duplicate release "v2"/,
  ],
  [
    'a missing required field',
    () => ['gate', '--scenario', scenario('missing', 'name: x\nseed: 1\n', true)],
    /missing\.yaml/,
    /service: is required/,
  ],
  [
    'an unknown question in the eval set',
    () => ['gate', '--scenario', scenario('evalset', 'service:\n  evalSet: [shipping-1, weather-1]\n')],
    /evalset\.yaml/,
    /service\.evalSet\[1\]: unknown question "weather-1"/,
  ],
  [
    'an unknown fix candidate',
    () => [
      'gate',
      '--scenario',
      scenario('fix', `${withRunbook('      - { play: rollback }')}    fix: { candidate: v9 }\n`),
    ],
    /fix\.yaml/,
    /incidentTypes\[0\]\.fix\.candidate: unknown release "v9"/,
  ],
  [
    'an empty runbook',
    () => [
      'gate',
      '--scenario',
      scenario('empty-runbook', withRunbook('      []').replace('runbook:\n', 'runbook:')),
    ],
    /empty-runbook\.yaml/,
    /incidentTypes\[0\]\.runbook: must list at least one play/,
  ],
  [
    'an onFailure that is neither next nor escalate',
    () => [
      'gate',
      '--scenario',
      scenario('on-failure', withRunbook('      - { play: rollback, onFailure: panic }')),
    ],
    /on-failure\.yaml/,
    /incidentTypes\[0\]\.runbook\[0\]\.onFailure: /,
  ],
  [
    'a negative timeline minute',
    () => ['gate', '--scenario', scenario('minute', 'timeline:\n  - { at: -1, deploy: v3 }\n')],
    /minute\.yaml/,
    /timeline\[0\]/,
  ],
  [
    'extends of a missing file',
    () => ['gate', '--scenario', scenario('orphan', 'extends: ./gone.yaml\n', true)],
    /orphan\.yaml/,
    /extends: cannot read/,
  ],
  [
    'extends that loops',
    () => {
      scenario('loop-b', `extends: ${join(dir, 'loop-a.yaml')}\n`, true);
      return ['gate', '--scenario', scenario('loop-a', `extends: ${join(dir, 'loop-b.yaml')}\n`, true)];
    },
    /loop-[ab]\.yaml/,
    /extends: extends itself/,
  ],
  [
    'an expected severity that does not exist',
    () => [
      'gate',
      '--scenario',
      scenario('sev5', 'expect:\n  ticket: { id: T-1042, severity: sev5, queue: L2 }\n'),
    ],
    /sev5\.yaml/,
    /expect\.ticket\.severity/,
  ],
  [
    'an empty group-by',
    () => ['gate', '--scenario', scenario('group-by', 'storm:\n  groupBy: []\n')],
    /group-by\.yaml/,
    /storm\.groupBy/,
  ],
  [
    'an end before the story',
    () => ['gate', '--scenario', scenario('until', 'until: 100\n')],
    /until\.yaml/,
    /until: must be after/,
  ],
  [
    'a plays module that does not exist',
    () => ['gate', '--plays', join(dir, 'none.mjs')],
    /none\.mjs/,
    /no such file/,
  ],
  [
    'a plays module that exports no plays',
    () => ['gate', '--plays', module('empty', 'export {};\n')],
    /empty\.mjs/,
    /exports no plays/,
  ],
  [
    'a plays module exporting something that is not a play',
    () => ['gate', '--plays', module('not-a-play', 'export const flagOff = () => 1;\n')],
    /not-a-play\.mjs/,
    /flagOff: is not a play/,
  ],
  [
    'a plays module that fails to load',
    () => ['gate', '--plays', module('throws', 'throw new Error("boom");\n')],
    /throws\.mjs/,
    /cannot load the plays module: boom/,
  ],
  ['an unknown flag', () => ['gate', '--no-such-flag'], /--no-such-flag/, /unknown option/],
];

describe('bad input exits 2 with one line naming the file and the field, and no stack trace', () => {
  it.each(cases)('%s', async (_what, args, file, field) => {
    const io = bufferIo();
    expect(await main(args(), io)).toBe(2);
    const lines = io.stderr.split('\n').filter((line) => line && !line.startsWith('(add --help'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(file);
    expect(lines[0]).toMatch(field);
    expect(io.stderr).not.toMatch(/\n\s+at /);
    expect(io.stdout).toBe('');
  });

  it('leaves nothing half-written next to the inputs', () => {
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
