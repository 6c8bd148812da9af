import { join } from 'node:path';
import { SqliteStore } from '../../src/engine/sqlite-store.js';
import { startLive } from './live-server.js';

const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/**
 * A stored run of `runbook serve` in `dir/live.db`: INC-1 (agent) paged by its SLI's burn,
 * acknowledged and rolled back; INC-2 (billing) only looked at. Answers the database's path.
 */
export async function storedLiveRun(dir: string): Promise<string> {
  const db = join(dir, 'live.db');
  const server = await startLive(new SqliteStore(db));
  const { base, advance } = server;
  try {
    await post(base, '/api/v2/alerts', [
      { labels: { alertname: 'AnswerQualityLow', service: 'agent' } },
      { labels: { alertname: 'HighLatency', service: 'billing' } },
    ]);
    advance(60_000);
    await post(base, '/api/sli', { sli: 'quality', requests: 1000, errors: 400 });
    advance(60_000);
    await post(base, '/api/incidents/INC-1/ack', { by: 'Alice Chen' });
    // The rollback play reports on its own; the next minute's counts show the SLI back.
    await new Promise((done) => setTimeout(done, 50));
    advance(60_000);
    await post(base, '/api/sli', { sli: 'quality', requests: 1000, errors: 0 });
  } finally {
    await server.close();
  }
  return db;
}
