import { describe, expect, it } from 'vitest';
import { InputError } from '../src/toolkit/errors.js';
import { MAX_YAML_DEPTH, parseYamlMapping } from '../src/toolkit/yaml.js';

// parseYamlMapping's refusals, each as the one line a user reads: the message, the file, the field.

function refusal(text: string, shape?: string): { file?: string; field?: string; message: string } {
  try {
    parseYamlMapping(text, 'f.yaml', shape);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    const { file, field, message } = error as InputError;
    return { file, field, message };
  }
  throw new Error('expected an InputError');
}
const at = (message: string, field?: string) => ({ file: 'f.yaml', field, message });

/** `k0:` / `  k1:` ... `n` mappings deep. */
const deepMap = (n: number) =>
  `${Array.from({ length: n }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n')} 1`;
const aliases = (n: number) => `a: &x [1]\nb: [${Array.from({ length: n }, () => '*x').join(', ')}]`;

describe('parseYamlMapping', () => {
  it('returns the mapping, keys as strings', () => {
    expect(parseYamlMapping('a: 1\nb: [1, {c: 2}]\n1: x', 'f.yaml')).toEqual({
      1: 'x',
      a: 1,
      b: [1, { c: 2 }],
    });
  });

  it('refuses what is not a mapping, in the words of the shape asked for', () => {
    expect(refusal('- 1', 'a thing')).toEqual(at('must be a thing'));
    expect(refusal('3')).toEqual(at('must be a YAML mapping'));
    expect(refusal('')).toEqual(at('must be a YAML mapping'));
    expect(refusal('null')).toEqual(at('must be a YAML mapping'));
  });

  it("names the line and column of the parser's first error, without its excerpt", () => {
    expect(refusal('a: [1, 2')).toEqual(
      at(
        'invalid YAML at line 1, column 9: Flow sequence in block collection must be sufficiently indented and end with a ]',
      ),
    );
    expect(refusal('a: 1\n b: 2')).toEqual(
      at('invalid YAML at line 1, column 4: Nested mappings are not allowed in compact mappings'),
    );
    expect(refusal('a:\n  b: 1\n  c: [1,\n')).toEqual(
      at(
        'invalid YAML at line 4, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
      ),
    );
    expect(refusal(`${'\n'.repeat(11)}x:          !foo 1`)).toEqual(
      at(
        'invalid YAML at line 12, column 13: Unresolved tag: !foo (scenarios are plain YAML: no tags such as !include)',
      ),
    );
    expect(refusal('x: &k a\n*k : 1\na: 2')).toEqual(
      at('invalid YAML at line 2, column 1: With stringKeys, all keys must be strings'),
    );
  });

  it('takes a warning for an error: an unknown tag, an unknown directive', () => {
    expect(refusal('a: !include x.yaml')).toEqual(
      at(
        'invalid YAML at line 1, column 4: Unresolved tag: !include (scenarios are plain YAML: no tags such as !include)',
      ),
    );
    expect(refusal('%FOO bar\n---\na: 1')).toEqual(
      at('invalid YAML at line 1, column 1: Unknown directive %FOO'),
    );
  });

  it('refuses a duplicate key at any depth, naming the line of the second and its field', () => {
    expect(refusal('a: 1\nb: 2\na: 3')).toEqual(
      at('duplicate key at line 3 (YAML keys must be unique)', 'a'),
    );
    expect(refusal('"a": 1\na: 2')).toEqual(at('duplicate key at line 2 (YAML keys must be unique)', 'a'));
    expect(refusal('x:\n  - y: 1\n    y: 2')).toEqual(
      at('duplicate key at line 3 (YAML keys must be unique)', 'x[0].y'),
    );
    expect(refusal('x:\n  - 1\n  - [0, {y: 1, y: 2}]')).toEqual(
      at('duplicate key at line 3 (YAML keys must be unique)', 'x[1][1].y'),
    );
    const key = 'k'.repeat(70);
    expect(refusal(`a:\n  ${key}: 1\n  ${key}: 2`)).toEqual(
      at('duplicate key at line 3 (YAML keys must be unique)', `a.${'k'.repeat(60)}...`),
    );
    // The same key in two mappings is no duplicate.
    expect(parseYamlMapping('a: {k: 1}\nb: {k: 2}\nc: [{k: 3}, {k: 4}]', 'f.yaml')).toEqual({
      a: { k: 1 },
      b: { k: 2 },
      c: [{ k: 3 }, { k: 4 }],
    });
  });

  it('refuses __proto__ as a key, at the top or nested', () => {
    expect(refusal('a:\n  __proto__: { s: 1 }')).toEqual(at('is not allowed as a key', 'a.__proto__'));
    expect(refusal('__proto__: 1')).toEqual(at('is not allowed as a key', '__proto__'));
  });

  it(`takes ${MAX_YAML_DEPTH} levels of nesting and refuses one more, its path cut at 60 characters`, () => {
    expect(MAX_YAML_DEPTH).toBe(64);
    let inner: unknown = parseYamlMapping(deepMap(64), 'f.yaml');
    for (let i = 0; i < 63; i++) inner = (inner as Record<string, unknown>)[`k${i}`];
    expect(inner).toEqual({ k63: 1 });
    expect(refusal(deepMap(65))).toEqual(
      at('nests deeper than 64 levels', 'k0.k1.k2.k3.k4.k5.k6.k7.k8.k9.k10.k11.k12.k13.k14.k15.k16.k1...'),
    );
    const lists = `a:\n${Array.from({ length: 70 }, (_, i) => `${'  '.repeat(i + 1)}-`).join('\n')} 1`;
    expect(refusal(lists)).toEqual(at('nests deeper than 64 levels', `a${'[0]'.repeat(19)}[0...`));
    // 32 flow pairs of [ and { are 64 brackets, under the lexer's bound, but 65 levels with the top.
    expect(refusal(`a: ${'[{b: '.repeat(32)}1${'}]'.repeat(32)}`)).toEqual(
      at('nests deeper than 64 levels', `a${'[0].b'.repeat(11)}[0]....`),
    );
  });

  it('refuses [ and { nested past the bound before parsing, whether the document opens with one or not', () => {
    const flow = at('invalid YAML: [ and { nest deeper than 64 levels');
    expect(refusal(`${'['.repeat(65)}${']'.repeat(65)}`)).toEqual(flow);
    expect(refusal(`${'{'.repeat(65)}${'}'.repeat(65)}`)).toEqual(flow);
    expect(refusal(`a: ${'['.repeat(65)}${']'.repeat(65)}`)).toEqual(flow);
    expect(refusal(`a: ${'{b: '.repeat(65)}1${'}'.repeat(65)}`)).toEqual(flow);
    expect(refusal(`a: ${'[{b: '.repeat(33)}1${'}]'.repeat(33)}`)).toEqual(flow);
  });

  it('takes many brackets that do not nest deep, and brackets inside a string', () => {
    // 64 braces deep at the top is 64 levels (the top mapping is the first); one more [ has the lexer count them.
    const deepest = `{k: [], ${'a: {'.repeat(63)}a: 1${'}'.repeat(63)}}`;
    let inner: unknown = parseYamlMapping(deepest, 'f.yaml');
    expect((inner as Record<string, unknown>).k).toEqual([]);
    for (let i = 0; i < 63; i++) inner = (inner as Record<string, unknown>).a;
    expect(inner).toEqual({ a: 1 });
    expect(parseYamlMapping(`a: ${'['.repeat(63)}${']'.repeat(63)}`, 'f.yaml')).toEqual({
      a: JSON.parse(`${'['.repeat(63)}${']'.repeat(63)}`),
    });
    const wide = `a: [${'[[]],'.repeat(40)}]\nb: {${Array.from({ length: 40 }, (_, i) => `k${i}: {}`).join(', ')}}`;
    const parsed = parseYamlMapping(wide, 'f.yaml');
    expect(parsed.a).toEqual(Array.from({ length: 40 }, () => [[]]));
    expect(Object.keys(parsed.b as object)).toHaveLength(40);
    const braces = `a: [${'{}, '.repeat(70)}{}]`;
    expect((parseYamlMapping(braces, 'f.yaml').a as unknown[]).length).toBe(71);
    expect(parseYamlMapping(`a: "${'['.repeat(100)}"`, 'f.yaml')).toEqual({ a: '['.repeat(100) });
  });

  it('refuses an anchor expanded past the alias limit, as invalid YAML', () => {
    expect(parseYamlMapping(aliases(99), 'f.yaml').b).toHaveLength(99);
    expect(refusal(aliases(100))).toEqual(
      at('invalid YAML: Excessive alias count indicates a resource exhaustion attack'),
    );
  });
});
