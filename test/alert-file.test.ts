import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNdjson, readAlerts, scanAlerts } from '../src/cli/alert-file.js';
import { type Alert, makeAlert } from '../src/toolkit/alerts.js';
import { InputError } from '../src/toolkit/errors.js';

let dir = '';
const path = (name: string) => join(dir, name);

const alerts = Array.from({ length: 3000 }, (_, i) =>
  makeAlert(
    {
      alertname: i % 3 ? 'HighLatency' : 'HighErrorRate',
      service: `svc-${i % 7}`,
      note: `a, "quoted" ] { ${i}`,
    },
    { summary: `ünïcode ✓ ${i}` },
    i % 50,
    (i % 50) + 10,
  ),
);
const ndjson = (list: readonly Alert[]) => `${list.map((a) => JSON.stringify(a)).join('\n')}\n`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-alert-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(name: string, text: string): Promise<Alert[]> {
  writeFileSync(path(name), text);
  const got: Alert[] = [];
  await readAlerts(path(name), (alert) => got.push(alert));
  return got;
}

async function failure(name: string, text: string): Promise<string> {
  try {
    await read(name, text);
  } catch (error) {
    if (error instanceof InputError) return error.format();
    throw error;
  }
  throw new Error(`${name} was read without an error`);
}

describe('readAlerts', () => {
  it('reads a JSON list, {"alerts": [...]} among other fields, and NDJSON alike, strings with brackets and commas included', async () => {
    const wrapped = JSON.stringify({ a: { alerts: [1] }, alerts, b: ['x]', { c: null }] }, null, 2);
    expect(await read('list.json', JSON.stringify(alerts))).toEqual(alerts);
    expect(await read('wrapped.json', wrapped)).toEqual(alerts);
    expect(await read('lines.ndjson', ndjson(alerts))).toEqual(alerts);
    // By content: a first line that is a whole alert by itself.
    expect(await read('lines.txt', `\n${ndjson(alerts).replaceAll('\n', '\r\n')}`)).toEqual(alerts);
    expect(await read('lines.json', ndjson(alerts))).toEqual(alerts);
    expect(await read('empty.json', ' [ ] ')).toEqual([]);
  });

  it('tells NDJSON from JSON by the name, else by the first line', () => {
    const line = Buffer.from(`${JSON.stringify(alerts[0])}\n${JSON.stringify(alerts[1])}\n`);
    expect(isNdjson('x.jsonl', Buffer.from('[]'))).toBe(true);
    expect(isNdjson('x.json', line)).toBe(true);
    expect(isNdjson('x.json', Buffer.from('{"alerts": []}\n'))).toBe(false);
    expect(isNdjson('x.json', Buffer.from('{\n  "alerts": []\n}\n'))).toBe(false);
    expect(isNdjson('x.json', Buffer.from('[{"labels": {}}]\n'))).toBe(false);
  });

  it('names the file and the alert for what is wrong, in either format', async () => {
    const bad = [alerts[0], { ...alerts[1], labels: { service: 5 } }];
    expect(await failure('bad.json', JSON.stringify(bad))).toMatch(
      /bad\.json: alerts\[1\]\.labels\.service: must be a string \(got the number 5\)/,
    );
    expect(await failure('bad.ndjson', ndjson(bad as Alert[]))).toMatch(
      /bad\.ndjson: alerts\[1\]\.labels\.service: must be a string/,
    );
    expect(await failure('torn.ndjson', `${JSON.stringify(alerts[0])}\n{"labels":\n`)).toMatch(
      /torn\.ndjson: invalid JSON: line 2: /,
    );
  });

  it('refuses what is not JSON around the alerts: a trailing comma, an empty slot, text after the end, a bad frame', async () => {
    const one = JSON.stringify(alerts[0]);
    expect(await failure('trailing.json', `[${one},]`)).toMatch(/trailing\.json: invalid JSON/);
    expect(await failure('slot.json', `[${one},,${one}]`)).toMatch(/slot\.json: invalid JSON/);
    expect(await failure('after.json', `[${one}] x`)).toMatch(/after\.json: invalid JSON/);
    expect(await failure('frame.json', `{"alerts": [${one}], "x": tru}`)).toMatch(
      /frame\.json: invalid JSON/,
    );
    expect(await failure('shape.json', '"alerts"')).toMatch(/must be a JSON list of alerts/);
    expect(await failure('value.json', '{"alerts": {"a": 1}}')).toMatch(
      /value\.json: alerts: must be a list of alerts/,
    );
  });
});

describe('scanAlerts: however the bytes are cut', () => {
  // Label values full of what the scan must see through: quotes, runs of backslashes, brackets,
  // commas, colons and characters of two to four UTF-8 bytes.
  const tricky = fc
    .array(fc.constantFrom('\\', '"', '\\"', '\\\\', '[', ']', '{', '}', ',', ':', 'a', 'é', '✓', '𝄞', ' '), {
      maxLength: 12,
    })
    .map((parts) => parts.join(''));
  const alert = fc
    .tuple(tricky, tricky, fc.integer({ min: 0, max: 100 }))
    .map(([service, note, start]) =>
      makeAlert({ alertname: 'X', service, note }, { summary: note }, start, start + 5),
    );

  const cut = (text: string, sizes: number[]): Buffer[] => {
    const bytes = Buffer.from(text);
    const chunks: Buffer[] = [];
    let at = 0;
    for (let i = 0; at < bytes.length; i++) {
      const size = sizes[i % sizes.length] ?? 1;
      chunks.push(bytes.subarray(at, at + size));
      at += size;
    }
    return chunks;
  };
  const scan = async (text: string, sizes: number[], file = 'cut.json') => {
    const got: Alert[] = [];
    await scanAlerts(file, cut(text, sizes), (a) => got.push(a));
    return got;
  };

  it('keeps a top-level key cut by a chunk whole, and refuses one past the frame limit', async () => {
    const list = [makeAlert({ alertname: 'X' }, {}, 0, 5)];
    const text = JSON.stringify({ receiver: 'r', alerts: list, groupLabels: {} });
    for (let size = 1; size < 40; size++) expect(await scan(text, [size])).toEqual(list);
    const long = `{"${'k'.repeat(3 << 20)}": 1, "alerts": []}`;
    await expect(scan(long, [1 << 20])).rejects.toThrow(/has more than 1 MiB of JSON outside any alert/);
  });

  it('reads the same alerts from a list, a wrapped list or a pretty-printed one, cut anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(alert, { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }),
        async (list, sizes) => {
          expect(await scan(JSON.stringify(list), sizes)).toEqual(list);
          expect(await scan(JSON.stringify({ x: '"]\\', alerts: list }), sizes)).toEqual(list);
          expect(await scan(JSON.stringify(list, null, 2), sizes)).toEqual(list);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads the same alerts from NDJSON cut anywhere, a line cut by several chunks included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(alert, { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        async (list, sizes, crlf) => {
          const text = crlf ? ndjson(list).replaceAll('\n', '\r\n') : ndjson(list);
          expect(await scan(text, sizes, 'cut.ndjson')).toEqual(list);
          expect(await scan(text.trimEnd(), sizes, 'cut.ndjson')).toEqual(list);
        },
      ),
      { numRuns: 300 },
    );
  });
});
