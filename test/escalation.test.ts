import { describe, expect, it } from 'vitest';
import { escalationsDue, pagedPeople } from '../src/toolkit/escalation.js';

/** The on-call escalation schedule: a pure function of the page's minute and a stretch of minutes. */

describe('escalation policy', () => {
  const policy = {
    levels: [
      { notify: ['a'], afterMinutes: 5 },
      { notify: ['b'], afterMinutes: 10 },
    ],
    repeats: 1,
  };

  it('owes level 2 after level 1 waited, then the whole policy once more, then nothing', () => {
    const due = escalationsDue(policy, 100, 0, 1000).map((s) => [s.pass, s.level, s.at]);
    expect(due).toEqual([
      [1, 2, 105],
      [2, 1, 115],
      [2, 2, 120],
    ]);
  });

  it('splits the same schedule over any stretches of minutes without a gap or a repeat', () => {
    const whole = escalationsDue(policy, 100, 0, 200);
    const pieces = [0, 104, 105, 114, 119, 120, 200].flatMap((from, i, all) =>
      i + 1 < all.length ? escalationsDue(policy, 100, from, all[i + 1] as number) : [],
    );
    expect(pieces).toEqual(whole);
  });
  it('owes nothing before the page, nothing at the page itself, and nothing without a policy level left', () => {
    expect(escalationsDue(policy, 100, 0, 104)).toEqual([]);
    expect(escalationsDue(policy, 100, 100, 105)).toEqual([{ pass: 1, level: 2, at: 105, notify: ['b'] }]);
    expect(escalationsDue({ ...policy, repeats: 0 }, 100, 0, 10_000).map((s) => s.at)).toEqual([105]);
    expect(escalationsDue({ levels: [{ notify: ['a'], afterMinutes: 3 }], repeats: 2 }, 0, 0, 100)).toEqual([
      { pass: 2, level: 1, at: 3, notify: ['a'] },
      { pass: 3, level: 1, at: 6, notify: ['a'] },
    ]);
  });

  it('names the first level as the people a page reaches', () => {
    expect(pagedPeople(policy)).toEqual(['a']);
    expect(pagedPeople(undefined)).toEqual([]);
  });
});
