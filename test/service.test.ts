import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MinuteCounts } from '../src/toolkit/slo.js';
import { type Question, questionCounts, ServiceUnderOperation } from '../src/world/service.js';

/** Request number i (counting from minute 0) asks question i mod n: counted one request at a time. */
function countOneByOne(minute: number, requests: number, n: number): number[] {
  const counts = Array<number>(n).fill(0);
  for (let i = minute * requests; i < (minute + 1) * requests; i++) counts[i % n] = (counts[i % n] ?? 0) + 1;
  return counts;
}

const TOPICS = ['refunds', 'shipping', 'billing', 'account', 'returns'];
const questions: Question[] = TOPICS.map((topic) => ({
  id: `${topic}-1`,
  topic,
  ask: `a question about ${topic}`,
  answer: `the answer about ${topic}`,
}));

function serviceAt(requestsPerMinute: number): ServiceUnderOperation {
  return new ServiceUnderOperation({
    name: 'agent',
    requestsPerMinute,
    questions,
    releases: [{ name: 'v3', wrongTopics: ['refunds'], wrongQuestions: [] }],
    index: { maxAgeMinutes: 60, refreshEveryMinutes: 15 },
    live: () => 'v3',
  });
}

describe('the traffic cycle', () => {
  it('continues where the last minute stopped when requests per minute is not a multiple of the pool', () => {
    expect([0, 1, 2, 3, 4].map((minute) => questionCounts(minute, 3, 5))).toEqual([
      [1, 1, 1, 0, 0],
      [1, 0, 0, 1, 1],
      [0, 1, 1, 1, 0],
      [1, 1, 0, 0, 1],
      [0, 0, 1, 1, 1],
    ]);
    expect(questionCounts(7, 12, 5)).toEqual([3, 2, 2, 2, 3]);
  });

  it('asks every question equally when requests per minute is a multiple of the pool', () => {
    expect(questionCounts(4321, 1000, 5)).toEqual([200, 200, 200, 200, 200]);
  });

  it('agrees with counting the requests one by one, for any minute, rate and pool', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        (minute, requests, n) => {
          expect(questionCounts(minute, requests, n)).toEqual(countOneByOne(minute, requests, n));
        },
      ),
    );
  });

  it('gives the per-minute error counts of the refund questions a release answers wrongly, at 3 a minute', () => {
    const service = serviceAt(3);
    const minutes = Array.from({ length: 10 }, (_, minute) => service.serve(minute).quality as MinuteCounts);
    expect(minutes.map((m) => m.requests)).toEqual(Array(10).fill(3));
    expect(minutes.map((m) => m.errors)).toEqual([1, 1, 0, 1, 0, 1, 1, 0, 1, 0]);
  });

  it('gives 7 wrong answers a minute at 36 a minute, then 8 every fifth minute', () => {
    const service = serviceAt(36);
    expect([0, 1, 2, 3, 4].map((minute) => service.serve(minute).quality?.errors)).toEqual([8, 7, 7, 7, 7]);
  });
});
