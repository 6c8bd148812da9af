import { InputError } from './errors.js';
import { describeValue } from './schema-errors.js';

/** A label set, as Prometheus and Alertmanager keep it: names to string values. */
export type Labels = Record<string, string>;

/** An alert in Alertmanager's shape; timestamps are RFC3339 strings, as its API sends them. */
export interface Alert {
  labels: Labels;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
}

/** Sim minute 0 of a shift. Any fixed instant would do; it only has to be the same on every run. */
export const DEFAULT_EPOCH = '2026-01-01T00:00:00Z';

// FNV-1a 64-bit, kept as two unsigned 32-bit halves: BigInt arithmetic allocates per step and is
// many times slower, and fingerprinting sits on the hot path of a million-alert storm.
const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;
// The prime is 2^40 + 0x1b3, so multiplying by it is `h * 0x1b3 + (h << 40)`.
const PRIME_LO = 0x1b3;
// Alertmanager (prometheus/common model.SeparatorByte) ends every name and value with this byte,
// which never occurs in UTF-8, so `a=bc` and `ab=c` hash differently.
const SEPARATOR = 0xff;

// The running hash lives in a two-slot typed array rather than being returned as a pair, so hashing
// a million label sets allocates nothing per byte or per string. Signed halves: read from an
// Int32Array they stay 32-bit integers in the optimised loop, where a Uint32Array's values above 2^31
// would turn every step into floating point (with them, fingerprinting took 420 ns a label set, not 226).
const hash = new Int32Array(2);

/**
 * What `lo * 0x1b3` carries into the high half: its bits above 32, from the two 16-bit halves of `lo`
 * (each product fits in 32 bits). Integer steps only: no double product and float division a byte.
 */
const carryOf = (lo: number): number => ((lo >>> 16) * PRIME_LO + (((lo & 0xffff) * PRIME_LO) >>> 16)) >>> 16;

function addByte(byte: number): void {
  const lo = (hash[1] as number) ^ byte;
  hash[0] = Math.imul(hash[0] as number, PRIME_LO) + carryOf(lo) + (lo << 8);
  hash[1] = Math.imul(lo, PRIME_LO);
}

/** Non-ASCII text: hashes its UTF-8 bytes without encoding it into a buffer first. */
function addUtf8(text: string, from: number): void {
  for (let i = from; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      addByte(code);
    } else if (code < 0x800) {
      addByte(0xc0 | (code >> 6));
      addByte(0x80 | (code & 0x3f));
    } else {
      const next = text.charCodeAt(i + 1);
      if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
        addByte(0xf0 | (code >> 18));
        addByte(0x80 | ((code >> 12) & 0x3f));
      } else {
        // A lone surrogate is not valid UTF-8; Go turns it into U+FFFD when converting to bytes.
        if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
        addByte(0xe0 | (code >> 12));
      }
      addByte(0x80 | ((code >> 6) & 0x3f));
      addByte(0x80 | (code & 0x3f));
    }
  }
}

/** Hashes `text`, then the separator; the ASCII loop is inlined: label sets are nearly always ASCII. */
function addField(text: string): void {
  let hi = hash[0] as number;
  let lo = hash[1] as number;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) {
      hash[0] = hi;
      hash[1] = lo;
      addUtf8(text, i);
      addByte(SEPARATOR);
      return;
    }
    lo ^= code;
    hi = (Math.imul(hi, PRIME_LO) + carryOf(lo) + (lo << 8)) | 0;
    lo = Math.imul(lo, PRIME_LO);
  }
  hash[0] = hi;
  hash[1] = lo;
  addByte(SEPARATOR);
}

const HEX_DIGITS = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));

const hexDigit = (n: number, shift: number): number => HEX_DIGITS[(n >>> shift) & 0xf] as number;

/**
 * The 16 hex digits of the hash as one flat string. Concatenating pieces would make a rope that every
 * Set or Map holding the fingerprint has to flatten before it can hash it; a storm adds a million.
 */
