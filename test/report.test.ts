import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { scoreShift } from '../src/cli/shift.js';
import type { GateReport } from '../src/views/gate.js';
import { renderMarkdown } from '../src/views/markdown.js';
import type { PlotSpec } from '../src/views/plots.js';
import { renderReport } from '../src/views/report.js';
import { releaseTimeline } from '../src/views/timeline.js';
import type { ShiftResult } from '../src/world/drill.js';
import type { Scenario } from '../src/world/scenario.js';

let dir = '';
let scenario: Scenario;
let result: ShiftResult;
let gate: GateReport;
let html = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-report-'));
  ({ scenario, result, report: gate } = await scoreShift({}));
  html = await renderReport({ scenario, result, gate });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The plot specs the report hands its script. */
const plotData = (page: string) =>
  JSON.parse(
    /<script type="application\/json" id="plot-data">([^<]*)<\/script>/.exec(page)?.[1] ?? '[]',
  ) as PlotSpec[];

describe('the shift report', () => {
  it('is one self-contained file: its scripts inline and allowed by hash, nothing fetched', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/\b(?:src|href)="(?!#)/);
    expect(html).not.toMatch(/<script[^>]+src=/);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] as string);
    expect(scripts.length).toBeGreaterThanOrEqual(4);
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(csp).toContain("default-src 'none'");
    const allowed = /script-src ([^;]+)/.exec(csp)?.[1]?.split(' ') ?? [];
    expect(allowed).toEqual(
      scripts.map((code) => `'sha256-${createHash('sha256').update(code, 'utf8').digest('base64')}'`),
    );
  });

  it('is byte-identical for the same scenario', async () => {
    const again = await scoreShift({});
    expect(await renderReport({ scenario: again.scenario, result: again.result, gate: again.report })).toBe(
      html,
    );
  });

  it('has the gate table, one row per check', () => {
    const rows = html.match(/<tr data-check class="(pass|fail)">/g) ?? [];
    expect(rows).toHaveLength(gate.total);
    expect(gate.passed).toBe(7);
    for (const check of gate.checks) expect(html).toContain(`<td>${check.id}</td>`);
  });

  it('hands the plots the incident’s own series, each alerting pair and its budget', () => {
    const specs = plotData(html);
    const series = result.incidentSeries[0];
    const plot = specs.find((s) => s.id === `plot-${result.primary}`);
    expect(plot?.x).toEqual(series?.points.map((p) => p.t));
    expect(plot?.panels.map((p) => p.title)).toEqual([
      'quality SLI (share of good answers each minute)',
      'fast page pair 1h/5m (pages above 14.4x)',
      'slow page pair 6h/30m (pages above 6x)',
      'fast ticket pair 1d/2h (opens a ticket above 3x)',
      'slow ticket pair 3d/6h (opens a ticket above 1x)',
      'quality error budget left (30-day SLO)',
    ]);
    const slow = plot?.panels[2]?.lines.map((l) => l.label);
    expect(slow).toEqual(['burn 6h', 'burn 30m', 'page threshold 6x']);
    expect(plot?.panels[2]?.lines[0]?.values).toEqual(series?.points.map((p) => p.burn['6h']));
    expect(specs.find((s) => s.id === 'plot-budget')?.panels[0]?.lines).toHaveLength(result.budget.length);
  });

  it('marks the page, the rollback and the promotion at the minutes the shift recorded', () => {
    const plot = plotData(html).find((s) => s.id === `plot-${result.primary}`);
    const rollback = result.releases.find((r) => r.via === 'rollback');
    const fix = result.releases.find((r) => r.release === result.ship?.candidate);
    expect(plot?.markers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'paged', t: result.milestones.paged }),
        expect.objectContaining({ kind: 'rollback', t: rollback?.at }),
        expect.objectContaining({ kind: 'promoted', t: fix?.at, label: `canary promoted ${fix?.release}` }),
        expect.objectContaining({ kind: 'onset', t: result.milestones.onset }),
        expect.objectContaining({ kind: 'mitigated', t: result.milestones.mitigated }),
        expect.objectContaining({ kind: 'resolved', t: result.milestones.resolved }),
      ]),
    );
  });

  it('draws the diagrams with each actor’s path marked, ending where the trace ends', () => {
    for (const actor of ['release', result.primary as string]) {
      const last = result.trace.filter((e) => e.actor === actor).at(-1)?.to;
      expect(html).toMatch(
        new RegExp(`data-actor="${actor}" data-machine="\\w+" data-current-state="${last}"`),
      );
    }
    expect(html).toMatch(/data-state="resolved" class="node state visited current"/);
    expect(html).toMatch(/class="edge transition taken"/);
  });

  it('lists the incidents, their alert groups and the ticket', () => {
    for (const incident of result.incidents) expect(html).toMatch(new RegExp(`href="#\\w+-${incident.id}"`));
    expect(html).toContain('40 alerts posted (26 distinct) grouped by [service] into 5 incidents.');
    expect(html).toContain('<code>service=agent</code>');
    expect(html).toContain('T-1042');
  });

  it('renders the postmortem from its Markdown, under the incident’s section', () => {
    const section = html.slice(html.indexOf(`data-postmortem="${result.primary}"`));
    expect(section).toContain('<h4>Refund answers regressed after the v3 release</h4>');
    expect(section).toContain('<h5>Action items</h5>');
    expect(section).toMatch(/<th>Type<\/th>\s*<th>Item<\/th>\s*<th>Owner<\/th>/);
    expect(section).toContain('<li><strong>00:44Z (min 4364)</strong> paged on-call</li>');
  });
});

