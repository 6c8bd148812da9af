import type { PlayLogic } from '../../machines/incident.js';
import { type Input, isWorldInput } from '../engine/inputs.js';
import type { Batch, JournalEntry, RunJournal } from '../engine/journal.js';
import { stockPlays } from '../engine/plays.js';
import { type Baseline, RecordedWork, recordedTasks, type TaskSource } from '../engine/recorded-work.js';
import type { TraceEntry } from '../engine/trace.js';
import { effectPlays, runShift } from './drill.js';
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

/**
 * A journal that compares, as they are committed, the world inputs the replay sends with the record's,
 * and keeps where they first part (nothing else is kept).
 */
class Capture implements RunJournal {
  readonly id = 'replay';
  readonly meta = { scenario: 'replay', scenarioText: '{}', plays: null };
  diverged: Replayed['worldDiverged'] = null;
  private minute = 0;
  private next = 0;
  constructor(private readonly recorded: readonly { minute: number; input: Input }[]) {}
  entries(): JournalEntry[] {
    return [];
  }
  commit(batch: Batch): void {
    if (this.diverged) return;
    for (const { input } of batch.inputs) {
      if (input.kind === 'tick') this.minute = input.t;
      if (!isWorldInput(input)) continue;
      const was = this.recorded[this.next++];
      if (was && sameInput(was.input, input)) continue;
      this.diverged = {
        minute: Math.min(was?.minute ?? Infinity, this.minute),
        recorded: describe(was?.input),
        replayed: describe(input),
      };
      return;
    }
  }
  /** The end of the replay: a record that goes on past it parts there. */
  end(): Replayed['worldDiverged'] {
    const was = this.recorded[this.next];
    if (this.diverged || !was) return this.diverged;
    return { minute: was.minute, recorded: describe(was.input), replayed: 'nothing (it ended)' };
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

/** A drill's record as its replays read it, indexed once: its plays' reports and its world inputs by minute. */
export interface DrillRecord {
  tasks: ReturnType<typeof recordedTasks>;
  world: { minute: number; input: Input }[];
}

export function drillRecord(entries: readonly JournalEntry[]): DrillRecord {
  return {
    tasks: recordedTasks(entries, 'minute'),
    world: withMinutes(entries.map((e) => e.input).filter(isWorldInput)),
  };
}

/** The world's inputs with the minute each came in. */
function withMinutes(inputs: readonly Input[]): { minute: number; input: Input }[] {
  let minute = 0;
  return inputs.map((input) => {
    if (input.kind === 'tick') minute = input.t;
    return { minute, input };
  });
}

/** Whether two world inputs are the same; ticks and SLI counts (nearly all of them) field by field. */
function sameInput(a: Input, b: Input): boolean {
  if (a.kind === 'tick') return b.kind === 'tick' && a.t === b.t;
  if (a.kind === 'sli') {
    if (b.kind !== 'sli') return false;
    return a.sli === b.sli && a.counts.requests === b.counts.requests && a.counts.errors === b.counts.errors;
  }
  return JSON.stringify(a) === JSON.stringify(b);
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
  record: DrillRecord,
  options: { plays?: Record<string, PlayLogic>; baseline?: Baseline | null } = {},
): Promise<Replayed> {
  // The scenario's declared effects are plays too: a play the record lacks acts on the simulated world.
  const own: Record<string, PlayLogic> = { ...stockPlays, ...effectPlays(scenario), ...options.plays };
  const work = new RecordedWork(record.tasks, 'drill', options.baseline ?? null);
  const names = new Set([
    ...Object.keys(own),
    ...scenario.incidentTypes.flatMap((t) => t.runbook.map((s) => s.play)),
  ]);
  const plays = Object.fromEntries([...names].map((name) => [name, work.play(name, own[name])]));
  const capture = new Capture(record.world);
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
    worldDiverged: capture.end(),
  };
}
