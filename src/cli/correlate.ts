import { Option } from 'commander';
import { DEFAULT_RESOLVE_TIMEOUT_MINUTES, minuteToTimestamp } from '../toolkit/alerts.js';
import { type Correlation, Correlator } from '../toolkit/correlate.js';
import { generateStorm, type StormSpec, stockServices, stockStorm } from '../world/storm.js';
import type { CommandModule } from './command.js';
import { checkWritable, type Io, streamOut, writeFileAtomic } from './io.js';
import { labelsFlag, numberFlag, pathFlag } from './options.js';
import { megabytes, percent, thousands, withProgress } from './progress.js';

const DEFAULT_GROUP_BY = ['service', 'alertname'];
interface CorrelateOptions {
  alerts: string;
  groupBy: string[];
  gap?: number;
  resolveTimeout: number;
  json?: boolean;
}

const CORRELATE_EXAMPLES = `
Alerts are Alertmanager's: a JSON list, {"alerts": [...]}, or NDJSON (one alert a line: a file named
.ndjson or .jsonl, or one whose first line is a whole alert), each with labels, annotations, startsAt
and endsAt (RFC3339). Fingerprints are recomputed from the labels. As in Alertmanager, an alert
without endsAt (or with Go's zero time, 0001-01-01T00:00:00Z) is still firing: it lasts
--resolve-timeout minutes from its startsAt; one without startsAt starts at its endsAt.

Grouping follows Alertmanager's group_by: one group per distinct tuple of the group-by label values
(a missing label counts as ""); identical label sets are one alert. With --gap, an alert starting more
than that many minutes after its group's last endsAt opens a new incident.

Examples:
  $ runbook storm --seed 32 --out storm.json
  $ runbook correlate --alerts storm.json --group-by service
  $ runbook correlate --alerts storm.json --gap 15 --json
  $ runbook storm --ndjson | runbook correlate --alerts -
`;

export const registerCorrelate: CommandModule = (program, ctx) => {
  program
    .command('correlate')
    .description("Group alerts into incidents with Alertmanager's group_by semantics; streams big files.")
    .requiredOption(
      '--alerts <file>',
      'the alerts (JSON or NDJSON, see below); - reads standard input',
      pathFlag('--alerts'),
    )
    .addOption(
      new Option('--group-by <labels>', 'comma-separated label names')
        .argParser(labelsFlag('--group-by'))
        .default(DEFAULT_GROUP_BY, DEFAULT_GROUP_BY.join(',')),
    )
    .option(
      '--gap <minutes>',
      'quiet minutes after which the same group opens a new incident',
      numberFlag('--gap', { min: 0 }),
    )
    .option(
      '--resolve-timeout <minutes>',
      "how long an alert without endsAt fires (Alertmanager's resolve_timeout)",
      numberFlag('--resolve-timeout', { min: 0, exclusive: true }),
      DEFAULT_RESOLVE_TIMEOUT_MINUTES,
    )
    .option('--json', 'the groups as JSON on stdout instead of a table')
    .addHelpText('after', CORRELATE_EXAMPLES)
    .action(async (options: CorrelateOptions) => {
      const correlator = new Correlator({ groupBy: options.groupBy, gapMinutes: options.gap });
      const { readAlerts } = await import('./alert-file.js');
      let alerts = 0;
      await withProgress(ctx.io, options.json, (line) =>
        readAlerts(
          options.alerts,
          (alert) => {
            correlator.add(alert);
            alerts++;
          },
          options.resolveTimeout,
          line.active
            ? (bytes, total) =>
                line.show(
                  `correlate: ${thousands(alerts)} alerts, ${megabytes(bytes)}${total === null ? '' : ` of ${megabytes(total)} (${percent(bytes, total)})`}`,
                )
            : undefined,
        ),
      );
      const correlation = correlator.result();
      if (options.json) writeJson(ctx.io, correlation);
      else ctx.io.out(table(correlation));
    });
};

/** Output is handed on in pieces of about this many characters: a write per group was a syscall each. */
const WRITE_CHARS = 1 << 16;

/**
 * One group per line: a storm of distinct alerts makes long fingerprint lists, and writing them
 * group by group keeps the whole document from being built as one string.
 */
function writeJson(io: Io, correlation: Correlation): void {
  const { group_by, posted, distinct, groups } = correlation;
  let pending = `${JSON.stringify({ group_by, posted, distinct }).slice(0, -1)},"groups":[`;
  groups.forEach((group, i) => {
    const { labels, count, fingerprints } = group;
    const span = { startsAt: minuteToTimestamp(group.startsAt), endsAt: minuteToTimestamp(group.endsAt) };
    pending += `${i === 0 ? '' : ','}\n${JSON.stringify({ labels, count, fingerprints, ...span })}`;
    if (pending.length >= WRITE_CHARS) {
      io.out(pending);
      pending = '';
    }
  });
  io.out(`${pending}\n]}\n`);
}

