import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AnyMachineSnapshot, SimulatedClock } from 'xstate';
import { stateName, type TraceEntry, TraceRecorder } from '../src/engine/trace.js';
import {
  acceptedEvents,
  flush,
  type MachineName,
  type ModelActor,
  startModelActor,
} from '../src/views/model.js';

const RUNS = Number(process.env.PROPS_RUNS ?? 1000);
const SEED = Number(process.env.PROPS_SEED ?? 5);

/**
 * A random walk of both machines on one clock, traced by one TraceRecorder as the drill traces a
 * shift: each command sends one actor an event its state accepts (from the models' catalogue, with
 * the model's payloads), settles its play / postmortem / fix, lets sim time pass (delayed events fire
 * on their own), or sends it something it does not know.
 */
type Command =
  | { kind: 'accepted'; actor: MachineName; choice: number }
  | { kind: 'wait'; minutes: number }
  | { kind: 'unknown'; actor: MachineName; type: string };

const actorName = fc.constantFrom<MachineName>('incident', 'release');
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant('accepted' as const), actor: actorName, choice: fc.nat(99) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 0, max: 40 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('unknown' as const),
      actor: actorName,
      type: fc.constantFrom('BOGUS', 'ACK', 'DEPLOY', 'ROLLBACK', 'xstate.done.actor.fix'),
    }),
  },
);

async function apply(actors: Record<MachineName, ModelActor>, clock: SimulatedClock, cmd: Command) {
  if (cmd.kind === 'wait') {
    clock.increment(cmd.minutes);
    return;
  }
  const { actor, actors: pending } = actors[cmd.actor];
  const snapshot = actor.getSnapshot() as AnyMachineSnapshot;
  if (snapshot.status !== 'active') return;
  if (cmd.kind === 'unknown') {
    // Only events the machine has no transition for: a stray done event it does handle is not one.
    if (!acceptedEvents(cmd.actor, snapshot).some((event) => event.type === cmd.type))
      actor.send({ type: cmd.type });
    return;
  }
  // Delayed events are left to the clock.
  const events = acceptedEvents(cmd.actor, snapshot).filter(
    (event) => !event.type.startsWith('xstate.after.'),
  );
  const event = events[cmd.choice % Math.max(events.length, 1)];
  if (!event) return;
  const settled = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event.type);
  if (!settled) actor.send(event);
  else if (pending.settle(settled[2] ?? '', settled[1] as 'done' | 'error', event.output ?? event.error))
    await flush();
}

/**
 * Checks the entries recorded since the last call: the trace's `to` of each entry is the `from` of
 * the same actor's next entry (null for its first), and each actor's last `to` is where it is now.
 */
class ContinuityCheck {
  private checked = 0;
  private readonly lastTo = new Map<string, string>();

  constructor(
    private readonly entries: readonly TraceEntry[],
    private readonly actors: Record<MachineName, ModelActor>,
  ) {}

  after(at: string) {
    for (; this.checked < this.entries.length; this.checked++) {
      const entry = this.entries[this.checked] as TraceEntry;
      const previous = this.entries[this.checked - 1];
      if (entry.seq !== this.checked + 1)
        expect(entry.seq, `${at}: entries numbered in order`).toBe(this.checked + 1);
      if (previous && entry.t < previous.t)
        expect(entry.t, `${at}: sim time never goes back`).toBeGreaterThanOrEqual(previous.t);
      const from = this.lastTo.get(entry.actor) ?? null;
      if (entry.from !== from) {
        expect(
          entry.from,
          `${at}: entry ${entry.seq} (${entry.actor}) starts where its previous one ended`,
        ).toBe(from);
      }
      this.lastTo.set(entry.actor, entry.to);
    }
    for (const { actor } of Object.values(this.actors)) {
      const now = stateName(actor.getSnapshot().value);
      if (this.lastTo.get(actor.id) !== now) {
        expect(this.lastTo.get(actor.id), `${at}: ${actor.id}'s last entry is where it is`).toBe(now);
      }
    }
  }
}

describe('the trace under random event sequences on both machines', () => {
  it(`chains every actor's entries, to -> from, after every step (${RUNS} runs)`, async () => {
    const reached = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 50, size: 'medium' }), async (commands) => {
        const clock = new SimulatedClock();
        const trace = new TraceRecorder(() => clock.now());
        const actors: Record<MachineName, ModelActor> = {
          release: startModelActor('release', { id: 'release', clock, inspect: trace.inspect }),
          incident: startModelActor('incident', { id: 'INC-1', clock, inspect: trace.inspect }),
        };
        const check = new ContinuityCheck(trace.entries, actors);
        try {
          check.after('at start');
          for (const [i, cmd] of commands.entries()) {
            await apply(actors, clock, cmd);
            check.after(`step ${i + 1} (${JSON.stringify(cmd)})`);
          }
          for (const entry of trace.entries) reached.add(`${entry.actor}:${entry.to}`);
        } finally {
          for (const { actor } of Object.values(actors)) actor.stop();
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    if (RUNS >= 500) {
      for (const state of ['INC-1:resolved', 'INC-1:escalated', 'release:rejected']) {
        expect(reached, 'states the random walks traced').toContain(state);
      }
    }
  });
});
