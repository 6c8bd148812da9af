import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../src/toolkit/slo.js';
import { runShift } from '../src/world/drill.js';
import { loadScenario } from '../src/world/scenario.js';

describe('the series the report plots, on the stale-index shift', async () => {
  const scenario = loadScenario('scenarios/stale-index.yaml');
  const result = await runShift(scenario);
  const typed = result.incidents.filter((i) => i.type !== '');

  it('has one series per typed incident, on that incident’s SLI and its own span', () => {
    expect(result.incidentSeries.map((s) => s.incident)).toEqual(typed.map((i) => i.id));
    for (const incident of typed) {
      const series = result.incidentSeries.find((s) => s.incident === incident.id);
      const sli = scenario.incidentTypes.find((t) => t.name === incident.type)?.sli;
      expect(series?.sli).toBe(sli);
      const ts = series?.points.map((p) => p.t) ?? [];
      expect(ts[0]).toBeLessThan(incident.milestones.onset as number);
      expect(ts.at(-1)).toBeGreaterThan(incident.milestones.resolved as number);
      // Consecutive minutes, none skipped.
      expect(ts.every((t, i) => i === 0 || t === (ts[i - 1] as number) + 1)).toBe(true);
    }
    // The second incident is not squeezed into the first one's range.
    const [first, second] = result.incidentSeries;
    expect(second?.points[0]?.t).toBeGreaterThan(first?.points.at(-1)?.t as number);
  });

  it('carries burns that make the policy page at the minute the incident paged', () => {
    for (const incident of typed) {
      const series = result.incidentSeries.find((s) => s.incident === incident.id);
      const at = series?.points.find((p) => p.t === incident.milestones.paged);
      expect(at && evaluatePolicy(at.burn, scenario.alerting.policy).alert).toBe('page');
      const before = series?.points.find((p) => p.t === (incident.milestones.paged as number) - 1);
      expect(before && evaluatePolicy(before.burn, scenario.alerting.policy).alert).not.toBe('page');
    }
  });

  it('spends each SLO’s budget while it burns and never while it holds', () => {
    for (const budget of result.budget) {
      const values = budget.points.map((p) => p.remaining);
      expect(values[0]).toBe(1);
      expect(Math.min(...values)).toBeLessThan(1);
      expect(budget.points.at(-1)?.t).toBe(result.minutes.end);
    }
    const freshness = result.incidentSeries.find((s) => s.sli === 'freshness');
    const points = freshness?.points ?? [];
    const onset = typed.find((i) => i.type === 'stale-index')?.milestones.onset as number;
    const at = (t: number) => points.find((p) => p.t === t)?.budget as number;
    expect(at(onset - 10)).toBe(at(onset - 30));
    expect(at(onset + 5)).toBeLessThan(at(onset));
  });
});
