import type { RolloutRecord } from '../../machines/rollout.js';
import type { Engine } from '../engine/engine.js';
import type { ReleaseOperatorInput } from '../engine/inputs.js';
import { isRollout } from '../engine/rollouts.js';
import { stateName } from '../engine/trace.js';

/**
 * The release desk as the API shows it (`GET /api/release`) and what an operator may ask of it
 * (`POST /api/release/promote|abort|retry`): what is live, the running rollout with its step, weight,
 * analysis runs and every decision with its evidence, and the rollouts that ended.
 */

export interface ReleaseStatus {
  live: string;
  state: string;
  strategy: boolean;
  rollout: RolloutRecord | null;
  rollouts: RolloutRecord[];
}

export function releaseStatus(engine: Engine): ReleaseStatus {
  const snapshot = engine.release.getSnapshot();
  const state = stateName(snapshot.value);
  if (!isRollout(engine.release)) {
    return { live: snapshot.context.live, state, strategy: false, rollout: null, rollouts: [] };
  }
  const { live, rollout, rollouts } = engine.release.getSnapshot().context;
  return { live, state, strategy: true, rollout, rollouts };
}

/** Why an operator's command cannot be taken now (HTTP 409), or null when it can. */
export function refusal(engine: Engine, action: ReleaseOperatorInput['action']): string | null {
  if (!isRollout(engine.release)) return 'no canary strategy is configured (rollout: in the configuration)';
  const { rollout, rollouts, live } = engine.release.getSnapshot().context;
  if (action === 'retry') {
    const last = rollouts.at(-1);
    if (rollout) return `rollout ${rollout.n} of ${rollout.candidate} is still running: abort it first`;
    if (last?.outcome !== 'aborted') return 'no aborted rollout to retry';
    if (last.candidate === live) return `${last.candidate} is live already`;
    return null;
  }
  if (!rollout) return 'no rollout is running';
  const state = stateName(engine.release.getSnapshot().value);
  if (
    action === 'promote' &&
    !['rollout.paused', 'rollout.pausedUntilPromoted', 'rollout.inconclusive'].includes(state)
  ) {
    return `rollout ${rollout.n} is ${state.replace('rollout.', '')}: only a paused or inconclusive rollout is promoted a step (promote --full skips every step)`;
  }
  return null;
}
