import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, inFile } from '../src/toolkit/errors.js';
import {
  MAX_SCENARIO_BYTES,
  MAX_SERIES_BYTES,
  mebibytes,
  readJsonFile,
  readUserFile,
  unreadable,
} from '../src/toolkit/files.js';
import { createRng } from '../src/toolkit/rng.js';
import { parseSeries } from '../src/toolkit/series.js';
import { mentions, wordsOf } from '../src/toolkit/words.js';

// The toolkit's small support files, by value: errors, files, rng, words, series.

function thrown(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}
const said = (error: InputError) => [error.file, error.field, error.message];

describe('InputError', () => {
  it('is an Error named InputError that keeps its file and field', () => {
    const error = new InputError('must be between 0 and 1', 'x.yaml', 'slo.objective');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InputError');
    expect(said(error)).toEqual(['x.yaml', 'slo.objective', 'must be between 0 and 1']);
  });

  it('formats as one line, leaving out what it lacks', () => {
    expect(new InputError('m', 'f.yaml', 'a.b').format()).toBe('runbook: f.yaml: a.b: m');
    expect(new InputError('m', 'f.yaml').format()).toBe('runbook: f.yaml: m');
    expect(new InputError('m', undefined, '--to').format()).toBe('runbook: --to: m');
    expect(new InputError('m').format()).toBe('runbook: m');
    expect(new InputError('m', '', '').format()).toBe('runbook: m');
    expect(new InputError('bad\n\n  a: 1\r\n   ^ here', 'f').format()).toBe('runbook: f: bad a: 1 ^ here');
    expect(new InputError('a \n b\rc', 'f').format()).toBe('runbook: f: a b c');
  });

  it("inFile names the file, keeping an InputError's own file and field", () => {
    expect(said(inFile('f', new InputError('m', 'g', 'x')))).toEqual(['g', 'x', 'm']);
    expect(said(inFile('f', new InputError('m', undefined, 'x')))).toEqual(['f', 'x', 'm']);
    expect(said(inFile('f', new Error('boom')))).toEqual(['f', undefined, 'boom']);
    expect(said(inFile('f', 'text'))).toEqual(['f', undefined, 'text']);
    expect(said(inFile('f', 42))).toEqual(['f', undefined, '42']);
    expect(inFile('f', new TypeError('t'))).toBeInstanceOf(InputError);
  });
});

