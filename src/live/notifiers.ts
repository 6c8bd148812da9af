import { z } from 'zod';
import type { Notification } from '../engine/journal.js';

/**
 * Where notifications go: a generic webhook (the notification as JSON) or PagerDuty's Events API v2
 * (trigger on a page, acknowledge on an ack, resolve on a resolution; `dedup_key` is the run's
 * incident, so PagerDuty keeps one alert per incident however often a delivery is retried).
 */

/** `notify`: a runbook's notify step; webhooks (chat) get it unless told otherwise. */
const kinds = z
  .array(z.enum(['page', 'ticket', 'acknowledge', 'resolve', 'escalate', 'notify', 'rollout']))
  .min(1);
const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case letters, digits, - or _');
const url = z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' });

export const notifierSchema = z.discriminatedUnion('type', [
  z.strictObject({
    name,
    type: z.literal('webhook'),
    url,
    headers: z.record(z.string(), z.string()).default({}),
    kinds: kinds.default(['page', 'ticket', 'acknowledge', 'resolve', 'escalate', 'notify', 'rollout']),
  }),
  z.strictObject({
    name,
    type: z.literal('pagerduty'),
    url: url.default('https://events.pagerduty.com/v2/enqueue'),
    /** The integration key, or the name of the environment variable that holds it (kept out of files). */
    routingKey: z.string().min(1).optional(),
    routingKeyEnv: z.string().min(1).optional(),
    /** PagerDuty escalates on its own once it has the page: it is told what it has a verb for. */
    kinds: kinds.default(['page', 'acknowledge', 'resolve']),
  }),
]);

/** A PagerDuty notifier's routing key must be there when the server starts, not at the first page. */
export function missingRoutingKey(
  notifiers: readonly NotifierConfig[],
): { index: number; why: string } | null {
  for (const [index, n] of notifiers.entries()) {
    if (n.type !== 'pagerduty' || n.routingKey) continue;
    if (!n.routingKeyEnv) return { index, why: 'needs routingKey or routingKeyEnv' };
    if (!process.env[n.routingKeyEnv]) return { index, why: `names ${n.routingKeyEnv}, which is not set` };
  }
  return null;
}

export type NotifierConfig = z.infer<typeof notifierSchema>;

/** One HTTP request a notifier makes for a notification. */
export interface Delivery {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What a notification is sent with besides itself: the run (keys are per run) and the wall clock. */
export interface DeliveryContext {
  run: string;
  /** The notification's minute as an RFC 3339 timestamp. */
  timestamp: string;
}

/** Our severities as PagerDuty's four. */
const PD_SEVERITY: Record<string, string> = { sev1: 'critical', sev2: 'error', sev3: 'warning' };

const PD_ACTION: Partial<Record<Notification['kind'], string>> = {
  page: 'trigger',
  ticket: 'trigger',
  escalate: 'trigger',
  acknowledge: 'acknowledge',
  resolve: 'resolve',
  notify: 'trigger',
  rollout: 'trigger',
};

function pagerDutyKey(config: Extract<NotifierConfig, { type: 'pagerduty' }>): string {
  const key = config.routingKey ?? (config.routingKeyEnv ? process.env[config.routingKeyEnv] : undefined);
  if (!key)
    throw new Error(`notifier ${config.name}: no routing key (set ${config.routingKeyEnv ?? 'routingKey'})`);
  return key;
}

/** The request for one notification, or null when this notifier is not told this kind. */
export function deliveryOf(config: NotifierConfig, n: Notification, ctx: DeliveryContext): Delivery | null {
  if (!config.kinds.includes(n.kind)) return null;
  const idempotency = `${ctx.run}/${n.key}`;
  if (config.type === 'webhook') {
    const body = { run: ctx.run, timestamp: ctx.timestamp, ...n, idempotencyKey: idempotency };
    return {
      url: config.url,
      headers: { 'content-type': 'application/json', ...config.headers, 'idempotency-key': idempotency },
      body: JSON.stringify(body),
    };
  }
  const action = PD_ACTION[n.kind] as string;
  const event: Record<string, unknown> = {
    routing_key: pagerDutyKey(config),
    event_action: action,
    dedup_key: `${ctx.run}/${n.incident}`,
  };
  if (action === 'trigger') {
    event.payload = {
      summary: n.summary.slice(0, 1024),
      source: 'runbook-machines',
      severity: PD_SEVERITY[n.severity ?? ''] ?? 'info',
      timestamp: ctx.timestamp,
      component: n.incident,
      custom_details: {
        kind: n.kind,
        minute: n.t,
        ...(n.to ? { notify: n.to } : {}),
        ...(n.why ? { why: n.why } : {}),
      },
    };
    event.client = 'runbook-machines';
  }
  return { url: config.url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) };
}

/** Whether a failed delivery is worth another try: not when the receiver says the request itself is wrong. */
export function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
