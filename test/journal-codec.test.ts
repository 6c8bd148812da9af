import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Input } from '../src/engine/inputs.js';
import { decodeInputs, encodeInputs } from '../src/engine/journal-codec.js';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import { InputError } from '../src/toolkit/errors.js';
import { runShift } from '../src/world/drill.js';
import { loadScenario } from '../src/world/scenario.js';

const tick = (t: number): Input => ({ kind: 'tick', t });
const sli = (name: string, requests: number, errors: number): Input => ({
  kind: 'sli',
  sli: name,
  counts: { requests, errors },
});
const quiet = (t: number): Input[] => [tick(t), sli('quality', 1000, 0), sli('freshness', 1000, 0)];
const roundTrip = (inputs: Input[]) => decodeInputs(encodeInputs(inputs), 'journal.db', 'row 1');

describe('journal rows: quiet minutes as one marker', () => {
  it('keeps a run of repeated minutes as the first minute and a count', () => {
    const inputs = [1, 2, 3, 4].flatMap(quiet);
    const row = JSON.parse(encodeInputs(inputs)) as unknown[];
    expect(row).toEqual([...quiet(1), { again: 3 }]);
    expect(roundTrip(inputs)).toEqual(inputs);
  });

  it('writes out a minute that differs in any input, in its tick, or in key order', () => {
    const louder = [...quiet(1), tick(2), sli('quality', 1000, 5), sli('freshness', 1000, 0)];
    expect(JSON.parse(encodeInputs(louder))).toEqual(louder);
    const skipped = [...quiet(1), ...quiet(3)];
    expect(JSON.parse(encodeInputs(skipped))).toEqual(skipped);
    const reordered: Input[] = [
      ...quiet(1),
      tick(2),
      { kind: 'sli', counts: { requests: 1000, errors: 0 }, sli: 'quality' } as Input,
      sli('freshness', 1000, 0),
    ];
    expect(encodeInputs(reordered)).toBe(JSON.stringify(reordered));
    const shorter = [...quiet(1), tick(2), sli('quality', 1000, 0)];
    expect(JSON.parse(encodeInputs(shorter))).toEqual(shorter);
  });

  it('decodes a row written before the marker existed as it always did', () => {
    const old = [...quiet(7), ...quiet(8)];
    expect(decodeInputs(JSON.stringify(old), 'journal.db', 'row 1')).toEqual(old);
  });

  it('gives each repeated minute inputs of its own', () => {
    const decoded = roundTrip([1, 2].flatMap(quiet));
    expect(decoded[4]).toEqual(decoded[1]);
    expect(decoded[4]).not.toBe(decoded[1]);
    expect((decoded[4] as { counts: object }).counts).not.toBe((decoded[1] as { counts: object }).counts);
  });

  it('round-trips any sequence of inputs, field for field and key for key', () => {
    const input: fc.Arbitrary<Input> = fc.oneof(
      fc.integer({ min: 0, max: 6 }).map(tick),
      fc.record({ kind: fc.constant('tick' as const), t: fc.integer({ min: 0, max: 6 }), x: fc.constant(1) }),
      fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 2 })).map(([s, e]) => sli(s, 10, e)),
      fc.record({
        kind: fc.constant('ack' as const),
        incident: fc.constantFrom('INC-1'),
        by: fc.constant('me'),
      }),
    ) as fc.Arbitrary<Input>;
    // Mostly minutes that repeat, so that markers are written often.
    const minutes = fc.array(fc.tuple(fc.boolean(), fc.array(input, { maxLength: 3 })), { maxLength: 30 });
    fc.assert(
      fc.property(fc.array(input, { maxLength: 2 }), minutes, (head, body) => {
        const inputs: Input[] = [...head];
        let t = 0;
        for (const [repeat, rest] of body) {
          t = repeat ? t + 1 : t + 2;
          inputs.push(tick(t), ...rest);
          if (repeat) inputs.push(tick(t + 1), ...rest.map((r) => structuredClone(r)));
          if (repeat) t++;
        }
        const text = encodeInputs(inputs);
        expect(decodeInputs(text, 'journal.db', 'row 1')).toEqual(inputs);
        expect(JSON.stringify(decodeInputs(text, 'journal.db', 'row 1'))).toBe(JSON.stringify(inputs));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a row that does not decode, naming the store and the row', () => {
    const refused = (text: string) => {
      try {
        decodeInputs(text, 'shifts.db', "run run-1's journal row at input 41");
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        return (error as InputError).format();
      }
      throw new Error('not refused');
    };
    expect(refused('[{"again": 2}]')).toMatch(
      /^runbook: shifts\.db: --db: run run-1's journal row at input 41 repeats a minute it has not got/,
    );
    expect(refused('[{"kind":"tick","t":1},{"again": 1.5}]')).toMatch(
      /not a whole number \(\{"again":1.5\}\)/,
    );
    expect(refused('{"kind":"tick"}')).toMatch(/row at input 41 is not a list of inputs/);
    expect(refused('[1]')).toMatch(/holds something that is not an input/);
    expect(refused('[{')).toMatch(/row at input 41 is not JSON/);
    const twoMinutes = JSON.stringify([...quiet(1), { again: 1 }]);
    expect(decodeInputs(twoMinutes, 'shifts.db', 'row', 6)).toHaveLength(6);
    expect(() => decodeInputs(twoMinutes, 'shifts.db', 'row', 7)).toThrow(
      /row holds 6 inputs where its sequence numbers say 7/,
    );
  });
});

describe('the stock shift journaled', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-codec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every input in a tenth of the bytes, and reads them all back', async () => {
    const file = join(dir, 'shift.db');
    const scenarioFile = 'scenarios/stock-shift.yaml';
    const scenario = loadScenario(scenarioFile);
    const store = new SqliteStore(file);
    const journal = store.createRun({
      scenario: scenarioFile,
      scenarioText: JSON.stringify(scenario),
      plays: null,
    });
    await runShift(scenario, { file: scenarioFile, journal });
    const entries = journal.entries();
    store.close();
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    const db = new Database(file, { readonly: true });
    const { bytes } = db.prepare('SELECT sum(length(inputs)) AS bytes FROM journal').get() as {
      bytes: number;
    };
    db.close();
    const written = JSON.stringify(entries.map((e) => e.input)).length;
    expect(entries.length).toBeGreaterThan(13_000);
    expect(bytes).toBeLessThan(written / 10);
  });

  it('refuses a row whose inputs do not fill its sequence numbers, naming the file', () => {
    const file = join(dir, 'short.db');
    const store = new SqliteStore(file);
    const run = store.createRun({ scenario: 'x.yaml', scenarioText: '{}', plays: null });
    run.commit({
      inputs: [1, 2, 3].map((seq) => ({ seq, input: tick(seq) })),
      trace: [],
      incidents: [],
      notifications: [],
    });
    store.close();
    const db = new Database(file);
    db.prepare('UPDATE journal SET last_seq = 4').run();
    db.close();
    const reopened = new SqliteStore(file);
    try {
      expect(() => reopened.openRun(run.id).entries()).toThrow(
        /holds 3 inputs where its sequence numbers say 4/,
      );
    } finally {
      reopened.close();
    }
  });
});
