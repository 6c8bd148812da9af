import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/**
 * A throwaway PostgreSQL cluster for the tests and the bench: Debian's server binaries (`postgresql`,
 * which `.ci/run` installs), initdb'd in a temp folder and listening on a free loopback port, stopped
 * and removed after. Postgres refuses to run as root, so as root the cluster belongs to the `postgres`
 * user. Without the binaries a local test run skips the Postgres tests with a loud message; CI (env CI
 * set) fails.
 */

const BIN = '/usr/lib/postgresql/15/bin';

export interface Cluster {
  port: number;
  /** A fresh, empty database on the cluster: its postgres:// URL. */
  database(name: string): string;
  stop(): void;
}

/** Whether the tests that need Postgres can run here; says so loudly when they cannot. */
export function postgresAvailable(): boolean {
  if (existsSync(join(BIN, 'postgres'))) return true;
  const why = `PostgreSQL server binaries not found in ${BIN} (apt-get install postgresql)`;
  if (process.env.CI) throw new Error(`${why}: CI must run the Postgres tests`);
  console.warn(`\n!!! SKIPPING the Postgres tests: ${why} !!!\n`);
  return false;
}

export async function startCluster(): Promise<Cluster> {
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'runbook-pg-'));
  const data = join(dir, 'data');
  if (asRoot) {
    const pgUser = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    const pgGroup = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(dir, Number(pgUser), Number(pgGroup));
    chmodSync(dir, 0o700);
  }
  const as = (command: string, args: string[]) => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(BIN, command), ...args]]
      : [join(BIN, command), args];
    const run = spawnSync(file as string, argv as string[], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`${command} failed: ${run.stderr || run.stdout}`);
  };
  as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  // fsync off: the tests kill clients, never the server; a lost server would lose the temp dir anyway.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  as('pg_ctl', ['-D', data, '-o', options, '-w', '-l', join(dir, 'log'), 'start']);
  let stopped = false;
  const base = `postgres://postgres@127.0.0.1:${port}`;
  return {
    port,
    database(name) {
      const sql = `CREATE DATABASE "${name}"`;
      as('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-q', '-c', sql]);
      return `${base}/${name}`;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      as('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
