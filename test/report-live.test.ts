import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { storedJournal } from '../src/cli/run-store.js';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import { liveRunResult } from '../src/live/stored-run.js';
import type { ServerMessage } from '../src/views/inspector/protocol.js';
import { startInspector } from '../src/views/inspector/server.js';
import { storedLiveRun } from './support/live-run.js';

/**
 * `runbook report --run` and `inspect --run` on a stored run of `runbook serve`: the live incidents
 * rendered (and replayed, transition by transition) after the fact from the journal alone,
 * read-only, with the drill's gate left out.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-report-live-'));
let db = '';
beforeAll(async () => {
  db = await storedLiveRun(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const journalLength = () => {
  const store = new SqliteStore(db);
  try {
    return store.openRun('run-1').entries().length;
  } finally {
    store.close();
  }
};

describe('runbook report --run on a live run', () => {
  it('renders the live incidents from the journal, without a gate, and writes nothing to the journal', async () => {
    const before = journalLength();
    const out = join(dir, 'live.html');
    const io = bufferIo();
    const code = await main(['report', '--run', 'run-1', '--db', db, '--out', out], io);
    expect([code, io.stderr]).toEqual([0, '']);
    expect(io.stdout).toBe(`wrote ${out} (live run run-1: 2 incidents, no gate)\n`);
    expect(journalLength()).toBe(before);

    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<h1>Shift report: stock-live</h1>');
    expect(html).toContain('a live run (runbook serve): no gate');
    expect(html).not.toContain('id="gate"');
    // INC-1's own section: its plot, its rollback play, where it ended; INC-2 only in the tables.
    const section = /<section id="incident-INC-1"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(section).toContain('data-plot="plot-INC-1"');
    expect(section).toMatch(/rollback/);
    expect(html).not.toContain('id="incident-INC-2"');
    const rows = /<table[^>]*data-incidents[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    expect(rows).toMatch(/INC-1[\s\S]*quality-regression[\s\S]*agent[\s\S]*sev1/);
    expect(rows).toMatch(/INC-2[\s\S]*billing/);
    const data = JSON.parse(
      /<script type="application\/json" id="plot-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '[]',
    );
    expect(data.map((spec: { id: string }) => spec.id)).toContain('plot-INC-1');
  });

  it('renders the same bytes twice: nothing in it comes from the wall clock', async () => {
    const first = join(dir, 'a.html');
    const second = join(dir, 'b.html');
    await main(['report', '--run', 'run-1', '--db', db, '--out', first], bufferIo());
    await main(['report', '--run', 'run-1', '--db', db, '--out', second], bufferIo());
    expect(readFileSync(first, 'utf8')).toBe(readFileSync(second, 'utf8'));
  });
});

describe('runbook inspect --run on a live run', () => {
  it('replays the run transition by transition, as its journal has it, and reports no gate', async () => {
    const journal = storedJournal(db, 'run-1');
    const { scenario, result } = liveRunResult(journal);
    const inspector = await startInspector({
      scenario,
      speed: 0,
      replay: (hooks) => liveRunResult(journal, hooks).result,
    });
    try {
      const messages = await new Promise<ServerMessage[]>((resolve, reject) => {
        const socket = new WebSocket(`${inspector.url.replace('http', 'ws')}ws`);
        const seen: ServerMessage[] = [];
        socket.on('message', (data) => {
          const message = JSON.parse(String(data)) as ServerMessage;
          seen.push(message);
          if (message.type === 'done' || message.type === 'error') {
            socket.close();
            resolve(seen);
          }
        });
        socket.on('error', reject);
      });
      const traced = messages.flatMap((m) => (m.type === 'trace' ? [m.entry] : []));
      expect(traced).toEqual(result.trace);
      expect(traced.map((e) => e.to)).toEqual(expect.arrayContaining(['page', 'escalated']));
      expect(messages.at(-1)).toMatchObject({
        type: 'done',
        gate: null,
        states: { 'INC-1': 'escalated', 'INC-2': 'watching' },
      });
    } finally {
      await inspector.close();
    }
  });

  it('refuses --stately for a live run, in one line', async () => {
    const io = bufferIo();
    const code = await main(['inspect', '--run', 'run-1', '--db', db, '--stately'], io);
    expect(code).toBe(2);
    expect(io.stderr).toBe(
      'runbook: --stately: a run of runbook serve replays in the offline inspector only\n',
    );
  });
});
