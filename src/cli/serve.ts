import { stockPlays } from '../engine/plays.js';
import { DEFAULT_LISTEN, isLoopback, parseListen } from '../live/access.js';
import { systemClock } from '../live/clock.js';
import { loadLiveConfig } from '../live/config.js';
import { LiveEngine } from '../live/runtime.js';
import { buildServer } from '../live/server.js';
import { InputError } from '../toolkit/errors.js';
import { readUserFile } from '../toolkit/files.js';
import type { CommandContext, CommandModule } from './main.js';
import { exampleServeConfig } from './paths.js';
import { openStore } from './runs.js';

interface ServeFlags {
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

async function serve(flags: ServeFlags, ctx: CommandContext): Promise<void> {
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

export const registerServe: CommandModule = (program, ctx) => {
  program
    .command('serve')
    .description('Run the engine live: Alertmanager alerts in over HTTP, incidents out, on the real clock.')
    .option('--config <file>', 'the live configuration (YAML); the shipped example when left out')
    .option(
      '--db <file>',
      'the SQLite journal; a restart resumes its last running run (in memory without it)',
    )
    .option('--listen <host:port>', 'where to listen', DEFAULT_LISTEN)
    .option('--token-file <file>', 'a bearer token every API request must carry (or RUNBOOK_TOKEN)')
    .option('--check', 'validate the configuration and exit (0 ok, 2 naming the file and field)')
    .addHelpText(
      'after',
      '\nExamples:\n  runbook serve\n  runbook serve --config live.yaml --db live.db --listen 127.0.0.1:9095\n  runbook serve --check --config live.yaml',
    )
    .action((flags: ServeFlags) => serve(flags, ctx));
};
