import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Alert,
  dedup,
  fingerprint,
  isZeroTime,
  type Labels,
  makeAlert,
  minuteToTimestamp,
  parseAlert,
  parseTimestamp,
  timestampToMinute,
} from '../src/toolkit/alerts.js';
import { InputError } from '../src/toolkit/errors.js';

/** FNV-1a 64 the slow, obvious way: BigInt over the UTF-8 bytes, names sorted, 0xff after each part. */
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

describe('fingerprint', () => {
  it('matches the fingerprint a real Alertmanager 0.25 gives a label set', () => {
    const labels = { alertname: 'DiskAlmostFull', instance: 'pod-25', service: 'agent', severity: 'ticket' };
    expect(fingerprint(labels)).toBe('c0c5e4ac5034a259');
  });

  it('does not depend on the order the labels are written in', () => {
    const sorted = { alertname: 'DiskAlmostFull', instance: 'pod-25', service: 'agent', severity: 'ticket' };
    const shuffled = {
      severity: 'ticket',
      service: 'agent',
      alertname: 'DiskAlmostFull',
      instance: 'pod-25',
    };
    expect(fingerprint(shuffled)).toBe(fingerprint(sorted));
  });

  it('gives 200,000 labels in reverse order the fingerprint of the same labels sorted', () => {
    const names = Array.from({ length: 200_000 }, (_, i) => `l${String(i).padStart(6, '0')}`);
    const reversed = Object.fromEntries([...names].reverse().map((name) => [name, 'v']));
    const sorted = Object.fromEntries(names.map((name) => [name, 'v']));
    expect(fingerprint(reversed)).toBe(fingerprint(sorted));
  });

  it('separates names from values, so shifting the boundary changes the fingerprint', () => {
    expect(fingerprint({ a: 'bc' })).not.toBe(fingerprint({ ab: 'c' }));
  });

  it('gives the empty label set the FNV-1a offset basis, as Go does', () => {
    expect(fingerprint({})).toBe('cbf29ce484222325');
  });

  it('is 16 lowercase hex digits', () => {
    expect(fingerprint({ alertname: 'X' })).toMatch(/^[0-9a-f]{16}$/);
  });

  it('agrees with a byte-wise BigInt FNV-1a 64 on any label set, Unicode values included', () => {
    const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/);
    const labels = fc.dictionary(name, fc.string({ unit: 'binary', maxLength: 12 }), { maxKeys: 6 });
    fc.assert(
      fc.property(labels, (set) => {
        expect(fingerprint(set)).toBe(referenceFingerprint(set));
      }),
    );
  });
});

describe('timestamps', () => {
  it('puts sim minute 0 at 2026-01-01T00:00:00Z unless told another epoch', () => {
    expect(minuteToTimestamp(0)).toBe('2026-01-01T00:00:00Z');
    expect(minuteToTimestamp(90)).toBe('2026-01-01T01:30:00Z');
    expect(minuteToTimestamp(1, '2025-06-30T23:59:00Z')).toBe('2025-07-01T00:00:00Z');
  });

  it('keeps milliseconds of a fractional minute', () => {
    expect(minuteToTimestamp(0.5)).toBe('2026-01-01T00:00:30Z');
    expect(minuteToTimestamp(1 / 60000)).toBe('2026-01-01T00:00:00.001Z');
  });

  it('reads a timestamp back as the minute it was written from', () => {
    for (const minute of [0, 1, 59, 1440, 525_600, -30]) {
      expect(timestampToMinute(minuteToTimestamp(minute))).toBe(minute);
    }
    expect(timestampToMinute('2025-07-01T00:00:00Z', '2025-06-30T23:59:00Z')).toBe(1);
  });

  it('reads offsets, nanoseconds and lowercase separators as RFC3339 allows', () => {
    expect(timestampToMinute('2026-01-01T02:00:00+02:00')).toBe(0);
    expect(timestampToMinute('2026-01-01T00:01:00.000000000Z')).toBe(1);
    expect(timestampToMinute('2026-01-01t00:02:00z')).toBe(2);
  });

  it('parses exactly what Date.parse does for valid timestamps', () => {
    for (const ts of ['2024-02-29T12:34:56.789-07:30', '0001-01-01T00:00:00Z', '1969-12-31T23:59:59.5Z']) {
      expect(parseTimestamp(ts)).toBe(Date.parse(ts));
    }
  });

  it('rejects what is not RFC3339, including dates Date.parse would roll over', () => {
    for (const ts of [
      '2026-02-31T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T00:00:00',
      '2026-01-01',
      '2026-1-01T00:00:00Z',
      'yesterday',
    ]) {
      expect(parseTimestamp(ts)).toBeNaN();
      expect(() => timestampToMinute(ts)).toThrow(RangeError);
    }
  });
});

