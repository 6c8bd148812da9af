import { type ActorLogic, and, assign, enqueueActions, fromPromise, setup, stopChild } from 'xstate';
import {
  references,
  render,
  renderText,
  strings,
  TemplateError,
  type TemplateScope,
} from '../src/toolkit/template.js';
import type { Severity } from '../src/toolkit/triage.js';
import { isPlayOutput, misreport, type PlayRecord, thrown } from './incident.js';
import type { PlayInput, PlayOps, PlayOutput, RunbookStep } from './play.js';
import {
  type ApproveStepSpec,
  type Condition,
  type FlowStep,
  nextOf,
  type ParallelStepSpec,
  type PlayStepSpec,
  type RunbookSpec,
  type Target,
} from './runbook-spec.js';

/**
 * A runbook compiled to a statechart of its own. Each step is a compound state read top to bottom:
 *
 *   check   the step's `when:` (skip to its next when it does not hold), a pause held here
 *   run     the play (or the fan-out's items) running under idempotency keys; its timeout
 *   waiting an approval gate: approvers answer, or its timeout exit is taken
 *   failed  retries (after their backoff), then the step's onFailure
 *
 * and the runbook ends in `settle` (the SLI must come back within the settle window), then `resolved`,
 * or in `escalated` / `aborted`. The incident machine spawns it in its mitigate stage and reads its
 * output. Operators send APPROVE, REJECT, PAUSE, RESUME, SKIP, ABORT and RETRY_FROM. Pure: the clock
 * and the outbox come in through `ops`, plays are named by the runbook and provided by the runtime.
 */

export interface RunbookOps {
  now(): number;
  /** Hands a message to the outbox; the runbook does not wait for it. */
  notify(message: { incident: string; step: string; run: number; channel: string; text: string }): void;
}

export interface RunbookInput {
  incident: {
    id: string;
    service: string;
    type: string;
    severity: Severity | null;
    labels: Record<string, string>;
  };
  objective: number;
  settleMinutes: number;
  /** Minutes from 1970 to minute 0 of the clock: the `hours:` condition reads the UTC hour from it. */
  epochMinute: number;
  sli: number | null;
  ops: RunbookOps;
  /** The plays' view of the world (reads only; plays act through the runtime's own ops). */
  playOps: PlayOps;
}

/** One try of one play of the runbook; a fan-out's item has its own. */
export interface FlowPlayRecord extends PlayRecord {
  name: string;
  key: string;
}

export interface Answer {
  step: string;
  by: string;
  answer: 'approve' | 'reject';
  at: number;
}

export interface Operation {
  command: OperatorCommand;
  by: string;
  at: number;
  step?: string;
}

export type OperatorCommand = 'approve' | 'reject' | 'pause' | 'resume' | 'skip' | 'abort' | 'retry';

export interface RunbookContext {
  input: RunbookInput;
  sli: number | null;
  run: number;
  /** Plays started so far per step: the attempt in their keys, never reused. */
  tries: Record<string, number>;
  failure: { kind: 'failure' | 'timeout'; detail: string } | null;
  plays: FlowPlayRecord[];
  outputs: Record<string, Record<string, string>>;
  answers: Answer[];
  /** The step the runbook waits in (for an approver, an operator, a retry, the SLI) and since when. */
  waiting: { step: string; since: number; for: 'approval' | 'operator' | 'retry' | 'sli' } | null;
  paused: boolean;
  fanout: { step: string; next: number; running: number; done: number; failed: number } | null;
  operations: Operation[];
  end: { outcome: RunbookOutcome; why: string } | null;
}

export type RunbookOutcome = 'resolved' | 'escalated' | 'aborted';

export interface RunbookOutput {
  outcome: RunbookOutcome;
  why: string;
  sli: number | null;
  plays: FlowPlayRecord[];
  outputs: Record<string, Record<string, string>>;
}

export type RunbookEvent =
  | { type: 'SLI_SAMPLE'; sli: number }
  | { type: 'APPROVE'; step: string; by: string }
  | { type: 'REJECT'; step: string; by: string }
  | { type: 'PAUSE'; by: string }
  | { type: 'RESUME'; by: string }
  | { type: 'SKIP'; step: string; by: string }
  | { type: 'ABORT'; by: string }
  | { type: 'RETRY_FROM'; step: string; by: string }
  | { type: `xstate.done.actor.${string}`; output: unknown; actorId: string }
  | { type: `xstate.error.actor.${string}`; error: unknown; actorId: string };

