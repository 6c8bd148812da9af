import { createServer } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { z } from 'zod';
import { hostCheck, tokenCheck } from './access.js';
import { PayloadError, parsePayload, postedAlerts, webhookAlerts } from './intake.js';
import { releaseName } from './release-name.js';
import { type LiveEngine, Refused } from './runtime.js';

/**
 * The HTTP face of the live engine, on Fastify: Alertmanager's alert API and webhook in, incidents
 * out. Every bad payload is a 400 naming the field, `{"error": ..., "field": ...}`; nothing of a
 * refused request reaches the journal, because payloads are checked whole before any input is submitted.
 */

export interface ServerOptions {
  /** Required off loopback: requests other than health checks must carry `Authorization: Bearer TOKEN`. */
  token: string | null;
  logger: FastifyServerOptions['logger'];
  bodyLimit?: number;
  /**
   * Alertmanager's webhook carries a whole group, and Alertmanager never retries a 4xx: a 413 loses
   * the group. Its `max_alerts` is 0 (every alert) by default, so the limit is what a group of tens of
   * thousands of alerts weighs (32 MiB by default), not the API's.
   */
  webhookBodyLimit?: number;
  /** Names besides the listen address a request's `Host` may carry (`--allow-host`): a proxy's, a DNS name. */
  hosts?: readonly string[];
}

const sliReport = z.object({
  sli: z.string(),
  requests: z.number().int('must be a whole number').min(0, 'must be >= 0'),
  errors: z.number().int('must be a whole number').min(0, 'must be >= 0'),
});
const ackBody = z.object({ by: z.string().min(1, 'must name who acknowledged') });
/** An operator's command on the rollout: who, and for an abort why; `full` promotes past every step. */
const releaseCommandBody = z.strictObject({
  by: z.string().min(1, 'must name who gives the command'),
  why: z.string().min(1).optional(),
  full: z.boolean().optional(),
});
/** An operator's command to a runbook run: `POST /api/incidents/:id/runbook/:command`. */
const operatorBody = z.object({
  by: z.string().min(1, 'must name who acts'),
  step: z.string().min(1).optional(),
});
const OPERATOR_COMMANDS = ['approve', 'reject', 'pause', 'resume', 'skip', 'abort', 'retry'] as const;
const deployBody = z.object({ candidate: releaseName });

const OPEN_PATHS = new Set(['/healthz', '/readyz']);

/** The path of a key named `__proto__` anywhere in a parsed payload, or null; iterative, for deep nesting. */
function protoKey(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, '']];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [node, path] = next;
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) stack.push([item, `${path}[${i}]`]);
      continue;
    }
    for (const [key, item] of Object.entries(node)) {
      const at = path ? `${path}.${key}` : key;
      if (key === '__proto__') return at;
      stack.push([item, at]);
    }
  }
  return null;
}

/**
 * JSON bodies, with errors that say what is wrong with them rather than a generic parse failure.
 * A `__proto__` key could poison an object merged from the payload: it is refused, named, before
 * anything reads it. Only a text that holds the name (or an escape that could spell it) is searched.
 */
function parseJson(text: string): unknown {
  if (text.trim() === '') throw new PayloadError('is empty (a JSON payload is required)', '(body)');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PayloadError(`is not valid JSON (${(error as Error).message})`, '(body)');
  }
  const poisoned = text.includes('__proto__') || text.includes('\\u') ? protoKey(value) : null;
  if (poisoned !== null) throw new PayloadError('a key named __proto__ is refused', poisoned);
  return value;
}

/** What the server asks of the engine: a LiveEngine, or a Postgres worker in front of one (worker.ts). */
export type LiveApi = Pick<
  LiveEngine,
  | 'clock'
  | 'timeScale'
  | 'engineTimeOf'
  | 'deploy'
  | 'clockInfo'
  | 'config'
  | 'receive'
  | 'recordSli'
  | 'incidents'
  | 'incident'
  | 'ack'
  | 'releaseStatus'
  | 'releaseCommand'
  | 'operate'
  | 'run'
  | 'resumed'
  | 'journal'
> & { metrics: { registry: LiveEngine['metrics']['registry'] } };

