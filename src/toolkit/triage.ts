import { mentions, wordsOf } from './words.js';

/**
 * Ticket intake: how bad is it (triage), who takes it (route), and which incident it belongs to (link).
 * The policy is data so a team can tune severities without touching code, the way incident tools keep
 * severity definitions in configuration rather than in the pager's logic.
 */

export type Severity = 'sev1' | 'sev2' | 'sev3' | 'sev4';

export interface Ticket {
  id: string;
  /** Sim minute the ticket was opened. */
  at: number;
  service: string;
  title: string;
  body?: string;
  /** Affected customers, as reported by whoever opened the ticket. */
  customers?: number;
}

/**
 * One severity definition. Every condition given must hold; a rule with no conditions matches every
 * ticket (useful as an explicit catch-all). Words and phrases match whole words, case-insensitively,
 * in the title and body together.
 */
export interface TriageRule {
  severity: Severity;
  because: string;
  anyWords?: string[];
  allWords?: string[];
  minCustomers?: number;
  services?: string[];
}

/** Rules are tried in order and the first match wins, so list the most severe definitions first. */
export interface TriagePolicy {
  rules: TriageRule[];
  fallback: Severity;
}

/**
 * Severity follows user impact, as in most incident tools' definitions:
 * - sev1: the service is unusable, data is lost or exposed, or so many customers are hit that the
 *   cause no longer matters; this is what wakes someone up.
 * - sev2: the service answers, but answers wrongly or fails part of the time; users are misled, which
 *   for an answering agent is worse than slow.
 * - sev3: degraded or confusing, with a workaround (wait, rephrase, ask again).
 * - sev4: everything else (requests, cosmetic issues); it still gets a queue, never a page.
 */
export const DEFAULT_TRIAGE: TriagePolicy = {
  rules: [
    {
      severity: 'sev1',
      because: 'reports an outage, data loss or a security issue',
      anyWords: ['outage', 'down', 'unavailable', 'data loss', 'security', 'breach', 'leak', 'leaked'],
    },
    {
      severity: 'sev1',
      because: 'affects 1000 or more customers',
      minCustomers: 1000,
    },
    {
      severity: 'sev2',
      because: 'reports wrong results or failures',
      anyWords: ['wrong', 'incorrect', 'broken', 'failing', 'fails', 'failed', 'error', 'errors'],
    },
    {
      severity: 'sev3',
      because: 'reports degraded or confusing behaviour',
      anyWords: ['slow', 'slowness', 'latency', 'timeout', 'confusing', 'unclear', 'question'],
    },
  ],
  fallback: 'sev4',
};

export interface TriageResult {
  severity: Severity;
  because: string;
}

interface Facts {
  ticket: Ticket;
  words: readonly string[];
}

/**
 * One predicate per optional rule field; an absent field holds vacuously. A new kind of condition is
 * one more field on TriageRule and one more row here.
 */
const conditions: readonly ((rule: TriageRule, facts: Facts) => boolean)[] = [
  (rule, { words }) => rule.anyWords === undefined || rule.anyWords.some((phrase) => mentions(words, phrase)),
  (rule, { words }) =>
    rule.allWords === undefined || rule.allWords.every((phrase) => mentions(words, phrase)),
  // An unreported count is not evidence of a large impact.
  (rule, { ticket }) => rule.minCustomers === undefined || (ticket.customers ?? 0) >= rule.minCustomers,
  (rule, { ticket }) => rule.services === undefined || rule.services.includes(ticket.service),
];

export function triage(ticket: Ticket, policy: TriagePolicy = DEFAULT_TRIAGE): TriageResult {
  const facts: Facts = { ticket, words: wordsOf(`${ticket.title}\n${ticket.body ?? ''}`) };
  const rule = policy.rules.find((candidate) => conditions.every((holds) => holds(candidate, facts)));
  if (rule) return { severity: rule.severity, because: rule.because };
  return { severity: policy.fallback, because: `no rule matched; fallback ${policy.fallback}` };
}

/** Which support tier takes a ticket of each severity. */
export type Routing = Record<Severity, string>;

/**
 * Outages go straight to the engineers who can change the system (L3); wrong answers need someone who
 * can read the agent's behaviour (L2); the rest is first-line support's to answer or escalate (L1).
 */
export const DEFAULT_ROUTING: Routing = { sev1: 'L3', sev2: 'L2', sev3: 'L1', sev4: 'L1' };

export function route(severity: Severity, routing: Routing = DEFAULT_ROUTING): string {
  return routing[severity];
}

export interface IncidentSpan {
  id: string;
  service: string;
  startsAt: number;
  endsAt: number;
  open: boolean;
}

/**
 * The incident a ticket belongs to: an open incident of the same service whose [startsAt, endsAt]
 * (both ends inclusive) covers the ticket's minute. When several do, the one that started latest is the
 * most specific explanation; equal starts fall back to the smaller id so the answer never depends on
 * the order incidents were listed in.
 */
export function link(ticket: Ticket, incidents: readonly IncidentSpan[]): string | undefined {
  let best: IncidentSpan | undefined;
  for (const incident of incidents) {
    const covers =
      incident.open &&
      incident.service === ticket.service &&
      incident.startsAt <= ticket.at &&
      ticket.at <= incident.endsAt;
    if (!covers) continue;
    const later =
      best === undefined ||
      incident.startsAt > best.startsAt ||
      (incident.startsAt === best.startsAt && incident.id < best.id);
    if (later) best = incident;
  }
  return best?.id;
}
