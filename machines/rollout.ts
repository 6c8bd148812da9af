import { assign, setup } from 'xstate';
import {
  type AnalysisRun,
  type Measurement,
  type MetricPhase,
  record,
  startRun,
  terminate,
} from '../src/toolkit/analysis.js';
import type { RolloutStep, RolloutStrategy } from '../src/toolkit/argo.js';
import type { CanaryReport, CanaryThresholds, CanaryVerdict } from '../src/toolkit/canary.js';
import { judge } from '../src/toolkit/canary.js';
import {
  canaryStart,
  promotion,
  type ReleaseContext,
  type ReleaseInput,
  rollback,
  verdictOf,
} from './release.js';

/**
 * The release lifecycle with a canary strategy, as Argo Rollouts runs one. A deploy of a release the
 * strategy covers walks the steps in order:
 *
 *   live --DEPLOY--> rollout.step --setWeight--> weighting --WEIGHT_SET--> step (next)
 *                                 --pause-----> paused (for a duration, or until PROMOTE) --> step (next)
 *                                 --analysis--> analysing --Successful--> step (next)
 *                                                         --Inconclusive--> inconclusive (a human: PROMOTE
 *                                                                           or ABORT; the timeout aborts)
 *                                                         --Failed/Error--> aborted
 *                                 --no step left--> promoted -> live (the candidate is live, as after a canary)
 *   aborted -> live (the canary's weight back to 0: stable serves everything; RETRY starts it again)
 *
 * Background analysis runs beside the steps from its starting step; its failure aborts from any step,
 * its inconclusive result waits for a human. `PROMOTE full` skips every remaining step; ABORT works
 * from any step. A setWeight the traffic router does not confirm within the progress deadline aborts
 * when progressDeadlineAbort is set, and otherwise marks the rollout degraded and keeps waiting.
 *
 * A deploy of a release the strategy does not cover is judged once on the eval set, exactly as the
 * plain release machine does it (live -> canary -> promoted | rejected -> live).
 */

export type RolloutPhase = 'Progressing' | 'Paused' | 'Degraded' | 'Healthy' | 'Aborted';

/** One decision of the rollout, with what it was decided on: the answer to "why?". */
export interface RolloutDecision {
  at: number;
  what: string;
  why: string;
  /** The analysis run's metrics as they stood (measurements with values and evidence). */
  evidence?: AnalysisRun;
}

export interface RolloutRecord {
  /** 1, 2, ...: rollouts of this service so far. */
  n: number;
  candidate: string;
  baseline: string;
  /** The incident whose fix it rolls out, or null for a plain deploy. */
  requestedBy: string | null;
  startedAt: number;
  /** Index of the step being carried out. */
  step: number;
  /** The canary's share of traffic (0-100) as the router last confirmed it. */
  weight: number;
  /** The weight asked of the router by the current setWeight step (null when none is pending). */
  desiredWeight: number | null;
  analysis: AnalysisRun | null;
  background: AnalysisRun | null;
  phase: RolloutPhase;
  /** Why it waits for a human, when it does, and since when. */
  waiting: string | null;
  waitingSince: number | null;
  endedAt: number | null;
  outcome: 'promoted' | 'aborted' | null;
  decisions: RolloutDecision[];
}

export interface RolloutInput extends ReleaseInput {
  strategy: RolloutStrategy;
}

export interface RolloutContext extends ReleaseContext {
  strategy: RolloutStrategy;
  rollout: RolloutRecord | null;
  /** Every rollout that ended, oldest first. */
  rollouts: RolloutRecord[];
}

export interface MetricMeasurement {
  metric: string;
  measurement: Measurement;
}

export type RolloutEvent =
  /** `by`: the incident whose fix this is, when one is. */
  | { type: 'DEPLOY'; candidate: string; report: CanaryReport; by?: string }
  | { type: 'ROLLBACK' }
  | { type: 'WEIGHT_SET'; weight: number }
  /** The measurements taken at one time, one per metric due: judged together, as Argo's are. */
  | { type: 'MEASURED'; run: 'step' | 'background'; measurements: MetricMeasurement[] }
  | { type: 'PROMOTE'; full: boolean; by: string }
  | { type: 'ABORT'; by: string; why: string }
  | { type: 'RETRY'; by: string };

