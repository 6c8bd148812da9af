import { describe, expect, it } from 'vitest';
import { type Alert, type Labels, makeAlert } from '../src/toolkit/alerts.js';
import { Correlator, correlate } from '../src/toolkit/correlate.js';

// The online side of the correlator (admit, groupOf, save and restore) and the edges of its sorting
// and wording that the batch tests leave out.

const alert = (labels: Labels, from = 0, to = from + 10): Alert => makeAlert(labels, {}, from, to);
const options = { groupBy: ['service'], gapMinutes: 30 };

describe('Correlator.admit', () => {
  it('says which group took an alert and whether the alert opened it', () => {
    const correlator = new Correlator(options);
    const a = alert({ service: 'agent', alertname: 'A' }, 0, 10);
    const b = alert({ service: 'agent', alertname: 'B' }, 20, 30);
    const first = correlator.admit(a);
    const second = correlator.admit(b);
    const apart = correlator.admit(alert({ service: 'agent', alertname: 'A' }, 100, 110));
    expect([first.opened, second.opened, apart.opened]).toEqual([true, false, true]);
    expect(correlator.groupOf(first.group)).toEqual({
      key: '{service="agent"}',
      labels: { service: 'agent' },
      count: 2,
      fingerprints: [a.fingerprint, b.fingerprint].sort(),
      startsAt: 0,
      endsAt: 30,
      alertnames: ['A', 'B'],
    });
    expect(correlator.groupOf(second.group)).toEqual(correlator.groupOf(first.group));
    expect(correlator.groupOf(apart.group)).toMatchObject({ startsAt: 100, endsAt: 110, count: 1 });
  });

  it('keeps every alertname of a group however the names alternate', () => {
    const correlator = new Correlator(options);
    for (const name of ['A', 'B', 'A', 'C', 'A'])
      correlator.add(alert({ service: 'agent', alertname: name }));
    expect(correlator.result().groups[0]?.alertnames).toEqual(['A', 'B', 'C']);
  });

  it('counts an alert without an alertname but lists no name for it', () => {
    const [group] = correlate([alert({ service: 'agent' })], options).groups;
    expect(group).toMatchObject({ count: 1, alertnames: [] });
  });
});

describe('Correlator.save and restore', () => {
  const alerts = [
    alert({ service: 'agent', alertname: 'A' }, 0, 10),
    alert({ service: 'agent', alertname: 'B' }, 100, 110),
    alert({ service: 'billing', alertname: 'C' }, 5, 15),
  ];

  it('gives back the same groups, counts and references', () => {
    const correlator = new Correlator(options);
    const refs = alerts.map((a) => correlator.admit(a).group);
    const saved = correlator.save(refs);
    expect(saved.refs).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(saved.posted).toBe(3);
    const restored = Correlator.restore(options, JSON.parse(JSON.stringify(saved)));
    expect(restored.correlator.result()).toEqual(correlator.result());
    expect(restored.refs.map((ref) => restored.correlator.groupOf(ref))).toEqual(
      refs.map((ref) => correlator.groupOf(ref)),
    );
  });

  it('goes on correlating after a restore as if it had never stopped', () => {
    const late = [
      alert({ service: 'agent', alertname: 'A' }, 40, 60),
      alert({ service: 'agent', alertname: 'D' }, 200),
    ];
    const whole = correlate([...alerts, ...late], options);
    const first = new Correlator(options);
    for (const a of alerts) first.add(a);
    const { correlator } = Correlator.restore(options, first.save([]));
    for (const a of late) correlator.add(a);
    expect(correlator.result()).toEqual(whole);
  });

  it('restores label tuples of several labels, a missing one as empty', () => {
    const byTwo = { groupBy: ['service', 'region'] };
    const correlator = new Correlator(byTwo);
    correlator.add(alert({ service: 'agent', region: 'eu' }));
    correlator.add(alert({ service: 'agent' }));
    const { correlator: restored } = Correlator.restore(byTwo, correlator.save([]));
    expect(restored.result().groups.map((group) => group.key)).toEqual([
      '{service="agent",region=""}',
      '{service="agent",region="eu"}',
    ]);
    restored.add(alert({ service: 'agent', region: 'eu' }, 1));
    expect(restored.result().groups.map((group) => group.count)).toEqual([1, 1]);
  });
});

