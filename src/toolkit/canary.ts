/**
 * Canary analysis for a release of the answering agent: the candidate is scored on the eval set next
 * to the baseline (what is live), and promoted only when every success condition holds, as in Argo
 * Rollouts' analysis. Each check explains itself with its numbers, as Kayenta's reports do, so a
 * rejection says exactly which condition failed and by how much.
 */

export interface EvalScore {
  release: string;
  total: number;
  correct: number;
  /** correct / total; 0 when nothing was evaluated, so an empty run can never pass. */
  quality: number;
  /** Ids of the cases answered wrongly, sorted. */
  failed: string[];
}

export interface CanaryThresholds {
  /** The least quality a release may have at all; usually the SLO objective. */
  minQuality: number;
  /** How much worse than the baseline the candidate may be, as a fraction (0.01 = one point). */
  tolerance: number;
  /** Whether a failed regression case (one born of a postmortem) rejects the candidate on its own. */
  regressionsMustPass: boolean;
}

/**
 * The objective of the stock answer-quality SLO (99%); a one-point tolerance keeps noise of about one
 * case in a hundred from blocking a release; regression cases exist to stop an incident from recurring, so one
 * failing is enough to reject.
 */
export const DEFAULT_CANARY: CanaryThresholds = {
  minQuality: 0.99,
  tolerance: 0.01,
  regressionsMustPass: true,
};

export interface CanaryReport {
  candidate: EvalScore;
  baseline: EvalScore;
  /** Ids of the regression cases in the eval set the candidate was scored on. */
  regressionIds: string[];
}

export interface CanaryCheck {
  name: 'quality' | 'vs-baseline' | 'regressions';
  ok: boolean;
  detail: string;
}

export interface CanaryVerdict {
  verdict: 'promote' | 'reject';
  checks: CanaryCheck[];
  /** The details of the failed checks, in check order; empty on promote. */
  reasons: string[];
}

/** Code-unit order, not localeCompare: the result must not depend on the machine's locale. */
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function scoreOf(release: string, results: readonly { id: string; correct: boolean }[]): EvalScore {
  const total = results.length;
  const correct = results.filter((result) => result.correct).length;
  const failed = results
    .filter((result) => !result.correct)
    .map((result) => result.id)
    .sort(byCodeUnit);
  return { release, total, correct, quality: total === 0 ? 0 : correct / total, failed };
}

/**
 * Qualities are ratios of counts and thresholds are decimal literals, so a candidate exactly at the
 * boundary can land a rounding error below it (0.8 - 0.1 is 0.7000000000000001, above 7/10). Boundaries are meant to pass.
 */
const EPSILON = 1e-9;

const percent = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

type Check = (report: CanaryReport, thresholds: CanaryThresholds) => CanaryCheck;

/** The success conditions, in the order they are reported. */
const checks: readonly Check[] = [
  ({ candidate }, { minQuality }) => {
    const ok = candidate.quality >= minQuality - EPSILON;
    return {
      name: 'quality',
      ok,
      detail: `candidate quality ${percent(candidate.quality)} ${ok ? '>=' : '<'} ${percent(minQuality)}`,
    };
  },
  ({ candidate, baseline }, { tolerance }) => {
    const floor = baseline.quality - tolerance;
    const ok = candidate.quality >= floor - EPSILON;
    return {
      name: 'vs-baseline',
      ok,
      detail:
        `candidate quality ${percent(candidate.quality)} ${ok ? '>=' : '<'} baseline ${baseline.release} ` +
        `${percent(baseline.quality)} - tolerance ${percent(tolerance)}`,
    };
  },
  ({ candidate, regressionIds }, { regressionsMustPass }) => {
    const failing = regressionIds.filter((id) => candidate.failed.includes(id)).sort(byCodeUnit);
    const detail =
      failing.length === 0
        ? `all ${regressionIds.length} regression case(s) passed`
        : `regression case${failing.length === 1 ? '' : 's'} ${failing.join(', ')} failed`;
    // When regressions are advisory the failure is still reported, just not held against the candidate.
    return regressionsMustPass
      ? { name: 'regressions', ok: failing.length === 0, detail }
      : { name: 'regressions', ok: true, detail: failing.length === 0 ? detail : `${detail} (advisory)` };
  },
];

export function judge(report: CanaryReport, thresholds: CanaryThresholds = DEFAULT_CANARY): CanaryVerdict {
  // A service with no eval set (a checkout API measured on its requests) gives the canary nothing to
  // score: the release goes out as deployed, as a rollout with no analysis does, and says so.
  if (report.candidate.total === 0 && report.baseline.total === 0) {
    const detail = 'no eval cases: nothing to judge, the release goes out as deployed';
    return { verdict: 'promote', checks: [{ name: 'quality', ok: true, detail }], reasons: [] };
  }
  const results = checks.map((check) => check(report, thresholds));
  const reasons = results.filter((check) => !check.ok).map((check) => check.detail);
  return { verdict: reasons.length === 0 ? 'promote' : 'reject', checks: results, reasons };
}
