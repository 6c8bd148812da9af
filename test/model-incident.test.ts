import { describe, expect, it } from 'vitest';
import {
  coverage,
  executePath,
  executePaths,
  generatePaths,
  MODEL_RUNBOOK,
  type PathRun,
  type StepRun,
} from '../src/views/model.js';

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

/** Where the path with these events ends, as the real actor reports it. */
async function endOf(...labels: string[]) {
  const path = paths.find((p) => p.name === labels.join(' '));
  if (!path) throw new Error(`no generated path ${labels.join(' ')}`);
  const run = await executePath('incident', path);
  return run.steps.at(-1)?.actual;
}

/** The stock story up to verify: paged, mitigated by the first play, postmortem written, fix promoted. */
const THROUGH_SHIP = [
  'ALERTS(page-burn)',
  'ACK',
  'done.actor.play(ok)',
  'SLI_SAMPLE(page-burn,sli=0.995)',
  'done.actor.postmortem',
  'done.actor.fix(promote)',
];

describe('incident machine: what some generated paths say', () => {
  it('pages sev1, mitigates with the first play, learns, ships and resolves after the soak (the stock story)', async () => {
    expect(await endOf(...THROUGH_SHIP, 'after.verifySoak')).toMatchObject({
      state: 'resolved',
      status: 'done',
      severity: 'sev1',
      milestones: ['opened', 'detected', 'paged', 'acknowledged', 'mitigated', 'resolved'],
      plays: ['rollback#1:recovered'],
      learn: 'written',
      ship: 'promote',
      escalated: false,
    });
  });

  it('retries a failed play as often as its step allows, then runs the next step', async () => {
    expect(
      await endOf('ALERTS(page-burn)', 'ACK', 'done.actor.play(failed)', 'done.actor.play(failed)'),
    ).toMatchObject({
      state: 'mitigate.running',
      step: 1,
      attempt: 1,
      plays: ['rollback#1:failure', 'rollback#2:failure', 'reindex#1:running'],
    });
  });

  it('escalates at once when a step that says escalate fails', async () => {
    expect(
      await endOf(
        'ALERTS(page-burn)',
        'ACK',
        'done.actor.play(ok)',
        'after.settleWindow',
        'done.actor.play(failed)',
      ),
    ).toMatchObject({
      state: 'escalated',
      plays: ['rollback#1:no-recovery', 'reindex#1:failure'],
      escalated: true,
    });
  });

  it('escalates when the SLI falls below the objective while verifying', async () => {
    expect(await endOf(...THROUGH_SHIP, 'SLI_SAMPLE(no-burn,sli=0.8)')).toMatchObject({
      state: 'escalated',
      ship: 'promote',
      escalated: true,
    });
  });
});

describe('incident machine: coverage of the generated paths', () => {
  it('reaches every state and takes every transition, eventless and delayed ones included', async () => {
    const { coverage: measured } = await executePaths('incident', paths);
    expect(measured.states.missing, 'states no path reaches').toEqual([]);
    expect(measured.transitions.missing, 'transitions no path takes').toEqual([]);
    expect(measured.states.covered).toBe(measured.states.total);
    expect(measured.transitions.covered).toBe(measured.transitions.total);
    expect(measured.states.total).toBe(15);
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
