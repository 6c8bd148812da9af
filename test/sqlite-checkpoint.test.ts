import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type * as Store from '../src/engine/sqlite-store.js';
import { assertBuilt } from './support/cli-process.js';

/**
 * `runbook serve`'s journal checkpoints its WAL from a thread of its own (sqlite-checkpointer.ts), so
 * no commit waits for the copy back. The thread is a compiled module beside the store, so this test
 * loads the built store from dist/, as the server does.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function builtStore(): Promise<typeof Store> {
  assertBuilt();
  return (await import(pathToFileURL(resolve('dist/src/engine/sqlite-store.js')).href)) as typeof Store;
}

/** Commits `n` small batches, a few milliseconds apart (a server's pace, not a tight loop). */
async function commits(store: Store.SqliteStore, n: number): Promise<void> {
  const run = store.createRun({ scenario: 'x.yaml', scenarioText: '{}', plays: null });
  for (let i = 1; i <= n; i++) {
    run.commit({
      inputs: [{ seq: i, input: { kind: 'tick', t: i } }],
      trace: [],
      incidents: [],
      notifications: [],
    });
    if (i % 50 === 0) await new Promise((r) => setTimeout(r, 20));
  }
}

const size = (file: string) => statSync(file).size;

describe('the journal checkpoints in the background', () => {
  it('copies the WAL back into the database while the writer goes on, far below the writer’s own threshold', async () => {
    const { SqliteStore } = await builtStore();
    const background = join(dir, 'background.db');
    const inline = join(dir, 'inline.db');
    const stores = [
      new SqliteStore(background, { checkpoint: 'background' }),
      new SqliteStore(inline, { checkpoint: 'inline' }),
    ] as const;
    const before = [size(background), size(inline)];
    await Promise.all(stores.map((store) => commits(store, 1000)));
    // A second or so for the thread's next beat: the background file has the journal in it.
    for (let i = 0; i < 40 && size(background) === before[0]; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(size(background)).toBeGreaterThan((before[0] as number) * 4);
    // The same writes with the writer checkpointing alone stay in the WAL (8192 pages not reached).
    expect(size(inline)).toBe(before[1]);
    for (const store of stores) store.close();
    // Reopened, both hold every input: the checkpoint lost nothing.
    for (const file of [background, inline]) {
      const again = new SqliteStore(file, { mustExist: true });
      expect(again.openRun('run-1').entries().length).toBe(1000);
      again.close();
    }
  });
});
