import { type AnyActorRef, createActor, SimulatedClock } from 'xstate';
import type { PlayOps } from '../../machines/play.js';
import {
  bareMachine,
  fakeOps,
  incidentInput,
  incidentUnderBench,
  LIFECYCLE,
  VERIFY_MINUTES,
} from '../lifecycle.js';
import { fmtKb, fmtMs, fmtRatio, liveHeap, msSince } from '../measure.js';
import type { Row } from '../table.js';

const ACTORS = 10_000;
const TARGET_RATIO = 1.1;
const TARGET_BYTES = 6 * 1024;

interface Fleet {
  ms: number;
  bytesPerActor: number;
}

function stateOf(actor: AnyActorRef): string {
  return JSON.stringify(actor.getSnapshot().value);
}

function expectAll(actors: readonly AnyActorRef[], state: string): void {
  const off = actors.find((actor) => stateOf(actor) !== JSON.stringify(state));
  if (off) throw new Error(`fleet: ${off.id} is in ${stateOf(off)}, expected ${state}`);
}

/**
 * 10,000 incidents alive at once on one simulated clock, each event sent to every actor before the
 * next, so all of them are mid-lifecycle together. The heap is taken (after a full GC) when every
 * actor sits in verify with its timer pending, its postmortem and ship outcome in its context; the
 * time covers creating the actors through the clock firing the last verify timer, GC excluded.
 */
function runFleet(create: (clock: SimulatedClock, ops: PlayOps, i: number) => AnyActorRef): Fleet {
  const clock = new SimulatedClock();
  // One set of ops for the whole fleet, as in a shift: every incident acts on the same world.
  const ops = fakeOps(clock);
  const before = liveHeap();
  let start = performance.now();
  const actors: AnyActorRef[] = [];
  for (let i = 0; i < ACTORS; i++) {
    const actor = create(clock, ops, i);
    actor.start();
    actors.push(actor);
  }
  for (const event of LIFECYCLE) for (const actor of actors) actor.send(event);
  let ms = msSince(start);
  expectAll(actors, 'verify');
  const alive = liveHeap();
  start = performance.now();
  clock.increment(VERIFY_MINUTES);
  ms += msSince(start);
  expectAll(actors, 'resolved');
  return { ms, bytesPerActor: (alive - before) / ACTORS };
}

const ours = (clock: SimulatedClock, ops: PlayOps, i: number) =>
  createActor(incidentUnderBench, { id: `INC-${i + 1}`, clock, input: incidentInput(`INC-${i + 1}`, ops) });
const bare = (clock: SimulatedClock, _ops: PlayOps, i: number) =>
  createActor(bareMachine, { id: `INC-${i + 1}`, clock });

export function fleet(): Row {
  // A small fleet of each first, so neither side pays for compiling the code paths.
  for (let i = 0; i < 200; i++) {
    const clock = new SimulatedClock();
    const ops = fakeOps(clock);
    for (const actor of [ours(clock, ops, i), bare(clock, ops, i)]) {
      actor.start();
      for (const event of LIFECYCLE) actor.send(event);
    }
    clock.increment(VERIFY_MINUTES);
  }
  const baseline = runFleet(bare);
  const measured = runFleet(ours);
  const show = (f: Fleet) => `${fmtMs(f.ms)}, ${fmtKb(f.bytesPerActor)}/actor`;
  const ratio = measured.ms / baseline.ms;
  const misses = [
    ratio > TARGET_RATIO ? `time ${fmtRatio(ratio / TARGET_RATIO)} over` : '',
    measured.bytesPerActor > TARGET_BYTES
      ? `heap ${fmtRatio(measured.bytesPerActor / TARGET_BYTES)} over`
      : '',
  ].filter(Boolean);
  return {
    row: 'fleet',
    figure: show(measured),
    target: `<= ${TARGET_RATIO}x bare, <= ${TARGET_BYTES / 1024} KB/actor`,
    baseline: show(baseline),
    ratio: `${fmtRatio(ratio)}, ${fmtRatio(measured.bytesPerActor / baseline.bytesPerActor)}`,
    pass: misses.length === 0,
    how: `${ACTORS / 1000}k incident actors on one SimulatedClock, every lifecycle event sent to all before the next; heap after full GC with all of them in verify, minus before; baseline: the bare machine's fleet${misses.length > 0 ? `; MISS: ${misses.join(', ')}` : ''}`,
  };
}
