import type { EvalCase } from '../toolkit/postmortem.js';
import type { MinuteCounts } from '../toolkit/slo.js';

/**
 * The service under operation: a deterministic stand-in for an answering agent. Releases differ in
 * which topics (or questions) they answer wrongly; the retrieval index they read goes stale when its
 * updates stop. Live traffic cycles the question pool deterministically, so every per-minute count
 * the SLOs see is arithmetic, not chance.
 */

export interface Question {
  id: string;
  topic: string;
  ask: string;
  answer: string;
}

export interface ReleaseSpec {
  name: string;
  /** Topics this release answers wrongly. */
  wrongTopics: string[];
  /** Single questions this release answers wrongly. */
  wrongQuestions: string[];
}

export interface IndexSpec {
  /** An answer is fresh when the index it came from was built at most this many minutes ago. */
  maxAgeMinutes: number;
  /** How often the indexer rebuilds while it runs. */
  refreshEveryMinutes: number;
}

export type SliName = 'quality' | 'freshness';

/** A question of the pool as an eval case. */
export function asEvalCase(question: Question): EvalCase {
  return { id: question.id, topic: question.topic, question: question.ask, expected: question.answer };
}

/** Whether `release` answers `question` correctly. */
export function answersCorrectly(release: ReleaseSpec, question: Question): boolean {
  return !release.wrongTopics.includes(question.topic) && !release.wrongQuestions.includes(question.id);
}

/** The answer a release gives: the expected one, or a deterministic wrong one. */
export function answer(release: ReleaseSpec, question: Question): string {
  return answersCorrectly(release, question)
    ? question.answer
    : `${question.answer} (outdated policy, ${release.name})`;
}

/**
 * How many of `requests` requests in minute `minute` ask each question of a pool of `n`: request
 * number i (counting from minute 0) asks question i mod n.
 */
export function questionCounts(minute: number, requests: number, n: number): number[] {
  const counts = new Array<number>(n);
  for (let j = 0; j < n; j++) counts[j] = questionCount(minute, requests, n, j);
  return counts;
}

/** How many of minute `minute`'s requests ask question `j` (one entry of `questionCounts`). */
function questionCount(minute: number, requests: number, n: number, j: number): number {
  const offset = (j - ((minute * requests) % n) + n) % n;
  return Math.floor(requests / n) + (offset < requests % n ? 1 : 0);
}

export interface ServiceOptions {
  name: string;
  requestsPerMinute: number;
  questions: Question[];
  releases: ReleaseSpec[];
  index: IndexSpec;
  /** The live release, read from the release actor: the service never decides what is live. */
  live: () => string;
  /** A canary taking a share of the traffic (0-100), read from the rollout; none without a strategy. */
  canary?: () => { release: string; weight: number } | null;
}

/** One minute's counts on each side of a canary split: what per-release metrics would show. */
export interface SplitCounts {
  canary: { release: string; weight: number };
  stable: Record<SliName, MinuteCounts>;
  onCanary: Record<SliName, MinuteCounts>;
}

export interface ServiceState {
  indexBuiltAt: number;
  indexerRunning: boolean;
  flagsOff: string[];
}

/** Holds what changes over a shift besides the live release: the index and the feature flags. */
export class ServiceUnderOperation {
  readonly name: string;
  private readonly options: ServiceOptions;
  private readonly releases: Map<string, ReleaseSpec>;
  private indexBuiltAt = 0;
  private indexerRunning = true;
  private readonly flagsOff = new Set<string>();
  private wrong: { release: string; indexes: number[] } | null = null;

  constructor(options: ServiceOptions) {
    this.options = options;
    this.name = options.name;
    this.releases = new Map(options.releases.map((r) => [r.name, r]));
  }

  release(name: string): ReleaseSpec {
    const spec = this.releases.get(name);
    if (!spec) throw new Error(`unknown release ${name}`);
    return spec;
  }

  get questions(): readonly Question[] {
    return this.options.questions;
  }

  /** Flags are named `answer:<topic>`: off hands that topic to a human instead of answering it. */
  setFlag(name: string, on: boolean): void {
    if (on) this.flagsOff.delete(name);
    else this.flagsOff.add(name);
    this.wrong = null;
  }

  flagOn(name: string): boolean {
    return !this.flagsOff.has(name);
  }

  stallIndexer(): void {
    this.indexerRunning = false;
  }

  reindex(minute: number): { builtAt: number } {
    this.indexBuiltAt = minute;
    this.indexerRunning = true;
    return { builtAt: minute };
  }

  /** The index as of `minute`: a running indexer rebuilds on its cadence. */
  indexAge(minute: number): number {
    if (this.indexerRunning) {
      const every = this.options.index.refreshEveryMinutes;
      const sinceBuild = minute - this.indexBuiltAt;
      this.indexBuiltAt += Math.floor(sinceBuild / every) * every;
    }
    return minute - this.indexBuiltAt;
  }

  /** What changes over a shift besides the live release, as plain data: for a drill's checkpoint. */
  state(): ServiceState {
    return {
      indexBuiltAt: this.indexBuiltAt,
      indexerRunning: this.indexerRunning,
      flagsOff: [...this.flagsOff],
    };
  }

