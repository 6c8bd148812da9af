import { realpathSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import { z } from 'zod';
import { InputError } from '../../src/toolkit/errors.js';
import { stockScenario } from '../../src/toolkit/package-files.js';
import { explainIssue, fieldPath } from '../../src/toolkit/schema-errors.js';
import { loadScenario } from '../../src/world/scenario.js';
import {
  answer,
  answersCorrectly,
  asEvalCase,
  type Question,
  ServiceUnderOperation,
} from '../../src/world/service.js';

/**
 * The agent of the stock shift as a real HTTP service, for a live game day: it answers the scenario's
 * question pool with whichever release is live, serves steady synthetic traffic that Prometheus
 * scrapes as `agent_answers_total`, and lets `runbook serve`'s plays deploy and roll back releases
 * and its canary evaluate them. Every answer comes from src/world/service.ts, so a release is as
 * right or wrong here as it is in the offline drill.
 */

export interface AgentServiceOptions {
  /** The scenario whose question pool and releases the service has; the stock shift by default. */
  scenario?: string;
  /** The release live at start; the scenario's `initialRelease` by default. */
  release?: string;
  host?: string;
  port?: number;
  /** Synthetic traffic, served in tenths of a second; 0 for none (only `/ask` then counts). */
  requestsPerSecond?: number;
  logger?: boolean;
}

export interface ReleaseChange {
  release: string;
  /** ISO time of the change. */
  at: string;
  via: 'initial' | 'deploy' | 'rollback';
}

export interface AgentServiceState {
  live: string;
  history: ReleaseChange[];
  /** Answers given so far, synthetic traffic and `/ask` together. */
  answers: { right: number; wrong: number };
}

export interface AgentService {
  url: string;
  close(): Promise<void>;
  state(): AgentServiceState;
}

/** How often the synthetic traffic is served: ten times a second, smooth at a one-second scrape. */
const TICK_MS = 100;
/** Idempotency keys remembered; the oldest is forgotten past this (a game day sends a handful). */
const KEPT_KEYS = 10_000;
/** Synthetic requests a second, at most: enough for any game day, bounded so a tick stays short. */
const MAX_RATE = 100_000;

const releaseName = z.string().min(1, 'must name a release');
const text = z.string().min(1, 'must not be empty');
// Extra fields are allowed everywhere: the engine's deploy hook adds `action`, `from`, `incident`.
const bodies = {
  ask: z.object({ question: text }),
  deploy: z.object({ release: releaseName }),
  // `to` is where the engine's release record says the rollback lands: honoured when it names a release.
  rollback: z.object({ to: releaseName.optional() }).optional(),
  eval: z.object({
    release: releaseName,
    cases: z
      .array(z.object({ id: text, topic: text, question: text, expected: z.string() }))
      .max(10_000, 'must list at most 10,000 cases'),
  }),
  wrongAnswers: z.object({ release: releaseName, sli: text }),
};

/** A request the client must fix: answered 400 (or `status`) with the field it got wrong. */
class Refused extends Error {
  constructor(
    message: string,
    readonly field?: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body, { reportInput: true });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (!issue) throw new Refused('invalid body', '(body)');
  const { path, message } = explainIssue(issue);
  throw new Refused(message, fieldPath(path) || '(body)');
}

/** Which release is live and how it got there: deploys and rollbacks, in order. */
class ReleaseRecord {
  readonly history: ReleaseChange[];

  constructor(
    private readonly known: ReadonlySet<string>,
    initial: string,
  ) {
    this.history = [{ release: initial, at: new Date().toISOString(), via: 'initial' }];
  }

  get live(): string {
    return (this.history.at(-1) as ReleaseChange).release;
  }

  /** The release named, refused (400 naming `field`) when the scenario has no such release. */
  check(release: string, field = 'release'): string {
    if (this.known.has(release)) return release;
    const names = [...this.known].join(', ');
    throw new Refused(`unknown release ${JSON.stringify(release)} (the releases are ${names})`, field);
  }

  deploy(release: string): { live: string; previous: string } {
    return this.move(this.check(release), 'deploy');
  }

  /** Back to `to` when named, else to the last release in the history that is not the live one. */
  rollback(to?: string): { live: string; previous: string } {
    if (to !== undefined) return this.move(this.check(to, 'to'), 'rollback');
    const live = this.live;
    const target = this.history.findLast((change) => change.release !== live);
    if (!target)
      throw new Refused(`nothing to roll back to: ${live} is the only release live so far`, undefined, 409);
    return this.move(target.release, 'rollback');
  }

  private move(release: string, via: ReleaseChange['via']): { live: string; previous: string } {
    const previous = this.live;
    this.history.push({ release, at: new Date().toISOString(), via });
    return { live: release, previous };
  }
}

/** The service's own metrics (not prom-client's global registry), in the names the SLO spec queries. */
class AgentMetrics {
  readonly registry = new Registry();
  readonly counts = { right: 0, wrong: 0 };
  private readonly answers = new Counter({
    name: 'agent_answers_total',
    help: 'Answers given, by outcome (right or wrong, as the eval set would mark them) and topic.',
    labelNames: ['outcome', 'topic'] as const,
    registers: [this.registry],
  });
  private readonly releaseInfo = new Gauge({
    name: 'agent_release_info',
    help: 'The live release: 1 for it, no series for the others.',
    labelNames: ['release'] as const,
    registers: [this.registry],
  });

  constructor(topics: readonly string[]) {
    // The example's index never goes stale: its freshness SLI stays good.
    new Gauge({
      name: 'agent_index_fresh',
      help: 'Whether the retrieval index is fresh (1) or stale (0).',
      registers: [this.registry],
    }).set(1);
    // Every series exists from the start, so rate() has a first sample at 0 rather than a gap.
    for (const topic of topics)
      for (const outcome of ['right', 'wrong']) this.answers.inc({ outcome, topic }, 0);
  }

  answered(topic: string, right: boolean, times = 1): void {
    const outcome = right ? 'right' : 'wrong';
    this.answers.inc({ outcome, topic }, times);
    this.counts[outcome] += times;
  }

  live(release: string): void {
    this.releaseInfo.reset();
    this.releaseInfo.set({ release }, 1);
  }
}

/** Remembers each Idempotency-Key's first answer, so a play run again after a crash changes nothing. */
class IdempotentAnswers {
  private readonly seen = new Map<string, { status: number; body: unknown }>();

  async answer(key: string | undefined, reply: FastifyReply, act: () => unknown): Promise<FastifyReply> {
    const first = key === undefined ? undefined : this.seen.get(key);
    if (first) return reply.code(first.status).header('idempotent-replay', 'true').send(first.body);
    let status = 200;
    let body: unknown;
    try {
      body = act();
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      status = error.status;
      body = { error: error.message, ...(error.field ? { field: error.field } : {}) };
    }
    if (key !== undefined) {
      this.seen.set(key, { status, body });
      if (this.seen.size > KEPT_KEYS) this.seen.delete(this.seen.keys().next().value as string);
    }
    return reply.code(status).send(body);
  }
}

/**
 * Steady synthetic traffic: request i asks question i mod n (as `questionCounts` lays out a drill's
 * minute), answered by the live release. A fraction of a request owed at one tick is served at a later
 * one, so any rate comes out exact over a second.
 */
function startTraffic(
  service: ServiceUnderOperation,
  record: ReleaseRecord,
  metrics: AgentMetrics,
  requestsPerSecond: number,
): () => void {
  let requests = 0;
  let owed = 0;
  const tick = () => {
    owed += requestsPerSecond / (1000 / TICK_MS);
    const due = Math.floor(owed);
    owed -= due;
    const pool = service.questions;
    for (let k = 0; k < due; k += 1, requests += 1) {
      const question = pool[requests % pool.length] as Question;
      metrics.answered(question.topic, answeredRightly(service, record.live, question));
    }
  };
  const timer = setInterval(tick, TICK_MS);
  // The HTTP server keeps a CLI process alive; the traffic alone must not keep a test's.
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Right, as the quality SLI counts it: a topic whose `answer:<topic>` flag is off is handed to a
 * human, which is not a wrong answer (the drill's `serve` counts it the same way).
 */
function answeredRightly(service: ServiceUnderOperation, release: string, question: Question): boolean {
  if (!service.flagOn(`answer:${question.topic}`)) return true;
  return answersCorrectly(service.release(release), question);
}

/** JSON in; an empty body is no body (a bare `curl -X POST .../rollback` sends none). */
function acceptJson(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const json = (body as string).trim();
    if (json === '') return done(null, undefined);
    try {
      done(null, JSON.parse(json));
    } catch {
      done(new Refused('is not valid JSON', '(body)'), undefined);
    }
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof Refused) {
      return reply
        .code(error.status)
        .send({ error: error.message, ...(error.field ? { field: error.field } : {}) });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error(error);
      return reply.code(500).send({ error: 'internal error' });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const got = request.headers['content-type'] ?? 'none';
      return reply.code(415).send({ error: `must be application/json (got ${got})`, field: 'content-type' });
    }
    return reply.code(status).send({ error: error.message, field: '(body)' });
  });
}

