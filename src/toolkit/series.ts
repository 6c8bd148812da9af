import { z } from 'zod';
import { InputError } from './errors.js';
import { readJsonFile } from './files.js';
import type { SeriesStep } from './slo.js';

/** A stepped traffic series: each step sets the per-minute counts from its minute on. */
export interface Series {
  steps: SeriesStep[];
  /** The last minute the series covers, when the file says so. */
  until?: number;
}

const wholeMinute = z.number().int().min(0);
const count = z.number().int().min(0);

// Strict objects, so a misspelt field (`untill`) is reported instead of silently ignored.
const stepSchema = z
  .strictObject({ minute: wholeMinute, requests: count, errors: count })
  .superRefine((step, ctx) => {
    if (step.errors > step.requests) {
      ctx.addIssue({
        code: 'custom',
        path: ['errors'],
        message: `must not exceed requests (${step.errors} > ${step.requests})`,
      });
    }
  });

const seriesSchema = z
  .strictObject({ steps: z.array(stepSchema).min(1), until: wholeMinute.optional() })
  .superRefine(({ steps, until }, ctx) => {
    // Zod runs refinements over input that already failed, so compare only numbers it accepted.
    steps.forEach((step, i) => {
      const previous = steps[i - 1]?.minute;
      if (typeof previous === 'number' && typeof step.minute === 'number' && step.minute <= previous) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'minute'],
          message: `must be greater than the previous step's minute (${step.minute} <= ${previous})`,
        });
      }
    });
    const last = steps.at(-1)?.minute;
    if (until !== undefined && typeof last === 'number' && until < last) {
      ctx.addIssue({
        code: 'custom',
        path: ['until'],
        message: `must not be before the last step's minute (${until} < ${last})`,
      });
    }
  });

/** Validates parsed JSON as a series; the first problem is thrown as an InputError naming its field. */
export function parseSeries(data: unknown, file: string): Series {
  const result = seriesSchema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new InputError('is not a valid series', file);
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  throw new InputError(explain(issue), file, fieldPath(path) || undefined);
}

/** Reads and validates a series file: `{"steps": [{"minute": 0, "requests": 1000, "errors": 0}], "until"?: M}`. */
export function loadSeries(file: string): Series {
  return parseSeries(readJsonFile(file), file);
}

/** `['steps', 3, 'errors']` -> `steps[3].errors` */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join('');
}

// Zod's default messages name its own types ("expected int"); these speak the file's language.
function explain(issue: z.core.$ZodIssue): string {
  const got = 'input' in issue && issue.input !== undefined ? ` (got ${show(issue.input)})` : '';
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      if (issue.expected === 'int') return `must be a whole number${got}`;
      if (issue.expected === 'object') return `must be an object${got}`;
      if (issue.expected === 'array') return `must be a list${got}`;
      return `must be a ${issue.expected}${got}`;
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${issue.minimum} step`;
      return `must be >= ${issue.minimum}${got}`;
    case 'unrecognized_keys':
      return 'is not a series field (expected steps, until; a step has minute, requests, errors)';
    default:
      return issue.message;
  }
}

function show(value: unknown): string {
  // String() keeps Infinity (a JSON 1e400) readable; long values are named by kind, not dumped.
  const text = typeof value === 'number' ? String(value) : JSON.stringify(value);
  if (text.length <= 40) return text;
  return Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
