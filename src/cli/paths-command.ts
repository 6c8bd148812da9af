import { InputError } from '../toolkit/errors.js';
import { MACHINE_NAMES } from '../views/catalog.js';
import type { Coverage, PathRun } from '../views/model.js';
import type { CommandContext, CommandModule } from './command.js';
import { pathFlag } from './options.js';

interface PathsFlags {
  machine?: string;
  runbook?: string;
  scenario?: string;
  json?: boolean;
}

const EXAMPLES = `
Each path is generated from the machine with @xstate/graph (one shortest path per distinct state and
event), then run on a real actor: plays, the postmortem and the fix are settled as the path says, and
delayed events fire off a simulated clock. Coverage counts the state nodes the actors entered and the
transitions they took (eventless and delayed ones included) against the machine's definition.
Exit 0 when every path ran as generated and coverage is 100%, 1 otherwise, 2 on bad input.

Examples:
  $ runbook paths --machine release
  live -DEPLOY(v2,failing)-> canary -> rejected -> live
  ...
  coverage: states 4/4, transitions 6/6
  $ runbook paths --machine incident --json
`;

const percent = (part: { covered: number; total: number }) => `${part.covered}/${part.total}`;

function summary(coverage: Coverage): string {
  const lines = [
    `coverage: states ${percent(coverage.states)}, transitions ${percent(coverage.transitions)}`,
  ];
  if (coverage.states.missing.length > 0)
    lines.push(`  states missed: ${coverage.states.missing.join(', ')}`);
  for (const transition of coverage.transitions.missing) lines.push(`  transition missed: ${transition}`);
  return `${lines.join('\n')}\n`;
}

function asJson(
  machine: string,
  runs: PathRun[],
  coverage: Coverage,
  firstMismatch: (run: PathRun) => string | null,
) {
  return {
    machine,
    paths: runs.map((run) => ({
      name: run.path.name,
      initial: run.initial.actual.state,
      steps: run.steps.map((step) => ({
        event: step.type,
        label: step.label,
        state: step.actual.state,
        via: step.via,
        ...(step.ignored ? { ignored: true } : {}),
      })),
      mismatch: firstMismatch(run),
    })),
    coverage,
  };
}

export const registerPaths: CommandModule = (program, ctx) => {
  program
    .command('paths')
    .description(
      'The test paths generated from a machine, each run on a real actor, and the state/transition coverage they reach.',
    )
    .option('--machine <name>', `the machine: ${MACHINE_NAMES.join(' or ')}`)
    .option('--runbook <name>', "an incident type's runbook (statechart language), with --scenario")
    .option('--scenario <file>', 'the scenario whose runbook --runbook names', pathFlag('--scenario'))
    .option('--json', 'print { machine, paths, coverage } as JSON on stdout')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: PathsFlags) => {
      if (flags.runbook !== undefined) {
        await runbookPathsCommand(flags, ctx);
        return;
      }
      const machine = flags.machine ?? '';
      // Loaded here: @xstate/graph would slow every other command's start.
      const { executePaths, firstMismatch, formatRun, generatePaths, isMachineName } = await import(
        '../views/model.js'
      );
      if (!isMachineName(machine)) {
        throw new InputError(
          `must be one of ${MACHINE_NAMES.join(', ')} (got ${JSON.stringify(machine)})`,
          undefined,
          '--machine',
        );
      }
      const { runs, coverage } = await executePaths(machine, generatePaths(machine));
      const failed = runs.filter((run) => firstMismatch(run) !== null);
      const complete =
        coverage.states.covered === coverage.states.total &&
        coverage.transitions.covered === coverage.transitions.total;
      if (flags.json) {
        ctx.io.out(`${JSON.stringify(asJson(machine, runs, coverage, firstMismatch), null, 2)}\n`);
        ctx.io.err(summary(coverage));
      } else {
        const lines = runs.map((run) => {
          const mismatch = firstMismatch(run);
          return mismatch ? `${formatRun(run)}  FAILED: ${mismatch}` : formatRun(run);
        });
        // One write: a reader that stops early (`| head`) then sees one closed pipe, not several.
        ctx.io.out(
          `${lines.join('\n')}\n${runs.length} paths, ${failed.length} failed\n${summary(coverage)}`,
        );
      }
      ctx.exit(failed.length === 0 && complete ? 0 : 1);
    });
};

/** `paths --runbook NAME`: the compiled runbook's generated paths and their coverage (views/runbook-paths.ts). */
async function runbookPathsCommand(flags: PathsFlags, ctx: CommandContext): Promise<void> {
  const [flow] = await (await import('./runbooks.js')).flowsOf(flags.scenario, flags.runbook);
  const { runbookPaths } = await import('../views/runbook-paths.js');
  const { paths, coverage } = runbookPaths(flow as NonNullable<typeof flow>);
  if (flags.json) {
    ctx.io.out(`${JSON.stringify({ runbook: flags.runbook, paths, coverage }, null, 2)}\n`);
  } else {
    const lines = paths.map((p) =>
      [p.steps.length === 0 ? '(start)' : '', ...p.steps.map((s) => `-${s.event}-> ${s.state}`)]
        .join(' ')
        .trim(),
    );
    ctx.io.out(`${lines.join('\n')}\n${paths.length} paths\n`);
  }
  const misses = [
    ...coverage.states.missing.map((s) => `  state not reached: ${s}`),
    ...coverage.transitions.missing.map((t) => `  transition not taken: ${t}`),
  ];
  ctx.io.err(
    `coverage: states ${coverage.states.covered}/${coverage.states.total}, transitions ${coverage.transitions.covered}/${coverage.transitions.total}\n${misses.map((m) => `${m}\n`).join('')}`,
  );
  ctx.exit(0);
}
