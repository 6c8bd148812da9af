import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { incidentMachine } from '../machines/incident.js';
import { releaseMachine } from '../machines/release.js';
import { BURNS, canaryReport, incidentInput, releaseInput } from '../src/views/model.js';

const startIncident = () => {
  const clock = new SimulatedClock();
  return createActor(incidentMachine, { clock, input: incidentInput(clock) }).start();
};
const startRelease = () => {
  const clock = new SimulatedClock();
  return createActor(releaseMachine, { clock, input: releaseInput(clock) }).start();
};

describe('the incident machine', () => {
  it('pages a ticketed incident sev1 when its slow burn speeds up into a page pair, recording that pair', () => {
    const actor = startIncident();
    actor.send({ type: 'ALERTS', sli: 0.96, burn: BURNS['ticket-burn'] });
    expect(actor.getSnapshot().value).toBe('ticket');
    expect(actor.getSnapshot().context.severity).toBe('sev3');
    actor.send({ type: 'SLI_SAMPLE', sli: 0.8, burn: BURNS['page-burn'] });
    const context = actor.getSnapshot().context;
    expect(actor.getSnapshot().value).toBe('page');
    expect(context.severity).toBe('sev1');
    expect(context.detection?.firing).toContain('page:1h/5m');
  });

  it('goes back to watching when alerts arrive without any burn', () => {
    const actor = startIncident();
    actor.send({ type: 'ALERTS', sli: 1, burn: BURNS['no-burn'] });
    expect(actor.getSnapshot().value).toBe('watching');
    expect(actor.getSnapshot().context.milestones.detected).toBeUndefined();
  });
});

describe('the release machine', () => {
  it('rolls back to a release that was rolled back from once it has passed a canary again', () => {
    const actor = startRelease();
    const live = () => actor.getSnapshot().context.live;
    actor.send({ type: 'DEPLOY', candidate: 'v2', report: canaryReport('v2', 'v1', 0) });
    actor.send({ type: 'ROLLBACK' });
    expect(live()).toBe('v1');
    actor.send({ type: 'DEPLOY', candidate: 'v2', report: canaryReport('v2', 'v1', 0) });
    actor.send({ type: 'DEPLOY', candidate: 'v3', report: canaryReport('v3', 'v2', 0) });
    actor.send({ type: 'ROLLBACK' });
    expect(live()).toBe('v2');
  });

  it('keeps live unchanged when the canary rejects the candidate', () => {
    const actor = startRelease();
    actor.send({ type: 'DEPLOY', candidate: 'v2', report: canaryReport('v2', 'v1', 3) });
    const context = actor.getSnapshot().context;
    expect(context.live).toBe('v1');
    expect(context.verdict?.verdict).toBe('reject');
  });
});
