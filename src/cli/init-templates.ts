/**
 * What `runbook init` writes: a starter scenario for a service and a kind of SLI, and a plays module
 * its runbook uses. The story is the same for every kind (three healthy days, then a fault that burns
 * the SLO at 20x, a page, a play of the user's own that mitigates it, a postmortem, a fix canaried);
 * only what the fault is and which play undoes it depend on the kind.
 */

export const INIT_KINDS = ['availability', 'latency', 'quality', 'freshness'] as const;
export type InitKind = (typeof INIT_KINDS)[number];

interface KindParts {
  /** The SLO's line under `slos:` (after the SLI's name). */
  slo: string;
  /** What goes wrong, in the releases and the timeline. */
  world: string;
  /** The incident type's name and its mitigating play, of the plays module. */
  type: string;
  play: string;
  /** A fix release to canary after the incident, when the fault came with a release. */
  fix: string | null;
  live: string;
  regressionCases: number;
  words: string;
}

const QUESTIONS = `  # The questions traffic asks, each with the answer that is right (a quality SLI scores answers).
  questions:
    - { id: refunds-1, topic: refunds, ask: How long does a refund take?, answer: Five business days. }
    - { id: shipping-1, topic: shipping, ask: How much is express shipping?, answer: Express costs 9.90 and arrives next day. }
    - { id: billing-1, topic: billing, ask: When am I billed?, answer: On the first of each month. }
    - { id: account-1, topic: account, ask: How do I reset my password?, answer: Use Forgot password. }
    - { id: returns-1, topic: returns, ask: How long do I have to return an item?, answer: 30 days. }
  # The canary's eval set: it has no refunds question, which is how v2 got through its canary.
  evalSet: [shipping-1, billing-1, account-1, returns-1]
`;

const deployStory = (fault: string, fixed: string) => `releases:
  - { name: v1, description: last good release }
  - { name: v2, ${fault} }
  - { name: v2-fix, description: ${fixed} }
initialRelease: v1

# Three healthy days (the burn-rate windows need history), then v2 goes out.
timeline:
  - { at: 4320, deploy: v2 }
`;

function parts(kind: InitKind): KindParts {
  switch (kind) {
    case 'availability':
      return {
        slo: '{ kind: availability, objective: 0.999 }   # 99.9% of requests succeed',
        world: deployStory('errorRate: 0.02, description: fails 2% of requests', 'v2 with the bug fixed'),
        type: 'bad-deploy',
        play: 'rollbackToLastGood',
        fix: 'v2-fix',
        live: 'v2-fix',
        regressionCases: 0,
        words: 'v2 fails 2% of requests against a 99.9% objective: a 0.02 / 0.001 = 20x burn',
      };
    case 'latency':
      return {
        slo: '{ kind: latency, objective: 0.99, thresholdMs: 300 }   # 99% of requests under 300 ms',
        world: deployStory(
          'slowRate: 0.2, description: 20% of requests slower than 300 ms',
          'v2 with the slow query fixed',
        ),
        type: 'bad-deploy',
        play: 'rollbackToLastGood',
        fix: 'v2-fix',
        live: 'v2-fix',
        regressionCases: 0,
        words: 'v2 slows 20% of requests past 300 ms against a 99% objective: a 0.2 / 0.01 = 20x burn',
      };
    case 'quality':
      return {
        slo: '{ kind: quality, objective: 0.99 }   # 99% of answers right against the questions below',
        world: deployStory(
          'wrongTopics: [refunds], description: answers refund questions wrongly',
          'v2 with the refund answers fixed',
        ),
        type: 'bad-deploy',
        play: 'rollbackToLastGood',
        fix: 'v2-fix',
        live: 'v2-fix',
        regressionCases: 1,
        words: 'v2 answers one topic in five wrongly against a 99% objective: a 0.2 / 0.01 = 20x burn',
      };
    case 'freshness':
      return {
        slo: '{ kind: freshness, objective: 0.99 }   # 99% of answers from a fresh index',
        world: `releases:
  - { name: v1, description: the release that runs all along }
initialRelease: v1

# Three healthy days (the burn-rate windows need history), then the indexer stops; left alone it
# would stay stopped for a day (until:), and the shift runs at least that long.
faults:
  - name: indexer-stalled
    kind: staleIndex
    at: 4320
    until: 5760
    description: the indexer lost its credentials
`,
        type: 'stale-index',
        play: 'rebuildIndex',
        fix: null,
        live: 'v1',
        regressionCases: 0,
        words: 'the index goes stale and no answer is fresh: a 1 / 0.01 = 100x burn',
      };
  }
}

