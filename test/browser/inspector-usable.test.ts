import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockScenario } from '../../src/toolkit/package-files.js';
import { type Inspector, startInspector } from '../../src/views/inspector/server.js';
import { runShift, type ShiftResult } from '../../src/world/drill.js';
import { loadScenario, type Scenario } from '../../src/world/scenario.js';
import {
  artifact,
  type Box,
  DESKTOP,
  launch,
  lowContrast,
  overlaps,
  PHONE,
  sideways,
  smallestLabelPx,
  watch,
} from './chromium.js';

/**
 * The offline inspector as a new user meets it (issue 15), one test per defect found: what a step
 * carried and the context it left, the failed gate checks, the keyboard, contrast, legible and
 * zoomable diagrams, and a phone's width. Screenshots at 1280x800 and 390x844 in test-artifacts/.
 */

let browser: Browser;
let stock: Scenario;
let expected: ShiftResult;
const servers: Inspector[] = [];

beforeAll(async () => {
  stock = loadScenario(stockScenario());
  [browser, expected] = await Promise.all([launch(), runShift(stock)]);
});
afterAll(async () => {
  for (const server of servers) await server.close();
  await browser?.close();
});

async function open(viewport = DESKTOP, scenario = stock) {
  const inspector = await startInspector({ scenario, speed: 0 });
  servers.push(inspector);
  const page = await browser.newPage({ viewport });
  const seen = watch(page);
  await page.goto(inspector.url);
  await page.waitForSelector('body[data-status="done"]', { timeout: 20_000 });
  return { page, seen };
}

const position = (page: Page) => page.evaluate(() => Number(document.body.dataset.position));
const rowOf = (actor: string, to: string) =>
  expected.trace.find((e) => e.actor === actor && e.to === to)?.seq as number;

