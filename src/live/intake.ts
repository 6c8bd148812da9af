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

/** An engine time as RFC 3339, or null when it is outside years 0000..9999 (what a timestamp can say). */
function rfc3339(ms: number): string | null {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return null;
  const iso = new Date(ms).toISOString();
  return Number.isNaN(parseTimestamp(iso)) ? null : iso;
}

function toAlert(alert: Postable, at: string, time: IntakeTime, resolveTimeoutMinutes: number): Alert {
  const { engineTime } = time;
  // Go's zero time and absent times stay unset: they take Alertmanager's defaults below.
  const onEngineClock = (ts: string | undefined, field: 'startsAt' | 'endsAt') => {
    if (!engineTime || ts === undefined || isZeroTime(ts)) return ts;
    const mapped = rfc3339(engineTime(parseTimestamp(ts)));
    if (mapped === null)
      throw new PayloadError(
        `is outside the engine's clock: ${ts} at this --time-scale falls before year 0000 or after 9999`,
        `${at}.${field}`,
      );
    return mapped;
  };
  const startsAt = onEngineClock(alert.startsAt, 'startsAt');
  const endsAt = onEngineClock(alert.endsAt, 'endsAt');
  const times = defaultTimes(startsAt, endsAt, () => time.now, resolveTimeoutMinutes);
  // Alertmanager's own rule (types.Alert.Validate), after its defaults: an alert cannot end before it starts.
  if (parseTimestamp(times.endsAt) < parseTimestamp(times.startsAt)) {
    const field = endsAt === undefined ? 'startsAt' : 'endsAt';
    const why =
      endsAt === undefined
        ? `is after now plus the resolve timeout (${resolveTimeoutMinutes} min), when an alert without endsAt ends: start time must be before end time`
        : `is before startsAt: start time must be before end time`;
    throw new PayloadError(why, `${at}.${field}`);
  }
  return {
    labels: alert.labels,
    annotations: alert.annotations ?? {},
    ...times,
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

function received(
  alerts: Postable[],
  path: string,
  time: IntakeTime,
  resolveTimeoutMinutes: number,
): Received[] {
  return alerts.map((a, i) => {
    const alert = toAlert(a, `${path}[${i}]`, time, resolveTimeoutMinutes);
    return { alert, key: `${alert.fingerprint}|${a.startsAt ?? ''}|${a.endsAt ?? ''}` };
  });
}

export function postedAlerts(body: unknown, time: IntakeTime, resolveTimeoutMinutes: number): Received[] {
  return received(parsePayload(postableAlerts, body), '', time, resolveTimeoutMinutes);
}

export function webhookAlerts(body: unknown, time: IntakeTime, resolveTimeoutMinutes: number): Received[] {
  return received(parsePayload(webhook, body).alerts, 'alerts', time, resolveTimeoutMinutes);
}
