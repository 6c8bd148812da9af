import { dirname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { DEFAULT_CANARY } from '../toolkit/canary.js';
import { InputError } from '../toolkit/errors.js';
import { readUserFile } from '../toolkit/files.js';
import { DEFAULT_POLICY, WINDOWS } from '../toolkit/slo.js';
import { DEFAULT_ROUTING, DEFAULT_TRIAGE } from '../toolkit/triage.js';
import { stockServices } from './storm.js';

/**
 * A scenario is a whole shift as data: the service and its releases, the SLOs and the alert
 * policy, the storm and the tickets, the incident types with their runbooks, the timeline, the
 * postmortem's narrative, and what the gate expects. Every field is checked here, so the engine
 * can trust it; every failure names the file and the field.
 */

export const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be a name (letters, digits, . _ : -)');
const minute = z.number().int('must be a whole number of minutes').min(0, 'must be >= 0');
const positive = z.number().int('must be a whole number').min(1, 'must be >= 1');
export const objective = z
  .number()
  .gt(0, 'must be between 0 and 1 (exclusive)')
  .lt(1, 'must be between 0 and 1 (exclusive)');
const severity = z.enum(['sev1', 'sev2', 'sev3', 'sev4']);
const windowName = z.enum(Object.keys(WINDOWS) as [keyof typeof WINDOWS, ...(keyof typeof WINDOWS)[]]);
const words = z.array(z.string().min(1)).min(1);

const question = z.strictObject({ id: name, topic: name, ask: z.string().min(1), answer: z.string().min(1) });

const release = z.strictObject({
  name,
  wrongTopics: z.array(name).default([]),
  wrongQuestions: z.array(name).default([]),
  description: z.string().optional(),
});

const step = z.strictObject({
  play: name,
  timeout: positive.default(10),
  retries: z.number().int('must be a whole number').min(0, 'must be >= 0').default(0),
  onFailure: z.enum(['next', 'escalate']).default('next'),
  with: z.record(z.string(), z.unknown()).default({}),
});

const actionItem = z.strictObject({
  type: z.enum(['mitigate', 'prevent', 'process']),
  text: z.string(),
  owner: z.string(),
});

export const postmortem = z.strictObject({
  title: z.string().optional(),
  rootCauses: z.array(z.string().min(1)).min(1),
  trigger: z.string().min(1),
  actionItems: z.array(actionItem).default([]),
  lessons: z
    .strictObject({
      wentWell: z.array(z.string()).default([]),
      wentWrong: z.array(z.string()).default([]),
      gotLucky: z.array(z.string()).default([]),
    })
    .default({ wentWell: [], wentWrong: [], gotLucky: [] }),
});

export const incidentType = z.strictObject({
  name,
  /** Alertmanager-style equality matchers: an incident whose alerts match takes this type. */
  match: z
    .record(z.string(), z.string())
    .refine((m) => Object.keys(m).length > 0, 'must have at least one label'),
  sli: z.enum(['quality', 'freshness']),
  runbook: z.array(step).min(1, 'must list at least one play'),
  settleMinutes: positive.default(5),
  verifyMinutes: positive.default(10),
  fix: z.strictObject({ candidate: name }).optional(),
  /** This type's postmortem narrative; the scenario's top-level `postmortem` when left out. */
  postmortem: postmortem.optional(),
});

const listedAlert = z.strictObject({
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  at: minute,
  durationMinutes: positive.default(60),
});

const storm = z.strictObject({
  seed: z.number().int().optional(),
  alerts: z.number().int().min(0, 'must be >= 0').default(0),
  startMinute: minute,
  spreadMinutes: positive.default(15),
  durationMinutes: positive.default(60),
  /** The services that alert: listed, or `{ count: N }` for N stock-named services (big storms). */
  services: z
    .union([
      z.array(z.strictObject({ name, alertnames: z.array(name).min(1), instances: positive.optional() })),
      z.strictObject({ count: positive, instances: positive.optional() }),
    ])
    .default([])
    .transform((services) =>
      Array.isArray(services) ? services : stockServices(services.count, services.instances),
    ),
  listed: z.array(listedAlert).default([]),
  groupBy: z.array(z.string().min(1)).min(1).default(['service']),
  gapMinutes: positive.optional(),
});

const ticket = z.strictObject({
  id: name,
  at: minute,
  service: name,
  title: z.string().min(1),
  body: z.string().optional(),
  customers: z.number().int().min(0).optional(),
});

const timelineEvent = z.union([
  z.strictObject({ at: minute, deploy: name }),
  z.strictObject({ at: minute, stallIndexer: z.literal(true) }),
]);

/** The burn-rate alert policy and the severities it pages and tickets at (the SRE Workbook's by default). */
export const alerting = z
  .strictObject({
    policy: z
      .array(
        z.strictObject({
          severity: z.enum(['page', 'ticket']),
          long: windowName,
          short: windowName,
          threshold: z.number().positive(),
        }),
      )
      .min(1)
      .default(() => DEFAULT_POLICY.map((p) => ({ ...p }))),
    severity: z.strictObject({ page: severity, ticket: severity }).default({ page: 'sev1', ticket: 'sev3' }),
  })
  .default(() => ({
    policy: DEFAULT_POLICY.map((p) => ({ ...p })),
    severity: { page: 'sev1' as const, ticket: 'sev3' as const },
  }));

const schema = z.strictObject({
  name,
  description: z.string().optional(),
  seed: z.number().int('must be a whole number'),
  epoch: z.iso.datetime({ message: 'must be an RFC 3339 UTC timestamp' }).default('2026-11-28T00:00:00Z'),
  service: z.strictObject({
    name,
    requestsPerMinute: positive,
    questions: z.array(question).min(1, 'must list at least one question'),
    /** The canary's offline eval set, as question ids; every question when left out. */
    evalSet: z.array(name).optional(),
    index: z
      .strictObject({
        maxAgeMinutes: positive.default(60),
        refreshEveryMinutes: positive.default(15),
        /** False when the index source is unreachable: a reindex cannot even start. */
        rebuildable: z.boolean().default(true),
      })
      .default({ maxAgeMinutes: 60, refreshEveryMinutes: 15, rebuildable: true }),
  }),
  slos: z.strictObject({
    quality: z.strictObject({ objective }),
    freshness: z.strictObject({ objective }).default({ objective: 0.99 }),
  }),
  alerting,
  releases: z.array(release).min(1, 'must list at least one release'),
  initialRelease: name,
  canary: z
    .strictObject({
      minQuality: objective.optional(),
      tolerance: z.number().min(0).max(1).default(DEFAULT_CANARY.tolerance),
      regressionsMustPass: z.boolean().default(DEFAULT_CANARY.regressionsMustPass),
    })
    .default({
      tolerance: DEFAULT_CANARY.tolerance,
      regressionsMustPass: DEFAULT_CANARY.regressionsMustPass,
    }),
  timeline: z.array(timelineEvent).default([]),
  storm,
  tickets: z.array(ticket).default([]),
  triage: z
    .strictObject({
      rules: z.array(
        z.strictObject({
          severity,
          because: z.string(),
          anyWords: words.optional(),
          allWords: words.optional(),
          minCustomers: z.number().int().min(0).optional(),
          services: z.array(name).optional(),
        }),
      ),
      fallback: severity,
    })
    .default(DEFAULT_TRIAGE),
  routing: z
    .strictObject({ sev1: z.string(), sev2: z.string(), sev3: z.string(), sev4: z.string() })
    .default(DEFAULT_ROUTING),
  oncall: z
    .strictObject({
      roster: z.array(z.string().min(1)).default([]),
      ackMinutes: minute.default(2),
      ticketAckMinutes: minute.default(30),
    })
    .default({ roster: [], ackMinutes: 2, ticketAckMinutes: 30 }),
  incidentTypes: z.array(incidentType).min(1, 'must define at least one incident type'),
  postmortem,
  /** The last sim minute the shift may run to; it stops earlier once every typed incident is closed. */
  until: minute.optional(),
  expect: z.strictObject({
    incidents: z.number().int().min(0),
    ticket: z.strictObject({ id: name, severity, queue: z.string() }).optional(),
    mitigation: z.strictObject({ play: name }),
    /** Extra gate checks: an incident type that must be resolved through a given play. */
    recoveries: z.array(z.strictObject({ type: name, play: name })).default([]),
  }),
});

export type Scenario = z.infer<typeof schema>;
export type IncidentTypeSpec = Scenario['incidentTypes'][number];

/** `releases[2].name` from a zod path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

export function zodToInput(error: z.ZodError, file: string): InputError {
  const issue = error.issues[0];
  if (!issue) return new InputError('invalid scenario', file);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => fieldPath([...issue.path, k]));
    const more = keys.length > 1 ? ` (also ${keys.slice(1).join(', ')})` : '';
    return new InputError(`unknown field${more}`, file, keys[0]);
  }
  const field = fieldPath(issue.path) || '(top level)';
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  return new InputError(message, file, field);
}

/** Cross-references the schema alone cannot check. */
function checkReferences(s: Scenario, file: string): void {
  const fail = (field: string, message: string) => new InputError(message, file, field);
  const unique = (items: string[], field: (i: number) => string, what: string) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item)) throw fail(field(i), `duplicate ${what} ${JSON.stringify(item)}`);
      seen.add(item);
    });
  };
  unique(
    s.releases.map((r) => r.name),
    (i) => `releases[${i}].name`,
    'release',
  );
  unique(
    s.service.questions.map((q) => q.id),
    (i) => `service.questions[${i}].id`,
    'question id',
  );
  unique(
    s.service.questions.map((q) => q.ask),
    (i) => `service.questions[${i}].ask`,
    'question',
  );
  unique(
    s.incidentTypes.map((t) => t.name),
    (i) => `incidentTypes[${i}].name`,
    'incident type',
  );
  unique(
    s.tickets.map((t) => t.id),
    (i) => `tickets[${i}].id`,
    'ticket id',
  );

  const releases = new Set(s.releases.map((r) => r.name));
  const questions = new Set(s.service.questions.map((q) => q.id));
  const knownRelease = (value: string, field: string) => {
    if (!releases.has(value))
      throw fail(field, `unknown release ${JSON.stringify(value)} (releases: ${[...releases].join(', ')})`);
  };
  knownRelease(s.initialRelease, 'initialRelease');
  s.timeline.forEach((event, i) => {
    if ('deploy' in event) knownRelease(event.deploy, `timeline[${i}].deploy`);
  });
  s.incidentTypes.forEach((type, i) => {
    if (type.fix) knownRelease(type.fix.candidate, `incidentTypes[${i}].fix.candidate`);
  });
  s.releases.forEach((r, i) => {
    r.wrongQuestions.forEach((q, j) => {
      if (!questions.has(q))
        throw fail(`releases[${i}].wrongQuestions[${j}]`, `unknown question ${JSON.stringify(q)}`);
    });
  });
  s.service.evalSet?.forEach((q, i) => {
    if (!questions.has(q)) throw fail(`service.evalSet[${i}]`, `unknown question ${JSON.stringify(q)}`);
  });
  if (s.storm.alerts > 0 && s.storm.services.length === 0) {
    throw fail('storm.services', 'must list at least one service to generate alerts for');
  }
  const types = new Set(s.incidentTypes.map((t) => t.name));
  s.expect.recoveries.forEach((r, i) => {
    if (!types.has(r.type))
      throw fail(`expect.recoveries[${i}].type`, `unknown incident type ${JSON.stringify(r.type)}`);
  });
  if (s.until !== undefined) {
    const last = Math.max(0, ...s.timeline.map((e) => e.at), s.storm.startMinute);
    if (s.until <= last)
      throw fail('until', `must be after the last timeline event and the storm (minute ${last})`);
  }
}

