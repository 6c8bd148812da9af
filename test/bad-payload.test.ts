import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeInputs } from '../src/engine/journal-codec.js';
import { type BadPayload, badPayloads } from './bad-payload/cases.js';
import { assertBuilt, BIN } from './support/cli-process.js';

/**
 * The bad-payload corpus against one `runbook serve` process (the built CLI, its own --db): every
 * request gets its 4xx and a JSON error naming the field, the process stays up, and the SQLite
 * journal holds nothing from them: its rows are the same after the corpus as before it.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-bad-payload-'));
const db = join(dir, 'live.db');
let server: ChildProcess;
let base = '';

beforeAll(async () => {
  assertBuilt();
  server = spawn(process.execPath, [BIN, 'serve', '--db', db, '--listen', '127.0.0.1:0']);
  base = await new Promise<string>((done, fail) => {
    let out = '';
    server.stdout?.on('data', (chunk) => {
      out += chunk;
      const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (url) done(url);
    });
    server.on('close', (code) => fail(new Error(`serve exited ${code} before listening: ${out}`)));
  });
  // INC-1, for the acks to be about an incident that exists.
  const opened = await send({
    what: 'a good alert',
    path: '/api/v2/alerts',
    json: [{ labels: { alertname: 'HighErrorRate', service: 'billing' } }],
    status: 200,
    field: '',
  });
  expect(opened.status).toBe(200);
});

afterAll(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Sends a case as given: its Content-Type or none, its body whole (with a Content-Length) or as a
 * stream (chunked). A server refusing a big body answers before reading it all; fetch reads that answer.
 */
async function send(c: BadPayload): Promise<{ status: number; text: string; type: string }> {
  const body = typeof c.raw === 'function' ? c.raw() : Buffer.from(c.raw ?? JSON.stringify(c.json));
  const headers: Record<string, string> = {};
  if (c.contentType !== null) headers['content-type'] = c.contentType ?? 'application/json';
  const size = 64 * 1024;
  const stream = new ReadableStream({
    start(controller) {
      for (let at = 0; at < body.length; at += size) controller.enqueue(body.subarray(at, at + size));
      controller.close();
    },
  });
  const res = await fetch(`${base}${c.path}`, {
    method: 'POST',
    headers,
    body: c.chunked ? stream : body,
    duplex: 'half',
  } as RequestInit);
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/**
 * Every row the journal's store holds for the run, ticks aside: a quiet minute passing while the
 * corpus runs may be committed with the next batch, and is the clock's, not a request's.
 */
function journalRows(): unknown {
  const sqlite = new Database(db, { readonly: true });
  try {
    const tables = ['runs', 'journal', 'trace', 'incidents', 'outbox', 'checkpoints'];
    const rows = Object.fromEntries(
      tables.map((table) => [table, sqlite.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all()]),
    );
    rows.journal = (rows.journal as { inputs: string }[]).flatMap((row) =>
      decodeInputs(row.inputs, db, 'row').filter((input) => input.kind !== 'tick'),
    );
    return rows;
  } finally {
    sqlite.close();
  }
}

describe(`bad payloads (${badPayloads.length} requests) against one runbook serve`, () => {
  it('has a corpus of at least 100 distinct requests', () => {
    expect(badPayloads.length).toBeGreaterThanOrEqual(100);
    expect(new Set(badPayloads.map((c) => c.what)).size).toBe(badPayloads.length);
  });

  it('answers each with its 4xx and a JSON error naming the field, journals none, and stays up', async () => {
    const before = journalRows();
    expect((before as { journal: unknown[] }).journal).toHaveLength(1);
    const answers = [];
    for (const c of badPayloads) {
      const { status, text, type } = await send(c);
      const json = type.startsWith('application/json') ? JSON.parse(text) : { text };
      answers.push({ what: c.what, status, field: json.field, error: typeof json.error });
      if (c.says) expect(json.error, c.what).toMatch(c.says);
    }
    expect(answers).toEqual(
      badPayloads.map((c) => ({ what: c.what, status: c.status, field: c.field, error: 'string' })),
    );
    expect(server.exitCode).toBeNull();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(journalRows()).toEqual(before);
    const incidents = await (await fetch(`${base}/api/incidents`)).json();
    expect(incidents.incidents.map((i: { id: string; alerts: number }) => [i.id, i.alerts])).toEqual([
      ['INC-1', 1],
    ]);
  });
});
