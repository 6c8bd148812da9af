import { type ActorLogic, assign, enqueueActions, fromPromise, setup, stopChild } from 'xstate';
import type { EvalCase } from '../src/toolkit/postmortem.js';
import type { Burn, BurnPair } from '../src/toolkit/slo.js';
import { evaluatePolicy } from '../src/toolkit/slo.js';
import type { Severity } from '../src/toolkit/triage.js';
import type { PlayInput, PlayOps, PlayOutput, RunbookStep } from './play.js';
import type { RunbookInput, RunbookOps, RunbookOutput } from './runbook.js';

/**
 * The incident lifecycle, top to bottom:
 *
 *   watching -> detect                       (alerts arrive, or a burn-rate pair starts firing)
 *   detect -> page | ticket | watching      (the burn policy decides; no burn goes back to watching)
 *   page/ticket -> mitigate                  (once on-call acknowledges)
 *   mitigate: run the runbook's plays in order until the SLI is back at its objective; escalate when none does
 *   learn -> ship -> verify -> resolved      (postmortem, the fix canaried, the SLI soaked at its objective)
 *
 * Guards compute every decision from the numbers on the events (burn rates, SLIs); the machine keeps
 * the milestone timestamps incident tools keep, so MTTD / MTTM / MTTR come out of every shift.
 */

export type IncidentStatus = 'detected' | 'paged' | 'acknowledged' | 'mitigated' | 'resolved' | 'escalated';

export interface Milestones {
  opened: number;
  detected?: number;
  paged?: number;
  acknowledged?: number;
  mitigated?: number;
  resolved?: number;
  escalated?: number;
}

/** One try of one runbook step. */
export interface PlayRecord {
  step: number;
  play: string;
  attempt: number;
  startedAt: number;
  /** success and failure are the play's own report; timeout is the step's clock; no-recovery: it
   *  succeeded but the SLI did not come back within the settle window; recovered: it did. */
  outcome: 'running' | 'success' | 'failure' | 'timeout' | 'no-recovery' | 'recovered';
  detail: string;
  sliBefore: number | null;
  sliAfter: number | null;
  /** A runbook of the statechart language's plays: the step's name, the play's key, a fan-out's item. */
  name?: string;
  key?: string;
  item?: string;
}

export interface LearnInput {
  incidentId: string;
  service: string;
  type: string;
  severity: Severity | null;
  objective: number;
  milestones: Milestones;
  plays: PlayRecord[];
}

export interface LearnOutput {
  /** False when the draft blames a person: the postmortem is sent back, not published. */
  accepted: boolean;
  findings: { field: string; person: string; text: string }[];
  markdown: string;
  regressionCases: EvalCase[];
  /** Set when writing the postmortem failed outright. */
  error?: string;
}

export interface ShipInput {
  incidentId: string;
  regressionCases: EvalCase[];
}

export interface ShipOutput {
  candidate: string | null;
  verdict: 'promote' | 'reject' | 'none';
  reasons: string[];
  live: string;
}

export interface IncidentInput {
  id: string;
  service: string;
  /** The incident type; its runbook and SLI come from the scenario. Empty for incidents no type matched. */
  type: string;
  objective: number;
  policy: readonly BurnPair[];
  runbook: RunbookStep[];
  /** Severity per alert level, as data (page -> sev1 unless a scenario says otherwise). */
  severityFor: { page: Severity; ticket: Severity };
  /** Sim minutes a play that succeeded gets for the SLI to come back before the next step runs. */
  settleMinutes: number;
  /** Sim minutes the SLI must hold at its objective after ship before the incident is resolved. */
  verifyMinutes: number;
  ops: PlayOps;
  /**
   * Set when the incident type's runbook is written in the statechart language: the compiled
   * runbook's actor name, and what it reads of the incident besides the context. Flat lists leave it out.
   */
  flow?: { src: string; labels: Record<string, string>; epochMinute: number; ops: RunbookOps };
}