describe('sorting fingerprints that are not Alertmanager fingerprints', () => {
  // Fingerprints are recomputed when alerts are read from a file; these reach the correlator only
  // through the API, and must still come out as a plain string sort would order them.
  const storm = (fingerprintOf: (i: number) => string) =>
    Array.from({ length: 1500 }, (_, i) => ({
      ...alert({ service: 'agent' }),
      fingerprint: fingerprintOf(i),
    }));
  const sortedOf = (alerts: Alert[]) => correlate(alerts, options).groups[0]?.fingerprints;

  it.each([
    ['shorter than 16 digits', (i: number) => (i * 7919).toString(16)],
    ['with capital hex digits', (i: number) => (i * 7919).toString(16).toUpperCase().padStart(16, 'F')],
    ['with letters past f', (i: number) => `${'zyxw'[i % 4]}${(i * 7919).toString(16).padStart(15, '0')}`],
  ])('%s', (_what, fingerprintOf) => {
    const alerts = storm(fingerprintOf);
    expect(sortedOf(alerts)).toEqual(alerts.map((a) => a.fingerprint).sort());
  });

  it('crowded into one leading bucket', () => {
    const alerts = storm((i) => `0000${(i * 7919).toString(16).padStart(12, '0')}`);
    expect(sortedOf(alerts)).toEqual(alerts.map((a) => a.fingerprint).sort());
  });
});

describe('refusals name what is wrong', () => {
  it('a negative gap, an epoch or a timestamp that is not RFC3339', () => {
    expect(() => new Correlator({ groupBy: [], gapMinutes: -1 })).toThrow('gapMinutes must be >= 0 (got -1)');
    expect(() => new Correlator({ groupBy: [], epoch: 'soon' })).toThrow(
      'epoch is not an RFC3339 timestamp: "soon"',
    );
    const bad = { ...alert({ service: 'agent' }), startsAt: 'noon' };
    expect(() => correlate([bad], options)).toThrow('not an RFC3339 timestamp: "noon"');
  });

  it('accepts a gap of 0: only overlapping or touching alerts join', () => {
    const groups = correlate(
      [alert({ service: 'a' }, 0, 10), alert({ service: 'a' }, 10, 20), alert({ service: 'a' }, 21, 30)],
      { groupBy: ['service'], gapMinutes: 0 },
    ).groups;
    expect(groups.map((group) => [group.startsAt, group.endsAt])).toEqual([
      [0, 20],
      [21, 30],
    ]);
  });
});

describe('counting and naming across incidents of one key', () => {
  it('counts the distinct label sets of every incident of a key, not of the first alone', () => {
    const result = correlate(
      [
        alert({ service: 'agent', instance: 'pod-1' }, 0, 10),
        alert({ service: 'agent', instance: 'pod-2' }, 100, 110),
        alert({ service: 'agent', instance: 'pod-3' }, 200, 210),
        alert({ service: 'agent', instance: 'pod-1' }, 300, 310),
      ],
      options,
    );
    expect(result.groups.map((group) => group.count)).toEqual([1, 1, 1, 1]);
    expect([result.posted, result.distinct]).toEqual([4, 3]);
  });

  it('lists the alertnames of a group sorted, whatever order they arrived in, and no name for an alert without one', () => {
    const [group] = correlate(
      [
        alert({ service: 'agent', alertname: 'B' }),
        alert({ service: 'agent', alertname: 'A' }),
        alert({ service: 'agent', instance: 'unnamed' }),
      ],
      options,
    ).groups;
    expect(group).toMatchObject({ count: 3, alertnames: ['A', 'B'] });
    const [named] = correlate(
      [alert({ service: 'agent', alertname: 'A' }), alert({ service: 'agent', instance: 'unnamed' })],
      options,
    ).groups;
    expect(named?.alertnames).toEqual(['A']);
  });

  it('orders the incidents of one key by start, before the epoch too', () => {
    const result = correlate(
      [alert({ service: 'agent' }, -100, -90), alert({ service: 'agent', instance: 'x' }, -50, -40)],
      options,
    );
    expect(result.groups.map((group) => [group.startsAt, group.endsAt])).toEqual([
      [-100, -90],
      [-50, -40],
    ]);
  });

  it('merges only the incidents a late alert bridges, leaving those before and after alone', () => {
    const result = correlate(
      [
        alert({ service: 'agent', instance: 'a' }, 0, 10),
        alert({ service: 'agent', instance: 'b' }, 100, 110),
        alert({ service: 'agent', instance: 'c' }, 200, 210),
        alert({ service: 'agent', instance: 'd' }, 300, 310),
        // Within 30 minutes of b's end and of c's start, more than 30 from a and d.
        alert({ service: 'agent', instance: 'bridge' }, 120, 170),
      ],
      options,
    );
    expect(result.groups.map((group) => [group.startsAt, group.endsAt, group.count])).toEqual([
      [0, 10, 1],
      [100, 210, 3],
      [300, 310, 1],
    ]);
  });

  it('merges the first two incidents a late alert bridges, leaving the last alone', () => {
    const result = correlate(
      [
        alert({ service: 'agent', instance: 'a' }, 0, 10),
        alert({ service: 'agent', instance: 'b' }, 100, 110),
        alert({ service: 'agent', instance: 'c' }, 200, 210),
        alert({ service: 'agent', instance: 'bridge' }, 20, 80),
      ],
      options,
    );
    expect(result.groups.map((group) => [group.startsAt, group.endsAt, group.count])).toEqual([
      [0, 110, 3],
      [200, 210, 1],
    ]);
  });
});

