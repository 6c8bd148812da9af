import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedRun } from '../../src/cli/run-store.js';
import { renderReport } from '../../src/views/report.js';
import { storedLiveRun } from '../support/live-run.js';
import { artifact, DESKTOP, launch, watch } from './chromium.js';

/** The report of a stored `runbook serve` run, in Chromium: plots drawn, no gate, no errors. */

const dir = mkdtempSync(join(tmpdir(), 'runbook-live-report-'));
let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the report of a live run in Chromium', () => {
  it("draws the paged incident's plot and the budget, shows no gate, and throws nothing", async () => {
    const { scenario, result, report } = await storedRun(await storedLiveRun(dir), 'run-1');
    expect(report).toBeNull();
    const file = artifact('report-live.html');
    writeFileSync(file, await renderReport({ scenario, result, gate: report }));
    const page = await browser.newPage({ viewport: DESKTOP });
    const seen = watch(page);
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-plots="ready"]');
    const plot = page.locator('[data-plot="plot-INC-1"]');
    expect((await plot.boundingBox())?.width).toBeGreaterThan(600);
    expect(await plot.locator('canvas').count()).toBeGreaterThan(1);
    expect(await page.locator('#budget canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#gate').count()).toBe(0);
    expect(await page.locator('table[data-incidents] tbody tr').count()).toBe(2);
    await page.screenshot({ path: artifact('report-live.png'), fullPage: true });
    expect(seen.urls.every((url) => url.startsWith('file://'))).toBe(true);
    expect(seen.errors).toEqual([]);
    await page.close();
  });
});
