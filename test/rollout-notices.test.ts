import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutRecord } from '../machines/rollout.js';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import type { Notification } from '../src/engine/journal.js';
import { deliveryOf, notifierSchema } from '../src/live/notifiers.js';

/**
 * A rollout's decision (aborted, inconclusive, promoted) reaches the outbox with its why, and the
 * chat webhook and PagerDuty's custom_details carry it. Every expected text is read from the drill's
 * result, none is written down.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-rollout-notices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  rollouts: RolloutRecord[];
  notices: Notification[];
}

async function drill(scenario: string): Promise<Run> {
  const db = join(dir, `${scenario}.db`);
  const io = bufferIo();
  const code = await main(['drill', '--scenario', `scenarios/${scenario}.yaml`, '--db', db, '--json'], io);
  expect(code).toBe(0);
  const result = JSON.parse(io.stdout) as { rollout: { rollouts: RolloutRecord[] } };
  const sqlite = new Database(db, { readonly: true });
  const rows = sqlite.prepare("SELECT payload FROM outbox WHERE kind = 'rollout'").all() as {
    payload: string;
  }[];
  sqlite.close();
  return {
    rollouts: result.rollout.rollouts,
    notices: rows.map((r) => JSON.parse(r.payload) as Notification),
  };
}

const runs: Record<string, Run> = {};
beforeAll(async () => {
  for (const s of ['rollout-broken', 'rollout-fix', 'rollout-inconclusive']) runs[s] = await drill(s);
}, 120_000);

const decisionsOf = (run: Run, what: string) =>
  run.rollouts.flatMap((r) => r.decisions.filter((d) => d.what === what).map((d) => ({ rollout: r, d })));

describe('rollout decisions in the outbox', () => {
  it.each([
    ['rollout-broken', 'aborted'],
    ['rollout-fix', 'promoted'],
    ['rollout-inconclusive', 'inconclusive'],
  ])('%s: the %s decision is told, with its why', (scenario, what) => {
    const run = runs[scenario] as Run;
    const decided = decisionsOf(run, what);
    expect(decided.length).toBeGreaterThan(0);
    const notice = run.notices.find((n) => n.summary.endsWith(`: ${what}`));
    const last = decided.at(-1);
    expect(notice?.why).toBe(last?.d.why);
    expect(notice?.t).toBe(last?.d.at);
    expect(notice?.incident).toBe(last?.rollout.requestedBy);
  });

  it("tells only decisions: no notice for a step's weight or a passed analysis", () => {
    const fix = runs['rollout-fix'] as Run;
    expect(fix.notices.map((n) => n.summary.split(': ').at(-1))).toEqual(['promoted']);
  });

  it("puts the why in the webhook's body and PagerDuty's custom_details", () => {
    const notice = (runs['rollout-broken'] as Run).notices[0] as Notification;
    expect(notice.why).toContain('p=');
    const ctx = { run: 'run-1', timestamp: '2026-12-07T00:00:00Z' };
    // The webhook's default kinds include rollout decisions.
    const hookConfig = notifierSchema.parse({
      name: 'chat',
      type: 'webhook',
      url: 'http://127.0.0.1:1/hook',
    });
    const hook = deliveryOf(hookConfig, notice, ctx);
    expect(JSON.parse(hook?.body ?? '{}').why).toBe(notice.why);
    const pd = deliveryOf(
      {
        name: 'pd',
        type: 'pagerduty',
        url: 'http://127.0.0.1:1/pd',
        routingKey: 'k'.repeat(32),
        kinds: ['rollout'],
      },
      notice,
      ctx,
    );
    const event = JSON.parse(pd?.body ?? '{}');
    expect(event.event_action).toBe('trigger');
    expect(event.payload.custom_details).toMatchObject({
      kind: 'rollout',
      minute: notice.t,
      why: notice.why,
    });
  });
});