describe('files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-support-edges-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('sizes in MiB to a tenth', () => {
    expect(MAX_SCENARIO_BYTES).toBe(1_048_576);
    expect(MAX_SERIES_BYTES).toBe(16_777_216);
    expect(mebibytes(MAX_SCENARIO_BYTES)).toBe('1 MiB');
    expect(mebibytes(MAX_SERIES_BYTES)).toBe('16 MiB');
    expect(mebibytes(1_572_864)).toBe('1.5 MiB');
    expect(mebibytes(1000)).toBe('0 MiB');
    expect(mebibytes(110_000)).toBe('0.1 MiB');
  });

  it('says why a file cannot be read, in a phrase', () => {
    expect(said(unreadable('f', 'ENOENT'))).toEqual(['f', undefined, 'no such file']);
    expect(said(unreadable('f', 'EISDIR'))).toEqual(['f', undefined, 'is a directory']);
    expect(said(unreadable('f', 'EACCES'))).toEqual(['f', undefined, 'cannot read (EACCES)']);
    expect(said(unreadable('f', undefined))).toEqual(['f', undefined, 'cannot read (undefined)']);
  });

  it('reads a file whole, up to and at its limit', () => {
    expect(readUserFile(file('a.txt', 'héllo\n'))).toBe('héllo\n');
    expect(readUserFile(file('empty.txt', ''))).toBe('');
    expect(readUserFile(file('ten.txt', '0123456789'), 10)).toBe('0123456789');
    const big = 'x'.repeat(200_000);
    expect(readUserFile(file('big.txt', big))).toBe(big);
  });

  it('refuses a missing file, a directory, and a file or device past the limit', () => {
    expect(said(thrown(() => readUserFile(join(dir, 'none.txt'))))).toEqual([
      join(dir, 'none.txt'),
      undefined,
      'no such file',
    ]);
    expect(said(thrown(() => readUserFile(dir)))).toEqual([dir, undefined, 'is a directory']);
    const eleven = file('eleven.txt', '0123456789a');
    expect(said(thrown(() => readUserFile(eleven, 10)))).toEqual([
      eleven,
      undefined,
      'is larger than 0 MiB, the most this reads',
    ]);
    const over = file('over.txt', Buffer.alloc(MAX_SCENARIO_BYTES + 1, 'x'));
    expect(said(thrown(() => readUserFile(over)))).toEqual([
      over,
      undefined,
      'is larger than 1 MiB, the most this reads',
    ]);
    expect(said(thrown(() => readUserFile('/dev/zero', 1000)))).toEqual([
      '/dev/zero',
      undefined,
      'is larger than 0 MiB, the most this reads',
    ]);
    expect(readUserFile('/dev/null', 10)).toBe('');
  });

  it('closes what it opens, read or refused', () => {
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    const ok = file('closed.txt', 'x');
    const tooBig = file('closed-big.txt', 'xx');
    for (let i = 0; i < 20; i++) {
      readUserFile(ok);
      expect(() => readUserFile(tooBig, 1)).toThrow(InputError);
      expect(() => readUserFile(dir)).toThrow(InputError);
    }
    expect(open()).toBe(before);
  });

  it('reads JSON, and names invalid JSON as such', () => {
    expect(readJsonFile(file('ok.json', '{"a": [1, 2]}'))).toEqual({ a: [1, 2] });
    const bad = file('bad.json', '{"a": ');
    const error = thrown(() => readJsonFile(bad));
    expect([error.file, error.field]).toEqual([bad, undefined]);
    expect(error.message).toMatch(/^invalid JSON: /);
    expect(error.message).toBe(
      `invalid JSON: ${(() => {
        try {
          JSON.parse('{"a": ');
        } catch (e) {
          return (e as Error).message;
        }
      })()}`,
    );
    expect(said(thrown(() => readJsonFile(file('long.json', '[1, 2, 3]'), 4)))).toEqual([
      join(dir, 'long.json'),
      undefined,
      'is larger than 0 MiB, the most this reads',
    ]);
  });
});

describe('createRng', () => {
  it('gives mulberry32 for a seed, the same sequence every time', () => {
    const rng = createRng(42);
    expect([
      rng.next(),
      rng.next(),
      rng.next(),
      rng.int(10),
      rng.int(1000),
      rng.pick(['a', 'b', 'c']),
    ]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 6, 174, 'b']);
    const zero = createRng(0);
    expect([zero.next(), zero.next()]).toEqual([0.26642920868471265, 0.0003297457005828619]);
  });

  it('reads a seed as a 32-bit unsigned integer', () => {
    const first = (seed: number) => {
      const rng = createRng(seed);
      return [rng.next(), rng.next()];
    };
    expect(first(2 ** 32)).toEqual(first(0));
    expect(first(-1)).toEqual([0.8964226141106337, 0.189478256739676]);
    expect(first(4_294_967_295)).toEqual(first(-1));
  });

  it('draws in range, every item reachable, and refuses an empty pick', () => {
    const rng = createRng(7);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).toBe(true);
      const n = rng.int(3);
      expect([0, 1, 2]).toContain(n);
      seen.add(rng.pick(['a', 'b', 'c']));
    }
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
    expect(() => rng.pick([])).toThrow(new RangeError('pick from an empty list'));
    expect(createRng(1).pick([0])).toBe(0);
  });
});

describe('words', () => {
  it('lower-cases and splits on anything but letters and digits, dropping empty words', () => {
    expect(wordsOf("Data-Loss, O'Brien's ÉTÉ 42x  ")).toEqual([
      'data',
      'loss',
      'o',
      'brien',
      's',
      'été',
      '42x',
    ]);
    expect(wordsOf('')).toEqual([]);
    expect(wordsOf('--')).toEqual([]);
    expect(wordsOf('  a')).toEqual(['a']);
  });

  it('mentions a phrase only as consecutive whole words', () => {
    const words = wordsOf('We lost data: data loss in the EU region');
    expect(mentions(words, 'Data-Loss')).toBe(true);
    expect(mentions(words, 'data region')).toBe(false);
    expect(mentions(words, 'los')).toBe(false);
    expect(mentions(words, 'EU region')).toBe(true);
    expect(mentions(words, 'we')).toBe(true);
    expect(mentions(words, 'region extra')).toBe(false);
    expect(mentions(words, '--')).toBe(false);
    expect(mentions([], 'a')).toBe(false);
    expect(mentions(['a'], 'a')).toBe(true);
    expect(mentions(['a', 'b'], 'a b')).toBe(true);
  });
});

