import { fromPromise } from 'xstate';
import type { PlayLogic } from '../../machines/incident.js';
import type { WorldPort } from '../engine/config.js';
import { Engine, type EngineOptions } from '../engine/engine.js';
import type { RunJournal } from '../engine/journal.js';
import { stockPlays } from '../engine/plays.js';
import { assemble, type ShiftResult } from '../world/result.js';
import type { Scenario } from '../world/scenario.js';
import { engineConfigOf } from './config.js';
import type { LiveRunMeta } from './runtime.js';

/**
 * A run of `runbook serve` after the fact, for `report --run`: its journal replayed read-only through
 * fresh machines (a ReplayJournal writes nothing), and the result read off them as a drill's is.
 * What only a drill has is left empty: no timeline of deploys, no storm, no gate.
 */

/** A play that never settles: a report replays what plays did, and must never run one again. */
const inert: PlayLogic = fromPromise(() => new Promise<never>(() => {}));

/** Nor is the service asked anything: what its eval endpoints answered is in the journal. */
const never = () => new Promise<never>(() => {});
const silentWorld: WorldPort = { evaluate: never, wrongAnswers: never, effect: never };

/** Whether a stored run is one of `runbook serve` (its run row keeps the configuration, marked live). */
export function isLiveRun(run: RunJournal): boolean {
  return (JSON.parse(run.meta.scenarioText) as Partial<LiveRunMeta>).live === true;
}

/**
 * The scenario's fields the result and the report read, from the live configuration. A live run has
 * no drill to describe, so the rest of a scenario (questions, releases, storm, timeline) is absent;
 * the report reads none of it.
 */
export function scenarioOf(stored: LiveRunMeta): Scenario {
  const { config, epoch } = stored;
  const view = {
    name: config.name,
    epoch,
    initialRelease: config.release,
    alerting: config.alerting,
    // What the report's plots call each SLI's good events.
    slos: config.slos,
    incidentTypes: config.incidentTypes,
    timeline: [],
    storm: { groupBy: config.groupBy },
  };
  return view as unknown as Scenario;
}

/** The run's result, read off its replayed machines; `hooks` watch the replay (the inspector's). */
export function liveRunResult(
  run: RunJournal,
  hooks: Pick<EngineOptions, 'inspect' | 'onTrace'> = {},
): { scenario: Scenario; result: ShiftResult } {
  const stored = JSON.parse(run.meta.scenarioText) as LiveRunMeta;
  const names = [
    ...Object.keys(stockPlays),
    ...stored.config.incidentTypes.flatMap((t) => t.runbook.map((step) => step.play)),
  ];
  const engine = new Engine({
    config: engineConfigOf(stored.config, stored.epoch),
    world: silentWorld,
    plays: Object.fromEntries(names.map((name) => [name, inert])),
    journal: run,
    ...hooks,
  });
  try {
    engine.replayJournal();
    const scenario = scenarioOf(stored);
    return { scenario, result: assemble(scenario, engine, { start: 0, end: engine.now() }) };
  } finally {
    engine.stop();
  }
}