export interface IncidentContext {
  /**
   * What the incident was started with; it never changes. Kept apart from the fields that do so that
   * each assign copies a dozen fields, not two dozen: an incident assigns about a dozen times in its life.
   */
  input: IncidentInput;
  sli: number | null;
  burn: Burn | null;
  severity: Severity | null;
  /** What the SLO said when the incident was detected: the pairs that fired (e.g. `page:1h/5m`). */
  detection: { sli: number | null; burn: Burn | null; firing: string[] } | null;
  milestones: Milestones;
  step: number;
  attempt: number;
  plays: PlayRecord[];
  learn: LearnOutput | null;
  ship: ShipOutput | null;
  /** Why the incident escalated, when it did. */
  escalation: string | null;
}

export type IncidentEvent =
  /** Correlated alerts (or a linked ticket) ask for a look: sli and burn are null for a service with no SLO here. */
  | { type: 'ALERTS'; sli: number | null; burn: Burn | null }
  | { type: 'SLI_SAMPLE'; sli: number; burn: Burn }
  /** `flow`: the incident's runbook is in the statechart language (the runtime knows its type's runbook). */
  | { type: 'ACK'; flow?: boolean }
  | { type: 'xstate.done.actor.play'; output: PlayOutput }
  | { type: 'xstate.error.actor.play'; error: unknown }
  | { type: `xstate.done.actor.${string}/runbook`; output: RunbookOutput }
  | { type: `xstate.error.actor.${string}/runbook`; error: unknown };

/** The id of an incident's runbook actor (unique in the trace, as the incident's own id is). */
export const runbookId = (incident: string) => `${incident}/runbook`;

/** Placeholder implementations: the runtime provides the real ones with `machine.provide()`. */
function notProvided<TOut, TIn>(name: string) {
  return fromPromise<TOut, TIn>(async () => {
    throw new Error(`${name} is not provided: pass it with machine.provide({ actors: { ${name} } })`);
  });
}

/**
 * Any actor logic that takes a PlayInput can be a play: a promise, a callback, a whole machine. Its
 * snapshot, event and emitted types are the play's own business, hence the `any`s.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type PlayLogic = ActorLogic<any, any, PlayInput, any, any>;

const currentStep = (context: IncidentContext): RunbookStep | undefined =>
  context.input.runbook[context.step];
const lastPlay = (context: IncidentContext): PlayRecord | undefined =>
  context.plays[context.plays.length - 1];
const now = (context: IncidentContext) => context.input.ops.now();

/** What the SLO said at detection: the sample, and the pairs of the policy that fire on it. */
const detectionOf = (context: IncidentContext): IncidentContext['detection'] => ({
  sli: context.sli,
  burn: context.burn,
  firing: context.burn ? evaluatePolicy(context.burn, context.input.policy).firing : [],
});

/** A play's report as the contract has it: `{ ok: boolean, detail?: string }`. */
export const isPlayOutput = (output: unknown): output is PlayOutput =>
  typeof output === 'object' &&
  output !== null &&
  typeof (output as PlayOutput).ok === 'boolean' &&
  ['string', 'undefined'].includes(typeof (output as PlayOutput).detail);

/** Why a report is not one, for the trace: what the play said and what it should have. */
export function misreport(output: unknown): string {
  let said: string;
  try {
    said = output === undefined ? 'undefined' : (JSON.stringify(output)?.slice(0, 80) ?? String(output));
  } catch {
    said = typeof output;
  }
  return `the play reported ${said}; a play must return { ok, detail }`;
}

/** What a play threw, as text, whatever it threw (a string, null, an object that cannot be printed). */
export function thrown(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return typeof error;
  }
}

/** Replaces the record of the play now running with its outcome. */
function settlePlay(
  context: IncidentContext,
  outcome: PlayRecord['outcome'],
  detail: string,
  sliAfter?: number,
) {
  const last = lastPlay(context);
  if (!last) return context.plays;
  return [...context.plays.slice(0, -1), { ...last, outcome, detail, sliAfter: sliAfter ?? last.sliAfter }];
}

