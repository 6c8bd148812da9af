import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNdjson, readAlerts } from '../src/cli/alert-file.js';
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
