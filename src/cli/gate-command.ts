import { basename, extname } from 'node:path';
import { InputError } from '../toolkit/errors.js';
import { stockScenario } from '../toolkit/package-files.js';
import type { GateReport } from '../views/gate.js';
import type { ScenarioOutcome } from '../views/junit.js';
import { gateRows, gateTable } from '../views/narrate.js';
import type { CommandContext, CommandModule } from './command.js';
import { checkWritable, writeFileAtomic } from './io.js';
import { pathFlag } from './options.js';
import { type ShiftFlags, scoreShift, shiftCommand } from './shift.js';

interface GateFlags extends ShiftFlags {
  junit?: string;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** 0 every check holds, 1 a check failed, 2 the scenario could not be run. */
const exitOf = (outcome: ScenarioOutcome) =>
  'error' in outcome ? 2 : outcome.report.passed === outcome.report.total ? 0 : 1;

/** Runs and scores one scenario; bad input in it is its outcome, so the other scenarios still run. */
async function gateOne(file: string, flags: GateFlags, ctx: CommandContext): Promise<ScenarioOutcome> {
  try {
    const { scenario, report } = await scoreShift({ ...flags, scenario: file }, ctx);
    return { file, scenario: scenario.name, report };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const line = error.format();
    ctx.io.err(`${line}\n`);
    return { file, scenario: basename(file, extname(file)), error: line };
  }
}

/** What several scenarios print: each one's table under its file, then one line for them all. */
function summary(outcomes: readonly ScenarioOutcome[]): string {
  const passed = outcomes.filter((o) => exitOf(o) === 0).length;
  const others = outcomes
    .filter((o) => exitOf(o) !== 0)
    .map((o) => ('error' in o ? `${o.file}: bad input` : `${o.file}: ${o.report.passed}/${o.report.total}`));
  return `gate: ${passed}/${outcomes.length} scenarios pass${others.length > 0 ? ` (${others.join(', ')})` : ''}`;
}

const tableOf = (report: GateReport) => `${gateTable(report)}\n`;

export const registerGate: CommandModule = (program, ctx) => {
  shiftCommand(
    program,
    'gate',
    'Score a shift with the eval gate: exit 0 when every check holds, 1 when any fails, 2 on bad input.',
  )
    .argument(
      '[scenarios...]',
      'scenario files to gate (as well as --scenario); one summary, the worst exit code',
    )
    .option(
      '--junit <file>',
      'also write the checks as JUnit XML (a test case per check) for CI',
      pathFlag('--junit'),
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  runbook gate',
        '  runbook gate --scenario scenarios/broken-fix.yaml --json',
        '  runbook gate scenarios/*.yaml --junit gate.xml',
      ].join('\n'),
    )
    .action(async (files: string[], flags: GateFlags) => {
      if (flags.junit) checkWritable(flags.junit, '--junit');
      const named = [...(flags.scenario ? [flags.scenario] : []), ...files];
      if (named.length <= 1) {
        // One scenario: bad input is the command's own (exit 2, as every command has it).
        const file = named[0] ?? stockScenario();
        const { scenario, report } = await scoreShift({ ...flags, scenario: file }, ctx).catch(
          async (error) => {
            // The report still says why, for the CI job that reads it.
            if (flags.junit && error instanceof InputError)
              await writeJunit(flags.junit, [
                { file, scenario: basename(file, extname(file)), error: error.format() },
              ]);
            throw error;
          },
        );
        const outcome = { file, scenario: scenario.name, report };
        if (flags.junit) await writeJunit(flags.junit, [outcome]);
        ctx.io.out(flags.json ? json(report) : tableOf(report));
        ctx.exit(exitOf(outcome));
        return;
      }
      const outcomes: ScenarioOutcome[] = [];
      for (const file of named) {
        const outcome = await gateOne(file, flags, ctx);
        outcomes.push(outcome);
        if (!flags.json && 'report' in outcome) ctx.io.out(`${file}\n${tableOf(outcome.report)}\n`);
      }
      if (flags.junit) await writeJunit(flags.junit, outcomes);
      const passed = outcomes.filter((o) => exitOf(o) === 0).length;
      ctx.io.out(
        flags.json ? json({ passed, total: outcomes.length, scenarios: outcomes }) : `${summary(outcomes)}\n`,
      );
      ctx.exit(Math.max(...outcomes.map(exitOf)));
    });
};

async function writeJunit(file: string, outcomes: readonly ScenarioOutcome[]): Promise<void> {
  const { junitXml } = await import('../views/junit.js');
  await writeFileAtomic(file, [junitXml(outcomes, gateRows)], '--junit');
}
