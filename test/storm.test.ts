import { describe, expect, it } from 'vitest';
import { fingerprint, timestampToMinute } from '../src/toolkit/alerts.js';
import { correlate } from '../src/toolkit/correlate.js';
import { generateStorm, type StormSpec, stockServices, stockStorm } from '../src/world/storm.js';

const take = <T>(iterable: Iterable<T>, n: number): T[] => {
  const taken: T[] = [];
  for (const item of iterable) {
    if (taken.length === n) break;
    taken.push(item);
  }
  return taken;
};

describe('the stock storm', () => {
  it('is 40 alerts over 5 services from seed 32', () => {
    expect(stockStorm).toMatchObject({ seed: 32, alerts: 40 });
    expect(stockStorm.services).toHaveLength(5);
    expect([...generateStorm(stockStorm)]).toHaveLength(40);
  });

  it('correlates into exactly 5 incidents by [service]', () => {
    const result = correlate(generateStorm(stockStorm), { groupBy: ['service'] });
    expect(result.posted).toBe(40);
    expect(result.groups.map((group) => group.labels.service)).toEqual([
      'agent',
      'billing',
      'gateway',
      'index',
      'retrieval',
    ]);
  });
});

describe('generateStorm', () => {
  const spec = (overrides: Partial<StormSpec> = {}): StormSpec => ({ ...stockStorm, ...overrides });

  it('gives identical alerts for the same seed', () => {
    expect([...generateStorm(spec())]).toEqual([...generateStorm(spec())]);
  });

  it('gives a different storm for a different seed', () => {
    expect([...generateStorm(spec({ seed: 33 }))]).not.toEqual([...generateStorm(spec())]);
  });

  it('labels each alert with alertname, service, pod instance and a page or ticket severity', () => {
    for (const alert of generateStorm(spec())) {
      expect(Object.keys(alert.labels).sort()).toEqual(['alertname', 'instance', 'service', 'severity']);
      expect(alert.labels.instance).toMatch(/^pod-\d+$/);
      expect(['page', 'ticket']).toContain(alert.labels.severity);
      expect(alert.annotations.summary).toContain(alert.labels.alertname);
      expect(alert.fingerprint).toBe(fingerprint(alert.labels));
    }
  });

  it('pages on the first alertname of a service and tickets the rest, so duplicates are identical label sets', () => {
    for (const alert of generateStorm(spec({ alerts: 500 }))) {
      const service = stockStorm.services.find((s) => s.name === alert.labels.service);
      const primary = service?.alertnames[0] === alert.labels.alertname;
      expect(alert.labels.severity).toBe(primary ? 'page' : 'ticket');
    }
  });

  it('starts alerts within the spread and ends them after the duration', () => {
    const custom = spec({ startMinute: 100, spreadMinutes: 10, durationMinutes: 7, alerts: 200 });
    for (const alert of generateStorm(custom)) {
      const starts = timestampToMinute(alert.startsAt);
      expect(starts).toBeGreaterThanOrEqual(100);
      expect(starts).toBeLessThan(110);
      expect(timestampToMinute(alert.endsAt)).toBe(starts + 7);
    }
  });

  it('gives every service an alert once there are at least as many alerts as services', () => {
    const services = stockServices(10_000);
    const result = correlate(generateStorm(spec({ alerts: 10_000, services })), { groupBy: ['service'] });
    expect(result.groups).toHaveLength(10_000);
  });

  it('is lazy: the first alerts of a billion-alert storm come without generating the rest', () => {
    const first = take(generateStorm(spec({ alerts: 1_000_000_000 })), 3);
    expect(first).toEqual(take(generateStorm(spec()), 3));
  });

  it('spreads alerts over the pods of a service', () => {
    const services = stockServices(1, 3);
    const pods = new Set([...generateStorm(spec({ alerts: 200, services }))].map((a) => a.labels.instance));
    expect([...pods].sort()).toEqual(['pod-0', 'pod-1', 'pod-2']);
  });

  it('rejects a storm it cannot generate', () => {
    expect(() => [...generateStorm(spec({ alerts: -1 }))]).toThrow(RangeError);
    expect(() => [...generateStorm(spec({ services: [] }))]).toThrow(RangeError);
    expect(() => [...generateStorm(spec({ services: [{ name: 'x', alertnames: [] }] }))]).toThrow(RangeError);
  });
});

describe('stockServices', () => {
  it('names the first five after the stock shift and numbers the rest', () => {
    expect(stockServices(7).map((s) => s.name)).toEqual([
      'agent',
      'retrieval',
      'index',
      'gateway',
      'billing',
      'service-6',
      'service-7',
    ]);
  });
});
