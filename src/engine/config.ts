import type { RunbookStep } from '../../machines/play.js';
import type { RunbookSpec } from '../../machines/runbook-spec.js';
import type { RolloutStrategy } from '../toolkit/argo.js';
import type { CanaryThresholds } from '../toolkit/canary.js';
import type { EscalationPolicy } from '../toolkit/escalation.js';
import type { EvalCase } from '../toolkit/postmortem.js';
import type { SliKind, SliWords } from '../toolkit/sli.js';
import type { BurnPair } from '../toolkit/slo.js';
import type { Routing, Severity, TriagePolicy } from '../toolkit/triage.js';
import type { WorldEffect } from './inputs.js';
import type { PostmortemNarrative } from './learn.js';

/** One incident type: which alert groups it takes, the SLI it watches and the runbook it runs. */
export interface IncidentTypeConfig {
  name: string;
  /** Alertmanager-style equality matchers on the group's first alert (`alertname` included). */
  match: Record<string, string>;
  sli: string;
  runbook: RunbookStep[];
  /** The runbook in the statechart language, when it is written in it (then `runbook` is empty). */
  flow?: RunbookSpec;
  settleMinutes: number;
  verifyMinutes: number;
  fix?: { candidate: string };
  postmortem?: PostmortemNarrative;
}

/** One SLI as the engine needs it beyond its objective. */
export interface EngineSli {
  kind: SliKind;
  words: SliWords;
  /** Its own burn-rate pairs, when it has them; the configuration's `alerting.policy` otherwise. */
  policy?: readonly BurnPair[];
}

/** What the engine runs with: a scenario gives it in a drill, the server's configuration live. */
export interface EngineConfig {
  service: { name: string; requestsPerMinute: number };
  /** Minute 0 of the engine's clock, as an RFC 3339 timestamp. */
  epoch: string;
  initialRelease: string;
  /** The objective of each SLI by name (any names the scenario or configuration declares). */
  objectives: Record<string, number>;
  /** Each SLI's kind, its words and its own burn-rate pairs; SLIs left out here read as answers. */
  slis?: Record<string, EngineSli>;
  alerting: { policy: readonly BurnPair[]; severity: { page: Severity; ticket: Severity } };
  /**
   * `reopen`: an alert that starts after its group's incident ended (resolved or escalated) opens a
   * new incident, as Alertmanager starts a new group (live); drills keep one incident per group.
   */
  intake: { groupBy: string[]; gapMinutes?: number; reopen?: boolean };
  incidentTypes: readonly IncidentTypeConfig[];
  canary: CanaryThresholds;
  /** A canary strategy (Argo Rollouts' model): deploys it covers go out in steps with analysis. */
  rollout?: RolloutStrategy;
  triage: TriagePolicy;
  routing: Routing;
  /** Everyone on call: postmortems are checked against it for blame. */
  roster: readonly string[];
  /** Who is notified, and when, while a page waits for its acknowledgement (live on-call; none in drills). */
  escalation?: EscalationPolicy;
  /** The postmortem narrative of incident types that have none of their own. */
  postmortem: PostmortemNarrative;
  /** The canary's eval set at the start; regression cases join it as postmortems are written. */
  evalSet: readonly EvalCase[];
}

/** A drill's world answers at once; a live one over the network, later. */
export type Maybe<T> = T | Promise<T>;

/** `f` applied to a value that may still be on its way: synchronous when the value is. */
export function whenReady<T, U>(value: Maybe<T>, f: (value: T) => U): Maybe<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/**
 * What the engine asks of its world. A drill answers from its simulated service, at once; live, the
 * service's eval endpoints answer over HTTP (what they answer is journaled with the task that asked,
 * so a replay never asks again). The engine never asks which it is.
 */
export interface WorldPort {
  /** A release's answers on eval cases: the canary's evidence. */
  evaluate(release: string, cases: readonly EvalCase[]): Maybe<{ id: string; correct: boolean }[]>;
  /** The cases a release gets wrong on an SLI: what a postmortem turns into regression cases. */
  wrongAnswers(release: string, sli: string): Maybe<EvalCase[]>;
  /** Acts on the world for a play (a drill's simulated service); throws when it cannot. */
  effect(effect: WorldEffect, now: number): unknown;
}
