import type { Engine } from '../engine/engine.js';
import type { Scenario } from './scenario.js';

/**
 * On-call answering a runbook's approval gates in a drill, as the scenario says: for each gate by
 * step name, approve or reject `afterMinutes` after the run started waiting there, or never (the
 * gate's timeout exit is then taken). A gate the scenario does not list is never answered. Approvals
 * are inputs like acks: journaled, replayed on a resume, answered at the same minute every run.
 */
export function answerApprovals(policy: Scenario['oncall']['approvals'], engine: Engine, t: number): void {
  const waits = engine.runbookWaits();
  if (waits.length === 0) return;
  for (const wait of waits) {
    const answer = policy[wait.step];
    if (wait.for !== 'approval' || !answer || answer.answer === 'never') continue;
    if (wait.since + answer.afterMinutes > t) continue;
    // One named person answers; otherwise the first approvers, as many as the gate needs.
    const people = answer.by
      ? [answer.by]
      : wait.approvers.slice(0, answer.answer === 'approve' ? wait.count : 1);
    for (const by of people)
      engine.operate({
        kind: 'operator',
        incident: wait.incident,
        command: answer.answer,
        step: wait.step,
        by,
      });
  }
}
