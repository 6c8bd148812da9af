import { z } from 'zod';
import { type Alert, defaultTimes, fingerprint, isZeroTime, parseTimestamp } from '../toolkit/alerts.js';
import { zodToInput } from '../toolkit/schema-errors.js';

/**
 * Alerts as Alertmanager's API takes them (`POST /api/v2/alerts`, what Prometheus and amtool post) and
 * as its webhook delivers them (payload version 4), turned into the engine's alerts with
 * Alertmanager's defaults (`defaultTimes`: no endsAt, or Go's zero time, fires until now plus the
 * resolve timeout). The fingerprint is always computed from the labels: a sender's own must not
 * split or merge alerts.
 */

const timestamp = z
  .string()
  .refine((ts) => !Number.isNaN(parseTimestamp(ts)), 'must be an RFC 3339 timestamp');
const labelSet = z
  .record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'label names are [a-zA-Z_][a-zA-Z0-9_]*'), z.string())
  .refine((labels) => Object.keys(labels).length > 0, 'must have at least one label');

const postable = z.object({
  labels: labelSet,
  annotations: z.record(z.string(), z.string()).optional(),
  startsAt: timestamp.optional(),
  endsAt: timestamp.optional(),
  generatorURL: z.string().optional(),
});

const postableAlerts = z.array(postable);

const webhook = z.object({
  version: z.literal('4', 'must be "4" (Alertmanager webhook payload version)'),
  groupKey: z.string(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  alerts: z.array(postable.extend({ status: z.enum(['firing', 'resolved']) })),
});

type Postable = z.infer<typeof postable>;

/** A bad payload: what is wrong and where, as a 400 answers it. */
export class PayloadError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** A payload checked against its schema: the first problem is a PayloadError naming its field. */
export function parsePayload<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body, { reportInput: true });
  if (parsed.success) return parsed.data;
  const error = zodToInput(parsed.error, '');
  const field = error.field === undefined || error.field === '(top level)' ? '(body)' : error.field;
  throw new PayloadError(error.message, field);
}

/**
 * When alerts arrive, on the engine's clock: `now` in engine milliseconds, and, when the engine runs
 * faster than the wall clock (`--time-scale`), how a sender's wall-clock timestamps map onto it.
 */
export interface IntakeTime {
  now: number;
  engineTime?: (wallMs: number) => number;
}

function toAlert(alert: Postable, time: IntakeTime, resolveTimeoutMinutes: number): Alert {
  const { engineTime } = time;
  // Go's zero time and absent times stay unset: they take Alertmanager's defaults below.
  const onEngineClock = (ts: string | undefined) =>
    engineTime && ts !== undefined && !isZeroTime(ts)
      ? new Date(engineTime(parseTimestamp(ts))).toISOString()
      : ts;
  return {
    labels: alert.labels,
    annotations: alert.annotations ?? {},
    ...defaultTimes(
      onEngineClock(alert.startsAt),
      onEngineClock(alert.endsAt),
      () => time.now,
      resolveTimeoutMinutes,
    ),
    fingerprint: fingerprint(alert.labels),
  };
}

/**
 * An alert and its key: the alert as its sender stated it (its times before defaults are filled in),
 * so a redelivery of the same notification, minutes later, has the same key and changes nothing.
 */
export interface Received {
  alert: Alert;
  key: string;
}

function received(alerts: Postable[], time: IntakeTime, resolveTimeoutMinutes: number): Received[] {
  return alerts.map((a) => {
    const alert = toAlert(a, time, resolveTimeoutMinutes);
    return { alert, key: `${alert.fingerprint}|${a.startsAt ?? ''}|${a.endsAt ?? ''}` };
  });
}

export function postedAlerts(body: unknown, time: IntakeTime, resolveTimeoutMinutes: number): Received[] {
  return received(parsePayload(postableAlerts, body), time, resolveTimeoutMinutes);
}

export function webhookAlerts(body: unknown, time: IntakeTime, resolveTimeoutMinutes: number): Received[] {
  return received(parsePayload(webhook, body).alerts, time, resolveTimeoutMinutes);
}
