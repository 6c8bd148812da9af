import { InputError } from '../toolkit/errors.js';
import { thousands } from '../toolkit/schema-errors.js';
import type { Scenario } from './scenario.js';
import { DEFAULT_INSTANCES } from './storm.js';

/**
 * The limits of a scenario. A drill runs minute by minute and keeps what each minute produced, so
 * every field that sets how long it runs or how much it holds has a bound, stated in its message.
 */
export const LIMITS = {
  /** 30 days, the SLO window: the latest minute any event may happen at, and the longest span. */
  minute: 43_200,
  /** A 30-day window plus the day the drill runs past its last event to see alerts clear. */
  shiftMinutes: 44_640,
  requestsPerMinute: 1_000_000_000,
  questions: 1_000,
  releases: 1_000,
  /** Checked once per sim minute each, so their count multiplies the length of the shift. */
  timelineEvents: 1_000,
  tickets: 1_000,
  listedAlerts: 10_000,
  stormAlerts: 2_000_000,
  stormServices: 10_000,
  instances: 1_000,
  alertnames: 100,
  incidentTypes: 100,
  runbookSteps: 20,
  retries: 10,
  /** Incidents are actors looked at every sim minute: their number times the minutes is the drill's work. */
  incidents: 50_000,
  incidentMinutes: 300_000_000,
  /** Lists of names, words and rules. */
  list: 1_000,
  seed: 2 ** 32 - 1,
} as const;

/**
 * The most incidents the storm can open: one per distinct tuple of group-by values the generated
 * alerts can take (never more than there are alerts), a piece per quiet gap the spread leaves room
 * for, and one per listed alert.
 */
export function incidentBound(s: Scenario): number {
  const { storm } = s;
  const tuples = storm.services.reduce((sum, service) => {
    // How many values each label of a generated alert takes for this service; any other label is "".
    const values = new Map([
      ['alertname', service.alertnames.length],
      ['instance', service.instances ?? DEFAULT_INSTANCES],
      ['severity', 2],
    ]);
    return sum + storm.groupBy.reduce((product, label) => product * (values.get(label) ?? 1), 1);
  }, 0);
  const gap = storm.gapMinutes;
  const pieces = gap === undefined ? 1 : 1 + Math.floor(storm.spreadMinutes / (storm.durationMinutes + gap));
  return Math.min(storm.alerts, tuples * pieces) + storm.listed.length;
}

/** The last minute a drill may run to, and the field that sets it. */
export function shiftEnd(s: Scenario): { minute: number; field: string } {
  if (s.until !== undefined) return { minute: s.until, field: 'until' };
  const { storm } = s;
  const events: [number, string][] = [
    [0, 'until'],
    ...s.timeline.map((e, i): [number, string] => [e.at, `timeline[${i}].at`]),
    ...s.tickets.map((t, i): [number, string] => [t.at, `tickets[${i}].at`]),
    ...storm.listed.map((a, i): [number, string] => [a.at + a.durationMinutes, `storm.listed[${i}]`]),
  ];
  if (storm.alerts > 0) {
    const spans: [number, string][] = [
      [storm.startMinute, 'storm.startMinute'],
      [storm.spreadMinutes, 'storm.spreadMinutes'],
      [storm.durationMinutes, 'storm.durationMinutes'],
    ];
    const longest = spans.reduce((a, b) => (b[0] > a[0] ? b : a));
    events.push([storm.startMinute + storm.spreadMinutes + storm.durationMinutes, longest[1]]);
  }
  const [minute, field] = events.reduce((latest, event) => (event[0] > latest[0] ? event : latest));
  // Without `until` the drill runs a day past its last event, to see alerts clear.
  return { minute: minute + 1440, field };
}

/**
 * Refuses, before any work, a scenario whose drill would run past its limits: too long a shift,
 * too many incidents, or both at once (each incident is looked at every minute).
 */
export function checkWork(s: Scenario, file: string): void {
  const end = shiftEnd(s);
  if (end.minute > LIMITS.shiftMinutes) {
    const why = `runs the shift to minute ${thousands(end.minute)}, past the longest shift (${thousands(LIMITS.shiftMinutes)} minutes: 30 days and one to settle)`;
    throw new InputError(why, file, end.field);
  }
  const incidents = incidentBound(s);
  if (incidents > LIMITS.incidents) {
    const why = `can open up to ${thousands(incidents)} incidents (storm.groupBy [${s.storm.groupBy.join(', ')}] over ${thousands(s.storm.services.length)} services); a drill opens at most ${thousands(LIMITS.incidents)}: group by fewer labels or use fewer services`;
    throw new InputError(why, file, 'storm');
  }
  const work = incidents * end.minute;
  if (work > LIMITS.incidentMinutes) {
    const why = `${thousands(incidents)} incidents over ${thousands(end.minute)} minutes is ${thousands(work)} incident-minutes, more than a drill runs (${thousands(LIMITS.incidentMinutes)}): end the shift earlier or open fewer incidents`;
    throw new InputError(why, file, 'storm');
  }
}
