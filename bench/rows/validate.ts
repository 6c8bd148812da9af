import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/toolkit/package-files.js';
import { fmtMs, fmtRatio } from '../measure.js';
import type { Row } from '../table.js';
import { BIN, medianOf } from './process.js';

const TARGET_MS = 300;
const RUNS = 10;

/**
 * `runbook validate` as a pre-commit hook or a CI step runs it: a whole process on one scenario, and
 * on every scenario of the repository in one process (its time per scenario), against Node starting
 * and doing nothing. No shift runs: it must stay well under the time of a gate.
 */
export function validate(): Row {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-bench-validate-'));
  try {
    const scenarios = join(packageRoot(), 'scenarios');
    // kill-switch names its plays with --plays only: the rest need nothing but their own files.
    const all = readdirSync(scenarios)
      .filter((f) => f.endsWith('.yaml') && f !== 'kill-switch.yaml')
      .map((f) => join(scenarios, f));
    const one = medianOf([BIN(), 'validate', join(scenarios, 'stock-shift.yaml')], dir, RUNS);
    const every = medianOf([BIN(), 'validate', ...all], dir, RUNS);
    const bare = medianOf(['-e', '0'], dir, RUNS);
    const perScenario = every.ms / all.length;
    const pass = one.ms <= TARGET_MS;
    return {
      row: 'validate',
      figure: `${fmtMs(one.ms)} one scenario; ${fmtMs(perScenario)} a scenario over ${all.length}`,
      target: `<= ${TARGET_MS / 1000} s a scenario`,
      baseline: `node -e 0: ${fmtMs(bare.ms)}`,
      ratio: fmtRatio(one.ms / bare.ms),
      pass,
      how: `\`node bin/runbook.cjs validate scenarios/stock-shift.yaml\` as a whole process, and \`validate\` of the ${all.length} scenarios under scenarios/ (not kill-switch: its plays come by --plays) in one process divided by ${all.length}; median wall of ${RUNS} after one warm-up; baseline: \`node -e 0\` the same way${pass ? '' : `; MISS by ${fmtRatio(one.ms / TARGET_MS)}`}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