const stepAt = (context: RolloutContext): RolloutStep | undefined =>
  context.rollout ? context.strategy.steps[context.rollout.step] : undefined;

const covers = (strategy: RolloutStrategy, candidate: string) =>
  strategy.releases === null || strategy.releases.includes(candidate);

type Patch = Partial<RolloutRecord>;

/** The rollout with `patch` applied and a decision noted (when `what` is given). */
function update(
  context: RolloutContext,
  patch: Patch,
  decision?: Omit<RolloutDecision, 'at'>,
): RolloutRecord {
  const rollout = context.rollout as RolloutRecord;
  const decisions = decision ? [...rollout.decisions, { at: context.now(), ...decision }] : rollout.decisions;
  return { ...rollout, ...patch, decisions };
}

const phaseIs = (run: AnalysisRun | null, ...phases: MetricPhase[]) =>
  run !== null && phases.includes(run.phase);

/** Each metric's phase, its measurements' phases in order, and the last one's message. */
const summary = (run: AnalysisRun): string =>
  run.metrics
    .map((m) => {
      const last = m.measurements.at(-1);
      const phases = m.measurements.map((x) => x.phase).join(', ');
      return `${m.name} ${m.phase} [${phases || 'no measurement'}]${last ? `: ${last.message}` : ''}`;
    })
    .join('; ');

