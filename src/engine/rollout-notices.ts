import type { Notification } from './journal.js';
import { isRollout, type ReleaseActor } from './rollouts.js';
import type { TraceEntry } from './trace.js';

/**
 * What on-call is told when a rollout decides: it aborted, went inconclusive (and waits for a
 * human) or was promoted, with the decision's one-line why (the metrics' measurements, the judge's
 * U, n, p and score) so the message answers "why?" without opening the report.
 */

/** The release machine's states a decision ends in, and the decision's name on the rollout record. */
const DECIDED: Record<string, string> = {
  aborted: 'aborted',
  promoted: 'promoted',
  'rollout.inconclusive': 'inconclusive',
};

export function rolloutNotices(release: ReleaseActor, trace: readonly TraceEntry[]): Notification[] {
  if (!isRollout(release)) return [];
  const { rollout, rollouts } = release.getSnapshot().context;
  const records = rollout ? [...rollouts, rollout] : rollouts;
  const notices: Notification[] = [];
  for (const entry of trace) {
    const what = entry.actor === 'release' ? DECIDED[entry.to] : undefined;
    if (!what) continue;
    for (const record of records) {
      const index = record.decisions.findLastIndex((d) => d.at === entry.t && d.what === what);
      const decision = record.decisions[index];
      if (!decision) continue;
      notices.push({
        key: `release/rollout/${record.n}/${index}`,
        incident: record.requestedBy ?? 'release',
        kind: 'rollout',
        t: entry.t,
        severity: null,
        summary: `rollout ${record.n} of ${record.candidate} over ${record.baseline}: ${what}`,
        why: decision.why,
      });
    }
  }
  return notices;
}