/** The scenario file, commented for someone who has never written one. */
export function starterScenario(service: string, kind: InitKind, playsFile: string): string {
  const p = parts(kind);
  const sli = kind;
  return `# A starter scenario for ${service}, written by \`runbook init\`. It passes its own gate as written:
#   npx runbook gate ${service}.yaml
# then make it yours: your SLIs and objectives, your releases and faults, your runbook's plays, and
# the gate's checks for what must hold. Every field: the scenario format page of the docs.
#
# The story: ${p.words}.
# The SLO's burn-rate alert pages (as Prometheus would send the alert Sloth generates for it), the
# runbook's play of your own (${playsFile}) mitigates it, a postmortem is written${
    p.fix
      ? `, and the fix ${p.fix}
# is canaried against live`
      : ''
  }.
name: ${service}
seed: 1
epoch: "2026-01-05T00:00:00Z"

service:
  name: ${service}
  requestsPerMinute: 1000
${kind === 'quality' ? QUESTIONS : ''}
# The SLIs: each a good/total event ratio of a kind (availability, latency, quality, freshness).
slos:
  ${sli}: ${p.slo}

${p.world}
# Plays of your own: each export of this module is a play the runbook can name.
plays: ${playsFile}

oncall:
  roster: [Alex Doe, Sam Roe]
  ackMinutes: 2

incidentTypes:
  - name: ${p.type}
    # The SLO alert's labels: \`service\` and \`sloth_slo\` (the SLI's name).
    match: { service: ${service}, sloth_slo: ${sli} }
    sli: ${sli}
    # Plays run in order until the SLI is back at its objective; none does: the incident escalates.
    runbook:
      - { play: ${p.play}, timeout: 10 }
${p.fix ? `    fix: { candidate: ${p.fix} }\n` : ''}
# The postmortem's narrative (the machines add the timeline, impact and resolution). Blameless:
# a person from the roster named as a cause sends it back.
postmortem:
  title: ${service} burned its ${sli} SLO
  rootCauses:
    - ${p.fix ? 'A defect in v2 that its canary did not exercise.' : 'The indexer stopped when its credentials expired.'}
  trigger: ${p.fix ? 'Release v2 went live.' : 'The index source rotated its credentials.'}
  actionItems:
    - { type: prevent, text: Alert on the cause as well as on the SLO, owner: ${service}-team }

# What must hold, checked against what the machines did. Kinds: incidents, detected, paged,
# mitigated, escalated, mttd, mtta, mttm, mttr, postmortem, fix, live, budget, ticket.
gate:
  - { kind: incidents, count: 1 }
  - { kind: paged, type: ${p.type}, severity: sev1, withinMinutes: 60 }
  - { kind: mitigated, type: ${p.type}, play: ${p.play}, first: true, withinMinutes: 60 }
  - { kind: escalated, type: ${p.type}, expected: false }
  - { kind: mttr, type: ${p.type}, atMost: 120 }
  - { kind: postmortem, type: ${p.type}, minRegressionCases: ${p.regressionCases} }
${p.fix ? `  - { kind: fix, type: ${p.type}, outcome: shipped }\n` : ''}  - { kind: live, release: ${p.live} }
  - { kind: budget, sli: ${sli}, atLeast: 0.5 }
`;
}

/** The plays module: ES module JavaScript, or TypeScript with the package's types. */
export function starterPlays(service: string, kind: InitKind, typescript: boolean): string {
  const { play } = parts(kind);
  const input = typescript ? ': PlayInput' : '';
  const output = typescript ? ': PlayOutput' : '';
  const imports = typescript
    ? "import { definePlay, type PlayInput, type PlayOutput } from 'runbook-machines';"
    : "import { definePlay } from 'runbook-machines';";
  const body =
    kind === 'freshness'
      ? `/** Rebuilds the index and restarts its updates: what to do when answers come from a stale index. */
export const ${play} = definePlay(({ ops }${input})${output} => {
  const { builtAt } = ops.reindex();
  return { ok: true, detail: \`rebuilt the index at minute \${builtAt}\` };
});`
      : `/** Rolls back to the last good release: what to do first when a deploy precedes the burn. */
export const ${play} = definePlay(({ ops }${input})${output} => {
  const done = ops.rollback();
  return done
    ? { ok: true, detail: \`rolled back \${done.from} -> \${done.to}\` }
    : { ok: false, detail: \`no last good release to roll back to (live \${ops.release().live})\` };
});`;
  return `// Plays of your own for ${service}, written by \`runbook init\`. Each export is a play a runbook names.
// A play gets the incident, its runbook step (\`step.with\` holds the step's settings) and \`ops\`, what
// a play may do to the service; it reports \`{ ok, detail }\`. In a drill \`ops\` acts on the simulated
// service; under \`runbook serve\` the same play runs on the real clock. Never wait on real time here.
${imports}

${body}
`;
}