export const rolloutMachine = setup({
  types: {
    context: {} as RolloutContext,
    events: {} as RolloutEvent,
    input: {} as RolloutInput,
  },
  delays: {
    pauseDuration: ({ context }) => {
      const step = stepAt(context);
      return step && 'pause' in step ? (step.pause.minutes ?? 0) : 0;
    },
    progressDeadline: ({ context }) => context.strategy.progressDeadline,
    inconclusiveTimeout: ({ context }) => context.strategy.inconclusiveTimeout,
  },
  guards: {
    covered: ({ context, event }) => event.type === 'DEPLOY' && covers(context.strategy, event.candidate),
    canaryPasses: ({ context }) =>
      context.report !== null && judge(context.report, context.thresholds).verdict === 'promote',
    hasLastGood: ({ context }) => context.lastGood !== null,
    canRetry: ({ context }) => {
      const last = context.rollouts.at(-1);
      return last?.outcome === 'aborted' && last.candidate !== context.live;
    },
    stepsDone: ({ context }) => stepAt(context) === undefined,
    atSetWeight: ({ context }) => {
      const step = stepAt(context);
      return step !== undefined && 'setWeight' in step;
    },
    atTimedPause: ({ context }) => {
      const step = stepAt(context);
      return step !== undefined && 'pause' in step && step.pause.minutes !== null;
    },
    atOpenPause: ({ context }) => {
      const step = stepAt(context);
      return step !== undefined && 'pause' in step && step.pause.minutes === null;
    },
    fullPromote: ({ event }) => event.type === 'PROMOTE' && event.full,
    weightConfirmed: ({ context, event }) =>
      event.type === 'WEIGHT_SET' && event.weight === context.rollout?.desiredWeight,
    deadlineAborts: ({ context }) => context.strategy.progressDeadlineAbort,
    stepAnalysisFailed: ({ context }) => phaseIs(context.rollout?.analysis ?? null, 'Failed', 'Error'),
    stepAnalysisInconclusive: ({ context }) => phaseIs(context.rollout?.analysis ?? null, 'Inconclusive'),
    stepAnalysisSucceeded: ({ context }) => phaseIs(context.rollout?.analysis ?? null, 'Successful'),
    backgroundFailed: ({ context }) => phaseIs(context.rollout?.background ?? null, 'Failed', 'Error'),
    backgroundInconclusive: ({ context }) =>
      phaseIs(context.rollout?.background ?? null, 'Inconclusive') && context.rollout?.waiting === null,
  },
  actions: {
    startCanary: assign((_, params: { candidate: string; report: CanaryReport }) => canaryStart(params)),
    recordVerdict: assign(({ context }) => ({ verdict: verdictOf(context) })),
    promote: assign(({ context }) => promotion(context)),
    dropCandidate: assign({ candidate: null }),
    rollBack: assign(({ context }) => rollback(context)),
    beginRollout: assign(({ context }, params: { candidate: string; report: CanaryReport; by?: string }) => ({
      candidate: params.candidate,
      report: params.report,
      verdict: null,
      rollout: {
        n: context.rollouts.length + 1,
        candidate: params.candidate,
        baseline: context.live,
        requestedBy: params.by ?? null,
        startedAt: context.now(),
        step: 0,
        weight: 0,
        desiredWeight: null,
        analysis: null,
        background: null,
        phase: 'Progressing' as const,
        waiting: null,
        waitingSince: null,
        endedAt: null,
        outcome: null,
        decisions: [
          { at: context.now(), what: 'started', why: `deploy of ${params.candidate} over ${context.live}` },
        ],
      },
    })),
    retryRollout: assign(({ context }, params: { by: string }) => {
      const last = context.rollouts.at(-1) as RolloutRecord;
      return {
        candidate: last.candidate,
        verdict: null,
        rollout: {
          ...last,
          n: context.rollouts.length + 1,
          baseline: context.live,
          startedAt: context.now(),
          step: 0,
          weight: 0,
          desiredWeight: null,
          analysis: null,
          background: null,
          phase: 'Progressing' as const,
          waiting: null,
          waitingSince: null,
          endedAt: null,
          outcome: null,
          decisions: [{ at: context.now(), what: 'retried', why: `${params.by} retried ${last.candidate}` }],
        },
      };
    }),
    nextStep: assign(({ context }) => {
      const rollout = context.rollout as RolloutRecord;
      const step = rollout.step + 1;
      const background = context.strategy.background;
      // Background analysis starts when the rollout reaches its starting step.
      const startBackground =
        background !== null && rollout.background === null && step >= background.startingStep;
      return {
        rollout: update(context, {
          step,
          analysis: null,
          waiting: null,
          waitingSince: null,
          phase: 'Progressing',
          background: startBackground
            ? startRun('background', background, context.strategy.templates, context.now())
            : rollout.background,
        }),
      };
    }),
    startBackgroundAtZero: assign(({ context }) => {
      const background = context.strategy.background;
      if (!background || background.startingStep > 0 || !context.rollout) return {};
      return {
        rollout: update(context, {
          background: startRun('background', background, context.strategy.templates, context.now()),
        }),
      };
    }),
    askWeight: assign(({ context }) => {
      const step = stepAt(context) as { setWeight: number };
      return { rollout: update(context, { desiredWeight: step.setWeight }) };
    }),
    confirmWeight: assign(({ context }, params: { weight: number }) => ({
      rollout: update(
        context,
        { weight: params.weight, desiredWeight: null, phase: 'Progressing' },
        {
          what: `weight ${params.weight}%`,
          why: `step ${(context.rollout as RolloutRecord).step + 1}: setWeight ${params.weight}`,
        },
      ),
    })),
    markDegraded: assign(({ context }) => ({
      rollout: update(
        context,
        { phase: 'Degraded' },
        {
          what: 'degraded',
          why: `the router did not confirm weight ${context.rollout?.desiredWeight}% within the progress deadline (${context.strategy.progressDeadline} min); progressDeadlineAbort is off`,
        },
      ),
    })),
    pause: assign(({ context }) => {
      const step = stepAt(context) as { pause: { minutes: number | null } };
      const open = step.pause.minutes === null;
      return {
        rollout: update(context, {
          phase: 'Paused',
          waiting: open ? 'paused until promoted' : null,
          waitingSince: open ? context.now() : null,
        }),
      };
    }),
    startStepAnalysis: assign(({ context }) => {
      const rollout = context.rollout as RolloutRecord;
      const step = stepAt(context) as { analysis: Parameters<typeof startRun>[1] };
      return {
        rollout: update(context, {
          analysis: startRun(
            `step ${rollout.step + 1}`,
            step.analysis,
            context.strategy.templates,
            context.now(),
          ),
        }),
      };
    }),
    measure: assign(
      ({ context }, params: { run: 'step' | 'background'; measurements: MetricMeasurement[] }) => {
        const rollout = context.rollout as RolloutRecord;
        const key = params.run === 'step' ? 'analysis' : 'background';
        const run = rollout[key];
        if (!run) return {};
        const next = params.measurements.reduce((r, m) => record(r, m.metric, m.measurement), run);
        return { rollout: update(context, { [key]: next }) };
      },
    ),
    noteAnalysis: assign(({ context }, params: { run: 'analysis' | 'background'; what: string }) => {
      const run = (context.rollout as RolloutRecord)[params.run] as AnalysisRun;
      return {
        rollout: update(
          context,
          {},
          { what: params.what, why: `${run.name} analysis ${run.phase}: ${summary(run)}`, evidence: run },
        ),
      };
    }),
    waitForHuman: assign(({ context }, params: { why: string }) => ({
      rollout: update(context, { phase: 'Paused', waiting: params.why, waitingSince: context.now() }),
    })),
    humanPromoted: assign(({ context }, params: { by: string; full: boolean }) => {
      const { background } = context.rollout as RolloutRecord;
      // Promoted past an inconclusive background run: it measures afresh from here.
      const restart = background?.phase === 'Inconclusive' && context.strategy.background;
      return {
        rollout: update(
          context,
          {
            waiting: null,
            waitingSince: null,
            background: restart
              ? startRun('background', restart, context.strategy.templates, context.now())
              : background,
          },
          { what: params.full ? 'promoted in full' : 'promoted', why: `${params.by} promoted` },
        ),
      };
    }),
    noteAbort: assign(({ context }, params: { why: string }) => ({
      rollout: update(context, {}, { what: 'aborted', why: params.why }),
    })),
    endRollout: assign(({ context }, params: { outcome: 'promoted' | 'aborted' }) => {
      const rollout = context.rollout as RolloutRecord;
      const background = rollout.background ? terminate(rollout.background) : null;
      const ended = update(context, {
        outcome: params.outcome,
        endedAt: context.now(),
        weight: params.outcome === 'promoted' ? 100 : 0,
        desiredWeight: null,
        waiting: null,
        waitingSince: null,
        background,
        phase: params.outcome === 'promoted' ? 'Healthy' : 'Aborted',
      });
      if (params.outcome === 'promoted') {
        const steps = `${Math.min(rollout.step, context.strategy.steps.length)} of ${context.strategy.steps.length} steps`;
        ended.decisions.push({
          at: context.now(),
          what: 'promoted',
          why: `${steps} done: ${rollout.candidate} is live`,
        });
      }
      const last = ended.decisions.at(-1);
      const verdict: CanaryVerdict = {
        verdict: params.outcome === 'promoted' ? 'promote' : 'reject',
        checks: [],
        reasons: params.outcome === 'promoted' ? [] : [last?.why ?? 'aborted'],
      };
      return { rollout: null, rollouts: [...context.rollouts, ended], verdict };
    }),
  },
}).createMachine({
  id: 'release',
  context: ({ input }) => ({
    service: input.service,
    live: input.initial,
    lastGood: null,
    bad: [],
    history: [{ release: input.initial, at: input.now(), via: 'initial' }],
    candidate: null,
    report: null,
    verdict: null,
    thresholds: input.thresholds,
    now: input.now,
    strategy: input.strategy,
    rollout: null,
    rollouts: [],
  }),
  initial: 'live',
  states: {
    live: {
      on: {
        DEPLOY: [
          {
            guard: 'covered',
            target: 'rollout',
            actions: [{ type: 'beginRollout', params: ({ event }) => event }, 'startBackgroundAtZero'],
          },
          { target: 'canary', actions: { type: 'startCanary', params: ({ event }) => event } },
        ],
        ROLLBACK: { guard: 'hasLastGood', target: 'live', reenter: true, actions: 'rollBack' },
        RETRY: {
          guard: 'canRetry',
          target: 'rollout',
          actions: [{ type: 'retryRollout', params: ({ event }) => event }, 'startBackgroundAtZero'],
        },
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
    rollout: {
      initial: 'step',
      always: [
        {
          guard: 'backgroundFailed',
          target: 'aborted',
          actions: { type: 'noteAnalysis', params: { run: 'background', what: 'aborted' } },
        },
      ],
      on: {
        MEASURED: { actions: { type: 'measure', params: ({ event }) => event } },
        PROMOTE: {
          guard: 'fullPromote',
          target: 'promoted',
          actions: [
            { type: 'humanPromoted', params: ({ event }) => event },
            { type: 'endRollout', params: { outcome: 'promoted' } },
          ],
        },
        ABORT: {
          target: 'aborted',
          actions: {
            type: 'noteAbort',
            params: ({ event }) => ({ why: `${event.by} aborted: ${event.why}` }),
          },
        },
      },
      states: {
        step: {
          always: [
            {
              guard: 'stepsDone',
              target: '#release.promoted',
              actions: { type: 'endRollout', params: { outcome: 'promoted' } },
            },
            { guard: 'atSetWeight', target: 'weighting' },
            { guard: 'atTimedPause', target: 'paused' },
            { guard: 'atOpenPause', target: 'pausedUntilPromoted' },
            { target: 'analysing' },
          ],
        },
        weighting: {
          entry: 'askWeight',
          on: {
            WEIGHT_SET: {
              guard: 'weightConfirmed',
              target: 'step',
              actions: [{ type: 'confirmWeight', params: ({ event }) => event }, 'nextStep'],
            },
          },
          after: {
            progressDeadline: [
              {
                guard: 'deadlineAborts',
                target: '#release.aborted',
                actions: {
                  type: 'noteAbort',
                  params: ({ context }) => ({
                    why: `the router did not confirm weight ${context.rollout?.desiredWeight}% within the progress deadline (${context.strategy.progressDeadline} min)`,
                  }),
                },
              },
              { actions: 'markDegraded' },
            ],
          },
        },
        paused: {
          entry: 'pause',
          always: { guard: 'backgroundInconclusive', target: 'inconclusive' },
          after: { pauseDuration: { target: 'step', actions: 'nextStep' } },
          on: {
            PROMOTE: {
              target: 'step',
              actions: [{ type: 'humanPromoted', params: ({ event }) => event }, 'nextStep'],
            },
          },
        },
        pausedUntilPromoted: {
          entry: 'pause',
          always: { guard: 'backgroundInconclusive', target: 'inconclusive' },
          on: {
            PROMOTE: {
              target: 'step',
              actions: [{ type: 'humanPromoted', params: ({ event }) => event }, 'nextStep'],
            },
          },
        },
        analysing: {
          entry: 'startStepAnalysis',
          always: [
            {
              guard: 'stepAnalysisFailed',
              target: '#release.aborted',
              actions: { type: 'noteAnalysis', params: { run: 'analysis', what: 'aborted' } },
            },
            {
              guard: 'stepAnalysisInconclusive',
              target: 'inconclusive',
              actions: { type: 'noteAnalysis', params: { run: 'analysis', what: 'inconclusive' } },
            },
            {
              guard: 'stepAnalysisSucceeded',
              target: 'step',
              actions: [{ type: 'noteAnalysis', params: { run: 'analysis', what: 'passed' } }, 'nextStep'],
            },
            { guard: 'backgroundInconclusive', target: 'inconclusive' },
          ],
        },
        inconclusive: {
          entry: {
            type: 'waitForHuman',
            params: { why: 'analysis inconclusive: promote or abort' },
          },
          on: {
            PROMOTE: {
              target: 'step',
              actions: [{ type: 'humanPromoted', params: ({ event }) => event }, 'nextStep'],
            },
          },
          after: {
            inconclusiveTimeout: {
              target: '#release.aborted',
              actions: {
                type: 'noteAbort',
                params: ({ context }) => ({
                  why: `nobody promoted or aborted within ${context.strategy.inconclusiveTimeout} min of an inconclusive analysis`,
                }),
              },
            },
          },
        },
      },
    },
    aborted: {
      always: {
        target: 'live',
        actions: [{ type: 'endRollout', params: { outcome: 'aborted' } }, 'dropCandidate'],
      },
    },
  },
});

export type RolloutMachine = typeof rolloutMachine;