const playChild = (step: string) => `play:${step}`;
const itemChild = (step: string, index: number) => `item:${step}:${index}`;
const ROOT = '#runbook';

/** The UTC hour at a minute of the clock. */
const hourAt = (input: RunbookInput, minute: number) => Math.floor((input.epochMinute + minute) / 60) % 24;

/** Whether a step's condition holds now. */
export function holds(when: Condition | undefined, context: RunbookContext, now: number): boolean {
  if (!when) return true;
  const { sli, input } = context;
  if (when.sli?.below !== undefined && !(sli !== null && sli < when.sli.below)) return false;
  if (when.sli?.atLeast !== undefined && !(sli !== null && sli >= when.sli.atLeast)) return false;
  if (when.severity && !(input.incident.severity && when.severity.includes(input.incident.severity)))
    return false;
  for (const [label, value] of Object.entries(when.labels ?? {}))
    if (input.incident.labels[label] !== value) return false;
  if (when.attempt?.atMost !== undefined && context.run > when.attempt.atMost) return false;
  if (when.attempt?.atLeast !== undefined && context.run < when.attempt.atLeast) return false;
  if (when.hours) {
    const hour = hourAt(input, now);
    const { from, to } = when.hours;
    const inside = from <= to ? hour >= from && hour < to : hour >= from || hour < to;
    if (!inside) return false;
  }
  if (when.output) {
    const value = context.outputs[when.output.step]?.[when.output.key];
    if (when.output.equals !== undefined && value !== when.output.equals) return false;
    if (when.output.notEquals !== undefined && value === when.output.notEquals) return false;
    if (when.output.equals === undefined && when.output.notEquals === undefined && value === undefined)
      return false;
  }
  return true;
}

const scopeOf = (context: RunbookContext, item?: string): TemplateScope => ({
  steps: context.outputs,
  item,
  incident: context.input.incident,
});

/** A play's outputs as the journal keeps them: scalar values, as text. */
export function outputsOf(output: unknown): Record<string, string> {
  const outputs = (output as { outputs?: unknown } | null)?.outputs;
  if (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) return {};
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(outputs))
    if (['string', 'number', 'boolean'].includes(typeof value)) kept[key] = String(value);
  return kept;
}

/** The retry delay after `tries` tries: `delay`, times `factor` for each earlier retry, at most `cap`. */
export function retryDelay(step: PlayStepSpec, tries: number): number {
  if (!step.backoff) return step.delay;
  return Math.min(step.backoff.cap, step.delay * step.backoff.factor ** Math.max(0, tries - 1));
}

/** The runbook's plays and the actor logic each is provided as. */
// biome-ignore lint/suspicious/noExplicitAny: any play logic, as in machines/incident.ts
type AnyPlay = ActorLogic<any, any, PlayInput, any, any>;

