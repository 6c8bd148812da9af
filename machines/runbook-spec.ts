import type { Severity } from '../src/toolkit/triage.js';

/**
 * A runbook in the statechart language, as plain data: the schema (src/world/runbook-schema.ts)
 * checks a scenario's or a live configuration's YAML into this shape, and the compiler
 * (machines/runbook.ts) turns it into a machine of its own. Flat lists of plays keep their own path
 * through the incident machine (machines/play.ts RunbookStep).
 */

/** Where a step goes: another step by name, or one of the runbook's ends. */
export type Target = string;
/** `resolve`: the runbook is done, wait for the SLI to come back. `escalate`, `abort`: end it now. */
export const ENDS = ['resolve', 'escalate', 'abort'] as const;

/** All that is listed must hold (an empty `when` always holds). */
export interface Condition {
  /** The SLI's last sample, as a ratio (0.95 = 95%). */
  sli?: { below?: number; atLeast?: number };
  severity?: Severity[];
  /** Equality on the incident's group labels. */
  labels?: Record<string, string>;
  /** The runbook's run: 1, then one more for every retry-from an operator asked for. */
  attempt?: { atMost?: number; atLeast?: number };
  /** The UTC hour of the sim (or live) clock: from inclusive, to exclusive (9..17: business hours). */
  hours?: { from: number; to: number };
  /** An output an earlier step's play reported. */
  output?: { step: string; key: string; equals?: string; notEquals?: string };
}

interface StepBase {
  name: string;
  when?: Condition;
  /** Where the step goes when it is done (or skipped): the following step when left out, `resolve` after the last. */
  next?: Target;
}

export interface PlayStepSpec extends StepBase {
  kind: 'play';
  play: string;
  /** Settings for the play; strings may hold `${{ ... }}` templates (see docs/runbooks.md). */
  with: Record<string, unknown>;
  timeout: number;
  retries: number;
  /** Minutes before the first retry; each later one waits `factor` times longer, at most `cap`. */
  delay: number;
  backoff: { factor: number; cap: number } | null;
  retryOn: ('failure' | 'timeout')[];
  onFailure: Target;
}

export interface ApproveStepSpec extends StepBase {
  kind: 'approve';
  /** Who may answer: roster names (roles are expanded to names when the runbook is read). */
  approvers: string[];
  count: number;
  message: string;
  timeout: number;
  onTimeout: Target;
  onReject: Target;
}

export interface ParallelStepSpec extends StepBase {
  kind: 'parallel';
  play: string;
  with: Record<string, unknown>;
  items: string[];
  concurrency: number;
  /** Items that may fail before the whole step fails (the ones running are let finish). */
  maxFailures: number;
  /** Minutes the whole fan-out may take. */
  timeout: number;
  onFailure: Target;
}

export interface NotifyStepSpec extends StepBase {
  kind: 'notify';
  channel: 'chat' | 'pagerduty';
  message: string;
}

export type FlowStep = PlayStepSpec | ApproveStepSpec | ParallelStepSpec | NotifyStepSpec;

export interface RunbookSpec {
  /** The runbook's name: its incident type's. */
  name: string;
  steps: FlowStep[];
}

/** The step a target names, or null for an end. */
export const isEnd = (target: Target): boolean => (ENDS as readonly string[]).includes(target);

/** Where a step goes when done: its `next`, the following step, or `resolve` after the last. */
export function nextOf(spec: RunbookSpec, index: number): Target {
  const step = spec.steps[index] as FlowStep;
  return step.next ?? spec.steps[index + 1]?.name ?? 'resolve';
}
