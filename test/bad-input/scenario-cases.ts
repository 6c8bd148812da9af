import { type BadInput, heavy, many, STOCK, scenario, wholeFile } from './case.js';

/**
 * Scenario fields: wrong types say what was found and what was needed; unbounded fields are
 * bounded, with the bound in the message; cross-references name the field that dangles.
 */

const withRunbook = (steps: string, extra = '') =>
  `incidentTypes:\n  - name: quality-regression\n    match: { service: agent }\n    sli: quality\n${extra}    runbook:\n${steps}\n`;

const withStep = (step: string) => withRunbook(`      - { play: rollback, ${step} }`);

const question = (i: number) =>
  `    - { id: q${i}, topic: t${i}, ask: question ${i}?, answer: answer ${i}. }`;

const types: BadInput[] = [
  scenario('a seed given as a string', 'seed: "42"\n', /seed: expected a number, got the string "42"/),
  scenario('a fractional seed', 'seed: 1.5\n', /seed: must be a whole number \(got 1\.5\)/),
  scenario('a seed past 32 bits', 'seed: 1099511627776\n', /seed: must be <= 4,294,967,295/),
  scenario('a seed of .nan', 'seed: .nan\n', /seed: expected a number, got NaN/),
  scenario('a 300-character name', `name: ${'n'.repeat(300)}\n`, /name: must be at most 200 characters/),
  scenario(
    'requestsPerMinute given as a string',
    'service:\n  requestsPerMinute: "1000"\n',
    /service\.requestsPerMinute: expected a number, got the string "1000"/,
  ),
  scenario(
    'a negative request rate',
    'service:\n  requestsPerMinute: -5\n',
    /service\.requestsPerMinute: must be >= 1/,
  ),
  scenario(
    'a trillion requests a minute',
    'service:\n  requestsPerMinute: 1000000000000\n',
    /service\.requestsPerMinute: must be <= 1,000,000,000/,
  ),
  scenario(
    'an objective given as a string',
    'slos:\n  quality: { objective: "0.99" }\n',
    /slos\.quality\.objective: expected a number, got the string "0\.99"/,
  ),
  scenario(
    'an objective above 1',
    'slos:\n  quality: { objective: 1.5 }\n',
    /slos\.quality\.objective: must be between 0 and 1/,
  ),
  scenario(
    'an objective of 0',
    'slos:\n  quality: { objective: 0 }\n',
    /slos\.quality\.objective: must be between 0 and 1/,
  ),
  scenario(
    'a seed that is not a number',
    'seed: forty-two\n',
    /seed: expected a number, got the string "forty-two"/,
  ),
  scenario(
    'an epoch that is not a timestamp',
    'epoch: yesterday\n',
    /epoch: must be an RFC 3339 UTC timestamp \(got "yesterday"\)/,
  ),
  scenario(
    'an epoch in year 9999',
    'epoch: "9999-12-31T23:00:00Z"\n',
    /epoch: must be between 1970-01-01T00:00:00Z and 9000-01-01T00:00:00Z/,
  ),
  scenario(
    'an index rebuildable flag given as a string',
    'service:\n  index: { rebuildable: "no" }\n',
    /service\.index\.rebuildable: expected true or false, got the string "no"/,
  ),
];

