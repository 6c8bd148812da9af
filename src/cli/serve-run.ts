import { stockPlays } from '../engine/plays.js';
import { isLoopback, parseListen } from '../live/access.js';
import { systemClock } from '../live/clock.js';
import { loadLiveConfig } from '../live/config.js';
import { PrometheusSli } from '../live/prometheus.js';
import { LiveEngine } from '../live/runtime.js';
import { buildServer } from '../live/server.js';
import { InputError } from '../toolkit/errors.js';
import { readUserFile } from '../toolkit/files.js';
import type { CommandContext } from './main.js';
import { exampleServeConfig } from './paths.js';
import { openStore } from './run-store.js';

export interface ServeFlags {
  config?: string;
  db?: string;
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
  const live = new LiveEngine({ config, configFile: file, store, clock: systemClock });
  const app = buildServer(live, { token, logger: { level: 'info' } });
  app.log.info({ run: live.run?.id ?? null, replayed: live.resumed, db: flags.db ?? null }, 'engine ready');
  const heartbeat = setInterval(() => live.heartbeat(), HEARTBEAT_MS);
  const prometheus = config.prometheus
    ? new PrometheusSli(live, config.prometheus, (message) => app.log.warn(message))
    : null;
  prometheus?.start();
  try {
    await app.listen(listen);
  } catch (error) {
    clearInterval(heartbeat);
    prometheus?.stop();
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
  prometheus?.stop();
  // Fastify answers the requests in flight before it closes; then the last inputs are committed.
  await app.close();
  live.close();
  store?.close();
  app.log.info('stopped');
}
