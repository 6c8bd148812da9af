import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { scoreShift } from '../src/cli/shift.js';
import type { GateReport } from '../src/views/gate.js';
import { markdownToHtml, plotMarkers, renderReport } from '../src/views/report.js';
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

describe('the shift report', () => {
  it('is one self-contained file: no script, nothing fetched from anywhere', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/\b(?:src|href)="(?!#)/);
    const urls = html.match(/https?:\/\/[^"'\s<]+/g) ?? [];
    expect(urls.filter((u) => !u.startsWith('http://www.w3.org/'))).toEqual([]);
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

  it('plots the SLI and both burn windows over every point of the series', () => {
    const plot = html.slice(
      html.indexOf('<svg data-plot="sli-burn"'),
      html.indexOf('</svg>', html.indexOf('data-plot')),
    );
    for (const line of ['sli', 'burn1h', 'burn5m']) {
      const points = new RegExp(`<polyline class="${line}"[^>]* points="([^"]+)"`).exec(plot)?.[1];
      expect(points?.split(' ')).toHaveLength(result.series.points.length);
    }
    expect(plot).toContain('class="objective"');
    expect(plot).toContain('class="threshold"');
  });

  it('marks the page, the rollback and the promotion at the minutes the shift recorded', () => {
    const rollback = result.releases.find((r) => r.via === 'rollback');
    const fix = result.releases.find((r) => r.release === result.ship?.candidate);
    expect(html).toContain(`<g data-marker="page" data-t="${result.milestones.paged}">`);
    expect(html).toContain(`<g data-marker="rollback" data-t="${rollback?.at}">`);
    expect(html).toContain(`<g data-marker="promote" data-t="${fix?.at}">`);
    expect(plotMarkers(result).map((m) => m.kind)).toEqual(
      expect.arrayContaining(['onset', 'page', 'rollback', 'mitigated', 'promote', 'resolved']),
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
    for (const incident of result.incidents) expect(html).toContain(`href="#actor-${incident.id}"`);
    expect(html).toContain('40 alerts posted (26 distinct) grouped by [service] into 5 incidents.');
    expect(html).toContain('<code>service=agent</code>');
    expect(html).toContain('T-1042');
  });

  it('renders the postmortem from its Markdown', () => {
    expect(html).toContain('<h3>Refund answers regressed after the v3 release</h3>');
    expect(html).toContain('<h4>Action items</h4>');
    expect(html).toContain('<th>Type</th><th>Item</th><th>Owner</th>');
    expect(html).toContain('<li><strong>00:44Z (min 4364)</strong> paged on-call</li>');
  });
});

describe('markdownToHtml', () => {
  it('escapes everything the Markdown says, so no markup reaches the page', () => {
    const out = markdownToHtml(
      '# <b>x</b>\n\nhi <script>alert(1)</script> & **bold** `a<b`\n\n- <i>item</i>',
    );
    expect(out).toBe(
      [
        '<h3>&lt;b&gt;x&lt;/b&gt;</h3>',
        '<p>hi &lt;script&gt;alert(1)&lt;/script&gt; &amp; <strong>bold</strong> <code>a&lt;b</code></p>',
        '<ul><li>&lt;i&gt;item&lt;/i&gt;</li></ul>',
      ].join('\n'),
    );
  });

  it('renders tables, numbered lists and paragraphs that span lines', () => {
    expect(
      markdownToHtml('| a | b |\n| --- | --- |\n| 1 | 2 |\n\n1. one\n2. two\n\nline one\nline two', 0),
    ).toBe(
      [
        '<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>',
        '<ol><li>one</li><li>two</li></ol>',
        '<p>line one line two</p>',
      ].join('\n'),
    );
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