function buildApp(
  service: ServiceUnderOperation,
  record: ReleaseRecord,
  metrics: AgentMetrics,
  logger: boolean,
): FastifyInstance {
  const app = Fastify({ logger, bodyLimit: 1024 * 1024 });
  acceptJson(app);
  const byAsk = new Map(service.questions.map((q) => [q.ask, q]));
  const idempotent = new IdempotentAnswers();
  // Keys are per endpoint: the same key sent to /deploy and to /rollback names two different calls.
  const keyOf = (endpoint: string, header: string | string[] | undefined) =>
    typeof header === 'string' ? `${endpoint} ${header}` : undefined;

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get('/release', async () => ({ live: record.live, history: record.history }));
  app.post('/ask', async (request, reply) => {
    const { question: ask } = parse(bodies.ask, request.body);
    const question = byAsk.get(ask);
    if (!question) return reply.code(404).send({ error: 'no such question in the pool', field: 'question' });
    const spec = service.release(record.live);
    metrics.answered(question.topic, answeredRightly(service, spec.name, question));
    return { answer: answer(spec, question), release: spec.name, correct: answersCorrectly(spec, question) };
  });
  app.post('/deploy', (request, reply) =>
    idempotent.answer(keyOf('deploy', request.headers['idempotency-key']), reply, () => {
      const moved = record.deploy(parse(bodies.deploy, request.body).release);
      metrics.live(moved.live);
      return moved;
    }),
  );
  app.post('/rollback', (request, reply) =>
    idempotent.answer(keyOf('rollback', request.headers['idempotency-key']), reply, () => {
      const body = parse(bodies.rollback, request.body);
      const moved = record.rollback(body?.to);
      metrics.live(moved.live);
      return moved;
    }),
  );
  app.post('/eval', async (request) => {
    const body = parse(bodies.eval, request.body);
    const release = record.check(body.release);
    return { release, results: service.evaluate(release, body.cases) };
  });
  app.post('/wrong-answers', async (request) => {
    const body = parse(bodies.wrongAnswers, request.body);
    const release = record.check(body.release);
    // Only answer quality has wrong answers to learn from; a stale index is not a release's fault.
    const cases = body.sli === 'quality' ? service.wrongAnswers(release).map(asEvalCase) : [];
    return { release, cases };
  });
  return app;
}

