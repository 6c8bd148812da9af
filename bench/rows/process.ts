import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../src/toolkit/package-files.js';
import { fmtMb, fmtMs, fmtRatio, median } from '../measure.js';
import type { Row } from '../table.js';

/**
 * Rows that time `runbook` as users run it: a whole process, from `node` starting to its exit, with
 * the peak RSS its kernel accounting gives (read at exit by a preloaded module, so no `/usr/bin/time`
 * is needed).
 */

export const BIN = () => join(packageRoot(), 'bin', 'runbook.cjs');

interface Run {
  ms: number;
  rssBytes: number;
}

/**
 * The module each timed process preloads: it writes the process's peak RSS to `rss` in `dir` at exit.
 * CommonJS, preloaded with --require: an ES module preloaded with --import would start Node's ES module
 * loader in every timed process, ~12 ms that `runbook` itself (a CommonJS entry) does not spend.
 */
function rssProbe(dir: string): string {
  const preload = join(dir, 'rss-at-exit.cjs');
  if (!existsSync(preload)) {
    const rssFile = JSON.stringify(join(dir, 'rss'));
    writeFileSync(
      preload,
      `const { writeFileSync } = require('node:fs');\nprocess.on('exit', () => writeFileSync(${rssFile}, String(process.resourceUsage().maxRSS)));\n`,
    );
  }
  return preload;
}

/** One process: `node ARGS`, its wall time, its peak RSS; a failure stops the row with its stderr. */
function timed(args: readonly string[], dir: string): Run {
  const preload = rssProbe(dir);
  const start = performance.now();
  const child = spawnSync(process.execPath, ['--require', preload, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const ms = performance.now() - start;
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  return { ms, rssBytes: Number(readFileSync(join(dir, 'rss'), 'utf8')) * 1024 };
}

/** Median wall time of `runs` processes after one to warm the page cache. */
export function medianOf(
  args: readonly string[],
  dir: string,
  runs: number,
): { ms: number; rssBytes: number } {
  timed(args, dir);
  const all = Array.from({ length: runs }, () => timed(args, dir));
  return { ms: median(all.map((r) => r.ms)), rssBytes: Math.max(...all.map((r) => r.rssBytes)) };
}

const CLI_TARGET_MS = 250;
const CLI_RUNS = 10;

/** `runbook gate` on the stock shift as a whole process, against Node starting and doing nothing. */
export function cli(): Row {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-bench-cli-'));
  try {
    const gate = medianOf([BIN(), 'gate'], dir, CLI_RUNS);
    const bare = medianOf(['-e', '0'], dir, CLI_RUNS);
    return {
      row: 'cli',
      figure: `${fmtMs(gate.ms)}, ${fmtMb(gate.rssBytes)} RSS`,
      target: `<= ${CLI_TARGET_MS / 1000} s`,
      baseline: `node -e 0: ${fmtMs(bare.ms)}`,
      ratio: fmtRatio(gate.ms / bare.ms),
      pass: gate.ms <= CLI_TARGET_MS,
      how: `\`node bin/runbook.cjs gate\` (the stock shift, exit 0) as a whole process, median wall of ${CLI_RUNS} after one warm-up (which writes the bundle's code cache); baseline: \`node -e 0\` the same way${gate.ms <= CLI_TARGET_MS ? '' : `; MISS by ${fmtRatio(gate.ms / CLI_TARGET_MS)}`}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const FILE_ALERTS = 1_000_000;
const FILE_TARGET_MS = 3000;
const FILE_TARGET_RSS = 300 * 1024 * 1024;
const FILE_RUNS = 3;

/** Every line of an NDJSON file through JSON.parse, nothing else: the floor under `correlate`. */
async function parseOnly(file: string): Promise<number> {
  const start = performance.now();
  let alerts = 0;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) if (JSON.parse(line)) alerts++;
  if (alerts !== FILE_ALERTS) throw new Error(`parse-only read ${alerts} alerts`);
  return performance.now() - start;
}

/**
 * A million-alert file (written by `runbook storm`, 10,000 services) through `runbook correlate` as a
 * process: as a JSON array and as NDJSON. Baseline: the NDJSON file's lines through `JSON.parse` in
 * this process, the part no reader of the file can skip.
 */
export async function correlateFile(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-bench-file-'));
  try {
    const json = join(dir, 'storm.json');
    const ndjson = join(dir, 'storm.ndjson');
    const args = ['--seed', '7', '--alerts', String(FILE_ALERTS), '--services', '10000'];
    timed([BIN(), 'storm', ...args, '--out', json], dir);
    timed([BIN(), 'storm', ...args, '--out', ndjson], dir);
    const parse = median([await parseOnly(ndjson), await parseOnly(ndjson), await parseOnly(ndjson)]);
    return [json, ndjson].map((file) => {
      const run = medianOf([BIN(), 'correlate', '--alerts', file, '--json'], dir, FILE_RUNS);
      const kind = file.endsWith('.json') ? 'JSON array' : 'NDJSON';
      const pass = run.ms <= FILE_TARGET_MS && run.rssBytes <= FILE_TARGET_RSS;
      return {
        row: `correlate ${file.endsWith('.json') ? 'json' : 'ndjson'}`,
        figure: `${fmtMs(run.ms)}, ${fmtMb(run.rssBytes)} RSS`,
        target: `<= ${FILE_TARGET_MS / 1000} s, <= ${fmtMb(FILE_TARGET_RSS)} RSS`,
        baseline: `JSON.parse per line: ${fmtMs(parse)}`,
        ratio: fmtRatio(run.ms / parse),
        pass,
        how: `\`runbook correlate --alerts FILE --json\` on a ${FILE_ALERTS.toLocaleString('en')}-alert ${kind} file (\`runbook storm --seed 7 --services 10000\`), a whole process, median wall of ${FILE_RUNS} after one warm-up, peak RSS; baseline: the NDJSON file's lines through JSON.parse in the bench's process${pass ? '' : `; MISS by ${fmtRatio(run.ms / FILE_TARGET_MS)}`}`,
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
