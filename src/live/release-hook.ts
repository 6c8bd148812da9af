import type { Engine } from '../engine/engine.js';
import { callHook, type Hook } from './plays.js';

/**
 * The deploy system follows the engine's release record. When the canary promotes a release (a
 * deploy through the API, or an incident's fix), the `deploy.promote` hook is called with
 * `{action: "promote", release, from}` under a stable idempotency key (`<run>/release/<n>`, n the
 * record's place in the history), retried with backoff until it answers 2xx. Rollbacks are not
 * followed here: the `rollback` play calls its own hook before it records the rollback.
 *
 * After a restart the newest promotion is called again under the same key: the deploy system is
 * what makes the second call change nothing, as with every play.
 */

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

export interface ReleaseFollowerOptions {
  engine: Engine;
  run: string;
  hook: Hook | undefined;
  log: (message: string, fields: Record<string, unknown>) => void;
}

export class ReleaseFollower {
  /** Records of the history the deploy system has been told about (or that need no telling). */
  private told: number;
  private busy = false;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;

  constructor(private readonly options: ReleaseFollowerOptions) {
    const history = options.engine.releaseHistory();
    this.told = history.at(-1)?.via === 'canary' ? history.length - 1 : history.length;
  }

  /** Something was committed: a promotion may be waiting to be carried out (not before a retry is due). */
  wake(): void {
    if (this.busy || this.stopped || this.retry !== undefined) return;
    this.busy = true;
    void this.follow().finally(() => {
      this.busy = false;
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }

  private async follow(): Promise<void> {
    const { engine, run, hook, log } = this.options;
    while (!this.stopped) {
      // Read again each time round: a promotion committed while a hook call was out is seen too.
      const history = engine.releaseHistory();
      if (this.told >= history.length) return;
      const record = history[this.told];
      const from = history[this.told - 1]?.release ?? null;
      if (record?.via !== 'canary' || record.release === from) {
        this.told++;
        continue;
      }
      const fields = { release: record.release, from, key: `${run}/release/${this.told}` };
      if (!hook) {
        log('promoted, but no deploy.promote hook is configured: tell the deploy system yourself', fields);
        this.told++;
        continue;
      }
      // A hook that throws (it should not: callHook answers its failures) is a failed call, retried.
      const called = await callHook(hook, {
        key: fields.key,
        facts: { action: 'promote', release: record.release, ...(from ? { from } : {}) },
      }).catch((error: Error) => ({ ok: false, detail: `cannot call the hook (${error.message})` }));
      if (!called.ok) {
        log(`deploy hook failed, retrying in ${this.retryMs} ms: ${called.detail}`, fields);
        this.retry = setTimeout(() => {
          this.retry = undefined;
          this.wake();
        }, this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
        return;
      }
      log(`promoted through the deploy hook: ${called.detail}`, fields);
      this.retryMs = FIRST_RETRY_MS;
      this.told++;
    }
  }
}