export const incidentMachine = setup({
  types: {
    context: {} as IncidentContext,
    events: {} as IncidentEvent,
    input: {} as IncidentInput,
  },
  actors: {
    rollback: notProvided<PlayOutput, PlayInput>('rollback'),
    reindex: notProvided<PlayOutput, PlayInput>('reindex'),
    // Each compiled runbook is provided under its own name (`runbook:TYPE`) and spawned by it.
    runbook: notProvided<RunbookOutput, RunbookInput>('runbook'),
    writePostmortem: notProvided<LearnOutput, LearnInput>('writePostmortem'),
    shipFix: notProvided<ShipOutput, ShipInput>('shipFix'),
  },
  delays: {
    playTimeout: ({ context }) => currentStep(context)?.timeout ?? 0,
    settleWindow: ({ context }) => context.input.settleMinutes,
    verifySoak: ({ context }) => context.input.verifyMinutes,
  },
  guards: {
    burnFiring: (_, params: { burn: Burn; policy: readonly BurnPair[] }) =>
      evaluatePolicy(params.burn, params.policy).alert !== 'none',
    pagePairFiring: ({ context }) =>
      context.burn !== null && evaluatePolicy(context.burn, context.input.policy).alert === 'page',
    ticketPairFiring: ({ context }) =>
      context.burn !== null && evaluatePolicy(context.burn, context.input.policy).alert === 'ticket',
    playSucceeded: (_, params: { output: PlayOutput }) => isPlayOutput(params.output) && params.output.ok,
    sliAtObjective: (_, params: { sli: number; objective: number }) => params.sli >= params.objective,
    canRetry: ({ context }) => context.attempt <= (currentStep(context)?.retries ?? 0),
    escalatesOnFailure: ({ context }) => currentStep(context)?.onFailure === 'escalate',
    hasNextStep: ({ context }) => context.step + 1 < context.input.runbook.length,
    hasFlow: ({ context, event }) =>
      (event as { flow?: boolean }).flow === true && context.input.flow !== undefined,
    flowResolved: (_, params: { output: RunbookOutput }) => params.output?.outcome === 'resolved',
    // Only the runbook's own report ends the flow (its plays report to the runbook, not here).
    isRunbook: ({ context }, params: { actorId?: string }) => params.actorId === runbookId(context.input.id),
  },
  actions: {
    recordSample: assign((_, params: { sli: number | null; burn: Burn | null }) => ({
      sli: params.sli,
      burn: params.burn,
    })),
    // Detection and the page (or ticket) it led to are one update: each assign copies the context.
    recordPage: assign(({ context }) => {
      const at = now(context);
      return {
        detection: detectionOf(context),
        severity: context.input.severityFor.page,
        milestones: {
          ...context.milestones,
          detected: context.milestones.detected ?? at,
          paged: context.milestones.paged ?? at,
        },
      };
    }),
    recordTicket: assign(({ context }) => ({
      detection: detectionOf(context),
      severity: context.severity ?? context.input.severityFor.ticket,
      milestones: { ...context.milestones, detected: context.milestones.detected ?? now(context) },
    })),
    recordAcknowledged: assign(({ context }) => ({
      milestones: { ...context.milestones, acknowledged: now(context) },
    })),
    startPlay: enqueueActions(({ context, enqueue }) => {
      const step = currentStep(context);
      if (!step) return;
      const input: PlayInput = {
        incident: { id: context.input.id, service: context.input.service, type: context.input.type },
        step,
        attempt: context.attempt,
        key: `${context.input.id}/${context.step + 1}/${context.attempt}`,
        ops: context.input.ops,
      };
      enqueue.assign({
        plays: [
          ...context.plays,
          {
            step: context.step,
            play: step.play,
            attempt: context.attempt,
            startedAt: now(context),
            outcome: 'running',
            detail: '',
            sliBefore: context.sli,
            sliAfter: null,
          },
        ],
      });
      // The play is named by the runbook (data), so it is spawned by name rather than invoked by a
      // fixed src: any actor registered or provided under that name runs here.
      enqueue.spawnChild(step.play as 'rollback', { id: 'play', input, syncSnapshot: false });
    }),
    stopPlay: stopChild('play'),
    startRunbook: enqueueActions(({ context, enqueue }) => {
      const flow = context.input.flow;
      if (!flow) return;
      const input: RunbookInput = {
        incident: {
          id: context.input.id,
          service: context.input.service,
          type: context.input.type,
          severity: context.severity,
          labels: flow.labels,
        },
        objective: context.input.objective,
        settleMinutes: context.input.settleMinutes,
        epochMinute: flow.epochMinute,
        sli: context.sli,
        ops: flow.ops,
        playOps: context.input.ops,
      };
      enqueue.spawnChild(flow.src as 'runbook', {
        id: runbookId(context.input.id),
        input,
        syncSnapshot: false,
      });
    }),
    stopRunbook: stopChild(({ context }) => runbookId(context.input.id)),
    forwardSample: enqueueActions(({ context, event, enqueue }) => {
      enqueue.sendTo(runbookId(context.input.id), event);
    }),
    recordFlowMitigated: assign(({ context }, params: { output: RunbookOutput }) => ({
      sli: params.output.sli,
      plays: params.output.plays,
      milestones: { ...context.milestones, mitigated: now(context) },
    })),
    recordFlowEscalated: assign(({ context }, params: { output: RunbookOutput }) => ({
      plays: params.output.plays,
      escalation: params.output.why,
      milestones: { ...context.milestones, escalated: now(context) },
    })),
    // A plugged-in play may report anything (undefined, a forgotten return): that is a failed step.
    recordPlayReport: assign(({ context }, params: { output: PlayOutput }) => ({
      plays: isPlayOutput(params.output)
        ? settlePlay(context, params.output.ok ? 'success' : 'failure', params.output.detail ?? '')
        : settlePlay(context, 'failure', misreport(params.output)),
    })),
    recordPlayError: assign(({ context }, params: { error: unknown }) => ({
      plays: settlePlay(context, 'failure', `the play threw: ${thrown(params.error)}`),
    })),
    recordPlayTimeout: assign(({ context }) => ({
      plays: settlePlay(context, 'timeout', `no report within ${currentStep(context)?.timeout} min`),
    })),
    recordNoRecovery: assign(({ context }) => ({
      plays: settlePlay(
        context,
        'no-recovery',
        `${lastPlay(context)?.detail ?? ''}; SLI still below objective after ${context.input.settleMinutes} min`,
      ),
    })),
    // The sample that shows the SLI back is recorded with the mitigation, in one update.
    recordMitigated: assign(({ context }, params: { sli: number; burn: Burn }) => ({
      sli: params.sli,
      burn: params.burn,
      plays: settlePlay(context, 'recovered', lastPlay(context)?.detail ?? '', params.sli),
      milestones: { ...context.milestones, mitigated: now(context) },
    })),
    retryStep: assign(({ context }) => ({ attempt: context.attempt + 1 })),
    advanceStep: assign(({ context }) => ({ step: context.step + 1, attempt: 1 })),
    recordLearn: assign((_, params: { output: LearnOutput }) => ({ learn: params.output })),
    recordLearnError: assign((_, params: { error: unknown }) => ({
      learn: {
        accepted: false,
        findings: [],
        markdown: '',
        regressionCases: [],
        error: params.error instanceof Error ? params.error.message : String(params.error),
      },
    })),
    recordShip: assign((_, params: { output: ShipOutput }) => ({ ship: params.output })),
    recordShipError: assign(({ context }, params: { error: unknown }) => ({
      ship: {
        candidate: null,
        verdict: 'none' as const,
        reasons: [
          `ship failed: ${params.error instanceof Error ? params.error.message : String(params.error)}`,
        ],
        live: context.input.ops.release().live,
      },
    })),
    recordResolved: assign(({ context }) => ({
      milestones: { ...context.milestones, resolved: now(context) },
    })),
    recordEscalated: assign(({ context }, params: { why: string }) => ({
      escalation: params.why,
      milestones: { ...context.milestones, escalated: now(context) },
    })),
  },
}).createMachine({
  id: 'incident',
  context: ({ input }) => ({
    input,
    sli: null,
    burn: null,
    severity: null,
    detection: null,
    milestones: { opened: input.ops.now() },
    step: 0,
    attempt: 1,
    plays: [],
    learn: null,
    ship: null,
    escalation: null,
  }),
  initial: 'watching',
  states: {
    watching: {
      on: {
        // Alerts opened this incident: look at what the SLO says before waking anyone.
        ALERTS: { target: 'detect', actions: { type: 'recordSample', params: ({ event }) => event } },
        SLI_SAMPLE: [
          {
            guard: {
              type: 'burnFiring',
              params: ({ context, event }) => ({ burn: event.burn, policy: context.input.policy }),
            },
            target: 'detect',
            actions: { type: 'recordSample', params: ({ event }) => event },
          },
          { actions: { type: 'recordSample', params: ({ event }) => event } },
        ],
      },
    },
    detect: {
      always: [
        { guard: 'pagePairFiring', target: 'page', actions: 'recordPage' },
        { guard: 'ticketPairFiring', target: 'ticket', actions: 'recordTicket' },
        { target: 'watching' },
      ],
    },
    page: {
      on: {
        ACK: [
          { guard: 'hasFlow', target: 'mitigate.flow', actions: 'recordAcknowledged' },
          { target: 'mitigate', actions: 'recordAcknowledged' },
        ],
        SLI_SAMPLE: { actions: { type: 'recordSample', params: ({ event }) => event } },
      },
    },
    ticket: {
      on: {
        ACK: [
          { guard: 'hasFlow', target: 'mitigate.flow', actions: 'recordAcknowledged' },
          { target: 'mitigate', actions: 'recordAcknowledged' },
        ],
        // A slow burn that speeds up while the ticket waits becomes a page.
        SLI_SAMPLE: [
          {
            guard: {
              type: 'burnFiring',
              params: ({ context, event }) => ({
                burn: event.burn,
                policy: context.input.policy.filter((pair) => pair.severity === 'page'),
              }),
            },
            target: 'page',
            // The page pairs that fire now are what the page was for.
            actions: [{ type: 'recordSample', params: ({ event }) => event }, 'recordPage'],
          },
          { actions: { type: 'recordSample', params: ({ event }) => event } },
        ],
      },
    },
    mitigate: {
      initial: 'running',
      on: {
        SLI_SAMPLE: { actions: { type: 'recordSample', params: ({ event }) => event } },
      },
      states: {
        running: {
          entry: 'startPlay',
          exit: 'stopPlay',
          on: {
            'xstate.done.actor.play': [
              {
                guard: { type: 'playSucceeded', params: ({ event }) => ({ output: event.output }) },
                target: 'settling',
                actions: { type: 'recordPlayReport', params: ({ event }) => ({ output: event.output }) },
              },
              {
                target: 'stepFailed',
                actions: { type: 'recordPlayReport', params: ({ event }) => ({ output: event.output }) },
              },
            ],
            'xstate.error.actor.play': {
              target: 'stepFailed',
              actions: { type: 'recordPlayError', params: ({ event }) => ({ error: event.error }) },
            },
          },
          after: { playTimeout: { target: 'stepFailed', actions: 'recordPlayTimeout' } },
        },
        settling: {
          on: {
            SLI_SAMPLE: {
              guard: {
                type: 'sliAtObjective',
                params: ({ context, event }) => ({ sli: event.sli, objective: context.input.objective }),
              },
              target: '#incident.learn',
              actions: { type: 'recordMitigated', params: ({ event }) => event },
            },
          },
          after: { settleWindow: { target: 'nextStep', actions: 'recordNoRecovery' } },
        },
        stepFailed: {
          always: [
            { guard: 'canRetry', target: 'running', actions: 'retryStep' },
            {
              guard: 'escalatesOnFailure',
              target: '#incident.escalated',
              actions: {
                type: 'recordEscalated',
                params: ({ context }) => ({
                  why: `${currentStep(context)?.play} failed and its step says escalate`,
                }),
              },
            },
            { target: 'nextStep' },
          ],
        },
        // A runbook in the statechart language runs as an actor of its own (machines/runbook.ts).
        flow: {
          entry: 'startRunbook',
          exit: 'stopRunbook',
          on: {
            SLI_SAMPLE: {
              actions: [{ type: 'recordSample', params: ({ event }) => event }, 'forwardSample'],
            },
            'xstate.done.actor.*': [
              {
                guard: {
                  type: 'flowResolved',
                  params: ({ event }) => ({ output: (event as { output: RunbookOutput }).output }),
                },
                target: '#incident.learn',
                actions: {
                  type: 'recordFlowMitigated',
                  params: ({ event }) => ({ output: (event as { output: RunbookOutput }).output }),
                },
              },
              {
                guard: {
                  type: 'isRunbook',
                  params: ({ event }) => ({ actorId: (event as { actorId?: string }).actorId }),
                },
                target: '#incident.escalated',
                actions: {
                  type: 'recordFlowEscalated',
                  params: ({ event }) => ({ output: (event as { output: RunbookOutput }).output }),
                },
              },
            ],
            'xstate.error.actor.*': {
              guard: {
                type: 'isRunbook',
                params: ({ event }) => ({ actorId: (event as { actorId?: string }).actorId }),
              },
              target: '#incident.escalated',
              actions: {
                type: 'recordEscalated',
                params: ({ event }) => ({
                  why: `the runbook failed: ${thrown((event as { error: unknown }).error)}`,
                }),
              },
            },
          },
        },
        nextStep: {
          always: [
            { guard: 'hasNextStep', target: 'running', actions: 'advanceStep' },
            {
              target: '#incident.escalated',
              actions: {
                type: 'recordEscalated',
                params: ({ context }) => ({
                  why: `runbook used up: ${context.input.runbook.map((s) => s.play).join(', ') || 'no plays'}; SLI still below objective`,
                }),
              },
            },
          ],
        },
      },
    },
    learn: {
      invoke: {
        id: 'postmortem',
        src: 'writePostmortem',
        input: ({ context }) => ({
          incidentId: context.input.id,
          service: context.input.service,
          type: context.input.type,
          severity: context.severity,
          objective: context.input.objective,
          milestones: context.milestones,
          plays: context.plays,
        }),
        onDone: {
          target: 'ship',
          actions: { type: 'recordLearn', params: ({ event }) => ({ output: event.output }) },
        },
        onError: {
          target: 'ship',
          actions: { type: 'recordLearnError', params: ({ event }) => ({ error: event.error }) },
        },
      },
    },
    ship: {
      invoke: {
        id: 'fix',
        src: 'shipFix',
        input: ({ context }) => ({
          incidentId: context.input.id,
          regressionCases: context.learn?.regressionCases ?? [],
        }),
        onDone: {
          target: 'verify',
          actions: { type: 'recordShip', params: ({ event }) => ({ output: event.output }) },
        },
        onError: {
          target: 'verify',
          actions: { type: 'recordShipError', params: ({ event }) => ({ error: event.error }) },
        },
      },
    },
    verify: {
      on: {
        SLI_SAMPLE: [
          {
            guard: {
              type: 'sliAtObjective',
              params: ({ context, event }) => ({ sli: event.sli, objective: context.input.objective }),
            },
            actions: { type: 'recordSample', params: ({ event }) => event },
          },
          {
            target: 'escalated',
            actions: [
              { type: 'recordSample', params: ({ event }) => event },
              {
                type: 'recordEscalated',
                params: ({ context, event }) => ({
                  why: `SLI fell to ${(event.sli * 100).toFixed(1)}% (< ${(context.input.objective * 100).toFixed(1)}%) while verifying ${context.ship?.live ?? 'live'}`,
                }),
              },
            ],
          },
        ],
      },
      after: { verifySoak: { target: 'resolved', actions: 'recordResolved' } },
    },
    resolved: { type: 'final' },
    escalated: { type: 'final' },
  },
});

export type IncidentMachine = typeof incidentMachine;
