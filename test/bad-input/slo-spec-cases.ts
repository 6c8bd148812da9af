import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type BadInput, STOCK } from './case.js';

/**
 * Sloth prometheus/v1 specs for `runbook rules`: each bad one is refused with the spec's file and the
 * field, before anything is written.
 */

const SLO = `  - name: requests
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting:
      name: HighErrorBurn
`;
const GOOD = `version: prometheus/v1\nservice: api\nslos:\n${SLO}`;

/** A spec written to `slo.yaml` and handed to `rules`. */
function spec(what: string, text: string, says: RegExp, extra: string[] = []): BadInput {
  return {
    what: `slo spec: ${what}`,
    files: () => ({ 'slo.yaml': text }),
    args: () => ['rules', '--slo', 'slo.yaml', ...extra],
    file: 'slo.yaml',
    says,
  };
}

export const sloSpecCases: BadInput[] = [
  spec('another version', GOOD.replace('prometheus/v1', 'openslo/v1'), /version: must be "prometheus\/v1"/),
  spec('no version', GOOD.replace('version: prometheus/v1\n', ''), /version: .*prometheus\/v1/),
  spec(
    'a service that is no name',
    GOOD.replace('service: api', 'service: "-api"'),
    /service: must be a name/,
  ),
  spec('no SLOs', 'version: prometheus/v1\nservice: api\nslos: []\n', /slos: must list at least one SLO/),
  spec(
    'an objective of 100',
    GOOD.replace('99.9', '100'),
    /slos\[0\]\.objective: must be a percentage in \(0, 100\)/,
  ),
  spec(
    'an objective as a ratio string',
    GOOD.replace('99.9', '"99.9%"'),
    /slos\[0\]\.objective: expected a number/,
  ),
  spec(
    'a query without {{.window}}',
    GOOD.replace('http_requests_total[{{.window}}]', 'http_requests_total[5m]'),
    /slos\[0\]\.sli\.events\.total_query: must contain the \{\{\.window\}\} variable/,
  ),
  spec(
    'both events and raw',
    GOOD.replace('    alerting:', '      raw:\n        error_ratio_query: x[{{.window}}]\n    alerting:'),
    /slos\[0\]\.sli: must hold exactly one of events .* or raw/,
  ),
  spec(
    'the same error and total query',
    GOOD.replace('{code=~"5.."}', ''),
    /slos\[0\]\.sli\.events\.error_query: must differ from total_query/,
  ),
  spec(
    'no alert name',
    GOOD.replace('      name: HighErrorBurn\n', '      {}\n'),
    /slos\[0\]\.alerting\.name: is required/,
  ),
  spec(
    'an alert name with a dash',
    GOOD.replace('HighErrorBurn', 'High-Error'),
    /slos\[0\]\.alerting\.name: must be a Prometheus alert name/,
  ),
  spec(
    'a label name with a dash',
    GOOD.replace('slos:', 'labels:\n  owner-team: x\nslos:'),
    /labels\.owner-team: must be a Prometheus label name/,
  ),
  spec('a duplicate SLO', `${GOOD}${SLO}`, /slos\[1\]\.name: duplicate SLO "requests"/),
  spec(
    'a misspelt field',
    GOOD.replace('    alerting:', '    objetive: 99\n    alerting:'),
    /slos\[0\]\.objetive: unknown field/,
  ),
  spec(
    'plugins (not supported)',
    GOOD.replace('slos:', 'slo_plugins:\n  chain: []\nslos:'),
    /slo_plugins: unknown field/,
  ),
  spec(
    'a disable that is no boolean',
    GOOD.replace(
      '      name: HighErrorBurn\n',
      '      name: HighErrorBurn\n      page_alert:\n        disable: "yes"\n',
    ),
    /page_alert\.disable: expected true or false/,
  ),
  {
    what: 'slo spec: a missing file',
    args: () => ['rules', '--slo', 'nope.yaml'],
    file: 'nope.yaml',
    says: /no such file/,
  },
  {
    ...spec('--time-scale 7', GOOD, /--time-scale: window 5m \/ 7 is not a whole number of milliseconds/, [
      '--time-scale',
      '7',
    ]),
    file: undefined,
  },
  {
    what: 'flags: rules --time-scale 0',
    args: () => ['rules', '--slo', 'slo.yaml', '--time-scale', '0'],
    says: /--time-scale: must be in \[1, 86400\]/,
  },
  {
    ...spec('rules --out into a missing folder', GOOD, /--out: no such directory: gone/, [
      '--out',
      'gone/r.yaml',
    ]),
    file: 'gone/r.yaml',
  },
  {
    what: 'slo spec: a scenario with slos beside sloSpec',
    files: () => ({
      's.yaml': `extends: ${STOCK}\nsloSpec: slo.yaml\nslos: { quality: { objective: 0.9 } }\n`,
      'slo.yaml': GOOD,
    }),
    args: () => ['gate', '--scenario', 's.yaml'],
    file: 's.yaml',
    says: /slos: comes from sloSpec \(.*slo\.yaml\); state one or the other/,
  },
  {
    what: 'slo spec: a scenario whose spec SLO says no kind',
    files: () => ({ 's.yaml': `extends: ${STOCK}\nsloSpec: slo.yaml\n`, 'slo.yaml': GOOD }),
    args: () => ['gate', '--scenario', 's.yaml'],
    file: 'slo.yaml',
    says: /slos\[0\]\.labels\.category: must say the SLI's kind \(availability, latency, quality, freshness\) for SLO "requests"/,
  },
  {
    what: 'slo spec: serve --check with a missing spec',
    files: () => ({ 'live.yaml': 'name: x\nsloSpec: gone.yaml\n' }),
    args: () => ['serve', '--check', '--config', 'live.yaml'],
    file: 'gone.yaml',
    says: /no such file/,
  },
  {
    what: 'slo spec: serve --check with a prometheus url that is no http URL',
    files: () => ({
      'live.yaml': `${readFileSync(resolve('examples/serve.yaml'), 'utf8')}prometheus: { url: "ftp://127.0.0.1:9090" }\n`,
    }),
    args: () => ['serve', '--check', '--config', 'live.yaml'],
    file: 'live.yaml',
    says: /prometheus\.url: must be an http\(s\) URL/,
  },
];
