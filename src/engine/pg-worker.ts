import pg from 'pg';
import { runAsWorker } from 'synckit';

/**
 * The Postgres side of the journal, in a worker thread: node-postgres is asynchronous, the engine's
 * commits are not (an input is acknowledged only once its batch is in the journal, and the engine
 * moves on right after). The store on the main thread sends a list of statements and blocks on
 * `Atomics.wait` (synckit) until this worker has run them, in one transaction when asked.
 */

// int8 (counts, seqs) and numeric as numbers: every one of ours fits in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, Number);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, Number);

export interface Statement {
  text: string;
  values?: unknown[];
}

export type PgCall =
  | { op: 'run'; url: string; statements: Statement[]; transaction: boolean }
  | { op: 'close'; url: string };

const clients = new Map<string, Promise<pg.Client>>();

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  // A dropped connection is reported on the next call; without a listener it would kill the thread.
  client.on('error', () => clients.delete(url));
  await client.connect();
  return client;
}

function clientFor(url: string): Promise<pg.Client> {
  let client = clients.get(url);
  if (!client) {
    client = connect(url);
    clients.set(url, client);
    client.catch(() => clients.delete(url));
  }
  return client;
}

async function run(url: string, statements: Statement[], transaction: boolean): Promise<unknown[][]> {
  const client = await clientFor(url);
  const results: unknown[][] = [];
  if (transaction) await client.query('BEGIN');
  try {
    for (const { text, values } of statements) results.push((await client.query(text, values)).rows);
    if (transaction) await client.query('COMMIT');
  } catch (error) {
    if (transaction) await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return results;
}

async function call(request: PgCall): Promise<unknown[][]> {
  try {
    if (request.op === 'close') {
      const client = clients.get(request.url);
      clients.delete(request.url);
      await (await client?.catch(() => null))?.end();
      return [];
    }
    return await run(request.url, request.statements, request.transaction);
  } catch (error) {
    // What the main thread gets: Postgres' SQLSTATE (or Node's errno code) and the message.
    const { code, message } = error as { code?: string; message?: string };
    throw Object.assign(new Error(message ?? String(error)), { code: code ?? '' });
  }
}

runAsWorker(call);
