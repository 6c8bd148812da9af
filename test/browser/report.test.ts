import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreShift } from '../../src/cli/shift.js';
import { renderReport } from '../../src/views/report.js';
import { artifact, launch, watch } from './chromium.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe('the shift report in Chromium', () => {
  it('shows the plots, the diagrams and the gate table, loading nothing but the file', async () => {
    const { scenario, result, report } = await scoreShift({});
    const file = artifact('report.html');
    writeFileSync(file, await renderReport({ scenario, result, gate: report }));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const seen = watch(page);
    await page.goto(pathToFileURL(file).href);

    await page.waitForSelector('body[data-plots="ready"]');
    const plot = page.locator(`[data-plot="plot-${result.primary}"]`);
    const box = await plot.boundingBox();
    expect(box?.width).toBeGreaterThan(600);
    expect(box?.height).toBeGreaterThan(200);
    // Six panels (SLI, four alerting pairs, budget), each a canvas the width of the plot.
    const canvases = plot.locator('canvas');
    expect(await canvases.count()).toBe(6);
    for (const canvas of await canvases.all())
      expect((await canvas.boundingBox())?.width).toBeGreaterThan(500);
    const kinds = await plot
      .locator('.marker-label')
      .evaluateAll((els) => els.flatMap((e) => (e as HTMLElement).dataset.kinds?.split(' ') ?? []));
    for (const marker of ['paged', 'rollback', 'promoted']) expect(kinds).toContain(marker);

    const rows = page.locator('table[data-gate] tr[data-check]');
    expect(await rows.count()).toBe(report.total);
    expect(await rows.allInnerTexts()).toEqual(
      report.checks.map((c) => expect.stringContaining(`${c.ok ? 'PASS' : 'FAIL'}\t${c.id}`)),
    );

    for (const machine of ['release', 'incident']) {
      const svg = page.locator(`figure[data-machine="${machine}"] svg.statechart`).first();
      expect((await svg.boundingBox())?.width).toBeGreaterThan(200);
    }
    const primary = page.locator(`figure[data-actor="${result.primary}"]`);
    expect(await primary.getAttribute('data-current-state')).toBe(result.trace.at(-1)?.to);
    expect(await primary.locator('g.node.current').getAttribute('data-state')).toBe('resolved');

    await page.screenshot({ path: artifact('report.png'), fullPage: true });
    expect(seen.urls.every((url) => url.startsWith('file://'))).toBe(true);
    expect(seen.errors).toEqual([]);
    await page.close();
  });
});