  restoreState(state: ServiceState): void {
    this.indexBuiltAt = state.indexBuiltAt;
    this.indexerRunning = state.indexerRunning;
    this.flagsOff.clear();
    for (const flag of state.flagsOff) this.flagsOff.add(flag);
    this.wrong = null;
  }

  /**
   * The questions the live release answers wrongly and no flag deflects: they change only with the
   * release or a flag, not from minute to minute, so they are kept until one of those changes.
   */
  private wrongQuestions(): number[] {
    const release = this.options.live();
    if (this.wrong?.release === release) return this.wrong.indexes;
    const live = this.release(release);
    const indexes: number[] = [];
    this.options.questions.forEach((question, j) => {
      const deflected = !this.flagOn(`answer:${question.topic}`);
      if (!deflected && !answersCorrectly(live, question)) indexes.push(j);
    });
    this.wrong = { release, indexes };
    return indexes;
  }

  /** The traffic of one minute, counted per SLI. */
  serve(minute: number): Record<SliName, MinuteCounts> {
    const canary = this.options.canary?.() ?? null;
    this.lastSplit = null;
    if (canary && canary.weight > 0) return this.serveSplit(minute, canary);
    const { requestsPerMinute: requests, questions } = this.options;
    let wrong = 0;
    for (const j of this.wrongQuestions()) wrong += questionCount(minute, requests, questions.length, j);
    const stale = this.indexAge(minute) > this.options.index.maxAgeMinutes;
    const freshErrors = stale ? requests : 0;
    // Most minutes count what the minute before counted: hand out the same (frozen) counts again,
    // rather than three new objects a minute that the engine's inputs would keep alive.
    const last = this.lastServed;
    if (
      last?.quality.requests === requests &&
      last.quality.errors === wrong &&
      last.freshness.errors === freshErrors
    )
      return last;
    this.lastServed = Object.freeze({
      quality: Object.freeze({ requests, errors: wrong }),
      freshness: Object.freeze({ requests, errors: freshErrors }),
    });
    return this.lastServed;
  }

  private lastServed: Readonly<Record<SliName, Readonly<MinuteCounts>>> | null = null;

  /** The last minute's split between stable and canary, when a canary took traffic in it. */
  lastSplit: SplitCounts | null = null;

  /**
   * A minute with a canary: of each question's requests, `weight`% (rounded) go to the canary
   * release and the rest to live; each side errs on the questions its release answers wrongly. The
   * service's SLI counts are the sum, so a canary at 20% erring on 2% of its traffic shows 0.4%.
   */
  private serveSplit(
    minute: number,
    canary: { release: string; weight: number },
  ): Record<SliName, MinuteCounts> {
    const { requestsPerMinute: requests, questions } = this.options;
    const live = this.release(this.options.live());
    const candidate = this.release(canary.release);
    const counts = questionCounts(minute, requests, questions.length);
    const side = { stable: { requests: 0, errors: 0 }, canary: { requests: 0, errors: 0 } };
    questions.forEach((question, j) => {
      const asked = counts[j] as number;
      const toCanary = Math.round((asked * canary.weight) / 100);
      const deflected = !this.flagOn(`answer:${question.topic}`);
      side.canary.requests += toCanary;
      side.stable.requests += asked - toCanary;
      if (!deflected && !answersCorrectly(candidate, question)) side.canary.errors += toCanary;
      if (!deflected && !answersCorrectly(live, question)) side.stable.errors += asked - toCanary;
    });
    const stale = this.indexAge(minute) > this.options.index.maxAgeMinutes;
    const fresh = (c: MinuteCounts) => ({ requests: c.requests, errors: stale ? c.requests : 0 });
    this.lastSplit = {
      canary,
      stable: { quality: side.stable, freshness: fresh(side.stable) },
      onCanary: { quality: side.canary, freshness: fresh(side.canary) },
    };
    this.lastServed = null;
    return {
      quality: { requests, errors: side.stable.errors + side.canary.errors },
      freshness: { requests, errors: stale ? requests : 0 },
    };
  }

  /**
   * Scores a release on eval cases, as the canary does: correct iff it gives the expected answer.
   * A case asks a question of the pool (a regression case keeps the text of the question it came
   * from); a case whose question is not in the pool is judged by its topic alone.
   */
  evaluate(release: string, cases: readonly EvalCase[]): { id: string; correct: boolean }[] {
    const spec = this.release(release);
    const byAsk = new Map(this.options.questions.map((q) => [q.ask, q]));
    return cases.map((c) => {
      const question = byAsk.get(c.question) ?? {
        id: c.id,
        topic: c.topic,
        ask: c.question,
        answer: c.expected,
      };
      return { id: c.id, correct: answer(spec, question) === c.expected };
    });
  }

  /** The pool's questions a release answers wrongly: what an incident on it got wrong. */
  wrongAnswers(release: string): Question[] {
    const spec = this.release(release);
    return this.options.questions.filter((q) => !answersCorrectly(spec, q));
  }
}
