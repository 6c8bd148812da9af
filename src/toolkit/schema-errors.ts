import type { z } from 'zod';
import { InputError } from './errors.js';

/**
 * Zod's issues turned into the one line a user reads: the field, what was found there and what was
 * needed. Zod's own wording names its types ("expected int, received NaN"); this speaks the file's.
 * Schemas must be parsed with `{ reportInput: true }`, or there is nothing to say was found.
 */

/**
 * `1,000,000`: bounds read best grouped. Not toLocaleString: its first call loads ICU's number
 * formats, a tenth of a second on every run that states a bound.
 */
export const thousands = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** A key as a field path shows it: a runaway key (a megabyte of one) is cut short. */
export const shortKey = (key: PropertyKey) => {
  const text = String(key);
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
};

/** `releases[2].name` from a zod path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) =>
      typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${shortKey(key)}` : shortKey(key),
    '',
  );
}

/** A string as the file might have it, cut short when long. */
const quote = (text: string) =>
  text.length > 40 ? `${JSON.stringify(text.slice(0, 40)).slice(0, -1)}..."` : JSON.stringify(text);

/** What a value is, in the file's words: `the string "1000"`, `NaN`, `a list of 3`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') {
    // YAML's .nan and .inf, or a JSON number too big for a double.
    if (!Number.isFinite(value)) return String(value);
    return `the number ${value}`;
  }
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};

const hasInput = (issue: z.core.$ZodIssue) => 'input' in issue && issue.input !== undefined;
/** `(got 1.5)`, `(got "x")`: a value of the right type needs no type named. */
function got(issue: z.core.$ZodIssue): string {
  if (!hasInput(issue)) return '';
  const { input } = issue;
  const shown =
    typeof input === 'number'
      ? String(input)
      : typeof input === 'string'
        ? quote(input)
        : describeValue(input);
  return ` (got ${shown})`;
}

/** Zod's default messages start "Invalid input" or "Too big"; a schema's own message is kept. */
const isDefault = (message: string) => /^(Invalid|Too (big|small)|Expected|Unrecognized)/.test(message);

/**
 * A union failed: the branch that got furthest (fewest problems, none of them "wrong shape
 * altogether") says what is wrong; when no branch stands out, the union's own message describes
 * the shapes it takes.
 */
function unionIssue(issue: z.core.$ZodIssueInvalidUnion): z.core.$ZodIssue | undefined {
  const shapeMismatch = (issues: z.core.$ZodIssue[]) =>
    issues.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'unrecognized_keys'));
  const candidates = issue.errors.filter((branch) => branch.length > 0 && !shapeMismatch(branch));
  const fewest = Math.min(...candidates.map((branch) => branch.length));
  const best = candidates.filter((branch) => branch.length === fewest);
  if (best.length === 1) return best[0]?.[0];
  return undefined;
}

/** What a bound says when the schema gave it no message of its own. */
function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  if (issue.origin === 'array' || issue.origin === 'set')
    return `must list ${small ? 'at least' : 'at most'} ${bound} item${bound === 1 ? '' : 's'}`;
  if (issue.origin === 'string') {
    if (small && bound === 1) return 'must not be empty';
    return `must be ${small ? 'at least' : 'at most'} ${bound} characters long`;
  }
  return `must be ${small ? '>' : '<'}${inclusive ? '=' : ''} ${bound}`;
}

/** One issue as `{ path, message }`; unions are resolved to the branch that explains them. */
export function explainIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  const path = [...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const others = issue.keys.slice(1, 6).map(shortKey);
      const rest = issue.keys.length - 1 - others.length;
      const listed = `${others.join(', ')}${rest > 0 ? ` and ${thousands(rest)} more` : ''}`;
      const more = others.length > 0 ? ` (also ${listed})` : '';
      return { path: [...path, issue.keys[0] ?? ''], message: `unknown field${more}` };
    }
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? `a ${issue.expected}`;
      if (!hasInput(issue)) return { path, message: `is required (${expected})` };
      if (issue.expected === 'int' && isDefault(issue.message))
        return { path, message: `must be a whole number${got(issue)}` };
      if (!isDefault(issue.message)) return { path, message: `${issue.message}${got(issue)}` };
      return { path, message: `expected ${expected}, got ${describeValue(issue.input)}` };
    }
    case 'invalid_union': {
      const inner = unionIssue(issue);
      if (inner) {
        const explained = explainIssue(inner);
        return { path: [...path, ...explained.path], message: explained.message };
      }
      const message = isDefault(issue.message)
        ? 'does not match any of the shapes this field takes'
        : issue.message;
      return { path, message: `${message}${got(issue)}` };
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
      const need = isDefault(issue.message) ? `must be one of ${allowed}` : issue.message;
      return { path, message: hasInput(issue) ? `${need}${got(issue)}` : `is required (one of ${allowed})` };
    }
    case 'too_small':
    case 'too_big': {
      const message = isDefault(issue.message) ? sizeMessage(issue) : issue.message;
      return { path, message: `${message}${got(issue)}` };
    }
    default:
      return { path, message: `${issue.message}${got(issue)}` };
  }
}

/** The first issue of a failed parse as the InputError to report, naming the file and the field. */
export function zodToInput(error: z.ZodError, file: string, what = 'input'): InputError {
  const issue = error.issues[0];
  if (!issue) return new InputError(`invalid ${what}`, file);
  const { path, message } = explainIssue(issue);
  return new InputError(message, file, fieldPath(path) || '(top level)');
}
