import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The tests Stryker runs against each mutant (`npm run test:mutation`): the suite less what cannot
 * see a mutant or costs minutes per mutant. Browser tests drive Chromium, the inspector test runs
 * the built CLI from dist/ (never mutated), and the scale test replays a million alerts. The shift
 * test runs its shifts in describe bodies, outside any test: Stryker cannot tell which test covers
 * what they run and would test each such mutant against the whole suite (gate.test.ts runs its
 * shifts inside tests). Property tests run 100 cases, not 1000.
 */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        'test/browser/**',
        'test/inspector.test.ts',
        'test/scale.test.ts',
        'test/shift.test.ts',
        'node_modules/**',
      ],
      env: { PROPS_RUNS: '100' },
    },
  }),
);
