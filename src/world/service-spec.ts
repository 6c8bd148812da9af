import { z } from 'zod';
import { ANSWER_WORDS, isSliKind, SLI_KINDS, type SliKind, type SliWords, sliWords } from '../toolkit/sli.js';
import { type BurnPair, WINDOWS } from '../toolkit/slo.js';
import { LIMITS } from './limits.js';

/**
 * The parts of a scenario that say what service is under operation: its SLIs (any number, of any
 * kind), the faults that hit it on the timeline, and what each play does to the simulated world.
 * Kept apart from scenario.ts, which assembles the whole shift from them.
 */

const name = z
  .string()
  .max(200, 'must be at most 200 characters long')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be a name (letters, digits, . _ : -)');
const objective = z
  .number()
  .gt(0, 'must be between 0 and 1 (exclusive)')
  .lt(1, 'must be between 0 and 1 (exclusive)');
/** A share of requests: 0 (none) to 1 (every one). */
export const rate = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const minute = z
  .number()
  .int('must be a whole number of minutes')
  .min(0, 'must be >= 0')
  .max(LIMITS.minute, `must be <= ${LIMITS.minute} (30 days of sim minutes)`);
const windowName = z.enum(Object.keys(WINDOWS) as [keyof typeof WINDOWS, ...(keyof typeof WINDOWS)[]]);

/** Burn-rate pairs (the SRE Workbook's by default): a scenario's, or one SLI's own. */
export const burnPolicy = z
  .array(
    z.strictObject({
      severity: z.enum(['page', 'ticket']),
      long: windowName,
      short: windowName,
      threshold: z.number().positive('must be > 0').max(1_000_000, 'must be <= 1,000,000'),
    }),
  )
  .min(1)
  .max(16, 'must list at most 16');

const sloEntry = z.strictObject({
  /** What a good event is; the map key when it is a kind's own name and no SLI states a kind. */
  kind: z.enum(SLI_KINDS).optional(),
  objective,
  /** Latency only: a request is good when it is faster than this. */
  thresholdMs: z.number().positive('must be > 0').max(3_600_000, 'must be <= 3,600,000').optional(),
  description: z.string().optional(),
  alerting: z
    .strictObject({
      /** The alert's name when this SLO's burn-rate pairs fire (Sloth's `alerting.name`). */
      name: name.optional(),
      /** Whether a firing pair raises the SLO's alert into intake, as Prometheus sends Sloth's alerts. */
      raise: z.boolean().optional(),
      /** This SLI's own pairs; the scenario's `alerting.policy` when left out. */
      policy: burnPolicy.optional(),
    })
    .optional(),
});

/** One declared SLI, its kind settled. */
export interface SloSpec {
  kind: SliKind;
  objective: number;
  thresholdMs?: number;
  description?: string;
  alerting: { name: string; raise: boolean; policy?: BurnPair[] };
  /** Set on the SLIs of the first form (no kind stated): they keep the stock story's words. */
  firstForm?: true;
}

/** What an SLO's good and bad events are called: its kind's words, or the stock story's for the first form. */
export const sloWords = (slo: SloSpec): SliWords =>
  slo.firstForm ? ANSWER_WORDS : sliWords(slo.kind, slo.thresholdMs);

const pascal = (text: string) =>
  text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join('');

/**
 * The SLOs: a map from SLI name to its kind and objective. Two forms read the same way:
 *
 * - the first form (no SLI states `kind`): only `quality` and `freshness`, each of its own kind;
 *   `freshness` is 99% when left out, and the SLO's alert is not raised into intake (the storm brings
 *   the alerts): every scenario written before SLIs were data runs as it did;
 * - the kinded form (every SLI states `kind`): any names, only the SLIs declared, and each SLO's
 *   burn-rate alert reaches intake unless `alerting.raise: false`.
 */
