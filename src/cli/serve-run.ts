import { closeSync, existsSync, openSync } from 'node:fs';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { StoredRun } from '../engine/journal.js';
import { isPostgresUrl, PgStore } from '../engine/pg-store.js';
import { stockPlays } from '../engine/plays.js';
import { isLoopback, parseListen } from '../live/access.js';
import { checkServe, IN_MEMORY } from '../live/check.js';
import { systemClock } from '../live/clock.js';
import { type LiveConfig, loadLiveConfig } from '../live/config.js';
import { missingRoutingKey } from '../live/notifiers.js';
import { type DeliveryOptions, OutboxDelivery } from '../live/outbox.js';
import { livePlays } from '../live/plays.js';
import { PrometheusSli } from '../live/prometheus.js';
import { ReleaseFollower } from '../live/release-hook.js';
import { LiveEngine } from '../live/runtime.js';
import { redactUrl } from '../live/secrets.js';
import { buildServer } from '../live/server.js';
import { LeasedWorker } from '../live/worker.js';
import { InputError } from '../toolkit/errors.js';
import { readUserFile } from '../toolkit/files.js';
import { exampleServeConfig } from '../toolkit/package-files.js';
import type { CommandContext } from './command.js';
import { openStore } from './run-store.js';

export interface ServeFlags {
  config?: string;
  db?: string;
  /** Seconds a Postgres worker's lease on the live run lasts unrenewed: the takeover time after a crash. */
  lease: number;
  listen: string;
  check?: boolean;
  tokenFile?: string;
  allowHost?: string[];
  inspectorPort?: number;
  /** The engine's clock runs this many times faster than the wall clock. */
  timeScale: number;
}

/**
 * How often the engine's clock is moved when no request moves it: timers fire within a second of due,
 * or within a quarter of an engine minute when a time scale makes minutes shorter than four seconds.
 */
const heartbeatMs = (timeScale: number) => Math.min(1000, 15_000 / timeScale);

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
  const config = loadLiveConfig(file, [...Object.keys(stockPlays), ...Object.keys(livePlays({}))]);
  if (flags.check) {
    const listenAt = parseListen(flags.listen);
    const findings = checkServe(config, { listen: listenAt, token: bearerToken(flags), db: flags.db });
    const failing = findings.find((f) => f.fails);
    for (const f of findings)
      if (f !== failing)
        ctx.io.err(`runbook: ${f.fails ? 'error' : 'warning'}: ${file}: ${f.field}: ${f.message}\n`);
    if (failing) throw new InputError(failing.message, file, failing.field);
    const warned = findings.length > 0 ? `, ${findings.length} warnings above` : '';
    ctx.io.out(`${file}: ok (${config.incidentTypes.length} incident types${warned})\n`);
    return;
  }
  const missing = missingRoutingKey(config.notifiers);
  if (missing) throw new InputError(missing.why, file, `notifiers[${missing.index}].routingKeyEnv`);
  const listen = parseListen(flags.listen);
  const token = bearerToken(flags);
  if (!isLoopback(listen.host) && token === null) {
    throw new InputError(
      `refuses to listen on ${listen.host} without a bearer token (--token-file FILE or RUNBOOK_TOKEN)`,
      undefined,
      '--listen',
    );
  }
  // Without --db the journal lives in memory: nothing survives a restart, but the outbox still delivers.
  // Checkpoints off the main thread: no answer waits for the WAL to be copied back.
  if (flags.db) privateJournal(flags.db);
  const store = openStore(flags.db ?? ':memory:', false, 'background');
  // Loud, on stderr and in the log: a journal in memory is gone with the process.
  if (!flags.db) ctx.io.err(`runbook: warning: ${IN_MEMORY} (give --db FILE)\n`);
  if (store instanceof PgStore && flags.timeScale !== 1) {
    store.close();
    throw new InputError(
      'is for one-process game days: Postgres workers run on the wall clock',
      undefined,
      '--time-scale',
    );
  }
  let app: FastifyInstance | undefined;
  const log: DeliveryOptions['log'] = {
    warn: (details, message) => app?.log.warn(details, message),
    error: (details, message) => app?.log.error(details, message),
  };
  let delivery = null as OutboxDelivery | null;
  let follower = null as ReleaseFollower | null;
  const start = () => {
    const engine = new LiveEngine({
      config,
      configFile: file,
      store,
      clock: systemClock,
      timeScale: flags.timeScale,
    });
    // A worker that wins the lease again starts a new engine: the outbox and the deploy hook follow it.
    void delivery?.stop();
    follower?.stop();
    delivery = engine.run && startDelivery(engine, engine.run, config, log);
    follower = engine.run && followReleases(engine, engine.run.id, config, () => app);
    const outbox = delivery;
    const deploys = follower;
    engine.afterCommit = () => {
      outbox?.wake();
      deploys?.wake();
    };
    engine.afterCommit();
    return engine;
  };
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
          log: (message, fields) => app?.log.info(fields ?? {}, message),
        })
      : start();
  app = buildServer(live, { token, logger: { level: 'info' }, hosts: flags.allowHost ?? [] });
  if (live instanceof LeasedWorker) live.heartbeat();
  if (!flags.db) app.log.warn({ db: ':memory:' }, IN_MEMORY);
  const inspector =
    flags.inspectorPort === undefined
      ? null
      : await openInspector(live, config.name, flags.inspectorPort, token);
  // The URL without the token: a log line is no place for it (open it with ?token=TOKEN).
  if (inspector)
    app.log.info(
      { inspector: inspector.url, token: token === null ? 'none' : 'add ?token=TOKEN' },
      'inspector attached to the engine',
    );
  app.log.info(
    { run: live.run?.id ?? null, replayed: live.resumed, db: redactUrl(store.location) },
    'engine ready',
  );
  // The run's own pace: a resumed run keeps the time scale it started with, whatever the flag says now.
  const { timeScale } = live;
  if (timeScale !== flags.timeScale)
    app.log.warn({ timeScale, flag: flags.timeScale }, 'the resumed run keeps its own --time-scale');
  const heartbeat = setInterval(() => live.heartbeat(), heartbeatMs(timeScale));
  // Prometheus is read once an engine minute's evaluation interval: scaled with the engine's clock.
  const prometheus = config.prometheus
    ? new PrometheusSli(
        live,
        { ...config.prometheus, intervalSeconds: config.prometheus.intervalSeconds / timeScale },
        (message) => app?.log.warn(message),
      )
    : null;
  prometheus?.start();
  try {
    await app.listen(listen);
  } catch (error) {
    clearInterval(heartbeat);
    prometheus?.stop();
    await inspector?.close();
    live.close();
    await delivery?.stop();
    store.close();
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
  await inspector?.close();
  await app.close();
  live.close();
  follower?.stop();
  await delivery?.stop();
  store.close();
  app.log.info('stopped');
}

