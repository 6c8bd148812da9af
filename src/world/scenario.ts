import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { FORBIDDEN_NAME } from '../toolkit/alerts.js';
import type { ReadStrategy } from '../toolkit/argo.js';
import { DEFAULT_CANARY } from '../toolkit/canary.js';
import { InputError } from '../toolkit/errors.js';
import { readUserFile } from '../toolkit/files.js';
import { thousands, zodToInput } from '../toolkit/schema-errors.js';
import { DEFAULT_POLICY } from '../toolkit/slo.js';
import { withSloSpec } from '../toolkit/sloth.js';
import { DEFAULT_ROUTING, DEFAULT_TRIAGE } from '../toolkit/triage.js';
import { parseYamlMapping } from '../toolkit/yaml.js';
import { checkGateReferences, gateChecks } from './gate-schema.js';
import { checkWork, LIMITS } from './limits.js';
import { readScenarioRollout } from './rollout-scenario.js';
import { checkFlow, flowPlays, runbookField, splitRunbook } from './runbook-schema.js';
import { checkService } from './service-check.js';
import { burnPolicy, effects, fault, owners, rate, slos } from './service-spec.js';
import { stockServices } from './storm.js';

/**
 * A scenario is a whole shift as data: the service and its releases, the SLOs and the alert
 * policy, the storm and the tickets, the incident types with their runbooks, the timeline, the
 * postmortem's narrative, and what the gate expects. Every field is checked here, so the engine
 * can trust it; every failure names the file and the field.
 */

const atMost = (max: number, what = '') => `must be <= ${thousands(max)}${what}`;
/** A whole number from `min` (to `max`, when it has a bound). */
const whole = (min: number, max?: number) => {
  const number = z.number().int('must be a whole number').min(min, `must be >= ${min}`);
  return max === undefined ? number : number.max(max, atMost(max));
};
const upTo = (max: number) => `must list at most ${thousands(max)}`;

export const name = z
  .string()
  .max(200, 'must be at most 200 characters long')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be a name (letters, digits, . _ : -)');
const minute = z
  .number()
  .int('must be a whole number of minutes')
  .min(0, 'must be >= 0')
  .max(LIMITS.minute, atMost(LIMITS.minute, ' (30 days of sim minutes)'));
const minutes = z
  .number()
  .int('must be a whole number of minutes')
  .min(1, 'must be >= 1')
  .max(LIMITS.minute, atMost(LIMITS.minute, ' (30 days of sim minutes)'));
const list = <T extends z.ZodType>(item: T, max: number = LIMITS.list) => z.array(item).max(max, upTo(max));
const seed = whole(0, LIMITS.seed);
export const objective = z
  .number()
  .gt(0, 'must be between 0 and 1 (exclusive)')
  .lt(1, 'must be between 0 and 1 (exclusive)');
const severity = z.enum(['sev1', 'sev2', 'sev3', 'sev4']);
const words = list(z.string().min(1)).min(1);
const labels = z.record(z.string(), z.string());

const question = z.strictObject({ id: name, topic: name, ask: z.string().min(1), answer: z.string().min(1) });

const release = z.strictObject({
  name,
  wrongTopics: list(name).default([]),
  wrongQuestions: list(name).default([]),
  /** The share of requests this release fails (availability SLIs). */
  errorRate: rate.optional(),
  /** The share of requests this release serves slower than the threshold (latency SLIs). */
  slowRate: rate.optional(),
  description: z.string().optional(),
});

const step = z.strictObject({
  play: name,
  timeout: minutes.default(10),
  retries: whole(0, LIMITS.retries).default(0),
  onFailure: z.enum(['next', 'escalate']).default('next'),
  with: z.record(z.string(), z.unknown()).default({}),
});

const actionItem = z.strictObject({
  type: z.enum(['mitigate', 'prevent', 'process']),
  text: z.string(),
  owner: z.string(),
});

const lines = list(z.string());

export const postmortem = z.strictObject({
  title: z.string().optional(),
  rootCauses: list(z.string().min(1)).min(1),
  trigger: z.string().min(1),
  actionItems: list(actionItem).default([]),
  lessons: z
    .strictObject({
      wentWell: lines.default([]),
      wentWrong: lines.default([]),
      gotLucky: lines.default([]),
    })
    .default({ wentWell: [], wentWrong: [], gotLucky: [] }),
});

