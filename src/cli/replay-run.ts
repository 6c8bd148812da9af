import type { PlayLogic } from '../../machines/incident.js';
import type { EngineConfig } from '../engine/config.js';
import { loadPlays } from '../engine/load-plays.js';
import { stockPlays } from '../engine/plays.js';
import { type RecordedRun, readRun } from '../engine/run-reader.js';
import { InputError } from '../toolkit/errors.js';
import { readUserFile } from '../toolkit/files.js';
import { parseYamlMapping } from '../toolkit/yaml.js';
import { type GateReport, gate } from '../views/gate.js';
import { type ReplayDiff, replayDiff } from '../views/replay-diff.js';
import type { Replayed } from '../world/replay.js';
import type { ShiftResult } from '../world/result.js';
import { overlay, overlayScenario, remarked, type Scenario, unmarked } from '../world/scenario.js';

/**
 * `runbook replay`: a recorded run (a drill's or serve's), read from its journal without writing to
 * it, replayed twice through fresh machines: under its own settings (the baseline, which must be the
 * run again) and under the overlay's. The diff is between the two, so it shows what the settings
 * changed and nothing else.
 */

export interface Overlay {
  file: string;
  mapping: Record<string, unknown>;
}

/** The settings a replay may change: the policy. What the world was (its service, releases, storm, timeline) it keeps. */
const DRILL_WORLD = [
  'name',
  'seed',
  'epoch',
  'service',
  'releases',
  'initialRelease',
  'timeline',
  'tickets',
  'until',
] as const;
const STORM_POLICY = new Set(['groupBy', 'gapMinutes']);
const LIVE_WORLD = ['service', 'release', 'epoch'] as const;

export function readOverlay(file: string): Overlay {
  const mapping = parseYamlMapping(
    readUserFile(file),
    file,
    'a YAML mapping of the settings to change (alerting:, canary:, ...)',
  );
  if ('extends' in mapping)
    throw new InputError('a replay overlay applies to the recorded run: leave extends out', file, 'extends');
  return { file, mapping };
}

/** Refuses an overlay that changes the recorded world rather than the policy. */
function keepsWorld(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  fields: readonly string[],
  file: string,
): void {
  for (const field of fields) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field]))
      throw new InputError(
        'is the recorded world, which a replay keeps (change the policy: alerting, slos, canary, incidentTypes, oncall, storm.groupBy ...)',
        file,
        field,
      );
  }
}

export interface DrillSide {
  scenario: Scenario;
  replayed: Replayed;
  gate: GateReport;
}

/** One side of a replay: the settings as a scenario (a live run's as its report reads them), what came of them. */
export interface Side {
  scenario: Scenario;
  result: ShiftResult;
  gate: GateReport | null;
  replayed: Replayed;
}

export interface ReplayOutcome {
  run: RecordedRun;
  kind: 'drill' | 'live';
  before: Side;
  after: Side;
  /**
   * Whether the run replayed under its own settings is the record, byte for byte: a drill's stored
   * result, or a live run's journal replayed as `report --run` reads it (null: a drill not finished).
   */
  matchesRecord: boolean | null;
  diff: ReplayDiff;
}

/** A prepared replay: the baseline done, ready to replay under any number of settings (a sweep). */
export interface Prepared {
  run: RecordedRun;
  kind: 'drill' | 'live';
  base: Record<string, unknown>;
  /** What the engine ran with in the record: the settings a decision was made under. */
  config: EngineConfig;
  before: ReplayOutcome['before'];
  matchesRecord: boolean | null;
  /** Replays the run under `settings` (the whole scenario or configuration), checked against the record's world. */
  under(settings: Record<string, unknown>, file: string): Promise<ReplayOutcome>;
}

export async function prepareReplay(db: string, id: string): Promise<Prepared> {
  const run = readRun(db, id);
  const meta = JSON.parse(run.meta.scenarioText) as Record<string, unknown>;
  if (meta.live === true) return prepareLive(run, meta);
  const scenario = meta as unknown as Scenario;
  const plays: Record<string, PlayLogic> = run.meta.plays ? await loadPlays(run.meta.plays) : {};
  const { replayDrill } = await import('../world/replay.js');
  const baseline = await replayDrill(scenario, run.entries, { plays });
  const before = {
    scenario,
    result: baseline.result,
    gate: gate(baseline.result, scenario),
    replayed: baseline,
  };
  const matchesRecord = run.result === null ? null : run.result === JSON.stringify(baseline.result);
  return {
    run,
    kind: 'drill',
    base: meta,
    config: (await import('../world/drill.js')).engineConfig(scenario),
    before,
    matchesRecord,
    async under(settings, file) {
      const changed = overlayScenario(scenario, settings, file);
      const raw = changed as unknown as Record<string, unknown>;
      keepsWorld(meta, raw, DRILL_WORLD, file);
      const storm = (s: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(s.storm as object).filter(([k]) => !STORM_POLICY.has(k)));
      if (JSON.stringify(storm(meta)) !== JSON.stringify(storm(raw)))
        keepsWorld({ storm: 0 }, { storm: 1 }, ['storm'], file);
      const replayed = await replayDrill(changed, run.entries, { plays, baseline: baseline.baseline });
      const after = {
        scenario: changed,
        result: replayed.result,
        gate: gate(replayed.result, changed),
        replayed,
      };
      const diff = replayDiff(before.result, after.result, { before: before.gate, after: after.gate });
      return { run, kind: 'drill', before, after, matchesRecord, diff };
    },
  };
}