/** Listening failures the user can fix (a port taken, a host not here) are bad input, not bugs. */
const LISTEN_ERRORS = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close();
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!LISTEN_ERRORS.has(code)) throw error;
    throw new InputError(`cannot listen on ${host}:${port} (${code})`, undefined, '--host/--port');
  }
  const bound = (app.server.address() as AddressInfo).port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
}

/** Starts the service; bad options (a scenario, a release, a rate) are thrown as InputError. */
export async function startAgentService(options: AgentServiceOptions = {}): Promise<AgentService> {
  const scenario = loadScenario(options.scenario ?? stockScenario());
  const known = new Set(scenario.releases.map((r) => r.name));
  const initial = options.release ?? scenario.initialRelease;
  if (!known.has(initial)) {
    const names = [...known].join(', ');
    throw new InputError(
      `unknown release ${JSON.stringify(initial)} (the scenario has ${names})`,
      undefined,
      '--release',
    );
  }
  const requestsPerSecond = options.requestsPerSecond ?? 50;
  if (!Number.isFinite(requestsPerSecond) || requestsPerSecond < 0 || requestsPerSecond > MAX_RATE)
    throw new InputError(`must be a number from 0 to ${MAX_RATE}`, undefined, '--requests-per-second');
  const record = new ReleaseRecord(known, initial);
  const service = new ServiceUnderOperation({
    name: scenario.service.name,
    requestsPerMinute: Math.round(requestsPerSecond * 60),
    questions: scenario.service.questions,
    releases: scenario.releases,
    index: scenario.service.index,
    // The record is the one place a deploy or a rollback lands; the service only reads it.
    live: () => record.live,
  });
  const metrics = new AgentMetrics([...new Set(scenario.service.questions.map((q) => q.topic))]);
  metrics.live(initial);
  const app = buildApp(service, record, metrics, options.logger ?? false);
  const url = await listen(app, options.host ?? '127.0.0.1', options.port ?? 0);
  const stopTraffic = startTraffic(service, record, metrics, requestsPerSecond);
  return {
    url,
    async close() {
      stopTraffic();
      await app.close();
    },
    state: () => ({ live: record.live, history: [...record.history], answers: { ...metrics.counts } }),
  };
}

