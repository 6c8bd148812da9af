import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { z } from 'zod';
import { tokenCheck } from './access.js';
import { PayloadError, postedAlerts, webhookAlerts } from './intake.js';
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
}

const sliReport = z.object({
  sli: z.string(),
  requests: z.number().int('must be a whole number').min(0, 'must be >= 0'),
  errors: z.number().int('must be a whole number').min(0, 'must be >= 0'),
});
const ackBody = z.object({ by: z.string().min(1, 'must name who acknowledged') });

function check<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') || '(body)';
  const required = issue?.code === 'invalid_type' && issue.input === undefined;
  throw new PayloadError(required ? 'is required' : (issue?.message ?? 'is invalid'), field);
}

const OPEN_PATHS = new Set(['/healthz', '/readyz']);

/** A `__proto__` key could poison an object merged from the payload: refused before anything reads it. */
function refuseProto(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new PayloadError('a key named __proto__ is refused', '(body)');
  return value;
}

/** JSON bodies, with errors that say what is wrong with them rather than a generic parse failure. */
function parseJson(text: string): unknown {
  if (text.trim() === '') throw new PayloadError('is empty (a JSON payload is required)', '(body)');
  try {
    return JSON.parse(text, refuseProto);
  } catch (error) {
    if (error instanceof PayloadError) throw error;
    throw new PayloadError(`is not valid JSON (${(error as Error).message})`, '(body)');
  }
}

/** What the server asks of the engine: a LiveEngine, or a Postgres worker in front of one (worker.ts). */
export type LiveApi = Pick<
  LiveEngine,
  'clock' | 'config' | 'receive' | 'recordSli' | 'incidents' | 'incident' | 'ack' | 'run' | 'resumed'
> & { metrics: { registry: LiveEngine['metrics']['registry'] } };

export function buildServer(live: LiveApi, options: ServerOptions): FastifyInstance {
  const app = Fastify({
    logger: options.logger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
  });
  app.removeContentTypeParser('application/json');
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
  if (options.token !== null) {
    const authorized = tokenCheck(options.token);
    app.addHook('onRequest', async (request, reply) => {
      if (OPEN_PATHS.has(request.url) || authorized(request.headers.authorization)) return;
      await reply.code(401).send({ error: 'needs Authorization: Bearer TOKEN' });
    });
  }
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof PayloadError)
      return reply.code(400).send({ error: error.message, field: error.field });
    if (error instanceof Refused) return reply.code(error.status).send({ error: error.message });
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error(error);
      return reply.code(500).send({ error: 'internal error' });
    }
    return reply.code(status).send({ error: error.message, field: '(body)' });
  });

  app.post('/api/v2/alerts', async (request) => {
    const alerts = postedAlerts(request.body, live.clock(), live.config.resolveTimeoutMinutes);
    return live.receive(alerts);
  });
  app.post('/webhook/alertmanager', async (request) => {
    const alerts = webhookAlerts(request.body, live.clock(), live.config.resolveTimeoutMinutes);
    return live.receive(alerts);
  });
  app.post('/api/sli', async (request) => {
    const { sli, requests, errors } = check(sliReport, request.body);
    return live.recordSli(sli, requests, errors);
  });
  app.get('/api/incidents', async (request) => {
    const { state, service } = check(
      z.object({ state: z.string().optional(), service: z.string().optional() }),
      request.query,
    );
    return { incidents: live.incidents({ state, service }) };
  });
  app.get('/api/incidents/:id', async (request) => live.incident((request.params as { id: string }).id));
  app.post('/api/incidents/:id/ack', async (request) => {
    const { by } = check(ackBody, request.body);
    return live.ack((request.params as { id: string }).id, by);
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(live.metrics.registry.contentType);
    return live.metrics.registry.metrics();
  });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    if (!ready) return reply.code(503).send({ ready: false });
    return { ready: true, run: live.run?.id ?? null, replayed: live.resumed };
  });
  return app;
}
