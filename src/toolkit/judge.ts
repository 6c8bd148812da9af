import { binomialDistribution, errorFunction, wilcoxonRankSum } from 'simple-statistics';

/**
 * The statistical judge: baseline against canary, as Kayenta's judge does. Each metric's samples are
 * compared with a Mann-Whitney U test (no assumption about the shape of the distribution: error
 * ratios and latencies are not normal), each pass/fail eval set with McNemar's exact test on the
 * cases the two releases disagree on. The metrics roll up into a score out of 100, read against pass
 * and marginal thresholds. Every result keeps the numbers it was decided on, so a verdict can always
 * answer "why?".
 */

/** Which way a metric may not move: error ratios must not increase, success ratios must not decrease. */
export type Direction = 'increase' | 'decrease' | 'either';

export interface MetricSpec {
  name: string;
  direction: Direction;
  /** A critical metric that fails fails the whole judgement, whatever the score. */
  critical?: boolean;
  /** A metric without samples on either side fails, instead of being left out of the score. */
  mustHaveData?: boolean;
}

export interface JudgeThresholds {
  /** Significance level of each test. */
  alpha: number;
  /** Score (0-100) at or above which the canary passes. */
  pass: number;
  /** Score at or above which (and below pass) the canary is marginal: neither good nor bad. */
  marginal: number;
}

/** Kayenta's usual thresholds (pass 95, marginal 75) at the usual 5% significance. */
export const DEFAULT_JUDGE: JudgeThresholds = { alpha: 0.05, pass: 95, marginal: 75 };

export interface UTest {
  /** U of the canary: pairs (baseline, canary) where the canary is larger, ties counting one half. */
  u: number;
  n1: number;
  n2: number;
  /** Two-sided p-value. */
  p: number;
  /** Exact distribution (small samples, no ties) or the normal approximation with tie and continuity corrections. */
  method: 'exact' | 'normal';
}

/** Below this many samples on each side and without ties, U's exact distribution is used (as R's wilcox.test does). */
const EXACT_BELOW = 50;

/**
 * Mann-Whitney U test of `canary` against `baseline`, two-sided. Both must hold at least one sample.
 */
export function mannWhitney(baseline: readonly number[], canary: readonly number[]): UTest {
  const n1 = baseline.length;
  const n2 = canary.length;
  if (n1 === 0 || n2 === 0) throw new Error('Mann-Whitney needs samples on both sides');
  const u = wilcoxonRankSum([...canary], [...baseline]) - (n2 * (n2 + 1)) / 2;
  const ties = tieCounts([...baseline, ...canary]);
  if (ties.length === 0 && n1 < EXACT_BELOW && n2 < EXACT_BELOW) {
    return { u, n1, n2, p: exactUPValue(u, n1, n2), method: 'exact' };
  }
  return { u, n1, n2, p: normalUPValue(u, n1, n2, ties), method: 'normal' };
}

/** Sizes of the groups of equal values (only groups of two or more). */
function tieCounts(values: readonly number[]): number[] {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.values()].filter((c) => c > 1);
}

/**
 * The exact two-sided p-value: U's distribution under the null is the coefficients of the Gaussian
 * binomial [n1+n2 choose n2]_q = prod_{i=1..n2} (1 - q^(n1+i)) / (1 - q^i), built by multiplying and
 * dividing polynomials in place.
 */
function exactUPValue(u: number, n1: number, n2: number): number {
  const max = n1 * n2;
  const ways = new Float64Array(max + 1);
  ways[0] = 1;
  for (let i = 1; i <= n2; i++) {
    const up = n1 + i;
    for (let j = max; j >= up; j--) ways[j] = (ways[j] as number) - (ways[j - up] as number);
    for (let j = i; j <= max; j++) ways[j] = (ways[j] as number) + (ways[j - i] as number);
  }
  let total = 0;
  let atMost = 0;
  let atLeast = 0;
  for (let j = 0; j <= max; j++) {
    const w = ways[j] as number;
    total += w;
    if (j <= u) atMost += w;
    if (j >= u) atLeast += w;
  }
  return Math.min(1, (2 * Math.min(atMost, atLeast)) / total);
}

const phi = (z: number): number => 0.5 * (1 + errorFunction(z / Math.SQRT2));

function normalUPValue(u: number, n1: number, n2: number, ties: readonly number[]): number {
  const n = n1 + n2;
  const tieTerm = ties.reduce((sum, t) => sum + t ** 3 - t, 0) / (n * (n - 1));
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm));
  // Every sample equal: nothing tells the two apart.
  if (sigma === 0) return 1;
  const distance = Math.max(0, Math.abs(u - (n1 * n2) / 2) - 0.5);
  return Math.min(1, 2 * (1 - phi(distance / sigma)));
}

export interface McNemarTest {
  /** Cases the baseline passed and the canary failed. */
  regressed: number;
  /** Cases the baseline failed and the canary passed. */
  fixed: number;
  /** Two-sided exact p-value: the smaller count against Binomial(regressed + fixed, 1/2). */
  p: number;
}

/**
 * McNemar's exact test on paired pass/fail results: only the cases the two releases disagree on
 * carry information about which is better.
 */
export function mcNemar(
  baseline: readonly { id: string; correct: boolean }[],
  canary: readonly { id: string; correct: boolean }[],
): McNemarTest {
  const before = new Map(baseline.map((c) => [c.id, c.correct]));
  let regressed = 0;
  let fixed = 0;
  for (const c of canary) {
    const was = before.get(c.id);
    if (was === undefined || was === c.correct) continue;
    if (was) regressed++;
    else fixed++;
  }
  return { regressed, fixed, p: exactBinomialTwoSided(Math.min(regressed, fixed), regressed + fixed) };
}

