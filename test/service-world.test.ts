import { describe, expect, it } from 'vitest';
import { ServiceUnderOperation } from '../src/world/service.js';
import { type RatedFault, ServiceWorld } from '../src/world/service-world.js';

const service = (
  requestsPerMinute: number,
  releases: { name: string; errorRate?: number; slowRate?: number }[],
  faults: RatedFault[] = [],
  live = () => releases[0]?.name ?? '',
) =>
  new ServiceUnderOperation({
    name: 'api',
    requestsPerMinute,
    questions: [],
    releases: releases.map((r) => ({ wrongTopics: [], wrongQuestions: [], ...r })),
    index: { maxAgeMinutes: 60, refreshEveryMinutes: 15 },
    live,
    slis: { availability: 'availability', latency: 'latency' },
    faults,
  });

const minutes = (s: ServiceUnderOperation, sli: string, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => s.serve(from + i)[sli]?.errors);

describe('the simulated service: exact expected counts with a carried remainder', () => {
  it('fails 2% of 1000 requests as 20 every minute', () => {
    const s = service(1000, [{ name: 'v2', errorRate: 0.02 }]);
    expect(minutes(s, 'availability', 0, 5)).toEqual([20, 20, 20, 20, 20]);
    expect(minutes(s, 'latency', 0, 5)).toEqual([0, 0, 0, 0, 0]);
  });

  it('fails 0.5% of 300 requests as 1, 2, 1, 2: 1.5 a minute, the half carried to the next', () => {
    const s = service(300, [{ name: 'v2', errorRate: 0.005 }]);
    const counts = minutes(s, 'availability', 0, 10) as number[];
    expect(counts).toEqual([1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(15);
  });

  it('serves the same counts again for the same minutes: no draw, no variance', () => {
    const a = service(777, [{ name: 'v2', errorRate: 0.0031, slowRate: 0.017 }]);
    const b = service(777, [{ name: 'v2', errorRate: 0.0031, slowRate: 0.017 }]);
    expect(minutes(a, 'availability', 0, 50)).toEqual(minutes(b, 'availability', 0, 50));
    expect(minutes(a, 'latency', 0, 50)).toEqual(minutes(b, 'latency', 0, 50));
  });

  it('adds a fault between its start and its end, combined with the release as independent causes', () => {
    const fault: RatedFault = { name: 'db-slow', kind: 'slowDependency', at: 3, until: 6, slowRate: 0.1 };
    const s = service(1000, [{ name: 'v2', slowRate: 0.1 }], [fault]);
    // 1 - 0.9 x 0.9 = 19% while the fault is on, the release's 10% before and after.
    expect(minutes(s, 'latency', 0, 8)).toEqual([100, 100, 100, 190, 190, 190, 100, 100]);
  });

  it('ends an active fault when a play clears it, and clears nothing that is not active', () => {
    const fault: RatedFault = { name: 'pool-lost', kind: 'lostCapacity', at: 2, errorRate: 0.25 };
    const s = service(400, [{ name: 'w3' }], [fault]);
    expect(s.clearFaults(['pool-lost'], 1)).toEqual([]);
    expect(minutes(s, 'availability', 0, 4)).toEqual([0, 0, 100, 100]);
    expect(s.clearFaults(['pool-lost'], 4)).toEqual(['pool-lost']);
    expect(minutes(s, 'availability', 4, 3)).toEqual([0, 0, 0]);
    expect(s.activeFaults(5)).toEqual([]);
  });

  it('swings traffic over the day: highest at the peak minute, lowest twelve hours away', () => {
    const world = new ServiceWorld(1000, { amplitude: 0.3, peakMinute: 840 }, []);
    expect(world.requests(840)).toBe(1300);
    expect(world.requests(840 - 720)).toBe(700);
    expect(world.requests(840 + 1440)).toBe(1300);
  });

  it('is quiet only once neither the release nor an active fault fails a request', () => {
    const release = { name: 'v2', errorRate: 0.02 };
    let live = 'v2';
    const s = service(100, [release, { name: 'v1' }], [], () => live);
    s.serve(0);
    expect(s.quiet(1)).toBe(false);
    live = 'v1';
    s.serve(1);
    expect(s.quiet(2)).toBe(true);
  });
});