/** Every play a scenario's runbooks name must be one the engine knows (stock or plugged in). */
export function checkPlays(s: Pick<Scenario, 'incidentTypes'>, known: readonly string[], file: string): void {
  s.incidentTypes.forEach((type, i) => {
    type.runbook.forEach((step, j) => {
      if (!known.includes(step.play)) {
        throw new InputError(
          `unknown play ${JSON.stringify(step.play)} (known plays: ${[...known].sort().join(', ')})`,
          file,
          `incidentTypes[${i}].runbook[${j}].play`,
        );
      }
    });
  });
}

export function parseYamlMapping(text: string, file: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const where = error.linePos?.[0];
      const at = where ? ` at line ${where.line}, column ${where.col}` : '';
      const why = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
      throw new InputError(`invalid YAML${at}: ${why}`, file);
    }
    throw new InputError(`invalid YAML: ${(error as Error).message}`, file);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError('must be a YAML mapping (name:, service:, releases: ...)', file);
  }
  return raw as Record<string, unknown>;
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Mappings merge key by key; anything else (lists included) in `over` replaces what `base` had. */
function overlay(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const under = out[key];
    out[key] = isMapping(under) && isMapping(value) ? overlay(under, value) : value;
  }
  return out;
}

/**
 * Reads a scenario mapping, following `extends: OTHER.yaml` (relative to the file): a mutation
 * scenario states only what it changes. Errors in a base name the base file.
 */
function readMapping(text: string, file: string, seen: readonly string[]): Record<string, unknown> {
  const raw = parseYamlMapping(text, file);
  const { extends: parent, ...own } = raw;
  if (parent === undefined) return own;
  if (typeof parent !== 'string' || parent === '') {
    throw new InputError('must be the path of another scenario file', file, 'extends');
  }
  const baseFile = resolve(dirname(file), parent);
  if (seen.includes(baseFile)) throw new InputError(`extends itself through ${baseFile}`, file, 'extends');
  let baseText: string;
  try {
    baseText = readUserFile(baseFile);
  } catch (error) {
    throw new InputError(`cannot read ${baseFile}: ${(error as InputError).message}`, file, 'extends');
  }
  return overlay(readMapping(baseText, baseFile, [...seen, file]), own);
}

export function parseScenario(text: string, file: string): Scenario {
  const parsed = schema.safeParse(readMapping(text, file, []));
  if (!parsed.success) throw zodToInput(parsed.error, file);
  checkReferences(parsed.data, file);
  return parsed.data;
}

export function loadScenario(file: string): Scenario {
  return parseScenario(readUserFile(file), file);
}
