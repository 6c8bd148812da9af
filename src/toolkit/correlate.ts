import { type Alert, DEFAULT_EPOCH, type Labels, parseTimestamp } from './alerts.js';

/** One incident: the alerts that share the group-by label values (and, with a gap, a stretch of time). */
export interface AlertGroup {
  /** The group's label tuple, Alertmanager style: `{service="agent",alertname="HighErrorRate"}`. */
  key: string;
  /** Only the group-by labels; a label an alert lacks is "" (Prometheus treats absent and empty alike). */
  labels: Labels;
  /** Distinct alerts (label sets), not alerts posted. */
  count: number;
  /** Sorted. */
  fingerprints: string[];
  /** Sim minutes. */
  startsAt: number;
  endsAt: number;
  /** Sorted, distinct. */
  alertnames: string[];
}

export interface Correlation {
  group_by: string[];
  /** Alerts received, re-sent duplicates included. */
  posted: number;
  /** Distinct label sets among them. */
  distinct: number;
  /** Sorted by the group-by values in group_by order, then by startsAt. */
  groups: AlertGroup[];
}

export interface CorrelateOptions {
  groupBy: string[];
  /**
   * Minutes of quiet after which the same key opens a new incident. Without it a key is one group
   * for the whole input, as in Alertmanager while the group stays active.
   */
  gapMinutes?: number;
  /** Sim minute 0; timestamps are read as minutes from here. */
  epoch?: string;
}

interface Incident {
  startsAt: number;
  endsAt: number;
  fingerprints: Set<string>;
  alertnames: Set<string>;
  /** The alertname added last: a group usually repeats one, and the Set need not be asked again. */
  lastAlertname: string | undefined;
  /** The minute its incident ended (see `seal`): an alert that starts later opens a new incident. */
  sealedAt?: number;
}

/** A correlator as plain data (see `Correlator.save`). */
export interface SavedCorrelation {
  posted: number;
  states: {
    values: string[];
    incidents: {
      startsAt: number;
      endsAt: number;
      fingerprints: string[];
      alertnames: string[];
      sealedAt?: number;
    }[];
    /** How many of the first incidents are sealed and passed (none when absent). */
    retired?: number;
  }[];
  refs: [number, number][];
}

/** An opaque handle on one group of a Correlator, for an online intake to follow its group. */
export type GroupRef = { readonly __brand: 'GroupRef' };

interface KeyState {
  values: string[];
  /** Sorted by startsAt; any two are more than the gap apart, so their endsAt are sorted too. */
  incidents: Incident[];
  /**
   * The incident when there is exactly one, as there nearly always is: an alert that joins it is
   * placed without reading the list (in a storm every group is a cold load, and the list one more).
   */
  only: Incident | null;
  /** Sealed incidents an alert started after: kept for the result, out of every alert's way. */
  retired: Incident[];
}

const MINUTE_CACHE_SIZE = 65536;

/** One map per group-by label; the last one holds the states. */
type Level = Map<string, Level | KeyState>;

/**
 * A label's value, or "" when the alert lacks it: only the alert's own labels count, so grouping by
 * `constructor` or `toString` finds "" rather than what every object inherits.
 */
const labelValue = (labels: Labels, name: string): string =>
  Object.hasOwn(labels, name) ? (labels[name] as string) : '';

