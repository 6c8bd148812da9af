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

// Strict objects, so a misspelt field (`untill`) is reported instead of silently ignored. Zod runs
// these refinements only over input whose fields it accepted; `input` is the value the message is
// about, shown as "(got ...)".
function refuse(ctx: z.core.$RefinementCtx<unknown>, path: PropertyKey[], input: unknown, message: string) {
  ctx.addIssue({ code: 'custom', path, input, message });
}

const stepSchema = z
  .strictObject({ minute: wholeMinute, requests: count, errors: count })
  .superRefine((step, ctx) => {
    if (step.errors > step.requests) {
      refuse(ctx, ['errors'], step.errors, `must not exceed requests (${step.requests})`);
    }
  });

const seriesSchema = z
  .strictObject({ steps: z.array(stepSchema).min(1), until: wholeMinute.optional() })
  .superRefine(({ steps, until }, ctx) => {
    let last = -1;
    for (const [i, step] of steps.entries()) {
      if (step.minute <= last) {
        refuse(
          ctx,
          ['steps', i, 'minute'],
          step.minute,
          `must be greater than the previous step's minute (${last})`,
        );
      }
      last = step.minute;
    }
    if ((until ?? Number.POSITIVE_INFINITY) < last) {
      refuse(ctx, ['until'], until, `must not be before the last step's minute (${last})`);
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
