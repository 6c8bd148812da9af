import { describe, expect, it } from 'vitest';
import type { IncidentContext } from '../machines/incident.js';
import type { ReleaseContext } from '../machines/release.js';
import { BURNS, canaryReport, startModelActor } from '../src/model.js';

describe('the incident machine', () => {
  it('pages a ticketed incident sev1 when its slow burn speeds up into a page pair, recording that pair', () => {
    const { actor } = startModelActor('incident');
    actor.send({ type: 'ALERTS', sli: 0.96, burn: BURNS['ticket-burn'] });
    expect(actor.getSnapshot().value).toBe('ticket');
    expect((actor.getSnapshot().context as IncidentContext).severity).toBe('sev3');
    actor.send({ type: 'SLI_SAMPLE', sli: 0.8, burn: BURNS['page-burn'] });
    const context = actor.getSnapshot().context as IncidentContext;
    expect(actor.getSnapshot().value).toBe('page');
    expect(context.severity).toBe('sev1');
    expect(context.detection?.firing).toContain('page:1h/5m');
  });

  it('goes back to watching when alerts arrive without any burn', () => {
    const { actor } = startModelActor('incident');
    actor.send({ type: 'ALERTS', sli: 1, burn: BURNS['no-burn'] });
    expect(actor.getSnapshot().value).toBe('watching');
    expect((actor.getSnapshot().context as IncidentContext).milestones.detected).toBeUndefined();
  });
});

describe('the release machine', () => {
  it('rolls back to a release that was rolled back from once it has passed a canary again', () => {
    const { actor } = startModelActor('release');
    const live = () => (actor.getSnapshot().context as ReleaseContext).live;
    actor.send({ type: 'DEPLOY', candidate: 'v2', report: canaryReport('v2', 'v1', 0) });
    actor.send({ type: 'ROLLBACK' });
    expect(live()).toBe('v1');
    actor.send({ type: 'DEPLOY', candidate: 'v2', report: canaryReport('v2', 'v1', 0) });
    actor.send({ type: 'DEPLOY', candidate: 'v3', report: canaryReport('v3', 'v2', 0) });
    actor.send({ type: 'ROLLBACK' });
    expect(live()).toBe('v2');
  });

  it('keeps live unchanged when the canary rejects the candidate', () => {
    const { actor } = startModelActor('release');
    actor.send({ type: 'DEPLOY', candidate: 'v2', report: canaryReport('v2', 'v1', 3) });
    const context = actor.getSnapshot().context as ReleaseContext;
    expect(context.live).toBe('v1');
    expect(context.verdict?.verdict).toBe('reject');
  });
});
