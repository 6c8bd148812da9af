import type { PlayLogic } from '../../machines/incident.js';
import { type Input, isWorldInput } from '../engine/inputs.js';
import type { Batch, JournalEntry, RunJournal } from '../engine/journal.js';
import { stockPlays } from '../engine/plays.js';
import { type Baseline, RecordedWork, recordedTasks, type TaskSource } from '../engine/recorded-work.js';
import type { TraceEntry } from '../engine/trace.js';
import { runShift } from './drill.js';
import type { ShiftResult } from './result.js';
import type { Scenario } from './scenario.js';

/**
 * A journaled drill replayed under a changed policy. A drill's world is its scenario's, and it
 * answers the engine: the SLI counts each minute depend on what the engine did (a rollback 30 minutes
 * later keeps the SLI burning 30 minutes longer), and so do the SLO's own alerts, the canary's
 * evidence for a deploy (the eval set grows with postmortems), on-call's acknowledgements (on-call
 * acknowledges a page two minutes after it goes out: a page that never goes out is never
 * acknowledged) and approvals. So the replay runs the drill's own world again on the recorded
 * scenario with the new settings laid on it, and takes from the journal what the world cannot
 * answer again: what plays did and reported, by key (RecordedWork). The storm, the tickets and the
 * deploys are the scenario's, the same as the journal's by construction; every input the replayed
 * world sends is kept and compared with the record's, and the first that differs is reported.
 *
 * Under the run's own settings the replay is the run again, byte for byte (test/replay.test.ts).
 */

export interface Replayed {
  result: ShiftResult;
  /** How each play and task got its report. */
  sources: TaskSource[];
  /** Where each key started and its play: what a replay under changed settings is matched against. */
  baseline: Baseline;
  /**
   * The first world input the replay sent that is not the record's (its minute and what it was):
   * from there on the world answered what the engine did under the new settings.
   */
  worldDiverged: { minute: number; recorded: string; replayed: string } | null;
}

/** A journal that keeps the world's inputs in memory: what the replayed world sent, to compare. */
class Capture implements RunJournal {
  readonly id = 'replay';
  readonly meta = { scenario: 'replay', scenarioText: '{}', plays: null };
  readonly world: { minute: number; input: Input }[] = [];
  private minute = 0;
  entries(): JournalEntry[] {
    return [];
  }
  commit(batch: Batch): void {
    for (const { input } of batch.inputs) {
      if (input.kind === 'tick') this.minute = input.t;
      if (isWorldInput(input)) this.world.push({ minute: this.minute, input });
    }
  }
  checkpoint(): void {}
  latestCheckpoint(): null {
    return null;
  }
  trace(): TraceEntry[] {
    return [];
  }
  finish(): void {}
  result(): null {
    return null;
  }
}

/** The world's inputs with the minute each came in. */
function withMinutes(inputs: readonly Input[]): { minute: number; input: Input }[] {
  let minute = 0;
  return inputs.map((input) => {
    if (input.kind === 'tick') minute = input.t;
    return { minute, input };
  });
}

/** The first world input of the replay that is not the record's. */
function divergence(recorded: readonly JournalEntry[], sent: Capture['world']): Replayed['worldDiverged'] {
  const world = withMinutes(recorded.map((e) => e.input).filter(isWorldInput));
  const n = Math.max(world.length, sent.length);
  for (let i = 0; i < n; i++) {
    const was = world[i];
    const is = sent[i];
    if (was && is && JSON.stringify(was.input) === JSON.stringify(is.input)) continue;
    return {
      minute: Math.min(was?.minute ?? Infinity, is?.minute ?? Infinity),
      recorded: describe(was?.input),
      replayed: describe(is?.input),
    };
  }
  return null;
}

function describe(input: Input | undefined): string {
  if (!input) return 'nothing';
  switch (input.kind) {
    case 'sli':
      return `${input.sli} SLI counts`;
    case 'ack':
      return `the acknowledgement of ${input.incident}`;
    case 'alert':
      return `an alert (${input.alert.labels.alertname ?? 'unnamed'})`;
    default:
      return `a ${input.kind}`;
  }
}

/** Minutes between checkpoints of the capture: never (a replay is not resumed). */
const NEVER = Number.MAX_SAFE_INTEGER;

export async function replayDrill(
  scenario: Scenario,
  entries: readonly JournalEntry[],
  options: { plays?: Record<string, PlayLogic>; baseline?: Baseline | null } = {},
): Promise<Replayed> {
  const own: Record<string, PlayLogic> = { ...stockPlays, ...options.plays };
  const work = new RecordedWork(recordedTasks(entries, 'minute'), 'drill', options.baseline ?? null);
  const names = new Set([
    ...Object.keys(own),
    ...scenario.incidentTypes.flatMap((t) => t.runbook.map((s) => s.play)),
  ]);
  const plays = Object.fromEntries([...names].map((name) => [name, work.play(name, own[name])]));
  const capture = new Capture();
  const result = await runShift(scenario, {
    plays,
    journal: capture,
    checkpointMinutes: NEVER,
    afterCommit: (t) => work.advance({ point: t, minute: t }),
  });
  return {
    result,
    sources: work.sources,
    baseline: work.asBaseline,
    worldDiverged: divergence(entries, capture.world),
  };
}
