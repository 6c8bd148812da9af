import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Batch, Store, StoredRun } from '../src/engine/journal.js';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import type { InputError } from '../src/toolkit/errors.js';
import { type LiveServer, metric, startLive, until } from './support/live-server.js';

/**
 * 503 with Retry-After when the journal falls behind, set up exactly rather than raced: a disk whose
 * commits move the test's wall clock on (a commit that took 3 s), and a request held half-sent so it
 * waits for the journal as long as the test likes.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-behind-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const running: LiveServer[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.close();
});

/** The SQLite store, each commit of which first runs `delay` (which moves the test's clock). */
function slowDisk(store: SqliteStore, delay: () => void): Store {
  const slow = (run: StoredRun): StoredRun =>
    new Proxy(run, {
      get(target, property) {
        if (property === 'commit')
          return (batch: Batch) => {
            delay();
            target.commit(batch);
          };
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  return {
    location: store.location,
    createRun: (meta) => slow(store.createRun(meta)),
    openRun: (id) => slow(store.openRun(id)),
    runs: () => store.runs(),
    close: () => store.close(),
  };
}

const postAlerts = (base: string, service: string) =>
  fetch(`${base}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ labels: { alertname: 'HighErrorRate', service } }]),
  });

describe('runbook serve when the journal falls behind', () => {
  it('answers 503 with Retry-After for the hold after a commit slower than maxCommitSeconds', async () => {
    let commitMs = 0;
    const store = new SqliteStore(join(dir, 'slow.db'));
    const server = await startLive(
      slowDisk(store, () => server.advance(commitMs)),
      (config) => ({ ...config, journal: { ...config.journal, maxCommitSeconds: 2, retryAfterSeconds: 10 } }),
    );
    running.push(server);
    const { base, live, advance } = server;
    expect((await postAlerts(base, 'agent')).status).toBe(200);
    commitMs = 3000;
    // The slow commit itself completes: its alert is journaled and answered.
    expect((await postAlerts(base, 'billing')).status).toBe(200);
    commitMs = 0;
    const journaled = live.run?.entries().length;

    advance(4000);
    const refused = await postAlerts(base, 'search');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('6');
    expect((await refused.json()).error).toBe('the journal is behind: a commit took 3s (more than 2s)');
    const sli = await fetch(`${base}/api/sli`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sli: 'quality', requests: 1, errors: 0 }),
    });
    expect(sli.status).toBe(503);
    expect(live.run?.entries().length).toBe(journaled);
    // Reading is never refused.
    expect((await fetch(`${base}/api/incidents`)).status).toBe(200);
    expect(await metric(base, 'runbook_journal_behind_total{reason="slow_commit"}')).toBe(2);
    expect(await metric(base, 'runbook_journal_commit_seconds_bucket{le="1"}')).toBe(1);
    expect(await metric(base, 'runbook_journal_commit_seconds_bucket{le="5"}')).toBe(2);

    advance(6000);
    expect((await postAlerts(base, 'search')).status).toBe(200);
    const services = (await (await fetch(`${base}/api/incidents`)).json()).incidents.map(
      (i: { labels: { service: string } }) => i.labels.service,
    );
    expect(services).toEqual(['agent', 'billing', 'search']);
  });

  it('answers 503 while maxWaitingRequests requests wait for the journal, and reports the lag; a body still arriving holds no place', async () => {
    const server = await startLive(new SqliteStore(join(dir, 'queue.db')), (config) => ({
      ...config,
      journal: { ...config.journal, maxWaitingRequests: 1 },
    }));
    running.push(server);
    const { base, live, advance } = server;
    expect(await metric(base, 'runbook_journal_pending_requests')).toBe(0);
    // A request whose body has not all arrived waits for its client, not for the journal.
    const body = JSON.stringify([{ labels: { alertname: 'HighErrorRate', service: 'agent' } }]);
    const socket = connect(Number(new URL(base).port), '127.0.0.1');
    const answer = new Promise<string>((done) => {
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
        if (text.includes('\r\n\r\n{')) done(text);
      });
    });
    socket.write(
      `POST /api/v2/alerts HTTP/1.1\r\nHost: 127.0.0.1:${new URL(base).port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    expect((await postAlerts(base, 'search')).status).toBe(200);
    expect(await metric(base, 'runbook_journal_pending_requests')).toBe(0);

    // One whose body is in and whose inputs wait for a commit (a Postgres worker's, which is async).
    const answered = live.journal.arrived({});
    expect(await metric(base, 'runbook_journal_pending_requests')).toBe(1);
    advance(7000);
    expect(await metric(base, 'runbook_journal_lag_seconds')).toBe(7);
    const refused = await postAlerts(base, 'billing');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect((await refused.json()).error).toBe(
      'the journal is behind: 1 requests are waiting for it (at most 1)',
    );
    expect(await metric(base, 'runbook_journal_behind_total{reason="queue"}')).toBe(1);
    expect(live.run?.entries().filter((e) => e.input.kind === 'alert')).toHaveLength(1);
    answered();
    expect(await metric(base, 'runbook_journal_lag_seconds')).toBe(0);

    socket.end(body.slice(10));
    expect(await answer).toMatch(/^HTTP\/1\.1 200 /);
    await until('the answered request to leave the queue', async () =>
      (await metric(base, 'runbook_journal_pending_requests')) === 0 ? true : null,
    );
    expect((await postAlerts(base, 'billing')).status).toBe(200);
    expect(live.run?.entries().filter((e) => e.input.kind === 'alert')).toHaveLength(3);
  });

  it('ends requests that never finish arriving (408) after requestTimeoutSeconds, and takes new ones meanwhile', async () => {
    const server = await startLive(new SqliteStore(join(dir, 'stalled.db')), (config) => ({
      ...config,
      journal: { ...config.journal, maxWaitingRequests: 5, requestTimeoutSeconds: 1 },
    }));
    running.push(server);
    const { base } = server;
    const port = Number(new URL(base).port);
    // Chunked bodies that are never finished: what held intake before.
    const stalled = Array.from({ length: 50 }, () => {
      const socket = connect(port, '127.0.0.1');
      const closed = new Promise<string>((done) => {
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk;
        });
        socket.on('close', () => done(text));
      });
      socket.write(
        `POST /api/v2/alerts HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[{"la\r\n`,
      );
      return closed;
    });
    expect((await postAlerts(base, 'search')).status).toBe(200);
    expect(await metric(base, 'runbook_journal_pending_requests')).toBe(0);
    const answers = await Promise.all(stalled);
    expect(answers.every((text) => text.startsWith('HTTP/1.1 408'))).toBe(true);
    expect((await postAlerts(base, 'billing')).status).toBe(200);
  });

  it('refuses limits that are not positive in the configuration', async () => {
    const { parseLiveConfig } = await import('../src/live/config.js');
    const { readFileSync } = await import('node:fs');
    const text = `${readFileSync('examples/serve.yaml', 'utf8')}\njournal: { maxWaitingRequests: 0 }\n`;
    const error = (() => {
      try {
        parseLiveConfig(text, 'live.yaml', ['rollback']);
      } catch (thrown) {
        return (thrown as InputError).format();
      }
    })();
    expect(error).toBe('runbook: live.yaml: journal.maxWaitingRequests: must be >= 1 (got 0)');
  });
});
