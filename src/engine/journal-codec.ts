import { InputError } from '../toolkit/errors.js';
import type { Input } from './inputs.js';
import type { JournalEntry } from './journal.js';

/**
 * How a commit's inputs are kept in its journal row: a JSON array of inputs, where a run of quiet
 * minutes is one marker. Most minutes of a shift are quiet: the clock's tick and the same SLI counts as
 * the minute before. Written out, such a minute is ~150 bytes of JSON, a shift's journal ~700 KB, and
 * SQLite's cost of a commit grows with its bytes (a 32 KB row is a chain of overflow pages), so the
 * journal cost three times the shift it kept. `{"again": N}` stands for N more minutes, each the
 * minute before it (its tick and every input up to the next tick) with the tick one minute later.
 *
 * Lossless: the decoded inputs are the encoded ones, field for field and in the same key order, and a
 * row written before the marker existed (a plain array) decodes as it always did.
 */

/** A run of minutes that repeat the one before, each a minute later. */
interface Again {
  again: number;
}

type Row = (Input | Again)[];

/** Same JSON value, keys in the same order: what makes a repeated minute safe to collapse. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  for (let i = 0; i < aKeys.length; i++) {
    const key = aKeys[i] as string;
    if (key !== bKeys[i]) return false;
    if (!sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** A tick with nothing but its minute: the only kind of tick a repeat may stand for. */
function plainTick(input: Input): input is Input & { kind: 'tick' } {
  if (input.kind !== 'tick') return false;
  // Counted with for-in: Object.keys would make an array for every minute of the batch.
  let keys = 0;
  for (const _ in input) keys++;
  return keys === 2;
}

/** The end of the minute that starts at `start`: the next tick, or the end of the batch. */
function minuteEnd(inputs: readonly Input[], start: number): number {
  let end = start + 1;
  while (end < inputs.length && (inputs[end] as Input).kind !== 'tick') end++;
  return end;
}

/** Whether inputs[start, end) repeat the minute inputs[prev, start), a minute later. */
function repeats(inputs: readonly Input[], prev: number, start: number, end: number): boolean {
  const tick = inputs[start] as Input;
  const before = inputs[prev] as Input;
  if (end - start !== start - prev || !plainTick(tick) || !plainTick(before)) return false;
  if (tick.t !== before.t + 1) return false;
  for (let i = 1; i < end - start; i++) {
    if (!sameJson(inputs[start + i], inputs[prev + i])) return false;
  }
  return true;
}

/** A batch's inputs as its journal row keeps them. */
export function encodeInputs(inputs: readonly Input[]): string {
  const row: Row = [];
  // Where the last minute written out (or stood for) starts; -1 before the first tick.
  let prev = -1;
  let again = 0;
  let i = 0;
  while (i < inputs.length) {
    const input = inputs[i] as Input;
    if (input.kind !== 'tick') {
      row.push(input);
      i++;
      continue;
    }
    const end = minuteEnd(inputs, i);
    if (prev >= 0 && repeats(inputs, prev, i, end)) {
      again++;
    } else {
      if (again > 0) row.push({ again });
      again = 0;
      for (let j = i; j < end; j++) row.push(inputs[j] as Input);
    }
    prev = i;
    i = end;
  }
  if (again > 0) row.push({ again });
  return JSON.stringify(row);
}

/**
 * A journal row's inputs, as they were committed. A row that does not decode (a journal edited by
 * hand, or damaged), or decodes to another count than its sequence numbers span (`expected`), is
 * refused naming the store (`location`) and the row (`row`).
 */
export function decodeInputs(text: string, location: string, row: string, expected?: number): Input[] {
  const refuse = (why: string) => new InputError(`${row} ${why}`, location, '--db');
  let items: Row;
  try {
    items = JSON.parse(text) as Row;
  } catch {
    throw refuse('is not JSON');
  }
  if (!Array.isArray(items)) throw refuse('is not a list of inputs');
  const inputs: Input[] = [];
  // Where the last minute decoded starts: what a marker repeats.
  let minute = -1;
  for (const item of items) {
    if (typeof item !== 'object' || item === null) throw refuse('holds something that is not an input');
    if (!('again' in item)) {
      if (item.kind === 'tick') minute = inputs.length;
      inputs.push(item);
      continue;
    }
    if (minute < 0 || !Number.isInteger(item.again) || item.again < 1) {
      throw refuse(
        `repeats a minute it has not got, or a count that is not a whole number (${JSON.stringify(item)})`,
      );
    }
    const template = inputs.slice(minute);
    const tick = template[0] as Input & { kind: 'tick' };
    for (let k = 1; k <= item.again; k++) {
      minute = inputs.length;
      inputs.push({ kind: 'tick', t: tick.t + k });
      for (let j = 1; j < template.length; j++) inputs.push(structuredClone(template[j] as Input));
    }
  }
  if (expected !== undefined && inputs.length !== expected)
    throw refuse(`holds ${inputs.length} inputs where its sequence numbers say ${expected}`);
  return inputs;
}

/** A journal row as both stores select it: its first and last sequence numbers and its inputs. */
export interface JournalRow {
  first: number | string;
  last: number | string;
  inputs: string;
}

/** The entries of a run's journal rows after seq `after`, each row decoded and checked against its span. */
export function entriesOf(
  rows: readonly JournalRow[],
  location: string,
  run: string,
  after: number,
): JournalEntry[] {
  return rows.flatMap((row) => {
    const first = Number(row.first);
    const count = Number(row.last) - first + 1;
    return decodeInputs(row.inputs, location, `run ${run}'s journal row at input ${first}`, count)
      .map((input, i) => ({ seq: first + i, input }))
      .filter((entry) => entry.seq > after);
  });
}
