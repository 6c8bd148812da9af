import type { WorldPort } from '../engine/config.js';
import { Engine } from '../engine/engine.js';
import { isWorldInput } from '../engine/inputs.js';
import type { JournalEntry } from '../engine/journal.js';
import { stockPlays } from '../engine/plays.js';
import { type Baseline, RecordedWork, recordedTasks } from '../engine/recorded-work.js';
import type { Replayed } from '../world/replay.js';
import { assemble } from '../world/result.js';
import { engineConfigOf, type LiveConfig } from './config.js';
import type { LiveRunMeta } from './runtime.js';
import { scenarioOf } from './stored-run.js';

/**
 * A run of `runbook serve` replayed under a changed configuration. Live, the world is real and
 * cannot be asked again: every world input of the record goes in as it was (ticks, SLI counts from
 * Prometheus, alerts, tickets, deploys with their evidence, and the acknowledgements people sent),
 * plays and the engine's tasks give back their recorded reports by key, and a play or task the
 * record lacks is reported unknown: nothing is called, no hook, no eval endpoint.
 */

/** Asked only when the record lacks an answer, and it never answers: a replay does not call the world. */
const refuse = () => {
  throw new Error('unknown: a replay of a live run never calls the real world');
};
const recordOnly: WorldPort = { evaluate: refuse, wrongAnswers: refuse, effect: refuse };

export async function replayLive(
  stored: LiveRunMeta,
  config: LiveConfig,
  entries: readonly JournalEntry[],
  baseline: Baseline | null = null,
): Promise<Replayed> {
  const work = new RecordedWork(recordedTasks(entries, 'world'), 'live', baseline);
  const names = new Set([
    ...Object.keys(stockPlays),
    ...config.incidentTypes.flatMap((t) => t.runbook.map((step) => step.play)),
  ]);
  const engine = new Engine({
    config: engineConfigOf(config, stored.epoch),
    world: recordOnly,
    plays: Object.fromEntries([...names].map((name) => [name, work.play(name, undefined)])),
    recordedTask: work.task,
  });
  try {
    let point = 0;
    for (const { input } of entries) {
      if (!isWorldInput(input)) continue;
      engine.submit(input);
      point++;
      engine.commit();
      work.advance({ point, minute: engine.now() });
      const reports = engine.drain();
      if (reports) await reports;
    }
    engine.flush();
    const scenario = scenarioOf({ ...stored, config });
    return {
      result: assemble(scenario, engine, { start: 0, end: engine.now() }),
      sources: work.sources,
      baseline: work.asBaseline,
      worldDiverged: null,
    };
  } finally {
    engine.stop();
  }
}
