import { beforeAll, describe, expect, it } from 'vitest';
import type { RolloutRecord } from '../machines/rollout.js';
import { scoreShift } from '../src/cli/shift.js';
import type { Judgement } from '../src/toolkit/judge.js';
import { escapeHtml, renderReport } from '../src/views/report.js';

/**
 * The report's Rollout section shows what the machine decided on: every number expected here is
 * read from the shift's result (the `rollout` of `drill --json`), none is written down.
 */

interface Shift {
  html: string;
  section: string;
  rollouts: RolloutRecord[];
}

async function shiftOf(scenario?: string): Promise<Shift> {
  const { scenario: read, result, report } = await scoreShift(scenario ? { scenario } : {});
  const html = await renderReport({ scenario: read, result, gate: report });
  const section =
    /<section id="rollout">[\s\S]*?<\/section>\n(?=<section id="incident-|<section id="diagrams")/.exec(
      html,
    )?.[0] ?? '';
  // The result as drill --json prints it.
  const rollouts = (JSON.parse(JSON.stringify(result)) as { rollout?: { rollouts: RolloutRecord[] } }).rollout
    ?.rollouts;
  return { html, section, rollouts: rollouts ?? [] };
}

const judgementsOf = (rollout: RolloutRecord): Judgement[] =>
  rollout.decisions.flatMap((d) =>
    (d.evidence?.metrics ?? []).flatMap((m) =>
      m.measurements
        .map((x) => x.value)
        .filter((v): v is Judgement => typeof v === 'object' && v !== null && 'score' in v),
    ),
  );

let broken: Shift;
let fix: Shift;
beforeAll(async () => {
  broken = await shiftOf('scenarios/rollout-broken.yaml');
  fix = await shiftOf('scenarios/rollout-fix.yaml');
});

describe("the report's Rollout section", () => {
  it("shows the broken fix's abort with its why, the judge's p-values, score and thresholds", () => {
    expect(broken.section).not.toBe('');
    const [rollout] = broken.rollouts;
    expect(rollout?.outcome).toBe('aborted');
    expect(broken.section).toContain(`data-rollout="${rollout?.n}" data-outcome="aborted"`);
    const aborted = rollout?.decisions.find((d) => d.what === 'aborted');
    expect(aborted?.evidence).toBeDefined();
    expect(broken.section).toContain(`<span data-why>${escapeHtml(aborted?.why ?? '')}</span>`);
    const judgements = judgementsOf(rollout as RolloutRecord);
    expect(judgements.length).toBeGreaterThan(0);
    for (const j of judgements) {
      expect(broken.section).toContain(`data-score="${j.score}" data-verdict="${j.verdict}"`);
      expect(broken.section).toContain(
        `pass &gt;= ${j.thresholds.pass}, marginal &gt;= ${j.thresholds.marginal}, alpha ${j.thresholds.alpha}`,
      );
      for (const m of j.metrics) {
        expect(broken.section).toContain(`<span data-p>${m.p}</span>`);
        expect(broken.section).toContain(`<td>${m.baseline.length}/${m.canary.length}</td>`);
        expect(broken.section).toContain(escapeHtml(m.detail));
      }
    }
    // The failing metric's p is below alpha: the abort is the judge's, not a guess.
    const failed = judgements.flatMap((j) => j.metrics.filter((m) => m.failed));
    expect(failed.some((m) => m.p !== null && m.p < (judgements[0]?.thresholds.alpha ?? 0))).toBe(true);
  });

  it("shows each step and every measurement's condition and value", () => {
    expect(broken.section).toContain('setWeight 20%');
    expect(broken.section).toContain('analysis: canary-health');
    const aborted = broken.rollouts[0]?.decisions.find((d) => d.what === 'aborted');
    for (const metric of aborted?.evidence?.metrics ?? []) {
      for (const condition of [metric.metric.successCondition, metric.metric.failureCondition])
        if (condition) expect(broken.section).toContain(escapeHtml(condition));
      for (const m of metric.measurements) expect(broken.section).toContain(escapeHtml(m.message));
    }
  });

  it("shows the fix's promotion and the passing analyses it went on", () => {
    const [rollout] = fix.rollouts;
    expect(rollout?.outcome).toBe('promoted');
    expect(fix.section).toContain(`data-outcome="promoted"`);
    const promoted = rollout?.decisions.find((d) => d.what === 'promoted');
    expect(fix.section).toContain(`<span data-why>${escapeHtml(promoted?.why ?? '')}</span>`);
    const passed = rollout?.decisions.filter((d) => d.what === 'passed') ?? [];
    expect(passed.length).toBeGreaterThan(0);
    expect((fix.section.match(/<li data-decision="passed">/g) ?? []).length).toBe(passed.length);
    for (const j of judgementsOf(rollout as RolloutRecord))
      expect(fix.section).toContain(`data-score="${j.score}" data-verdict="${j.verdict}"`);
  });

  it('escapes what it quotes: no raw comparison from a condition or a why reaches the markup', () => {
    expect(broken.section).toContain('&amp;&amp;');
    expect(broken.section).not.toMatch(/result\[0\] [<>]/);
    expect(broken.section).not.toContain('&& ');
  });

  it('is left out for a scenario without a strategy', async () => {
    const stock = await shiftOf();
    expect(stock.rollouts).toEqual([]);
    expect(stock.html).not.toContain('id="rollout"');
  });
});