export const incidentType = z
  .strictObject({
    name,
    /** Alertmanager-style equality matchers: an incident whose alerts match takes this type. */
    match: labels.refine((m) => Object.keys(m).length > 0, 'must have at least one label'),
    /** The SLI (a name declared under `slos`) its incidents watch. */
    sli: name,
    /** A flat list of plays, or a runbook in the statechart language (runbook-schema.ts). */
    runbook: runbookField(
      z.array(step).min(1, 'must list at least one play').max(LIMITS.runbookSteps, upTo(LIMITS.runbookSteps)),
    ),
    settleMinutes: minutes.default(5),
    verifyMinutes: minutes.default(10),
    fix: z.strictObject({ candidate: name }).optional(),
    /** This type's postmortem narrative; the scenario's top-level `postmortem` when left out. */
    postmortem: postmortem.optional(),
  })
  .transform(splitRunbook);

const listedAlert = z.strictObject({
  labels,
  annotations: labels.default({}),
  at: minute,
  durationMinutes: minutes.default(60),
});

const instances = whole(1, LIMITS.instances);

const storm = z.strictObject({
  seed: seed.optional(),
  alerts: whole(0, LIMITS.stormAlerts).default(0),
  startMinute: minute.default(0),
  spreadMinutes: minutes.default(15),
  durationMinutes: minutes.default(60),
  /** The services that alert: listed, or `{ count: N }` for N stock-named services (big storms). */
  services: z
    .union([
      list(
        z.strictObject({
          name,
          alertnames: list(name, LIMITS.alertnames).min(1),
          instances: instances.optional(),
        }),
        LIMITS.stormServices,
      ),
      z.strictObject({
        count: whole(1, LIMITS.stormServices),
        instances: instances.optional(),
      }),
    ])
    .default([])
    .transform((services) =>
      Array.isArray(services) ? services : stockServices(services.count, services.instances),
    ),
  listed: list(listedAlert, LIMITS.listedAlerts).default([]),
  groupBy: list(
    z
      .string()
      .min(1)
      .refine((label) => label !== FORBIDDEN_NAME, `"${FORBIDDEN_NAME}" is not allowed as a label name`),
    20,
  )
    .min(1)
    .default(['service']),
  gapMinutes: minutes.optional(),
});

const ticket = z.strictObject({
  id: name,
  at: minute,
  service: name,
  title: z.string().min(1),
  body: z.string().optional(),
  customers: whole(0).optional(),
});

const timelineEvent = z.union(
  [
    z.strictObject({ at: minute, deploy: name }),
    z.strictObject({ at: minute, stallIndexer: z.literal(true) }),
  ],
  { error: 'must be { at, deploy: RELEASE } or { at, stallIndexer: true }' },
);

/** Timestamps stay four-digit years however far into the shift a minute falls. */
const EPOCH_RANGE = { from: '1970-01-01T00:00:00Z', to: '9000-01-01T00:00:00Z' };

/** The burn-rate alert policy and the severities it pages and tickets at (the SRE Workbook's by default). */
export const alerting = z
  .strictObject({
    policy: burnPolicy.default(() => DEFAULT_POLICY.map((p) => ({ ...p }))),
    severity: z.strictObject({ page: severity, ticket: severity }).default({ page: 'sev1', ticket: 'sev3' }),
  })
  .default(() => ({
    policy: DEFAULT_POLICY.map((p) => ({ ...p })),
    severity: { page: 'sev1' as const, ticket: 'sev3' as const },
  }));

