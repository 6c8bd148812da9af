import type { Engine } from '../engine/engine.js';
import type { MeasureInput, WeightInput } from '../engine/inputs.js';
import type { DueMeasurement, RolloutWork } from '../engine/rollouts.js';
import { assess, type Measurement } from '../toolkit/analysis.js';
import { type Provider, substituteArgs } from '../toolkit/argo.js';
import { judge } from '../toolkit/canary.js';
import { callHook, type Hook } from './plays.js';

/**
 * A live rollout's world: each setWeight goes to the traffic router through the `deploy.setWeight`
 * hook (http or exec, as deploy hooks; with none, the weight is taken as set), and each measurement
 * due is asked of its provider: Prometheus' query API, a web endpoint (its JSON, or one field of it
 * by `jsonPath`), or the eval endpoints through the canary's own judge. What comes back is submitted
 * as an input, so it is journaled and a restart never asks twice for what was recorded.
 */

const TIMEOUT_MS = 10_000;

export interface RolloutDriverOptions {
  engine: Engine;
  run: string;
  hook: Hook | undefined;
  /** Submits an input and commits it (the runtime's own path, so the API's order is kept). */
  submit: (input: WeightInput | MeasureInput) => void;
  log: (message: string) => void;
}

export class LiveRollout {
  private busy = false;
  constructor(private readonly options: RolloutDriverOptions) {}

  /** Something moved: a weight or a measurement may be due. */
  wake(): void {
    if (this.busy) return;
    this.busy = true;
    void this.follow()
      .catch((error: Error) => this.options.log(`rollout: ${error.message}`))
      .finally(() => {
        this.busy = false;
      });
  }

  private async follow(): Promise<void> {
    const { engine, submit } = this.options;
    for (let round = 0; round < 16; round++) {
      const work = engine.rolloutWork();
      if (!work) return;
      if (work.desiredWeight !== null) {
        if (!(await this.setWeight(work, work.desiredWeight))) return;
        submit({ kind: 'weight', weight: work.desiredWeight });
        continue;
      }
      if (work.due.length === 0) return;
      for (const run of ['step', 'background'] as const) {
        const due = work.due.filter((d) => d.run === run);
        if (due.length === 0) continue;
        const measurements = await Promise.all(
          due.map(async (d) => ({ metric: d.metric.name, measurement: await this.measure(work, d) })),
        );
        submit({ kind: 'measure', run, measurements });
      }
    }
  }

  /** Tells the router; a failure is retried at the next wake, until the progress deadline decides. */
  private async setWeight(work: RolloutWork, weight: number): Promise<boolean> {
    const { hook, run, log } = this.options;
    if (!hook) return true;
    const called = await callHook(hook, {
      key: `${run}/rollout/${work.n}/weight/${weight}`,
      facts: { action: 'setWeight', release: work.candidate, stable: work.baseline, weight: String(weight) },
    });
    if (!called.ok) log(`rollout ${work.n}: setWeight ${weight} hook failed: ${called.detail}`);
    return called.ok;
  }

  private async measure(work: RolloutWork, due: DueMeasurement): Promise<Measurement> {
    const { metric, args } = due.metric;
    const at = this.options.engine.now();
    try {
      const value = await this.value(work, metric.provider, args);
      return { at, value, ...assess(metric, value) };
    } catch (error) {
      return { at, phase: 'Error', value: null, message: (error as Error).message };
    }
  }

  private async value(
    work: RolloutWork,
    provider: Provider,
    args: Record<string, string | null>,
  ): Promise<unknown> {
    switch (provider.kind) {
      case 'prometheus': {
        const url = new URL('/api/v1/query', provider.address);
        url.searchParams.set('query', substituteArgs(provider.query, args));
        const body = (await getJson(url.toString(), {})) as {
          data?: { resultType?: string; result?: unknown };
        };
        return vectorValues(body.data);
      }
      case 'web': {
        const url = substituteArgs(provider.url, args);
        const body = await getJson(url, provider.headers, provider.method);
        return provider.jsonPath ? atPath(body, provider.jsonPath) : body;
      }
      case 'evalSet': {
        const { engine } = this.options;
        const report = await engine.canaryEvidence(work.candidate);
        const verdict = judge(report, engine.config.canary);
        return {
          verdict: verdict.verdict,
          quality: report.candidate.quality,
          checks: verdict.checks,
          reasons: verdict.reasons,
        };
      }
      case 'sli':
      case 'judge':
        throw new Error(
          `the ${provider.kind} provider reads a drill's simulated service: live, use prometheus or web`,
        );
      default:
        throw new Error(`the ${provider.name} provider cannot be run here`);
    }
  }
}

async function getJson(url: string, headers: Record<string, string>, method = 'GET'): Promise<unknown> {
  const response = await fetch(url, { method, headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

/** A Prometheus vector or scalar as Argo hands it to conditions: the values, as numbers. */
function vectorValues(data: { resultType?: string; result?: unknown } | undefined): unknown {
  if (data?.resultType === 'scalar') return Number((data.result as [number, string])[1]);
  if (data?.resultType === 'vector') {
    return (data.result as { value: [number, string] }[]).map((series) => Number(series.value[1]));
  }
  throw new Error(
    `Prometheus answered a ${data?.resultType ?? 'malformed'} result: a vector or scalar is measured`,
  );
}

/** `$.a.b[0]` (Argo's jsonPath as it is mostly written): the field it names. */
function atPath(body: unknown, path: string): unknown {
  const keys =
    path
      .replace(/^\{?\$\.?/, '')
      .replace(/\}$/, '')
      .match(/[^.[\]]+/g) ?? [];
  let value = body;
  for (const key of keys) {
    if (value === null || typeof value !== 'object') throw new Error(`jsonPath ${path}: no ${key}`);
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
