import { describe, expect, it } from 'vitest';
import { gate } from '../src/views/gate.js';
import { runShift, type ShiftResult } from '../src/world/drill.js';
import { loadScenario, parseScenario, type Scenario } from '../src/world/scenario.js';

const check = (report: ReturnType<typeof gate>, id: string) => report.checks.find((c) => c.id === id);

/** The shift's result with the primary incident changed as `change` says. */
function withPrimary(
  result: ShiftResult,
  change: (i: ShiftResult['incidents'][number]) => void,
): ShiftResult {
  const copy: ShiftResult = structuredClone(result);
  const primary = copy.incidents.find((i) => i.id === copy.primary);
  if (!primary) throw new Error('the stock shift has a primary incident');
  change(primary);
  return copy;
}

// Each test runs its own shift, inside the test: mutation testing (npm run test:mutation) can then
// tell which tests exercise which line.
const stock = async () => {
  const scenario = loadScenario('scenarios/stock-shift.yaml');
  return { scenario, result: await runShift(scenario, { file: 'scenarios/stock-shift.yaml' }) };
};

describe('the page check', () => {
  it('passes the stock shift: paged from detect on page:1h/5m at sev1', async () => {
    const { scenario, result } = await stock();
    expect(check(gate(result, scenario), 'page')).toMatchObject({ ok: true });
  });

  it('fails when the incident went to page but no page pair was firing at detection', async () => {
    const { scenario, result } = await stock();
    const ticketOnly = withPrimary(result, (i) => {
      if (i.detection) i.detection.firing = ['ticket:1d/2h'];
    });
    expect(check(gate(ticketOnly, scenario), 'page')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('no page pair'),
    });
  });

  it("fails when the incident's severity is not the scenario's page severity", async () => {
    const { scenario, result } = await stock();
    const sev2 = withPrimary(result, (i) => {
      i.severity = 'sev2';
    });
    expect(check(gate(sev2, scenario), 'page')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('sev2 (a page is sev1)'),
    });
  });

  it("requires the scenario's alerting.severity.page, not sev1 literally", async () => {
    const file = 'scenarios/page-is-sev2.yaml';
    const pagesSev2: Scenario = parseScenario(
      'extends: stock-shift.yaml\nname: page-is-sev2\nalerting: { severity: { page: sev2, ticket: sev3 } }\n',
      file,
    );
    const shift = await runShift(pagesSev2, { file });
    const primary = shift.incidents.find((i) => i.id === shift.primary);
    expect(primary?.severity).toBe('sev2');
    expect(check(gate(shift, pagesSev2), 'page')).toMatchObject({ ok: true });
    expect(check(gate(shift, loadScenario('scenarios/stock-shift.yaml')), 'page')).toMatchObject({
      ok: false,
    });
  });
});

describe('the ship check', () => {
  it('fails when the promoted fix is rolled back later in the shift: it looks at what is live at the end', async () => {
    const file = 'scenarios/mutations/ship-rolled-back.yaml';
    const scenario = loadScenario(file);
    const result = await runShift(scenario, { file });
    expect(result.ship).toMatchObject({ candidate: 'v3-fix', verdict: 'promote' });
    expect(result.releases.map((r) => `${r.release}:${r.via}`).slice(-2)).toEqual([
      'v3-fix:canary',
      'v2:rollback',
    ]);
    expect(check(gate(result, scenario), 'ship')).toMatchObject({
      ok: false,
      detail: 'v3-fix was promoted, but live is v2 at the end of the shift',
    });
  });
});

describe('each mutation fails its own check and no other', () => {
  it.each([
    ['intake', 'scenarios/mutations/intake.yaml'],
    ['triage', 'scenarios/mutations/triage.yaml'],
    ['page', 'scenarios/mutations/page.yaml'],
    ['mitigate', 'scenarios/mutations/mitigate.yaml'],
    ['learn', 'scenarios/mutations/learn.yaml'],
    ['ship', 'scenarios/mutations/ship.yaml'],
    ['ship', 'scenarios/mutations/ship-rolled-back.yaml'],
    ['verify', 'scenarios/mutations/verify.yaml'],
    ['stale-index', 'scenarios/mutations/stale-index.yaml'],
  ])('%s', async (id, file) => {
    const scenario = loadScenario(file);
    const report = gate(await runShift(scenario, { file }), scenario);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual([id]);
  });
});
