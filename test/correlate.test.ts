import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Alert, fingerprint, type Labels, makeAlert } from '../src/toolkit/alerts.js';
import { type Correlation, Correlator, correlate } from '../src/toolkit/correlate.js';

const alert = (labels: Labels, from = 0, to = from + 10): Alert => makeAlert(labels, {}, from, to);

const summary = (correlation: Correlation) =>
  correlation.groups.map((group) => ({
    labels: group.labels,
    count: group.count,
    startsAt: group.startsAt,
    endsAt: group.endsAt,
  }));

describe('correlate: group_by', () => {
  const storm = [
    alert({ alertname: 'HighErrorRate', service: 'agent', instance: 'pod-1' }),
    alert({ alertname: 'HighErrorRate', service: 'agent', instance: 'pod-2' }),
    alert({ alertname: 'HighLatency', service: 'agent', instance: 'pod-1' }),
    alert({ alertname: 'HighErrorRate', service: 'billing', instance: 'pod-1' }),
  ];

  it('makes one group per distinct tuple of the group-by label values', () => {
    const byService = correlate(storm, { groupBy: ['service'] });
    expect(byService.groups.map((group) => [group.labels, group.count])).toEqual([
      [{ service: 'agent' }, 3],
      [{ service: 'billing' }, 1],
    ]);
    const byBoth = correlate(storm, { groupBy: ['service', 'alertname'] });
    expect(byBoth.groups.map((group) => group.key)).toEqual([
      '{service="agent",alertname="HighErrorRate"}',
      '{service="agent",alertname="HighLatency"}',
      '{service="billing",alertname="HighErrorRate"}',
    ]);
  });

  it('keeps only the group-by labels on a group, and lists its alertnames and fingerprints sorted', () => {
    const [agent] = correlate(storm, { groupBy: ['service'] }).groups;
    expect(agent?.labels).toEqual({ service: 'agent' });
    expect(agent?.alertnames).toEqual(['HighErrorRate', 'HighLatency']);
    expect(agent?.fingerprints).toEqual(
      storm
        .slice(0, 3)
        .map((a) => a.fingerprint)
        .sort(),
    );
  });

  it('counts identical label sets once, however often they are posted', () => {
    const labels = { alertname: 'A', service: 'agent' };
    const result = correlate(
      [alert(labels, 0), alert({ service: 'agent', alertname: 'A' }, 3), alert(labels, 5)],
      {
        groupBy: ['service'],
      },
    );
    expect(result.posted).toBe(3);
    expect(result.distinct).toBe(1);
    expect(result.groups[0]?.count).toBe(1);
    expect(result.groups[0]?.fingerprints).toEqual([fingerprint(labels)]);
  });

  it('groups alerts that lack a group-by label under the empty value', () => {
    const result = correlate([alert({ alertname: 'A' }), alert({ alertname: 'B', service: '' })], {
      groupBy: ['service'],
    });
    expect(result.groups).toHaveLength(1);
    expect(result.groups[0]?.labels).toEqual({ service: '' });
    expect(result.groups[0]?.count).toBe(2);
  });

  it('puts every alert in one group when group_by is empty', () => {
    const result = correlate(storm, { groupBy: [] });
    expect(result.groups).toHaveLength(1);
    expect(result.groups[0]?.count).toBe(4);
  });

  it('sorts groups by their values in group_by order, then by start', () => {
    const alerts = [
      alert({ service: 'b', alertname: 'A' }, 100),
      alert({ service: 'a', alertname: 'Z' }),
      alert({ service: 'b', alertname: 'A' }, 0),
      alert({ service: 'a', alertname: 'B' }),
      alert({ alertname: 'C' }),
    ];
    const result = correlate(alerts, { groupBy: ['service', 'alertname'], gapMinutes: 30 });
    expect(
      result.groups.map((group) => [group.labels.service, group.labels.alertname, group.startsAt]),
    ).toEqual([
      ['', 'C', 0],
      ['a', 'B', 0],
      ['a', 'Z', 0],
      ['b', 'A', 0],
      ['b', 'A', 100],
    ]);
  });

  it('tells apart values that would collide if the tuple were simply joined', () => {
    const result = correlate([alert({ a: 'x|', b: 'y' }), alert({ a: 'x', b: '|y' })], {
      groupBy: ['a', 'b'],
    });
    expect(result.groups).toHaveLength(2);
  });

  it('spans a group from its first startsAt to its last endsAt, in sim minutes', () => {
    const result = correlate([alert({ service: 's' }, 5, 20), alert({ service: 's', x: '1' }, 2, 12)], {
      groupBy: ['service'],
    });
    expect(summary(result)).toEqual([{ labels: { service: 's' }, count: 2, startsAt: 2, endsAt: 20 }]);
  });

  it('reads Alertmanager zero endsAt (still firing) as ending no earlier than it started', () => {
    const firing = { ...alert({ service: 's' }, 5), endsAt: '0001-01-01T00:00:00Z' };
    expect(summary(correlate([firing], { groupBy: ['service'] }))[0]).toMatchObject({
      startsAt: 5,
      endsAt: 5,
    });
  });
});

