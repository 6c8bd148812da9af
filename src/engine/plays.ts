import { fromPromise } from 'xstate';
import type { PlayInput, PlayOutput } from '../../machines/play.js';

export type { PlayLogic } from '../../machines/incident.js';
export type { PlayInput, PlayOps, PlayOutput, RunbookStep } from '../../machines/play.js';

/**
 * Wraps a function as a play: an actor that takes a PlayInput and reports success or failure. A
 * play that throws is recorded as a failed play and the runbook moves on; a play that never settles
 * is stopped by its step's timeout. Plays run on the simulated clock: never wait on real time.
 */
export function definePlay(run: (input: PlayInput) => PlayOutput | Promise<PlayOutput>) {
  return fromPromise<PlayOutput, PlayInput>(async ({ input }) => run(input));
}

/** Rolls the live release back to the last good one: the first play for a bad deploy. */
export const rollback = definePlay(({ ops }) => {
  const done = ops.rollback();
  return done
    ? { ok: true, detail: `rolled back ${done.from} -> ${done.to}` }
    : { ok: false, detail: `no last good release to roll back to (live ${ops.release().live})` };
});

/** Rebuilds the retrieval index and restarts its updates: the play for a stale index. */
export const reindex = definePlay(({ ops }) => {
  const { builtAt } = ops.reindex();
  return { ok: true, detail: `rebuilt the retrieval index at minute ${builtAt}` };
});

/** The plays every shift knows; a scenario's runbooks may name these or plays plugged in by the user. */
export const stockPlays = { rollback, reindex } as const;
