import type { EscalationPolicy } from '../toolkit/escalation.js';
import type { Notification } from './journal.js';

/**
 * A notification a receiver refused for good (PagerDuty's 400 on a trigger: it will never take that
 * request): nobody was told. The engine keeps it with the incident, and a page that could not be
 * delivered goes at once to the policy's next level (or, with one level, to it again, for whichever
 * notifier still takes escalations): an on-call engineer must hear of the incident from someone.
 */

export interface Undelivered {
  notifier: string;
  kind: Notification['kind'];
  /** The engine minute the refusal came in. */
  t: number;
  why: string;
}

/** The kinds that open an alert in the receiver (PagerDuty's `trigger`). */
export const TRIGGER_KINDS: readonly Notification['kind'][] = ['page', 'ticket', 'escalate'];

/** The escalation owed because a page to `notifier` was refused, keyed once per notifier and kind. */
export function escalationForUndelivered(
  incident: { id: string; type: string; service: string; severity: Notification['severity'] },
  refused: Undelivered,
  policy: EscalationPolicy | undefined,
): Notification {
  const level = policy?.levels[1] ?? policy?.levels[0];
  const who = level?.notify ?? [];
  const levelNo = policy && policy.levels.length > 1 ? 2 : 1;
  return {
    key: `${incident.id}/escalate/undeliverable/${refused.notifier}/${refused.kind}`,
    incident: incident.id,
    kind: 'escalate',
    t: refused.t,
    severity: incident.severity,
    summary: `${incident.id} ${incident.type || 'incident'} on ${incident.service}: the ${refused.kind} to ${refused.notifier} could not be delivered (${refused.why.slice(0, 200)}), escalated to level ${levelNo}${who.length > 0 ? ` (${who.join(', ')})` : ''}`,
    ...(who.length > 0 ? { to: who } : {}),
  };
}
