import { createActor, fromPromise } from 'xstate';
import type { PlayLogic } from '../../machines/incident.js';
import type { PlayInput, PlayOps, PlayOutput } from '../../machines/play.js';
import { type EffectInput, isWorldInput, type OutcomeInput, type RollbackInput } from './inputs.js';
import type { JournalEntry } from './journal.js';

/**
 * What plays and the engine's tasks did in a recorded run, by idempotency key, for a replay to give
 * back instead of running them: a play's acts on the world (rollbacks, reindexes, flags) and its
 * report. A replay drives a fresh engine; when one of its machines starts a play under a key the
 * record has, the play does what the record says it did and reports what it reported, at the same
 * point of the world's inputs when it started at the same point, else as long after its start as it
 * took in the record. A key the record lacks is run against the simulated world (a drill), or
 * reported unknown (live: a replay never calls the real world).
 */

/** Where a replay is: the world inputs it has submitted (live) or the minute it is at (a drill). */
export interface Point {
  point: number;
  minute: number;
}

export interface RecordedTask {
  key: string;
  acts: (RollbackInput | EffectInput)[];
  outcome: OutcomeInput | null;
  /** Where the report came in the record. */
  due: Point;
}

/** How a replayed play or task got its report. */
export interface TaskSource {
  key: string;
  play: string;
  startedAt: number;
  source: 'recorded' | 'simulated' | 'unknown';
}

/** A key's base: `INC-5/1/1#2` (the play's second act) belongs to `INC-5/1/1`. */
const ownerOf = (key: string) => {
  const hash = key.lastIndexOf('#');
  return hash < 0 ? key : key.slice(0, hash);
};

/** The record's tasks by key; `points` says how a replay of this run counts where it is. */
export function recordedTasks(
  entries: readonly JournalEntry[],
  points: 'world' | 'minute',
): Map<string, RecordedTask> {
  const tasks = new Map<string, RecordedTask>();
  let world = 0;
  let minute = 0;
  for (const { input } of entries) {
    if (isWorldInput(input)) {
      world++;
      if (input.kind === 'tick') minute = input.t;
      continue;
    }
    const key = ownerOf(input.key);
    const due = { point: points === 'world' ? world : minute, minute };
    let task = tasks.get(key);
    if (!task) {
      task = { key, acts: [], outcome: null, due };
      tasks.set(key, task);
    }
    if (input.kind === 'outcome') {
      task.outcome = input;
      task.due = due;
    } else task.acts.push(input);
  }
  return tasks;
}

/** What the run replayed under its own settings says of each key: where it started and which play ran under it. */
export interface Baseline {
  started: ReadonlyMap<string, Point>;
  plays: ReadonlyMap<string, string>;
}

interface Waiting {
  due: (at: Point) => boolean;
  release: () => void;
}

export class RecordedWork {
  /** Where each key started in this replay, and how each got its report. */
  readonly started = new Map<string, Point>();
  readonly sources: TaskSource[] = [];
  private at: Point = { point: 0, minute: 0 };
  private waiting: Waiting[] = [];

  /**
   * `baseline`: where each key started when the record was replayed under its own settings; a key
   * started elsewhere reports as long after its start as it took there. Without one, a report comes
   * where the record has it.
   */
  constructor(
    private readonly tasks: ReadonlyMap<string, RecordedTask>,
    private readonly mode: 'drill' | 'live',
    private readonly baseline: Baseline | null = null,
  ) {}

  /** This replay as a baseline for others: where each key started, and its play. */
  get asBaseline(): Baseline {
    return { started: this.started, plays: new Map(this.sources.map((s) => [s.key, s.play])) };
  }

  /** The replay has reached `at`: reports due by then are given. */
  advance(at: Point): void {
    this.at = at;
    if (this.waiting.length === 0) return;
    const due = this.waiting.filter((w) => w.due(at));
    this.waiting = this.waiting.filter((w) => !w.due(at));
    for (const w of due) w.release();
  }

  /** Whether a report is still held back for a later point. */
  get holding(): boolean {
    return this.waiting.length > 0;
  }

