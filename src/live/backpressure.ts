import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { z } from 'zod';
import type { Batch, RunJournal } from '../engine/journal.js';
import type { WallClock } from './clock.js';

/**
 * When the journal falls behind, intake answers 503 with `Retry-After` instead of queueing inputs it
 * cannot make durable in time: Alertmanager and Prometheus retry, and a retried alert is a
 * redelivery the intake recognises. Commits are synchronous (SQLite), so while one runs the server
 * answers nothing and requests wait in the kernel. "Behind" is therefore one of two measured things:
 * - the last commit took longer than `maxCommitSeconds` (a slow or saturated disk): intake is refused
 *   for `retryAfterSeconds` after it, then admitted again and the next commit measured afresh;
 * - `maxWaitingRequests` requests that bring inputs (every POST) have arrived whole and are not
 *   answered yet: their inputs are not in the journal, and more would only lengthen the queue. A
 *   request whose body is still coming is not counted: it waits for its client, not for the journal
 *   (and `requestTimeoutSeconds` ends it if it never comes).
 * Both are read off the injected wall clock and the requests themselves, so tests set them up exactly.
 */

export const journalLimits = z
  .strictObject({
    maxCommitSeconds: z.number().positive('must be > 0').default(1),
    maxWaitingRequests: z.number().int('must be a whole number').min(1, 'must be >= 1').default(1000),
    retryAfterSeconds: z.number().int('must be a whole number').min(1, 'must be >= 1').default(5),
    /**
     * How long a request may take to arrive whole (headers and body): one that has not by then is
     * answered 408 and its connection closed, so a client that never finishes holds nothing.
     */
    requestTimeoutSeconds: z.number().positive('must be > 0').max(3600, 'must be <= 3600').default(30),
  })
  .prefault({});

export type JournalLimits = z.infer<typeof journalLimits>;

/** Why intake is refused now, and when to come back. */
export interface Behind {
  reason: 'slow_commit' | 'queue';
  message: string;
  retryAfterSeconds: number;
}

export class JournalWatch {
  /** Requests bringing inputs that have arrived and are not answered yet, with their arrival. */
  private readonly waiting = new Map<object, number>();
  private slowUntil = Number.NEGATIVE_INFINITY;
  private lastSlowSeconds = 0;
  private readonly commits = new Histogram({
    name: 'runbook_journal_commit_seconds',
    help: 'How long each journal commit took.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [],
  });
  private readonly refusals = new Counter({
    name: 'runbook_journal_behind_total',
    help: 'Requests answered 503 because the journal was behind, by reason (slow_commit, queue).',
    labelNames: ['reason'] as const,
    registers: [],
  });

  constructor(
    private readonly clock: WallClock,
    readonly limits: JournalLimits,
  ) {}

  /** The journal with each commit timed: a commit slower than the limit holds intake back. */
  timed(run: RunJournal): RunJournal {
    const commit = (batch: Batch) => {
      const start = this.clock();
      try {
        run.commit(batch);
      } finally {
        const end = this.clock();
        const seconds = (end - start) / 1000;
        this.commits.observe(seconds);
        if (seconds > this.limits.maxCommitSeconds) {
          this.slowUntil = end + this.limits.retryAfterSeconds * 1000;
          this.lastSlowSeconds = seconds;
        }
      }
    };
    return new Proxy(run, {
      get(target, property) {
        if (property === 'commit') return commit;
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** Whether to refuse a request bringing inputs now; a refusal is counted. */
  behind(): Behind | null {
    const now = this.clock();
    const { maxCommitSeconds, maxWaitingRequests, retryAfterSeconds } = this.limits;
    let behind: Behind | null = null;
    if (now < this.slowUntil) {
      behind = {
        reason: 'slow_commit',
        message: `the journal is behind: a commit took ${this.lastSlowSeconds}s (more than ${maxCommitSeconds}s)`,
        retryAfterSeconds: Math.max(1, Math.ceil((this.slowUntil - now) / 1000)),
      };
    } else if (this.waiting.size >= maxWaitingRequests) {
      behind = {
        reason: 'queue',
        message: `the journal is behind: ${this.waiting.size} requests are waiting for it (at most ${maxWaitingRequests})`,
        retryAfterSeconds,
      };
    }
    if (behind) this.refusals.inc({ reason: behind.reason });
    return behind;
  }

  /** A request bringing inputs has arrived; `answered` once its answer is out (or its client gone). */
  arrived(request: object): () => void {
    this.waiting.set(request, this.clock());
    return () => this.waiting.delete(request);
  }

  /** The journal's lag and queue in `registry`: read at each scrape. */
  register(registry: Registry): void {
    registry.registerMetric(this.commits);
    registry.registerMetric(this.refusals);
    const watch = this;
    new Gauge({
      name: 'runbook_journal_pending_requests',
      help: 'Requests bringing inputs that have arrived and wait for the journal (their answer).',
      registers: [registry],
      collect() {
        this.set(watch.waiting.size);
      },
    });
    new Gauge({
      name: 'runbook_journal_lag_seconds',
      help: 'How long the oldest request still waiting for the journal has waited (0 when none waits).',
      registers: [registry],
      collect() {
        const oldest = Math.min(...watch.waiting.values());
        this.set(watch.waiting.size === 0 ? 0 : Math.max(0, (watch.clock() - oldest) / 1000));
      },
    });
  }
}
