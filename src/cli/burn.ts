import { InputError } from '../toolkit/errors.js';
import { type BacktestRow, type Burn, backtest, DEFAULT_POLICY, pairName, WINDOWS } from '../toolkit/slo.js';
import type { CommandModule } from './main.js';
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
      const rows = backtest(series.steps, { objective, from, to });
      ctx.io.out(options.json ? jsonLines(rows) : summary(rows, objective));
    });
};

function jsonLines(rows: BacktestRow[]): string {
  return rows.map((row) => `${JSON.stringify({ ...row, burn: roundBurn(row.burn) })}\n`).join('');
}

/** One line per pair starting or stopping, then the minutes spent at each alert level. */
function summary(rows: BacktestRow[], objective: number): string {
  const lines: string[] = [];
  let wasFiring = new Set<string>();
  const minutesAt = { page: 0, ticket: 0, none: 0 };
  for (const row of rows) {
    minutesAt[row.alert]++;
    const firing = new Set(row.firing);
    for (const pair of DEFAULT_POLICY) {
      const name = pairName(pair);
      if (firing.has(name) === wasFiring.has(name)) continue;
      // A pair already firing when the report begins did not start there.
      const verb = !firing.has(name)
        ? 'stops firing'
        : row === rows[0]
          ? 'is already firing'
          : 'starts firing';
      const burns = `${pair.long} ${times(row.burn[pair.long])}, ${pair.short} ${times(row.burn[pair.short])}`;
      lines.push(`minute ${row.minute}: ${name} ${verb} (${burns})`);
    }
    wasFiring = firing;
  }
  const first = rows[0]?.minute;
  const last = rows.at(-1)?.minute;
  const still = wasFiring.size > 0 ? `; still firing at minute ${last}: ${[...wasFiring].join(', ')}` : '';
  lines.push(
    `minutes ${first}..${last} at objective ${objective}: page ${minutesAt.page} min, ` +
      `ticket ${minutesAt.ticket} min, no alert ${minutesAt.none} min${still}`,
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
