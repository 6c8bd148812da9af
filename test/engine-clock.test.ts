import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { EngineClock } from '../src/engine/clock.js';

// The engine's clock must fire what XState's SimulatedClock fires, in the same order, at the same
// moves: it only skips moves before anything is due.

type Op =
  | { kind: 'set'; by: number }
  | { kind: 'timeout'; delay: number; chained: number | null }
  | { kind: 'clear'; which: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), by: fc.integer({ min: 0, max: 20 }) }),
  fc.record({
    kind: fc.constant('timeout' as const),
    delay: fc.integer({ min: 0, max: 30 }),
    // A timeout that, when it fires, sets another (as an XState `after` entering a state with one).
    chained: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
  }),
  fc.record({ kind: fc.constant('clear' as const), which: fc.nat() }),
);

interface ClockLike {
  now(): number;
  set(time: number): void;
  setTimeout(fn: () => void, timeout: number): unknown;
  clearTimeout(id: never): void;
}

function run(clock: ClockLike, ops: Op[]): string[] {
  const fired: string[] = [];
  const ids: unknown[] = [];
  let n = 0;
  const schedule = (delay: number, chained: number | null) => {
    const name = `t${n++}`;
    ids.push(
      clock.setTimeout(() => {
        fired.push(`${name}@${clock.now()}`);
        if (chained !== null) schedule(chained, null);
      }, delay),
    );
  };
  for (const o of ops) {
    if (o.kind === 'set') clock.set(clock.now() + o.by);
    else if (o.kind === 'timeout') schedule(o.delay, o.chained);
    else if (ids.length > 0) clock.clearTimeout(ids[o.which % ids.length] as never);
  }
  clock.set(clock.now() + 100);
  return fired;
}

describe('EngineClock', () => {
  it('fires what XState’s SimulatedClock fires, in its order, at the same moves', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        expect(run(new EngineClock(), ops)).toEqual(run(new SimulatedClock(), ops));
      }),
      { numRuns: 500, seed: 5 },
    );
  });

  it('fires a timeout at its due time, not before, and once', () => {
    const clock = new EngineClock();
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 5);
    clock.set(4);
    expect(fired).toEqual([]);
    clock.set(5);
    expect(fired).toEqual([5]);
    clock.set(50);
    expect(fired).toEqual([5]);
  });

  it('fires nothing cleared; a timeout set by the last one fired waits for the next move, as in XState', () => {
    const clock = new EngineClock();
    const fired: string[] = [];
    const id = clock.setTimeout(() => fired.push('cleared'), 1);
    clock.setTimeout(() => {
      fired.push('a');
      clock.setTimeout(() => fired.push('b'), 0);
    }, 2);
    clock.clearTimeout(id);
    clock.set(3);
    expect(fired).toEqual(['a']);
    clock.set(3);
    expect(fired).toEqual(['a', 'b']);
  });

  it('refuses to go back', () => {
    const clock = new EngineClock();
    clock.set(10);
    expect(() => clock.set(9)).toThrow('the clock cannot go back (from 10 to 9)');
  });
});
