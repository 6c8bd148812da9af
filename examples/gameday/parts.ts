import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../bench/ports.js';
import { packageRoot } from '../../src/toolkit/package-files.js';

/**
 * The real parts of a live game day, each started as its own process on loopback, on a free port,
 * with its files in the game day's folder: the example service, Debian's Prometheus and
 * Alertmanager, and `runbook serve`. `stopAll` kills what is still running.
 */

export const PROMETHEUS = '/usr/bin/prometheus';
export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

/** What a part needs and does not find: the game day cannot run here. */
export class MissingPart extends Error {}

export function checkParts(): void {
  for (const [binary, pkg] of [
    [PROMETHEUS, 'prometheus'],
    [ALERTMANAGER, 'prometheus-alertmanager'],
  ] as const) {
    if (!existsSync(binary)) throw new MissingPart(`${binary} is missing: apt-get install -y ${pkg}`);
  }
  for (const built of ['dist/examples/agent-service/server.js', 'dist/src/cli/main.js']) {
    if (!existsSync(join(packageRoot(), built)))
      throw new MissingPart(`${built} is missing: run \`npm run build\` first`);
  }
}

export class Parts {
  private readonly children: { name: string; child: ChildProcess; log: string[] }[] = [];

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Starts a process and resolves with the first match of `ready` on its output. */
  start(name: string, command: string, args: string[], ready: RegExp, timeoutMs = 30_000): Promise<string> {
    const child = spawn(command, args, { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    this.children.push({ name, child, log });
    return new Promise((done, fail) => {
      let out = '';
      const timer = setTimeout(
        () => fail(new Error(`${name} not ready in ${timeoutMs} ms:\n${out.slice(-2000)}`)),
        timeoutMs,
      );
      const read = (chunk: Buffer) => {
        out += chunk;
        log.push(String(chunk));
        if (log.length > 400) log.splice(0, log.length - 400);
        const match = ready.exec(out);
        if (match) {
          clearTimeout(timer);
          done(match[1] ?? match[0]);
        }
      };
      child.stdout?.on('data', read);
      child.stderr?.on('data', read);
      child.on('close', (code) => {
        clearTimeout(timer);
        fail(new Error(`${name} exited ${code} before it was ready:\n${out.slice(-2000)}`));
      });
    });
  }

  /** The last lines a part wrote: for the message when a game day fails. */
  logOf(name: string): string {
    return (
      this.children
        .find((c) => c.name === name)
        ?.log.join('')
        .slice(-4000) ?? ''
    );
  }

  file(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      this.children.map(
        ({ child }) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('close', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
  }
}

/** Polls `probe` until it answers something other than null; fails naming `what` after `ms`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | null>,
  ms: number,
  everyMs = 250,
): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (performance.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function ports(n: number): Promise<number[]> {
  const found = new Set<number>();
  while (found.size < n) found.add(await freePort());
  return [...found];
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} -> ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url} -> ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}
