import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceEntry } from '../../src/engine/trace.js';
import { stockScenario } from '../../src/toolkit/package-files.js';
import { chart } from '../../src/views/export.js';
import { type Inspector, startInspector } from '../../src/views/inspector/server.js';
import { runShift, type ShiftResult } from '../../src/world/drill.js';
import { loadScenario, type Scenario } from '../../src/world/scenario.js';
import { artifact, launch, watch } from './chromium.js';

let browser: Browser;
let scenario: Scenario;
let expected: ShiftResult;

beforeAll(async () => {
  scenario = loadScenario(stockScenario());
  [browser, expected] = await Promise.all([launch(), runShift(scenario)]);
});
afterAll(async () => {
  await browser?.close();
});

/** Each actor's state after the first `upTo` trace entries ('' for actors that have not started). */
function statesAt(trace: readonly TraceEntry[], upTo: number): Record<string, string> {
  const states: Record<string, string> = {};
  for (const entry of trace) states[entry.actor] = '';
  for (const entry of trace.slice(0, upTo)) states[entry.actor] = entry.to;
  return states;
}

/** What the page shows, read in one go: its position in the trace and each panel's state. */
function shown(page: Page) {
  return page.evaluate(() => {
    const states: Record<string, string> = {};
    for (const panel of Array.from(document.querySelectorAll<HTMLElement>('[data-actor]'))) {
      states[panel.dataset.actor ?? '?'] = panel.dataset.currentState ?? '?';
    }
    const highlighted: Record<string, string[]> = {};
    for (const panel of Array.from(document.querySelectorAll<HTMLElement>('[data-actor]'))) {
      highlighted[panel.dataset.actor ?? '?'] = Array.from(
        panel.querySelectorAll<SVGGElement>('g.node.current'),
      ).map((g) => g.dataset.state ?? '?');
    }
    return {
      status: document.body.dataset.status,
      position: Number(document.body.dataset.position),
      states,
      highlighted,
    };
  });
}

async function open(inspector: Inspector) {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  const seen = watch(page);
  await page.goto(inspector.url);
  return { page, seen };
}

function expectLocal(urls: string[], inspector: Inspector) {
  const origin = `127.0.0.1:${inspector.port}`;
  expect(urls.length).toBeGreaterThan(0);
  for (const url of urls)
    expect(url).toMatch(new RegExp(`^(https?|wss?)://${origin.replace(/\./g, '\\.')}/`));
}

describe('the offline inspector in Chromium', () => {
  it('draws both machines and, after the live run, highlights the trace’s last state of every actor', async () => {
    const inspector = await startInspector({ scenario, speed: 0 });
    try {
      const { page, seen } = await open(inspector);
      await page.waitForSelector('body[data-status="done"]', { timeout: 20_000 });
      const last = statesAt(expected.trace, expected.trace.length);
      const view = await shown(page);
      expect(view.position).toBe(expected.trace.length);
      expect(view.states).toEqual(last);
      // The drawn highlight (not just the attribute): the atomic state the actor ended in.
      for (const [actor, state] of Object.entries(last)) expect(view.highlighted[actor]).toEqual([state]);

      const release = page.locator('[data-actor="release"] svg.statechart[data-machine="release"]');
      expect(await release.locator('g.node[data-state]').count()).toBe(chart('release').states.length);
      const incident = page.locator(
        `[data-actor="${expected.primary}"] svg.statechart[data-machine="incident"]`,
      );
      const states = chart('incident').states;
      expect(await incident.locator('g[data-state]').count()).toBe(states.length);
      expect((await incident.boundingBox())?.width).toBeGreaterThan(300);
      expect(await page.locator('#events li.trace').count()).toBe(expected.trace.length);
      await page.locator(`[data-actor="${expected.primary}"]`).scrollIntoViewIfNeeded();
      await page.screenshot({ path: artifact('inspector-live.png') });

      expectLocal(seen.urls, inspector);
      expect(seen.errors).toEqual([]);
      await page.close();
    } finally {
      await inspector.close();
    }
  });

  it('follows the actors while the shift streams, paced', async () => {
    // 10 transitions a second: the 31 of the stock shift take 3 s, ample time to look mid-run.
    const inspector = await startInspector({ scenario, speed: 10 });
    try {
      const { page, seen } = await open(inspector);
      await page.waitForFunction(() => Number(document.body.dataset.position) >= 18, undefined, {
        timeout: 20_000,
      });
      const mid = await shown(page);
      expect(mid.status).toBe('running');
      expect(mid.position).toBeLessThan(expected.trace.length);
      // Panels appear as actors start: compare the ones shown so far.
      const want = statesAt(expected.trace, mid.position);
      for (const [actor, state] of Object.entries(mid.states)) expect(state, actor).toBe(want[actor]);
      await page.screenshot({ path: artifact('inspector-running.png') });
      await page.waitForSelector('body[data-status="done"]', { timeout: 20_000 });
      expectLocal(seen.urls, inspector);
      expect(seen.errors).toEqual([]);
      await page.close();
    } finally {
      await inspector.close();
    }
  });

  it('replays: step back and forward, drag the slider, and the diagrams follow', async () => {
    const inspector = await startInspector({ scenario, speed: 0 });
    try {
      const { page, seen } = await open(inspector);
      await page.waitForSelector('body[data-status="done"]', { timeout: 20_000 });
      const n = expected.trace.length;

      await page.click('#back');
      let view = await shown(page);
      expect(view.position).toBe(n - 1);
      expect(view.states).toEqual(statesAt(expected.trace, n - 1));

      await page.click('#first');
      view = await shown(page);
      expect(view.position).toBe(0);
      expect(Object.values(view.states).every((s) => s === '')).toBe(true);

      for (let i = 0; i < 3; i++) await page.click('#forward');
      expect((await shown(page)).states).toEqual(statesAt(expected.trace, 3));

      const paged = expected.trace.findIndex((e) => e.actor === expected.primary && e.to === 'page') + 1;
      await page.locator('#slider').fill(String(paged));
      view = await shown(page);
      expect(view.states).toEqual(statesAt(expected.trace, paged));
      expect(view.highlighted[expected.primary as string]).toEqual(['page']);
      await page.locator(`[data-actor="${expected.primary}"]`).scrollIntoViewIfNeeded();
      await page.screenshot({ path: artifact('inspector-replay-paged.png') });

      await page.keyboard.press('ArrowRight');
      expect((await shown(page)).position).toBe(paged + 1);

      await page.locator('#slider').fill(String(n));
      view = await shown(page);
      expect(view.position).toBe(n);
      expect(view.states).toEqual(statesAt(expected.trace, n));
      await page.screenshot({ path: artifact('inspector-replay-end.png') });

      expectLocal(seen.urls, inspector);
      expect(seen.errors).toEqual([]);
      await page.close();
    } finally {
      await inspector.close();
    }
  });
});
