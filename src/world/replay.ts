import type { PlayLogic } from '../../machines/incident.js';
import { Engine } from '../engine/engine.js';
import type { AckInput, AlertInput, DeployInput, SliInput, TicketInput } from '../engine/inputs.js';
import type { JournalEntry } from '../engine/journal.js';
import { stockPlays } from '../engine/plays.js';
import { type Point, RecordedWork, recordedTasks, type TaskSource } from '../engine/recorded-work.js';
import type { MinuteCounts } from '../toolkit/slo.js';
import { acknowledge, arrivals, engineConfig, simulatedService, simulatedWorld, typedOpen } from './drill.js';
import { assemble, type ShiftResult } from './result.js';
import type { Scenario } from './scenario.js';
import { ServiceUnderOperation, type SliName } from './service.js';

/**
 * A journaled drill replayed under a changed policy. The record gives the world's own inputs, the
 * ones no policy changes: the storm's alerts, the tickets and the deploys, each at its minute. The
 * simulated world answers the engine again, because what it answers depends on what the engine did:
 * the SLI counts each minute (a rollback 30 minutes later keeps the SLI burning 30 minutes longer),
 * the canary's evidence for a deploy (the eval set grows with postmortems), and on-call's
 * acknowledgements (on-call acknowledges a page two minutes after it goes out: a page that never goes
 * out is never acknowledged). Plays give back what the record says they did, by key (RecordedWork).
 *
 * Under the run's own settings the replay is the run again, byte for byte (test/replay.test.ts).
 */

export interface Replayed {
  result: ShiftResult;
  /** How each play and task got its report. */
  sources: TaskSource[];
  /** Where each key started (what a replay under changed settings times moved plays by). */
  started: Map<string, Point>;
  /**
   * The first minute at which what the world answered (SLI counts, acknowledgements) is not what the
   * record has: from there on the replayed world is the simulated one, not the record's.
   */
  worldDiverged: { minute: number; input: string } | null;
}

type Answer = SliInput | AckInput;

/** The record's world inputs per minute: those replayed as they are, and those the world answers again. */
function byMinute(entries: readonly JournalEntry[]) {
  const given = new Map<number, (AlertInput | TicketInput | DeployInput)[]>();
  const answered = new Map<number, Answer[]>();
  let minute = 0;
  const add = <T>(map: Map<number, T[]>, item: T) => {
    const list = map.get(minute);
    if (list) list.push(item);
    else map.set(minute, [item]);
  };
  for (const { input } of entries) {
    if (input.kind === 'tick') minute = input.t;
    else if (input.kind === 'alert' || input.kind === 'ticket' || input.kind === 'deploy') add(given, input);
    else if (input.kind === 'sli' || input.kind === 'ack') add(answered, input);
  }
  return { given, answered };
}

/** Whether the world answered what the record has (compared field by field: this runs every minute). */
function sameAnswer(a: Answer | undefined, b: Answer | undefined): boolean {
  if (!a || !b || a.kind !== b.kind) return false;
  if (a.kind === 'ack') return a.incident === (b as AckInput).incident && a.by === (b as AckInput).by;
  const c = (b as SliInput).counts;
  return a.sli === (b as SliInput).sli && a.counts.requests === c.requests && a.counts.errors === c.errors;
}

/** The first answer of a minute that is not the record's, if any. */
function firstDifference(sent: readonly Answer[], recorded: readonly Answer[]): Answer | null | undefined {
  const n = Math.max(sent.length, recorded.length);
  for (let i = 0; i < n; i++) if (!sameAnswer(sent[i], recorded[i])) return sent[i] ?? recorded[i];
  return undefined;
}

export async function replayDrill(
  scenario: Scenario,
  entries: readonly JournalEntry[],
  options: { plays?: Record<string, PlayLogic>; baseline?: ReadonlyMap<string, Point> | null } = {},
): Promise<Replayed> {
  const own: Record<string, PlayLogic> = { ...stockPlays, ...options.plays };
  const work = new RecordedWork(recordedTasks(entries, 'minute'), 'drill', options.baseline ?? null);
  const names = new Set([
    ...Object.keys(own),
    ...scenario.incidentTypes.flatMap((t) => t.runbook.map((s) => s.play)),
  ]);
  const plays = Object.fromEntries([...names].map((name) => [name, work.play(name, own[name])]));
  let engine: Engine | null = null;
  const service = simulatedService(scenario, () => (engine as Engine).live());
  engine = new Engine({
    config: engineConfig(scenario),
    world: simulatedWorld(scenario, service),
    plays,
    recordedTask: work.task,
  });
  const { given, answered } = byMinute(entries);
  let worldDiverged: Replayed['worldDiverged'] = null;
  const lastEvent = Math.max(
    arrivals(scenario).lastEnd,
    ...scenario.timeline.map((e) => e.at),
    ...scenario.tickets.map((t) => t.at),
  );
  const end = scenario.until ?? lastEvent + 1440;
  const stalls = new Set(scenario.timeline.filter((e) => 'stallIndexer' in e).map((e) => e.at));
  let served: Record<SliName, MinuteCounts> | null = null;
  let t = 0;
  try {
    for (; t <= end; t++) {
      const sent: Answer[] = [];
      engine.submit({ kind: 'tick', t });
      if (served) {
        for (const sli in served) {
          const input: SliInput = { kind: 'sli', sli, counts: served[sli] as MinuteCounts };
          if (worldDiverged === null) sent.push(input);
          engine.submit(input);
        }
      }
      if (stalls.has(t)) service.stallIndexer();
      for (const input of given.get(t) ?? NONE) {
        if (input.kind === 'deploy') {
          engine.submit({
            kind: 'deploy',
            candidate: input.candidate,
            report: engine.canaryReport(input.candidate),
          });
        } else engine.submit(input);
      }
      const waiting = engine.awaitingAck().length > 0;
      acknowledge(scenario, engine, t);
      if (worldDiverged === null) {
        if (waiting) sent.push(...ackedNow(engine, t));
        const differs = firstDifference(sent, answered.get(t) ?? NONE);
        if (differs !== undefined) worldDiverged = { minute: t, input: describe(differs) };
      }
      engine.commit();
      work.advance({ point: t, minute: t });
      const reports = engine.drain();
      if (reports) await reports;
      served = service.serve(t);
      if (t >= lastEvent && !typedOpen(engine)) break;
    }
    engine.flush();
    return {
      result: assemble(scenario, engine, { start: 0, end: Math.min(t, end) }),
      sources: work.sources,
      started: work.started,
      worldDiverged,
    };
  } finally {
    engine.stop();
  }
}

/** The acknowledgements on-call just sent, as the record would hold them. */
function ackedNow(engine: Engine, t: number): AckInput[] {
  return engine.incidents
    .filter((i) => i.actor.getSnapshot().context.milestones.acknowledged === t)
    .map((i) => ({ kind: 'ack', incident: i.id, by: 'on-call' }));
}

function describe(input: Answer | null): string {
  if (input === null) return 'nothing';
  return input.kind === 'sli' ? `${input.sli} SLI counts` : `on-call's acknowledgement of ${input.incident}`;
}

const NONE: readonly never[] = [];
