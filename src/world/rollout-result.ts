import type { RolloutRecord } from '../../machines/rollout.js';
import type { Engine } from '../engine/engine.js';
import { isRollout } from '../engine/rollouts.js';
import type { Scenario } from './scenario.js';

/** A shift's rollouts as its result keeps them: where the strategy came from, what was not acted on, each rollout with its decisions and evidence. */
export interface RolloutResult {
  source: string;
  warnings: string[];
  rollouts: RolloutRecord[];
}

export function rolloutResult(scenario: Scenario, engine: Engine): RolloutResult | null {
  if (!scenario.rollout || !isRollout(engine.release)) return null;
  const { rollout, rollouts } = engine.release.getSnapshot().context;
  return {
    source: scenario.rollout.strategy.source,
    warnings: scenario.rollout.warnings,
    rollouts: rollout ? [...rollouts, rollout] : rollouts,
  };
}
