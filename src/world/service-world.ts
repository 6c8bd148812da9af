import type { SliKind } from '../toolkit/sli.js';

/**
 * The simulated service's traffic, rates and faults: what makes it any service, not only the stock
 * answering agent. Counts are exact expected counts with a carried remainder, not draws: a 2% error
 * rate on 1000 requests a minute is 20 failed requests every minute, and 0.2% on 1000 is 2 every
 * minute, while 0.5% on 300 is 1, 2, 1, 2, ... (1.5 a minute, the half carried). So the same scenario
 * always gives the same burn, minute for minute, and no run of a gate in CI can flake on a variance
 * that a seeded draw would still have between nearby rates.
 */

/** Traffic that swings over a day: requestsPerMinute x (1 + amplitude x cos(2 pi (t - peak) / 1440)). */
export interface DailyCycle {
  amplitude: number;
  peakMinute: number;
}

/** A fault as the service holds it (see service-spec.ts for the scenario's shape). */
export interface RatedFault {
  name: string;
  kind: 'slowDependency' | 'failingDependency' | 'lostCapacity' | 'staleIndex';
  at: number;
  until?: number;
  errorRate?: number;
  slowRate?: number;
}

/** What changes over a shift, as plain data for a drill's checkpoint. */
export interface ServiceWorldState {
  /** The fraction of a bad request each rated SLI carries into its next minute. */
  carry: Record<string, number>;
  /** Faults a play cleared, with the minute it cleared them. */
  cleared: Record<string, number>;
}

/** What a stale-index fault does to the service's indexer. */
export interface Indexer {
  stallIndexer(): void;
  reindex(minute: number): unknown;
}

/** Double rounding must not turn 20 expected failures into 19 and a carry of 0.99999. */
const EPSILON = 1e-9;

export class ServiceWorld {
  private readonly requestsPerMinute: number;
  private readonly cycle: DailyCycle | undefined;
  private readonly faults: readonly RatedFault[];
  private carry: Record<string, number> = {};
  private cleared: Record<string, number> = {};

  constructor(requestsPerMinute: number, cycle: DailyCycle | undefined, faults: readonly RatedFault[]) {
    this.requestsPerMinute = requestsPerMinute;
    this.cycle = cycle;
    this.faults = faults;
  }

  /** Requests in minute `t`: the daily cycle, rounded to whole requests. */
  requests(t: number): number {
    if (!this.cycle) return this.requestsPerMinute;
    const phase = (2 * Math.PI * (t - this.cycle.peakMinute)) / 1440;
    return Math.max(0, Math.round(this.requestsPerMinute * (1 + this.cycle.amplitude * Math.cos(phase))));
  }

  /** Faults hitting the service in minute `t`: started, not ended, not cleared by a play. */
  active(t: number): RatedFault[] {
    return this.faults.filter(
      (f) => f.at <= t && (f.until === undefined || t < f.until) && !Object.hasOwn(this.cleared, f.name),
    );
  }

  /** Clears those of `names` that are active at `t`; the names it cleared. */
  clear(names: readonly string[], t: number): string[] {
    const cleared = this.active(t)
      .filter((f) => names.includes(f.name))
      .map((f) => f.name);
    for (const name of cleared) this.cleared[name] = t;
    return cleared;
  }

  /** A stale-index fault stops the indexer when it starts and lets it run again when it ends. */
  startMinute(t: number, indexer: Indexer): void {
    for (const f of this.faults) {
      if (f.kind !== 'staleIndex') continue;
      if (f.at === t) indexer.stallIndexer();
      if (f.until === t && !Object.hasOwn(this.cleared, f.name)) indexer.reindex(t);
    }
  }

  /**
   * Bad requests of one rated SLI in minute `t`: the live release's rate and every active fault's
   * combine as independent causes (a request is good only if none of them fails it).
   */
  bad(
    sli: string,
    kind: SliKind,
    t: number,
    requests: number,
    live: { errorRate?: number; slowRate?: number },
  ) {
    const field = kind === 'latency' ? 'slowRate' : 'errorRate';
    let good = 1 - (live[field] ?? 0);
    for (const f of this.active(t)) good *= 1 - (f[field] ?? 0);
    const expected = requests * (1 - good) + (this.carry[sli] ?? 0);
    const count = Math.min(requests, Math.floor(expected + EPSILON));
    this.carry[sli] = Math.max(0, expected - count);
    return count;
  }

  state(): ServiceWorldState {
    return { carry: { ...this.carry }, cleared: { ...this.cleared } };
  }

  restore(state: ServiceWorldState): void {
    this.carry = { ...state.carry };
    this.cleared = { ...state.cleared };
  }
}