describe('the inspector, tried as a new user would', () => {
  it('shows what the selected step’s event carried and the actor’s context after it', async () => {
    const { page, seen } = await open();
    const primary = expected.primary as string;
    const seq = rowOf(primary, 'page');
    await page.locator(`#events li.trace[data-seq="${seq}"]`).click();
    expect(await position(page)).toBe(seq);
    const detection = expected.incidents.find((i) => i.id === primary)?.detection;
    const payload = JSON.parse((await page.locator('#step-payload').textContent()) ?? '');
    expect(payload.sli).toBe(detection?.sli);
    expect(payload.burn['1h']).toBeCloseTo(detection?.burn?.['1h'] as number, 4);
    await page.locator('#step-context-box summary').click();
    const context = JSON.parse((await page.locator('#step-context').textContent()) ?? '');
    expect(context).toMatchObject({ severity: 'sev1', milestones: { paged: expected.milestones.paged } });
    expect(await page.locator('#step-summary').textContent()).toContain(`${primary} went detect → page`);
    await page.screenshot({ path: artifact('inspector-step-1280.png') });
    expect(seen.errors).toEqual([]);
    await page.close();
  });

  it('names the gate checks that failed (broken-fix)', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      const { page } = await open(viewport, loadScenario('scenarios/broken-fix.yaml'));
      expect(await page.locator('#gate').textContent()).toBe('gate 6/7');
      const failures = page.locator('#failures');
      expect(await failures.isVisible()).toBe(true);
      expect(await failures.locator('.check').allInnerTexts()).toEqual(['ship']);
      expect(await failures.textContent()).toContain('v3-fix rejected by the canary');
      await page.screenshot({ path: artifact(`inspector-failed-check-${viewport.width}.png`) });
      await page.close();
    }
  });

  it('works from the keyboard: Space leaves focused controls alone, Enter selects a row, headers fold', async () => {
    const { page } = await open();
    const n = expected.trace.length;
    const replaying = () => page.locator('#play').textContent();

    // Space on the checkbox ticks it and does not start the replay.
    await page.locator('#show-events').focus();
    await page.keyboard.press(' ');
    expect(await page.locator('#show-events').isChecked()).toBe(false);
    await page.waitForTimeout(600);
    expect(await replaying()).toBe('▶ replay');
    expect(await position(page)).toBe(n);

    // Space on a button presses that button, and only that.
    await page.locator('#back').focus();
    await page.keyboard.press(' ');
    await page.waitForTimeout(600);
    expect(await position(page)).toBe(n - 1);
    expect(await replaying()).toBe('▶ replay');

    // Enter on a transition row selects its step.
    const row = page.locator('#events li.trace[data-seq="5"]');
    await row.focus();
    await page.keyboard.press('Enter');
    expect(await position(page)).toBe(5);
    expect(await row.getAttribute('aria-current')).toBe('step');

    // Tab reaches the panel headers; Enter folds the diagram.
    const header = page.locator('[data-actor="release"] h2 button');
    await page.locator('#last').focus();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await header.evaluate((el) => el === document.activeElement);
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    expect(await header.getAttribute('aria-expanded')).toBe('false');
    expect(await page.locator('[data-actor="release"] .diagram').isVisible()).toBe(false);

    // Space with nothing focused still plays the replay.
    await page.locator('#step-summary').click();
    await page.keyboard.press(' ');
    expect(await replaying()).toBe('⏸ pause');
    await page.keyboard.press(' ');
    await page.screenshot({ path: artifact('inspector-keyboard-1280.png') });
    await page.close();
  });

  it('meets WCAG AA contrast, the gate score and the current row’s minute included', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      for (const scenario of [stock, loadScenario('scenarios/broken-fix.yaml')]) {
        const { page } = await open(viewport, scenario);
        await page.locator('#events li.trace[data-seq="12"]').click();
        expect(await page.locator('#events li.now').count()).toBe(1);
        expect(await lowContrast(page)).toEqual([]);
        await page.screenshot({
          path: artifact(`inspector-contrast-${scenario.name}-${viewport.width}.png`),
        });
        await page.close();
      }
    }
  });

  it('draws legible diagram labels that zoom and pan', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      const { page } = await open(viewport);
      const panel = `[data-actor="${expected.primary}"]`;
      // At least 11 px; a phone shows part of the drawing at that size and pans.
      const before = await smallestLabelPx(page, panel);
      expect(before).toBeGreaterThanOrEqual(10.9);
      await page.getByRole('button', { name: `zoom in on the ${expected.primary} diagram` }).click();
      await page.waitForTimeout(400);
      expect(await smallestLabelPx(page, panel)).toBeGreaterThan(before * 1.1);
      // Arrow keys pan the focused diagram and leave the replay where it is.
      const at = await position(page);
      const node = page.locator(`${panel} g.node[data-state="watching"]`);
      const x0 = (await node.boundingBox())?.x as number;
      await page.locator(`${panel} .zoom`).focus();
      await page.keyboard.press('ArrowRight');
      await page.waitForTimeout(300);
      expect((await node.boundingBox())?.x).toBeLessThan(x0);
      expect(await position(page)).toBe(at);
      await page.screenshot({ path: artifact(`inspector-zoom-${viewport.width}.png`) });
      await page.close();
    }
  });

  it('fits a phone: no sideways scroll, the events below the diagrams, never over them', async () => {
    const { page, seen } = await open(PHONE);
    expect(await sideways(page)).toBe(0);
    const box = (selector: string) =>
      page.locator(selector).evaluateAll((els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return {
            left: r.left + scrollX,
            top: r.top + scrollY,
            right: r.right + scrollX,
            bottom: r.bottom + scrollY,
          };
        }),
      );
    const [log] = (await box('#log')) as Box[];
    for (const actor of await box('.actor')) {
      expect(overlaps(actor, log as Box)).toBe(false);
      expect(actor.right - actor.left).toBeGreaterThan(300);
    }
    // The replay controls stay at hand while the page scrolls to the actor that moves.
    await page.locator('#first').click();
    await page.locator('#forward').click();
    expect((await page.locator('#controls').boundingBox())?.y).toBe(0);
    await page.screenshot({ path: artifact('inspector-phone-390.png') });
    await page.screenshot({ path: artifact('inspector-phone-390-full.png'), fullPage: true });
    expect(seen.errors).toEqual([]);
    await page.close();
  });
});
