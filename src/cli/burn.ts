import { InputError } from '../toolkit/errors.js';
import {
  type BacktestColumns,
  type Burn,
  backtestColumns,
  backtestRowAt,
  DEFAULT_POLICY,
  pairFiresAt,
  pairName,
  WINDOWS,
} from '../toolkit/slo.js';
import type { CommandModule } from './command.js';
import { numberFlag, pathFlag } from './options.js';

/** Without `until`, a series is replayed for a day past its last step: long enough to see alerts clear. */
const TAIL_MINUTES = WINDOWS['1d'];
/** A year of minutes. A backtest replays from minute 0 and keeps every row in memory, so `to` is bounded. */
const LAST_MINUTE = 366 * WINDOWS['1d'];

interface BurnOptions {
  series: string;
  objective: number;
  from: number;
  to?: number;
  json?: boolean;
}

const EXAMPLES = `
The row for minute t sees the minutes before it: a window of w minutes at t covers t-w .. t-1.
Policy (Google SRE Workbook, 30-day SLO): a pair fires when both its windows burn faster than its threshold.
${DEFAULT_POLICY.map((pair) => `  ${pairName(pair).padEnd(14)} > ${pair.threshold}x`).join('\n')}

Series file (JSON): each step sets the per-minute counts from its minute on; "until" is optional.
  {"steps": [{"minute": 0, "requests": 1000, "errors": 0},
             {"minute": 4320, "requests": 1000, "errors": 200}], "until": 4600}

Examples:
  $ runbook burn --series incident.json
  minute 4364: page:1h/5m starts firing (1h 14.67x, 5m 20x)
  ...
  $ runbook burn --series incident.json --objective 0.999 --from 4300 --to 4400 --json
`;

export const registerBurn: CommandModule = (program, ctx) => {
  program
    .command('burn')
    .description(
      'Backtest the multi-window multi-burn-rate alert policy on a per-minute series: when it pages, when it clears.',
    )
    .requiredOption('--series <file>', 'the traffic series (JSON, see below)', pathFlag('--series'))
    .option(
      '--objective <ratio>',
      'the SLO objective, in (0, 1)',
      numberFlag('--objective', { min: 0, max: 1, exclusive: true }),
      0.99,
    )
    .option(
      '--from <minute>',
      'first minute to report',
      numberFlag('--from', { integer: true, min: 0, max: LAST_MINUTE }),
      0,
    )
    .option(
      '--to <minute>',
      `last minute to report (default: the series' "until", else its last step + ${TAIL_MINUTES})`,
      numberFlag('--to', { integer: true, min: 0, max: LAST_MINUTE }),
    )
    .option('--json', 'one JSON line per minute on stdout instead of the summary')
    .addHelpText('after', EXAMPLES)
    .action(async (options: BurnOptions) => {
      const { loadSeries } = await import('../toolkit/series.js');
      const series = loadSeries(options.series);
      const lastStep = series.steps.at(-1)?.minute ?? 0;
      const to = options.to ?? series.until ?? lastStep + TAIL_MINUTES;
      const { from, objective } = options;
      if (to < from) {
        const why = options.to === undefined ? ` (the series ends at minute ${to}; pass --to)` : '';
        throw new InputError(`must be >= --from (${to} < ${from})${why}`, undefined, '--to');
      }
      if (to > LAST_MINUTE) {
        const why = `runs to minute ${to}, past the longest backtest (${LAST_MINUTE}); pass --to`;
        throw new InputError(why, options.series, series.until === undefined ? undefined : 'until');
      }
      const columns = backtestColumns(series.steps, { objective, from, to });
      ctx.io.out(options.json ? jsonLines(columns) : summary(columns, objective));
    });
};

function jsonLines(columns: BacktestColumns): string {
  const lines: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    const row = backtestRowAt(columns, i);
    lines.push(`${JSON.stringify({ ...row, burn: roundBurn(row.burn) })}\n`);
  }
  return lines.join('');
}

/** One line per pair starting or stopping, then the minutes spent at each alert level. */
function summary(columns: BacktestColumns, objective: number): string {
  const lines: string[] = [];
  const wasFiring = DEFAULT_POLICY.map(() => false);
  const minutesAt = [0, 0, 0];
  for (let i = 0; i < columns.length; i++) {
    const level = columns.urgency[i] ?? 0;
    minutesAt[level] = (minutesAt[level] ?? 0) + 1;
    DEFAULT_POLICY.forEach((pair, p) => {
      const firing = pairFiresAt(columns, p, i);
      if (firing === wasFiring[p]) return;
      wasFiring[p] = firing;
      // A pair already firing when the report begins did not start there.
      const verb = !firing ? 'stops firing' : i === 0 ? 'is already firing' : 'starts firing';
      const { burn } = backtestRowAt(columns, i);
      const burns = `${pair.long} ${times(burn[pair.long])}, ${pair.short} ${times(burn[pair.short])}`;
      lines.push(`minute ${columns.from + i}: ${pairName(pair)} ${verb} (${burns})`);
    });
  }
  const [none, ticket, page] = minutesAt;
  const stillFiring = DEFAULT_POLICY.filter((_, p) => wasFiring[p]).map(pairName);
  const still =
    stillFiring.length > 0 ? `; still firing at minute ${columns.to}: ${stillFiring.join(', ')}` : '';
  lines.push(
    `minutes ${columns.from}..${columns.to} at objective ${objective}: page ${page} min, ` +
      `ticket ${ticket} min, no alert ${none} min${still}`,
  );
  return `${lines.join('\n')}\n`;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function times(burn: number): string {
  return `${round2(burn)}x`;
}

function roundBurn(burn: Burn): Burn {
  const rounded = { ...burn };
  for (const name of Object.keys(rounded) as (keyof Burn)[]) rounded[name] = round2(rounded[name]);
  return rounded;
}