export const slos = z
  .record(name, sloEntry)
  .refine((map) => Object.keys(map).length > 0, 'must declare at least one SLI')
  .transform((map, ctx): Record<string, SloSpec> => {
    const kinded = Object.values(map).some((entry) => entry.kind !== undefined);
    // The first form keeps the order the engine always served it in: quality, then freshness.
    const entries = kinded
      ? Object.entries(map)
      : Object.entries(map).sort(([a], [b]) =>
          a === b ? 0 : a === 'quality' ? -1 : b === 'quality' ? 1 : 0,
        );
    const out: Record<string, SloSpec> = {};
    for (const [sli, entry] of entries) {
      let kind = entry.kind;
      if (kind === undefined) {
        if (kinded || (sli !== 'quality' && sli !== 'freshness')) {
          ctx.issues.push({
            code: 'custom',
            message: kinded
              ? `is required: another SLI of this map states its kind (one of ${SLI_KINDS.join(', ')})`
              : `is required for an SLI not named quality or freshness (one of ${SLI_KINDS.join(', ')})`,
            path: [sli, 'kind'],
            input: undefined,
          });
          continue;
        }
        kind = isSliKind(sli) ? sli : 'quality';
      }
      if (kind === 'latency' && entry.thresholdMs === undefined) {
        ctx.issues.push({
          code: 'custom',
          message: 'is required for a latency SLI (a request is good when faster than it)',
          path: [sli, 'thresholdMs'],
          input: undefined,
        });
        continue;
      }
      if (kind !== 'latency' && entry.thresholdMs !== undefined) {
        ctx.issues.push({
          code: 'custom',
          message: `is for latency SLIs only (${sli} is ${kind})`,
          path: [sli, 'thresholdMs'],
          input: entry.thresholdMs,
        });
        continue;
      }
      out[sli] = {
        kind,
        objective: entry.objective,
        ...(entry.thresholdMs !== undefined ? { thresholdMs: entry.thresholdMs } : {}),
        ...(entry.description !== undefined ? { description: entry.description } : {}),
        alerting: {
          name: entry.alerting?.name ?? `${pascal(sli)}SLOBurnRate`,
          raise: entry.alerting?.raise ?? kinded,
          ...(entry.alerting?.policy ? { policy: entry.alerting.policy } : {}),
        },
        ...(kinded ? {} : { firstForm: true as const }),
      };
    }
    if (!kinded && !out.freshness && out.quality) {
      out.freshness = {
        kind: 'freshness',
        objective: 0.99,
        alerting: { name: 'FreshnessSLOBurnRate', raise: false },
        firstForm: true,
      };
    }
    return out;
  });

export const FAULT_KINDS = ['slowDependency', 'failingDependency', 'lostCapacity', 'staleIndex'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * A fault on the timeline: from `at` until `until` (or until a play clears it) it adds its rates to
 * the live release's: `errorRate` fails requests (availability SLIs), `slowRate` slows them past the
 * threshold (latency SLIs). A `staleIndex` fault stops the indexer instead (freshness SLIs).
 */
export const fault = z.strictObject({
  name,
  kind: z.enum(FAULT_KINDS),
  at: minute,
  until: minute.optional(),
  errorRate: rate.optional(),
  slowRate: rate.optional(),
  description: z.string().optional(),
});
export type FaultSpec = z.infer<typeof fault>;

/**
 * What a play does to the simulated world, by play name: the faults it clears (a `failover` clears a
 * slow dependency, a `scale` restores lost capacity). A play declared with nothing to clear succeeds
 * and changes nothing, so the SLI stays down and the runbook moves on (a `restart` that does not help).
 */
export const effects = z.record(
  name,
  z.strictObject({
    clears: z.array(name).max(LIMITS.list, `must list at most ${LIMITS.list}`).default([]),
    description: z.string().optional(),
  }),
);
export type EffectSpec = z.infer<typeof effects>[string];

/** The gate's and the narration's stage owner labels (the stock story's M31...), when a scenario has them. */
export const owners = z.partialRecord(
  z.enum(['intake', 'triage', 'detect', 'page', 'mitigate', 'learn', 'ship', 'verify']),
  z.string().min(1).max(40, 'must be at most 40 characters long'),
);
export type Owners = z.infer<typeof owners>;