async function prepareLive(run: RecordedRun, meta: Record<string, unknown>): Promise<Prepared> {
  const { replayLive } = await import('../live/replay.js');
  const { parseLiveConfig } = await import('../live/config.js');
  const { livePlays } = await import('../live/plays.js');
  const stored = meta as unknown as import('../live/runtime.js').LiveRunMeta;
  const baseline = await replayLive(stored, stored.config, run.entries);
  const { scenarioOf } = await import('../live/stored-run.js');
  const before = { scenario: scenarioOf(stored), result: baseline.result, gate: null, replayed: baseline };
  // The record as `report --run` reads it: every input, play reports included, where the journal has it.
  const { liveRunResult } = await import('../live/stored-run.js');
  const { ReplayJournal } = await import('../engine/replay-journal.js');
  const journal = new ReplayJournal({ id: run.id, meta: run.meta, entries: () => run.entries } as never);
  const matchesRecord = JSON.stringify(liveRunResult(journal).result) === JSON.stringify(baseline.result);
  const base = stored.config as unknown as Record<string, unknown>;
  const known = [
    ...Object.keys(stockPlays),
    ...Object.keys(livePlays({})),
    ...stored.config.incidentTypes.flatMap((t) => t.runbook.map((s) => s.play)),
  ];
  return {
    run,
    kind: 'live',
    base,
    config: (await import('../live/config.js')).engineConfigOf(stored.config, stored.epoch),
    before,
    matchesRecord,
    async under(settings, file) {
      const merged = overlay(unmarked(base), unmarked(settings));
      keepsWorld(unmarked(base), merged, LIVE_WORLD, file);
      const config = remarked(stored.config, parseLiveConfig(JSON.stringify(merged), file, known));
      const replayed = await replayLive(stored, config, run.entries, baseline.baseline);
      const after = {
        scenario: scenarioOf({ ...stored, config }),
        result: replayed.result,
        gate: null,
        replayed,
      };
      const { engineConfigOf } = await import('../live/config.js');
      const { escalationsOwed } = await import('../engine/why.js');
      const notified = {
        before: escalationsOwed(before.result.incidents, stored.config.oncall.escalation),
        after: escalationsOwed(after.result.incidents, engineConfigOf(config, stored.epoch).escalation),
      };
      return {
        run,
        kind: 'live',
        before,
        after,
        matchesRecord,
        diff: replayDiff(before.result, after.result, null, notified),
      };
    },
  };
}

/** `alerting.policy[0].threshold` as keys: ['alerting', 'policy', 0, 'threshold']. */
export function parsePath(path: string): (string | number)[] {
  if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*|\[\d+\])*$/.test(path))
    throw new InputError(
      `${JSON.stringify(path)} is not a settings path like alerting.policy[0].threshold`,
      undefined,
      '--sweep',
    );
  return [...path.matchAll(/([A-Za-z_][\w-]*)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : (m[1] as string),
  );
}

/** A copy of `settings` with the value at `path` set; the path must name something the settings have. */
export function withValue(
  settings: Record<string, unknown>,
  path: string,
  value: unknown,
): Record<string, unknown> {
  const keys = parsePath(path);
  const copy = structuredClone(settings);
  let at: unknown = copy;
  for (const [i, key] of keys.entries()) {
    const holder = at as Record<string | number, unknown>;
    if (typeof at !== 'object' || at === null || !(key in holder))
      throw new InputError(
        `${path}: the run's settings have no ${keys.slice(0, i + 1).join('.')}`,
        undefined,
        '--sweep',
      );
    if (i === keys.length - 1) holder[key] = value;
    else at = holder[key];
  }
  return copy;
}

/** `PATH=V1,V2,...`: the path and its values (numbers where they read as numbers). */
export function parseSweep(spec: string): { path: string; values: unknown[] } {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1)
    throw new InputError(
      `${JSON.stringify(spec)} must be PATH=V1,V2,... (e.g. alerting.policy[0].threshold=10,14.4,20)`,
      undefined,
      '--sweep',
    );
  const path = spec.slice(0, eq);
  parsePath(path);
  const values = spec
    .slice(eq + 1)
    .split(',')
    .map((v) => v.trim())
    .map((v) =>
      v !== '' && Number.isFinite(Number(v)) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v,
    );
  return { path, values };
}

export interface SweepRow {
  value: unknown;
  pages: number;
  /** The primary incident's minutes from onset to detection. */
  mttd: number | null;
  /** Incidents paged in the recorded run and not in this replay. */
  missed: string[];
  /** Incidents paged in this replay and not in the recorded run. */
  extra: string[];
}

const pagedIds = (result: ShiftResult) =>
  new Set(result.trace.filter((e) => e.actor.startsWith('INC-') && e.to === 'page').map((e) => e.actor));

export function sweepRow(value: unknown, outcome: ReplayOutcome): SweepRow {
  const was = pagedIds(outcome.before.result);
  const is = pagedIds(outcome.after.result);
  return {
    value,
    pages: is.size,
    mttd: outcome.diff.totals.after.times.mttd,
    missed: [...was].filter((id) => !is.has(id)),
    extra: [...is].filter((id) => !was.has(id)),
  };
}
