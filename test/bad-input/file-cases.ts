import { alert, alerts, type BadInput, heavy, plays, STOCK, scenario, series, wholeFile } from './case.js';

/**
 * Files as they come: missing, endless, huge, binary, malformed, pathological (a quadratic parse,
 * an expansion bomb, runaway nesting) or hostile (`__proto__`, unknown tags). Each is refused with
 * one line, quickly and in bounded memory.
 */

/** `count` keys in one mapping, about 12 bytes each: the shape that made the YAML parse quadratic. */
const manyKeys = (count: number, last = '') => {
  const lines = ['meta:'];
  for (let i = 0; i < count; i++) lines.push(`  k${i}: 1`);
  return `${lines.join('\n')}\n${last}`;
};

/** Nine levels of anchors, each ten of the last: a billion strings if expanded. */
const aliasBomb = () => {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
};

const nested = (depth: number) =>
  `deep:\n${Array.from({ length: depth }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')} 1\n`;

const yamlFiles: BadInput[] = [
  {
    ...wholeFile('a missing file', () => '', /no such file/),
    files: undefined,
    file: 'nope.yaml',
    args: () => ['gate', '--scenario', 'nope.yaml'],
  },
  {
    ...wholeFile('a directory', () => '', /is a directory/),
    files: () => ({ 'd/x': '' }),
    file: 'd',
    args: () => ['gate', '--scenario', 'd'],
  },
  {
    ...wholeFile('/dev/zero, endless', () => '', /is larger than 1 MiB, the most this reads/),
    files: undefined,
    file: '/dev/zero',
    args: () => ['gate', '--scenario', '/dev/zero'],
  },
  wholeFile('a file over 1 MiB', () => `# ${'x'.repeat(1.2 * 2 ** 20)}\nname: x\n`, /is larger than 1 MiB/),
  wholeFile(
    'binary bytes',
    () => Buffer.from([0x00, 0xff, 0xfe, 0x01, 0x1b, 0x5b, 0x00, 0x7f, 0x80, 0x0a]),
    /must be a YAML mapping/,
  ),
  wholeFile('a YAML list instead of a mapping', () => '- a\n- b\n', /must be a YAML mapping/),
  wholeFile('broken YAML', () => 'name: [unclosed\n', /invalid YAML at line \d+, column \d+: Flow sequence/),
  wholeFile(
    'two documents',
    () => 'name: a\n---\nname: b\n',
    /invalid YAML at line \d+, column \d+: .*document/i,
  ),
  scenario(
    'an unknown tag (!include)',
    'name: !include other.yaml\n',
    /invalid YAML at line 2, column 7: Unresolved tag: !include \(scenarios are plain YAML/,
  ),
  scenario(
    'a duplicate top-level key',
    'seed: 1\nseed: 2\n',
    /seed: duplicate key at line 3 \(YAML keys must be unique\)/,
  ),
  scenario(
    'a duplicate nested key',
    'service:\n  name: agent\n  name: other\n',
    /service\.name: duplicate key at line 4/,
  ),
  heavy(
    wholeFile(
      '80,000 keys with a duplicate at the end (linear check)',
      () => manyKeys(80_000, 'meta: again\n'),
      /meta: duplicate key at line 80002/,
    ),
  ),
  scenario(
    'a __proto__ key',
    '__proto__: { service: { name: evil } }\n',
    /__proto__: is not allowed as a key/,
  ),
  scenario(
    'a __proto__ label in a listed alert',
    'storm:\n  listed:\n    - { labels: { __proto__: { service: agent } }, at: 10 }\n',
    /storm\.listed\[0\]\.labels\.__proto__: is not allowed as a key/,
  ),
  wholeFile('nesting 100 levels deep', () => nested(100), /deep\.k0\.k1.*: nests deeper than 64 levels/),
  wholeFile('a megabyte of [', () => `x: ${'['.repeat(1_000_000)}\n`, /invalid YAML/),
  wholeFile('an alias bomb', aliasBomb, /invalid YAML: Excessive alias count/),
  wholeFile(
    'invalid UTF-8 in a name',
    () =>
      Buffer.concat([
        Buffer.from(`extends: ${STOCK}\nname: "`),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"\n'),
      ]),
    /name: must be a name/,
  ),
];

const extendsFiles: BadInput[] = [
  wholeFile(
    'extends of a missing file',
    () => 'extends: ./gone.yaml\n',
    /extends: cannot read .*gone\.yaml: no such file/,
  ),
  {
    ...wholeFile('extends that loops', () => '', /extends: extends itself through .*loop-[ab]\.yaml/),
    files: () => ({ 'loop-a.yaml': 'extends: loop-b.yaml\n', 'loop-b.yaml': 'extends: loop-a.yaml\n' }),
    file: 'loop-',
    args: () => ['gate', '--scenario', 'loop-a.yaml'],
  },
  wholeFile('extends itself', () => 'extends: s.yaml\n', /extends: extends itself/),
  wholeFile(
    'extends /dev/zero',
    () => 'extends: /dev/zero\n',
    /extends: cannot read \/dev\/zero: is larger than 1 MiB/,
  ),
  wholeFile(
    'extends an empty path',
    () => 'extends: ""\n',
    /extends: must be the path of another scenario file/,
  ),
  {
    ...wholeFile('extends nine files deep', () => '', /extends: extends more than 8 files deep/),
    files: () =>
      Object.fromEntries(
        Array.from({ length: 10 }, (_, i) => [
          `e${i}.yaml`,
          i === 9 ? `extends: ${STOCK}\n` : `extends: e${i + 1}.yaml\n`,
        ]),
      ),
    file: '.yaml',
    args: () => ['gate', '--scenario', 'e0.yaml'],
  },
  {
    ...wholeFile(
      'a base with broken YAML (named, not the mutation)',
      () => '',
      /base\.yaml: invalid YAML at line 2, column 1: Flow sequence/,
    ),
    files: () => ({ 's.yaml': 'extends: base.yaml\nseed: 1\n', 'base.yaml': 'name: [\n' }),
    file: 'base.yaml',
  },
  {
    ...wholeFile('a base with an unknown field', () => '', /colour: unknown field/),
    files: () => ({ 's.yaml': 'extends: base.yaml\n', 'base.yaml': `extends: ${STOCK}\ncolour: red\n` }),
  },
];

const json = (value: unknown) => () => JSON.stringify(value);

const alertFiles: BadInput[] = [
  {
    ...alerts('a missing file', () => '', /no such file/),
    files: undefined,
    file: 'nope.json',
    args: () => ['correlate', '--alerts', 'nope.json'],
  },
  {
    ...alerts('a directory', () => '', /is a directory/),
    files: () => ({ 'd/x': '' }),
    file: 'd',
    args: () => ['correlate', '--alerts', 'd'],
  },
  {
    ...alerts('/dev/zero', () => '', /invalid JSON/),
    files: undefined,
    file: '/dev/zero',
    args: () => ['correlate', '--alerts', '/dev/zero'],
  },
  alerts('not JSON', () => 'alerts: yes\n', /invalid JSON/),
  alerts('truncated JSON', () => `[${JSON.stringify(alert())},\n{"labels": {"a"`, /invalid JSON/),
  alerts('an object without alerts', json({ status: 'firing' }), /alerts: is required \(a list of alerts\)/),
  alerts(
    'an alert without labels',
    json([alert(), { ...alert(), labels: undefined }]),
    /alerts\[1\]\.labels: is required/,
  ),
  alerts(
    'an alert with no labels at all',
    json([alert({ labels: {} })]),
    /alerts\[0\]\.labels: must have at least one label/,
  ),
  alerts(
    'a label value that is a number',
    json([alert({ labels: { service: 5 } })]),
    /alerts\[0\]\.labels\.service: must be a string \(got the number 5\)/,
  ),
  alerts(
    'a __proto__ label',
    () =>
      '[{"labels": {"__proto__": {"service": "evil"}, "alertname": "A"}, "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2026-01-01T01:00:00Z"}]',
    /alerts\[0\]: "__proto__" is not allowed as a name/,
  ),
  alerts(
    'a startsAt that is not a timestamp',
    json([alert({ startsAt: 'yesterday' })]),
    /alerts\[0\]\.startsAt: must be an RFC3339 timestamp \(got "yesterday"\)/,
  ),
  alerts(
    'an endsAt that is a number',
    json([alert({ endsAt: 1700000000 })]),
    /alerts\[0\]\.endsAt: must be an RFC3339 timestamp \(got 1700000000\)/,
  ),
  alerts(
    'a 2 MiB label value',
    () => JSON.stringify([alert({ labels: { service: 'x'.repeat(2 * 2 ** 20) } })]),
    /alerts\[0\]: is larger than 1 MiB, the most one alert may take/,
  ),
  alerts('runaway nesting', () => `[${'['.repeat(1_200_000)}`, /alerts\[0\]: nests deeper than 16 levels/),
  alerts(
    '2 MiB of JSON before the alerts',
    () => JSON.stringify({ note: 'x'.repeat(2 * 2 ** 20), alerts: [] }),
    /has more than 1 MiB of JSON outside any alert/,
  ),
];

const seriesFiles: BadInput[] = [
  {
    ...series('a missing file', () => '', /no such file/),
    files: undefined,
    file: 'nope.json',
    args: () => ['burn', '--series', 'nope.json'],
  },
  {
    ...series('/dev/zero', () => '', /is larger than 16 MiB/),
    files: undefined,
    file: '/dev/zero',
    args: () => ['burn', '--series', '/dev/zero'],
  },
  series(
    'invalid JSON spread over lines',
    () => '{\n  "steps": [\n    {"minute": 0,,}\n  ]\n}\n',
    /invalid JSON/,
  ),
  series(
    'a request count given as a string',
    json({ steps: [{ minute: 0, requests: '1000', errors: 0 }] }),
    /steps\[0\]\.requests: expected a number, got the string "1000"/,
  ),
  series(
    'a trillion requests a minute',
    json({ steps: [{ minute: 0, requests: 1e12, errors: 0 }] }),
    /steps\[0\]\.requests: must be <= 1,000,000,000 a minute/,
  ),
  series(
    'a huge number',
    () => '{"steps": [{"minute": 0, "requests": 1e400, "errors": 0}]}',
    /steps\[0\]\.requests: expected a number, got Infinity/,
  ),
  series(
    'a __proto__ field',
    () => '{"__proto__": {"until": 5}, "steps": [{"minute": 0, "requests": 1, "errors": 0}]}',
    /__proto__: is not a series field/,
  ),
  series(
    'an until past a year of minutes',
    json({ steps: [{ minute: 0, requests: 1, errors: 0 }], until: 1e7 }),
    /until: runs to minute 10000000, past the longest backtest/,
  ),
];

const playModules: BadInput[] = [
  {
    ...plays('a plays module that does not exist', '', /no such file/),
    files: undefined,
    file: 'none.mjs',
    args: () => ['gate', '--plays', 'none.mjs'],
  },
  plays('a plays module that exports no plays', 'export {};\n', /exports no plays/),
  plays('an export that is not a play', 'export const flagOff = () => 1;\n', /flagOff: is not a play/),
  plays(
    'an export that only looks like actor logic',
    'export const flagOff = { transition: () => 1 };\n',
    /flagOff: is not a play/,
  ),
  plays('a plays module that throws', 'throw new Error("boom");\n', /cannot load the plays module: boom/),
  plays(
    'a plays module with a syntax error',
    'export const = ;\n',
    /cannot load the plays module: .*(Unexpected|token)/i,
  ),
  plays(
    'a top-level await that never settles',
    'await new Promise(() => {});\nexport const x = 1;\n',
    /cannot load the plays module: its top-level await never settles/,
  ),
  plays(
    'a top-level await on an hour-long timer',
    'await new Promise((r) => setTimeout(r, 3_600_000));\nexport const x = 1;\n',
    /cannot load the plays module: its top-level await did not settle within 10 s/,
    { seconds: 40 },
  ),
  {
    ...plays('a plays module that is a directory', '', /cannot load the plays module/),
    files: () => ({ 'dir.mjs/x': '' }),
    file: 'dir.mjs',
    args: () => ['gate', '--plays', 'dir.mjs'],
  },
];

export const fileCases: BadInput[] = [
  ...yamlFiles,
  ...extendsFiles,
  ...alertFiles,
  ...seriesFiles,
  ...playModules,
];