function hex64(hi: number, lo: number): string {
  return String.fromCharCode(
    hexDigit(hi, 28),
    hexDigit(hi, 24),
    hexDigit(hi, 20),
    hexDigit(hi, 16),
    hexDigit(hi, 12),
    hexDigit(hi, 8),
    hexDigit(hi, 4),
    hexDigit(hi, 0),
    hexDigit(lo, 28),
    hexDigit(lo, 24),
    hexDigit(lo, 20),
    hexDigit(lo, 16),
    hexDigit(lo, 12),
    hexDigit(lo, 8),
    hexDigit(lo, 4),
    hexDigit(lo, 0),
  );
}

/** Go sorts names bytewise; UTF-16 order only differs from it above U+FFFF, which label names never reach. */
function sortNames(names: string[]): void {
  // Label sets usually arrive sorted (Go marshals maps in key order): one linear pass sees that and
  // skips the sort; anything else is sorted in O(n log n), however many labels it has.
  for (let i = 1; i < names.length; i++) {
    if ((names[i - 1] as string) > (names[i] as string)) {
      names.sort();
      return;
    }
  }
}

/**
 * Alertmanager's fingerprint of a label set (prometheus/common `LabelSet.Fingerprint`): FNV-1a 64
 * over the label names in sorted order, each name and value followed by 0xff; 16 lowercase hex digits.
 */
export function fingerprint(labels: Labels): string {
  const names = Object.keys(labels);
  sortNames(names);
  hash[0] = OFFSET_HI;
  hash[1] = OFFSET_LO;
  for (const name of names) {
    addField(name);
    addField(labels[name] ?? '');
  }
  return hex64(hash[0] as number, hash[1] as number);
}

function digit(text: string, at: number): number {
  const d = text.charCodeAt(at) - 48;
  return d >= 0 && d <= 9 ? d : Number.NaN;
}

function twoDigits(text: string, at: number): number {
  return digit(text, at) * 10 + digit(text, at + 1);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Milliseconds since the Unix epoch of an RFC3339 timestamp, or NaN when it is not one.
 * Hand-parsed because Date.parse is lenient (it accepts February 31st and 24:00) and, at a few
 * hundred nanoseconds a call, too slow for a million-alert file.
 */
export function parseTimestamp(ts: string): number {
  if (ts.length < 20) return Number.NaN;
  const year = digit(ts, 0) * 1000 + digit(ts, 1) * 100 + twoDigits(ts, 2);
  const month = twoDigits(ts, 5);
  const day = twoDigits(ts, 8);
  const hour = twoDigits(ts, 11);
  const minute = twoDigits(ts, 14);
  const second = twoDigits(ts, 17);
  const t = ts.charCodeAt(10);
  if (
    ts.charCodeAt(4) !== 45 ||
    ts.charCodeAt(7) !== 45 ||
    ts.charCodeAt(13) !== 58 ||
    ts.charCodeAt(16) !== 58
  )
    return Number.NaN;
  if (t !== 84 && t !== 116 && t !== 32) return Number.NaN; // 'T', 't' or ' ' (RFC3339 section 5.6)
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month))) return Number.NaN;
  if (!(hour <= 23 && minute <= 59 && second <= 59)) return Number.NaN;
  let at = 19;
  let millis = 0;
  if (ts.charCodeAt(at) === 46) {
    // Go writes nanoseconds; milliseconds are all a sim minute needs, the rest must still be digits.
    const start = ++at;
    while (at < ts.length && digit(ts, at) >= 0) {
      if (at - start < 3) millis += digit(ts, at) * 10 ** (2 - (at - start));
      at++;
    }
    if (at === start) return Number.NaN;
  }
  let offsetMinutes = 0;
  const zone = ts.charCodeAt(at);
  if (zone === 90 || zone === 122) {
    at++;
  } else if (zone === 43 || zone === 45) {
    const offsetHour = twoDigits(ts, at + 1);
    const offsetMinute = twoDigits(ts, at + 4);
    if (ts.charCodeAt(at + 3) !== 58 || !(offsetHour <= 23 && offsetMinute <= 59)) return Number.NaN;
    offsetMinutes = (zone === 43 ? 1 : -1) * (offsetHour * 60 + offsetMinute);
    at += 6;
  } else {
    return Number.NaN;
  }
  if (at !== ts.length) return Number.NaN;
  const days = daysFromCivil(year, month, day);
  return ((days * 24 + hour) * 60 + minute - offsetMinutes) * 60000 + second * 1000 + millis;
}

