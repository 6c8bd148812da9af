import { describe, expect, it } from 'vitest';
import {
  coverage,
  executePath,
  executePaths,
  generatePaths,
  MODEL_RUNBOOK,
  type PathRun,
  type StepRun,
} from '../src/model.js';

const paths = generatePaths('incident');

/** How long each delayed event of the incident should wait, read off the model's input. */
function dueAfter(step: StepRun): number | undefined {
  const before = step.timer?.before;
  if (step.label === 'after.playTimeout') return MODEL_RUNBOOK[Number(before?.step)]?.timeout;
  if (step.label === 'after.settleWindow') return 5;
  if (step.label === 'after.verifySoak') return 10;
  return undefined;
}

function expectRunFollowsPath(run: PathRun) {
  expect(run.error).toBeNull();
  expect(run.initial.actual).toEqual(run.initial.expected);
  for (const [i, step] of run.steps.entries()) {
    expect(step.actual, `after step ${i + 1}, ${step.label}`).toEqual(step.expected);
    if (step.timer) {
      expect(step.timer.delay, `${step.label}: the delay scheduled`).toBe(dueAfter(step));
      expect(step.timer.early, `${step.label}: one minute early, nothing happens`).toEqual(step.timer.before);
    }
  }
  expect(run.steps).toHaveLength(run.path.steps.length);
}

describe('incident machine: every generated path, run on a real actor', () => {
  it('has paths to run', () => {
    expect(paths.length).toBeGreaterThan(10);
  });

  for (const path of paths) {
    it(path.name, async () => {
      expectRunFollowsPath(await executePath('incident', path));
    });
  }
});

describe('incident machine: coverage of the generated paths', () => {
  it('reaches every state and takes every transition, eventless and delayed ones included', async () => {
    const { coverage: measured } = await executePaths('incident', paths);
    expect(measured.states.missing, 'states no path reaches').toEqual([]);
    expect(measured.transitions.missing, 'transitions no path takes').toEqual([]);
    expect(measured.states.covered).toBe(measured.states.total);
    expect(measured.transitions.covered).toBe(measured.transitions.total);
    expect(measured.states.total).toBe(14);
  });

  it('names what is missing when paths are left out', async () => {
    const withoutSoak = paths.filter((path) => !path.steps.some((step) => step.label === 'after.verifySoak'));
    const { runs } = await executePaths('incident', withoutSoak);
    const measured = coverage('incident', runs);
    expect(measured.states.missing).toEqual(['resolved']);
    expect(measured.transitions.missing).toEqual([
      'verify -xstate.after.verifySoak.incident.verify[0]-> resolved',
    ]);
    expect(coverage('incident', []).states.covered).toBe(0);
  });
});
