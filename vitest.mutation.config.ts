import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The tests Stryker runs against each mutant (`npm run test:mutation`): the unit, model and property
 * tests of the toolkit and the machines, plus the two CLI tests that drive the toolkit directly
 * (burn, correlate). The tests that run whole shifts cover nearly every line, so each mutant would
 * re-run dozens of shifts: that took hours, and it is the unit tests' strength being measured here.
 * The property tests are left out for the same reason (each mutant of the machines re-ran thousands
 * of random event sequences); they guard the machines' invariants in `npm test`. No test here may
 * run the built CLI (dist/, test/support/cli-process.ts): it would see none of the mutants, and in
 * Stryker's sandbox dist/ is missing or older than src/ (test/correlate-stdin.test.ts is apart for
 * that reason).
 */
const UNIT_TESTS = [
  'alerts',
  'alerts-edges',
  'backtest-columns',
  'burn-cli',
  'canary',
  'canary-edges',
  'correlate',
  'correlate-edges',
  'correlate-cli',
  'escalation',
  'machines',
  'model-incident',
  'incident-edges',
  'model-release',
  'release-edges',
  'onset',
  'postmortem',
  'postmortem-edges',
  'schema-errors-edges',
  'service',
  'slo',
  'slo-edges',
  'sloth-edges',
  'storm',
  'support-edges',
  'triage',
  'triage-edges',
  'yaml-edges',
];

// Not mergeConfig: it concatenates arrays, so the base's `test/**` include would come along and
// every mutant would run the whole suite.
export default defineConfig({
  ...base,
  test: { ...base.test, include: UNIT_TESTS.map((name) => `test/${name}.test.ts`) },
});
