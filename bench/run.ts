import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { alertmanager } from './rows/alertmanager.js';
import { backtest } from './rows/backtest.js';
import { durable } from './rows/durable.js';
import { fanout } from './rows/fanout.js';
import { fleet } from './rows/fleet.js';
import { intake } from './rows/intake.js';
import { overhead } from './rows/overhead.js';
import { cli, correlateFile } from './rows/process.js';
import { promtool } from './rows/promtool.js';
import { replay } from './rows/replay.js';
import { shift } from './rows/shift.js';
import { storm } from './rows/storm.js';
import { validate } from './rows/validate.js';
import { takeover, workers } from './rows/workers.js';
import { formatTable, type Row } from './table.js';

/**
 * `npm run bench [-- ROW ...]`: every row runs in a child process of its own (`--row NAME`), so no row
 * inherits another's heap, JIT state or peak RSS; this process only collects the rows and prints
 * the table. Exit 1 when a target is missed. The table also goes to bench/RESULTS.md (the latest run,
 * with the machine and the date; history lives in git), unless `--no-write` or BENCH_WRITE=0.
 */

/** Where the latest run's table is kept: the source tree's bench/, from dist/bench/run.js. */
const RESULTS = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));

/** A row may measure several figures in one run (intake: rate, latency and memory of one server). */
const ROWS: Record<string, () => Row | Row[] | Promise<Row | Row[]>> = {
  shift,
  overhead,
  durable,
  fleet,
  fanout,
  storm,
  backtest,
  intake,
  alertmanager,
  workers,
  takeover,
  promtool,
  replay,
  cli,
  validate,
  // Last: it writes and deletes two 268 MB files, and the disk's writeback would slow the rows that write.
  'correlate-file': correlateFile,
};

function cpuModel(): string {
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('model name'));
  return line?.split(':')[1]?.trim() ?? cpus()[0]?.model ?? 'unknown CPU';
}

function machine(): string {
  const gib = (totalmem() / 1024 ** 3).toFixed(1);
  return `${cpus().length} CPUs (${cpuModel()}), ${gib} GiB, Node ${process.version}, ${new Date().toISOString()}`;
}

function runChild(name: string): Row[] {
  const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--row', name], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`bench row ${name} failed (exit ${child.status})`);
  return [JSON.parse(child.stdout) as Row | Row[]].flat();
}

/** The latest run, replacing the one before (written aside and renamed, so a killed run leaves the old one). */
function writeResults(on: string, asked: string[], table: string): void {
  const command = `npm run bench${asked.length > 0 ? ` -- ${asked.join(' ')}` : ''}`;
  const rows = asked.length > 0 ? `these rows only: ${asked.join(', ')}` : 'every row';
  const text = [
    '# Benchmark results: the latest run',
    '',
    `Written by \`${command}\` (${rows}); targets and how each row measures: docs/contributing/benchmarks.md.`,
    'Earlier runs are in git history (`git log -p bench/RESULTS.md`).',
    '',
    `Machine and date: ${on}.`,
    '',
    table,
    '',
  ].join('\n');
  writeFileSync(`${RESULTS}.tmp`, text);
  renameSync(`${RESULTS}.tmp`, RESULTS);
  process.stderr.write(`bench: wrote ${RESULTS}\n`);
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--row') {
    const row = ROWS[argv[1] ?? ''];
    if (!row) throw new Error(`no bench row ${argv[1]}`);
    process.stdout.write(JSON.stringify(await row()));
    return 0;
  }
  const write = !argv.includes('--no-write') && process.env.BENCH_WRITE !== '0';
  const asked = argv.filter((arg) => arg !== '--no-write');
  const names = asked.length > 0 ? asked : Object.keys(ROWS);
  const unknown = names.filter((name) => !(name in ROWS));
  if (unknown.length > 0) {
    process.stderr.write(`unknown rows: ${unknown.join(', ')} (rows: ${Object.keys(ROWS).join(', ')})\n`);
    return 2;
  }
  const rows: Row[] = [];
  for (const name of names) {
    process.stderr.write(`bench: ${name} ...\n`);
    rows.push(...runChild(name));
  }
  const on = machine();
  const table = formatTable(rows);
  process.stdout.write(`${on}\n\n${table}\n`);
  if (write) writeResults(on, asked, table);
  return rows.every((row) => row.pass) ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
