import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { packageRoot } from '../../src/toolkit/package-files.js';

/** Debian's Chromium, headless, with everything that would phone home turned off. */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where screenshots go (git-ignored). */
export function artifact(name: string): string {
  const dir = join(packageRoot(), 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** Every URL the page asks for (requests and WebSockets), and every error it throws. */
export function watch(page: Page) {
  const urls: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => {
    urls.push(request.url());
  });
  page.on('websocket', (socket) => {
    urls.push(socket.url());
  });
  page.on('pageerror', (error) => {
    errors.push(error.message);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return { urls, errors };
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export const overlaps = (a: Box, b: Box) =>
  a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/** How far the page scrolls sideways: 0 when nothing is wider than the viewport. */
export function sideways(page: Page): Promise<number> {
  return page.evaluate(
    () => (document.scrollingElement?.scrollWidth ?? 0) - document.documentElement.clientWidth,
  );
}

/**
 * Every piece of visible text whose contrast against what is behind it is below WCAG AA (4.5:1,
 * 3:1 for large text), with its colours. Colours are blended with their alpha and the opacity of
 * every ancestor; the background is the nearest painted one (an SVG node's own fill for its label).
 * Disabled controls are exempt, as WCAG says.
 */
export function lowContrast(page: Page) {
  return page.evaluate(() => {
    type Rgba = [number, number, number, number];
    const parse = (c: string): Rgba | null => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return null;
      const [r = 0, g = 0, b = 0, a = 1] = (m[1] ?? '')
        .split(/[\s,/]+/)
        .filter(Boolean)
        .map(Number);
      return [r, g, b, a];
    };
    const over = (top: Rgba, under: Rgba): Rgba => {
      const a = top[3];
      return [0, 1, 2].map((i) => (top[i] as number) * a + (under[i] as number) * (1 - a)).concat(1) as Rgba;
    };
    const luminance = (c: Rgba) => {
      const [r, g, b] = c.slice(0, 3).map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      }) as [number, number, number];
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a: Rgba, b: Rgba) => {
      const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
      return (x + 0.05) / (y + 0.05);
    };
    const background = (el: Element): Rgba => {
      const layers: Rgba[] = [];
      for (let e: Element | null = el; e; e = e.parentElement) {
        if (e instanceof SVGElement && e.matches('g.node, g.cluster')) {
          const shape = e.querySelector(':scope > path, :scope > polygon, :scope > ellipse');
          const fill = shape && parse(getComputedStyle(shape).fill);
          if (fill && fill[3] > 0) layers.push(fill);
        }
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg && bg[3] > 0) layers.push(bg);
        if (bg && bg[3] >= 1) break;
      }
      return layers.reduceRight<Rgba>((under, layer) => over(layer, under), [255, 255, 255, 1]);
    };
    const opacity = (el: Element) => {
      let o = 1;
      for (let e: Element | null = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
      return o;
    };
    const failures: { text: string; ratio: number; fg: string; bg: string }[] = [];
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && (n.textContent ?? '').trim());
      if (!own || el.closest('template, script, style, [hidden], :disabled, option')) continue;
      const box = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
      if (el.closest('details:not([open])') && !el.closest('summary')) continue;
      const colour = parse(el instanceof SVGElement ? style.fill : style.color);
      if (!colour) continue;
      const bg = background(el);
      const fg = over([colour[0], colour[1], colour[2], colour[3] * opacity(el)], bg);
      const size = Number.parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      const r = ratio(fg, bg);
      if (r < (large ? 3 : 4.5)) {
        failures.push({
          text: (el.textContent ?? '').trim().slice(0, 40),
          ratio: Math.round(r * 100) / 100,
          fg: fg.join(','),
          bg: bg.join(','),
        });
      }
    }
    return failures;
  });
}

/**
 * The size, in CSS px as drawn on screen, of the smallest edge label in the statecharts matching
 * `selector`: its font size in the drawing's units times how many screen px one unit takes.
 */
export function smallestLabelPx(page: Page, selector: string): Promise<number> {
  return page.locator(`${selector} svg.statechart`).evaluateAll((svgs) =>
    Math.min(
      ...svgs.flatMap((svg) => {
        const unit = svg.getBoundingClientRect().width / (svg as SVGSVGElement).viewBox.baseVal.width;
        return Array.from(svg.querySelectorAll('g.edge text')).map(
          (t) => Number.parseFloat(t.getAttribute('font-size') ?? '0') * unit,
        );
      }),
    ),
  );
}
