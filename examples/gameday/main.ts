import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { checkParts, MissingPart } from './parts.js';
import { type Moment, runStory, type StoryResult, storyFindings } from './story.js';

/**
 * `npm run gameday`: the live game day, narrated. Two stories on real parts (see story.ts): the stock
 * shift's bad deploy with a fix that works, then the same with a fix that is still broken. Prints each
 * step as it happens, then each story's timeline (real seconds and engine minutes) and what it
 * showed; exits 0 when both showed what they must, 1 when not, 2 when a part is missing.
 */

const STORIES = [
  { scenario: 'stock-shift.yaml', fixWorks: true, title: 'a bad deploy, and a fix that works' },
  { scenario: 'broken-fix.yaml', fixWorks: false, title: 'the same deploy, and a fix still broken' },
];

function scale(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 10 || n > 600)
    throw new InvalidArgumentError('must be a whole number from 10 to 600');
  return n;
}

function timelineTable(timeline: readonly Moment[]): string {
  const rows = timeline.map(
    (m) => `  ${m.seconds.toFixed(1).padStart(7)} s  ${String(m.minute).padStart(5)} min  ${m.what}`,
  );
  return [`  ${'real'.padStart(9)}  ${'engine'.padStart(9)}`, ...rows].join('\n');
}

function summary(result: StoryResult): string {
  const { incident } = result;
  return [
    `  ${incident.id}: ${incident.state}, ${incident.severity}; plays: ${incident.plays.map((p) => `${p.play} ${p.outcome}`).join(', ')}`,
    `  postmortem: ${incident.postmortem ? `${incident.postmortem.accepted ? 'accepted' : 'sent back'}, regression cases ${incident.postmortem.regressionCases.join(', ')}` : 'none'}`,
    `  fix: ${incident.ship ? `${incident.ship.candidate} ${incident.ship.verdict}${incident.ship.reasons.length ? ` (${incident.ship.reasons.join('; ')})` : ''}, live ${incident.ship.live}` : 'none'}`,
    `  service releases: ${result.serviceReleases.map((r) => `${r.release} (${r.via})`).join(' -> ')}`,
    `  SLI at the end (Prometheus): ${(result.finalSli * 100).toFixed(1)}%`,
  ].join('\n');
}

async function main(): Promise<number> {
  const program = new Command('gameday')
    .description(
      'Run the live game day on real parts: the example service, Prometheus, Alertmanager and runbook serve.',
    )
    .option('--time-scale <n>', 'engine minutes per real minute', scale, 60)
    .option('--keep', 'keep the parts\u2019 files (configurations, rules, journals) and print where');
  program.parse();
  const { timeScale, keep } = program.opts<{ timeScale: number; keep?: boolean }>();
  try {
    checkParts();
  } catch (error) {
    if (!(error instanceof MissingPart)) throw error;
    process.stderr.write(`gameday: ${error.message}\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'runbook-gameday-'));
  const started = performance.now();
  let failures = 0;
  try {
    for (const [i, story] of STORIES.entries()) {
      process.stdout.write(`\n== Story ${i + 1}: ${story.title} (${story.scenario}, ${timeScale}x) ==\n`);
      const result = await runStory({
        scenario: story.scenario,
        dir: join(dir, `story-${i + 1}`),
        timeScale,
        say: (line) => process.stdout.write(`${line}\n`),
      });
      process.stdout.write(`\nTimeline:\n${timelineTable(result.timeline)}\n\n${summary(result)}\n`);
      const findings = storyFindings(result, story.fixWorks);
      for (const finding of findings) process.stdout.write(`  NOT SHOWN: ${finding}\n`);
      if (findings.length === 0) process.stdout.write('  shown: everything this story must show\n');
      failures += findings.length;
    }
  } finally {
    if (keep) process.stdout.write(`\nfiles kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `\ngame day: ${STORIES.length} stories in ${seconds} s, ${failures === 0 ? 'everything shown' : `${failures} checks not shown`}\n`,
  );
  return failures === 0 ? 0 : 1;
}

process.exitCode = await main();
