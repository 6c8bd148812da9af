import { describe, expect, it } from 'vitest';
import { dedup, makeAlert, minuteToTimestamp, parseAlert, parseTimestamp } from '../src/toolkit/alerts.js';
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
  ])('rejects %s (%s)', (ts) => {
    expect(parseTimestamp(ts)).toBeNaN();
  });
});

describe('minuteToTimestamp', () => {
  it('refuses an epoch that is not a timestamp, quoting it', () => {
    expect(() => minuteToTimestamp(0, 'monday')).toThrow('epoch is not an RFC3339 timestamp: "monday"');
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