describe('parseSeries', () => {
  const step = (minute: unknown, requests: unknown = 1, errors: unknown = 0) => ({
    minute,
    requests,
    errors,
  });
  const refusal = (data: unknown) => said(thrown(() => parseSeries(data, 's.json')));

  it('returns the steps and until it was given', () => {
    expect(parseSeries({ steps: [step(5)], until: 5 }, 's.json')).toEqual({ steps: [step(5)], until: 5 });
    expect(parseSeries({ steps: [step(5, 1, 1), step(6, 1e9)] }, 's.json')).toEqual({
      steps: [step(5, 1, 1), step(6, 1e9)],
    });
  });

  it('names the field of the first problem, in the words of a series', () => {
    expect(refusal(null)).toEqual(['s.json', undefined, 'expected a mapping, got null']);
    expect(refusal({})).toEqual(['s.json', 'steps', 'is required (a list)']);
    expect(refusal({ steps: [] })).toEqual(['s.json', 'steps', 'must have at least 1 step']);
    expect(refusal({ steps: [step(5)], untill: 4 })).toEqual([
      's.json',
      'untill',
      'is not a series field (expected steps, until; a step has minute, requests, errors)',
    ]);
    expect(refusal({ steps: [{ ...step(5), error: 1 }] })).toEqual([
      's.json',
      'steps[0].error',
      'is not a series field (expected steps, until; a step has minute, requests, errors)',
    ]);
    expect(refusal({ steps: [step(5, 2e9)] })).toEqual([
      's.json',
      'steps[0].requests',
      'must be <= 1,000,000,000 a minute (got 2000000000)',
    ]);
    expect(refusal({ steps: [step(1.5)] })).toEqual([
      's.json',
      'steps[0].minute',
      'must be a whole number (got 1.5)',
    ]);
    expect(refusal({ steps: [step(-1)] })).toEqual(['s.json', 'steps[0].minute', 'must be >= 0 (got -1)']);
    expect(refusal({ steps: [step(0, -1)] })).toEqual([
      's.json',
      'steps[0].requests',
      'must be >= 0 (got -1)',
    ]);
    expect(refusal({ steps: [step('x'), step(0)] })).toEqual([
      's.json',
      'steps[0].minute',
      'expected a number, got the string "x"',
    ]);
  });

  it('refuses more errors than requests, minutes that do not increase, and an until before the last step', () => {
    expect(refusal({ steps: [step(0, 1, 2)] })).toEqual([
      's.json',
      'steps[0].errors',
      'must not exceed requests (1) (got 2)',
    ]);
    expect(refusal({ steps: [step(0), step(0)] })).toEqual([
      's.json',
      'steps[1].minute',
      "must be greater than the previous step's minute (0) (got 0)",
    ]);
    expect(refusal({ steps: [step(1), step(3), step(2)] })).toEqual([
      's.json',
      'steps[2].minute',
      "must be greater than the previous step's minute (3) (got 2)",
    ]);
    expect(refusal({ steps: [step(5)], until: 4 })).toEqual([
      's.json',
      'until',
      "must not be before the last step's minute (5) (got 4)",
    ]);
    expect(refusal({ steps: [step(0), step(9)], until: 0 })).toEqual([
      's.json',
      'until',
      "must not be before the last step's minute (9) (got 0)",
    ]);
    // At the bounds: a first step at minute 0, errors equal to requests, until at the last step.
    expect(parseSeries({ steps: [step(0, 3, 3), step(1)], until: 1 }, 's.json')).toEqual({
      steps: [step(0, 3, 3), step(1)],
      until: 1,
    });
    expect(refusal({ steps: [step(5)], until: 'x' })).toEqual([
      's.json',
      'until',
      'expected a number, got the string "x"',
    ]);
  });
});
