import { InputError } from '../toolkit/errors.js';
import type { CommandContext, CommandModule } from './command.js';
import { pathFlag } from './options.js';

interface ValidateFlags {
  plays?: string;
  json?: boolean;
}

interface Validated {
  file: string;
  ok: boolean;
  /** What was checked, for the line printed when it holds. */
  summary?: string;
  error?: string;
}

/**
 * The checks a scenario passes before any shift runs: its schema and cross-references (releases,
 * questions, SLIs, faults, effects, gate checks), that every `match:` can be carried by an alert it
 * sends, that every play its runbooks name is known (stock, an effect, or exported by its plays
 * module), and that every step of a runbook in the statechart language can be reached.
 */
async function validateOne(file: string, flags: ValidateFlags): Promise<Omit<Validated, 'file' | 'ok'>> {
  const { loadScenario, checkPlays } = await import('../world/scenario.js');
  const { unreachableStep } = await import('../world/reachable.js');
  const scenario = loadScenario(file);
  const module = flags.plays ?? scenario.plays;
  const own = module ? await (await import('../engine/load-plays.js')).loadPlays(module) : {};
  const { stockPlays } = await import('../engine/plays.js');
  checkPlays(
    scenario,
    [...Object.keys(stockPlays), ...Object.keys(scenario.effects), ...Object.keys(own)],
    file,
  );
  scenario.incidentTypes.forEach((type, i) => {
    const lost = type.flow && unreachableStep(type.flow, `incidentTypes[${i}].runbook`, file);
    if (lost) throw lost;
  });
  const types = scenario.incidentTypes.length;
  const checks = scenario.gate ? `${scenario.gate.length} gate checks` : 'the stock gate checks';
  return { summary: `${scenario.name}: ${types} incident type${types === 1 ? '' : 's'}, ${checks}` };
}

export const registerValidate: CommandModule = (program, ctx: CommandContext) => {
  program
    .command('validate')
    .description(
      'Check scenario files without running a shift (schema, references, matches, plays, runbook steps): exit 0 when all hold, 2 when any does not.',
    )
    .argument('<files...>', 'scenario files (YAML)')
    .option(
      '--plays <module>',
      "the plays module to know plays from (default: each scenario's plays:)",
      pathFlag('--plays'),
    )
    .option('--json', 'print JSON on stdout (and only JSON)')
    .addHelpText(
      'after',
      '\nExamples:\n  runbook validate scenarios/*.yaml\n  runbook validate my-service.yaml --plays plays.ts',
    )
    .action(async (files: string[], flags: ValidateFlags) => {
      const results: Validated[] = [];
      for (const file of files) {
        try {
          results.push({ file, ok: true, ...(await validateOne(file, flags)) });
        } catch (error) {
          if (!(error instanceof InputError)) throw error;
          const line = error.format();
          if (!flags.json) ctx.io.err(`${line}\n`);
          results.push({ file, ok: false, error: line });
        }
      }
      if (flags.json) ctx.io.out(`${JSON.stringify(results, null, 2)}\n`);
      else for (const r of results) if (r.ok) ctx.io.out(`ok  ${r.file} (${r.summary})\n`);
      ctx.exit(results.every((r) => r.ok) ? 0 : 2);
    });
};
