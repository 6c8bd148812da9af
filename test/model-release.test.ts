import { describe, expect, it } from 'vitest';
import { coverage, executePath, executePaths, generatePaths, type PathRun } from '../src/views/model.js';

const paths = generatePaths('release');

function expectRunFollowsPath(run: PathRun) {
  expect(run.error).toBeNull();
  expect(run.initial.actual).toEqual(run.initial.expected);
  for (const [i, step] of run.steps.entries()) {
    expect(step.actual, `after step ${i + 1}, ${step.label}`).toEqual(step.expected);
  }
  expect(run.steps).toHaveLength(run.path.steps.length);
}

describe('release machine: every generated path, run on a real actor', () => {
  it('has paths to run', () => {
    expect(paths.length).toBeGreaterThan(3);
  });

  for (const path of paths) {
    it(path.name, async () => {
      expectRunFollowsPath(await executePath('release', path));
    });
  }

  it('rolls back from v4 to v3, the release live before it', async () => {
    const path = paths.find((p) => p.name.endsWith('ROLLBACK') && p.steps.length === 4);
    expect(path?.steps.map((step) => step.expected.live)).toEqual(['v2', 'v3', 'v4', 'v3']);
  });
});

describe('release machine: coverage of the generated paths', () => {
  it('reaches every state and takes every transition, the eventless canary ones included', async () => {
    const { coverage: measured } = await executePaths('release', paths);
    expect(measured.states.missing, 'states no path reaches').toEqual([]);
    expect(measured.transitions.missing, 'transitions no path takes').toEqual([]);
    expect(measured.states).toMatchObject({ covered: 4, total: 4 });
    expect(measured.transitions).toMatchObject({ covered: 6, total: 6 });
  });

  it('names the canary branch no path takes when the failing deploys are left out', async () => {
    const passingOnly = paths.filter((path) => !path.name.includes('failing'));
    const { runs } = await executePaths('release', passingOnly);
    const measured = coverage('release', runs);
    expect(measured.states.missing).toEqual(['rejected']);
    expect(measured.transitions.missing).toEqual([
      'canary -always[1]-> rejected',
      'rejected -always[0]-> live',
    ]);
  });
});
