import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../src/engine/journal.js';
import { stockPlays } from '../../src/engine/plays.js';
import { type LiveConfig, loadLiveConfig } from '../../src/live/config.js';
import { LiveEngine } from '../../src/live/runtime.js';
import { buildServer } from '../../src/live/server.js';

/** `runbook serve` in process on loopback, on a wall clock the test moves itself. */

export const LIVE_CONFIG = 'examples/serve.yaml';

export interface LiveServer {
  base: string;
  live: LiveEngine;
  app: FastifyInstance;
  /** Moves the wall clock on by `ms` milliseconds. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function startLive(
  store: Store,
  tune: (config: LiveConfig) => LiveConfig = (config) => config,
  bodyLimit?: number,
): Promise<LiveServer> {
  let now = Date.UTC(2026, 11, 1, 9, 0, 20);
  const config = tune(loadLiveConfig(LIVE_CONFIG, Object.keys(stockPlays)));
  const live = new LiveEngine({ config, configFile: LIVE_CONFIG, store, clock: () => now });
  const app = buildServer(live, { token: null, logger: false, bodyLimit });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    live,
    app,
    advance: (ms) => {
      now += ms;
    },
    close: async () => {
      await app.close();
      live.close();
      store.close();
    },
  };
}

export async function metric(base: string, name: string): Promise<number | null> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? null : Number(line.slice(name.length + 1));
}

/** Polls until `probe` answers something other than null; a condition, not a timing assertion. */
export async function until<T>(what: string, probe: () => Promise<T | null>, ms = 30_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}