function table(correlation: Correlation): string {
  const { group_by, posted, distinct, groups } = correlation;
  const header = [...group_by, 'alerts', 'from', 'to', 'minutes'];
  const rows = groups.map((group) => [
    ...group_by.map((name) => group.labels[name] || '""'),
    String(group.count),
    minuteToTimestamp(group.startsAt),
    minuteToTimestamp(group.endsAt),
    String(Math.round((group.endsAt - group.startsAt) * 100) / 100),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  // Counts and durations read best right-aligned; labels and timestamps left-aligned.
  const numeric = new Set([group_by.length, group_by.length + 3]);
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return numeric.has(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const summary =
    `${plural(groups.length, 'group')} by ${group_by.join(', ') || '(nothing)'} ` +
    `from ${plural(posted, 'alert')} (${distinct} distinct)`;
  return `${[summary, line(header), ...rows.map(line)].join('\n')}\n`;
}

interface StormOptions {
  seed: number;
  alerts: number;
  services: number;
  instances: number;
  out?: string;
  ndjson?: boolean;
}

/** Alerts a chunk of the storm's text holds: big enough to write fast, small enough to stream. */
const STORM_CHUNK = 1000;

/**
 * The storm's text, a chunk at a time (`written` told after each): NDJSON, one alert a line as big
 * exports write them, or a JSON list, an alert a line.
 */
function* stormText(spec: StormSpec, ndjson: boolean, written: (alerts: number) => void): Generator<string> {
  let chunk = ndjson ? '' : '[';
  let count = 0;
  for (const alert of generateStorm(spec)) {
    const text = JSON.stringify(alert);
    chunk += ndjson ? `${text}\n` : `${count === 0 ? '' : ','}\n${text}`;
    if (++count % STORM_CHUNK === 0) {
      yield chunk;
      written(count);
      chunk = '';
    }
  }
  yield ndjson ? chunk : `${chunk}\n]\n`;
}

const STORM_EXAMPLES = `
Services take turns, so every service alerts once there are at least as many alerts as services;
alertnames, pods and start minutes come from the seed. The same flags always write the same file.

Examples:
  $ runbook storm                                  # the stock storm: 40 alerts over 5 services
  $ runbook storm --seed 7 --alerts 1000000 --services 10000 --out big.json
  $ runbook storm --seed 7 --alerts 1000000 --services 10000 --out big.ndjson   # one alert a line
`;

export const registerStorm: CommandModule = (program, ctx) => {
  program
    .command('storm')
    .description('Generate a seeded alert storm as Alertmanager-shaped JSON, for correlate.')
    .option(
      '--seed <n>',
      'the random seed',
      numberFlag('--seed', { integer: true, min: 0, max: 2 ** 32 - 1 }),
      stockStorm.seed,
    )
    .option(
      '--alerts <n>',
      'alerts to generate',
      numberFlag('--alerts', { integer: true, min: 0, max: 100_000_000 }),
      stockStorm.alerts,
    )
    .option(
      '--services <n>',
      'services they come from',
      numberFlag('--services', { integer: true, min: 1, max: 1_000_000 }),
      stockStorm.services.length,
    )
    .option(
      '--instances <n>',
      'pods per service',
      numberFlag('--instances', { integer: true, min: 1, max: 1_000_000 }),
      stockStorm.services[0]?.instances ?? 4,
    )
    .option('--out <file>', 'write to this file (atomically) instead of stdout', pathFlag('--out'))
    .option(
      '--ndjson',
      'one alert a line instead of a JSON list (the default for an --out named .ndjson or .jsonl)',
    )
    .addHelpText('after', STORM_EXAMPLES)
    .action(async (options: StormOptions) => {
      const spec: StormSpec = {
        ...stockStorm,
        seed: options.seed,
        alerts: options.alerts,
        services: stockServices(options.services, options.instances),
      };
      const ndjson = options.ndjson === true || /\.(ndjson|jsonl)$/i.test(options.out ?? '');
      const out = options.out;
      if (out !== undefined) checkWritable(out);
      // A storm written to the terminal itself would be torn by a line redrawn over it.
      const onScreen = out === undefined && ctx.io.outStream?.isTTY === true;
      await withProgress(ctx.io, onScreen, async (line) => {
        // Redrawn every 50 chunks: a million alerts are a thousand chunks.
        const written = (alerts: number) => {
          if (alerts % (50 * STORM_CHUNK) === 0)
            line.show(
              `storm: ${thousands(alerts)} of ${thousands(spec.alerts)} alerts (${percent(alerts, spec.alerts)})`,
            );
        };
        const text = stormText(spec, ndjson, written);
        await (out === undefined ? streamOut(ctx.io, text) : writeFileAtomic(out, text));
      });
      if (out === undefined) return;
      const what = `${spec.alerts} alerts over ${options.services} services (seed ${spec.seed})`;
      ctx.io.err(`wrote ${what} to ${out}\n`);
    });
};
