import { describe, expect, it } from 'vitest';
import {
  dedup,
  fingerprint,
  type Labels,
  makeAlert,
  minuteToTimestamp,
  parseAlert,
  parseTimestamp,
  timestampToMinute,
} from '../src/toolkit/alerts.js';
import { InputError } from '../src/toolkit/errors.js';

// The RFC3339 reader at each of its bounds, and the wording of every refusal of an alert.

describe('parseTimestamp at the edges of each field', () => {
  it.each([
    '2019-09-19T19:59:59.999Z',
    '2026-12-31T23:59:59Z',
    '2026-01-31T00:00:00Z',
    '2026-04-30T00:00:00Z',
    '2026-03-01T00:00:00Z',
    '2024-02-29T00:00:00Z',
    '2000-02-29T00:00:00Z',
    '1900-02-28T00:00:00Z',
    '2026-01-01 08:00:00Z',
    '2026-01-01T00:00:00.1Z',
    '2026-01-01T00:00:00.12Z',
    '2026-01-01T00:00:00.123456789Z',
    '2026-01-01T00:00:00+23:59',
    '2026-01-01T00:00:00-00:30',
  ])('reads %s as Date.parse does', (ts) => {
    expect(parseTimestamp(ts)).toBe(Date.parse(ts));
  });

  it.each([
    ['1900-02-29T00:00:00Z', 'a century is no leap year unless divisible by 400'],
    ['2023-02-29T00:00:00Z', 'not a leap year'],
    ['2026-04-31T00:00:00Z', 'April has 30 days'],
    ['2026-06-31T00:00:00Z', 'June has 30 days'],
    ['2026-09-31T00:00:00Z', 'September has 30 days'],
    ['2026-11-31T00:00:00Z', 'November has 30 days'],
    ['2026-01-32T00:00:00Z', 'January has 31 days'],
    ['2026-00-10T00:00:00Z', 'month 0'],
    ['2026-13-01T00:00:00Z', 'month 13'],
    ['2026-01-00T00:00:00Z', 'day 0'],
    ['2026-01-01T00:60:00Z', 'minute 60'],
    ['2026-01-01T00:00:60Z', 'second 60'],
    ['2026-01-01T00:00:00.Z', 'a dot without digits'],
    ['2026-01-01T00:00:00.5xZ', 'a fraction that is not all digits'],
    ['2026-01-01T00:00:00+24:00', 'offset hour 24'],
    ['2026-01-01T00:00:00+00:60', 'offset minute 60'],
    ['2026-01-01T00:00:00+0000', 'offset without a colon'],
    ['2026-01-01T00:00:00Zjunk', 'text after the zone'],
    ['2026-01-01x00:00:00Z', 'x between date and time'],
    ['2026/01-01T00:00:00Z', 'a slash for a dash'],
    ['2026-01/01T00:00:00Z', 'a slash for the second dash'],
    ['2026-01-01T00-00:00Z', 'a dash for a colon'],
    ['2026-01-01T00:00-00Z', 'a dash for the second colon'],
    ['202/-01-01T00:00:00Z', "'/', the character before '0'"],
    ['202:-01-01T00:00:00Z', "':', the character after '9'"],
    ['2026-01-01T00:00:00.5', 'a fraction and no zone'],
    ['2026-01-01T00:00:00#01:00', "an offset signed by neither '+' nor '-'"],
    ['2026-01-01T00:00:00 01:00', 'an offset signed by a space'],
    ['2026-01-01T00:00:00+01x30', 'an offset whose colon is another character'],
  ])('rejects %s (%s)', (ts) => {
    expect(parseTimestamp(ts)).toBeNaN();
  });
});

describe('minuteToTimestamp', () => {
  it('refuses an epoch that is not a timestamp, quoting it', () => {
    expect(() => minuteToTimestamp(0, 'monday')).toThrow('epoch is not an RFC3339 timestamp: "monday"');
  });
});

describe('timestampToMinute', () => {
  it('refuses a timestamp that is not RFC3339, quoting it', () => {
    expect(() => timestampToMinute('monday')).toThrow(new RangeError('not an RFC3339 timestamp: "monday"'));
  });
});

/** FNV-1a 64 the slow, obvious way: BigInt over Node's UTF-8 bytes (a lone surrogate is U+FFFD, as in Go). */
function referenceFingerprint(labels: Labels): string {
  let hash = 0xcbf29ce484222325n;
  const add = (byte: number) => {
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const byte of Buffer.from(name, 'utf8')) add(byte);
    add(0xff);
    for (const byte of Buffer.from(labels[name] ?? '', 'utf8')) add(byte);
    add(0xff);
  }
  return hash.toString(16).padStart(16, '0');
}

