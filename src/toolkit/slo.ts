/**
 * SLOs, error budgets and multi-window multi-burn-rate alerting, as in the Google SRE Workbook
 * ("Alerting on SLOs") and the rules Sloth generates. Time is in whole simulated minutes.
 */

/** The alerting windows, in minutes. Every burn is measured over all of them at once. */
export const WINDOWS = {
  '5m': 5,
  '30m': 30,
  '1h': 60,
  '2h': 120,
  '6h': 360,
  '1d': 1440,
  '3d': 4320,
} as const;
export type WindowName = keyof typeof WINDOWS;
/** The SLO period the default policy's thresholds are set for: 30 days, in minutes. */
export const SLO_PERIOD_MINUTES = 30 * 1440;
/** The burn rate over each window, at one minute. */
export type Burn = Record<WindowName, number>;

export interface MinuteCounts {
  requests: number;
  errors: number;
}

/** One alerting rule: fires when the burn over both windows exceeds the threshold. */
export interface BurnPair {
  severity: 'page' | 'ticket';
  long: WindowName;
  short: WindowName;
  threshold: number;
}

/**
 * The Workbook's policy for a 30-day SLO. Each threshold is the burn that would spend a set share of
 * the month's budget within the long window: 2% in 1h and 5% in 6h page; 10% in 1d and 10% in 3d
 * open a ticket. The short window (1/12 of the long) lets the alert clear soon after the burn stops.
 */
export const DEFAULT_POLICY: readonly BurnPair[] = Object.freeze(
  (
    [
      { severity: 'page', long: '1h', short: '5m', threshold: 14.4 },
      { severity: 'page', long: '6h', short: '30m', threshold: 6 },
      { severity: 'ticket', long: '1d', short: '2h', threshold: 3 },
      { severity: 'ticket', long: '3d', short: '6h', threshold: 1 },
    ] as const
  ).map((pair) => Object.freeze({ ...pair })),
);

export interface AlertDecision {
  /** The most urgent severity among the firing pairs. */
  alert: 'page' | 'ticket' | 'none';
  /** Every firing pair, in policy order, named as `page:1h/5m`. */
  firing: string[];
}

const URGENCY: Record<AlertDecision['alert'], number> = { none: 0, ticket: 1, page: 2 };

/** How an alerting pair is named in `firing` and in summaries: `page:1h/5m`. */
export function pairName(pair: BurnPair): string {
  let name = pairNames.get(pair);
  // Stryker disable next-line ConditionalExpression: a cache; a miss makes the same name
  if (name === undefined) {
    name = `${pair.severity}:${pair.long}/${pair.short}`;
    pairNames.set(pair, name);
  }
  return name;
}

/**
 * Each pair's name, made once: every incident's detection and every backtest row lists the names
 * of its firing pairs, and with a policy's pairs shared they share the strings too.
 */
const pairNames = new WeakMap<BurnPair, string>();

/**
 * A quantity as an exact fraction of two whole numbers: `[numerator, denominator]`.
 *
 * Why: thresholds and objectives are decimals that binary floating point cannot hold. `1 - 0.9` is
 * 0.09999999999999998, so 60% errors against 90% computed as a 6.000000000000001x burn and fired the
 * 6x pair although the Workbook's rule is strictly greater. Kept as fractions of whole numbers, the
 * burn is one division of two exact integers, which IEEE 754 rounds correctly: a burn exactly at a
 * threshold comes out as exactly the threshold's own number and does not fire, one a hair above does.
 */
type Fraction = readonly [numerator: number, denominator: number];

/** Finite decimals the way JavaScript prints them: `0.9995`, `14.4`, `1e-7`, `1.5e-10`. */
const DECIMAL = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

/** The decimal a number is written as (its shortest round-trip form), as a fraction; null past 2^53. */
function decimalFraction(x: number): Fraction | null {
  const match = DECIMAL.exec(String(x));
  if (!match) return null;
  const [, whole = '', digits = '', exponent = '0'] = match;
  const scale = Number(exponent) - digits.length;
  const numerator = Number(whole + digits) * 10 ** Math.max(0, scale);
  const denominator = 10 ** Math.max(0, -scale);
  return Number.isSafeInteger(numerator) && Number.isSafeInteger(denominator)
    ? [numerator, denominator]
    : null;
}

/**
 * The error budget, 1 - objective: exact when the objective is a decimal of up to 15 digits. Shared
 * by every caller of an objective (`budgetOf` keeps them): read, never changed.
 */
