import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from './live-server.js';

/** Debian's real Alertmanager (`prometheus-alertmanager`) on loopback, its own config and storage in `dir`. */

export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const started: ChildProcess[] = [];

export async function startAlertmanager(
  dir: string,
  name: string,
  config: string,
  port: number,
): Promise<string> {
  const file = join(dir, `${name}.yml`);
  writeFileSync(file, config);
  const am = spawn(ALERTMANAGER, [
    `--config.file=${file}`,
    `--storage.path=${join(dir, `${name}-data`)}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
  ]);
  started.push(am);
  const base = `http://127.0.0.1:${port}`;
  await until('Alertmanager to be ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : null));
  return base;
}

export function killAlertmanagers(): void {
  for (const am of started.splice(0)) if (am.exitCode === null) am.kill('SIGKILL');
}
