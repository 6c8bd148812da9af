import { z } from 'zod';
import { InputError } from '../toolkit/errors.js';

/**
 * A scenario's `gate:`: the checks its shift must pass, as data. Each check has a kind and the
 * parameters of that kind; most take a `type` (the incident type they look at; every typed incident
 * when left out). The checks themselves read the shift's result and trace (src/views/gate-checks.ts).
 * With no `gate:` a scenario is scored by the stock story's checks (src/views/gate.ts).
 */

// The scenario's own name rule (src/world/scenario.ts), repeated: scenario.ts imports this file.
const name = z
  .string()
  .max(200, 'must be at most 200 characters long')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be a name (letters, digits, . _ : -)');
const minutes = z.number().int('must be a whole number of minutes').min(0, 'must be >= 0').max(43_200);
const severity = z.enum(['sev1', 'sev2', 'sev3', 'sev4']);

/** What every check may say: the name it is reported under and who owns it. */
const common = {
  /** The check's name in the gate's table and in JUnit; `KIND` or `KIND:TYPE` when left out. */
  name: name.optional(),
  /** The owner column of the gate's table (a team, a module); empty when left out. */
  owner: z.string().max(40, 'must be at most 40 characters long').optional(),
};
const ofType = { ...common, type: name.optional() };

/** The MTTx kinds: the mean, over the checked incidents, of minutes between two milestones. */
export const MEAN_TIMES = {
  mttd: { from: 'onset', to: 'detected', words: 'onset to detection' },
  mtta: { from: 'detected', to: 'acknowledged', words: 'detection to acknowledgement' },
  mttm: { from: 'onset', to: 'mitigated', words: 'onset to mitigation' },
  mttr: { from: 'onset', to: 'resolved', words: 'onset to resolution' },
} as const;
export type MeanTimeKind = keyof typeof MEAN_TIMES;

const meanTime = <K extends MeanTimeKind>(kind: K) =>
  z.strictObject({ kind: z.literal(kind), ...ofType, atMost: minutes });

const check = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('incidents'), ...ofType, count: z.number().int().min(0) }),
    z.strictObject({
      kind: z.literal('detected'),
      ...ofType,
      withinMinutes: minutes.optional(),
      severity: severity.optional(),
    }),
    z.strictObject({
      kind: z.literal('paged'),
      ...ofType,
      withinMinutes: minutes.optional(),
      severity: severity.optional(),
    }),
    z.strictObject({
      kind: z.literal('mitigated'),
      ...ofType,
      withinMinutes: minutes.optional(),
      play: name.optional(),
      /** True: the runbook's first step must be the one that recovered the SLI. */
      first: z.boolean().default(false),
    }),
    z.strictObject({ kind: z.literal('escalated'), ...ofType, expected: z.boolean().default(true) }),
    meanTime('mttd'),
    meanTime('mtta'),
    meanTime('mttm'),
    meanTime('mttr'),
    z.strictObject({
      kind: z.literal('postmortem'),
      ...ofType,
      minRegressionCases: z.number().int().min(0).default(1),
    }),
    z.strictObject({ kind: z.literal('fix'), ...ofType, outcome: z.enum(['shipped', 'rejected']) }),
    z.strictObject({ kind: z.literal('live'), ...common, release: name }),
    z.strictObject({
      kind: z.literal('budget'),
      ...common,
      sli: name,
      /** The share of the SLO's error budget left at the end of the shift (negative once overspent). */
      atLeast: z.number().min(-1000).max(1),
    }),
    z.strictObject({
      kind: z.literal('ticket'),
      ...common,
      id: name,
      severity: severity.optional(),
      queue: z.string().min(1).optional(),
      /** The type of the incident the ticket must be linked to. */
      type: name.optional(),
    }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? `must be one of ${CHECK_KINDS.join(', ')}` : undefined,
  },
);

export const CHECK_KINDS = [
  'incidents',
  'detected',
  'paged',
  'mitigated',
  'escalated',
  'mttd',
  'mtta',
  'mttm',
  'mttr',
  'postmortem',
  'fix',
  'live',
  'budget',
  'ticket',
] as const;

export const gateChecks = z.array(check).min(1, 'must list at least one check').max(200);

export type GateCheckSpec = z.infer<typeof check>;
export type CheckKind = GateCheckSpec['kind'];

/** The name a check is reported under: its `name:`, else its kind and what it looks at. */
export function checkName(spec: GateCheckSpec): string {
  if (spec.name) return spec.name;
  if (spec.kind === 'ticket') return `ticket:${spec.id}`;
  if (spec.kind === 'budget') return `budget:${spec.sli}`;
  return 'type' in spec && spec.type ? `${spec.kind}:${spec.type}` : spec.kind;
}

/** What the references of a gate are checked against: the scenario's names. */
export interface GateNames {
  /** Each incident type, with its fix and the plays its runbook names. */
  types: readonly { name: string; fix?: { candidate: string } | undefined; plays: readonly string[] }[];
  releases: readonly string[];
  tickets: readonly string[];
  slis: readonly string[];
}

/** Cross-references a gate's checks to the scenario: every name a check uses must exist there. */
export function checkGateReferences(checks: readonly GateCheckSpec[], names: GateNames, file: string): void {
  const seen = new Set<string>();
  const types = new Map(names.types.map((t) => [t.name, t]));
  const one = (list: readonly string[]) => list.join(', ') || 'none';
  checks.forEach((spec, i) => {
    const fail = (field: string, message: string) => new InputError(message, file, `gate[${i}].${field}`);
    const id = checkName(spec);
    if (seen.has(id)) throw fail('name', `duplicate check ${JSON.stringify(id)} (give one a name:)`);
    seen.add(id);
    if ('type' in spec && spec.type !== undefined && !types.has(spec.type))
      throw fail(
        'type',
        `unknown incident type ${JSON.stringify(spec.type)} (types: ${one([...types.keys()])})`,
      );
    if (spec.kind === 'live' && !names.releases.includes(spec.release))
      throw fail(
        'release',
        `unknown release ${JSON.stringify(spec.release)} (releases: ${one(names.releases)})`,
      );
    if (spec.kind === 'ticket' && !names.tickets.includes(spec.id))
      throw fail('id', `unknown ticket ${JSON.stringify(spec.id)} (tickets: ${one(names.tickets)})`);
    if (spec.kind === 'budget' && !names.slis.includes(spec.sli))
      throw fail('sli', `unknown SLI ${JSON.stringify(spec.sli)} (SLIs: ${one(names.slis)})`);
    if (spec.kind === 'mitigated' && spec.play !== undefined) {
      // A play no runbook of the checked types names could never mitigate: a typo, not a failing check.
      const checked = spec.type ? [types.get(spec.type)] : [...types.values()];
      const plays = [...new Set(checked.flatMap((t) => t?.plays ?? []))];
      if (!plays.includes(spec.play))
        throw fail(
          'play',
          `no runbook ${spec.type ? `of ${spec.type} ` : ''}names play ${JSON.stringify(spec.play)} (plays: ${one(plays)})`,
        );
    }
    if (spec.kind === 'fix') {
      const without = (spec.type ? [types.get(spec.type)] : [...types.values()]).filter((t) => !t?.fix);
      if (spec.type && without.length > 0)
        throw fail('type', `incident type ${JSON.stringify(spec.type)} has no fix: to ship or reject`);
      if (!spec.type && without.length === names.types.length)
        throw fail('kind', 'no incident type has a fix: to ship or reject');
    }
  });
}
