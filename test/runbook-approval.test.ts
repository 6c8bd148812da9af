import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stockPlays } from '../src/engine/plays.js';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import { loadLiveConfig } from '../src/live/config.js';
import { LiveEngine } from '../src/live/runtime.js';
import { buildServer } from '../src/live/server.js';
import { runShift } from '../src/world/drill.js';
import { parseScenario } from '../src/world/scenario.js';

/**
 * Approval gates of a runbook: answered in a drill as the scenario says (approve after N minutes,
 * reject, never), and live by operators through `serve`'s API, every answer journaled with who gave it,
 * a command the run cannot take refused with nothing journaled.
 */

const drill = async (approvals: string) => {
  const text = `extends: checkout-approval.yaml\nname: approval-test\noncall:\n  approvals:\n${approvals}`;
  const scenario = parseScenario(text, 'scenarios/approval-test.yaml');
  const result = await runShift(scenario);
  const incident = result.incidents.find((i) => i.type === 'bad-deploy');
  const runbook = result.trace.filter((e) => e.actor === `${incident?.id}/runbook`);
  return { result, incident, runbook };
};

describe('an approval gate in a drill', () => {
  it('is approved afterMinutes after the run starts waiting there, and the rollback runs then', async () => {
    const { incident, runbook } = await drill('    approve-rollback: { answer: approve, afterMinutes: 4 }\n');
    const waits = runbook.find((e) => e.to === 'approve-rollback.waiting');
    const approved = runbook.find((e) => e.event === 'APPROVE');
    expect(waits && approved && approved.t - waits.t).toBe(4);
    expect(incident?.state).toBe('resolved');
    expect(incident?.plays.map((p) => p.name)).toEqual(['restart', 'rollback']);
    expect(incident?.plays[1]).toMatchObject({ startedAt: approved?.t, outcome: 'recovered' });
  });

  it('escalates when the approver rejects, naming who', async () => {
    const { incident, runbook } = await drill('    approve-rollback: { answer: reject, afterMinutes: 1 }\n');
    expect(runbook.map((e) => e.event)).toContain('REJECT');
    expect(incident?.state).toBe('escalated');
    expect(incident?.escalation).toBe('approve-rollback rejected by Alice Chen');
    expect(incident?.plays.map((p) => p.name)).toEqual(['restart']);
  });

  it('takes its timeout exit when nobody answers', async () => {
    const { incident, runbook } = await drill('    approve-rollback: { answer: never }\n');
    const waits = runbook.find((e) => e.to === 'approve-rollback.waiting');
    const out = runbook.find((e) => e.from === 'approve-rollback.waiting');
    expect(out?.event).toMatch(/^xstate\.after\.timeout:approve-rollback/);
    expect(waits && out && out.t - waits.t).toBe(15);
    expect(incident?.escalation).toBe('approve-rollback: no approval within 15 min');
  });
});

const dir = mkdtempSync(join(tmpdir(), 'runbook-approval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an approval gate live', () => {
  it('is answered through the API; the run shows where it waits; refused commands journal nothing', async () => {
    let now = Date.UTC(2026, 11, 1, 9, 0, 20);
    const store = new SqliteStore(join(dir, 'live.db'));
    const config = loadLiveConfig('examples/serve.yaml', Object.keys(stockPlays));
    const type = config.incidentTypes[0] as (typeof config.incidentTypes)[number];
    type.runbook = [];
    type.flow = {
      name: type.name,
      steps: [
        {
          kind: 'approve',
          name: 'ask',
          approvers: ['Alice Chen'],
          count: 1,
          message: 'roll back?',
          timeout: 30,
          onTimeout: 'escalate',
          onReject: 'escalate',
        },
        {
          kind: 'play',
          name: 'rollback',
          play: 'rollback',
          with: {},
          timeout: 10,
          retries: 0,
          delay: 0,
          backoff: null,
          retryOn: ['failure', 'timeout'],
          onFailure: 'escalate',
        },
      ],
    };
    const live = new LiveEngine({ config, configFile: 'examples/serve.yaml', store, clock: () => now });
    const app = buildServer(live, { token: null, logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    };
    try {
      await call('POST', '/api/v2/alerts', [{ labels: { alertname: 'AnswerQualityLow', service: 'agent' } }]);
      now += 60_000;
      await call('POST', '/api/sli', { sli: 'quality', requests: 1000, errors: 400 });
      now += 60_000;
      expect((await call('POST', '/api/incidents/INC-1/ack', { by: 'Bob Okafor' })).status).toBe(200);
      const waiting = (await call('GET', '/api/incidents/INC-1')).json;
      expect(waiting.runbook).toMatchObject({
        step: 'ask',
        waiting: { step: 'ask', for: 'approval', since: waiting.milestones.acknowledged },
      });

      const inputs = () => store.runs()[0]?.inputs;
      const before = inputs();
      const refused = await call('POST', '/api/incidents/INC-1/runbook/approve', {
        step: 'ask',
        by: 'Bob Okafor',
      });
      expect(refused).toMatchObject({ status: 400, json: { field: 'by' } });
      expect(refused.json.error).toMatch(/may not answer ask \(approvers: Alice Chen\)/);
      expect((await call('POST', '/api/incidents/INC-1/runbook/unpause', { by: 'Alice Chen' })).status).toBe(
        400,
      );
      expect((await call('POST', '/api/incidents/INC-1/runbook/resume', { by: 'Alice Chen' })).status).toBe(
        409,
      );
      expect(
        (await call('POST', '/api/incidents/INC-1/runbook/skip', { step: 'rollback', by: 'Alice Chen' }))
          .status,
      ).toBe(400);
      expect(inputs()).toBe(before);

      now += 60_000;
      const approved = await call('POST', '/api/incidents/INC-1/runbook/approve', {
        step: 'ask',
        by: 'Alice Chen',
      });
      expect(approved.status).toBe(200);
      expect(approved.json.runbook.answers).toEqual([
        { step: 'ask', by: 'Alice Chen', answer: 'approve', at: 3 },
      ]);
      expect(approved.json.runbook.operations).toEqual([
        { command: 'approve', by: 'Alice Chen', at: 3, step: 'ask' },
      ]);
      await new Promise((done) => setTimeout(done, 50)); // the rollback play reports
      const after = (await call('GET', '/api/incidents/INC-1')).json;
      // The rollback ran once approved, under its step's key; this config has no deploy hook for it.
      expect(after.plays).toMatchObject([
        { name: 'rollback', key: 'INC-1/2/1', startedAt: 3, outcome: 'failure' },
      ]);
      expect(after.state).toBe('escalated');
      expect(after.escalation).toMatch(/^rollback failed \(no deploy hook/);
      expect(store.runs()[0]?.inputs).toBeGreaterThan(before ?? 0);
    } finally {
      await app.close();
      live.close();
      store.close();
    }
  });
});