describe('isZeroTime', () => {
  it("knows Go's zero time however it is written, and nothing else", () => {
    for (const zero of ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z', '0000-12-31T23:00:00-01:00'])
      expect(isZeroTime(zero), zero).toBe(true);
    for (const other of [
      '0001-01-01T00:00:01Z',
      '1001-01-01T00:00:00Z',
      '2026-01-01T00:00:00Z',
      '0999-01-01T00:00:00Z',
    ])
      expect(isZeroTime(other), other).toBe(false);
  });
});

describe('makeAlert', () => {
  it('builds an Alertmanager-shaped alert with RFC3339 times and the labels fingerprint', () => {
    const labels = { alertname: 'HighErrorRate', service: 'agent' };
    expect(makeAlert(labels, { summary: 's' }, 5, 20)).toEqual({
      labels,
      annotations: { summary: 's' },
      startsAt: '2026-01-01T00:05:00Z',
      endsAt: '2026-01-01T00:20:00Z',
      fingerprint: fingerprint(labels),
    });
  });
});

describe('dedup', () => {
  const at = (labels: Labels, from: number, to: number): Alert => makeAlert(labels, {}, from, to);

  it('treats identical label sets as one alert, however the labels are ordered', () => {
    const alerts = [
      at({ alertname: 'A', service: 'agent' }, 0, 10),
      at({ service: 'agent', alertname: 'A' }, 5, 15),
      at({ alertname: 'B', service: 'agent' }, 0, 10),
    ];
    expect(dedup(alerts).map((alert) => alert.labels.alertname)).toEqual(['A', 'B']);
  });

  it('keeps the earliest startsAt and the latest endsAt of the duplicates', () => {
    const labels = { alertname: 'A' };
    const [merged] = dedup([at(labels, 5, 10), at(labels, 2, 8), at(labels, 6, 30)]);
    expect(merged?.startsAt).toBe(minuteToTimestamp(2));
    expect(merged?.endsAt).toBe(minuteToTimestamp(30));
  });

  it('does not change the alerts it was given', () => {
    const first = at({ alertname: 'A' }, 5, 10);
    dedup([first, at({ alertname: 'A' }, 0, 20)]);
    expect(first.startsAt).toBe(minuteToTimestamp(5));
  });
});

describe('parseAlert', () => {
  const valid = {
    labels: { alertname: 'A', service: 'agent' },
    startsAt: '2026-01-01T00:00:00Z',
    endsAt: '2026-01-01T00:10:00Z',
  };
  const fieldOf = (value: unknown): string | undefined => {
    try {
      parseAlert(value, 'alerts[3]');
    } catch (error) {
      if (error instanceof InputError) return error.field;
      throw error;
    }
    return undefined;
  };

  it('accepts an Alertmanager alert and recomputes its fingerprint', () => {
    const alert = parseAlert({ ...valid, fingerprint: 'forged' }, 'alerts[0]');
    expect(alert.fingerprint).toBe(fingerprint(valid.labels));
    expect(alert.annotations).toEqual({});
  });

  it('names the field of what is wrong', () => {
    expect(fieldOf('not an alert')).toBe('alerts[3]');
    expect(fieldOf({ ...valid, labels: undefined })).toBe('alerts[3].labels');
    expect(fieldOf({ ...valid, labels: {} })).toBe('alerts[3].labels');
    expect(fieldOf({ ...valid, labels: ['a'] })).toBe('alerts[3].labels');
    expect(fieldOf({ ...valid, labels: { alertname: 7 } })).toBe('alerts[3].labels.alertname');
    expect(fieldOf({ ...valid, annotations: { summary: null } })).toBe('alerts[3].annotations.summary');
    expect(fieldOf({ ...valid, startsAt: undefined, endsAt: undefined })).toBe('alerts[3].startsAt');
    expect(fieldOf({ ...valid, startsAt: '0001-01-01T00:00:00Z', endsAt: undefined })).toBe(
      'alerts[3].startsAt',
    );
    expect(fieldOf({ ...valid, endsAt: 17 })).toBe('alerts[3].endsAt');
    expect(fieldOf({ ...valid, endsAt: '2026-02-30T00:00:00Z' })).toBe('alerts[3].endsAt');
  });
});
