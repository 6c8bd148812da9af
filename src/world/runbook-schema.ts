import { z } from 'zod';
import type { RunbookStep } from '../../machines/play.js';
import { ENDS, type FlowStep, isEnd, type RunbookSpec } from '../../machines/runbook-spec.js';
import { InputError } from '../toolkit/errors.js';
import { isKnownPath, references, strings } from '../toolkit/template.js';
import { LIMITS } from './limits.js';

/**
 * The runbook language (docs/runbooks.md): a runbook is either today's flat list of plays, or a
 * mapping `{ steps: [...] }` of named steps with conditions, branches, retries with backoff, outputs,
 * approvals, fan-out and notifications, which compiles to a statechart of its own (machines/runbook.ts).
 * A flat list is checked exactly as it always was; a mapping is checked here, field by field, and
 * then as a whole (every name a target uses exists, every approval has its timeout exit, templates
 * refer to earlier steps).
 */

const minutes = (max = LIMITS.minute) =>
  z.number().int('must be a whole number of minutes').min(1, 'must be >= 1').max(max, `must be <= ${max}`);
const whole = (min: number, max: number) =>
  z.number().int('must be a whole number').min(min, `must be >= ${min}`).max(max, `must be <= ${max}`);

const RESERVED = [...ENDS, 'settle', 'resolved', 'escalated', 'aborted'];
const stepName = z
  .string()
  .max(60, 'must be at most 60 characters long')
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must be a step name (a letter, then letters, digits, _ -)')
  .refine((n) => !RESERVED.includes(n), `must not be one of ${RESERVED.join(', ')}`);
const target = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, `must name a step or be one of ${ENDS.join(', ')}`);
const playName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be a play name');
const severity = z.enum(['sev1', 'sev2', 'sev3', 'sev4']);
const ratio = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const hour = whole(0, 24);

const condition = z.strictObject({
  sli: z.strictObject({ below: ratio.optional(), atLeast: ratio.optional() }).optional(),
  severity: z.array(severity).min(1).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  attempt: z.strictObject({ atMost: whole(1, 100).optional(), atLeast: whole(1, 100).optional() }).optional(),
  hours: z.strictObject({ from: hour, to: hour }).optional(),
  output: z
    .strictObject({
      step: stepName,
      key: z.string().min(1),
      equals: z.string().optional(),
      notEquals: z.string().optional(),
    })
    .optional(),
});

const base = {
  name: stepName,
  when: condition.optional(),
  next: target.optional(),
};
const settings = z.record(z.string(), z.unknown()).default({});

const playStep = z.strictObject({
  ...base,
  play: playName,
  with: settings,
  timeout: minutes().default(10),
  retries: whole(0, LIMITS.retries).default(0),
  delay: whole(0, LIMITS.minute).default(0),
  backoff: z
    .strictObject({
      factor: z.number().min(1, 'must be >= 1').max(10, 'must be <= 10'),
      cap: minutes(),
    })
    .optional(),
  retryOn: z
    .array(z.enum(['failure', 'timeout']))
    .min(1)
    .default(['failure', 'timeout']),
  onFailure: target.optional(),
});

const approveStep = z.strictObject({
  ...base,
  approve: z.strictObject({
    approvers: z.array(z.string().min(1)).min(1, 'must name at least one approver (a roster name or a role)'),
    count: whole(1, 20).default(1),
    message: z.string().min(1),
    // Required, with its exit: a gate nobody answers must still lead somewhere (no run waits forever).
    timeout: minutes(),
    onTimeout: target,
    onReject: target.default('escalate'),
  }),
});

const parallelStep = z.strictObject({
  ...base,
  play: playName,
  with: settings,
  parallel: z.strictObject({
    items: z.array(z.string().min(1)).min(1).max(LIMITS.list, `must list at most ${LIMITS.list}`),
    concurrency: whole(1, 1000).default(1),
    maxFailures: whole(0, LIMITS.list).default(0),
  }),
  timeout: minutes().default(60),
  onFailure: target.optional(),
});

const notifyStep = z.strictObject({
  ...base,
  notify: z.strictObject({
    channel: z.enum(['chat', 'pagerduty']).default('chat'),
    message: z.string().min(1),
  }),
});

/** A sub-schema's issues, as this field's own (paths and found values kept). */
function forward(error: z.ZodError, ctx: { issues: unknown[] }): void {
  for (const issue of error.issues) ctx.issues.push({ ...issue });
}

