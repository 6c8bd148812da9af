import type { Command } from 'commander';
import { loadPlays } from '../engine/load-plays.js';
import { stockScenario } from '../toolkit/package-files.js';
import { type GateReport, gate } from '../views/gate.js';
import { narrate } from '../views/narrate.js';
import type { ShiftResult } from '../world/drill.js';
import type { Scenario } from '../world/scenario.js';
import type { CommandContext, CommandModule } from './command.js';
import { pathFlag } from './options.js';
import { type Progress, thousands, withProgress } from './progress.js';

export interface ShiftFlags {
  scenario?: string;
  plays?: string;
  json?: boolean;
  db?: string;
}

/** Loads the scenario and the plugged-in plays, runs the shift (journaled with --db) and scores it. */
export async function scoreShift(
  flags: ShiftFlags,
  ctx?: CommandContext,
): Promise<{ scenario: Scenario; result: ShiftResult; report: GateReport }> {
  const file = flags.scenario ?? stockScenario();
  // Loaded on use, as every command's implementation is: the CLI starts without the schema and
  // the machines, so `--help`, a bad flag or a bad scenario answer at once.
  const { loadScenario } = await import('../world/scenario.js');
  const scenario = loadScenario(file);
  // --plays replaces the scenario's own plays module (its `plays:`, relative to the scenario).
  const playsModule = flags.plays ?? scenario.plays;
  const plays = playsModule ? await loadPlays(playsModule) : {};
  const result = await withProgress(ctx?.io, flags.json, async (line): Promise<ShiftResult> => {
    const onMinute = drillProgress(line);
    return flags.db
      ? await (await import('./run-store.js')).journaledShift(
          flags.db,
          { scenario, file, plays, playsModule: playsModule ?? null, onMinute },
          ctx,
        )
      : await (await import('../world/drill.js')).runShift(scenario, { plays, file, onMinute });
  });
  return { scenario, result, report: gate(result, scenario) };
}

/** A drill's progress line: redrawn every 240 sim minutes, and every 50,000 alerts of a storm. */
function drillProgress(line: Progress) {
  if (!line.active) return undefined;
  let shownAlerts = 0;
  return (minute: number, lastMinute: number, alerts: number) => {
    if (minute % 240 !== 0 && alerts - shownAlerts < 50_000) return;
    shownAlerts = alerts;
    line.show(
      `drill: minute ${thousands(minute)} (at most ${thousands(lastMinute)}), ${thousands(alerts)} alerts in`,
    );
  };
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** What `drill` prints: the whole result with --json, else a summary. `resume` prints the same. */
export function printDrill(ctx: CommandContext, result: ShiftResult, asJson: boolean | undefined): void {
  if (asJson) {
    ctx.io.out(json(result));
    return;
  }
  const m = result.milestones;
  ctx.io.out(
    [
      `shift ${result.scenario}: ${result.intake.incidents} incidents, ${result.trace.length} transitions, live ${result.live}`,
      ...result.incidents.map((i) => `  ${i.id} ${i.service} ${i.type || '(no type)'}: ${i.state}`),
      `  onset ${m.onset ?? 'n/a'}, detected ${m.detected ?? 'n/a'}, mitigated ${m.mitigated ?? 'n/a'}, resolved ${m.resolved ?? 'n/a'}`,
      '(--json for the whole result and trace)',
      '',
    ].join('\n'),
  );
}

export function shiftCommand(program: Command, name: string, summary: string) {
  return program
    .command(name)
    .description(summary)
    .option('--scenario <file>', 'the shift to run (YAML); default: the stock shift', pathFlag('--scenario'))
    .option('--plays <module>', 'an ES module exporting your own plays by name', pathFlag('--plays'))
    .option('--json', 'print JSON on stdout (and only JSON)');
}

const exitOf = (report: GateReport) => (report.passed === report.total ? 0 : 1);

export const registerShift: CommandModule = (program, ctx: CommandContext) => {
  shiftCommand(
    program,
    'demo',
    'Narrate a shift, sections A-G, then score it with the gate (exit 0 when every check holds, 1 when not).',
  )
    .addHelpText('after', '\nExamples:\n  runbook demo\n  runbook demo --scenario scenarios/broken-fix.yaml')
    .action(async (flags: ShiftFlags) => {
      const { scenario, result, report } = await scoreShift(flags, ctx);
      if (flags.json) {
        ctx.io.err(narrate(result, report, scenario.owners));
        ctx.io.out(json({ result, gate: report }));
      } else {
        ctx.io.out(narrate(result, report, scenario.owners));
      }
      ctx.exit(exitOf(report));
    });

  shiftCommand(
    program,
    'drill',
    'Run a shift and print its result: incidents, milestones, releases, the trace.',
  )
    .addHelpText(
      'after',
      '\nExamples:\n  runbook drill --json > shift.json\n  runbook drill --scenario scenarios/stale-index.yaml\n  runbook drill --db shifts.db   # then: runbook runs --db shifts.db; runbook resume run-1 --db shifts.db',
    )
    .option(
      '--db <file|url>',
      'journal the run in this SQLite file (created if missing) or postgres:// database; its id goes to stderr',
    )
    .action(async (flags: ShiftFlags) => {
      const { result } = await scoreShift(flags, ctx);
      printDrill(ctx, result, flags.json);
    });
};
