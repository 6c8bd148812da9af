import type { OperatorCommand } from '../../machines/runbook.js';
import type { Alert } from '../toolkit/alerts.js';
import type { Measurement } from '../toolkit/analysis.js';
import type { CanaryReport } from '../toolkit/canary.js';
import type { MinuteCounts } from '../toolkit/slo.js';
import type { Ticket } from '../toolkit/triage.js';

/**
 * Everything that can change the engine's state is an input, and every input is journaled before
 * its effects leave the engine. The engine is a function of its inputs: replaying the journal through
 * fresh machines rebuilds the same incidents, the same trace and the same timers.
 *
 * Two sources feed it. The world (a drill's simulated service, or HTTP and Prometheus live) sends
 * ticks, SLI counts, alerts, tickets, acks and deploys. Plays and the engine's own tasks (postmortem,
 * ship) send what they did while they ran, each under its idempotency key.
 */

/** The clock moves to minute `t`: timers due by then fire (play timeouts, settle windows, soaks). */
export interface TickInput {
  kind: 'tick';
  t: number;
}

/** One minute of traffic for one SLI: recorded, then every open incident on that SLI is sampled. */
export interface SliInput {
  kind: 'sli';
  sli: string;
  counts: MinuteCounts;
}

export interface AlertInput {
  kind: 'alert';
  alert: Alert;
  /** Live: the alert as its sender stated it; a redelivery with a key already journaled is dropped. */
  key?: string;
}

export interface TicketInput {
  kind: 'ticket';
  ticket: Ticket;
}

export interface AckInput {
  kind: 'ack';
  incident: string;
  by: string;
}

/** A release deployed through the canary, with the eval scores it is judged on. */
export interface DeployInput {
  kind: 'deploy';
  candidate: string;
  report: CanaryReport;
}

/** Live: a receiver refused a notification for good (PagerDuty's 400): see undeliverable.ts. */
export interface UndeliverableInput {
  kind: 'undeliverable';
  incident: string;
  notifier: string;
  notification: 'page' | 'ticket' | 'acknowledge' | 'resolve' | 'escalate' | 'notify' | 'rollout';
  why: string;
}

/**
 * Someone acts on a runbook run (machines/runbook.ts): answers its approval gate, pauses, resumes,
 * skips a step, aborts, or retries from a step. Journaled with who did it; `at` is the engine's clock.
 */
export interface OperatorInput {
  kind: 'operator';
  incident: string;
  command: OperatorCommand;
  step?: string;
  by: string;
}

/** A rollout's traffic router confirmed the canary's share of traffic (a setWeight step). */
export interface WeightInput {
  kind: 'weight';
  weight: number;
}

/** A measurement of a rollout's analysis metric, as the world took it. */
export interface MeasureInput {
  kind: 'measure';
  run: 'step' | 'background';
  measurements: { metric: string; measurement: Measurement }[];
}

/** A human's command on the running rollout (promote, promote in full, abort, retry). */
export interface ReleaseOperatorInput {
  kind: 'release-operator';
  action: 'promote' | 'promote-full' | 'abort' | 'retry';
  by: string;
  why?: string;
}

export type WorldInput =
  | TickInput
  | SliInput
  | AlertInput
  | TicketInput
  | AckInput
  | DeployInput
  | UndeliverableInput
  | WeightInput
  | MeasureInput
  | OperatorInput
  | ReleaseOperatorInput;

/** A play rolled the live release back (once per idempotency key). */
export interface RollbackInput {
  kind: 'rollback';
  key: string;
}

/** A play acted on the world through the engine's ops (a drill's simulated service). */
export interface EffectInput {
  kind: 'effect';
  key: string;
  effect: WorldEffect;
}

/** A play or a task finished: its report, or why it failed. */
export interface OutcomeInput {
  kind: 'outcome';
  key: string;
  output?: unknown;
  error?: string;
}

export type TaskInput = RollbackInput | EffectInput | OutcomeInput;
export type Input = WorldInput | TaskInput;

export type WorldEffect =
  | { type: 'reindex' }
  | { type: 'flag'; name: string; on: boolean }
  | { type: 'clear'; faults: string[] };

/** Inputs the world sends, as opposed to what plays and tasks report while they run. */
export const isWorldInput = (input: Input): input is WorldInput =>
  input.kind !== 'rollback' && input.kind !== 'effect' && input.kind !== 'outcome';