/** Which kind of step a raw mapping is, by the key that says so. */
function kindOf(raw: unknown): 'approve' | 'parallel' | 'notify' | 'play' {
  const keys = raw !== null && typeof raw === 'object' ? Object.keys(raw) : [];
  if (keys.includes('approve')) return 'approve';
  if (keys.includes('parallel')) return 'parallel';
  if (keys.includes('notify')) return 'notify';
  return 'play';
}
const SCHEMAS = { approve: approveStep, parallel: parallelStep, notify: notifyStep, play: playStep };

/** A step, checked against the schema of its kind (so errors speak of that kind's fields). */
const flowStep = z.unknown().transform((raw, ctx): FlowStep => {
  const kind = kindOf(raw);
  const parsed = SCHEMAS[kind].safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    forward(parsed.error, ctx as unknown as { issues: unknown[] });
    return z.NEVER;
  }
  const s = parsed.data as Record<string, unknown>;
  const common = {
    name: s.name as string,
    when: s.when as FlowStep['when'],
    next: s.next as string | undefined,
  };
  if (kind === 'approve') {
    const a = s.approve as z.infer<typeof approveStep>['approve'];
    return { ...common, kind, ...a };
  }
  if (kind === 'notify') return { ...common, kind, ...(s.notify as { channel: 'chat'; message: string }) };
  if (kind === 'parallel') {
    const p = s as z.infer<typeof parallelStep>;
    return {
      ...common,
      kind,
      play: p.play,
      with: p.with,
      ...p.parallel,
      timeout: p.timeout,
      onFailure: p.onFailure ?? 'escalate',
    };
  }
  const p = s as z.infer<typeof playStep>;
  return {
    ...common,
    kind,
    play: p.play,
    with: p.with,
    timeout: p.timeout,
    retries: p.retries,
    delay: p.delay,
    backoff: p.backoff ?? null,
    retryOn: p.retryOn,
    onFailure: p.onFailure ?? 'escalate',
  };
});

export const runbookFlow = z.strictObject({
  steps: z
    .array(flowStep)
    .min(1, 'must list at least one step')
    .max(LIMITS.runbookSteps * 5, `must list at most ${LIMITS.runbookSteps * 5}`),
});

/**
 * A runbook field: a flat list as scenario.ts checks it, or a mapping checked here. Dispatched on
 * the value's shape so that each form's errors are its own (a union would report both).
 */
export function runbookField<T extends z.ZodType>(flat: T) {
  return z.unknown().transform((raw, ctx): z.output<T> | { steps: FlowStep[] } => {
    const schema = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? runbookFlow : flat;
    const parsed = schema.safeParse(raw, { reportInput: true });
    if (!parsed.success) {
      forward(parsed.error, ctx as unknown as { issues: unknown[] });
      return z.NEVER;
    }
    return parsed.data as z.output<T>;
  });
}

/** An incident type with its runbook read: a flat list stays `runbook`, a mapping becomes `flow`. */
export function splitRunbook<T extends { name: string; runbook: RunbookStep[] | { steps: FlowStep[] } }>(
  type: T,
): Omit<T, 'runbook'> & { runbook: RunbookStep[]; flow?: RunbookSpec } {
  if (Array.isArray(type.runbook)) return type as Omit<T, 'runbook'> & { runbook: RunbookStep[] };
  return { ...type, runbook: [], flow: { name: type.name, steps: type.runbook.steps } };
}

/**
 * What the schema alone cannot check: targets name steps, names are unique, templates and output
 * conditions refer to steps that come earlier, approvers are on the roster (or a role of it), and no
 * `next:` makes a loop that never waits (a run must not spin in place).
 */
