import type { AnyActorRef, AnyStateMachine } from 'xstate';
import { type IncidentContext, type PlayLogic, runbookId } from '../../machines/incident.js';
import type { PlayOps } from '../../machines/play.js';
import {
  compileRunbook,
  type OperatorCommand,
  type RunbookContext,
  type RunbookEvent,
  type RunbookOps,
} from '../../machines/runbook.js';
import type { ApproveStepSpec, RunbookSpec } from '../../machines/runbook-spec.js';
import { InputError } from '../toolkit/errors.js';
import type { OperatorInput } from './inputs.js';

/**
 * The engine's side of runbooks written in the statechart language: their compiled machines with
 * the engine's stand-ins for their plays, what an operator may do to a run now (checked before the
 * input is journaled: a refused command leaves nothing behind), and where each run waits.
 */

/** The actor name a compiled runbook is provided under. */
export const flowSrc = (type: string) => `runbook:${type}`;

/** Each flow compiled, its plays replaced by the stand-ins `standIn` makes. */
export function flowMachines(
  flows: readonly RunbookSpec[],
  standIns: Record<string, PlayLogic>,
): Record<string, AnyStateMachine> {
  return Object.fromEntries(
    flows.map((flow) => [
      flowSrc(flow.name),
      compileRunbook(flow).provide({ actors: standIns as Record<'play', PlayLogic> }),
    ]),
  );
}

/** The runbook actor of an incident, when its mitigate stage runs one. */
export function runbookActor(incident: AnyActorRef): AnyActorRef | null {
  const snapshot = incident.getSnapshot() as {
    status: string;
    context: IncidentContext;
    children: Record<string, AnyActorRef | undefined>;
  };
  if (snapshot.status !== 'active') return null;
  const child = snapshot.children[runbookId(snapshot.context.input.id)];
  return child && child.getSnapshot().status === 'active' ? child : null;
}

/** Where a run waits: the step, for whom, since when (and who may answer an approval). */
export interface RunbookWait {
  incident: string;
  step: string;
  for: NonNullable<RunbookContext['waiting']>['for'];
  since: number;
  paused: boolean;
  approvers: string[];
  count: number;
}

export function waitOf(
  incident: string,
  runbook: AnyActorRef,
  spec: RunbookSpec | undefined,
): RunbookWait | null {
  const context = (runbook.getSnapshot() as { context: RunbookContext }).context;
  const waiting = context.waiting;
  if (!waiting) return null;
  const gate = spec?.steps.find((s) => s.name === waiting.step && s.kind === 'approve') as
    | ApproveStepSpec
    | undefined;
  return {
    incident,
    step: waiting.step,
    for: waiting.for,
    since: waiting.since,
    paused: context.paused,
    approvers: gate?.approvers ?? [],
    count: gate?.count ?? 0,
  };
}

const EVENTS: Record<OperatorCommand, RunbookEvent['type']> = {
  approve: 'APPROVE',
  reject: 'REJECT',
  pause: 'PAUSE',
  resume: 'RESUME',
  skip: 'SKIP',
  abort: 'ABORT',
  retry: 'RETRY_FROM',
};

/** The event an operator's command is to the runbook machine. */
export function operatorEvent(input: OperatorInput): RunbookEvent {
  const type = EVENTS[input.command];
  return { type, by: input.by, ...(input.step === undefined ? {} : { step: input.step }) } as RunbookEvent;
}

/**
 * Refuses a command the run cannot take now, naming why: the request is answered 4xx (or the CLI
 * exits 2) and nothing is journaled.
 */
export function checkCommand(
  input: OperatorInput,
  runbook: AnyActorRef | null,
  spec: RunbookSpec | undefined,
): void {
  const fail = (message: string, field = 'command') => new InputError(message, undefined, field);
  if (!runbook || !spec)
    throw fail(`${input.incident} runs no runbook now (it is not in a runbook's mitigate stage)`, 'incident');
  if (input.by.trim() === '') throw fail('must say who acts', 'by');
  const context = (runbook.getSnapshot() as { context: RunbookContext }).context;
  const named = input.step === undefined ? undefined : spec.steps.find((s) => s.name === input.step);
  const needsStep = ['approve', 'reject', 'skip', 'retry'].includes(input.command);
  if (needsStep && !named)
    throw fail(
      `${input.command} needs --step naming a step of the runbook (steps: ${spec.steps.map((s) => s.name).join(', ')}; got ${JSON.stringify(input.step ?? '')})`,
      'step',
    );
  const waiting = context.waiting;
  if (input.command === 'approve' || input.command === 'reject') {
    if (waiting?.for !== 'approval' || waiting.step !== input.step)
      throw fail(
        `${input.incident} does not wait for an approval at ${input.step}${waiting ? ` (it waits at ${waiting.step} for ${waiting.for})` : ''}`,
        'step',
      );
    const gate = named as ApproveStepSpec;
    if (!gate.approvers.includes(input.by))
      throw fail(
        `${JSON.stringify(input.by)} may not answer ${gate.name} (approvers: ${gate.approvers.join(', ')})`,
        'by',
      );
    if (context.answers.some((a) => a.step === gate.name && a.by === input.by && a.at >= waiting.since))
      throw fail(`${input.by} has answered ${gate.name} already`, 'by');
  }
  if (input.command === 'pause' && context.paused)
    throw fail(`${input.incident}'s runbook is paused already`);
  if (input.command === 'resume' && !context.paused) throw fail(`${input.incident}'s runbook is not paused`);
  if (input.command === 'skip') {
    const value = runbook.getSnapshot().value as Record<string, unknown> | string;
    const at = typeof value === 'string' ? value : Object.keys(value)[0];
    if (at !== input.step)
      throw fail(
        `${input.incident}'s runbook is at ${at}, not at ${input.step}: only the current step can be skipped`,
        'step',
      );
  }
}

/** A restored incident's functions, put back where JSON dropped them (its runbook's context too). */
export function reattach(
  snapshot: {
    context: IncidentContext;
    children?: Record<string, { snapshot?: { context?: RunbookContext } }>;
  },
  ops: { machine: PlayOps; runbook: RunbookOps },
): void {
  const { input } = snapshot.context;
  input.ops = ops.machine;
  if (input.flow) input.flow.ops = ops.runbook;
  const child = snapshot.children?.[runbookId(input.id)]?.snapshot?.context;
  if (child) {
    child.input.ops = ops.runbook;
    child.input.playOps = ops.machine;
  }
}

/** A run as an operator sees it: the step it is at, where it waits and since when, who did what. */
export function statusOf(runbook: AnyActorRef) {
  const snapshot = runbook.getSnapshot() as { value: unknown; context: RunbookContext };
  const value = snapshot.value;
  const step = typeof value === 'string' ? value : Object.keys(value as object)[0];
  const { waiting, paused, run, operations, answers } = snapshot.context;
  return { step, waiting, paused, run, answers, operations };
}
