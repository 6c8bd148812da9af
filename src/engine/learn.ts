import type { LearnInput, LearnOutput } from '../../machines/incident.js';
import {
  blamelessFindings,
  type EvalCase,
  type Postmortem,
  regressionCases,
  renderPostmortem,
} from '../toolkit/postmortem.js';
import type { SliWords } from '../toolkit/sli.js';
import type { SliLedger } from '../toolkit/slo.js';

/** The parts of a postmortem people write: the engine fills in the rest from the incident's record. */
export interface PostmortemNarrative {
  title?: string;
  rootCauses: string[];
  trigger: string;
  actionItems: Postmortem['actionItems'];
  lessons: Postmortem['lessons'];
}

/** What writing a postmortem needs to know about the shift, beyond the incident's own record. */
export interface LearnWorld {
  /** The incident's SLI: its name and its per-minute counts. */
  sli: string;
  /** What its good and bad events are called ("good answers", "failed requests"). */
  words: SliWords;
  ledger: SliLedger;
  requestsPerMinute: number;
  /** Everyone on call: a postmortem that names one of them as a cause is not blameless. */
  roster: readonly string[];
  /** The incident type's narrative (root causes, trigger, action items, lessons). */
  narrative: PostmortemNarrative;
  /** The release live at a sim minute. */
  liveAt(minute: number): string;
  /** The questions a release answers wrongly, as eval cases: what the incident got wrong. */
  wrongAnswers(release: string): EvalCase[];
  minuteLabel(t: number): string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The SLI of sim minute m (the ledger evaluates windows ending before a minute). */
const minuteSli = (ledger: SliLedger, m: number) => ledger.sli(m + 1);

/**
 * Impact start: the first bad minute (SLI below objective) of the stretch that led to detection, where
 * MTTD, MTTM and MTTR count from. Walking back from detection, good minutes end the stretch only once
 * they served enough requests that, at the stretch's error ratio, at least one would have been a bad
 * answer. At low traffic a minute may ask none of the affected questions, or carry no request at all:
 * it says nothing about recovery, so it must not restart the stretch.
 */
export function onsetOf(ledger: SliLedger, objective: number, detected: number): number {
  let onset = detected;
  for (
    let bad = ledger.lastMinuteBelow(objective, onset);
    bad >= 0;
    bad = ledger.lastMinuteBelow(objective, onset)
  ) {
    // The good minutes between this bad minute and the stretch so far, and what they served.
    const quiet = ledger.countsOver(onset - bad - 1, onset).requests;
    if (quiet * ledger.errorRatio(detected - bad, detected) >= 1) break;
    onset = bad;
  }
  return onset;
}

/**
 * The minute whose release the detecting burn measured: the one before detection. Live, detection,
 * the page, its acknowledgement and the rollback can all fall in one minute; the release the
 * postmortem is about is the one that burned the budget, not the one the rollback put back.
 */
export const burnedBy = (detected: number): number => Math.max(0, detected - 1);

/**
 * Drafts the postmortem from the incident's own record (milestones, plays) and the scenario's
 * narrative (root causes, trigger, action items, lessons), checks it is blameless, and turns the
 * questions the incident got wrong into regression eval cases that join the canary's eval set.
 */
export function writePostmortem(input: LearnInput, world: LearnWorld): LearnOutput {
  const { milestones, plays, objective } = input;
  const { ledger, sli, requestsPerMinute, words } = world;
  const detected = milestones.detected ?? milestones.opened;
  const mitigated = milestones.mitigated ?? detected;
  const onset = onsetOf(ledger, objective, detected);
  const minutes = Math.max(1, mitigated - onset);
  const badShare = ledger.errorRatio(minutes, mitigated);
  const badAnswers = Math.round(badShare * requestsPerMinute * minutes);
  const budget = requestsPerMinute * 30 * 1440 * (1 - objective);
  const releaseAtDetection = world.liveAt(burnedBy(detected));
  const mitigation = plays.find((p) => p.outcome === 'recovered');
  const label = world.minuteLabel;

  const cases = regressionCases(world.wrongAnswers(releaseAtDetection), input.incidentId);
  const narrative = world.narrative;
  const pm: Postmortem = {
    title: narrative.title ?? `${input.type} on ${input.service} (${input.incidentId})`,
    status: 'final',
    summary:
      `From ${label(onset)} ${input.service} served ${pct(minuteSli(ledger, onset))} ${words.good} on its ${sli} SLI ` +
      `(objective ${pct(objective)}) on ${releaseAtDetection}; ` +
      (mitigation
        ? `${mitigation.play} restored it at ${label(mitigated)}.`
        : 'the runbook did not restore it.'),
    impact:
      `${minutes} minutes below objective; about ${badAnswers} ${words.bad}, ` +
      `${pct(badAnswers / budget)} of the 30-day error budget.`,
    rootCauses: narrative.rootCauses,
    trigger: narrative.trigger,
    detection:
      `Multi-window burn-rate alerting: ${input.severity ?? 'no severity'} at ${label(detected)}, ` +
      `${detected - onset} minutes after onset.`,
    resolution: plays
      .map((p) => `step ${p.step + 1} ${p.play} (try ${p.attempt}): ${p.outcome}, ${p.detail}`)
      .join('; '),
    actionItems: [
      ...narrative.actionItems,
      ...cases.map((c) => ({
        type: 'prevent' as const,
        text: `keep regression case ${c.id} in the canary eval set`,
        owner: 'release-engineering',
      })),
    ],
    lessons: narrative.lessons,
    timeline: [
      { t: onset, text: `${sli} SLI falls below objective on ${releaseAtDetection}` },
      { t: detected, text: `detected (${input.severity ?? 'unrated'})` },
      ...(milestones.paged !== undefined ? [{ t: milestones.paged, text: 'paged on-call' }] : []),
      ...(milestones.acknowledged !== undefined
        ? [{ t: milestones.acknowledged, text: 'acknowledged' }]
        : []),
      ...plays.map((p) => ({ t: p.startedAt, text: `play ${p.play}: ${p.outcome}` })),
      { t: mitigated, text: 'mitigated: SLI back at objective' },
    ],
  };
  const findings = blamelessFindings(pm, world.roster);
  if (findings.length > 0) pm.status = 'sent back: not blameless';
  return {
    accepted: findings.length === 0,
    findings,
    markdown: renderPostmortem(pm, { minuteLabel: label }),
    regressionCases: cases,
  };
}