const shapes: BadInput[] = [
  scenario('an unknown top-level field', 'colour: red\n', /colour: unknown field/),
  scenario(
    'an unknown field in a release',
    'releases:\n  - { name: v2, wrongTopic: [refunds] }\n',
    /releases\[0\]\.wrongTopic: unknown field/,
  ),
  scenario('service given as a list', 'service: [agent]\n', /service: expected a mapping, got a list of 1/),
  scenario('no releases', 'releases: []\n', /releases: must list at least one release/),
  scenario(
    'a question without an answer',
    'service:\n  questions:\n    - { id: q1, topic: t, ask: why? }\n',
    /service\.questions\[0\]\.answer: is required \(a string\)/,
  ),
  scenario(
    'a timeline event that is neither a deploy nor a stall',
    'timeline:\n  - { at: 4320 }\n',
    /timeline\[0\]: must be \{ at, deploy: RELEASE \} or \{ at, stallIndexer: true \}/,
  ),
  scenario(
    'a deploy given as a number',
    'timeline:\n  - { at: 4320, deploy: 3 }\n',
    /timeline\[0\]\.deploy: expected a string, got the number 3/,
  ),
  scenario(
    'a timeline event given as a string',
    'timeline:\n  - deploy v3 at 4320\n',
    /timeline\[0\]: must be \{ at, deploy: RELEASE \} or \{ at, stallIndexer: true \} \(got "deploy v3 at 4320"\)/,
  ),
  scenario(
    'a negative timeline minute',
    'timeline:\n  - { at: -1, deploy: v3 }\n',
    /timeline\[0\]\.at: must be >= 0 \(got -1\)/,
  ),
  scenario('an empty group-by', 'storm:\n  groupBy: []\n', /storm\.groupBy: must list at least 1 item/),
  scenario(
    'a group-by of __proto__',
    'storm:\n  groupBy: [__proto__]\n',
    /storm\.groupBy\[0\]: "__proto__" is not allowed as a label name/,
  ),
  scenario(
    'storm services with no alertnames',
    'storm:\n  services:\n    - { name: agent, alertnames: [] }\n',
    /storm\.services\[0\]\.alertnames: must list at least 1 item/,
  ),
  scenario(
    'a listed alert with a numeric label value',
    'storm:\n  listed:\n    - { labels: { service: 5 }, at: 10 }\n',
    /storm\.listed\[0\]\.labels\.service: expected a string, got the number 5/,
  ),
  scenario(
    'no incident types',
    'incidentTypes: []\n',
    /incidentTypes: must define at least one incident type/,
  ),
  scenario(
    'an unknown SLI',
    'incidentTypes:\n  - { name: x, match: { service: agent }, sli: latency, runbook: [{ play: rollback }] }\n',
    /incidentTypes\[0\]\.sli: unknown SLI "latency" \(declared under slos: quality, freshness\)/,
  ),
  scenario(
    'an SLI named like what every object inherits',
    'incidentTypes:\n  - { name: x, match: { service: agent }, sli: constructor, runbook: [{ play: rollback }] }\n',
    /incidentTypes\[0\]\.sli: unknown SLI "constructor"/,
  ),
  scenario(
    'a match no alert of the scenario carries (a typo)',
    'incidentTypes:\n  - { name: x, match: { service: agnet }, sli: quality, runbook: [{ play: rollback }] }\n',
    /incidentTypes\[0\]\.match: no alert, SLO alert or ticket of this scenario carries service="agnet"/,
  ),
  scenario('a scenario that can open no incident', 'storm: { alerts: 0 }\n', /storm: can open no incident/),
  scenario(
    'an SLI of no kind beside kinded ones',
    'slos:\n  availability: { kind: availability, objective: 0.999 }\n  quality: { objective: 0.99 }\n',
    /slos\.quality\.kind: is required: another SLI of this map states its kind/,
  ),
  scenario(
    'a latency SLI without its threshold',
    'slos:\n  quality: { kind: quality, objective: 0.99 }\n  latency: { kind: latency, objective: 0.99 }\n',
    /slos\.latency\.thresholdMs: is required for a latency SLI/,
  ),
  scenario(
    'a play effect that clears an undeclared fault',
    'effects:\n  failover: { clears: [db-slow] }\n',
    /effects\.failover\.clears\[0\]: unknown fault "db-slow" \(faults: none\)/,
  ),
  scenario(
    'an empty runbook',
    withRunbook('      []').replace('runbook:\n', 'runbook:'),
    /incidentTypes\[0\]\.runbook: must list at least one play/,
  ),
  scenario(
    'an onFailure that is neither next nor escalate',
    withStep('onFailure: panic'),
    /incidentTypes\[0\]\.runbook\[0\]\.onFailure: must be one of "next", "escalate" \(got "panic"\)/,
  ),
  scenario(
    'an alert policy window that does not exist',
    'alerting:\n  policy:\n    - { severity: page, long: 4h, short: 5m, threshold: 14.4 }\n',
    /alerting\.policy\[0\]\.long: must be one of .*\(got "4h"\)/,
  ),
  scenario(
    'an expected severity that does not exist',
    'expect:\n  ticket: { id: T-1042, severity: sev5, queue: L2 }\n',
    /expect\.ticket\.severity: must be one of/,
  ),
];

