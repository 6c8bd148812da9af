import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stockPlays } from '../src/engine/plays.js';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import { parseLiveConfig } from '../src/live/config.js';
import { LiveEngine } from '../src/live/runtime.js';
import { buildServer } from '../src/live/server.js';
import { InputError } from '../src/toolkit/errors.js';

/** `runbook serve` measured on SLIs of its configuration's own naming, over real HTTP on loopback. */

const dir = mkdtempSync(join(tmpdir(), 'runbook-live-slis-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHECKOUT = readFileSync('examples/serve.yaml', 'utf8')
  .replace(
    'slos:\n  quality: { objective: 0.99 }\n',
    'slos:\n  availability: { kind: availability, objective: 0.999 }\n  latency: { kind: latency, objective: 0.99, thresholdMs: 300 }\n',
  )
  .replace('    sli: quality\n', '    sli: availability\n');
const plays = Object.keys(stockPlays);

describe("serve's configuration with SLIs as data", () => {
  it('declares any SLIs; an incident type and a Prometheus query may name only those', () => {
    expect(CHECKOUT).toContain('sli: availability');
    const config = parseLiveConfig(CHECKOUT, 'live.yaml', plays);
    expect(Object.keys(config.slos)).toEqual(['availability', 'latency']);
    const wrong = CHECKOUT.replace('    sli: availability\n', '    sli: quality\n');
    expect(() => parseLiveConfig(wrong, 'live.yaml', plays)).toThrow(
      /unknown SLI "quality" \(declared under slos: availability, latency\)/,
    );
    try {
      parseLiveConfig(
        `${CHECKOUT}prometheus:\n  url: http://127.0.0.1:9090\n  queries:\n    constructor: { errors: a, total: b }\n`,
        'live.yaml',
        plays,
      );
      expect.fail('a query for an undeclared SLI was accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).field).toBe('prometheus.queries.constructor');
    }
  });

  it('takes POST /api/sli for every configured SLI and refuses one it does not have, own names only', async () => {
    let now = Date.UTC(2026, 11, 1, 9, 0, 20);
    const store = new SqliteStore(join(dir, 'live.db'));
    const live = new LiveEngine({
      config: parseLiveConfig(CHECKOUT, 'live.yaml', plays),
      configFile: 'live.yaml',
      store,
      clock: () => now,
    });
    const app = buildServer(live, { token: null, logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const post = (body: unknown) =>
        fetch(`${base}/api/sli`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      // The minute that just ended is what a post counts: one minute on.
      now += 60_000;
      for (const sli of ['availability', 'latency']) {
        const response = await post({ sli, requests: 1000, errors: 2 });
        expect(response.status, sli).toBeLessThan(300);
      }
      for (const sli of ['quality', 'constructor', 'toString']) {
        const response = await post({ sli, requests: 10, errors: 1 });
        expect(response.status, sli).toBe(400);
        expect(((await response.json()) as { error: string }).error).toContain(`unknown SLI "${sli}"`);
      }
    } finally {
      await app.close();
      live.close();
      store.close();
    }
  });
});
