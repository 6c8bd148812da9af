import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** `runbook serve` as a real process (the built CLI) on a free loopback port, for tests that kill it. */

const CLI = resolve('bin/runbook.cjs');
const children: ChildProcess[] = [];

export interface ServeChild {
  base: string;
  child: ChildProcess;
  /** Everything it wrote so far (its log lines). */
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts the server and answers once it listens; fails with its output if it exits first. */
export function serveChild(args: string[], env: Record<string, string> = {}): Promise<ServeChild> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return new Promise((done, fail) => {
    const read = (chunk: Buffer) => {
      out += chunk;
      const url = /Server listening at (http:\/\/(?:127\.0\.0\.1|\[::1\]):\d+)/.exec(out)?.[1];
      if (url) done({ base: url, child, output: () => out, exited });
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('close', (code) => fail(new Error(`serve exited ${code} before listening: ${out}`)));
  });
}

/** SIGKILLs every server still running: in afterEach. */
export function killServers(): void {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
}
