import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InputError } from '../src/toolkit/errors.js';
import {
  describeValue,
  explainIssue,
  fieldPath,
  shortKey,
  thousands,
  zodToInput,
} from '../src/toolkit/schema-errors.js';

// Each kind of zod issue as the one line a user reads: the field and the message zodToInput gives.

function explain(schema: z.ZodType, input: unknown, what?: string): [string | undefined, string] {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) throw new Error('expected the parse to fail');
  const error = zodToInput(result.error, 'f.yaml', what);
  expect(error).toBeInstanceOf(InputError);
  expect(error.file).toBe('f.yaml');
  return [error.field, error.message];
}
const a = (schema: z.ZodType) => z.object({ a: schema });
const strict = z.strictObject({ a: z.number() });

describe('zodToInput', () => {
  it('an unknown field names the first and lists up to five more, then counts the rest', () => {
    expect(explain(strict, { a: 1, b: 2 })).toEqual(['b', 'unknown field']);
    expect(explain(strict, { a: 1, b: 2, c: 3 })).toEqual(['b', 'unknown field (also c)']);
    expect(explain(strict, { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7 })).toEqual([
      'b',
      'unknown field (also c, d, e, f, g)',
    ]);
    expect(explain(strict, { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8 })).toEqual([
      'b',
      'unknown field (also c, d, e, f, g and 1 more)',
    ]);
    const many = Object.fromEntries(Array.from({ length: 1002 }, (_, i) => [`k${i}`, i]));
    expect(explain(z.strictObject({}), many)).toEqual([
      'k0',
      'unknown field (also k1, k2, k3, k4, k5 and 996 more)',
    ]);
    const long = 'x'.repeat(70);
    expect(explain(strict, { a: 1, b: 1, [long]: 2 })).toEqual([
      'b',
      `unknown field (also ${'x'.repeat(60)}...)`,
    ]);
    expect(explain(z.object({ n: strict }), { n: { a: 1, [long]: 2 } })).toEqual([
      `n.${'x'.repeat(60)}...`,
      'unknown field',
    ]);
  });

  it("a missing field is required, with the type wanted in the file's words", () => {
    expect(explain(a(z.number()), {})).toEqual(['a', 'is required (a number)']);
    expect(explain(a(z.number().int()), {})).toEqual(['a', 'is required (a number)']);
    expect(explain(a(z.string()), {})).toEqual(['a', 'is required (a string)']);
    expect(explain(a(z.boolean()), {})).toEqual(['a', 'is required (true or false)']);
    expect(explain(a(z.object({})), {})).toEqual(['a', 'is required (a mapping)']);
    expect(explain(a(z.record(z.string(), z.number())), {})).toEqual(['a', 'is required (a mapping)']);
    expect(explain(a(z.array(z.string())), {})).toEqual(['a', 'is required (a list)']);
    expect(explain(a(z.bigint()), {})).toEqual(['a', 'is required (a bigint)']);
    expect(explain(a(z.string({ error: 'needs text' })), {})).toEqual(['a', 'is required (a string)']);
  });

  it('a value of the wrong type says what was there', () => {
    expect(explain(a(z.number().int()), { a: 1.5 })).toEqual(['a', 'must be a whole number (got 1.5)']);
    expect(explain(a(z.number().int('whole please')), { a: 1.5 })).toEqual(['a', 'whole please (got 1.5)']);
    expect(explain(a(z.number().int()), { a: 'x' })).toEqual(['a', 'expected a number, got the string "x"']);
    expect(explain(a(z.string({ error: 'needs text' })), { a: 3 })).toEqual(['a', 'needs text (got 3)']);
    expect(explain(a(z.number({ error: 'needs a number' })), { a: 'x'.repeat(41) })).toEqual([
      'a',
      `needs a number (got "${'x'.repeat(40)}...")`,
    ]);
    expect(explain(a(z.string()), { a: 3 })).toEqual(['a', 'expected a string, got the number 3']);
    expect(explain(a(z.string()), { a: null })).toEqual(['a', 'expected a string, got null']);
    expect(explain(a(z.boolean()), { a: 'yes' })).toEqual([
      'a',
      'expected true or false, got the string "yes"',
    ]);
    expect(explain(a(z.number()), { a: Number.NaN })).toEqual(['a', 'expected a number, got NaN']);
    expect(explain(a(z.object({})), { a: [1, 2] })).toEqual(['a', 'expected a mapping, got a list of 2']);
    expect(explain(a(z.array(z.number())), { a: {} })).toEqual(['a', 'expected a list, got a mapping']);
    expect(explain(a(z.record(z.string(), z.number())), { a: 5 })).toEqual([
      'a',
      'expected a mapping, got the number 5',
    ]);
    expect(explain(a(z.bigint()), { a: true })).toEqual(['a', 'expected a bigint, got the boolean true']);
    expect(explain(z.number(), 'x')).toEqual(['(top level)', 'expected a number, got the string "x"']);
  });

  it('a union is explained by the one branch that got furthest, else by its shapes', () => {
    const best = a(z.union([z.object({ x: z.number() }), z.object({ y: z.string(), z: z.string() })]));
    expect(explain(best, { a: { x: 'q' } })).toEqual(['a.x', 'expected a number, got the string "q"']);
    // The other branch fails on fewer issues but is the wrong shape altogether.
    const shape = a(z.union([z.number(), z.object({ y: z.string(), z: z.string() })]));
    expect(explain(shape, { a: {} })).toEqual(['a.y', 'is required (a string)']);
    const keys = a(z.union([z.strictObject({ x: z.number() }), z.object({ y: z.string(), z: z.string() })]));
    expect(explain(keys, { a: { x: 'q', w: 2 } })).toEqual(['a.y', 'is required (a string)']);
    const small = a(z.union([z.string().min(3), z.object({ y: z.string(), z: z.string() })]));
    expect(explain(small, { a: 'ab' })).toEqual(['a', 'must be at least 3 characters long (got "ab")']);
    // Both branches take the string (zod passes a lone such branch's issues on without a union issue).
    const checks = a(z.union([z.string().min(3), z.string().regex(/x/).regex(/y/)]));
    expect(explain(checks, { a: 'ab' })).toEqual(['a', 'must be at least 3 characters long (got "ab")']);
    const tie = a(z.union([z.object({ x: z.number() }), z.object({ y: z.string() })]));
    expect(explain(tie, { a: { x: 'q' } })).toEqual([
      'a',
      'does not match any of the shapes this field takes (got a mapping)',
    ]);
    expect(explain(a(z.union([z.number(), z.string()])), { a: true })).toEqual([
      'a',
      'does not match any of the shapes this field takes (got the boolean true)',
    ]);
    expect(explain(a(z.union([z.number(), z.string()], { error: 'number or text' })), { a: true })).toEqual([
      'a',
      'number or text (got the boolean true)',
    ]);
    const nested = z.union([
      a(z.union([z.object({ p: z.number() }), z.object({ q: z.string(), r: z.string() })])),
      z.string(),
    ]);
    expect(explain(nested, { a: { p: 'x' } })).toEqual(['a.p', 'expected a number, got the string "x"']);
  });

  it('a value not among those allowed lists them; a missing one is required', () => {
    expect(explain(a(z.enum(['p', 'q'])), { a: 'r' })).toEqual(['a', 'must be one of "p", "q" (got "r")']);
    expect(explain(a(z.enum(['p', 'q'])), {})).toEqual(['a', 'is required (one of "p", "q")']);
    expect(explain(a(z.literal('v', { error: 'must be v' })), { a: 'w' })).toEqual([
      'a',
      'must be v (got "w")',
    ]);
    expect(explain(a(z.literal(3)), { a: 4 })).toEqual(['a', 'must be one of 3 (got 4)']);
  });

  it('a bound says its size in the words of the list, text or number it bounds', () => {
    expect(explain(a(z.array(z.number()).min(2)), { a: [1] })).toEqual([
      'a',
      'must list at least 2 items (got a list of 1)',
    ]);
    expect(explain(a(z.array(z.number()).min(1)), { a: [] })).toEqual([
      'a',
      'must list at least 1 item (got a list of 0)',
    ]);
    expect(explain(a(z.array(z.number()).max(1)), { a: [1, 2] })).toEqual([
      'a',
      'must list at most 1 item (got a list of 2)',
    ]);
    expect(explain(a(z.set(z.number()).max(1)), { a: new Set([1, 2]) })).toEqual([
      'a',
      'must list at most 1 item (got a mapping)',
    ]);
    expect(explain(a(z.string().min(1)), { a: '' })).toEqual(['a', 'must not be empty (got "")']);
    expect(explain(a(z.string().min(3)), { a: 'ab' })).toEqual([
      'a',
      'must be at least 3 characters long (got "ab")',
    ]);
    expect(explain(a(z.string().max(1)), { a: 'ab' })).toEqual([
      'a',
      'must be at most 1 characters long (got "ab")',
    ]);
    expect(explain(a(z.string().max(2)), { a: 'x'.repeat(50) })).toEqual([
      'a',
      `must be at most 2 characters long (got "${'x'.repeat(40)}...")`,
    ]);
    expect(explain(a(z.number().min(1)), { a: 0 })).toEqual(['a', 'must be >= 1 (got 0)']);
    expect(explain(a(z.number().gt(1)), { a: 1 })).toEqual(['a', 'must be > 1 (got 1)']);
    expect(explain(a(z.number().max(1)), { a: 2 })).toEqual(['a', 'must be <= 1 (got 2)']);
    expect(explain(a(z.number().lt(1)), { a: 1 })).toEqual(['a', 'must be < 1 (got 1)']);
    expect(explain(a(z.number().max(5, 'at most five')), { a: 6 })).toEqual(['a', 'at most five (got 6)']);
    expect(explain(a(z.array(z.number()).min(2, 'two please')), { a: [] })).toEqual([
      'a',
      'two please (got a list of 0)',
    ]);
  });

  it("keeps a refinement's own message, and zod's for the rest", () => {
    expect(explain(a(z.number().max(5, 'is Invalid past five')), { a: 6 })).toEqual([
      'a',
      'is Invalid past five (got 6)',
    ]);
    expect(explain(a(z.number().refine(() => false, 'no good')), { a: 6 })).toEqual(['a', 'no good (got 6)']);
    expect(explain(a(z.any().refine(() => false, 'no good')), { a: { b: 1 } })).toEqual([
      'a',
      'no good (got a mapping)',
    ]);
    expect(explain(a(z.string().regex(/^x$/)), { a: 'y' })).toEqual([
      'a',
      'Invalid string: must match pattern /^x$/ (got "y")',
    ]);
  });

  it('paths: list indices in brackets, long keys cut, the top level named', () => {
    const long = 'k'.repeat(70);
    const schema = z.object({ l: z.array(z.object({ [long]: z.number() })) });
    expect(explain(schema, { l: [{ [long]: 1 }, {}] })).toEqual([
      `l[1].${'k'.repeat(60)}...`,
      'is required (a number)',
    ]);
    expect(fieldPath([])).toBe('');
    expect(fieldPath([0, 'a', 2, 'b'])).toBe('[0].a[2].b');
    expect(fieldPath(['a', 'b'])).toBe('a.b');
    expect(fieldPath([Symbol.for('s')])).toBe('Symbol(s)');
    expect(shortKey('k'.repeat(60))).toBe('k'.repeat(60));
    expect(shortKey('k'.repeat(61))).toBe(`${'k'.repeat(60)}...`);
  });

  it('a parse with no issue is still refused, in the words of what was read', () => {
    const none = zodToInput(new z.ZodError([]), 'f.yaml', 'series');
    expect([none.message, none.file, none.field]).toEqual(['invalid series', 'f.yaml', undefined]);
    expect(zodToInput(new z.ZodError([]), 'f.yaml').message).toBe('invalid input');
    expect(explain(z.number(), 'x', 'thing')).toEqual([
      '(top level)',
      'expected a number, got the string "x"',
    ]);
  });

  it("explainIssue keeps the issue's path and adds the unknown key to it", () => {
    const bare = (issue: object) => explainIssue(issue as unknown as z.core.$ZodIssue);
    expect(bare({ code: 'custom', path: ['q'], message: 'no good' })).toEqual({
      path: ['q'],
      message: 'no good',
    });
    expect(bare({ code: 'custom', path: [], message: 'm', input: undefined })).toEqual({
      path: [],
      message: 'm',
    });
    expect(
      bare({ code: 'too_big', origin: 'number', maximum: 5, inclusive: true, path: [], message: 'Too big' }),
    ).toEqual({ path: [], message: 'must be <= 5' });
    const issue = {
      code: 'unrecognized_keys',
      keys: [],
      path: ['p'],
      message: 'Unrecognized key',
      input: {},
    };
    expect(explainIssue(issue as unknown as z.core.$ZodIssue)).toEqual({
      path: ['p', ''],
      message: 'unknown field',
    });
  });
});