export function compileRunbook(spec: RunbookSpec) {
  const byName = new Map(spec.steps.map((step, index) => [step.name, { step, index }]));
  const stepOf = (name: string) => byName.get(name) as { step: FlowStep; index: number };
  const now = (context: RunbookContext) => context.input.ops.now();

  /** A transition to a target: a step's state, or an end (with why it ended there). */
  /**
   * A transition to a target: a step's state, or an end (with why it ended there). Built from data,
   * so its actions are typed loosely (`never[]` fits any transition's actions).
   */
  const go = (
    target: Target,
    why: (context: RunbookContext) => string,
    extra: object[] = [],
  ): { target: string; actions: never[] } => {
    if (target === 'resolve') return { target: `${ROOT}.settle`, actions: extra as never[] };
    if (target === 'escalate' || target === 'abort') {
      const outcome: RunbookOutcome = target === 'escalate' ? 'escalated' : 'aborted';
      const end = {
        type: 'recordEnd',
        params: ({ context }: { context: RunbookContext }) => ({ outcome, why: why(context) }),
      };
      return { target: `${ROOT}.${outcome}`, actions: [...extra, end] as never[] };
    }
    return { target: `${ROOT}.${target}`, actions: extra as never[] };
  };
  const failedWhy = (name: string, says: string) => (context: RunbookContext) =>
    `${name} failed (${context.failure?.detail ?? ''}) and its step says ${says}`;

  const playInput = (
    context: RunbookContext,
    step: PlayStepSpec | ParallelStepSpec,
    attempt: number,
    key: string,
    item?: string,
  ): PlayInput => {
    const settings = render(step.with, scopeOf(context, item)) as Record<string, unknown>;
    const asStep: RunbookStep = {
      play: step.play,
      timeout: step.timeout,
      retries: 0,
      onFailure: 'next',
      with: settings,
    };
    return {
      incident: {
        id: context.input.incident.id,
        service: context.input.incident.service,
        type: context.input.incident.type,
      },
      step: asStep,
      attempt,
      key,
      ...(item === undefined ? {} : { item }),
      ops: context.input.playOps,
    };
  };
  const record = (
    context: RunbookContext,
    step: FlowStep,
    attempt: number,
    key: string,
    item?: string,
  ): FlowPlayRecord => ({
    step: stepOf(step.name).index,
    name: step.name,
    play: (step as PlayStepSpec).play,
    attempt,
    key,
    ...(item === undefined ? {} : { item }),
    startedAt: now(context),
    outcome: 'running',
    detail: '',
    sliBefore: context.sli,
    sliAfter: null,
  });
  /** The record of a play with this key, settled. */
  const settle = (context: RunbookContext, key: string, outcome: PlayRecord['outcome'], detail: string) => {
    // The record is near the end (the play started last, or one of a fan-out's few running items).
    let i = context.plays.length - 1;
    while (i >= 0 && !(context.plays[i]?.key === key && context.plays[i]?.outcome === 'running')) i--;
    if (i < 0) return context.plays;
    const plays = context.plays.slice();
    plays[i] = { ...(plays[i] as FlowPlayRecord), outcome, detail };
    return plays;
  };
  const reportOf = (output: unknown): { ok: boolean; detail: string } =>
    isPlayOutput(output)
      ? { ok: output.ok, detail: output.detail ?? '' }
      : { ok: false, detail: misreport(output) };

  const delays: Record<string, (args: { context: RunbookContext }) => number> = {
    settleWindow: ({ context }) => context.input.settleMinutes,
  };
  for (const step of spec.steps) {
    if (step.kind === 'play' || step.kind === 'approve' || step.kind === 'parallel')
      delays[`timeout:${step.name}`] = () => step.timeout;
    if (step.kind === 'play')
      delays[`retry:${step.name}`] = ({ context }) => retryDelay(step, context.tries[step.name] ?? 0);
  }

  const machine = setup({
    types: {
      context: {} as RunbookContext,
      events: {} as RunbookEvent,
      input: {} as RunbookInput,
      output: {} as RunbookOutput,
    },
    actors: {
      // Plays are named by the runbook (data) and provided by the runtime under their names.
      play: fromPromise<PlayOutput, PlayInput>(async () => {
        throw new Error('plays are provided by the runtime');
      }),
    },
    delays,
    guards: {
      paused: ({ context }) => context.paused,
      whenFails: ({ context }, params: { step: string }) =>
        !holds(stepOf(params.step).step.when, context, now(context)),
      templateFails: ({ context }, params: { step: string }) => {
        const step = stepOf(params.step).step as PlayStepSpec | ParallelStepSpec;
        try {
          for (const item of step.kind === 'parallel' ? step.items : [undefined])
            render(step.with, scopeOf(context, item));
          return false;
        } catch (error) {
          if (error instanceof TemplateError) return true;
          throw error;
        }
      },
      playSucceeded: (_, params: { output: unknown }) => reportOf(params.output).ok,
      canRetry: ({ context }, params: { step: string }) => {
        const step = stepOf(params.step).step as PlayStepSpec;
        return (
          context.failure !== null &&
          step.retryOn.includes(context.failure.kind) &&
          (context.tries[step.name] ?? 0) <= step.retries
        );
      },
      names: ({ event }, params: { step: string }) => (event as { step?: string }).step === params.step,
      mayAnswer: ({ context, event }, params: { step: string }) => {
        const { step, by } = event as { step: string; by: string };
        const gate = stepOf(params.step).step as ApproveStepSpec;
        return (
          step === params.step &&
          gate.approvers.includes(by) &&
          !context.answers.some(
            (a) => a.step === step && a.by === by && a.at >= (context.waiting?.since ?? 0),
          )
        );
      },
      approvalComplete: ({ context, event }, params: { step: string }) => {
        const gate = stepOf(params.step).step as ApproveStepSpec;
        const since = context.waiting?.since ?? 0;
        const given = context.answers.filter(
          (a) => a.step === gate.name && a.answer === 'approve' && a.at >= since,
        ).length;
        return (event as { step?: string }).step === params.step && given + 1 >= gate.count;
      },
      isItem: ({ event }, params: { step: string }) =>
        ((event as { actorId?: string }).actorId ?? '').startsWith(`item:${params.step}:`),
      fanoutFails: ({ context, event }, params: { step: string }) => {
        const step = stepOf(params.step).step as ParallelStepSpec;
        const failed = (context.fanout?.failed ?? 0) + (itemOk(event) ? 0 : 1);
        return failed > step.maxFailures;
      },
      fanoutDone: ({ context }, params: { step: string }) => {
        const step = stepOf(params.step).step as ParallelStepSpec;
        const fanout = context.fanout;
        return fanout !== null && fanout.done + fanout.failed + 1 >= step.items.length;
      },
      atObjective: ({ context, event }) => (event as { sli: number }).sli >= context.input.objective,
    },
    actions: {
      recordSample: assign(({ event }) => ({ sli: (event as { sli: number }).sli })),
      pause: assign(({ context, event }) => ({
        paused: true,
        operations: [...context.operations, operation(context, 'pause', event)],
      })),
      resume: assign(({ context, event }) => ({
        paused: false,
        operations: [...context.operations, operation(context, 'resume', event)],
      })),
      recordOperation: assign(({ context, event }, params: { command: OperatorCommand }) => ({
        operations: [...context.operations, operation(context, params.command, event)],
      })),
      retryFrom: assign(({ context, event }) => ({
        run: context.run + 1,
        failure: null,
        operations: [...context.operations, operation(context, 'retry', event)],
      })),
      waitFor: assign(
        ({ context }, params: { step: string; for: NonNullable<RunbookContext['waiting']>['for'] }) => ({
          waiting: { step: params.step, since: now(context), for: params.for },
        }),
      ),
      stopWaiting: assign({ waiting: null }),
      startPlay: enqueueActions(({ context, enqueue }, params: { step: string }) => {
        const { step, index } = stepOf(params.step);
        const play = step as PlayStepSpec;
        const attempt = (context.tries[play.name] ?? 0) + 1;
        const key = `${context.input.incident.id}/${index + 1}/${attempt}`;
        enqueue.assign({
          tries: { ...context.tries, [play.name]: attempt },
          failure: null,
          plays: [...context.plays, record(context, play, attempt, key)],
        });
        enqueue.spawnChild(play.play as 'play', {
          id: playChild(play.name),
          input: playInput(context, play, attempt, key),
          syncSnapshot: false,
        });
      }),
      stopPlay: stopChild(({ event: _ }, params: { step: string }) => playChild(params.step)),
      recordReport: assign(({ context }, params: { step: string; output: unknown }) => {
        const { ok, detail } = reportOf(params.output);
        const key = context.plays.findLast((p) => p.name === params.step)?.key ?? '';
        return {
          plays: settle(context, key, ok ? 'success' : 'failure', detail),
          failure: ok ? null : { kind: 'failure' as const, detail },
          outputs: ok ? { ...context.outputs, [params.step]: outputsOf(params.output) } : context.outputs,
        };
      }),
      recordError: assign(({ context }, params: { step: string; error: unknown }) => {
        const detail = `the play threw: ${thrown(params.error)}`;
        const key = context.plays.findLast((p) => p.name === params.step)?.key ?? '';
        return {
          plays: settle(context, key, 'failure', detail),
          failure: { kind: 'failure' as const, detail },
        };
      }),
      recordTimeout: assign(({ context }, params: { step: string }) => {
        const step = stepOf(params.step).step as PlayStepSpec | ParallelStepSpec;
        const detail = `no report within ${step.timeout} min`;
        const running = context.plays.filter((p) => p.name === params.step && p.outcome === 'running');
        let plays = context.plays;
        for (const p of running) plays = settle({ ...context, plays }, p.key, 'timeout', detail);
        return { plays, failure: { kind: 'timeout' as const, detail } };
      }),
      recordTemplateFailure: assign(({ context }, params: { step: string }) => {
        const step = stepOf(params.step).step as PlayStepSpec | ParallelStepSpec;
        let detail = '';
        try {
          for (const item of step.kind === 'parallel' ? step.items : [undefined])
            render(step.with, scopeOf(context, item));
        } catch (error) {
          detail = (error as Error).message;
        }
        return { failure: { kind: 'failure' as const, detail } };
      }),
      startFanout: enqueueActions(({ context, enqueue }, params: { step: string }) => {
        const { step, index } = stepOf(params.step);
        const fan = step as ParallelStepSpec;
        const attempt = (context.tries[fan.name] ?? 0) + 1;
        const first = Math.min(fan.concurrency, fan.items.length);
        const records: FlowPlayRecord[] = [];
        for (let i = 0; i < first; i++) {
          const item = fan.items[i] as string;
          const key = `${context.input.incident.id}/${index + 1}/${attempt}/${item}`;
          records.push(record(context, fan, attempt, key, item));
          enqueue.spawnChild(fan.play as 'play', {
            id: itemChild(fan.name, i),
            input: playInput(context, fan, attempt, key, item),
            syncSnapshot: false,
          });
        }
        enqueue.assign({
          tries: { ...context.tries, [fan.name]: attempt },
          failure: null,
          plays: [...context.plays, ...records],
          fanout: { step: fan.name, next: first, running: first, done: 0, failed: 0 },
        });
      }),
      stopFanout: enqueueActions(({ enqueue }, params: { step: string }) => {
        const fan = stepOf(params.step).step as ParallelStepSpec;
        fan.items.forEach((_, i) => {
          enqueue.stopChild(itemChild(fan.name, i));
        });
      }),
      itemReported: enqueueActions(
        ({ context, event, enqueue }, params: { step: string; spawn: boolean }) => {
          const { step, index } = stepOf(params.step);
          const fan = step as ParallelStepSpec;
          const fanout = context.fanout as NonNullable<RunbookContext['fanout']>;
          const i = Number(((event as { actorId: string }).actorId ?? '').split(':').pop());
          const item = fan.items[i] as string;
          const attempt = context.tries[fan.name] ?? 1;
          const key = `${context.input.incident.id}/${index + 1}/${attempt}/${item}`;
          const ok = itemOk(event);
          const detail =
            'output' in event
              ? reportOf(event.output).detail
              : `the play threw: ${thrown((event as { error: unknown }).error)}`;
          let plays = settle(context, key, ok ? 'success' : 'failure', detail);
          const failed = fanout.failed + (ok ? 0 : 1);
          let { next, running } = fanout;
          running--;
          if (params.spawn && next < fan.items.length) {
            const nextItem = fan.items[next] as string;
            const nextKey = `${context.input.incident.id}/${index + 1}/${attempt}/${nextItem}`;
            plays = [...plays, record(context, fan, attempt, nextKey, nextItem)];
            enqueue.spawnChild(fan.play as 'play', {
              id: itemChild(fan.name, next),
              input: playInput(context, fan, attempt, nextKey, nextItem),
              syncSnapshot: false,
            });
            next++;
            running++;
          }
          const outputs =
            ok && 'output' in event
              ? { ...context.outputs, [`${fan.name}:${item}`]: outputsOf(event.output) }
              : context.outputs;
          enqueue.assign({
            plays,
            outputs,
            fanout: { step: fan.name, next, running, done: fanout.done + (ok ? 1 : 0), failed },
            failure:
              failed > fan.maxFailures
                ? {
                    kind: 'failure',
                    detail: `${failed} of ${fan.items.length} items failed (at most ${fan.maxFailures} may)`,
                  }
                : context.failure,
          });
        },
      ),
      notify: enqueueActions(({ context }, params: { step: string }) => {
        const step = stepOf(params.step).step as Extract<FlowStep, { kind: 'notify' }>;
        let text: string;
        try {
          text = renderText(step.message, scopeOf(context));
        } catch (error) {
          text = `${step.message} (${(error as Error).message})`;
        }
        context.input.ops.notify({
          incident: context.input.incident.id,
          step: step.name,
          run: context.run,
          channel: step.channel,
          text,
        });
      }),
      recordAnswer: assign(({ context, event }, params: { answer: Answer['answer'] }) => {
        const { step, by } = event as { step: string; by: string };
        return {
          answers: [...context.answers, { step, by, answer: params.answer, at: now(context) }],
          operations: [...context.operations, operation(context, params.answer, event)],
        };
      }),
      recordEnd: assign((_, params: { outcome: RunbookOutcome; why: string }) => ({ end: params })),
      markRecovered: assign(({ context, event }) => {
        const sli = (event as { sli: number }).sli;
        const last = context.plays.findLastIndex((p) => p.outcome === 'success');
        return {
          sli,
          plays: context.plays.map((p, i) =>
            i === last ? { ...p, outcome: 'recovered' as const, sliAfter: sli } : p,
          ),
          end: { outcome: 'resolved' as const, why: `SLI back at ${(sli * 100).toFixed(1)}%` },
        };
      }),
    },
  }).createMachine({
    id: 'runbook',
    context: ({ input }) => ({
      input,
      sli: input.sli,
      run: 1,
      tries: {},
      failure: null,
      plays: [],
      outputs: {},
      answers: [],
      waiting: null,
      paused: false,
      fanout: null,
      operations: [],
      end: null,
    }),
    initial: spec.steps[0]?.name ?? 'settle',
    on: {
      SLI_SAMPLE: { actions: 'recordSample' },
      PAUSE: { guard: ({ context }) => !context.paused, actions: 'pause' },
      RESUME: { guard: 'paused', actions: 'resume' },
      ABORT: go('abort', (c) => `aborted by ${c.operations.at(-1)?.by ?? 'an operator'}`, [
        { type: 'recordOperation', params: { command: 'abort' } },
      ]),
      RETRY_FROM: spec.steps.map((step) => ({
        guard: { type: 'names' as const, params: { step: step.name } },
        target: `${ROOT}.${step.name}`,
        reenter: true,
        actions: 'retryFrom' as const,
      })),
    },
    states: {
      ...Object.fromEntries(spec.steps.map((step, index) => [step.name, stepState(step, index)])),
      settle: {
        entry: { type: 'waitFor', params: { step: 'settle', for: 'sli' } },
        exit: 'stopWaiting',
        on: {
          SLI_SAMPLE: [
            { guard: 'atObjective', target: 'resolved', actions: 'markRecovered' },
            { actions: 'recordSample' },
          ],
        },
        after: {
          settleWindow: go(
            'escalate',
            (c) => `runbook done; SLI still below objective after ${c.input.settleMinutes} min`,
          ),
        },
      },
      resolved: { type: 'final' },
      escalated: { type: 'final' },
      aborted: { type: 'final' },
    },
    output: ({ context }) => ({
      outcome: context.end?.outcome ?? 'escalated',
      why: context.end?.why ?? '',
      sli: context.sli,
      plays: context.plays,
      outputs: context.outputs,
    }),
  });

  /** The states of one step. */
  function stepState(step: FlowStep, index: number) {
    const next = nextOf(spec, index);
    const p = { step: step.name };
    // Only the ways a step can really go are drawn (and linted): a skip when it has a `when:`, a
    // template failure when its settings hold templates.
    const skipped = step.when
      ? [{ guard: { type: 'whenFails', params: p }, ...go(next, () => `${step.name} skipped`) }]
      : [];
    const check = (first: object[]) => ({
      always: [{ guard: 'paused', target: 'held' }, ...skipped, ...first],
    });
    const templated =
      (step.kind === 'play' || step.kind === 'parallel') &&
      strings(step.with).some((t) => references(t).length > 0)
        ? [
            {
              guard: { type: 'templateFails', params: p },
              target: 'failed',
              actions: { type: 'recordTemplateFailure', params: p },
            },
          ]
        : [];
    const held = {
      entry: { type: 'waitFor', params: { ...p, for: 'operator' } },
      exit: 'stopWaiting',
      on: { RESUME: { target: 'check', actions: 'resume' } },
    };
    const skip = {
      SKIP: {
        guard: { type: 'names', params: p },
        ...go(next, () => `${step.name} skipped`, [{ type: 'recordOperation', params: { command: 'skip' } }]),
      },
    };
    if (step.kind === 'notify') {
      const sent = go(next, () => '', [{ type: 'notify', params: p }]);
      return { initial: 'check', on: skip, states: { check: check([sent]), held } };
    }
    if (step.kind === 'approve') {
      return {
        initial: 'check',
        on: skip,
        states: {
          check: check([{ target: 'waiting' }]),
          held,
          waiting: {
            entry: { type: 'waitFor', params: { ...p, for: 'approval' } },
            exit: 'stopWaiting',
            on: {
              APPROVE: [
                {
                  guard: and([
                    { type: 'mayAnswer', params: p },
                    { type: 'approvalComplete', params: p },
                  ]),
                  ...go(next, () => '', [{ type: 'recordAnswer', params: { answer: 'approve' } }]),
                },
                {
                  guard: { type: 'mayAnswer', params: p },
                  actions: { type: 'recordAnswer', params: { answer: 'approve' } },
                },
              ],
              REJECT: {
                guard: { type: 'mayAnswer', params: p },
                ...go(step.onReject, (c) => `${step.name} rejected by ${c.answers.at(-1)?.by ?? '?'}`, [
                  { type: 'recordAnswer', params: { answer: 'reject' } },
                ]),
              },
            },
            after: {
              [`timeout:${step.name}`]: go(
                step.onTimeout,
                () => `${step.name}: no approval within ${step.timeout} min`,
              ),
            },
          },
        },
      };
    }
    if (step.kind === 'parallel') {
      const failed = go(step.onFailure, failedWhy(step.name, step.onFailure));
      return {
        initial: 'check',
        on: skip,
        states: {
          check: check([...templated, { target: 'run' }]),
          held,
          run: {
            entry: { type: 'startFanout', params: p },
            exit: { type: 'stopFanout', params: p },
            on: Object.fromEntries(
              ['xstate.done.actor.*', 'xstate.error.actor.*'].map((type) => [
                type,
                [
                  {
                    guard: { type: 'fanoutFails', params: p },
                    target: 'failed',
                    actions: { type: 'itemReported', params: { ...p, spawn: false } },
                  },
                  {
                    guard: { type: 'fanoutDone', params: p },
                    ...go(next, () => '', [{ type: 'itemReported', params: { ...p, spawn: false } }]),
                  },
                  {
                    guard: { type: 'isItem', params: p },
                    actions: { type: 'itemReported', params: { ...p, spawn: true } },
                  },
                ],
              ]),
            ),
            after: {
              [`timeout:${step.name}`]: { target: 'failed', actions: { type: 'recordTimeout', params: p } },
            },
          },
          failed: { always: failed },
        },
      };
    }
    const child = playChild(step.name);
    const output = ({ event }: { event: { output?: unknown } }) => ({ ...p, output: event.output });
    return {
      initial: 'check',
      on: skip,
      states: {
        check: check([...templated, { target: 'run' }]),
        held,
        run: {
          entry: { type: 'startPlay', params: p },
          exit: { type: 'stopPlay', params: p },
          on: {
            [`xstate.done.actor.${child}`]: [
              {
                guard: { type: 'playSucceeded', params: output },
                ...go(next, () => '', [{ type: 'recordReport', params: output }]),
              },
              { target: 'failed', actions: { type: 'recordReport', params: output } },
            ],
            [`xstate.error.actor.${child}`]: {
              target: 'failed',
              actions: {
                type: 'recordError',
                params: ({ event }: { event: { error?: unknown } }) => ({ ...p, error: event.error }),
              },
            },
          },
          after: {
            [`timeout:${step.name}`]: { target: 'failed', actions: { type: 'recordTimeout', params: p } },
          },
        },
        failed: {
          always: [
            // Retried at once, or after a backoff: only the way its settings allow is drawn.
            step.delay > 0
              ? { guard: { type: 'canRetry', params: p }, target: 'backoff' }
              : { guard: { type: 'canRetry', params: p }, target: 'run' },
            go(step.onFailure, failedWhy(step.name, step.onFailure)),
          ],
        },
        ...(step.delay > 0
          ? {
              backoff: {
                entry: { type: 'waitFor', params: { ...p, for: 'retry' } },
                exit: 'stopWaiting',
                after: { [`retry:${step.name}`]: { target: 'run' } },
              },
            }
          : {}),
      },
    };
  }
  return machine;
}

/** A fan-out item's report: done and ok. */
function itemOk(event: { type: string; output?: unknown }): boolean {
  return event.type.startsWith('xstate.done.actor.') && isPlayOutput(event.output) && event.output.ok;
}

function operation(context: RunbookContext, command: OperatorCommand, event: unknown): Operation {
  const { by, step } = event as { by?: string; step?: string };
  return {
    command,
    by: by ?? 'unknown',
    at: context.input.ops.now(),
    ...(step === undefined ? {} : { step }),
  };
}

export type RunbookMachine = ReturnType<typeof compileRunbook>;
export type { AnyPlay, PlayOutput };
