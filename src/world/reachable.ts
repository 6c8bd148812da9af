import { type FlowStep, isEnd, nextOf, type RunbookSpec } from '../../machines/runbook-spec.js';
import { InputError } from '../toolkit/errors.js';

/**
 * A runbook step that no path from the first step leads to never runs: a `next:` that skips it, an
 * approval whose every exit goes elsewhere. Static, from the runbook's data alone: where each step
 * can go (done or skipped: its next; a play's or a fan-out's failure: its onFailure; an approval's
 * timeout and rejection), walked from the first step.
 */
function exits(spec: RunbookSpec, index: number): string[] {
  const step = spec.steps[index] as FlowStep;
  const out = [nextOf(spec, index)];
  if (step.kind === 'play' || step.kind === 'parallel') out.push(step.onFailure);
  if (step.kind === 'approve') out.push(step.onTimeout, step.onReject);
  return out.filter((target) => !isEnd(target));
}

/** The first step no path reaches, as the error that names it; null when every step is reachable. */
export function unreachableStep(spec: RunbookSpec, field: string, file: string): InputError | null {
  const at = new Map(spec.steps.map((step, i) => [step.name, i]));
  const seen = new Set<number>();
  const walk = [0];
  while (walk.length > 0) {
    const i = walk.pop() as number;
    if (seen.has(i) || i >= spec.steps.length) continue;
    seen.add(i);
    for (const target of exits(spec, i)) walk.push(at.get(target) as number);
  }
  const lost = spec.steps.findIndex((_, i) => !seen.has(i));
  if (lost < 0) return null;
  return new InputError(
    `step ${JSON.stringify(spec.steps[lost]?.name)} is never reached: no step's next, onFailure, onTimeout or onReject leads to it`,
    file,
    `${field}.steps[${lost}]`,
  );
}
