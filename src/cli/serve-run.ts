import { hostname } from 'node:os';
import { PgStore } from '../engine/pg-store.js';
import { stockPlays } from '../engine/plays.js';
import { isLoopback, parseListen } from '../live/access.js';
import { systemClock } from '../live/clock.js';
import { loadLiveConfig } from '../live/config.js';
import { LiveEngine } from '../live/runtime.js';
import { buildServer } from '../live/server.js';
import { LeasedWorker } from '../live/worker.js';
import { InputError } from '../toolkit/errors.js';
import { readUserFile } from '../toolkit/files.js';
import type { CommandContext } from './main.js';
import { exampleServeConfig } from './paths.js';
import { openStore } from './run-store.js';

export interface ServeFlags {
  config?: string;
  db?: string;
  /** Seconds a Postgres worker's lease on the live run lasts unrenewed: the takeover time after a crash. */
  lease: number;
  listen: string;
  check?: boolean;
  tokenFile?: string;
}

/** How often the engine's clock is moved when no request moves it: timers fire within a second of due. */
const HEARTBEAT_MS = 1000;

function bearerToken(flags: ServeFlags): string | null {
  if (flags.tokenFile) {
    const token = readUserFile(flags.tokenFile).trim();
    if (token === '') throw new InputError('is empty', flags.tokenFile, '--token-file');
    return token;
  }
  return process.env.RUNBOOK_TOKEN || null;
}

/** `runbook serve`: loaded only when the command runs (Fastify, the live engine). */
export async function serve(flags: ServeFlags, ctx: CommandContext): Promise<void> {
  const file = flags.config ?? exampleServeConfig();
  const config = loadLiveConfig(file, Object.keys(stockPlays));
  if (flags.check) {
    ctx.io.out(`${file}: ok (${config.incidentTypes.length} incident types)\n`);
    return;
  }
  const listen = parseListen(flags.listen);
  const token = bearerToken(flags);
  if (!isLoopback(listen.host) && token === null) {
    throw new InputError(
      `refuses to listen on ${listen.host} without a bearer token (--token-file FILE or RUNBOOK_TOKEN)`,
      undefined,
      '--listen',
    );
  }
  const store = flags.db ? openStore(flags.db, false) : null;
  const start = () => new LiveEngine({ config, configFile: file, store, clock: systemClock });
  // On Postgres every serve is one of possibly several workers: the lease holder drives the run.
  const live =
    store instanceof PgStore
      ? new LeasedWorker({
          store,
          name: `${hostname()}/${process.pid}`,
          leaseSeconds: flags.lease,
          clock: systemClock,
          config,
          startEngine: start,
          log: (message, fields) => app.log.info(fields ?? {}, message),
        })
      : start();
  const app = buildServer(live, { token, logger: { level: 'info' } });
  if (live instanceof LeasedWorker) live.heartbeat();
  app.log.info(
    { run: live.run?.id ?? null, replayed: live.resumed, db: store?.location ?? null },
    'engine ready',
  );
  const heartbeat = setInterval(() => live.heartbeat(), HEARTBEAT_MS);
  try {
    await app.listen(listen);
  } catch (error) {
    clearInterval(heartbeat);
    live.close();
    store?.close();
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InputError(`cannot listen on ${flags.listen} (${code})`, undefined, '--listen');
  }
  await new Promise<void>((done) => {
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
  clearInterval(heartbeat);
  // Fastify answers the requests in flight before it closes; then the last inputs are committed.
  await app.close();
  live.close();
  store?.close();
  app.log.info('stopped');
}