interface Budget {
  readonly exact: Readonly<Fraction> | null;
  readonly value: number;
}

/** Budgets already worked out: a service has a handful of objectives and asks every minute. */
const budgets = new Map<number, Budget>();

function budgetOf(objective: number): Budget {
  let budget = budgets.get(objective);
  // Stryker disable next-line ConditionalExpression: a cache; a miss works out the same budget
  if (budget) return budget;
  if (!(objective > 0 && objective < 1))
    throw new RangeError(`objective must be in (0, 1), got ${objective}`);
  const share = decimalFraction(objective);
  if (share) {
    const exact: Fraction = [share[1] - share[0], share[1]];
    budget = { exact, value: exact[0] / exact[1] };
  } else {
    budget = { exact: null, value: 1 - objective };
  }
  // Stryker disable next-line ConditionalExpression,EqualityOperator: when the cache empties changes speed only
  if (budgets.size >= 256) budgets.clear();
  budgets.set(objective, budget);
  return budget;
}

/**
 * The error budget, 1 - objective, as the float nearest its decimal value: 0.001 for 0.999.
 * This is the number to write in a Prometheus rule, `error_ratio > threshold * budget`: Sloth's
 * `(100 - 99.9) / 100` is 0.0009999999999999432, and with it Prometheus fires at exactly 14.4x.
 */
export function errorBudget(objective: number): number {
  return budgetOf(objective).value;
}

/** (errors / requests) / budget as one division of exact integers when it can be; in floats otherwise. */
function burnOver(errors: number, requests: number, budget: Budget): number {
  if (budget.exact) {
    const top = errors * budget.exact[1];
    const bottom = requests * budget.exact[0];
    if (Number.isSafeInteger(top) && Number.isSafeInteger(bottom)) return top / bottom;
  }
  return errors / requests / budget.value;
}

/**
 * How many times faster than sustainable the error budget is being spent: 1x lasts the whole SLO window.
 * The ratio is read as the decimal it prints as (0.6 is 3/5), so a burn at a threshold is exact.
 */
export function burnRate(errorRatio: number, objective: number): number {
  const [errors, requests] = decimalFraction(errorRatio) ?? [errorRatio, 1];
  return burnOver(errors, requests, budgetOf(objective));
}

/** Pairs are OR-ed; within a pair both windows must exceed the threshold, so neither alone can page. */
export function evaluatePolicy(burn: Burn, policy: readonly BurnPair[] = DEFAULT_POLICY): AlertDecision {
  let alert: AlertDecision['alert'] = 'none';
  const firing: string[] = [];
  for (const pair of policy) {
    if (burn[pair.long] > pair.threshold && burn[pair.short] > pair.threshold) {
      firing.push(pairName(pair));
      if (URGENCY[pair.severity] > URGENCY[alert]) alert = pair.severity;
    }
  }
  return { alert, firing };
}

const NO_TRAFFIC: MinuteCounts = Object.freeze({ requests: 0, errors: 0 });

/**
 * Per-minute request and error counts, kept as running totals so that any window is two
 * subtractions: a month-long backtest evaluates seven windows a minute without rescanning history.
 */
export class SliLedger {
  // prefix[i] is the total over minutes 0 .. i-1, so prefix[0] is always 0.
  // Plain arrays of doubles, grown by push: V8 keeps them unboxed, and growing them reuses the heap
  // where a typed array's doubling asked the system for fresh, zeroed memory each time.
  readonly #requests: number[] = [0];
  readonly #errors: number[] = [0];
  #minutes = 0;

  /** Appends the next minute: the first call records minute 0, the next minute 1, and so on. */
  record(counts: MinuteCounts): void {
    const { requests, errors } = counts;
    if (!(Number.isFinite(requests) && errors >= 0 && errors <= requests)) {
      throw new RangeError(
        `minute ${this.#minutes}: need 0 <= errors <= requests, got ${errors} of ${requests}`,
      );
    }
    const last = this.#minutes;
    this.#requests.push(total(this.#requests, last) + requests);
    this.#errors.push(total(this.#errors, last) + errors);
    this.#minutes = last + 1;
  }

  /** How many minutes have been recorded. */
  get minutes(): number {
    return this.#minutes;
  }

  /**
   * The error ratio over the `windowMinutes` whole minutes before `atMinute`, clipped to the minutes
   * recorded so far: early in a history a long window sees only what exists, as Prometheus' rate() does.
   */
  errorRatio(windowMinutes: number, atMinute: number): number {
    const { requests, errors } = this.countsOver(windowMinutes, atMinute);
    return requests === 0 ? 0 : errors / requests;
  }

