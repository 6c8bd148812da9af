import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Runs the built CLI (`node bin/runbook.cjs`, what users run after `npm ci`) in a child process
 * under a watchdog: a run that outlives its time is killed and reported as a hang, one whose
 * resident memory passes its ceiling is killed and reported as a runaway. Either way the test
 * fails with that message instead of the CI job timing out or the machine swapping.
 */

export const BIN = resolve('bin/runbook.cjs');
const BUILT = [resolve('dist/src/cli/main.js'), resolve('dist/cli/bin.cjs')];

/** Fails early and clearly when the CLI has not been built, or not bundled (`npm test` builds it first). */
export function assertBuilt(): void {
  const source = statSync(resolve('src/cli/main.ts')).mtimeMs;
  if (BUILT.some((file) => !existsSync(file) || statSync(file).mtimeMs < source))
    throw new Error('dist/ is missing or older than src/: run `npm run build` first (npm test does)');
}

export interface Limits {
  /** Seconds before the watchdog kills the run: a hang detector, not a speed target. */
  seconds: number;
  /** Resident set ceiling in MB: a runaway detector (the issue saw runs grow to 3.5 GB). */
  rssMb: number;
}

export const DEFAULT_LIMITS: Limits = { seconds: 30, rssMb: 512 };

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the watchdog stopped the run, saying why. */
  killed: string | null;
  peakRssMb: number;
  /** CPU seconds, as last sampled (a lower bound). */
  cpu: number;
}

export interface RunOptions {
  cwd: string;
  limits?: Partial<Limits>;
  /** Written to the child's stdin, which is then closed; stdin is empty otherwise. */
  stdin?: string;
  /** Called once the child runs, e.g. to signal it or to stop reading its output. */
  onSpawn?: (child: ChildProcess, run: CliRun) => void;
}

/** What a run captures of each stream: enough for any message, bounded for a run that floods. */
const CAPTURE = 1 << 20;

/** CPU seconds a process has used so far (user + system), 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The peak resident set of a process so far (VmHWM), in MB; 0 once it is gone. */
function peakRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

export function runCli(args: string[], options: RunOptions): Promise<CliRun> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  // The heap is capped too, so a runaway fails fast inside V8 rather than at the machine's limit.
  const heap = `--max-old-space-size=${Math.max(64, limits.rssMb - 128)}`;
  const child = spawn(process.execPath, [heap, BIN, ...args], {
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const run: CliRun = {
    code: null,
    signal: null,
    stdout: '',
    stderr: '',
    killed: null,
    peakRssMb: 0,
    cpu: 0,
  };
  const stop = (why: string) => {
    run.killed ??= why;
    child.kill('SIGKILL');
  };
  child.stdout.on('data', (chunk: Buffer) => {
    if (run.stdout.length < CAPTURE) run.stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (run.stderr.length < CAPTURE) run.stderr += chunk.toString('utf8');
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.stdin ?? '');
  const pid = child.pid ?? 0;
  const watch = setInterval(() => {
    run.peakRssMb = Math.max(run.peakRssMb, peakRss(pid));
    run.cpu = Math.max(run.cpu, cpuSeconds(pid));
    if (run.peakRssMb > limits.rssMb)
      stop(`used more than ${limits.rssMb} MB of memory (${Math.round(run.peakRssMb)} MB): runaway, killed`);
  }, 50);
  const watchdog = setTimeout(
    () => stop(`still running after ${limits.seconds} s: hung, killed by the watchdog`),
    limits.seconds * 1000,
  );
  options.onSpawn?.(child, run);
  return new Promise((done) => {
    child.on('close', (code, signal) => {
      clearInterval(watch);
      clearTimeout(watchdog);
      done({ ...run, code, signal });
    });
  });
}

/** A run's stderr as the lines a user reads (commander's usage hint is not an error line). */
export const errorLines = (run: CliRun) =>
  run.stderr.split('\n').filter((line) => line !== '' && line !== '(add --help for usage)');
