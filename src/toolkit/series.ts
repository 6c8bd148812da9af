import { z } from 'zod';
import { InputError } from './errors.js';
import { readJsonFile } from './files.js';
import { explainIssue, fieldPath } from './schema-errors.js';
import type { SeriesStep } from './slo.js';

/** A stepped traffic series: each step sets the per-minute counts from its minute on. */
export interface Series {
  steps: SeriesStep[];
  /** The last minute the series covers, when the file says so. */
  until?: number;
}

const wholeMinute = z.number().int().min(0);
/** A billion requests a minute: far past any service, and sums over a year stay exact in a double. */
const count = z.number().int().min(0).max(1_000_000_000, 'must be <= 1,000,000,000 a minute');

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
  const { path, message } = explainIssue(issue);
  throw new InputError(seriesWords(issue) ?? message, file, fieldPath(path) || undefined);
}

/** Reads and validates a series file: `{"steps": [{"minute": 0, "requests": 1000, "errors": 0}], "until"?: M}`. */
export function loadSeries(file: string): Series {
  return parseSeries(readJsonFile(file), file);
}

/** Where a series says it better than the general wording: its fields, its steps. */
function seriesWords(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code === 'unrecognized_keys')
    return 'is not a series field (expected steps, until; a step has minute, requests, errors)';
  if (issue.code === 'too_small' && issue.origin === 'array')
    return `must have at least ${issue.minimum} step`;
  return undefined;
}
