import { Counter, Gauge } from 'prom-client';
import type { PrometheusConfig } from './config.js';
import { PayloadError } from './intake.js';
import { Refused } from './runtime.js';
import type { LiveApi } from './server.js';

/**
 * Live SLIs from Prometheus: each evaluation interval, each SLI's counts for the minute that just
 * ended are read from Prometheus' HTTP API (`/api/v1/query`) and submitted as that minute's `sli`
 * input, as a `POST /api/sli` would. A Prometheus that is down or slow is retried, counted in
 * `/metrics` and logged; the engine keeps running and the minute is counted as no traffic.
 */

/** Waits between retries: 0.2 s, 0.4 s, 0.8 s ... */
const BACKOFF_MS = 200;

interface QueryAnswer {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: { value?: [number, string] }[] };
}

export class PrometheusSli {
  private readonly queries: Counter<'sli' | 'outcome'>;
  private readonly up: Gauge;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly live: Pick<LiveApi, 'recordSli' | 'metrics'> & {
      noteSliRead?: (sli: string, minute: number, error: string | null) => void;
    },
    private readonly config: PrometheusConfig,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    const registers = [live.metrics.registry];
    this.queries = new Counter({
      name: 'runbook_prometheus_sli_reads_total',
      help: 'SLI minutes read from Prometheus, by SLI and outcome: ok, error (after retries), counted (the minute had its counts already).',
      labelNames: ['sli', 'outcome'] as const,
      registers,
    });
    this.up = new Gauge({
      name: 'runbook_prometheus_up',
      help: '1 when the last read from Prometheus answered, 0 when it failed after its retries.',
      registers,
    });
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.config.intervalSeconds * 1000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One evaluation: every SLI's last minute, read and submitted. Never throws; a poll in flight is not doubled. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const [sli, query] of Object.entries(this.config.queries)) await this.read(sli, query);
    } finally {
      this.polling = false;
    }
  }

  private async read(sli: string, query: { errors: string; total: string }): Promise<void> {
    let counts: { requests: number; errors: number };
    try {
      const [requests, errors] = await Promise.all([this.value(query.total), this.value(query.errors)]);
      counts = { requests: Math.round(requests), errors: Math.min(Math.round(errors), Math.round(requests)) };
      this.up.set(1);
    } catch (error) {
      this.up.set(0);
      this.queries.inc({ sli, outcome: 'error' });
      this.log(`prometheus: ${sli}: ${(error as Error).message}`);
      this.live.noteSliRead?.(sli, -1, (error as Error).message);
      return;
    }
    try {
      const { minute } = this.live.recordSli(sli, counts.requests, counts.errors);
      this.queries.inc({ sli, outcome: 'ok' });
      this.live.noteSliRead?.(sli, minute, null);
    } catch (error) {
      if (!(error instanceof Refused || error instanceof PayloadError)) throw error;
      this.queries.inc({ sli, outcome: 'counted' });
    }
  }

  /** The query's value now, summed over its series (none is no traffic), retried with backoff. */
  private async value(expr: string): Promise<number> {
    let last: Error = new Error('no attempt');
    for (let attempt = 0; attempt <= this.config.retries; attempt++) {
      if (attempt > 0) await new Promise((done) => setTimeout(done, BACKOFF_MS * 2 ** (attempt - 1)));
      try {
        return await this.once(expr);
      } catch (error) {
        last = error as Error;
      }
    }
    const tries = this.config.retries + 1;
    throw new Error(`${last.message} (after ${tries} ${tries === 1 ? 'try' : 'tries'})`);
  }

  private async once(expr: string): Promise<number> {
    const url = new URL(
      'api/v1/query',
      this.config.url.endsWith('/') ? this.config.url : `${this.config.url}/`,
    );
    url.searchParams.set('query', expr);
    const response = await fetch(url, {
      signal: AbortSignal.timeout(this.config.timeoutSeconds * 1000),
    }).catch((error: Error & { cause?: { code?: string } }) => {
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, a DNS failure) is its cause.
      const why =
        error.name === 'TimeoutError' ? `no answer in ${this.config.timeoutSeconds}s` : error.cause?.code;
      throw new Error(`${url.origin}: ${why ?? error.message}`);
    });
    const answer = (await response.json().catch(() => ({}))) as QueryAnswer;
    if (!response.ok || answer.status !== 'success')
      throw new Error(`HTTP ${response.status}: ${answer.error ?? 'not a query answer'}`);
    if (answer.data?.resultType !== 'vector')
      throw new Error(`expected a vector, got ${answer.data?.resultType}`);
    const values = (answer.data.result ?? []).map((series) => Number(series.value?.[1]));
    return values.filter(Number.isFinite).reduce((sum, v) => sum + v, 0);
  }
}
