import { request } from 'node:http';
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { stockScenario } from '../src/toolkit/package-files.js';
import { runWithStately, STATELY_URL, startStatelyBridge } from '../src/views/inspector/stately.js';
import type { ShiftResult } from '../src/world/drill.js';
import { loadScenario, type Scenario } from '../src/world/scenario.js';

let scenario: Scenario;
const events: StatelyInspectionEvent[] = [];
let result: ShiftResult;

beforeAll(async () => {
  scenario = loadScenario(stockScenario());
  result = await runWithStately(scenario, (event) => events.push(event));
});

function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

const actorEvents = (list: StatelyInspectionEvent[]) =>
  list.flatMap((e) => (e.type === '@xstate.actor' ? [e] : []));

describe('the shift through @statelyai/inspect', () => {
  it('registers every top-level actor with its machine definition', () => {
    const actors = actorEvents(events);
    const names = actors.map((a) => a.name);
    expect(names).toContain('release');
    for (const incident of result.incidents) expect(names).toContain(incident.id);
    const primary = actors.find((a) => a.name === result.primary);
    expect(JSON.parse(primary?.definition ?? '{}')).toMatchObject({
      id: 'incident',
      states: { mitigate: { initial: 'running' } },
    });
    // Plays, the postmortem and the fix show up as the primary incident's children.
    expect(actors.some((a) => a.parentId === primary?.sessionId)).toBe(true);
  });

  it('sends the events each actor received and the snapshots they moved through', () => {
    const primary = actorEvents(events).find((a) => a.name === result.primary);
    const sent = events.flatMap((e) =>
      e.type === '@xstate.event' && e.sessionId === primary?.sessionId ? [e.event.type] : [],
    );
    expect(sent).toEqual(expect.arrayContaining(['ALERTS', 'SLI_SAMPLE', 'ACK', 'xstate.done.actor.play']));
    const values = events.flatMap((e) =>
      e.type === '@xstate.snapshot' && e.sessionId === primary?.sessionId
        ? [(e.snapshot as { value?: unknown }).value]
        : [],
    );
    expect(values).toContainEqual('page');
    expect(values).toContainEqual({ mitigate: 'running' });
    expect(values.at(-1)).toBe('resolved');
  });

  it('leaves the shift itself unchanged', () => {
    expect(result.trace.at(-1)).toMatchObject({ actor: result.primary, to: 'resolved' });
    expect(result.live).toBe('v3-fix');
  });
});

describe('the Stately bridge on loopback', () => {
  it('replays every inspection event to a client on its WebSocket, and serves the bridge page', async () => {
    const bridge = await startStatelyBridge({ scenario });
    try {
      expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const received: StatelyInspectionEvent[] = [];
      await new Promise<void>((resolve, reject) => {
        const socket = new WebSocket(`${bridge.url.replace('http', 'ws')}ws`);
        socket.on('message', (data) => {
          received.push(JSON.parse(String(data)));
          if (received.length === bridge.events.length) {
            socket.close();
            resolve();
          }
        });
        socket.on('error', reject);
      });
      expect(received.map((e) => e.type)).toEqual(bridge.events.map((e) => e.type));
      expect(actorEvents(received).map((a) => a.name)).toContain(result.primary);
      const { body: page } = await get(bridge.url);
      expect(page).toContain(`<iframe id="inspector" src="${STATELY_URL}"`);
      expect(page).toContain('@statelyai.connected');
      // Offline, the frame stays empty: the page says where the offline inspector is.
      expect(page).toContain(
        '<code>runbook inspect</code> (without <code>--stately</code>) is the offline inspector',
      );
    } finally {
      await bridge.close();
    }
  });

  it('answers only requests addressed to its own host name, as the offline inspector does', async () => {
    const bridge = await startStatelyBridge({ scenario });
    try {
      const status = async (host: string) => (await get(bridge.url, { host })).status;
      expect(await status('attacker.example')).toBe(421);
      expect(await status(`attacker.example:${bridge.port}`)).toBe(421);
      expect(await status(`localhost:${bridge.port}`)).toBe(200);
    } finally {
      await bridge.close();
    }
  });
});