/** Two value tuples of the same group_by, in code-unit order (not localeCompare: the output must not depend on the machine's locale). */
function compareValues(a: readonly string[], b: readonly string[]): number {
  for (const [i, x] of a.entries()) {
    const y = b[i] as string;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

function union<T>(sets: Set<T>[]): Set<T> {
  // Stryker disable next-line ConditionalExpression: a shortcut (no copy of a lone set); the loop gives the same set
  if (sets.length === 1 && sets[0]) return sets[0];
  const all = new Set<T>();
  for (const set of sets) for (const item of set) all.add(item);
  return all;
}

// Stryker disable all: a digit read as -1 (not hex) only sends the sort to its plain fallback.
function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  return code >= 97 && code <= 102 ? code - 87 : -1;
}
// Stryker restore all

/**
 * Sorts fingerprints as strings. A big group (a storm of distinct alerts) is bucketed on its first
 * four hex digits first: hashes spread evenly, so the buckets are tiny and the whole runs several
 * times faster than a comparison sort of strings. Anything whose first four characters are not
 * lowercase hex (a short string reads NaN there) falls back to the plain sort, and so does a bucket
 * that turns out crowded.
 *
 * The `Stryker disable` lines mark mutants that change only speed: the fallback taken more or less
 * often, everything crowded into one bucket, a bucket sorted the other way, a loop one past the end
 * of a typed array. test/correlate-edges.test.ts pins the order itself.
 */
function sortFingerprints(list: string[]): string[] {
  const n = list.length;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: the plain sort is the fallback
  if (n < 1024) return list.sort();
  const bucketOf = new Uint16Array(n);
  // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: all in bucket 0
  for (let i = 0; i < n; i++) {
    const fp = list[i] as string;
    let bucket = 0;
    // Stryker disable next-line ConditionalExpression,EqualityOperator,UpdateOperator,BlockStatement: a coarser bucket
    for (let j = 0; j < 4; j++) {
      const digit = hexDigit(fp.charCodeAt(j));
      // Stryker disable next-line ConditionalExpression,EqualityOperator: the fallback, for a hex digit too
      if (digit < 0) return list.sort();
      bucket = (bucket << 4) | digit;
    }
    bucketOf[i] = bucket;
  }
  const bounds = new Uint32Array(65537);
  // Stryker disable next-line EqualityOperator: bucketOf[n] is undefined, bounds[NaN] no slot
  for (let i = 0; i < n; i++) {
    const slot = (bucketOf[i] as number) + 1;
    bounds[slot] = (bounds[slot] as number) + 1;
  }
  for (let b = 1; b <= 65536; b++) bounds[b] = (bounds[b] as number) + (bounds[b - 1] as number);
  const next = bounds.slice(0, 65536);
  // Stryker disable next-line ArrayDeclaration,EqualityOperator: the array grows; list[n] lands on no slot read
  const sorted = new Array<string>(n);
  // Stryker disable next-line EqualityOperator
  for (let i = 0; i < n; i++) {
    const bucket = bucketOf[i] as number;
    sorted[next[bucket] as number] = list[i] as string;
    next[bucket] = (next[bucket] as number) + 1;
  }
  // Stryker disable next-line EqualityOperator: bucket 65536 is empty
  for (let b = 0; b < 65536; b++) {
    const from = bounds[b] as number;
    const to = bounds[b + 1] as number;
    // Stryker disable next-line all: which of two correct sorts a bucket gets
    if (to - from > 32) {
      const crowded = sorted.slice(from, to).sort();
      for (let i = from; i < to; i++) sorted[i] = crowded[i - from] as string;
      continue;
    }
    // Stryker disable next-line ArithmeticOperator: from - 1 reaches into a smaller bucket, moving nothing
    for (let i = from + 1; i < to; i++) {
      const fp = sorted[i] as string;
      let j = i - 1;
      // Stryker disable next-line ConditionalExpression,EqualityOperator: the bucket before is smaller; fingerprints are distinct
      while (j >= from && (sorted[j] as string) > fp) {
        sorted[j + 1] = sorted[j] as string;
        j--;
      }
      sorted[j + 1] = fp;
    }
  }
  return sorted;
}
// Stryker restore all

/**
 * Groups alerts as they stream in. It keeps, per incident, only the fingerprints and alertnames its
 * output needs, never the alerts themselves, so a million-alert file costs the groups and no more.
 * The result does not depend on the order alerts arrive in: a late alert that bridges two incidents
 * of the same key merges them.
 */
export class Correlator {
  private readonly groupBy: string[];
  private readonly gap: number;
  private readonly epochMs: number;
  private readonly root: Level = new Map();
  private readonly states: KeyState[] = [];
  // Alerts of a storm share a few thousand timestamps at most: a lookup is cheaper than parsing again.
  private readonly minutes = new Map<string, number>();
  private posted = 0;

  constructor(options: CorrelateOptions) {
    this.groupBy = [...options.groupBy];
    this.gap = options.gapMinutes ?? Number.POSITIVE_INFINITY;
    if (!(this.gap >= 0)) throw new RangeError(`gapMinutes must be >= 0 (got ${options.gapMinutes})`);
    const epoch = options.epoch ?? DEFAULT_EPOCH;
    this.epochMs = parseTimestamp(epoch);
    if (Number.isNaN(this.epochMs))
      throw new RangeError(`epoch is not an RFC3339 timestamp: ${JSON.stringify(epoch)}`);
  }

  add(alert: Alert): void {
    this.place(alert, this.stateOf(alert.labels));
  }

  /**
   * Groups one alert as it arrives and says which group took it, and whether the alert opened it: an
   * online intake opens an incident per new group. Alerts that arrive in start order never merge groups.
   */
  admit(alert: Alert): { group: GroupRef; opened: boolean } {
    const state = this.stateOf(alert.labels);
    const incident = this.place(alert, state);
    return { group: { state, incident } as unknown as GroupRef, opened: this.opened };
  }

  /** Whether the last alert placed opened its incident. */
  private opened = false;

  /** Puts the alert in its incident of `state` (its value tuple's), opening or merging incidents. */
  private place(alert: Alert, state: KeyState): Incident {
    const startsAt = this.minute(alert.startsAt);
    // Alertmanager sends the zero time as endsAt of an alert still firing: it lasts at least to its start.
    const endsAt = Math.max(startsAt, this.minute(alert.endsAt));
    this.posted++;
    const latest = state.only ?? state.incidents[state.incidents.length - 1];
    if (latest?.sealedAt !== undefined && startsAt > latest.sealedAt) this.retire(state);
    const { only } = state;
    let incident: Incident;
    // Stryker disable next-line ConditionalExpression,EqualityOperator,LogicalOperator,ArithmeticOperator: a narrower test only takes the fast path less often (incidentFor finds the same incident)
    if (only !== null && only.startsAt <= endsAt + this.gap && only.endsAt + this.gap >= startsAt) {
      // What incidentFor does with one incident in reach: widen it.
      only.startsAt = Math.min(only.startsAt, startsAt);
      only.endsAt = Math.max(only.endsAt, endsAt);
      incident = only;
    } else {
      incident = this.incidentFor(state.incidents, startsAt, endsAt);
      // Stryker disable next-line ConditionalExpression,EqualityOperator: without it only the fast path is lost
      state.only = state.incidents.length === 1 ? (state.incidents[0] as Incident) : null;
    }
    this.opened = incident.fingerprints.size === 0;
    incident.fingerprints.add(alert.fingerprint);
    const alertname = alert.labels.alertname;
    // Stryker disable next-line ConditionalExpression: lastAlertname only spares a Set add of a name it holds
    if (alertname !== undefined && alertname !== incident.lastAlertname) {
      incident.alertnames.add(alertname);
      incident.lastAlertname = alertname;
    }
    return incident;
  }

  /**
   * The incident behind `ref` is over at `minute` (its engine incident resolved): an alert of its key
   * that starts later opens a new incident, as Alertmanager starts a new notification group once a
   * group is flushed; one that started by then (a re-send of an alert that fired all along) joins it.
   */
  seal(ref: GroupRef, minute: number): void {
    (ref as unknown as { incident: Incident }).incident.sealedAt = minute;
  }

  /** A key's incidents are all sealed and an alert starts after them: they step out of its way. */
  private retire(state: KeyState): void {
    state.retired.push(...state.incidents);
    state.incidents = [];
    state.only = null;
  }

  /** Whether two references `admit` gave are to the same incident. */
  sameGroup(a: GroupRef, b: GroupRef): boolean {
    return (
      (a as unknown as { incident: Incident }).incident === (b as unknown as { incident: Incident }).incident
    );
  }

  /** The group behind a reference `admit` gave, as it stands now. */
  groupOf(ref: GroupRef): AlertGroup {
    const { state, incident } = ref as unknown as { state: KeyState; incident: Incident };
    return this.toGroup(state.values, incident);
  }

  /** How many alerts were posted, and how many distinct label sets they carried. */
  counts(): { posted: number; distinct: number } {
    let distinct = 0;
    for (const { incidents, retired } of this.states)
      distinct += union([...retired, ...incidents].map((i) => i.fingerprints)).size;
    return { posted: this.posted, distinct };
  }

  private toGroup(values: string[], incident: Incident): AlertGroup {
    const labels: Labels = {};
    // A state's values have the group_by's length: the tuple read from its alert.
    for (const [i, name] of this.groupBy.entries()) labels[name] = values[i] as string;
    const pairs = this.groupBy.map((name, i) => `${name}=${JSON.stringify(values[i])}`);
    return {
      key: `{${pairs.join(',')}}`,
      labels,
      count: incident.fingerprints.size,
      fingerprints: sortFingerprints([...incident.fingerprints]),
      startsAt: incident.startsAt,
      endsAt: incident.endsAt,
      alertnames: [...incident.alertnames].sort(),
    };
  }

  result(): Correlation {
    const entries: { values: string[]; group: AlertGroup }[] = [];
    for (const { values, incidents, retired } of this.states) {
      for (const incident of [...retired, ...incidents])
        entries.push({ values, group: this.toGroup(values, incident) });
    }
    entries.sort((a, b) => compareValues(a.values, b.values) || a.group.startsAt - b.group.startsAt);
    const groups = entries.map((entry) => entry.group);
    return { group_by: [...this.groupBy], ...this.counts(), groups };
  }

  /**
   * The correlator's state as plain data, for a checkpoint, with each of `refs` as a position in it;
   * `Correlator.restore` gives back the same correlator and the same refs.
   */
  save(refs: readonly GroupRef[]): SavedCorrelation {
    const at = refs.map((ref) => {
      const { state, incident } = ref as unknown as { state: KeyState; incident: Incident };
      const all = [...state.retired, ...state.incidents];
      return [this.states.indexOf(state), all.indexOf(incident)] as [number, number];
    });
    return {
      posted: this.posted,
      states: this.states.map(({ values, incidents, retired }) => ({
        values,
        incidents: [...retired, ...incidents].map((i) => ({
          startsAt: i.startsAt,
          endsAt: i.endsAt,
          fingerprints: [...i.fingerprints],
          alertnames: [...i.alertnames],
          ...(i.sealedAt !== undefined ? { sealedAt: i.sealedAt } : {}),
        })),
        ...(retired.length > 0 ? { retired: retired.length } : {}),
      })),
      refs: at,
    };
  }

  static restore(
    options: CorrelateOptions,
    saved: SavedCorrelation,
  ): { correlator: Correlator; refs: GroupRef[] } {
    const correlator = new Correlator(options);
    correlator.posted = saved.posted;
    for (const { values, incidents, retired } of saved.states) {
      const labels: Labels = {};
      correlator.groupBy.forEach((name, i) => {
        labels[name] = values[i] ?? '';
      });
      const state = correlator.stateOf(labels);
      for (const [n, i] of incidents.entries()) {
        (n < (retired ?? 0) ? state.retired : state.incidents).push({
          startsAt: i.startsAt,
          endsAt: i.endsAt,
          fingerprints: new Set(i.fingerprints),
          alertnames: new Set(i.alertnames),
          lastAlertname: undefined,
          ...(i.sealedAt !== undefined ? { sealedAt: i.sealedAt } : {}),
        });
      }
      // Stryker disable next-line ConditionalExpression,EqualityOperator: without it only the fast path is lost
      state.only = state.incidents.length === 1 ? (state.incidents[0] as Incident) : null;
    }
    const refs = saved.refs.map(([s, i]) => {
      const state = correlator.states[s] as KeyState;
      return { state, incident: [...state.retired, ...state.incidents][i] } as unknown as GroupRef;
    });
    return { correlator, refs };
  }

  private minute(ts: string): number {
    let minute = this.minutes.get(ts);
    // Stryker disable next-line ConditionalExpression: a cache; a miss computes the same minute
    if (minute !== undefined) return minute;
    const ms = parseTimestamp(ts);
    if (Number.isNaN(ms)) throw new RangeError(`not an RFC3339 timestamp: ${JSON.stringify(ts)}`);
    minute = (ms - this.epochMs) / 60000;
    // Bounded, so alerts that all start at different instants cannot grow it without end.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: when the cache empties changes speed, not minutes
    if (this.minutes.size >= MINUTE_CACHE_SIZE) this.minutes.clear();
    this.minutes.set(ts, minute);
    return minute;
  }

  /**
   * The state of an alert's value tuple, found through one map level per group-by label: looking up
   * the label values as they are is cheaper than building a joined key string for every alert.
   */
  private stateOf(labels: Labels): KeyState {
    const { groupBy } = this;
    let level = this.root;
    // Stryker disable next-line EqualityOperator: one more level, the same on every lookup, finds the same state
    for (let i = 0; i < groupBy.length - 1; i++) {
      const value = labelValue(labels, groupBy[i] as string);
      let next = level.get(value) as Level | undefined;
      if (!next) {
        next = new Map();
        level.set(value, next);
      }
      level = next;
    }
    // Stryker disable next-line StringLiteral: with no group_by every alert shares one key, whatever it is
    const value = groupBy.length === 0 ? '' : labelValue(labels, groupBy[groupBy.length - 1] as string);
    let state = level.get(value) as KeyState | undefined;
    if (!state) {
      state = {
        values: groupBy.map((name) => labelValue(labels, name)),
        incidents: [],
        only: null,
        retired: [],
      };
      level.set(value, state);
      this.states.push(state);
    }
    return state;
  }

  /**
   * The incident an alert spanning [startsAt, endsAt] joins: every incident it comes within the gap of
   * is merged into one, or a new incident opens when there is none.
   */
  private incidentFor(incidents: Incident[], startsAt: number, endsAt: number): Incident {
    let last = incidents.length - 1;
    while (last >= 0 && (incidents[last] as Incident).startsAt > endsAt + this.gap) last--;
    let first = last;
    while (first >= 0 && (incidents[first] as Incident).endsAt + this.gap >= startsAt) first--;
    first++;
    if (first > last) {
      const opened: Incident = {
        startsAt,
        endsAt,
        fingerprints: new Set(),
        alertnames: new Set(),
        lastAlertname: undefined,
      };
      incidents.splice(first, 0, opened);
      return opened;
    }
    const merged = incidents[first] as Incident;
    // Nearly every alert joins one incident and merges none: skip the splice and its empty array.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: splice(first + 1, 0) is [] too
    const absorbed = first < last ? incidents.splice(first + 1, last - first) : [];
    for (const other of absorbed) {
      for (const fp of other.fingerprints) merged.fingerprints.add(fp);
      for (const name of other.alertnames) merged.alertnames.add(name);
      merged.endsAt = Math.max(merged.endsAt, other.endsAt);
    }
    merged.startsAt = Math.min(merged.startsAt, startsAt);
    merged.endsAt = Math.max(merged.endsAt, endsAt);
    return merged;
  }
}

/** Alertmanager's group_by over a batch of alerts: one group per distinct tuple of group-by values. */
export function correlate(alerts: Iterable<Alert>, options: CorrelateOptions): Correlation {
  const correlator = new Correlator(options);
  for (const alert of alerts) correlator.add(alert);
  return correlator.result();
}
