import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkParts } from '../examples/gameday/parts.js';
import { runStory, type StoryResult, storyFindings } from '../examples/gameday/story.js';
import { assertBuilt } from './support/cli-process.js';

/**
 * The live game day, end to end on real parts (issue 13's acceptance test): the example service,
 * Debian's Prometheus with the rules `runbook rules --time-scale 60` writes, Debian's Alertmanager
 * routing to `runbook serve --time-scale 60`, the engine's plays and canary calling the service.
 * Every fact asserted was read from the parts' own APIs, as `npm run gameday` narrates it.
 */

function partsMissing(): string | null {
  try {
    checkParts();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const missing = partsMissing();
const dir = mkdtempSync(join(tmpdir(), 'runbook-gameday-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const story = (scenario: string, name: string): Promise<StoryResult> => {
  const lines: string[] = [];
  return runStory({ scenario, dir: join(dir, name), timeScale: 60, say: (line) => lines.push(line) }).catch(
    (error: Error) => {
      throw new Error(`${error.message}\n${lines.join('\n')}`);
    },
  );
};

const stateChanges = (result: StoryResult) => result.incident.trace.map((e) => `${e.from}->${e.to}`);

describe.skipIf(missing !== null)('the live game day on real parts', () => {
  it('a bad deploy pages, is acknowledged, rolled back, written up, and its fix canaried live and promoted', async () => {
    assertBuilt();
    const result = await story('stock-shift.yaml', 'good-fix');
    expect(storyFindings(result, true)).toEqual([]);
    const { incident } = result;
    // The alert reached the engine through Alertmanager: the incident is the group Prometheus' alert made.
    expect(incident.labels).toEqual({ service: 'agent' });
    expect(incident.milestones.paged).toBeGreaterThanOrEqual(result.alertFiredAt.minute - 1);
    // It pages: straight from detect when the page pair already fires as the first alert arrives, or
    // from a ticket when the slower pair's alert came first. Which comes first is Prometheus' timing.
    expect(stateChanges(result)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^(detect|ticket)->page$/),
        'page->mitigate.running',
        'learn->ship',
        'ship->verify',
        'verify->resolved',
      ]),
    );
    expect(incident.postmortem?.regressionCases).toEqual(['reg-INC-1-refunds-1']);
    expect(incident.postmortem?.markdown).toContain('v3');
    expect(result.serviceReleases.map((r) => `${r.release}:${r.via}`)).toEqual([
      'v2:initial',
      'v3:deploy',
      'v2:rollback',
      'v3-fix:deploy',
    ]);
    // Real and engine time line up at 60x: the verify soak (10 engine minutes) took about 10 s.
    const verify = result.timeline.find((m) => m.what.includes('ship -> verify'));
    const resolved = result.timeline.find((m) => m.what.includes('verify -> resolved'));
    expect((resolved?.minute ?? 0) - (verify?.minute ?? 0)).toBe(10);
  }, 150_000);

  it('a fix still broken is rejected by the canary on the regression case and never goes live', async () => {
    const result = await story('broken-fix.yaml', 'broken-fix');
    expect(storyFindings(result, false)).toEqual([]);
    expect(result.incident.ship?.reasons.join('; ')).toContain('regression case reg-INC-1-refunds-1 failed');
    expect(result.serviceReleases.map((r) => r.release)).toEqual(['v2', 'v3', 'v2']);
  }, 150_000);
});

describe('the game day parts', () => {
  it('are installed and built (CI fails without them; a local run without them skips the game day, loudly)', () => {
    if (missing === null) return;
    const why = `${missing} (the live game day was SKIPPED)`;
    if (process.env.CI) expect.fail(why);
    console.warn(`\n*** ${why} ***\n`);
  });
});