function epochMillis(epoch: string): number {
  const ms = parseTimestamp(epoch);
  if (Number.isNaN(ms)) throw new RangeError(`epoch is not an RFC3339 timestamp: ${JSON.stringify(epoch)}`);
  return ms;
}

/** The RFC3339 UTC timestamp of a sim minute, to the millisecond; whole seconds print without a fraction. */
export function minuteToTimestamp(minute: number, epoch: string = DEFAULT_EPOCH): string {
  const iso = new Date(Math.round(epochMillis(epoch) + minute * 60000)).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** The sim minute of an RFC3339 timestamp (fractional when it falls between minutes). */
export function timestampToMinute(ts: string, epoch: string = DEFAULT_EPOCH): number {
  const ms = parseTimestamp(ts);
  if (Number.isNaN(ms)) throw new RangeError(`not an RFC3339 timestamp: ${JSON.stringify(ts)}`);
  return (ms - epochMillis(epoch)) / 60000;
}

export function makeAlert(
  labels: Labels,
  annotations: Record<string, string>,
  startsAtMinute: number,
  endsAtMinute: number,
  epoch: string = DEFAULT_EPOCH,
): Alert {
  return {
    labels,
    annotations,
    startsAt: minuteToTimestamp(startsAtMinute, epoch),
    endsAt: minuteToTimestamp(endsAtMinute, epoch),
    fingerprint: fingerprint(labels),
  };
}

/**
 * Identical label sets are one alert, as Alertmanager merges re-sent alerts: the merged alert spans
 * from the earliest startsAt to the latest endsAt and keeps the first annotations seen.
 * Order of the result is the order in which each label set first appeared.
 */
export function dedup(alerts: Iterable<Alert>): Alert[] {
  const byFingerprint = new Map<string, { alert: Alert; starts: number; ends: number }>();
  for (const alert of alerts) {
    const starts = parseTimestamp(alert.startsAt);
    const ends = parseTimestamp(alert.endsAt);
    const seen = byFingerprint.get(alert.fingerprint);
    if (!seen) {
      byFingerprint.set(alert.fingerprint, { alert: { ...alert }, starts, ends });
      continue;
    }
    if (starts < seen.starts) {
      seen.starts = starts;
      seen.alert.startsAt = alert.startsAt;
    }
    if (ends > seen.ends) {
      seen.ends = ends;
      seen.alert.endsAt = alert.endsAt;
    }
  }
  return [...byFingerprint.values()].map((entry) => entry.alert);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A name that would set an object's prototype instead of adding an entry: a label set holding it
 * would read labels it does not have (an alert without `service` grouping as whatever it says).
 */
export const FORBIDDEN_NAME = '__proto__';

function stringMap(value: unknown, field: string): Record<string, string> {
  if (!isPlainObject(value) || Object.getPrototypeOf(value) !== Object.prototype)
    throw new InputError('must be an object of strings', undefined, field);
  // Own names only: anything inherited is not part of the label set.
  for (const name of Object.keys(value)) {
    if (name === FORBIDDEN_NAME)
      throw new InputError('is not allowed as a name', undefined, `${field}.${name}`);
    if (typeof value[name] !== 'string')
      throw new InputError(
        `must be a string (got ${describeValue(value[name])})`,
        undefined,
        `${field}.${name}`,
      );
  }
  return value as Record<string, string>;
}

/** Go's zero time.Time: how Alertmanager writes a time that is not set (the endsAt of an alert still firing). */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Alertmanager's `resolve_timeout` default: an alert sent without endsAt fires this long unless sent again. */
export const DEFAULT_RESOLVE_TIMEOUT_MINUTES = 5;

const ZERO_MS = parseTimestamp(ZERO_TIME);

/**
 * Whether a valid timestamp is Go's zero time: Alertmanager's way of leaving a time unset. Only a year
 * before 1000 can be within a day of it, so any other is told apart by its first digit, without parsing
 * (an alert file asks this of every time it holds).
 */
export function isZeroTime(ts: string): boolean {
  return ts.charCodeAt(0) === 48 && parseTimestamp(ts) === ZERO_MS;
}

/** Whether a valid timestamp is unset for Alertmanager: missing, or Go's zero time. */
function unset(ts: string | undefined): ts is undefined {
  return ts === undefined || isZeroTime(ts);
}

/**
 * Alertmanager's defaults for an alert's times (its API v2 `postAlerts`): an unset startsAt is the
 * endsAt when that is set, else `now`; an unset endsAt is `now` plus the resolve timeout, so an alert
 * still firing resolves by itself unless it is sent again. `now` is when the alert was received.
 */
export function defaultTimes(
  startsAt: string | undefined,
  endsAt: string | undefined,
  now: () => number,
  resolveTimeoutMinutes: number,
): { startsAt: string; endsAt: string } {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    startsAt: unset(startsAt) ? (unset(endsAt) ? iso(now()) : endsAt) : startsAt,
    endsAt: unset(endsAt) ? iso(now() + resolveTimeoutMinutes * 60000) : endsAt,
  };
}

/** Timestamps already found valid. Bounded: alerts that all start at different instants cannot grow it without end. */
const validTimestamps = new Set<string>();
const VALID_TIMESTAMPS_KEPT = 65536;

function timestamp(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  // A file of a million alerts shares a few thousand timestamps: a Set lookup is cheaper than parsing.
  if (typeof value === 'string' && validTimestamps.has(value)) return value;
  if (typeof value !== 'string' || Number.isNaN(parseTimestamp(value)))
    throw new InputError(`must be an RFC3339 timestamp (got ${JSON.stringify(value)})`, undefined, field);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: when the cache empties changes speed, not validity
  if (validTimestamps.size >= VALID_TIMESTAMPS_KEPT) validTimestamps.clear();
  validTimestamps.add(value);
  return value;
}

/**
 * Checks one alert as read from a file; `field` names it (`alerts[17]`) in the error.
 * The fingerprint is always recomputed from the labels: a stale or forged one must not split or
 * merge alerts. Times left unset get Alertmanager's defaults; a file has no moment of receipt, so
 * an alert without endsAt fires from its startsAt for the resolve timeout, and one with neither
 * time is refused.
 */
export function parseAlert(
  value: unknown,
  field: string,
  resolveTimeoutMinutes = DEFAULT_RESOLVE_TIMEOUT_MINUTES,
): Alert {
  if (!isPlainObject(value)) throw new InputError('must be an object', undefined, field);
  if (value.labels === undefined) throw new InputError('is required', undefined, `${field}.labels`);
  const labels = stringMap(value.labels, `${field}.labels`);
  // Alertmanager rejects an alert without labels: it would have nothing to be told apart by.
  if (Object.keys(labels).length === 0)
    throw new InputError('must have at least one label', undefined, `${field}.labels`);
  const annotations =
    value.annotations === undefined ? {} : stringMap(value.annotations, `${field}.annotations`);
  const startsAt = timestamp(value.startsAt, `${field}.startsAt`);
  const endsAt = timestamp(value.endsAt, `${field}.endsAt`);
  if (unset(startsAt) && unset(endsAt))
    throw new InputError(
      'is required when endsAt is not set (an RFC3339 timestamp)',
      undefined,
      `${field}.startsAt`,
    );
  // Alertmanager's own rule (types.Alert.Validate): it answers 400 to an alert that ends before it starts.
  if (!unset(startsAt) && !unset(endsAt) && parseTimestamp(endsAt) < parseTimestamp(startsAt))
    throw new InputError(
      `is before startsAt (${startsAt}): start time must be before end time`,
      undefined,
      `${field}.endsAt`,
    );
  // Only an alert without endsAt needs a moment of receipt, and then it has a startsAt.
  const received = () => parseTimestamp(startsAt as string);
  return {
    labels,
    annotations,
    ...defaultTimes(startsAt, endsAt, received, resolveTimeoutMinutes),
    fingerprint: fingerprint(labels),
  };
}
