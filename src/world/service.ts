import type { EvalCase } from '../toolkit/postmortem.js';
import type { SliKind } from '../toolkit/sli.js';
import type { MinuteCounts } from '../toolkit/slo.js';
import { type DailyCycle, type RatedFault, ServiceWorld, type ServiceWorldState } from './service-world.js';

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
  /** The share of requests it fails (availability SLIs) and serves slowly (latency SLIs). */
  errorRate?: number;
  slowRate?: number;
}

export interface IndexSpec {
  /** An answer is fresh when the index it came from was built at most this many minutes ago. */
  maxAgeMinutes: number;
  /** How often the indexer rebuilds while it runs. */
  refreshEveryMinutes: number;
}

/** An SLI's name, as the scenario declares it under `slos`. */
export type SliName = string;

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
  /** The SLIs it is measured on, by name, with their kinds; the stock agent's quality and freshness by default. */
  slis?: Readonly<Record<SliName, SliKind>>;
  dailyCycle?: DailyCycle;
  faults?: readonly RatedFault[];
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
  /** Only for a service with rated SLIs or faults (see service-world.ts). */
  world?: ServiceWorldState;
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
  /** Traffic, rates and faults; null for a service measured on answers alone (the stock agent). */
  private readonly world: ServiceWorld | null;
  private readonly slis: [SliName, SliKind][];

  constructor(options: ServiceOptions) {
    this.options = options;
    this.name = options.name;
    this.releases = new Map(options.releases.map((r) => [r.name, r]));
    this.slis = Object.entries(options.slis ?? { quality: 'quality', freshness: 'freshness' });
    const rated = this.slis.some(([, kind]) => kind === 'availability' || kind === 'latency');
    this.world =
      rated || options.dailyCycle || (options.faults?.length ?? 0) > 0
        ? new ServiceWorld(options.requestsPerMinute, options.dailyCycle, options.faults ?? [])
        : null;
  }

  /** The flags something reads: `answer:<topic>` for each topic of the question pool. */
  get flags(): string[] {
    return [...new Set(this.options.questions.map((q) => `answer:${q.topic}`))];
  }

  /** Clears the named faults that are active now; the names it cleared. */
  clearFaults(names: readonly string[], minute: number): string[] {
    const cleared = this.world?.clear(names, minute) ?? [];
    // A stale index is cleared by rebuilding it: the indexer runs again from now.
    if (this.options.faults?.some((f) => f.kind === 'staleIndex' && cleared.includes(f.name)))
      this.reindex(minute);
    return cleared;
  }

  /** The faults active at `minute`, by name. */
  activeFaults(minute: number): string[] {
    return this.world?.active(minute).map((f) => f.name) ?? [];
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
      ...(this.world ? { world: this.world.state() } : {}),
    };
  }

  restoreState(state: ServiceState): void {
    this.indexBuiltAt = state.indexBuiltAt;
    this.indexerRunning = state.indexerRunning;
    this.flagsOff.clear();
    for (const flag of state.flagsOff) this.flagsOff.add(flag);
    if (state.world) this.world?.restore(state.world);
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
    const { questions } = this.options;
    const live = this.world ? this.release(this.options.live()) : null;
    this.world?.startMinute(minute, this);
    const requests = this.world ? this.world.requests(minute) : this.options.requestsPerMinute;
    const errors = this.errorsScratch;
    let changed = this.lastServed === null;
    this.slis.forEach(([sli, kind], i) => {
      let bad = 0;
      if (kind === 'quality') {
        for (const j of this.wrongQuestions()) bad += questionCount(minute, requests, questions.length, j);
      } else if (kind === 'freshness') {
        bad = this.indexAge(minute) > this.options.index.maxAgeMinutes ? requests : 0;
      } else {
        bad = (this.world as ServiceWorld).bad(sli, kind, minute, requests, live as ReleaseSpec);
      }
      if (!changed && (errors[i] !== bad || this.lastRequests !== requests)) changed = true;
      errors[i] = bad;
    });
    // Most minutes count what the minute before counted: hand out the same (frozen) counts again,
    // rather than new objects a minute that the engine's inputs would keep alive.
    if (!changed && this.lastServed) return this.lastServed;
    this.lastRequests = requests;
    this.lastServed = Object.freeze(
      Object.fromEntries(
        this.slis.map(([sli], i) => [sli, Object.freeze({ requests, errors: errors[i] as number })]),
      ),
    );
    return this.lastServed;
  }

  private lastServed: Readonly<Record<SliName, Readonly<MinuteCounts>>> | null = null;

  /** The last minute's split between stable and canary, when a canary took traffic in it. */
  lastSplit: SplitCounts | null = null;

  /**
   * A minute with a canary: of each question's requests, `weight`% (rounded) go to the canary
   * release and the rest to live, and each side is counted on every SLI with its own release (rated
   * SLIs carry their remainders apart). The service's SLI counts are the sums, so a canary at 20%
   * failing 2% of its own traffic shows 0.4% on the service's.
   */
  private serveSplit(
    minute: number,
    canary: { release: string; weight: number },
  ): Record<SliName, MinuteCounts> {
    const { questions } = this.options;
    const live = this.release(this.options.live());
    const candidate = this.release(canary.release);
    this.world?.startMinute(minute, this);
    const requests = this.world ? this.world.requests(minute) : this.options.requestsPerMinute;
    const asked = questionCounts(minute, requests, questions.length);
    const toCanary = asked.map((count) => Math.round((count * canary.weight) / 100));
    const canaryRequests = toCanary.reduce((sum, count) => sum + count, 0);
    const stableRequests = requests - canaryRequests;
    const stale = this.indexAge(minute) > this.options.index.maxAgeMinutes;
    const stable: Record<SliName, MinuteCounts> = {};
    const onCanary: Record<SliName, MinuteCounts> = {};
    const total: Record<SliName, MinuteCounts> = {};
    for (const [sli, kind] of this.slis) {
      let stableBad = 0;
      let canaryBad = 0;
      if (kind === 'quality') {
        questions.forEach((question, j) => {
          if (!this.flagOn(`answer:${question.topic}`)) return;
          const share = toCanary[j] as number;
          if (!answersCorrectly(candidate, question)) canaryBad += share;
          if (!answersCorrectly(live, question)) stableBad += (asked[j] as number) - share;
        });
      } else if (kind === 'freshness') {
        stableBad = stale ? stableRequests : 0;
        canaryBad = stale ? canaryRequests : 0;
      } else {
        const world = this.world as ServiceWorld;
        stableBad = world.bad(sli, kind, minute, stableRequests, live);
        canaryBad = world.bad(`${sli} (canary)`, kind, minute, canaryRequests, candidate);
      }
      stable[sli] = { requests: stableRequests, errors: stableBad };
      onCanary[sli] = { requests: canaryRequests, errors: canaryBad };
      total[sli] = { requests, errors: stableBad + canaryBad };
    }
    this.lastSplit = { canary, stable, onCanary };
    // The next minute without a canary counts afresh rather than comparing with this one.
    this.lastRequests = -1;
    this.lastServed = Object.freeze(total);
    return total;
  }

  /**
   * Whether the last minute served no bad event and nothing live (the release, an active fault)
   * would serve one: an SLO that watches such a service has nothing left to burn on.
   */
  quiet(minute: number): boolean {
    const last = this.lastServed;
    if (last && Object.values(last).some((counts) => counts.errors > 0)) return false;
    if (!this.world) return true;
    const live = this.release(this.options.live());
    const hurts = (r: { errorRate?: number; slowRate?: number }) =>
      (r.errorRate ?? 0) > 0 || (r.slowRate ?? 0) > 0;
    return !hurts(live) && !this.world.active(minute).some(hurts);
  }
  private lastRequests = -1;
  private readonly errorsScratch: number[] = [];

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
