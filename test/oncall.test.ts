import { describe, expect, it } from 'vitest';
import { runShift } from '../src/world/drill.js';
import { loadScenario, type Scenario } from '../src/world/scenario.js';

/**
 * On-call acknowledges by the incident's current severity: a ticket that speeds up into a page gets
 * the page's deadline, counted from the page, not the ticket's from when it was opened.
 */

/** The stock shift with a policy that tickets first (30m/5m over 3x) and pages later (1h/5m over 14.4x). */
function ticketsFirst(ticketAckMinutes: number): Scenario {
  const stock = loadScenario('scenarios/stock-shift.yaml');
  return {
    ...stock,
    alerting: {
      ...stock.alerting,
      policy: [
        { severity: 'ticket', long: '30m', short: '5m', threshold: 3 },
        { severity: 'page', long: '1h', short: '5m', threshold: 14.4 },
      ],
    },
    oncall: { ...stock.oncall, ackMinutes: 2, ticketAckMinutes },
  };
}

describe('the acknowledgement deadline', () => {
  it('follows a ticket that turns into a page: ackMinutes after the page', async () => {
    const result = await runShift(ticketsFirst(120));
    const m = result.milestones;
    expect(m.detected).not.toBeNull();
    expect(m.paged).not.toBeNull();
    expect(m.detected as number).toBeLessThan(m.paged as number);
    expect(m.acknowledged).toBe((m.paged as number) + 2);
  });

  it('keeps the ticket deadline when the ticket is due before any page', async () => {
    const result = await runShift(ticketsFirst(3));
    const m = result.milestones;
    expect(m.paged).toBeNull();
    expect(m.acknowledged).toBe((m.detected as number) + 3);
  });
});
