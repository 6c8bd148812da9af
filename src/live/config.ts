import { z } from 'zod';
import type { EngineConfig } from '../engine/config.js';
import { DEFAULT_CANARY } from '../toolkit/canary.js';
import { readUserFile } from '../toolkit/files.js';
import { zodToInput } from '../toolkit/schema-errors.js';
import { withSloSpec } from '../toolkit/sloth.js';
import { DEFAULT_ROUTING, DEFAULT_TRIAGE } from '../toolkit/triage.js';
import { parseYamlMapping } from '../toolkit/yaml.js';
import { alerting, checkPlays, incidentType, name, objective, postmortem } from '../world/scenario.js';

/**
 * The server's configuration: one YAML file, checked with the scenario's own schemas for what the two
 * share (incident types and runbooks, the alert policy, the postmortem narrative). What a drill
 * simulates (questions, releases, storm, timeline) has no place here: live, the world is real.
 */

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
  queries: z.partialRecord(
    z.enum(['quality', 'freshness']),
    z.strictObject({ errors: z.string().min(1), total: z.string().min(1) }),
  ),
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
  slos: z.strictObject({
    quality: z.strictObject({ objective }),
    freshness: z.strictObject({ objective }).default({ objective: 0.99 }),
  }),
  alerting,
  groupBy: z.array(z.string().min(1)).min(1).default(['service']),
  gapMinutes: z.number().int('must be a whole number').min(1, 'must be >= 1').optional(),
  /** Alertmanager's resolve_timeout: an alert posted without endsAt fires this long. */
  resolveTimeoutMinutes: z.number().positive('must be > 0').default(5),
  oncall: z.strictObject({ roster: z.array(z.string().min(1)).default([]) }).default({ roster: [] }),
  incidentTypes: z.array(incidentType).min(1, 'must define at least one incident type'),
  postmortem,
  /** Where the SLIs' per-minute counts are read from; without it they are pushed (`POST /api/sli`). */
  prometheus: prometheusConfig.optional(),
});

export type LiveConfig = z.infer<typeof schema>;
export type PrometheusConfig = z.infer<typeof prometheusConfig>;

export function parseLiveConfig(text: string, file: string, plays: readonly string[]): LiveConfig {
  const parsed = schema.safeParse(withSloSpec(parseYamlMapping(text, file), file));
  if (!parsed.success) throw zodToInput(parsed.error, file, 'configuration');
  checkPlays(parsed.data, plays, file);
  return parsed.data;
}

export function loadLiveConfig(file: string, plays: readonly string[]): LiveConfig {
  return parseLiveConfig(readUserFile(file), file, plays);
}

/** What the engine runs with, live: the configuration, minute 0 at `epoch`, no eval set yet. */
export function engineConfigOf(config: LiveConfig, epoch: string): EngineConfig {
  return {
    service: config.service,
    epoch,
    initialRelease: config.release,
    objectives: { quality: config.slos.quality.objective, freshness: config.slos.freshness.objective },
    alerting: config.alerting,
    intake: { groupBy: config.groupBy, gapMinutes: config.gapMinutes },
    incidentTypes: config.incidentTypes,
    canary: { ...DEFAULT_CANARY, minQuality: config.slos.quality.objective },
    triage: DEFAULT_TRIAGE,
    routing: DEFAULT_ROUTING,
    roster: config.oncall.roster,
    postmortem: config.postmortem,
    evalSet: [],
  };
}
