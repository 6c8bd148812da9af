import type { CanaryCheck, CanaryReport } from '../toolkit/canary.js';
import type { ShiftResult } from '../world/drill.js';
import type { Scenario } from '../world/scenario.js';

/**
 * The release actor's story, read from its trace: every canary with its verdict (the rejected ones
 * too, which never reach the live history), every rollback, and what was live after each. The
 * trace names no release, so the candidates come from where deploys start: the scenario's timeline
 * (a deploy at minute t) and each incident's ship step (its fix, deployed as it leaves `ship`).
 */

export interface ReleaseStep {
  at: number;
  kind: 'initial' | 'promoted' | 'rejected' | 'rollback';
  /** The candidate for a canary, the release rolled back to for a rollback. */
  release: string;
  /** Live once the step is done. */
  live: string;
  /** What started it: `timeline`, an incident's ship step (its id), or a play (`rollback`). */
  by: string;
  /** The canary's checks and eval scores, when its ship step kept them. */
  checks: CanaryCheck[];
  report: CanaryReport | null;
}

interface Candidate {
  release: string;
  by: string;
  checks: CanaryCheck[];
  report: CanaryReport | null;
}

/** The candidates deployed at each minute, in the order they were deployed. */
function candidatesByMinute(result: ShiftResult, scenario: Scenario): Map<number, Candidate[]> {
  const byMinute = new Map<number, Candidate[]>();
  const add = (at: number, candidate: Candidate) =>
    byMinute.set(at, [...(byMinute.get(at) ?? []), candidate]);
  for (const event of scenario.timeline) {
    if (!('deploy' in event)) continue;
    // A deploy the canary rejected keeps its scores and checks in the result.
    const rejected = result.rejectedDeploys?.find((r) => r.at === event.at && r.release === event.deploy);
    add(event.at, {
      release: event.deploy,
      by: 'timeline',
      checks: rejected?.checks ?? [],
      report: rejected
        ? { candidate: rejected.candidate, baseline: rejected.baseline, regressionIds: [] }
        : null,
    });
  }
  // An incident's fix is deployed while it is in ship; the fix's done event is its way out.
  for (const entry of result.trace) {
    if (entry.from !== 'ship' || entry.event !== 'xstate.done.actor.fix') continue;
    const ship = result.incidents.find((i) => i.id === entry.actor)?.ship;
    if (ship?.candidate) {
      add(entry.t, { release: ship.candidate, by: entry.actor, checks: ship.checks, report: ship.report });
    }
  }
  return byMinute;
}

export function releaseTimeline(result: ShiftResult, scenario: Scenario): ReleaseStep[] {
  const candidates = candidatesByMinute(result, scenario);
  const rollbacks = result.releases.filter((r) => r.via === 'rollback');
  let live = result.releases[0]?.release ?? scenario.initialRelease;
  const steps: ReleaseStep[] = [];
  const push = (step: Omit<ReleaseStep, 'live'>, next: string) => {
    live = next;
    steps.push({ ...step, live });
  };
  for (const entry of result.trace) {
    if (entry.actor !== 'release') continue;
    if (entry.from === null) {
      push({ at: entry.t, kind: 'initial', release: live, by: 'scenario', checks: [], report: null }, live);
    } else if (entry.to === 'promoted' || entry.to === 'rejected') {
      const candidate = candidates.get(entry.t)?.shift() ?? {
        release: '(unknown)',
        by: 'unknown',
        checks: [],
        report: null,
      };
      const promoted = entry.to === 'promoted';
      push({ at: entry.t, kind: entry.to, ...candidate }, promoted ? candidate.release : live);
    } else if (entry.event === 'ROLLBACK') {
      const to = rollbacks.shift()?.release ?? live;
      push({ at: entry.t, kind: 'rollback', release: to, by: 'rollback', checks: [], report: null }, to);
    }
  }
  return steps;
}
