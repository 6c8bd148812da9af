/**
 * SLIs as data. Every SLI is a good/total event ratio of one of four kinds; the kind says what a bad
 * event is (a failed request, a slow one, a wrong answer, a stale one) and so which words a user
 * reads, never which code runs. Any number of SLIs, under any names, may be declared.
 */

export const SLI_KINDS = ['availability', 'latency', 'quality', 'freshness'] as const;
export type SliKind = (typeof SLI_KINDS)[number];

/** What one bad and one good event of a kind are called, for narration, postmortems and reports. */
export interface SliWords {
  /** "failed requests": the bad events, plural. */
  bad: string;
  /** "requests that did not fail": the good events. */
  good: string;
  /** "requests": what is counted at all. */
  events: string;
}

const WORDS: Record<SliKind, SliWords> = {
  availability: { bad: 'failed requests', good: 'successful requests', events: 'requests' },
  latency: { bad: 'slow requests', good: 'fast requests', events: 'requests' },
  quality: { bad: 'wrong answers', good: 'good answers', events: 'answers' },
  freshness: { bad: 'stale answers', good: 'fresh answers', events: 'answers' },
};

/**
 * The words of the first form of `slos` (quality and freshness, no kind stated), as the stock story
 * has always printed them: its postmortems and narration stay as they were.
 */
export const ANSWER_WORDS: SliWords = { bad: 'bad answers', good: 'good answers', events: 'answers' };

/** The words of a kind; a latency SLI names its threshold ("requests slower than 300 ms"). */
export function sliWords(kind: SliKind, thresholdMs?: number): SliWords {
  const words = WORDS[kind];
  if (kind !== 'latency' || thresholdMs === undefined) return words;
  return {
    ...words,
    bad: `requests slower than ${thresholdMs} ms`,
    good: `requests faster than ${thresholdMs} ms`,
  };
}

export const isSliKind = (value: string): value is SliKind =>
  (SLI_KINDS as readonly string[]).includes(value);

/**
 * Own-property lookup in a map of configured names: a user-supplied name such as `constructor` or
 * `__proto__` must not find what every object inherits.
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