const schema = z.strictObject({
  name,
  description: z.string().optional(),
  seed,
  epoch: z.iso
    .datetime({ message: 'must be an RFC 3339 UTC timestamp' })
    .refine(
      (epoch) => epoch >= EPOCH_RANGE.from && epoch < EPOCH_RANGE.to,
      `must be between ${EPOCH_RANGE.from} and ${EPOCH_RANGE.to}`,
    )
    .default('2026-11-28T00:00:00Z'),
  service: z.strictObject({
    name,
    requestsPerMinute: whole(1, LIMITS.requestsPerMinute),
    /** Traffic that swings over the day: requestsPerMinute x (1 + amplitude x cos(...)), highest at peakMinute. */
    dailyCycle: z.strictObject({ amplitude: rate, peakMinute: whole(0, 1439).default(720) }).optional(),
    /** The answering service's question pool (quality SLIs and the canary's eval set). */
    questions: z.array(question).max(LIMITS.questions, upTo(LIMITS.questions)).default([]),
    /** The canary's offline eval set, as question ids; every question when left out. */
    evalSet: list(name).optional(),
    index: z
      .strictObject({
        maxAgeMinutes: minutes.default(60),
        refreshEveryMinutes: minutes.default(15),
        /** False when the index source is unreachable: a reindex cannot even start. */
        rebuildable: z.boolean().default(true),
      })
      .default({ maxAgeMinutes: 60, refreshEveryMinutes: 15, rebuildable: true }),
  }),
  slos,
  alerting,
  releases: z
    .array(release)
    .min(1, 'must list at least one release')
    .max(LIMITS.releases, upTo(LIMITS.releases)),
  initialRelease: name,
  canary: z
    .strictObject({
      minQuality: objective.optional(),
      tolerance: z.number().min(0, 'must be >= 0').max(1, 'must be <= 1').default(DEFAULT_CANARY.tolerance),
      regressionsMustPass: z.boolean().default(DEFAULT_CANARY.regressionsMustPass),
    })
    .default({
      tolerance: DEFAULT_CANARY.tolerance,
      regressionsMustPass: DEFAULT_CANARY.regressionsMustPass,
    }),
  timeline: list(timelineEvent, LIMITS.timelineEvents).default([]),
  /** A canary strategy (Argo Rollouts' model), inline or from an Argo file: read by rollout-scenario.ts. */
  rollout: z.unknown().optional(),
  faults: list(fault, LIMITS.timelineEvents).default([]),
  effects: effects.default({}),
  owners: owners.default({}),
  /** A service whose SLO alerts open its incidents may have no storm at all. */
  storm: storm.prefault({}),
  tickets: list(ticket, LIMITS.tickets).default([]),
  triage: z
    .strictObject({
      rules: list(
        z.strictObject({
          severity,
          because: z.string(),
          anyWords: words.optional(),
          allWords: words.optional(),
          minCustomers: whole(0).optional(),
          services: list(name).optional(),
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
      roster: list(z.string().min(1)).default([]),
      ackMinutes: minute.default(2),
      ticketAckMinutes: minute.default(30),
      /** Roles approvals may name (`role:NAME`): the roster names that hold each. */
      roles: z.record(name, list(z.string().min(1))).default({}),
      /** How on-call answers each approval gate in a drill, by step name; unlisted gates go unanswered. */
      approvals: z
        .record(
          name,
          z.strictObject({
            answer: z.enum(['approve', 'reject', 'never']),
            afterMinutes: minute.default(0),
            by: z.string().min(1).optional(),
          }),
        )
        .default({}),
    })
    .default({ roster: [], ackMinutes: 2, ticketAckMinutes: 30, roles: {}, approvals: {} }),
  incidentTypes: z
    .array(incidentType)
    .min(1, 'must define at least one incident type')
    .max(LIMITS.incidentTypes, upTo(LIMITS.incidentTypes)),
  postmortem,
  /** The last sim minute the shift may run to; it stops earlier once every typed incident is closed. */
  until: minute.optional(),
  /** What the stock story's checks expect; a scenario with its own `gate:` may leave it out. */
  expect: z
    .strictObject({
      incidents: whole(0),
      ticket: z.strictObject({ id: name, severity, queue: z.string() }).optional(),
      /** The play that must recover the SLI, at the runbook step it must recover it at (the first by default). */
      mitigation: z.strictObject({ play: name, step: whole(1, LIMITS.runbookSteps).optional() }),
      /** Extra gate checks: an incident type that must be resolved through a given play. */
      recoveries: list(z.strictObject({ type: name, play: name })).default([]),
    })
    .optional(),
  /** The gate's checks as data (src/world/gate-schema.ts); the stock story's checks when left out. */
  gate: gateChecks.optional(),
  /** A plays module of this scenario's own (relative to the file); `--plays` replaces it. */
  plays: z.string().min(1).optional(),
});

export type Scenario = Omit<z.infer<typeof schema>, 'rollout'> & { rollout?: ReadStrategy };
/** The schema itself, for the docs test (every field docs/scenario-format.md names exists). */
export const scenarioSchema = schema;
export type IncidentTypeSpec = Scenario['incidentTypes'][number];

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
  if (!s.expect && !s.gate) throw fail('expect', 'is required (or a gate: of checks)');
  if (s.gate)
    checkGateReferences(
      s.gate,
      {
        types: s.incidentTypes.map((t) => ({
          name: t.name,
          fix: t.fix,
          plays: [
            ...t.runbook.map((step) => step.play),
            ...(t.flow ? flowPlays(t.flow).map((f) => f.play) : []),
          ],
        })),
        releases: [...releases],
        tickets: s.tickets.map((t) => t.id),
        slis: Object.keys(s.slos),
      },
      file,
    );
  s.incidentTypes.forEach((type, i) => {
    if (!type.flow) return;
    type.flow = checkFlow(type.flow, { file, field: `incidentTypes[${i}].runbook` }, s.oncall);
  });
  // On-call's answers name gates that exist, and people who may answer them.
  const gates = s.incidentTypes.flatMap((t) => t.flow?.steps.filter((step) => step.kind === 'approve') ?? []);
  for (const [step, answer] of Object.entries(s.oncall.approvals)) {
    const gate = gates.find((g) => g.name === step);
    if (!gate)
      throw fail(`oncall.approvals.${step}`, `no runbook has an approval gate named ${JSON.stringify(step)}`);
    if (answer.by !== undefined && !(gate.kind === 'approve' && gate.approvers.includes(answer.by)))
      throw fail(`oncall.approvals.${step}.by`, `${JSON.stringify(answer.by)} may not answer ${step}`);
  }
  const types = new Set(s.incidentTypes.map((t) => t.name));
  s.expect?.recoveries.forEach((r, i) => {
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
export function checkPlays(
  s: {
    incidentTypes: readonly {
      runbook: readonly { play: string }[];
      flow?: import('../../machines/runbook-spec.js').RunbookSpec;
    }[];
  },
  known: readonly string[],
  file: string,
): void {
  s.incidentTypes.forEach((type, i) => {
    for (const { play, field } of type.flow ? flowPlays(type.flow) : []) {
      if (!known.includes(play))
        throw new InputError(
          `unknown play ${JSON.stringify(play)} (known plays: ${[...known].sort().join(', ')})`,
          file,
          `incidentTypes[${i}].runbook.${field}`,
        );
    }
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

const isReadStrategy = (value: unknown): value is ReadStrategy =>
  isMapping(value) && isMapping(value.strategy) && Array.isArray(value.warnings);

const isMapping = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Mappings merge key by key; anything else (lists included) in `over` replaces what `base` had. */
export function overlay(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const under = out[key];
    out[key] = isMapping(under) && isMapping(value) ? overlay(under, value) : value;
  }
  return out;
}

/** A mutation extends a base that may extend another; more than this is a loop or a mistake. */
const MAX_EXTENDS_DEPTH = 8;

/**
 * Reads a scenario mapping, following `extends: OTHER.yaml` (relative to the file): a mutation
 * scenario states only what it changes. Errors in a base name the base file.
 */
function readMapping(text: string, file: string, seen: readonly string[]): Record<string, unknown> {
  const raw = parseYamlMapping(text, file, 'a YAML mapping (name:, service:, releases: ...)');
  const { extends: parent, ...own } = raw;
  // A spec is named relative to the file that names it, whichever file extends that one.
  if (typeof own.sloSpec === 'string' && own.sloSpec.trim() !== '')
    own.sloSpec = resolve(dirname(file), own.sloSpec);
  const rollout = own.rollout as { file?: unknown } | undefined;
  if (isMapping(rollout) && typeof rollout.file === 'string' && rollout.file.trim() !== '')
    own.rollout = { ...rollout, file: resolve(dirname(file), rollout.file) };
  if (typeof own.plays === 'string' && own.plays.trim() !== '') own.plays = resolve(dirname(file), own.plays);
  if (parent === undefined) return own;
  if (typeof parent !== 'string' || parent.trim() === '') {
    throw new InputError('must be the path of another scenario file', file, 'extends');
  }
  const baseFile = resolve(dirname(file), parent);
  if (seen.includes(baseFile) || baseFile === resolve(file))
    throw new InputError(`extends itself through ${baseFile}`, file, 'extends');
  if (seen.length >= MAX_EXTENDS_DEPTH)
    throw new InputError(`extends more than ${MAX_EXTENDS_DEPTH} files deep`, file, 'extends');
  let baseText: string;
  try {
    baseText = readUserFile(baseFile);
  } catch (error) {
    throw new InputError(`cannot read ${baseFile}: ${(error as InputError).message}`, file, 'extends');
  }
  return overlay(withoutOverridden(readMapping(baseText, baseFile, [...seen, resolve(file)]), own), own);
}

/** What a mutation's SLOs replace in its base: a spec replaces the base's objectives and policy, and back. */
function withoutOverridden(
  base: Record<string, unknown>,
  own: Record<string, unknown>,
): Record<string, unknown> {
  const { slos, sloSpec, alerting, ...rest } = base;
  if ('sloSpec' in own) {
    const { policy: _policy, ...severity } = isMapping(alerting) ? alerting : {};
    return { ...rest, alerting: severity };
  }
  return 'slos' in own ? { ...rest, slos, alerting } : base;
}

/**
 * Scenarios parsed so far in this process. zod compiles a fast path for each object schema on its
 * first parse (with `new Function`): a `runbook` process parses one scenario and would spend more on
 * compiling than the fast path saves (6 ms of `runbook gate`), so the first parse goes without it and
 * a long-lived process (the bench, a test run) gets it from the second on.
 */
let parses = 0;

export function parseScenario(text: string, file: string): Scenario {
  return checkedScenario(readMapping(text, file, []), file);
}

type Slos = Record<string, { kind?: string; firstForm?: true } | undefined>;

/**
 * A validated scenario (or serve configuration) reads back as itself but for the mark its first-form
 * SLOs carry (set by the schema, not a field of the file): `unmarked` takes the marks off a mapping to
 * check it again, `remarked` puts them back on the SLOs of `changed` that keep the kind they had.
 */
export function unmarked<T extends Record<string, unknown>>(mapping: T): T {
  if (!isMapping(mapping.slos)) return mapping;
  const slos = Object.fromEntries(
    Object.entries(mapping.slos).map(([sli, slo]) => {
      if (!isMapping(slo)) return [sli, slo];
      const { firstForm: _mark, ...rest } = slo;
      return [sli, rest];
    }),
  );
  return { ...mapping, slos };
}

export function remarked<T extends { slos: Slos }>(base: { slos: Slos }, changed: T): T {
  for (const [sli, slo] of Object.entries(changed.slos))
    if (slo && base.slos[sli]?.firstForm && slo.kind === base.slos[sli]?.kind) slo.firstForm = true;
  return changed;
}

/**
 * A scenario (a recorded run's, as it was validated) with `over` laid on it the way `extends:` lays a
 * mutation on its base, checked again: a replay's `--with`. Errors name `file`, the overlay.
 */
export function overlayScenario(base: Scenario, over: Record<string, unknown>, file: string): Scenario {
  // A sweep lays a whole scenario (the record's with one value changed) on the record: marks and all.
  const own = unmarked({ ...over });
  if (typeof own.sloSpec === 'string' && own.sloSpec.trim() !== '')
    own.sloSpec = resolve(dirname(file), own.sloSpec);
  const raw = unmarked(base as unknown as Record<string, unknown>);
  return remarked(base as { slos: Slos }, checkedScenario(overlay(withoutOverridden(raw, own), own), file));
}

function checkedScenario(mapping: Record<string, unknown>, file: string): Scenario {
  const raw = withSloSpec(mapping, file);
  const parsed = schema.safeParse(raw, { reportInput: true, jitless: parses++ === 0 });
  if (!parsed.success) throw zodToInput(parsed.error, file, 'scenario');
  const { rollout, ...scenario } = parsed.data;
  checkReferences(scenario, file);
  checkService(scenario, file);
  checkWork(scenario, file);
  if (rollout === undefined) return scenario;
  // A replay's overlay lays its changes on a scenario whose strategy was read already.
  if (isReadStrategy(rollout)) return { ...scenario, rollout };
  const releases = scenario.releases.map((r) => r.name);
  return { ...scenario, rollout: readScenarioRollout(rollout, file, releases) };
}

export function loadScenario(file: string): Scenario {
  return parseScenario(readUserFile(file), file);
}