const bounds: BadInput[] = [
  scenario(
    'a timeline minute of a billion',
    'timeline:\n  - { at: 1000000000, deploy: v3 }\n',
    /timeline\[0\]\.at: must be <= 43,200 \(30 days of sim minutes\)/,
  ),
  scenario(
    'a ticket at minute 1e9',
    'tickets:\n  - { id: T-1, at: 1e9, service: agent, title: x }\n',
    /tickets\[0\]\.at: must be <= 43,200/,
  ),
  scenario('a storm start at 1e9', 'storm:\n  startMinute: 1e9\n', /storm\.startMinute: must be <= 43,200/),
  scenario(
    'a storm spread of 1e9 minutes',
    'storm:\n  spreadMinutes: 1e9\n',
    /storm\.spreadMinutes: must be <= 43,200/,
  ),
  scenario(
    'alerts that last 1e9 minutes',
    'storm:\n  durationMinutes: 1e9\n',
    /storm\.durationMinutes: must be <= 43,200/,
  ),
  scenario(
    'a listed alert at 1e9',
    'storm:\n  listed:\n    - { labels: { service: x }, at: 1e9 }\n',
    /storm\.listed\[0\]\.at: must be <= 43,200/,
  ),
  scenario('until minute 1e9', 'until: 1000000000\n', /until: must be <= 43,200/),
  scenario(
    'an end before the story',
    'until: 100\n',
    /until: must be after the last timeline event and the storm \(minute 4322\)/,
  ),
  scenario(
    'a billion retries',
    withStep('retries: 1e9'),
    /incidentTypes\[0\]\.runbook\[0\]\.retries: must be <= 10/,
  ),
  scenario(
    'a timeout of 1e9 minutes',
    withStep('timeout: 1e9'),
    /incidentTypes\[0\]\.runbook\[0\]\.timeout: must be <= 43,200/,
  ),
  scenario(
    'a storm of a billion alerts',
    'storm:\n  alerts: 1000000000\n',
    /storm\.alerts: must be <= 2,000,000/,
  ),
  scenario(
    'a hundred million services',
    'storm:\n  services: { count: 100000000 }\n',
    /storm\.services\.count: must be <= 10,000 \(got 100000000\)/,
  ),
  scenario(
    '8589934592 services',
    'storm:\n  services: { count: 8589934592 }\n',
    /storm\.services\.count: must be <= 10,000/,
  ),
  scenario(
    'a million pods per service',
    'storm:\n  services: { count: 10, instances: 1000000 }\n',
    /storm\.services\.instances: must be <= 1,000/,
  ),
  heavy(
    scenario(
      '1,001 questions',
      () => `service:\n  questions:\n${many(1001, question)}\n  evalSet: [q1]\n`,
      /service\.questions: must list at most 1,000/,
    ),
  ),
  heavy(
    scenario(
      '1,001 timeline events',
      () => `timeline:\n${many(1001, (i) => `  - { at: ${i}, deploy: v3 }`)}\n`,
      /timeline: must list at most 1,000/,
    ),
  ),
  heavy(
    scenario(
      '1,001 tickets',
      () => `tickets:\n${many(1001, (i) => `  - { id: T-${i}, at: 1, service: agent, title: t }`)}\n`,
      /tickets: must list at most 1,000/,
    ),
  ),
  heavy(
    scenario(
      '10,001 listed alerts',
      () => `storm:\n  listed:\n${many(10001, (i) => `    - { labels: {}, at: ${i} }`)}\n`,
      /storm\.listed: must list at most 10,000/,
    ),
  ),
  scenario(
    '21 runbook steps',
    withRunbook(many(21, () => '      - { play: rollback }')),
    /incidentTypes\[0\]\.runbook: must list at most 20/,
  ),
  scenario(
    'a storm that would open more incidents than a drill holds',
    'storm:\n  alerts: 2000000\n  groupBy: [service, instance]\n  services: { count: 10000, instances: 100 }\n',
    /storm: can open up to 1,000,000 incidents .* a drill opens at most 50,000/,
  ),
  scenario(
    'a storm whose incidents over the shift are too much work',
    'storm:\n  alerts: 40000\n  startMinute: 30000\n  groupBy: [service, instance]\n  services: { count: 10000 }\n',
    /storm: 40,000 incidents over 31,\d{3} minutes is [\d,]+ incident-minutes, more than a drill runs/,
  ),
  scenario(
    'a storm that runs the shift past 31 days',
    'storm:\n  startMinute: 40000\n  spreadMinutes: 40000\n',
    /storm\.(startMinute|spreadMinutes): runs the shift to minute 81,500, past the longest shift \(44,640 minutes/,
  ),
];

const references: BadInput[] = [
  scenario(
    'an unknown play in a runbook',
    withRunbook('      - { play: reboot }'),
    /incidentTypes\[0\]\.runbook\[0\]\.play: unknown play "reboot"/,
  ),
  scenario(
    'an unknown release in the timeline',
    'timeline:\n  - { at: 4320, deploy: v4 }\n',
    /timeline\[0\]\.deploy: unknown release "v4"/,
  ),
  scenario('an unknown initial release', 'initialRelease: v1\n', /initialRelease: unknown release/),
  scenario(
    'a duplicate release',
    'releases:\n  - { name: v2 }\n  - { name: v2 }\n',
    /releases\[1\]\.name: duplicate release "v2"/,
  ),
  scenario(
    'an unknown question in the eval set',
    'service:\n  evalSet: [shipping-1, weather-1]\n',
    /service\.evalSet\[1\]: unknown question "weather-1"/,
  ),
  scenario(
    'an unknown wrong question',
    'releases:\n  - { name: v2, wrongQuestions: [nope] }\n  - { name: v3 }\n  - { name: v3-fix }\n',
    /releases\[0\]\.wrongQuestions\[0\]: unknown question "nope"/,
  ),
  scenario(
    'an unknown fix candidate',
    `${withRunbook('      - { play: rollback }')}    fix: { candidate: v9 }\n`,
    /incidentTypes\[0\]\.fix\.candidate: unknown release "v9"/,
  ),
  scenario('a bad scenario for drill', 'seed: x\n', /seed: expected a number/, 'drill'),
  scenario(
    'a bad scenario for report (no report.html left)',
    'seed: x\n',
    /seed: expected a number/,
    'report',
  ),
];

const raw: BadInput[] = [
  wholeFile('a missing required field', () => 'name: x\nseed: 1\n', /service: is required \(a mapping\)/),
  wholeFile(
    'no expectations',
    () => `extends: ${STOCK}\nexpect: null\n`,
    /expect: expected a mapping, got null/,
  ),
];

export const scenarioCases: BadInput[] = [...types, ...shapes, ...bounds, ...references, ...raw];
