import { assign, setup } from 'xstate';
import type { CanaryReport, CanaryThresholds, CanaryVerdict } from '../src/toolkit/canary.js';
import { judge } from '../src/toolkit/canary.js';

/**
 * The release lifecycle of one service:
 *
 *   live --DEPLOY--> canary -> promoted -> live   (the candidate becomes live)
 *                          \-> rejected -> live   (live unchanged)
 *   live --ROLLBACK--> live                        (live becomes the last good release)
 *
 * The canary verdict is a guard: the toolkit's judge reads the candidate's and the baseline's eval
 * scores carried by the DEPLOY event, against thresholds kept as data in the context.
 */

export interface ReleaseRecord {
  release: string;
  at: number;
  via: 'initial' | 'canary' | 'rollback';
}

export interface ReleaseInput {
  service: string;
  initial: string;
  thresholds: CanaryThresholds;
  now: () => number;
}

export interface ReleaseContext {
  service: string;
  live: string;
  /** Where a rollback lands: the newest release before live that has not been rolled back from. */
  lastGood: string | null;
  /** Releases rolled back from: never a rollback target again. */
  bad: string[];
  history: ReleaseRecord[];
  candidate: string | null;
  /** The eval scores the candidate is judged on (candidate vs baseline, with regression cases). */
  report: CanaryReport | null;
  verdict: CanaryVerdict | null;
  thresholds: CanaryThresholds;
  now: () => number;
}

export type ReleaseEvent = { type: 'DEPLOY'; candidate: string; report: CanaryReport } | { type: 'ROLLBACK' };

/** The newest release in the history, other than `live`, that is not known bad. */
export function lastGoodOf(
  history: readonly ReleaseRecord[],
  live: string,
  bad: readonly string[],
): string | null {
  for (let i = history.length - 1; i >= 0; i--) {
    const release = history[i]?.release;
    if (release !== undefined && release !== live && !bad.includes(release)) return release;
  }
  return null;
}

/** What starting a canary changes: the candidate and its evidence, no verdict yet. */
export function canaryStart(params: { candidate: string; report: CanaryReport }) {
  return { candidate: params.candidate, report: params.report, verdict: null };
}

/** The judge's verdict on the candidate's evidence, as the context keeps it. */
export function verdictOf(context: Pick<ReleaseContext, 'report' | 'thresholds'>): CanaryVerdict | null {
  return context.report ? judge(context.report, context.thresholds) : null;
}

/** What promoting the candidate changes: it goes live, and is good again if it was rolled back from. */
export function promotion(context: ReleaseContext) {
  const candidate = context.candidate ?? context.live;
  // A release rolled back from and since fixed has passed a canary again: it is good once more.
  const bad = context.bad.filter((release) => release !== candidate);
  const history = [...context.history, { release: candidate, at: context.now(), via: 'canary' as const }];
  return { live: candidate, bad, history, candidate: null, lastGood: lastGoodOf(history, candidate, bad) };
}

/** What a rollback changes: the last good release goes live, and live becomes known bad. */
export function rollback(context: ReleaseContext) {
  const target = context.lastGood ?? context.live;
  const bad = [...context.bad, context.live];
  const history = [...context.history, { release: target, at: context.now(), via: 'rollback' as const }];
  return { live: target, bad, history, lastGood: lastGoodOf(history, target, bad) };
}

export const releaseMachine = setup({
  types: {
    context: {} as ReleaseContext,
    events: {} as ReleaseEvent,
    input: {} as ReleaseInput,
  },
  guards: {
    canaryPasses: ({ context }) =>
      context.report !== null && judge(context.report, context.thresholds).verdict === 'promote',
    hasLastGood: ({ context }) => context.lastGood !== null,
  },
  actions: {
    startCanary: assign((_, params: { candidate: string; report: CanaryReport }) => canaryStart(params)),
    recordVerdict: assign(({ context }) => ({ verdict: verdictOf(context) })),
    promote: assign(({ context }) => promotion(context)),
    dropCandidate: assign({ candidate: null }),
    rollBack: assign(({ context }) => rollback(context)),
  },
}).createMachine({
  id: 'release',
  context: ({ input }) => {
    const history: ReleaseRecord[] = [{ release: input.initial, at: input.now(), via: 'initial' }];
    return {
      service: input.service,
      live: input.initial,
      lastGood: null,
      bad: [],
      history,
      candidate: null,
      report: null,
      verdict: null,
      thresholds: input.thresholds,
      now: input.now,
    };
  },
  initial: 'live',
  states: {
    live: {
      on: {
        DEPLOY: {
          target: 'canary',
          actions: { type: 'startCanary', params: ({ event }) => event },
        },
        ROLLBACK: { guard: 'hasLastGood', target: 'live', reenter: true, actions: 'rollBack' },
      },
    },
    canary: {
      always: [
        { guard: 'canaryPasses', target: 'promoted', actions: 'recordVerdict' },
        { target: 'rejected', actions: 'recordVerdict' },
      ],
    },
    promoted: { always: { target: 'live', actions: 'promote' } },
    rejected: { always: { target: 'live', actions: 'dropCandidate' } },
  },
});
