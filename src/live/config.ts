import { z } from 'zod';
import type { EngineConfig } from '../engine/config.js';
import type { ReadStrategy } from '../toolkit/argo.js';
import { DEFAULT_CANARY } from '../toolkit/canary.js';
import { InputError } from '../toolkit/errors.js';
import { readUserFile } from '../toolkit/files.js';
import { zodToInput } from '../toolkit/schema-errors.js';
import { own } from '../toolkit/sli.js';
import { withSloSpec } from '../toolkit/sloth.js';
import { DEFAULT_ROUTING, DEFAULT_TRIAGE } from '../toolkit/triage.js';
import { parseYamlMapping } from '../toolkit/yaml.js';
import { readScenarioRollout } from '../world/rollout-scenario.js';
import { checkFlow } from '../world/runbook-schema.js';
import { alerting, checkPlays, incidentType, name, postmortem } from '../world/scenario.js';
import { slos, sloWords } from '../world/service-spec.js';
import { journalLimits } from './backpressure.js';
import { notifierSchema } from './notifiers.js';
import { hook, playSettings } from './plays.js';

/**
 * The server's configuration: one YAML file, checked with the scenario's own schemas for what the two
 * share (incident types and runbooks, the alert policy, the postmortem narrative). What a drill
 * simulates (questions, releases, storm, timeline) has no place here: live, the world is real.
 */

/** PagerDuty's shape: levels with a delay each, the whole policy repeated when nobody answers. */
const escalation = z.strictObject({
  levels: z
    .array(
      z.strictObject({
        notify: z.array(z.string().min(1)).min(1, 'must name someone to notify'),
        afterMinutes: z.number().int('must be a whole number').min(1, 'must be >= 1'),
      }),
    )
    .min(1, 'must have at least one level'),
  repeats: z
    .number()
    .int('must be a whole number')
    .min(0, 'must be >= 0')
    .max(10, 'must be <= 10')
    .default(0),
});

/** Where `runbook serve` reads SLI counts (see prometheus.ts). */
export const prometheusConfig = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  intervalSeconds: z.number().positive('must be > 0').max(3600, 'must be <= 3600').default(60),
  timeoutSeconds: z.number().positive('must be > 0').max(60, 'must be <= 60').default(5),
  retries: z
    .number()
    .int('must be a whole number')
    .min(0, 'must be >= 0')
    .max(10, 'must be <= 10')
    .default(2),
  /** PromQL for each SLI's errors and requests in the last minute; from `sloSpec`'s events when left out. */
  queries: z.record(
    z.string().min(1),
    z.strictObject({ errors: z.string().min(1), total: z.string().min(1) }),
  ),
});

/** An eval case as the eval endpoint is asked it: a question and the answer counted right. */
const evalCase = z.strictObject({
  id: z.string().min(1),
  topic: z.string().min(1),
  question: z.string().min(1),
  expected: z.string().min(1),
});

/** Where the live world asks evals (see world.ts for the requests and the answers). */
export const evalsConfig = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  wrongAnswersUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  timeoutSeconds: z.number().positive('must be > 0').max(300, 'must be <= 300').default(10),
});

const schema = z.strictObject({
  name,
  description: z.string().optional(),
  /** Minute 0 of the engine's clock; the start of the run when left out (kept in the journal). */
  epoch: z.iso.datetime({ message: 'must be an RFC 3339 UTC timestamp' }).optional(),
  service: z.strictObject({
    name,
    requestsPerMinute: z.number().int('must be a whole number').min(1, 'must be >= 1'),
  }),
  /** The release live when the server starts: what a rollback has to go back to. */
  release: name.default('live'),
  slos,
  alerting,
  groupBy: z.array(z.string().min(1)).min(1).default(['service']),
  gapMinutes: z.number().int('must be a whole number').min(1, 'must be >= 1').optional(),
  /** Alertmanager's resolve_timeout: an alert posted without endsAt fires this long. */
  resolveTimeoutMinutes: z.number().positive('must be > 0').default(5),
  journal: journalLimits,
  oncall: z
    .strictObject({
      roster: z.array(z.string().min(1)).default([]),
      escalation: escalation.optional(),
    })
    .default({ roster: [] }),
  incidentTypes: z.array(incidentType).min(1, 'must define at least one incident type'),
  postmortem,
  /**
   * The deploy system's hooks: `rollback` is what the live `rollback` play calls; `promote` is called
   * when the canary promotes a release (a deploy through `POST /api/deploys`, or an incident's fix).
   */
  deploy: z
    .strictObject({ rollback: hook.optional(), promote: hook.optional(), setWeight: hook.optional() })
    .default({}),
  /** A canary strategy (Argo Rollouts' model), inline or `file:` an Argo YAML file: see docs/progressive-delivery.md. */
  rollout: z.unknown().optional(),
  /** The service's eval endpoints: the canary's evidence and a postmortem's regression cases. */
  evals: evalsConfig.optional(),
  /** The canary's eval set at the start; the regression cases postmortems write join it. */
  evalSet: z.array(evalCase).default([]),
  notifiers: z
    .array(notifierSchema)
    .default([])
    .refine((list) => new Set(list.map((n) => n.name)).size === list.length, 'notifier names must be unique'),
  delivery: z
    .strictObject({
      timeoutSeconds: z.number().positive('must be > 0').default(10),
      backoff: z
        .strictObject({
          initialSeconds: z.number().positive('must be > 0').default(1),
          maxSeconds: z.number().positive('must be > 0').default(300),
        })
        .default({ initialSeconds: 1, maxSeconds: 300 }),
    })
    .default({ timeoutSeconds: 10, backoff: { initialSeconds: 1, maxSeconds: 300 } }),
  /** Where the SLIs' per-minute counts are read from; without it they are pushed (`POST /api/sli`). */
  prometheus: prometheusConfig.optional(),
});

