import type { PgStore } from './pg-store.js';

/**
 * What several `serve` workers on one Postgres share besides the journal: the lease that says which
 * of them drives the live run, and the inbox where the others journal what they receive. Times are
 * the database's (`now()`), so the workers' clocks need not agree. A lease is claimed by an upsert
 * that only takes a row that is free, expired, or the claimant's own: two workers racing for it are
 * ordered by the row lock, and exactly one wins.
 */

export type InboxKind = 'alert' | 'sli' | 'ack';

export interface InboxItem {
  id: number;
  kind: InboxKind;
  key: string | null;
  payload: string;
}

export class Lease {
  constructor(
    private readonly store: PgStore,
    readonly name: string,
    readonly owner: string,
    readonly seconds: number,
  ) {}

  /** Takes the lease if it is free or expired (or renews it if ours): whether we hold it now. */
  claim(): boolean {
    const rows = this.store.rows(
      `INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE leases.owner = excluded.owner OR leases.expires_at <= now()
       RETURNING owner`,
      [this.name, this.owner, this.seconds],
    );
    return rows.length === 1;
  }

  /**
   * Extends the lease only while it is unexpired and ours: a worker that was stopped past its lease
   * (SIGSTOP, a long GC pause, a partition) learns here that it lost it, even if nobody took it yet.
   */
  renew(): boolean {
    const rows = this.store.rows(
      `UPDATE leases SET expires_at = now() + make_interval(secs => $3)
        WHERE name = $1 AND owner = $2 AND expires_at > now() RETURNING owner`,
      [this.name, this.owner, this.seconds],
    );
    return rows.length === 1;
  }

  /** Gives the lease up (a clean stop): another worker takes over at its next beat, not after a timeout. */
  release(): void {
    this.store.statement('DELETE FROM leases WHERE name = $1 AND owner = $2', [this.name, this.owner]);
  }

  /** Who holds the lease now, if anyone. */
  holder(): string | null {
    const [row] = this.store.rows<{ owner: string }>(
      'SELECT owner FROM leases WHERE name = $1 AND expires_at > now()',
      [this.name],
    );
    return row?.owner ?? null;
  }
}

export class Inbox {
  constructor(
    private readonly store: PgStore,
    private readonly worker: string,
  ) {}

  /** Journals an input for the lease holder; a keyed one already there is not added twice. Whether it was new. */
  post(kind: InboxKind, key: string | null, payload: unknown): boolean {
    const rows = this.store.rows(
      `INSERT INTO inbox (kind, key, payload, received_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO NOTHING RETURNING id`,
      [kind, key, JSON.stringify(payload), this.worker],
    );
    return rows.length === 1;
  }

  /** The oldest inputs waiting, in the order they were received. */
  waiting(limit = 500): InboxItem[] {
    return this.store.rows<InboxItem>('SELECT id, kind, key, payload FROM inbox ORDER BY id LIMIT $1', [
      limit,
    ]);
  }

  /**
   * Drops inputs the holder has applied and committed to the journal: by id, not up to one, because
   * ids are taken before commit and a lower one may still be committing.
   */
  done(ids: number[]): void {
    this.store.statement('DELETE FROM inbox WHERE id = ANY($1::bigint[])', [ids]);
  }
}