describe('correlate: gap', () => {
  const labels = (instance: string) => ({ service: 'agent', instance });

  it('opens a new incident when an alert starts more than gapMinutes after the group last ended', () => {
    const alerts = [alert(labels('1'), 0, 10), alert(labels('2'), 41, 50)];
    const result = correlate(alerts, { groupBy: ['service'], gapMinutes: 30 });
    expect(summary(result)).toEqual([
      { labels: { service: 'agent' }, count: 1, startsAt: 0, endsAt: 10 },
      { labels: { service: 'agent' }, count: 1, startsAt: 41, endsAt: 50 },
    ]);
  });

  it('keeps an alert starting exactly gapMinutes after the last end in the same incident', () => {
    const alerts = [alert(labels('1'), 0, 10), alert(labels('2'), 40, 50)];
    expect(correlate(alerts, { groupBy: ['service'], gapMinutes: 30 }).groups).toHaveLength(1);
  });

  it('without a gap keeps a key in one group however far apart its alerts are', () => {
    const alerts = [alert(labels('1'), 0, 10), alert(labels('2'), 10_000, 10_010)];
    expect(correlate(alerts, { groupBy: ['service'] }).groups).toHaveLength(1);
  });

  it('counts a label set that fired again after a gap in both incidents but once in distinct', () => {
    const result = correlate([alert(labels('1'), 0, 10), alert(labels('1'), 100, 110)], {
      groupBy: ['service'],
      gapMinutes: 30,
    });
    expect(result.groups.map((group) => group.count)).toEqual([1, 1]);
    expect(result.distinct).toBe(1);
    expect(result.posted).toBe(2);
  });

  it('merges two incidents when a late alert bridges them', () => {
    const alerts = [alert(labels('1'), 0, 10), alert(labels('2'), 60, 70), alert(labels('3'), 30, 40)];
    const result = correlate(alerts, { groupBy: ['service'], gapMinutes: 25 });
    expect(summary(result)).toEqual([{ labels: { service: 'agent' }, count: 3, startsAt: 0, endsAt: 70 }]);
  });

  it('gives the same incidents whatever order the alerts arrive in', () => {
    const spans = fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 40 })), {
      minLength: 1,
      maxLength: 30,
    });
    fc.assert(
      fc.property(spans, fc.integer({ min: 0, max: 60 }), fc.nat(), (list, gap, seed) => {
        const alerts = list.map(([from, length], i) =>
          alert({ service: `s${i % 3}`, i: String(i) }, from, from + length),
        );
        const shuffled = fc.sample(fc.shuffledSubarray(alerts, { minLength: alerts.length }), {
          seed,
          numRuns: 1,
        })[0];
        const options = { groupBy: ['service'], gapMinutes: gap };
        expect(correlate(shuffled ?? [], options)).toEqual(correlate(alerts, options));
      }),
    );
  });
});

describe('Correlator', () => {
  it('streams: adding alerts one by one gives what correlate gives for the batch', () => {
    const alerts = Array.from({ length: 50 }, (_, i) =>
      alert({ service: `s${i % 4}`, alertname: `A${i % 3}`, instance: `pod-${i % 7}` }, i, i + 5),
    );
    const correlator = new Correlator({ groupBy: ['service', 'alertname'], gapMinutes: 10 });
    for (const a of alerts) correlator.add(a);
    expect(correlator.result()).toEqual(
      correlate(alerts, { groupBy: ['service', 'alertname'], gapMinutes: 10 }),
    );
  });

  it('sorts thousands of fingerprints in a group exactly as a plain string sort does', () => {
    const alerts = Array.from({ length: 5000 }, (_, i) => alert({ service: 'agent', instance: `pod-${i}` }));
    const [group] = correlate(alerts, { groupBy: ['service'] }).groups;
    expect(group?.count).toBe(5000);
    expect(group?.fingerprints).toEqual(alerts.map((a) => a.fingerprint).sort());
  });

  it('reads timestamps against its epoch', () => {
    const result = correlate([alert({ service: 's' }, 60, 70)], {
      groupBy: ['service'],
      epoch: '2026-01-01T01:00:00Z',
    });
    expect(result.groups[0]).toMatchObject({ startsAt: 0, endsAt: 10 });
  });

  it('rejects a negative gap and an epoch that is not a timestamp', () => {
    expect(() => new Correlator({ groupBy: [], gapMinutes: -1 })).toThrow(RangeError);
    expect(() => new Correlator({ groupBy: [], epoch: 'soon' })).toThrow(RangeError);
  });
});