/**
 * A new SQLite journal is created readable by its owner only (0600): it holds alerts, incidents and
 * the configuration's references. SQLite gives its -wal and -shm files the database's permissions.
 */
function privateJournal(db: string): void {
  if (isPostgresUrl(db) || existsSync(db)) return;
  try {
    closeSync(openSync(db, 'wx', 0o600));
  } catch {
    // Made meanwhile, or a directory that is not there: openStore says so, naming --db.
  }
}

/** Notifications go out as they are committed, and at least once a heartbeat for retries. */
function startDelivery(
  live: LiveEngine,
  run: StoredRun,
  config: LiveConfig,
  log: DeliveryOptions['log'],
): OutboxDelivery {
  const delivery = new OutboxDelivery({
    outbox: run,
    run: run.id,
    epoch: live.engine.config.epoch,
    notifiers: config.notifiers,
    clock: systemClock,
    metrics: live.metrics,
    log,
    timeoutSeconds: config.delivery.timeoutSeconds,
    backoff: config.delivery.backoff,
    refused: (notifier, n, why) => live.refused(notifier, n, why),
    neverTriggered: (notifier, incident) => live.neverTriggered(notifier, incident),
  });
  return delivery;
}

/** Promotions the canary makes are carried out through the deploy hook (release-hook.ts). */
function followReleases(
  live: LiveEngine,
  run: string,
  config: LiveConfig,
  app: () => FastifyInstance | undefined,
): ReleaseFollower {
  return new ReleaseFollower({
    engine: live.engine,
    run,
    hook: config.deploy.promote,
    log: (message, fields) => app()?.log.info(fields, message),
  });
}

/**
 * The offline inspector, watching this engine's actors rather than running a shift (loaded only when
 * asked for). On Postgres it follows the engine this worker drives, whenever it holds the run.
 */
async function openInspector(
  live: LiveEngine | LeasedWorker,
  name: string,
  port: number,
  token: string | null,
) {
  const { startInspector } = await import('../views/inspector/server.js');
  return startInspector({
    scenario: { name },
    live: {
      name,
      trace: () => (live instanceof LiveEngine ? live.engine.trace.entries : live.trace()),
      watch: (tap) => live.watch(tap),
    },
    port,
    speed: 0,
    token,
  });
}