export function buildServer(live: LiveApi, options: ServerOptions): FastifyInstance {
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const webhookBodyLimit = options.webhookBodyLimit ?? 32 * 1024 * 1024;
  const requestTimeout = live.journal.limits.requestTimeoutSeconds * 1000;
  // Node looks for requests past their time every connectionsCheckingInterval (30 s by default).
  const checkEvery = Math.min(requestTimeout, 1000);
  const app = Fastify({
    logger: options.logger,
    bodyLimit,
    serverFactory: (handler) =>
      createServer(
        { requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: checkEvery },
        handler,
      ),
  });
  // JSON only: a text/plain body would otherwise arrive as a string and be refused for its shape.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJson(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  let ready = true;
  app.addHook('onClose', async () => {
    ready = false;
  });
  // DNS rebinding and cross-site requests, before anything else: see access.ts.
  const knownHost = hostCheck(options.hosts ?? []);
  app.addHook('onRequest', async (request, reply) => {
    const { localAddress, localPort } = request.socket;
    // A request injected in process (app.inject) came over no network: nobody to rebind a name.
    if (localAddress === undefined) return;
    if (!knownHost(request.headers.host, localAddress, localPort ?? 0)) {
      const got = request.headers.host ?? 'none';
      return reply.code(421).send({
        error: `Host ${JSON.stringify(got)} is not this server's (its listen address, or a name given with --allow-host)`,
        field: 'host',
      });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD' && request.headers.origin !== undefined) {
      return reply.code(403).send({
        error: `a browser page (Origin ${JSON.stringify(request.headers.origin)}) may not write to this server`,
        field: 'origin',
      });
    }
  });
  if (options.token !== null) {
    const authorized = tokenCheck(options.token);
    app.addHook('onRequest', async (request, reply) => {
      if (OPEN_PATHS.has(request.url) || authorized(request.headers.authorization)) return;
      await reply.code(401).send({ error: 'needs Authorization: Bearer TOKEN' });
    });
  }
  // Every POST brings inputs: refused while the journal is behind; counted as waiting from when its
  // body is in (preHandler) until answered, so a body still on its way does not hold the queue.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST') return;
    const behind = live.journal.behind();
    if (behind) {
      reply.header('retry-after', String(behind.retryAfterSeconds));
      return reply.code(503).send({ error: behind.message });
    }
  });
  app.addHook('preHandler', async (request, reply) => {
    if (request.method === 'POST') reply.raw.once('close', live.journal.arrived(request));
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof PayloadError)
      return reply.code(400).send({ error: error.message, field: error.field });
    if (error instanceof Refused) return reply.code(error.status).send({ error: error.message });
    const status = error.statusCode ?? 500;
    if (status === 413) {
      // Fastify closes the connection on a body too large, and the client, still writing, gets a
      // reset instead of the 413; kept open, the rest of the body is read and dropped, the 413 read.
      reply.removeHeader('connection');
      const limit = request.routeOptions.bodyLimit ?? bodyLimit;
      return reply
        .code(413)
        .send({ error: `is larger than ${limit} bytes, the most a request may carry`, field: '(body)' });
    }
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

  // Alerts carry wall-clock times; a run with a time scale sees them on its faster clock.
  const intakeTime = () => ({
    now: live.engineTimeOf(live.clock()),
    ...(live.timeScale !== 1 ? { engineTime: live.engineTimeOf } : {}),
  });
  app.post('/api/v2/alerts', async (request) => {
    const alerts = postedAlerts(request.body, intakeTime(), live.config.resolveTimeoutMinutes);
    return live.receive(alerts);
  });
  app.post('/webhook/alertmanager', { bodyLimit: webhookBodyLimit }, async (request) => {
    const alerts = webhookAlerts(request.body, intakeTime(), live.config.resolveTimeoutMinutes);
    return live.receive(alerts);
  });
  app.post('/api/deploys', async (request) => {
    const { candidate } = parsePayload(deployBody, request.body);
    const { report, ...outcome } = await live.deploy(candidate);
    return { ...outcome, candidateScore: report.candidate, baselineScore: report.baseline };
  });
  app.post('/api/sli', async (request) => {
    const { sli, requests, errors } = parsePayload(sliReport, request.body);
    return live.recordSli(sli, requests, errors);
  });
  app.get('/api/incidents', async (request) => {
    const { state, service } = parsePayload(
      z.object({ state: z.string().optional(), service: z.string().optional() }),
      request.query,
    );
    return { incidents: live.incidents({ state, service }) };
  });
  app.get('/api/incidents/:id', async (request) => live.incident((request.params as { id: string }).id));
  app.post('/api/incidents/:id/ack', async (request) => {
    const { by } = parsePayload(ackBody, request.body);
    return live.ack((request.params as { id: string }).id, by);
  });
  app.get('/api/release', async () => live.releaseStatus());
  for (const action of ['promote', 'abort', 'retry'] as const) {
    app.post(`/api/release/${action}`, async (request) => {
      const body = parsePayload(releaseCommandBody, request.body ?? {});
      const command = action === 'promote' && body.full ? 'promote-full' : action;
      return live.releaseCommand(command, body.by, body.why);
    });
  }
  app.post('/api/incidents/:id/runbook/:command', async (request) => {
    const { id, command } = request.params as { id: string; command: string };
    const { by, step } = parsePayload(operatorBody, request.body);
    const known = parsePayload(z.object({ command: z.enum(OPERATOR_COMMANDS) }), { command }).command;
    return live.operate(id, known, step, by);
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(live.metrics.registry.contentType);
    return live.metrics.registry.metrics();
  });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    if (!ready) return reply.code(503).send({ ready: false });
    return { ready: true, run: live.run?.id ?? null, replayed: live.resumed, clock: live.clockInfo() };
  });
  return app;
}