describe('describeValue and thousands', () => {
  it('names each kind of value as a file would hold it', () => {
    expect(describeValue(null)).toBe('null');
    expect(describeValue(3)).toBe('the number 3');
    expect(describeValue(-0.5)).toBe('the number -0.5');
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue(Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(describeValue(Number.NEGATIVE_INFINITY)).toBe('-Infinity');
    expect(describeValue('x')).toBe('the string "x"');
    expect(describeValue('q'.repeat(40))).toBe(`the string "${'q'.repeat(40)}"`);
    expect(describeValue('q'.repeat(41))).toBe(`the string "${'q'.repeat(40)}..."`);
    expect(describeValue('a"b')).toBe('the string "a\\"b"');
    expect(describeValue(true)).toBe('the boolean true');
    expect(describeValue(false)).toBe('the boolean false');
    expect(describeValue([])).toBe('a list of 0');
    expect(describeValue([1, 2, 3])).toBe('a list of 3');
    expect(describeValue({})).toBe('a mapping');
    expect(describeValue(undefined)).toBe('a undefined');
    expect(describeValue(1n)).toBe('a bigint');
  });

  it('groups digits by three', () => {
    expect(thousands(0)).toBe('0');
    expect(thousands(999)).toBe('999');
    expect(thousands(1000)).toBe('1,000');
    expect(thousands(43_200)).toBe('43,200');
    expect(thousands(1_000_000)).toBe('1,000,000');
    expect(thousands(1_234_567_890)).toBe('1,234,567,890');
  });
});
