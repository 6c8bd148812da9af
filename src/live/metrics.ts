import { Counter, Gauge, Registry } from 'prom-client';
import type { Engine } from '../engine/engine.js';
import type { Outbox } from '../engine/journal.js';
import { stateName } from '../engine/trace.js';

/**
 * What `GET /metrics` shows, in Prometheus' text format: alerts received (new, or redelivered and
 * dropped), incidents by state and plays by outcome. The last two are read off the machines at each
 * scrape, so they cannot drift from what the API answers.
 */
export class LiveMetrics {
  readonly registry = new Registry();
  readonly alerts = new Counter({
    name: 'runbook_alerts_received_total',
    help: 'Alerts received, by outcome: accepted (journaled) or duplicate (a redelivery, dropped).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly notifications = new Counter({
    name: 'runbook_notifications_total',
    help: 'Notification deliveries, by notifier and outcome: delivered, retry (failed, tried again later) or rejected (refused by the receiver as malformed; not retried).',
    labelNames: ['notifier', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(engine: () => Engine, outbox: () => Outbox | null = () => null) {
    new Gauge({
      name: 'runbook_outbox_pending',
      help: 'Notifications in the outbox not yet delivered to every notifier.',
      registers: [this.registry],
      collect() {
        this.set(outbox()?.undelivered().length ?? 0);
      },
    });
    new Gauge({
      name: 'runbook_incidents',
      help: 'Incidents by the state of their machine.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const incident of engine().incidents) {
          const state = stateName(incident.actor.getSnapshot().value).split('.')[0] as string;
          this.inc({ state });
        }
      },
    });
    new Gauge({
      name: 'runbook_incidents_undeliverable',
      help: "Incidents with a notification a receiver refused for good (see each incident's undeliverable list).",
      registers: [this.registry],
      collect() {
        this.set(engine().undeliverable.size);
      },
    });
    new Gauge({
      name: 'runbook_plays',
      help: 'Plays run by incidents, by outcome.',
      labelNames: ['outcome'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const incident of engine().incidents) {
          for (const play of incident.actor.getSnapshot().context.plays) this.inc({ outcome: play.outcome });
        }
      },
    });
  }
}
