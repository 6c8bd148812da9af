/**
 * An on-call escalation policy, as PagerDuty and Opsgenie shape one: levels of people, each given
 * `afterMinutes` to acknowledge before the next level is notified; after the last level the policy
 * starts again from the first, `repeats` more times, then stops. The page itself notifies level 1;
 * everything after it is an escalation.
 *
 * A pure schedule: which levels are due in a stretch of minutes follows from the minute of the page
 * alone, so an engine replaying its journal's ticks notifies exactly who it notified before a crash.
 */

export interface EscalationLevel {
  /** Who this level notifies: people on the roster, a team, a schedule's name. */
  notify: string[];
  /** Minutes this level has to acknowledge before the next level is notified. */
  afterMinutes: number;
}

export interface EscalationPolicy {
  levels: EscalationLevel[];
  /** How many more times the whole policy runs after its first pass when nobody acknowledges. */
  repeats: number;
}

/** One notification the policy owes: its pass (1 = first), its level (1 = first) and its minute. */
export interface EscalationStep {
  pass: number;
  level: number;
  at: number;
  notify: string[];
}

/**
 * The escalations due in minutes (from, to] of an incident paged at `pagedAt`, in order. Level 1 of
 * the first pass is the page itself and never an escalation.
 */
export function escalationsDue(
  policy: EscalationPolicy,
  pagedAt: number,
  from: number,
  to: number,
): EscalationStep[] {
  const due: EscalationStep[] = [];
  let at = pagedAt;
  for (let pass = 1; pass <= policy.repeats + 1; pass++) {
    for (const [i, level] of policy.levels.entries()) {
      if (at > to) return due;
      const isPage = pass === 1 && i === 0;
      if (!isPage && at > from) due.push({ pass, level: i + 1, at, notify: level.notify });
      at += level.afterMinutes;
    }
  }
  return due;
}

/** Who the page itself notifies: the policy's first level. */
export function pagedPeople(policy: EscalationPolicy | undefined): string[] {
  return policy?.levels[0]?.notify ?? [];
}
