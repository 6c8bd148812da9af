import type { RunbookSpec } from '../../machines/runbook-spec.js';
import { InputError } from '../toolkit/errors.js';
import { stockScenario } from '../toolkit/package-files.js';
import type { CommandContext, CommandModule } from './command.js';
import { pathFlag } from './options.js';

/**
 * The commands of runbooks in the statechart language (docs/runbooks.md): `lint` proves their
 * compiled machines, `approve`, `reject`, `pause`, `resume`, `skip`, `abort` and `retry-from` act
 * on a live run through `serve`'s API. `export --runbook` and `paths --runbook` draw and cover them.
 */

/** The runbooks of the statechart language a scenario has, by incident type; `name` picks one. */
export async function flowsOf(file: string | undefined, name: string | undefined): Promise<RunbookSpec[]> {
  const { loadScenario } = await import('../world/scenario.js');
  const scenarioFile = file ?? stockScenario();
  const scenario = loadScenario(scenarioFile);
  const flows = scenario.incidentTypes.flatMap((t) => (t.flow ? [t.flow] : []));
  if (name === undefined) return flows;
  const flow = flows.find((f) => f.name === name);
  if (!flow) {
    throw new InputError(
      `no runbook in the statechart language named ${JSON.stringify(name)} in ${scenarioFile} (there: ${flows.map((f) => f.name).join(', ') || 'none'})`,
      undefined,
      '--runbook',
    );
  }
  return [flow];
}

const LINT_HELP = `
Proves over each runbook's compiled machine that every waiting state has a timeout or an exit, that
every path ends in resolved or escalated, that no step is unreachable, and that no play runs twice
under one idempotency key. A violation prints the shortest path that shows it and, where approvals
steer the run there, the scenario overlay that reproduces it in a drill.
Exit 0 when every property holds, 1 on a violation, 2 on bad input.

Examples:
  $ runbook lint --scenario scenarios/checkout-approval.yaml
  $ runbook lint --scenario scenarios/regional-restart.yaml --runbook stale-index --json
`;

function registerLint(program: Parameters<CommandModule>[0], ctx: CommandContext): void {
  program
    .command('lint')
    .description(
      "Prove a scenario's runbooks (statechart language) can never wedge, over their compiled machines.",
    )
    .option('--scenario <file>', 'the scenario (default: the stock shift)', pathFlag('--scenario'))
    .option('--runbook <name>', 'only the runbook of this incident type')
    .option('--json', 'print the reports as JSON on stdout')
    .addHelpText('after', LINT_HELP)
    .action(async (flags: { scenario?: string; runbook?: string; json?: boolean }) => {
      const flows = await flowsOf(flags.scenario, flags.runbook);
      const { lintRunbook } = await import('../views/runbook-lint.js');
      const reports = flows.map(lintRunbook);
      const failed = reports.some((r) => r.violations.length > 0);
      if (flags.json) ctx.io.out(`${JSON.stringify({ runbooks: reports }, null, 2)}\n`);
      else {
        const lines = reports.length === 0 ? ['no runbook in the statechart language to lint'] : [];
        for (const r of reports) {
          const verdict = r.violations.length === 0 ? 'ok' : `${r.violations.length} violation(s)`;
          lines.push(
            `${r.runbook}: ${verdict} (${r.states} states, ${r.transitions} transitions, ${r.explored} run states explored)`,
          );
          for (const v of r.violations) {
            lines.push(`  ${v.rule}: ${v.message}`);
            if (v.path.length > 0) lines.push(`    shortest path: ${v.path.join(' ')}`);
            if (v.overlay)
              lines.push(`    reproduce with this scenario overlay:\n${v.overlay.replace(/^/gm, '      ')}`);
          }
        }
        ctx.io.out(`${lines.join('\n')}\n`);
      }
      ctx.exit(failed ? 1 : 0);
    });
}

const COMMANDS = [
  ['approve', 'approve', "Approve the approval gate STEP of an incident's runbook run"],
  ['reject', 'reject', 'Reject the approval gate STEP (the gate takes its onReject)'],
  ['pause', 'pause', 'Pause the run at its next step boundary (a running play finishes)'],
  // `resume RUN` resumes a killed run (runs.ts): a paused runbook is unpaused.
  ['unpause', 'resume', 'Resume a paused runbook run'],
  ['skip', 'skip', 'Skip STEP, the step the run is at: it goes on as if STEP were done'],
  ['abort', 'abort', 'Abort the run: the incident escalates, saying who aborted it'],
  ['retry-from', 'retry', 'Run again from STEP: a new attempt, its plays under new keys'],
] as const;

function registerOperators(program: Parameters<CommandModule>[0], ctx: CommandContext): void {
  for (const [name, command, description] of COMMANDS) {
    const needsStep = ['approve', 'reject', 'skip', 'retry'].includes(command);
    const cmd = program
      .command(name)
      .description(`${description}, through a running \`runbook serve\`.`)
      .argument('<incident>', 'the incident, e.g. INC-5')
      .option('--by <name>', 'who acts (journaled with the command)', process.env.USER ?? 'operator')
      .option('--server <url>', 'the serve API', 'http://127.0.0.1:9095')
      .addHelpText(
        'after',
        `\nExample:\n  $ runbook ${name} INC-5${needsStep ? ' --step approve-rollback' : ''} --by alice\n`,
      );
    if (needsStep) cmd.requiredOption('--step <name>', 'the step of the runbook');
    cmd.action(async (incident: string, flags: { by: string; server: string; step?: string }) => {
      let url: URL;
      try {
        url = new URL(`/api/incidents/${encodeURIComponent(incident)}/runbook/${command}`, flags.server);
      } catch {
        throw new InputError(`not a URL: ${JSON.stringify(flags.server)}`, undefined, '--server');
      }
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ by: flags.by, ...(flags.step ? { step: flags.step } : {}) }),
        });
      } catch (error) {
        throw new InputError(
          `cannot reach ${flags.server}: ${(error as Error).message}`,
          undefined,
          '--server',
        );
      }
      const body = await response.text();
      if (!response.ok) {
        const why = (() => {
          try {
            return (JSON.parse(body) as { error?: string }).error ?? body;
          } catch {
            return body;
          }
        })();
        throw new InputError(`${response.status}: ${why}`, undefined, `${name} ${incident}`);
      }
      ctx.io.out(`${body}\n`);
    });
  }
}

export const registerRunbooks: CommandModule = (program, ctx) => {
  registerLint(program, ctx);
  registerOperators(program, ctx);
};