const PROGRAM = 'agent-service';

/** The one line a user reads for bad input: `agent-service: FILE: FIELD: message`. */
const inputLine = (error: InputError) =>
  [PROGRAM, error.file, error.field, error.message]
    .filter(Boolean)
    .join(': ')
    .replace(/\s*[\r\n]+\s*/g, ' ');

function numberFlag(whole: boolean, max: number) {
  return (value: string) => {
    const n = Number(value);
    const bad =
      value.trim() === '' || !Number.isFinite(n) || n < 0 || n > max || (whole && !Number.isInteger(n));
    if (bad)
      throw new InvalidArgumentError(`must be a ${whole ? 'whole number' : 'number'} from 0 to ${max}`);
    return n;
  };
}

function program(): Command {
  return new Command(PROGRAM)
    .description('The stock shift agent as an HTTP service, for a live game day.')
    .option('--scenario <file>', 'scenario whose questions and releases to serve (default: the stock shift)')
    .option('--release <name>', "release live at start (default: the scenario's initialRelease)")
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <number>', 'port to listen on, 0 for any free one', numberFlag(true, 65_535), 0)
    .option('--requests-per-second <number>', 'synthetic traffic', numberFlag(false, MAX_RATE), 50)
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) =>
        write(
          `${PROGRAM}: ${s
            .trim()
            .replace(/^error: /, '')
            .replace(/\s*\n\s*/g, ' ')} (see --help)\n`,
        ),
    });
}

/**
 * Runs the service until SIGTERM or SIGINT and returns the exit code: 0 after a clean close, 2 for
 * bad flags or a bad scenario (one line on stderr, no stack).
 */
export async function runAgentServiceCli(argv: string[]): Promise<number> {
  const cli = program();
  let service: AgentService;
  try {
    cli.parse(argv, { from: 'user' });
    const flags = cli.opts<{
      scenario?: string;
      release?: string;
      host: string;
      port: number;
      requestsPerSecond: number;
    }>();
    service = await startAgentService(flags);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (!(error instanceof InputError)) throw error;
    process.stderr.write(`${inputLine(error)}\n`);
    return 2;
  }
  // The one line a game-day script waits for: where the service is and what is live.
  process.stdout.write(`${JSON.stringify({ url: service.url, release: service.state().live })}\n`);
  await new Promise<void>((stop) => {
    const once = () => {
      process.off('SIGTERM', once);
      process.off('SIGINT', once);
      stop();
    };
    process.on('SIGTERM', once);
    process.on('SIGINT', once);
  });
  await service.close();
  return 0;
}

/** Whether this module is the program node was started with (not imported by a test). */
function isMain(): boolean {
  const started = process.argv[1];
  if (started === undefined) return false;
  try {
    return realpathSync(started) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) process.exitCode = await runAgentServiceCli(process.argv.slice(2));
