import { type EscalationStep, pagedPeople } from '../toolkit/escalation.js';
import type { Engine, EngineIncident } from './engine.js';
import type { IncidentRow, Notification } from './journal.js';
import { rolloutNotices } from './rollout-notices.js';
import { stateName, type TraceEntry } from './trace.js';
import { type DecidedIncident, type Decision, decisionsOf, reasonOf, type Settings } from './why.js';

/**
 * What a batch of inputs produced, besides the trace: the records of the incidents it touched and the
 * notifications it owes. Both are read off the machines (their context and their transitions), so
 * the outbox says exactly what the trace shows.
 */

/** The incident as a listing shows it: state, severity, its group, milestones, plays. */
export function incidentRecord(engine: Engine, incident: EngineIncident) {
  const snapshot = incident.actor.getSnapshot();
  const c = snapshot.context;
  const group = engine.groupOf(incident);
  return {
    id: incident.id,
    state: stateName(snapshot.value),
    severity: c.severity,
    type: c.input.type,
    labels: group.labels,
    alerts: group.count,
    openedAt: c.milestones.opened,
    milestones: c.milestones,
    plays: c.plays,
    escalation: c.escalation,
    // Live only: what a receiver refused for good (absent when nothing was, as in every drill).
    ...(engine.undeliverable.has(incident.id)
      ? { undeliverable: engine.undeliverable.get(incident.id) }
      : {}),
    ...resolvedOf(engine, incident.id, group.count),
  };
}

/** Live only: what Alertmanager reported resolved of the incident's alerts, and when the last one. */
function resolvedOf(engine: Engine, id: string, alerts: number) {
  const resolved = engine.resolvedAlerts.get(id);
  if (!resolved) return {};
  const count = resolved.fingerprints.length;
  return {
    alertsResolved: {
      count,
      of: alerts,
      lastAt: resolved.lastAt,
      all: count >= alerts,
      // Said, so nobody reads an incident that stays open as a missed resolution.
      resolvesIncident: false,
    },
  };
}

/** The notification an incident's transition owes, if any: page, ticket, acknowledge, resolve, escalate. */
function notificationOf(entry: TraceEntry): Notification['kind'] | null {
  if (entry.to === 'page' || entry.to === 'ticket') return entry.to;
  if (entry.event === 'ACK') return 'acknowledge';
  if (entry.to === 'resolved') return 'resolve';
  if (entry.to === 'escalated') return 'escalate';
  return null;
}

export function batchOutputs(
  engine: Engine,
  trace: readonly TraceEntry[],
): { incidents: IncidentRow[]; notifications: Notification[] } {
  const touched = new Set<string>();
  const notifications: Notification[] = [];
  for (const entry of trace) {
    if (!entry.actor.startsWith('INC-')) continue;
    touched.add(entry.actor);
    const kind = notificationOf(entry);
    if (!kind) continue;
    const incident = engine.incidents.find((i) => i.id === entry.actor);
    const c = incident?.actor.getSnapshot().context;
    const to = kind === 'page' ? pagedPeople(engine.config.escalation) : [];
    const why =
      incident && (kind === 'page' || kind === 'ticket' || kind === 'escalate')
        ? whyOf(engine, incident, kind)
        : null;
    notifications.push({
      key: `${entry.actor}/${kind}`,
      incident: entry.actor,
      kind,
      t: entry.t,
      severity: c?.severity ?? null,
      summary: `${entry.actor} ${c?.input.type || 'incident'} on ${c?.input.service ?? '?'}: ${kind}`,
      ...(to.length > 0 ? { to } : {}),
      ...(why ? { why } : {}),
    });
  }
  notifications.push(...rolloutNotices(engine.release, trace));
  const incidents: IncidentRow[] = [];
  for (const id of touched) {
    const incident = engine.incidents[Number(id.slice(4)) - 1];
    if (!incident) continue;
    const record = incidentRecord(engine, incident);
    incidents.push({ id, state: record.state, severity: record.severity, openedAt: record.openedAt, record });
  }
  return { incidents, notifications };
}

/** A page still unacknowledged reaches the next level of the escalation policy. */
export function escalationNotice(incident: EngineIncident, step: EscalationStep): Notification {
  const c = incident.actor.getSnapshot().context;
  const who = step.notify.join(', ');
  return {
    key: `${incident.id}/escalate/${step.pass}.${step.level}`,
    incident: incident.id,
    kind: 'escalate',
    t: step.at,
    severity: c.severity,
    summary: `${incident.id} ${c.input.type || 'incident'} on ${c.input.service}: not acknowledged, escalated to level ${step.level} (${who})${step.pass > 1 ? `, pass ${step.pass}` : ''}`,
    to: step.notify,
    why: `not acknowledged ${step.at - (c.milestones.paged ?? step.at)} min after the page at minute ${c.milestones.paged}: level ${step.level} of the escalation policy${step.pass > 1 ? `, pass ${step.pass}` : ''}`,
  };
}

/** An incident as a decision record reads it, and the settings it ran under. */
function decided(
  engine: Engine,
  incident: EngineIncident,
): { incident: DecidedIncident; settings: Settings } {
  const snapshot = incident.actor.getSnapshot();
  const c = snapshot.context;
  const { config } = engine;
  const ship = c.ship
    ? { ...c.ship, ...(engine.shipReports.get(incident.id) ?? { report: null, checks: [] }) }
    : null;
  return {
    incident: {
      id: incident.id,
      state: stateName(snapshot.value),
      severity: c.severity,
      detection: c.detection,
      milestones: c.milestones,
      plays: c.plays,
      escalation: c.escalation,
      ship,
    },
    settings: {
      alerting: config.alerting,
      canary: config.canary,
      escalation: config.escalation,
      objective: config.objectives[incident.type?.sli ?? ''] ?? c.input.objective,
    },
  };
}

/** Every decision about an incident so far, with its guard, inputs and thresholds (the live API's). */
export function incidentDecisions(engine: Engine, incident: EngineIncident): Decision[] {
  const { incident: d, settings } = decided(engine, incident);
  return decisionsOf(d, engine.trace.entries, settings);
}

/** What decided an incident's page, ticket or escalation, in one line. */
function whyOf(
  engine: Engine,
  incident: EngineIncident,
  kind: 'page' | 'ticket' | 'escalate',
): string | null {
  const { incident: d, settings } = decided(engine, incident);
  return reasonOf(d, engine.trace.entries, settings, kind === 'escalate' ? 'escalation' : kind);
}
