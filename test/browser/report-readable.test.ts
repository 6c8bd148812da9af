import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreShift } from '../../src/cli/shift.js';
import type { PlotSpec } from '../../src/views/plots.js';
import { renderReport } from '../../src/views/report.js';
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
 * The shift report as a new user meets it (issue 15), one test per defect found: every incident,
 * every canary, plots people can read and use, diagrams that can be read and zoomed, contrast, and
 * a phone's width. Screenshots at 1280x800 and 390x844 land in test-artifacts/.
 */

let browser: Browser;
const files: Record<string, string> = {};

beforeAll(async () => {
  browser = await launch();
  for (const name of ['stock-shift', 'stale-index', 'broken-fix']) {
    const { scenario, result, report } = await scoreShift({ scenario: `scenarios/${name}.yaml` });
    files[name] = artifact(`report-${name}.html`);
    writeFileSync(files[name], await renderReport({ scenario, result, gate: report }));
  }
});
afterAll(async () => {
  await browser?.close();
});

async function open(name: string, viewport = DESKTOP) {
  const page = await browser.newPage({ viewport });
  const seen = watch(page);
  await page.goto(pathToFileURL(files[name] as string).href);
  await page.waitForSelector('body[data-plots="ready"]');
  return { page, seen };
}

const specsOf = (page: Page) =>
  page.evaluate(() => JSON.parse(document.getElementById('plot-data')?.textContent ?? '[]') as PlotSpec[]);

const boxOf = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, text: e.textContent ?? '' };
    }),
  );

async function shots(name: string, page: Page, selector: string) {
  await page.locator(selector).first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: artifact(`${name}-${page.viewportSize()?.width}.png`) });
}