describe('fingerprint at each bound of UTF-8', () => {
  // Each value is hashed first as the whole value (its first non-ASCII character is the one named)
  // and after an ASCII prefix, so both the inlined ASCII loop and the UTF-8 encoder meet it.
  it.each([
    ['\u007f', 'the last one-byte character'],
    ['\u0080', 'the first two-byte character'],
    ['\u07ff', 'the last two-byte character'],
    ['\u0800', 'the first three-byte character'],
    ['\ud7ff', 'the last character below the surrogates'],
    ['\ue000', 'the first character above the surrogates'],
    ['\ue000a', 'a character above the surrogates, then ASCII'],
    ['\uffff', 'the last three-byte character'],
    ['\ud800\udc00', 'the first surrogate pair (U+10000)'],
    ['\udbff\udfff', 'the last surrogate pair (U+10FFFF)'],
    ['\ud800', 'a lone high surrogate at the end'],
    ['\udbff', 'the last high surrogate, alone'],
    ['\udc00', 'a lone low surrogate'],
    ['\udfff', 'the last low surrogate, alone'],
    ['\ud800a', 'a high surrogate followed by ASCII'],
    ['\ud800\ue000', 'a high surrogate followed by a character above the surrogates'],
    ['\udc00\udc00', 'two low surrogates'],
    ['\udc00\udfff', 'a low surrogate followed by the last low surrogate'],
    ['\u4e2d\udc00', 'a three-byte character followed by a lone low surrogate'],
    ['\ue000\udc00', 'a character above the surrogates followed by a lone low surrogate'],
  ])('hashes %j (%s) as its UTF-8 bytes', (value) => {
    for (const labels of [{ v: value }, { v: `ab${value}` }, { [value]: 'x' }]) {
      expect(fingerprint(labels)).toBe(referenceFingerprint(labels));
    }
  });

  it('gives a lone surrogate the fingerprint of U+FFFD, as Go does', () => {
    expect(fingerprint({ v: '\ud800' })).toBe(fingerprint({ v: '\ufffd' }));
    expect(fingerprint({ v: '\udfff' })).toBe(fingerprint({ v: '\ufffd' }));
    expect(fingerprint({ v: '\u0080' })).not.toBe(fingerprint({ v: '\u00c2\u0080' }));
  });
});

describe('dedup of one instant written two ways', () => {
  it('keeps the first text of a start or end that a duplicate repeats', () => {
    const first = makeAlert({ alertname: 'A' }, {}, 0, 10);
    const same = { ...first, startsAt: '2026-01-01T01:00:00+01:00', endsAt: '2026-01-01T01:10:00+01:00' };
    expect(dedup([first, same])).toEqual([first]);
  });
});

describe('parseAlert says what is wrong', () => {
  const valid = {
    labels: { alertname: 'A' },
    startsAt: '2026-01-01T00:00:00Z',
    endsAt: '2026-01-01T00:10:00Z',
  };
  const refusal = (value: unknown): string => {
    try {
      parseAlert(value, 'alerts[3]');
    } catch (error) {
      if (error instanceof InputError) return error.format();
      throw error;
    }
    return 'accepted';
  };

  it.each([
    ['an alert that is not an object', 'x', 'runbook: alerts[3]: must be an object'],
    ['an alert that is null', null, 'runbook: alerts[3]: must be an object'],
    ['an alert that is a list', [valid], 'runbook: alerts[3]: must be an object'],
    [
      'labels that are null',
      { ...valid, labels: null },
      'runbook: alerts[3].labels: must be an object of strings',
    ],
    [
      'annotations that are null',
      { ...valid, annotations: null },
      'runbook: alerts[3].annotations: must be an object of strings',
    ],
    ['missing labels', { ...valid, labels: undefined }, 'runbook: alerts[3].labels: is required'],
    ['no labels', { ...valid, labels: {} }, 'runbook: alerts[3].labels: must have at least one label'],
    [
      'a list of labels',
      { ...valid, labels: ['a'] },
      'runbook: alerts[3].labels: must be an object of strings',
    ],
    [
      'a label set with its own prototype',
      { ...valid, labels: Object.create({ service: 'agent' }) },
      'runbook: alerts[3].labels: must be an object of strings',
    ],
    [
      'a label named __proto__',
      { ...valid, labels: JSON.parse('{"__proto__": "x", "alertname": "A"}') },
      'runbook: alerts[3].labels.__proto__: is not allowed as a name',
    ],
    [
      'a label that is a number',
      { ...valid, labels: { alertname: 7 } },
      'runbook: alerts[3].labels.alertname: must be a string (got the number 7)',
    ],
    [
      'annotations that are a string',
      { ...valid, annotations: 'x' },
      'runbook: alerts[3].annotations: must be an object of strings',
    ],
    [
      // As in Alertmanager, an alert without startsAt starts at its endsAt; without either it has no time.
      'neither startsAt nor endsAt',
      { ...valid, startsAt: undefined, endsAt: undefined },
      'runbook: alerts[3].startsAt: is required when endsAt is not set (an RFC3339 timestamp)',
    ],
    [
      'an endsAt that is a number',
      { ...valid, endsAt: 5 },
      'runbook: alerts[3].endsAt: must be an RFC3339 timestamp (got 5)',
    ],
    [
      'an endsAt on February 30th',
      { ...valid, endsAt: '2026-02-30T00:00:00Z' },
      'runbook: alerts[3].endsAt: must be an RFC3339 timestamp (got "2026-02-30T00:00:00Z")',
    ],
  ])('%s', (_what, value, message) => {
    expect(refusal(value)).toBe(message);
  });

  it('keeps the annotations it is given', () => {
    expect(parseAlert({ ...valid, annotations: { summary: 's' } }, 'alerts[0]').annotations).toEqual({
      summary: 's',
    });
  });
});