describe('every incident and every canary', () => {
  it('gives each worked incident of the stale-index shift its section, times, plot and postmortem', async () => {
    const stale = await scoreShift({ scenario: 'scenarios/stale-index.yaml' });
    const page = await renderReport({ scenario: stale.scenario, result: stale.result, gate: stale.report });
    const typed = stale.result.incidents.filter((i) => i.type !== '');
    expect(typed.map((i) => i.id)).toEqual(['INC-5', 'INC-6']);
    const specs = plotData(page);
    for (const incident of typed) {
      expect(page).toContain(`<section id="incident-${incident.id}" class="incident"`);
      expect(page).toContain(`data-postmortem="${incident.id}"`);
      const m = incident.milestones;
      const times = [m.detected, m.mitigated, m.resolved].map((t) => (t as number) - (m.onset as number));
      const row = new RegExp(
        `<a href="#incident-${incident.id}">${incident.id}</a></td><td>${incident.type}</td><td>resolved</td>${times.map((t) => `<td>${t} min</td>`).join('')}`,
      );
      expect(page).toMatch(row);
      const x = specs.find((s) => s.id === `plot-${incident.id}`)?.x ?? [];
      expect(x[0]).toBeLessThan(m.onset as number);
      expect(x.at(-1)).toBeGreaterThan(m.resolved as number);
      expect((x.at(-1) as number) - (x[0] as number)).toBeLessThan(200);
    }
    expect(page).toContain('<h4>The retrieval index went stale</h4>');
    expect(specs.find((s) => s.id === 'plot-INC-6')?.panels[0]?.title).toBe(
      'freshness SLI (share of good answers each minute)',
    );
  });

  it('shows the rejected v3-fix canary of broken-fix in the timeline and on the incident’s plot', async () => {
    const broken = await scoreShift({ scenario: 'scenarios/broken-fix.yaml' });
    const page = await renderReport({
      scenario: broken.scenario,
      result: broken.result,
      gate: broken.report,
    });
    const steps = releaseTimeline(broken.result, broken.scenario);
    expect(steps.map((s) => `${s.kind} ${s.release} -> ${s.live}`)).toEqual([
      'initial v2 -> v2',
      'promoted v3 -> v3',
      'rollback v2 -> v2',
      'rejected v3-fix -> v2',
    ]);
    const rejected = steps.at(-1);
    expect(rejected?.by).toBe(broken.result.primary);
    expect(rejected?.checks.filter((c) => !c.ok).map((c) => c.name)).toContain('regressions');
    expect(page).toMatch(
      /<tr data-release-step><td>4367 [^<]*<\/td><td><b>v3-fix<\/b><\/td><td><span class="fail">rejected/,
    );
    const plot = plotData(page).find((s) => s.id === `plot-${broken.result.primary}`);
    expect(plot?.markers).toContainEqual(
      expect.objectContaining({ kind: 'rejected', t: rejected?.at, label: 'canary rejected v3-fix' }),
    );
    expect(page).toContain('failed: ship');
  });

  it('agrees with the live history on every promotion and rollback', () => {
    const steps = releaseTimeline(result, scenario).filter((s) => s.kind !== 'rejected');
    expect(steps.map((s) => [s.release, s.at])).toEqual(result.releases.map((r) => [r.release, r.at]));
  });
});

describe('renderMarkdown (markdown-it, raw HTML escaped)', () => {
  it('escapes everything the Markdown says, so no markup reaches the page', () => {
    const out = renderMarkdown(
      '# <b>x</b>\n\nhi <script>alert(1)</script> & **bold** `a<b`\n\n- <i>item</i>',
    );
    expect(out).toContain('<h3>&lt;b&gt;x&lt;/b&gt;</h3>');
    expect(out).toContain(
      '<p>hi &lt;script&gt;alert(1)&lt;/script&gt; &amp; <strong>bold</strong> <code>a&lt;b</code></p>',
    );
    expect(out).toContain('<li>&lt;i&gt;item&lt;/i&gt;</li>');
    expect(out).not.toMatch(/<(script|b|i)>/);
  });

  it('drops javascript: links and keeps tables, lists and headings shifted as asked', () => {
    expect(renderMarkdown('[x](javascript:alert(1))')).not.toContain('href');
    const out = renderMarkdown('## a\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n1. one\n2. two', 0);
    expect(out).toContain('<h2>a</h2>');
    expect(out).toMatch(/<td>1<\/td>\s*<td>2<\/td>/);
    expect(out).toMatch(/<ol>\s*<li>one<\/li>\s*<li>two<\/li>\s*<\/ol>/);
  });
});

describe('runbook report', () => {
  it('writes the report atomically to --out', async () => {
    const out = join(dir, 'report.html');
    const io = bufferIo();
    expect(await main(['report', '--out', out], io)).toBe(0);
    expect(io.stdout).toContain('(gate 7/7)');
    expect(readFileSync(out, 'utf8')).toBe(html);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('rejects a bad scenario with exit 2 and leaves no file behind', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: [unclosed\n');
    const out = join(dir, 'bad.html');
    const io = bufferIo();
    expect(await main(['report', '--scenario', bad, '--out', out], io)).toBe(2);
    expect(io.stderr).toMatch(/^runbook: .*bad\.yaml/);
    expect(existsSync(out)).toBe(false);
  });
});
