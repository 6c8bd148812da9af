import { type BadInput, flags } from './case.js';

/** Flags and arguments: each error names the flag (and the path, when the flag gave one). */
export const flagCases: BadInput[] = [
  flags('an unknown flag', () => ['gate', '--no-such-flag'], /unknown option '--no-such-flag'/),
  flags('an unknown command', () => ['frobnicate'], /unknown command 'frobnicate'/),
  // gate takes scenario files as arguments: a word that names none is a file that is not there.
  flags('a scenario argument that is no file', () => ['gate', 'extra'], /extra: no such file/),
  flags(
    'an extra argument',
    () => ['drill', 'extra'],
    /unexpected argument "extra" \(drill takes options only/,
  ),
  flags(
    '--scenario without a value',
    () => ['gate', '--scenario'],
    /option '--scenario <file>' argument missing/,
  ),
  flags(
    'an empty --scenario',
    () => ['gate', '--scenario', ''],
    /--scenario: must be a file path \(got an empty string\)/,
  ),
  flags('an empty --plays', () => ['gate', '--plays', ''], /--plays: must be a file path/),
  flags(
    'storm --alerts -1',
    () => ['storm', '--alerts', '-1'],
    /--alerts: must be in \[0, 100000000\] \(got "-1"\)/,
  ),
  flags(
    'storm --alerts past a hundred million',
    () => ['storm', '--alerts', '1e9'],
    /--alerts: must be in \[0, 100000000\]/,
  ),
  flags(
    'storm --out into a missing folder',
    () => ['storm', '--out', 'no/such/dir/s.json'],
    /--out: no such directory: no\/such\/dir/,
    's.json',
  ),
  flags(
    'storm --out under a file',
    () => ['storm', '--out', '/etc/passwd/s.json'],
    /--out: \/etc\/passwd is not a directory/,
    '/etc/passwd/s.json',
  ),
  flags('storm --out a folder', () => ['storm', '--out', '.'], /--out: is a directory/),
  flags(
    'storm --out with a name too long for the file system',
    () => ['storm', '--out', `${'a'.repeat(300)}.json`],
    /--out: cannot write: the name is too long \(ENAMETOOLONG\)/,
    'aaaa.json',
  ),
  flags('an empty storm --out', () => ['storm', '--out', ''], /--out: must be a file path/),
  flags(
    'export --machine nope',
    () => ['export', '--machine', 'nope'],
    /--machine: must be one of incident, release \(got "nope"\)/,
  ),
  flags(
    'export --format png',
    () => ['export', '--machine', 'incident', '--format', 'png'],
    /--format: must be one of mermaid, dot, svg, json \(got "png"\)/,
  ),
  flags(
    'export --out under a file',
    () => ['export', '--machine', 'incident', '--out', '/etc/passwd/x.mmd'],
    /\/etc\/passwd\/x\.mmd: --out: \/etc\/passwd is not a directory/,
    '/etc/passwd/x.mmd',
  ),
  flags(
    'export --out into a missing folder',
    () => ['export', '--machine', 'release', '--format', 'svg', '--out', 'gone/x.svg'],
    /--out: no such directory: gone/,
    'gone/x.svg',
  ),
  flags(
    'report --out under a file',
    () => ['report', '--out', '/etc/passwd/r.html'],
    /--out: \/etc\/passwd is not a directory/,
    '/etc/passwd/r.html',
  ),
  flags('report --out a folder', () => ['report', '--out', '.'], /--out: is a directory/),
  flags(
    'report --scenario /dev/zero',
    () => ['report', '--scenario', '/dev/zero'],
    /is larger than 1 MiB/,
    '/dev/zero',
  ),
  flags(
    'paths --machine nope',
    () => ['paths', '--machine', 'nope'],
    /--machine: must be one of incident, release \(got "nope"\)/,
  ),
  flags('burn without --series', () => ['burn'], /required option '--series <file>' not specified/),
  flags(
    'burn --to 1e9',
    () => ['burn', '--series', 'x.json', '--to', '1e9'],
    /--to: must be in \[0, 527040\]/,
  ),
  flags('an empty --alerts', () => ['correlate', '--alerts', ''], /--alerts: must be a file path/),
  flags(
    'an empty --group-by',
    () => ['correlate', '--alerts', 'x.json', '--group-by', ','],
    /--group-by: must name at least one label/,
  ),
  flags(
    '--group-by __proto__',
    () => ['correlate', '--alerts', 'x.json', '--group-by', 'service,__proto__'],
    /--group-by: "__proto__" is not allowed as a label name/,
  ),
  flags('--gap -1', () => ['correlate', '--alerts', 'x.json', '--gap', '-1'], /--gap: must be in \[0, inf\]/),
  flags('inspect --port 70000', () => ['inspect', '--port', '70000'], /--port: must be in \[0, 65535\]/),
  flags(
    'inspect --stately-url that is no URL',
    () => ['inspect', '--stately', '--stately-url', 'not a url'],
    /--stately-url: not a URL \(got "not a url"\)/,
  ),
  flags(
    'inspect on a port in use',
    ({ busyPort }) => ['inspect', '--port', String(busyPort)],
    /--port: port \d+ is already in use on 127\.0\.0\.1 \(pass --port 0 for a free one\)/,
  ),
  flags(
    'inspect --stately on a port in use',
    ({ busyPort }) => ['inspect', '--stately', '--port', String(busyPort)],
    /--port: port \d+ is already in use on 127\.0\.0\.1/,
  ),
  flags(
    'inspect with a missing scenario',
    () => ['inspect', '--scenario', 'nope.yaml'],
    /no such file/,
    'nope.yaml',
  ),
];