  /** When the report of `task`, started now, is due. */
  private dueRule(task: RecordedTask): (at: Point) => boolean {
    const start = this.at;
    const base = this.baseline?.started.get(task.key);
    if (!this.baseline || (base && base.point === start.point)) return (at) => at.point >= task.due.point;
    const took = base ? task.due.minute - base.minute : 0;
    return (at) => at.minute >= start.minute + Math.max(0, took);
  }

  /** The recorded report of `key` once due, its acts done through `ops` first; null when unrecorded. */
  private recorded(
    key: string,
    play: string,
    ops: PlayOps | null,
  ): Promise<Omit<OutcomeInput, 'kind' | 'key'>> | null {
    const task = this.tasks.get(key);
    if (!task?.outcome) return null;
    // A changed runbook may run another play under a recorded key: the record is not that play's.
    const was = this.baseline?.plays.get(key);
    if (was !== undefined && was !== play) return null;
    const { outcome } = task;
    return new Promise((resolve) => {
      const release = () => {
        if (ops) for (const act of task.acts) doAct(ops, act);
        resolve(outcome.error !== undefined ? { error: outcome.error } : { output: outcome.output });
      };
      const due = this.dueRule(task);
      if (due(this.at)) release();
      else this.waiting.push({ due, release });
    });
  }

  private note(key: string, play: string, source: TaskSource['source']): void {
    this.started.set(key, this.at);
    this.sources.push({ key, play, startedAt: this.at.minute, source });
  }

  /**
   * The play `name` as a replay runs it: recorded, else `fallback` (the drill's own play, acting on
   * the simulated world), else unknown.
   */
  play(name: string, fallback: PlayLogic | undefined): PlayLogic {
    return fromPromise<PlayOutput, PlayInput>(({ input }) => {
      const recorded = this.recorded(input.key, name, input.ops);
      if (recorded) {
        this.note(input.key, name, 'recorded');
        return recorded.then((done) => {
          if (done.error !== undefined) throw new Error(done.error);
          return done.output as PlayOutput;
        });
      }
      if (this.mode === 'drill' && fallback) {
        this.note(input.key, name, 'simulated');
        return runLogic(fallback, input);
      }
      this.note(input.key, name, 'unknown');
      return Promise.resolve({ ok: false, detail: unknownDetail(input.key) });
    });
  }

  /** The engine's own tasks (postmortem, ship): a drill's are run again on its simulated world. */
  readonly task = (
    kind: 'learn' | 'ship',
    key: string,
  ): Promise<Omit<OutcomeInput, 'kind' | 'key'>> | null => {
    if (this.mode === 'drill') return null;
    const name = kind === 'learn' ? 'writePostmortem' : 'shipFix';
    const recorded = this.recorded(key, name, null);
    this.note(key, name, recorded ? 'recorded' : 'unknown');
    return recorded ?? Promise.resolve({ error: unknownDetail(key) });
  };
}

const unknownDetail = (key: string) =>
  `unknown: the record has no outcome for ${key}, and a replay of a live run never calls the real world`;

/** Does again what a recorded play did to the world, under the same keys (ops number them). */
function doAct(ops: PlayOps, act: RollbackInput | EffectInput): void {
  try {
    if (act.kind === 'rollback') ops.rollback();
    else if (act.effect.type === 'reindex') ops.reindex();
    else if (act.effect.type === 'flag') ops.setFlag(act.effect.name, act.effect.on);
    else ops.clearFaults(act.effect.faults);
  } catch {
    // The act fails in this replay's world (nothing to roll back to): the record's report still stands.
  }
}

/** Runs any play logic (a promise, a callback, a machine) to its report. */
function runLogic(logic: PlayLogic, input: PlayInput): Promise<PlayOutput> {
  return new Promise((resolve, reject) => {
    const actor = createActor(logic, { input });
    actor.subscribe({
      complete: () => resolve(actor.getSnapshot().output as PlayOutput),
      error: reject,
    });
    actor.start();
  });
}
