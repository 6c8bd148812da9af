import { type Alert, type Labels, makeAlert } from '../toolkit/alerts.js';
import { type BurnPair, evaluatePolicy, type MinuteCounts, SliLedger } from '../toolkit/slo.js';

/**
 * The SLO's own burn-rate alerts, as Prometheus evaluates the rules Sloth generates and sends the
 * firing ones on to Alertmanager: a drill's world watches each SLI it serves with its own ledger
 * (Prometheus is not the engine) and, every minute a page or ticket pair fires, sends that alert
 * again with an end four minutes on, as Prometheus re-sends firing alerts. So a service with no storm
 * still opens, pages and works an incident, from its SLO alone.
 */

/** The labels of an SLO alert, Sloth's (`sloth_service`, `sloth_slo`, `sloth_severity`) and the alert's. */
export function sloAlertLabels(
  service: string,
  sli: string,
  alertname: string,
  severity: 'page' | 'ticket',
): Labels {
  return {
    alertname,
    service,
    severity,
    sloth_service: service,
    sloth_slo: sli,
    sloth_severity: severity,
  };
}

/** How long past its last evaluation Prometheus says a firing alert lasts (4 x a 1-minute interval). */
const RESEND_MINUTES = 4;

export interface WatchedSlo {
  sli: string;
  alertname: string;
  objective: number;
  policy: readonly BurnPair[];
}

export interface SloAlertState {
  ledgers: Record<string, ReturnType<SliLedger['save']>>;
  since: Record<string, number>;
}

export class SloAlerts {
  private readonly service: string;
  private readonly epoch: string;
  private readonly watched: readonly WatchedSlo[];
  private ledgers = new Map<string, SliLedger>();
  /** The minute each firing alert (SLI/severity) became active. */
  private since: Record<string, number> = {};

  constructor(service: string, epoch: string, watched: readonly WatchedSlo[]) {
    this.service = service;
    this.epoch = epoch;
    this.watched = watched;
    for (const w of watched) this.ledgers.set(w.sli, new SliLedger());
  }

  get empty(): boolean {
    return this.watched.length === 0;
  }

  /** Whether any SLO alert fired at the last minute observed. */
  get firing(): boolean {
    return Object.keys(this.since).length > 0;
  }

  /** Records the minute that just ended and returns the alerts firing at minute `t`. */
  observe(t: number, served: Readonly<Record<string, MinuteCounts>> | null): Alert[] {
    const alerts: Alert[] = [];
    for (const w of this.watched) {
      const ledger = this.ledgers.get(w.sli) as SliLedger;
      const counts = served && Object.hasOwn(served, w.sli) ? served[w.sli] : undefined;
      if (!counts) continue;
      ledger.record(counts);
      const decision = evaluatePolicy(ledger.burnAt(t, w.objective), w.policy);
      for (const severity of ['page', 'ticket'] as const) {
        const key = `${w.sli}/${severity}`;
        if (!decision.firing.some((pair) => pair.startsWith(`${severity}:`))) {
          delete this.since[key];
          continue;
        }
        // Prometheus keeps the minute an alert became active as its startsAt while it fires.
        if (!Object.hasOwn(this.since, key)) this.since[key] = t;
        const since = this.since[key] as number;
        const labels = sloAlertLabels(this.service, w.sli, w.alertname, severity);
        const annotations = {
          summary: `${w.sli} SLO of ${this.service} is burning its error budget (${decision.firing.join(', ')})`,
        };
        alerts.push(makeAlert(labels, annotations, since, t + RESEND_MINUTES, this.epoch));
      }
    }
    return alerts;
  }

  state(): SloAlertState {
    return {
      ledgers: Object.fromEntries([...this.ledgers].map(([sli, l]) => [sli, l.save()])),
      since: { ...this.since },
    };
  }

  restore(state: SloAlertState): void {
    for (const [sli, saved] of Object.entries(state.ledgers)) this.ledgers.set(sli, SliLedger.restore(saved));
    this.since = { ...state.since };
  }
}