export type LiveConfig = Omit<z.infer<typeof schema>, 'rollout'> & { rollout?: ReadStrategy };
/** The schema itself, for the docs test (every field docs/serve.md shows exists). */
export const liveConfigSchema = schema;
export type PrometheusConfig = z.infer<typeof prometheusConfig>;
export type EvalsConfig = z.infer<typeof evalsConfig>;

export function parseLiveConfig(text: string, file: string, plays: readonly string[]): LiveConfig {
  const parsed = schema.safeParse(withSloSpec(parseYamlMapping(text, file), file), { reportInput: true });
  if (!parsed.success) throw zodToInput(parsed.error, file, 'configuration');
  const { rollout, ...config } = parsed.data;
  config.incidentTypes.forEach((type, i) => {
    // A runbook of the statechart language: its approvers are the roster's names (no roles live).
    if (type.flow)
      type.flow = checkFlow(
        type.flow,
        { file, field: `incidentTypes[${i}].runbook` },
        { roster: config.oncall.roster, roles: {} },
      );
  });
  checkPlays(config, plays, file);
  checkPlaySettings(config, file);
  checkSlis(config, file);
  if (rollout === undefined) return config;
  // Read once, here: the stored run keeps the strategy as read, whatever the files say later.
  return { ...config, rollout: readScenarioRollout(rollout, file, null) };
}

/** Every SLI an incident type watches or Prometheus is queried for is one the configuration declares. */
function checkSlis(config: LiveConfig, file: string): void {
  const declared = Object.keys(config.slos).join(', ');
  config.incidentTypes.forEach((type, i) => {
    if (!own(config.slos, type.sli))
      throw new InputError(
        `unknown SLI ${JSON.stringify(type.sli)} (declared under slos: ${declared})`,
        file,
        `incidentTypes[${i}].sli`,
      );
  });
  for (const sli of Object.keys(config.prometheus?.queries ?? {})) {
    if (!own(config.slos, sli))
      throw new InputError(
        `unknown SLI (declared under slos: ${declared})`,
        file,
        `prometheus.queries.${sli}`,
      );
  }
}

/** A live play's `with:` (an http step's URL, an exec step's command) is checked before anything runs. */
function checkPlaySettings(config: LiveConfig, file: string): void {
  config.incidentTypes.forEach((type, i) => {
    type.runbook.forEach((step, j) => {
      const settings = playSettings[step.play];
      const parsed = settings?.safeParse(step.with, { reportInput: true });
      if (!parsed || parsed.success) return;
      for (const issue of parsed.error.issues) issue.path.unshift('incidentTypes', i, 'runbook', j, 'with');
      throw zodToInput(parsed.error, file, 'configuration');
    });
  });
}

export function loadLiveConfig(file: string, plays: readonly string[]): LiveConfig {
  return parseLiveConfig(readUserFile(file), file, plays);
}

/** What the engine runs with, live: the configuration, minute 0 at `epoch`. */
export function engineConfigOf(config: LiveConfig, epoch: string): EngineConfig {
  return {
    service: config.service,
    epoch,
    initialRelease: config.release,
    objectives: Object.fromEntries(Object.entries(config.slos).map(([sli, slo]) => [sli, slo.objective])),
    slis: Object.fromEntries(
      Object.entries(config.slos).map(([sli, slo]) => [
        sli,
        {
          kind: slo.kind,
          words: sloWords(slo),
          ...(slo.alerting.policy ? { policy: slo.alerting.policy } : {}),
        },
      ]),
    ),
    alerting: config.alerting,
    intake: { groupBy: config.groupBy, gapMinutes: config.gapMinutes, reopen: true },
    incidentTypes: config.incidentTypes,
    canary: {
      ...DEFAULT_CANARY,
      minQuality:
        Object.values(config.slos).find((slo) => slo.kind === 'quality')?.objective ??
        DEFAULT_CANARY.minQuality,
    },
    triage: DEFAULT_TRIAGE,
    routing: DEFAULT_ROUTING,
    roster: config.oncall.roster,
    escalation: config.oncall.escalation,
    postmortem: config.postmortem,
    // A run stored before the eval set was configurable has none.
    evalSet: config.evalSet ?? [],
    ...(config.rollout ? { rollout: config.rollout.strategy } : {}),
  };
}
