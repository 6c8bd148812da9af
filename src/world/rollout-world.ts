import type { Engine } from '../engine/engine.js';
import type { DueMeasurement, RolloutWork } from '../engine/rollouts.js';
import { assess, type Measurement } from '../toolkit/analysis.js';
import type { OnCallChoice, Provider } from '../toolkit/argo.js';
import { judge } from '../toolkit/canary.js';
import { judgeEvalSet, judgeMetric, type MetricVerdict, rollUp } from '../toolkit/judge.js';
import type { MinuteCounts } from '../toolkit/slo.js';
import type { ServiceUnderOperation, SliName, SplitCounts } from './service.js';

/**
 * A drill's world around a rollout: the traffic router follows every setWeight at once, the
 * simulated service's split counts (stable and canary, minute by minute) answer the analysis'
 * measurements, and on-call does with a waiting rollout what the scenario says, after the minutes it
 * says. Everything it sends the engine is an input, journaled like the rest of the world's.
 */

/** A drill keeps this many minutes of split counts: enough for any analysis window of a sim day. */
const KEEP_MINUTES = 1440;

/** Rounds of work in one minute: a weight set, then the next step's first measurement, and so on. */
const MAX_ROUNDS = 16;

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const ratio = (c: MinuteCounts) => (c.requests === 0 ? null : round6(c.errors / c.requests));

/** What a checkpoint keeps of the rollout's world: the split counts by minute. */
export type RolloutWorldState = { t: number; counts: SplitCounts }[];

export class RolloutWorld {
  /** The split counts by minute served, newest last. */
  private readonly minutes: { t: number; counts: SplitCounts }[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly service: ServiceUnderOperation,
    private readonly onCall: { inconclusive: OnCallChoice; pause: OnCallChoice; afterMinutes: number },
  ) {}

  /** The split minutes kept, for a drill's checkpoint. */
  state(): RolloutWorldState {
    return [...this.minutes];
  }

  restore(state: RolloutWorldState): void {
    this.minutes.splice(0, this.minutes.length, ...state);
  }

  /** After the service served minute `t`: keep its split, if a canary took traffic. */
  served(t: number): void {
    const split = this.service.lastSplit;
    if (!split) return;
    this.minutes.push({ t, counts: split });
    if (this.minutes.length > KEEP_MINUTES) this.minutes.shift();
  }

  /** Everything the running rollout waits for that the drill's world can give at minute `t`. */
  drive(t: number): void {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const work = this.engine.rolloutWork();
      if (!work || !this.step(work, t)) return;
    }
  }

  private step(work: RolloutWork, t: number): boolean {
    if (work.desiredWeight !== null) {
      this.engine.submit({ kind: 'weight', weight: work.desiredWeight });
      return true;
    }
    if (work.due.length > 0) {
      for (const run of ['step', 'background'] as const) {
        const due = work.due.filter((d) => d.run === run);
        if (due.length === 0) continue;
        const measurements = due.map((d) => ({
          metric: d.metric.name,
          measurement: this.measure(work, d, t),
        }));
        this.engine.submit({ kind: 'measure', run, measurements });
      }
      return true;
    }
    if (work.waiting && t >= work.waiting.since + this.onCall.afterMinutes) {
      const choice = work.waiting.why.startsWith('paused') ? this.onCall.pause : this.onCall.inconclusive;
      if (choice === 'wait') return false;
      this.engine.submit(
        choice === 'promote'
          ? { kind: 'release-operator', action: 'promote', by: 'on-call' }
          : { kind: 'release-operator', action: 'abort', by: 'on-call', why: work.waiting.why },
      );
      return true;
    }
    return false;
  }

  private measure(work: RolloutWork, due: DueMeasurement, t: number): Measurement {
    const { metric } = due.metric;
    const window = metric.interval ?? 1;
    const value = this.value(work, metric.provider, t - window, t);
    if (value instanceof Error) return { at: t, phase: 'Error', value: null, message: value.message };
    return { at: t, value, ...assess(metric, value) };
  }

  /** The minutes served in [from, to) with a canary. */
  private window(from: number, to: number) {
    return this.minutes.filter((m) => m.t >= from && m.t < to);
  }

  private value(work: RolloutWork, provider: Provider, from: number, to: number): unknown {
    switch (provider.kind) {
      case 'sli': {
        const sli = provider.sli as SliName;
        const total = { requests: 0, errors: 0 };
        for (const { counts } of this.window(from, to)) {
          const sides =
            provider.of === 'canary'
              ? [counts.onCanary[sli]]
              : provider.of === 'stable'
                ? [counts.stable[sli]]
                : [counts.onCanary[sli], counts.stable[sli]];
          for (const c of sides) {
            if (!c) return new Error(`no SLI named ${provider.sli} in the simulated service`);
            total.requests += c.requests;
            total.errors += c.errors;
          }
        }
        const r = ratio(total);
        return r === null ? [] : [r];
      }
      case 'evalSet': {
        const report = this.engine.canaryReport(work.candidate);
        const verdict = judge(report, this.engine.config.canary);
        return {
          verdict: verdict.verdict,
          quality: report.candidate.quality,
          baseline: report.baseline.quality,
          checks: verdict.checks,
          reasons: verdict.reasons,
        };
      }
      case 'judge': {
        const minutes = this.window(from, to);
        const metrics: MetricVerdict[] = provider.slis.map((s) => {
          const sli = s.sli as SliName;
          const samples = (side: 'stable' | 'onCanary') =>
            minutes.flatMap(({ counts }) => {
              const c = counts[side][sli];
              const r = c ? ratio(c) : null;
              return r === null ? [] : [r];
            });
          return judgeMetric(
            {
              name: `${s.sli} error ratio`,
              direction: s.direction,
              critical: s.critical,
              mustHaveData: s.mustHaveData,
            },
            samples('stable'),
            samples('onCanary'),
            provider.alpha,
          );
        });
        if (provider.evalSet) {
          const cases = [...this.engine.evalSet];
          const baseline = this.service.evaluate(work.baseline, cases);
          const canary = this.service.evaluate(work.candidate, cases);
          metrics.push(
            judgeEvalSet({ name: 'eval set', direction: 'increase' }, baseline, canary, provider.alpha),
          );
        }
        return rollUp(metrics, { alpha: provider.alpha, pass: provider.pass, marginal: provider.marginal });
      }
      case 'prometheus':
      case 'web':
        return new Error(
          `a drill has no ${provider.kind} to ask: the ${provider.kind} provider runs live only`,
        );
      default:
        return new Error(`the ${provider.name} provider cannot be run here`);
    }
  }
}