  /** The requests and errors over the `windowMinutes` whole minutes before `atMinute`, clipped likewise. */
  countsOver(windowMinutes: number, atMinute: number): MinuteCounts {
    wholeMinutes(windowMinutes, 'window');
    wholeMinutes(atMinute, 'minute');
    return this.#counts(windowMinutes, atMinute);
  }

  /** The share of good requests; by default over the one minute before `atMinute`. */
  sli(atMinute: number, windowMinutes = 1): number {
    return 1 - this.errorRatio(windowMinutes, atMinute);
  }

  /**
   * The latest minute before `beforeMinute` whose SLI (`sli(m + 1)`: that minute alone) is below
   * `objective`, or -1 when there is none. A minute without requests is not below. Reads the running
   * totals directly: walking back through a quiet history makes no object a minute.
   */
  lastMinuteBelow(objective: number, beforeMinute: number): number {
    wholeMinutes(beforeMinute, 'minute');
    for (let m = Math.min(beforeMinute, this.#minutes) - 1; m >= 0; m--) {
      const requests = total(this.#requests, m + 1) - total(this.#requests, m);
      const errors = total(this.#errors, m + 1) - total(this.#errors, m);
      // The same arithmetic as sli(): 1 - errors / requests, and no traffic is a ratio of 0.
      if (1 - (requests === 0 ? 0 : errors / requests) < objective) return m;
    }
    return -1;
  }

  /** The burn rate over every alerting window at `atMinute`, from the counts themselves (see Fraction). */
  burnAt(atMinute: number, objective: number): Burn {
    wholeMinutes(atMinute, 'minute');
    const budget = budgetOf(objective);
    const over = (minutes: number) => {
      const { requests, errors } = this.#counts(minutes, atMinute);
      return requests === 0 ? 0 : burnOver(errors, requests, budget);
    };
    // One literal, so every Burn has the same shape; a month of rows stays on V8's fast path.
    return {
      '5m': over(WINDOWS['5m']),
      '30m': over(WINDOWS['30m']),
      '1h': over(WINDOWS['1h']),
      '2h': over(WINDOWS['2h']),
      '6h': over(WINDOWS['6h']),
      '1d': over(WINDOWS['1d']),
      '3d': over(WINDOWS['3d']),
    };
  }

  /**
   * The share of the period's error budget left at `atMinute` (negative once overspent). A burn of b
   * held for m minutes spends b * m / period of it, as the Workbook's thresholds count: the period's
   * budget is the objective's error share of its traffic, taken at the average rate of the minutes
   * recorded. Early in a history the period holds only the minutes that exist, as the windows do.
   */
  budgetRemaining(atMinute: number, objective: number, periodMinutes = SLO_PERIOD_MINUTES): number {
    wholeMinutes(atMinute, 'minute');
    const elapsed = Math.max(0, Math.min(atMinute, this.#minutes) - Math.max(0, atMinute - periodMinutes));
    const { requests, errors } = this.#counts(periodMinutes, atMinute);
    // From the counts, as burnAt does: not through the float ratio and back to a fraction.
    const burn = requests === 0 ? 0 : burnOver(errors, requests, budgetOf(objective));
    return 1 - burn * (elapsed / periodMinutes);
  }

  /**
   * Every minute's counts for a checkpoint, as runs of equal minutes `[minutes, requests, errors]`:
   * steady traffic keeps a month of history to a few entries. `SliLedger.restore` gives it back.
   */
  save(): [number, number, number][] {
    const runs: [number, number, number][] = [];
    for (let m = 0; m < this.#minutes; m++) {
      const requests = total(this.#requests, m + 1) - total(this.#requests, m);
      const errors = total(this.#errors, m + 1) - total(this.#errors, m);
      const last = runs[runs.length - 1];
      if (last && last[1] === requests && last[2] === errors) last[0]++;
      else runs.push([1, requests, errors]);
    }
    return runs;
  }

  static restore(runs: readonly (readonly [number, number, number])[]): SliLedger {
    const ledger = new SliLedger();
    for (const [minutes, requests, errors] of runs) {
      for (let i = 0; i < minutes; i++) ledger.record({ requests, errors });
    }
    return ledger;
  }

  #counts(windowMinutes: number, atMinute: number): MinuteCounts {
    const start = Math.max(0, atMinute - windowMinutes);
    const end = Math.min(atMinute, this.#minutes);
    if (end <= start) return NO_TRAFFIC;
    return {
      requests: total(this.#requests, end) - total(this.#requests, start),
      errors: total(this.#errors, end) - total(this.#errors, start),
    };
  }
}

/** The running total over the minutes before `minute`. */
function total(prefix: readonly number[], minute: number): number {
  // Callers stay within 0 .. minutes recorded, always inside the array; `??` only satisfies the checker.
  return prefix[minute] ?? 0;
}

function wholeMinutes(value: number, what: string): void {
  if (!(Number.isInteger(value) && value >= 0))
    throw new RangeError(`${what} must be a whole number >= 0, got ${value}`);
}

/** One step of a traffic series: from `minute` on, every minute has these counts (until the next step). */
export interface SeriesStep {
  minute: number;
  requests: number;
  errors: number;
}

export interface BacktestRow {
  minute: number;
  alert: AlertDecision['alert'];
  firing: string[];
  burn: Burn;
}

export interface BacktestOptions {
  objective: number;
  /** First and last minute evaluated, inclusive. History before `from` still fills the windows. */
  from: number;
  to: number;
  policy?: readonly BurnPair[];
}

/**
 * A backtest as columns: the row for minute `from + i` is entry i of every array. A month of rows as
 * objects is 43,200 objects with a `firing` array and a `Burn` each; as columns it is seven typed
 * arrays and a few bitsets, filled in one pass per window.
 */
export interface BacktestColumns {
  from: number;
  to: number;
  /** Rows: to - from + 1. */
  length: number;
  policy: readonly BurnPair[];
  /** The burn over each window, one entry a minute. */
  burn: Record<WindowName, Float64Array>;
  /** The most urgent firing severity a minute, as URGENCY: 0 none, 1 ticket, 2 page. */
  urgency: Uint8Array;
  /** One bitset per policy pair: bit i is set when the pair fires in row i. */
  firing: Uint32Array[];
}

const WINDOW_NAMES = Object.keys(WINDOWS) as WindowName[];
const ALERT_OF_URGENCY: readonly AlertDecision['alert'][] = ['none', 'ticket', 'page'];

/** Whether policy pair `pair` fires in row `i`. */
export function pairFiresAt(columns: BacktestColumns, pair: number, i: number): boolean {
  return (((columns.firing[pair]?.[i >>> 5] ?? 0) >>> (i & 31)) & 1) === 1;
}

/** Row i of a columnar backtest, as `backtest` returns it. */
export function backtestRowAt(columns: BacktestColumns, i: number): BacktestRow {
  const { policy, burn } = columns;
  const firing: string[] = [];
  for (let p = 0; p < policy.length; p++) {
    const pair = policy[p];
    if (pair && pairFiresAt(columns, p, i)) firing.push(pairName(pair));
  }
  return {
    minute: columns.from + i,
    alert: ALERT_OF_URGENCY[columns.urgency[i] ?? 0] ?? 'none',
    firing,
    // One literal, in WINDOWS order, as burnAt builds it: the same shape and the same JSON.
    burn: {
      '5m': burn['5m'][i] ?? 0,
      '30m': burn['30m'][i] ?? 0,
      '1h': burn['1h'][i] ?? 0,
      '2h': burn['2h'][i] ?? 0,
      '6h': burn['6h'][i] ?? 0,
      '1d': burn['1d'][i] ?? 0,
      '3d': burn['3d'][i] ?? 0,
    },
  };
}

/**
 * Replays a stepped series minute by minute and evaluates the policy at every minute in [from, to].
 * The row for minute t sees the minutes before t, so a step at minute m first shows in the row for m + 1.
 * Minutes before the first step carry no traffic.
 */
export function backtest(steps: readonly SeriesStep[], options: BacktestOptions): BacktestRow[] {
  const columns = backtestColumns(steps, options);
  const rows: BacktestRow[] = [];
  for (let i = 0; i < columns.length; i++) rows.push(backtestRowAt(columns, i));
  return rows;
}

/** `backtest` as columns: the same numbers (the same float operations, in the same order), no row objects. */
export function backtestColumns(steps: readonly SeriesStep[], options: BacktestOptions): BacktestColumns {
  const { objective, from, to, policy = DEFAULT_POLICY } = options;
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to >= from)) {
    throw new RangeError(`need whole minutes 0 <= from <= to, got from ${from}, to ${to}`);
  }
  steps.forEach((step, i) => {
    const previous = steps[i - 1];
    if (previous && step.minute <= previous.minute) {
      throw new RangeError(`step minutes must increase, got ${step.minute} after ${previous.minute}`);
    }
  });
  const budget = budgetOf(objective);
  const totals = runningTotals(steps, to);
  const length = to - from + 1;
  const burn = {} as Record<WindowName, Float64Array>;
  for (const name of WINDOW_NAMES) burn[name] = burnColumn(totals, WINDOWS[name], from, length, budget);
  const urgency = new Uint8Array(length);
  const firing = policy.map((pair) => firingBits(burn[pair.long], burn[pair.short], pair, urgency));
  return { from, to, length, policy, burn, urgency, firing };
}

interface RunningTotals {
  /** prefix[t] is the total before minute t, as SliLedger keeps it. */
  requests: Float64Array;
  errors: Float64Array;
  /** Every minute's counts are whole numbers, so every total is an exact integer. */
  whole: boolean;
}

/**
 * The running totals over minutes 0 .. to - 1, each minute's counts those of the latest step at or
 * before it. Steps are found as backtest always found them, minute by minute; the minutes a step
 * holds are then added in one run.
 */
function runningTotals(steps: readonly SeriesStep[], to: number): RunningTotals {
  const requests = new Float64Array(to + 1);
  const errors = new Float64Array(to + 1);
  let current = NO_TRAFFIC;
  let next = 0;
  let whole = true;
  let totalRequests = 0;
  let totalErrors = 0;
  for (let minute = 0; minute < to; ) {
    const before = current;
    for (let step = steps[next]; step && step.minute <= minute; step = steps[++next]) current = step;
    if (current !== before) checkCounts(current, minute);
    const upcoming = steps[next]?.minute ?? to;
    // A minute that never comes (NaN, past `to`) leaves the current step to the end, as it always did.
    const until = upcoming < to ? Math.max(minute + 1, Math.ceil(upcoming)) : to;
    const { requests: r, errors: e } = current;
    whole &&= Number.isInteger(r) && Number.isInteger(e);
    for (; minute < until; minute++) {
      totalRequests += r;
      totalErrors += e;
      requests[minute + 1] = totalRequests;
      errors[minute + 1] = totalErrors;
    }
  }
  return { requests, errors, whole };
}

function checkCounts({ requests, errors }: MinuteCounts, minute: number): void {
  if (!(Number.isFinite(requests) && errors >= 0 && errors <= requests)) {
    throw new RangeError(`minute ${minute}: need 0 <= errors <= requests, got ${errors} of ${requests}`);
  }
}

/**
 * One window's burn for rows from .. from + length - 1: burnAt's arithmetic, unrolled over minutes.
 * When every total is a whole number and the largest one times the budget's fraction stays exact,
 * every window's fraction does too (errors <= requests <= the largest total), so the exact division
 * needs no check a minute.
 */
function burnColumn(totals: RunningTotals, window: number, from: number, length: number, budget: Budget) {
  const { requests, errors } = totals;
  const column = new Float64Array(length);
  const [numerator, denominator] = budget.exact ?? [0, 0];
  const largest = (requests[requests.length - 1] ?? 0) * Math.max(numerator, denominator);
  const alwaysExact = budget.exact !== null && totals.whole && Number.isSafeInteger(largest);
  for (let i = 0; i < length; i++) {
    const end = from + i;
    const start = end > window ? end - window : 0;
    if (end <= start) continue;
    const r = (requests[end] as number) - (requests[start] as number);
    if (r === 0) continue;
    const e = (errors[end] as number) - (errors[start] as number);
    const top = e * denominator;
    const bottom = r * numerator;
    column[i] =
      alwaysExact || (budget.exact && Number.isSafeInteger(top) && Number.isSafeInteger(bottom))
        ? top / bottom
        : e / r / budget.value;
  }
  return column;
}

/** A pair's firing rows as a bitset, raising `urgency` where it fires: both windows strictly above. */
function firingBits(
  long: Float64Array,
  short: Float64Array,
  pair: BurnPair,
  urgency: Uint8Array,
): Uint32Array {
  const bits = new Uint32Array((long.length + 31) >>> 5);
  const { threshold } = pair;
  const level = URGENCY[pair.severity];
  for (let i = 0; i < long.length; i++) {
    if ((long[i] as number) > threshold && (short[i] as number) > threshold) {
      bits[i >>> 5] = (bits[i >>> 5] as number) | (1 << (i & 31));
      if (level > (urgency[i] as number)) urgency[i] = level;
    }
  }
  return bits;
}