function exactBinomialTwoSided(k: number, n: number): number {
  if (n === 0) return 1;
  const cells = binomialDistribution(n, 0.5) ?? [];
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += cells[i] ?? 0;
  return Math.min(1, 2 * tail);
}

/** How a metric came out: Kayenta's classifications. */
export type Classification = 'Pass' | 'High' | 'Low' | 'NoData';

export interface MetricVerdict {
  name: string;
  direction: Direction;
  critical: boolean;
  mustHaveData: boolean;
  classification: Classification;
  /** Whether the classification counts against the canary. */
  failed: boolean;
  baseline: number[];
  canary: number[];
  statistic: number | null;
  p: number | null;
  method: UTest['method'] | 'mcnemar' | null;
  detail: string;
}

export type ScoreVerdict = 'Pass' | 'Marginal' | 'Fail';

export interface Judgement {
  score: number;
  verdict: ScoreVerdict;
  thresholds: JudgeThresholds;
  metrics: MetricVerdict[];
  /** Why: the failed metrics' details, and a critical failure if there was one. */
  reasons: string[];
}

const against = (direction: Direction, classification: Classification): boolean =>
  (classification === 'High' && direction !== 'decrease') ||
  (classification === 'Low' && direction !== 'increase');

const fmt = (x: number): string => (Math.abs(x) >= 0.001 || x === 0 ? x.toFixed(4) : x.toExponential(2));

/** One metric's samples, baseline against canary. */
export function judgeMetric(
  spec: MetricSpec,
  baseline: readonly number[],
  canary: readonly number[],
  alpha: number,
): MetricVerdict {
  const base = {
    name: spec.name,
    direction: spec.direction,
    critical: spec.critical ?? false,
    mustHaveData: spec.mustHaveData ?? false,
    baseline: [...baseline],
    canary: [...canary],
  };
  if (baseline.length === 0 || canary.length === 0) {
    const side =
      baseline.length === 0 ? (canary.length === 0 ? 'either side' : 'the baseline') : 'the canary';
    return {
      ...base,
      classification: 'NoData',
      failed: base.mustHaveData,
      statistic: null,
      p: null,
      method: null,
      detail: `${spec.name}: no data from ${side}${base.mustHaveData ? ' (mustHaveData)' : ''}`,
    };
  }
  const test = mannWhitney(baseline, canary);
  const mean = (test.n1 * test.n2) / 2;
  const classification: Classification = test.p >= alpha ? 'Pass' : test.u > mean ? 'High' : 'Low';
  const failed = against(spec.direction, classification);
  return {
    ...base,
    classification,
    failed,
    statistic: test.u,
    p: test.p,
    method: test.method,
    detail:
      `${spec.name}: ${classification} (U=${test.u}, n=${test.n1}/${test.n2}, p=${fmt(test.p)} ` +
      `${test.p < alpha ? '<' : '>='} ${alpha}, ${test.method}; must not ${spec.direction === 'either' ? 'move' : spec.direction})`,
  };
}

/** A pass/fail eval set, baseline against canary: a significant excess of regressions is High (worse). */
export function judgeEvalSet(
  spec: MetricSpec,
  baseline: readonly { id: string; correct: boolean }[],
  canary: readonly { id: string; correct: boolean }[],
  alpha: number,
): MetricVerdict {
  const test = mcNemar(baseline, canary);
  const classification: Classification =
    baseline.length === 0 || canary.length === 0
      ? 'NoData'
      : test.p >= alpha
        ? 'Pass'
        : test.regressed > test.fixed
          ? 'High'
          : 'Low';
  const mustHaveData = spec.mustHaveData ?? false;
  return {
    name: spec.name,
    direction: spec.direction,
    critical: spec.critical ?? false,
    mustHaveData,
    classification,
    failed: classification === 'NoData' ? mustHaveData : against(spec.direction, classification),
    baseline: baseline.map((c) => (c.correct ? 1 : 0)),
    canary: canary.map((c) => (c.correct ? 1 : 0)),
    statistic: test.regressed,
    p: test.p,
    method: 'mcnemar',
    detail:
      `${spec.name}: ${classification} (${test.regressed} regressed, ${test.fixed} fixed, ` +
      `exact p=${fmt(test.p)} ${test.p < alpha ? '<' : '>='} ${alpha})`,
  };
}

/**
 * The roll-up: the share of metrics with data that did not fail, out of 100 (a NoData metric without
 * mustHaveData is left out); a failed critical metric makes it 0. No metric with data scores 0 too:
 * a canary is never passed on no evidence.
 */
export function rollUp(
  metrics: readonly MetricVerdict[],
  thresholds: JudgeThresholds = DEFAULT_JUDGE,
): Judgement {
  const counted = metrics.filter((m) => m.classification !== 'NoData' || m.mustHaveData);
  const passed = counted.filter((m) => !m.failed).length;
  const critical = metrics.find((m) => m.critical && m.failed);
  const score = critical || counted.length === 0 ? 0 : Math.round((10000 * passed) / counted.length) / 100;
  const verdict: ScoreVerdict =
    score >= thresholds.pass ? 'Pass' : score >= thresholds.marginal ? 'Marginal' : 'Fail';
  const reasons = metrics.filter((m) => m.failed).map((m) => m.detail);
  if (critical) reasons.push(`critical metric ${critical.name} failed: score 0`);
  if (counted.length === 0) reasons.push('no metric had data: score 0');
  return { score, verdict, thresholds, metrics: [...metrics], reasons };
}
