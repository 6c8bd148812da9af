import type { CommandModule } from './command.js';
import { numberFlag, pathFlag } from './options.js';

interface RulesFlags {
  slo: string;
  out?: string;
  timeScale: number;
}

const EXAMPLES = `
Reads a Sloth prometheus/v1 spec and writes Sloth's rule groups: slo:sli_error:ratio_rate5m .. 3d,
the period's ratio, slo:objective:ratio, slo:error_budget:ratio, slo:current_burn_rate:ratio,
slo:period_error_budget_remaining:ratio, sloth_slo_info, and one page and one ticket alert per SLO
from the policy the incident machine runs (the pairs of 'runbook burn --help').
With --time-scale N every window, the period and the evaluation interval are divided by N; the rule
names keep the unscaled windows, so queries and dashboards work at any scale.

Examples:
  $ runbook rules --slo slo.yaml > rules.yaml && promtool check rules rules.yaml
  $ runbook rules --slo slo.yaml --time-scale 60 --out gameday-rules.yaml
`;

export const registerRules: CommandModule = (program, ctx) => {
  program
    .command('rules')
    .description('Prometheus recording and alerting rules from a Sloth SLO spec (prometheus/v1).')
    .requiredOption('--slo <file>', 'the Sloth spec (YAML, version: prometheus/v1)', pathFlag('--slo'))
    .option('--out <file>', 'write the rules here (atomically) instead of stdout', pathFlag('--out'))
    .option(
      '--time-scale <n>',
      'divide every window by N (60: 1h becomes 1m) for game days',
      numberFlag('--time-scale', { integer: true, min: 1, max: 86_400 }),
      1,
    )
    .addHelpText('after', EXAMPLES)
    .action(async (flags: RulesFlags) => {
      const { loadSlothSpec, rulesYaml, slothRules } = await import('../toolkit/sloth.js');
      const { checkWritable, writeFileAtomic } = await import('./io.js');
      if (flags.out) checkWritable(flags.out);
      const spec = loadSlothSpec(flags.slo);
      const text = rulesYaml(slothRules(spec, { timeScale: flags.timeScale }), flags.slo);
      if (flags.out) await writeFileAtomic(flags.out, [text]);
      else ctx.io.out(text);
    });
};
