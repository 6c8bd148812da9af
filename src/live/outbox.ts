import type { Notification, Outbox } from '../engine/journal.js';
import { TRIGGER_KINDS } from '../engine/undeliverable.js';
import { minuteToTimestamp } from '../toolkit/alerts.js';
import { type WallClock, wallTimestamp } from './clock.js';
import type { LiveMetrics } from './metrics.js';
import { type Delivery, deliveryOf, type NotifierConfig, retryable } from './notifiers.js';
import { redactUrls } from './secrets.js';

/**
 * Delivers the outbox. The engine writes each notification in the same commit as the transition that
 * owes it; this loop sends what is still owed to every notifier that takes its kind, in the order it
 * was owed, and marks it in the store once a notifier has it. A failure is retried with exponential
 * backoff, and blocks the later notifications of the same incident to the same notifier (PagerDuty
 * must see the trigger before the acknowledgement). A crash between a send and its mark sends again
 * after the restart: every request carries the same key (`Idempotency-Key`, PagerDuty's `dedup_key`).
 */

export interface DeliveryOptions {
  outbox: Outbox;
  run: string;
  epoch: string;
  notifiers: readonly NotifierConfig[];
  clock: WallClock;
  metrics: LiveMetrics;
  log: { warn(details: object, message: string): void; error(details: object, message: string): void };
  timeoutSeconds: number;
  backoff: { initialSeconds: number; maxSeconds: number };
  /** A notifier refused `n` for good: the engine marks the incident and escalates (undeliverable.ts). */
  refused?: (notifier: string, n: Notification, why: string) => void;
  /** Whether `notifier` refused every trigger of `incident` so far: it has no alert to acknowledge or resolve. */
  neverTriggered?: (notifier: string, incident: string) => boolean;
}

/** How one request went: delivered, to be tried again, or refused for good (a malformed request). */
type Outcome = { kind: 'delivered' | 'skipped' } | { kind: 'retry' | 'rejected'; why: string };

export class OutboxDelivery {
  /** Wall time before which a key is not tried again. Lost on restart: a restart retries at once. */
  private readonly retryAt = new Map<string, number>();
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: DeliveryOptions) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.wake(), intervalMs);
    this.wake();
  }

  /** Looks at the outbox now (after a commit), unless a pass is running already. */
  wake(): void {
    this.running ??= this.deliverDue().finally(() => {
      this.running = null;
    });
  }

  /** Stops polling and lets the pass in flight finish. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass over what is owed; each notifier goes through its own notifications in order. */
  async deliverDue(): Promise<void> {
    const pending = this.options.outbox.undelivered();
    const now = this.options.clock();
    const at = wallTimestamp(this.options.clock);
    for (const { notification, deliveredTo } of pending) {
      const owed = this.options.notifiers.filter((n) => n.kinds.includes(notification.kind)).length;
      if (owed === 0) this.options.outbox.delivered(notification.key, null, 0, at);
      else if (deliveredTo.length >= owed) this.options.outbox.delivered(notification.key, null, owed, at);
    }
    await Promise.all(this.options.notifiers.map((notifier) => this.lane(notifier, pending, now)));
  }

  private async lane(
    notifier: NotifierConfig,
    pending: ReturnType<Outbox['undelivered']>,
    now: number,
  ): Promise<void> {
    const blocked = new Set<string>();
    for (const { notification: n, deliveredTo, attempts } of pending) {
      if (deliveredTo.includes(notifier.name) || !notifier.kinds.includes(n.kind)) continue;
      if (blocked.has(n.incident)) continue;
      if ((this.retryAt.get(this.slot(notifier, n)) ?? 0) > now) {
        blocked.add(n.incident);
        continue;
      }
      const outcome = this.untriggered(notifier, n) ?? (await this.send(notifier, n));
      if (outcome.kind === 'retry') {
        blocked.add(n.incident);
        this.failed(notifier, n, attempts, outcome.why);
        continue;
      }
      if (outcome.kind === 'rejected') {
        this.options.log.error(
          { notifier: notifier.name, key: n.key, why: outcome.why },
          'notification refused',
        );
        this.options.outbox.deliveryFailed(n.key, `${notifier.name}: ${outcome.why}`);
        if (TRIGGER_KINDS.includes(n.kind)) this.options.refused?.(notifier.name, n, outcome.why);
      }
      if (outcome.kind === 'delivered' && TRIGGER_KINDS.includes(n.kind))
        this.triggered.add(this.slot(notifier, { ...n, key: n.incident }));
      this.options.metrics.notifications.inc({ notifier: notifier.name, outcome: outcome.kind });
      const owed = this.options.notifiers.filter((other) => other.kinds.includes(n.kind)).length;
      this.options.outbox.delivered(n.key, notifier.name, owed, wallTimestamp(this.options.clock));
    }
  }

  /** Triggers a notifier took in this process: after one, its acknowledge and resolve have an alert. */
  private readonly triggered = new Set<string>();

  /**
   * PagerDuty refused the trigger (and took none since): an acknowledge or resolve would be for an
   * alert it never saw. Not sent, and said so; a webhook is told everything it asked for.
   */
  private untriggered(notifier: NotifierConfig, n: Notification): Outcome | null {
    if (notifier.type !== 'pagerduty' || TRIGGER_KINDS.includes(n.kind)) return null;
    if (this.triggered.has(this.slot(notifier, { ...n, key: n.incident }))) return null;
    if (!this.options.neverTriggered?.(notifier.name, n.incident)) return null;
    this.options.log.warn(
      { notifier: notifier.name, key: n.key },
      `not sent: ${notifier.name} refused the trigger of ${n.incident}, it has no alert to ${n.kind}`,
    );
    return { kind: 'skipped' };
  }

  private slot(notifier: NotifierConfig, n: Notification): string {
    return `${notifier.name}\u0000${n.key}`;
  }

  private failed(notifier: NotifierConfig, n: Notification, attempts: number, why: string): void {
    const { initialSeconds, maxSeconds } = this.options.backoff;
    const wait = Math.min(maxSeconds, initialSeconds * 2 ** attempts);
    this.retryAt.set(this.slot(notifier, n), this.options.clock() + wait * 1000);
    this.options.outbox.deliveryFailed(n.key, `${notifier.name}: ${why}`);
    this.options.metrics.notifications.inc({ notifier: notifier.name, outcome: 'retry' });
    this.options.log.warn(
      { notifier: notifier.name, key: n.key, why, retryInSeconds: wait },
      'notification failed',
    );
  }

  private async send(notifier: NotifierConfig, n: Notification): Promise<Outcome> {
    let delivery: Delivery | null;
    try {
      const timestamp = minuteToTimestamp(n.t, this.options.epoch);
      delivery = deliveryOf(notifier, n, { run: this.options.run, timestamp });
    } catch (error) {
      return { kind: 'rejected', why: (error as Error).message };
    }
    if (!delivery) return { kind: 'delivered' };
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: delivery.headers,
        body: delivery.body,
        signal: AbortSignal.timeout(this.options.timeoutSeconds * 1000),
      });
      const text = redactUrls((await response.text()).slice(0, 200));
      if (response.ok) return { kind: 'delivered' };
      const why = `HTTP ${response.status}${text ? `: ${text}` : ''}`;
      return { kind: retryable(response.status) ? 'retry' : 'rejected', why };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { kind: 'retry', why: cause ?? (error as Error).message };
    }
  }
}