describe('the report, tried as a new user would', () => {
  it('gives every incident its section: its own plot on its own range, times and postmortem (stale-index)', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      const { page, seen } = await open('stale-index', viewport);
      for (const id of ['INC-5', 'INC-6']) {
        const section = page.locator(`section[data-incident="${id}"]`);
        expect(await section.locator('[data-incident-times] .card b').allInnerTexts()).toEqual([
          expect.stringMatching(/^\d+ min$/),
          expect.stringMatching(/^\d+ min$/),
          expect.stringMatching(/^\d+ min$/),
          expect.any(String),
        ]);
        expect(await section.locator('.postmortem h4').first().textContent()).not.toBe('');
        const canvases = section.locator(`[data-plot="plot-${id}"] canvas`);
        expect(await canvases.count()).toBe(6);
      }
      // INC-6's plot spans its own minutes, not the shift's: INC-5 is not squeezed into a corner.
      const spec = (await specsOf(page)).find((s) => s.id === 'plot-INC-6');
      const range = await page.evaluate(() => {
        const host = document.querySelector('[data-plot="plot-INC-6"]') as HTMLElement & {
          charts: { scales: { x: { min: number; max: number } } }[];
        };
        const x = host.charts[0]?.scales.x;
        return { min: x?.min, max: x?.max };
      });
      expect(range).toEqual({ min: spec?.x[0], max: spec?.x.at(-1) });
      expect((spec?.x.at(-1) as number) - (spec?.x[0] as number)).toBeLessThan(200);
      expect(await page.locator('[data-times] tbody tr').count()).toBe(2);
      await shots('report-every-incident', page, 'section[data-incident="INC-6"] .plot');
      expect(seen.errors).toEqual([]);
      await page.close();
    }
  });

  it('shows the rejected v3-fix canary in the release timeline and on the incident’s plot (broken-fix)', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      const { page } = await open('broken-fix', viewport);
      const rows = await page.locator('table[data-release-timeline] tr[data-release-step]').allInnerTexts();
      expect(rows.at(-1)).toMatch(/^4367 .*\tv3-fix\trejected\tINC-5\t.*FAILED regressions/s);
      const labels = await page
        .locator('[data-plot="plot-INC-5"] .marker-label')
        .evaluateAll((els) => els.map((e) => e.textContent ?? ''));
      expect(labels.some((l) => l.includes('canary rejected v3-fix'))).toBe(true);
      await shots('report-rejected-canary', page, '#releases');
      await page.close();
    }
  });

  it('never lets a label cross a line: marks are labelled above the panels, thresholds in the legends', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      const { page } = await open('stock-shift', viewport);
      for (const plot of await page.locator('[data-plot]').all()) {
        const id = await plot.getAttribute('data-plot');
        const labels = await boxOf(page, `[data-plot="${id}"] .marker-label`);
        const areas = await boxOf(page, `[data-plot="${id}"] .u-over`);
        const host = (await boxOf(page, `[data-plot="${id}"]`))[0] as Box;
        expect(labels.length).toBeGreaterThan(0);
        for (const label of labels) {
          // Above every panel's plotting area (where the lines are), inside the plot's width.
          for (const area of areas) expect(overlaps(label, area), `${label.text} over a panel`).toBe(false);
          expect(label.left).toBeGreaterThanOrEqual(host.left - 0.5);
          expect(label.right).toBeLessThanOrEqual(host.right + 0.5);
          for (const other of labels)
            if (other !== label) expect(overlaps(label, other), `${label.text} / ${other.text}`).toBe(false);
        }
      }
      // The objective and the thresholds are named in the legends, not written over the plot.
      const legends = await page.locator('[data-plot="plot-INC-5"] .u-legend').allInnerTexts();
      expect(legends.join(' ')).toMatch(/objective 99\.0%.*page threshold 14\.4x/s);
      await shots('report-labels', page, '[data-plot="plot-INC-5"]');
      await page.close();
    }
  });

  it('shows the values under the pointer, zooms every panel together, and is usable from the keyboard', async () => {
    const { page } = await open('stock-shift');
    const spec = (await specsOf(page)).find((s) => s.id === 'plot-INC-5') as PlotSpec;
    const panel = page.locator('[data-plot="plot-INC-5"] .u-over').first();
    await panel.scrollIntoViewIfNeeded();
    const box = (await panel.boundingBox()) as { x: number; y: number; width: number; height: number };
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    const values = await page
      .locator('[data-plot="plot-INC-5"] .u-legend')
      .first()
      .locator('.u-value')
      .allInnerTexts();
    const minute = Number(values[0]);
    const at = spec.x.indexOf(minute);
    expect(at).toBeGreaterThanOrEqual(0);
    const sli = spec.panels[0]?.lines[0]?.values[at] as number;
    expect(values[1]).toBe(`${(sli * 100).toFixed(1)}%`);
    // Every panel's legend follows the same minute.
    const firsts = await page
      .locator('[data-plot="plot-INC-5"] .u-legend tr:first-child .u-value')
      .allInnerTexts();
    expect(new Set(firsts)).toEqual(new Set([String(minute)]));

    // Drag across the SLI panel: all six panels zoom to the same minutes.
    await page.mouse.move(box.x + box.width * 0.3, box.y + 20);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + 20, { steps: 5 });
    await page.mouse.up();
    const scales = () =>
      page.evaluate(() => {
        const host = document.querySelector('[data-plot="plot-INC-5"]') as HTMLElement & {
          charts: { scales: { x: { min: number; max: number } } }[];
        };
        return host.charts.map((u) => [Math.round(u.scales.x.min), Math.round(u.scales.x.max)]);
      });
    const zoomed = await scales();
    expect(new Set(zoomed.map(String)).size).toBe(1);
    const [lo, hi] = zoomed[0] as [number, number];
    expect(hi - lo).toBeLessThan(((spec.x.at(-1) as number) - (spec.x[0] as number)) * 0.5);

    // From the keyboard: 0 shows the whole range, + zooms in.
    await page.locator('[data-plot="plot-INC-5"]').focus();
    await page.keyboard.press('0');
    expect((await scales())[0]).toEqual([spec.x[0], spec.x.at(-1)]);
    await page.keyboard.press('+');
    expect(((await scales())[0] as number[])[1]).toBeLessThan(spec.x.at(-1) as number);
    await page.getByRole('button', { name: 'whole range' }).nth(1).click();
    expect((await scales())[0]).toEqual([spec.x[0], spec.x.at(-1)]);
    await page.screenshot({ path: artifact('report-hover-1280.png') });
    await page.close();
  });

  it('plots the error budget left and the slow and ticket pairs', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      const { page } = await open('stock-shift', viewport);
      const budget = page.locator('[data-plot="plot-budget"]');
      expect((await budget.locator('canvas').boundingBox())?.height).toBeGreaterThan(100);
      expect(await budget.locator('.u-legend').textContent()).toMatch(/quality.*freshness/s);
      const titles = await page.locator('[data-plot="plot-INC-5"] .panel-title').allInnerTexts();
      expect(titles).toEqual(
        expect.arrayContaining([
          'slow page pair 6h/30m (pages above 6x)',
          'fast ticket pair 1d/2h (opens a ticket above 3x)',
          'slow ticket pair 3d/6h (opens a ticket above 1x)',
          'quality error budget left (30-day SLO)',
        ]),
      );
      await shots('report-budget', page, '#budget');
      await page.close();
    }
  });

  it('draws diagram labels at a legible size, beside their edges and apart, and zooms them', async () => {
    const { page } = await open('stock-shift');
    const figure = '#actor-INC-5';
    const labels = await boxOf(page, `${figure} g.edge text`);
    const size = await smallestLabelPx(page, figure);
    // At the zoom's floor (a chart wider than the page) labels are 11 px up to float rounding.
    expect(Math.round(size * 1000) / 1000).toBeGreaterThanOrEqual(11);
    // No two edge labels touch ("done fix error fix" read as one).
    for (const a of labels)
      for (const b of labels) {
        if (a === b) continue;
        const grown = { left: a.left - 3, right: a.right + 3, top: a.top, bottom: a.bottom };
        expect(overlaps(grown, b), `${a.text} / ${b.text}`).toBe(false);
      }
    // The ACK labels sit by the edges they name, outside the mitigate box.
    const mitigate = (await boxOf(page, `${figure} g.cluster[data-state="mitigate"] > path`))[0] as Box;
    for (const edge of await page.locator(`${figure} g.edge`).all()) {
      if ((await edge.locator('text').allInnerTexts()).join('') !== 'ACK') continue;
      const [text, path] = await Promise.all([
        edge.locator('text').boundingBox(),
        edge.locator('path').boundingBox(),
      ]);
      const t = text as { x: number; y: number; width: number; height: number };
      const p = path as { x: number; y: number; width: number; height: number };
      const gap = Math.max(
        p.x - (t.x + t.width),
        t.x - (p.x + p.width),
        p.y - (t.y + t.height),
        t.y - (p.y + p.height),
        0,
      );
      expect(gap).toBeLessThan(16);
      expect(t.x).toBeGreaterThanOrEqual(mitigate.right - 40);
    }
    // Zoom: + on the focused diagram makes the labels bigger, "fit" brings them back.
    await page.locator(`${figure} .zoom`).focus();
    await page.keyboard.press('+');
    await page.waitForTimeout(400);
    expect(await smallestLabelPx(page, figure)).toBeGreaterThan(size * 1.1);
    await page.screenshot({ path: artifact('report-diagram-zoomed-1280.png') });
    await page.getByRole('button', { name: 'fit the INC-5 diagram again' }).click();
    await page.waitForTimeout(400);
    expect(await smallestLabelPx(page, figure)).toBeCloseTo(size, 1);
    await page.close();
  });

  it('meets WCAG AA contrast, the header’s gate score included', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      for (const name of ['stock-shift', 'broken-fix']) {
        const { page } = await open(name, viewport);
        expect(await lowContrast(page)).toEqual([]);
        await page.screenshot({ path: artifact(`report-contrast-${name}-${viewport.width}.png`) });
        await page.close();
      }
    }
  });

  it('fits a phone: no sideways scroll, plots drawn at the screen’s width with 12 px text', async () => {
    const { page } = await open('stale-index', PHONE);
    expect(await sideways(page)).toBe(0);
    const canvases = await page.locator('[data-plot] canvas').evaluateAll((els) =>
      els.map((c) => ({
        css: c.getBoundingClientRect().width,
        pixels: (c as HTMLCanvasElement).width / devicePixelRatio,
      })),
    );
    for (const c of canvases) {
      expect(c.css).toBeLessThanOrEqual(390);
      expect(c.css).toBeGreaterThan(300);
      // Drawn at its size, not a wide drawing shrunk: canvas text stays at the 12 px it is drawn at.
      expect(Math.abs(c.css - c.pixels)).toBeLessThan(1);
    }
    const sizes = await page
      .locator('.marker-label, .u-legend, .panel-title')
      .evaluateAll((els) => els.map((e) => Number.parseFloat(getComputedStyle(e).fontSize)));
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(12);
    await shots('report-phone', page, '[data-plot="plot-INC-5"]');
    await page.close();
  });
});