export function checkFlow(
  flow: RunbookSpec,
  where: { file: string; field: string },
  people: { roster: readonly string[]; roles: Record<string, readonly string[]> },
): RunbookSpec {
  const fail = (field: string, message: string) =>
    new InputError(message, where.file, `${where.field}.${field}`);
  const index = new Map<string, number>();
  flow.steps.forEach((step, i) => {
    if (index.has(step.name)) throw fail(`steps[${i}].name`, `duplicate step ${JSON.stringify(step.name)}`);
    index.set(step.name, i);
  });
  const known = (value: string | undefined, field: string) => {
    if (value === undefined || isEnd(value) || index.has(value)) return;
    throw fail(
      field,
      `unknown step ${JSON.stringify(value)} (steps: ${[...index.keys()].join(', ')}; or ${ENDS.join(', ')})`,
    );
  };
  const steps = flow.steps.map((step, i): FlowStep => {
    const at = (field: string) => `steps[${i}].${field}`;
    known(step.next, at('next'));
    if (step.kind === 'play' || step.kind === 'parallel') known(step.onFailure, at('onFailure'));
    if (step.when?.output) {
      const from = index.get(step.when.output.step);
      if (from === undefined || from >= i)
        throw fail(
          at('when.output.step'),
          `must name an earlier step (got ${JSON.stringify(step.when.output.step)})`,
        );
    }
    const texts =
      step.kind === 'notify' ? [step.message] : step.kind === 'approve' ? [step.message] : strings(step.with);
    for (const text of texts) {
      for (const path of references(text)) {
        const field = step.kind === 'notify' ? at('notify.message') : at('with');
        if (!isKnownPath(path) || (path === 'item' && step.kind !== 'parallel'))
          throw fail(field, `unknown template reference \${{ ${path} }} (see docs/runbooks.md)`);
        const named = /^steps\.([^.]+)\./.exec(path)?.[1];
        if (named !== undefined && !((index.get(named) ?? Number.POSITIVE_INFINITY) < i))
          throw fail(field, `\${{ ${path} }} must name an earlier step`);
      }
    }
    if (step.kind !== 'approve') return step;
    known(step.onTimeout, at('approve.onTimeout'));
    known(step.onReject, at('approve.onReject'));
    if (step.onTimeout === step.name)
      throw fail(
        at('approve.onTimeout'),
        'must lead out of the gate (a timeout back into it would wait forever)',
      );
    const approvers = step.approvers.flatMap((who, j) => {
      const role = who.startsWith('role:') ? people.roles[who.slice(5)] : undefined;
      if (role) return [...role];
      if (people.roster.includes(who)) return [who];
      throw fail(
        `${at('approve.approvers')}[${j}]`,
        `${JSON.stringify(who)} is neither on the roster (${people.roster.join(', ') || 'empty'}) nor a role (role:NAME of oncall.roles)`,
      );
    });
    if (new Set(approvers).size < step.count)
      throw fail(
        at('approve.count'),
        `needs ${step.count} approvers but only ${new Set(approvers).size} may approve`,
      );
    return { ...step, approvers: [...new Set(approvers)] };
  });
  refuseSpin(steps, fail);
  return { ...flow, steps };
}

/**
 * Steps left without waiting for anything (a notification, a step skipped by its `when:`, a play whose
 * template has no value) must not lead back to themselves: such a loop would spin without end.
 */
function refuseSpin(steps: FlowStep[], fail: (field: string, message: string) => InputError): void {
  const next = (i: number) => (steps[i] as FlowStep).next ?? steps[i + 1]?.name ?? 'resolve';
  const edges = steps.map((step, i) => {
    const out: string[] = [];
    if (step.kind === 'notify' || step.when) out.push(next(i));
    if (
      (step.kind === 'play' || step.kind === 'parallel') &&
      strings(step.with).some((t) => references(t).length > 0)
    )
      out.push(step.onFailure);
    return out.filter((t) => !isEnd(t));
  });
  const at = new Map(steps.map((s, i) => [s.name, i]));
  const state = new Array<number>(steps.length).fill(0);
  const visit = (i: number, path: string[]): void => {
    if (state[i] === 2) return;
    if (state[i] === 1)
      throw fail(
        `steps[${i}].next`,
        `steps ${[...path, (steps[i] as FlowStep).name].join(' -> ')} loop without waiting for anything`,
      );
    state[i] = 1;
    for (const t of edges[i] ?? []) visit(at.get(t) as number, [...path, (steps[i] as FlowStep).name]);
    state[i] = 2;
  };
  for (let i = 0; i < steps.length; i++) visit(i, []);
}

/** Every play a flow names, with the field that names it. */
export function flowPlays(flow: RunbookSpec): { play: string; field: string }[] {
  return flow.steps.flatMap((step, i) =>
    step.kind === 'play' || step.kind === 'parallel' ? [{ play: step.play, field: `steps[${i}].play` }] : [],
  );
}