describe('a label named "undefined"', () => {
  // Only the group-by labels decide a group; a label that happens to be called "undefined" is one
  // more label that is not among them.
  const alerts = [alert({ service: 'agent', undefined: 'x' }), alert({ service: 'agent', undefined: 'y' })];

  it.each([[['service']], [[]]])('does not split the groups of group_by %j', (groupBy) => {
    const result = correlate(alerts, { groupBy });
    expect(result.groups).toHaveLength(1);
    expect(result.groups[0]?.count).toBe(2);
  });
});

describe('Correlator.restore of a save with fewer labels than its group_by', () => {
  it('reads a value the save lacks as empty', () => {
    const correlator = new Correlator({ groupBy: ['service'] });
    correlator.add(alert({ service: 'agent' }));
    const byTwo = { groupBy: ['service', 'region'] };
    const { correlator: restored } = Correlator.restore(byTwo, correlator.save([]));
    expect(restored.result().groups.map((group) => [group.key, group.labels])).toEqual([
      ['{service="agent",region=""}', { service: 'agent', region: '' }],
    ]);
    // The restored tuple is the one a new alert without a region lands in.
    restored.add(alert({ service: 'agent', instance: 'pod-2' }));
    expect(restored.result().groups.map((group) => group.count)).toEqual([2]);
  });
});

describe('sorting the fingerprints of a big group by bucket', () => {
  // 1,100 alerts or more take the bucketed sort; each case must still come out as a plain string
  // sort orders it. Alerts are admitted in the order listed.
  const hex = (n: number, width: number) => (n >>> 0).toString(16).padStart(width, '0');
  const spread = (n: number) =>
    Array.from({ length: n }, (_, i) => hex(Math.imul(i + 1, 0x9e3779b1), 8) + hex(i, 8));
  const sortedOf = (fingerprints: string[]) => {
    const alerts = fingerprints.map((fp) => ({ ...alert({ service: 'agent' }), fingerprint: fp }));
    return correlate(alerts, options).groups[0]?.fingerprints;
  };

  it.each([
    [
      'out of order in the first bucket, the last bucket and a crowded bucket between',
      [
        '0000000000000002',
        '0000000000000001',
        'ffff000000000002',
        'ffff000000000001',
        ...Array.from({ length: 40 }, (_, i) => `8888${hex(40 - i, 12)}`),
        ...spread(1100),
      ],
    ],
    [
      'whose first four digits are all letters',
      Array.from({ length: 1296 }, (_, i) => {
        const k = (i * 1031) % 1296; // every prefix of four letters a-f once, out of order
        const prefix = [k % 6, Math.floor(k / 6) % 6, Math.floor(k / 36) % 6, Math.floor(k / 216) % 6]
          .map((d) => 'abcdef'[d])
          .join('');
        return prefix + hex(i, 12);
      }),
    ],
    [
      'whose first four digits are all decimal, and one starting with z',
      [
        ...Array.from({ length: 1100 }, (_, i) => String((i * 7919) % 10000).padStart(4, '0') + hex(i, 12)),
        'zzzz000000000000',
      ],
    ],
    [
      'whose first four digits are all decimal, and one starting with capitals',
      [
        ...Array.from({ length: 1100 }, (_, i) => String((i * 7919) % 10000).padStart(4, '0') + hex(i, 12)),
        'ZZZZ000000000000',
      ],
    ],
    ['with letters past f among them', [...spread(1100), 'zzzz000000000000', 'g000000000000000']],
    [
      'with capitals and punctuation among them',
      [...spread(1100), 'FFFF000000000000', 'Zebra00000000000', '----000000000000'],
    ],
  ])('%s', (_what, fingerprints) => {
    expect(sortedOf(fingerprints)).toEqual([...fingerprints].sort());
  });
});
