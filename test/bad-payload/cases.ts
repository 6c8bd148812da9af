/**
 * Bad requests to `runbook serve`, one per line of what can be wrong: malformed JSON, a wrong type
 * on every field of a postable alert, of the webhook's payload, of an SLI report and of an ack,
 * huge labels, 10 MB bodies, `__proto__` keys, unknown webhook versions, wrong content types. Each
 * must get its 4xx with a JSON error naming `field`, and leave the journal as it was.
 */

export interface BadPayload {
  what: string;
  path: string;
  /** A JSON value, sent as `application/json`. */
  json?: unknown;
  /** Or the body exactly as sent. */
  raw?: string | (() => Buffer);
  /** Sent in chunks with no Content-Length (chunked transfer encoding). */
  chunked?: boolean;
  /** `application/json` unless given; null sends none. */
  contentType?: string | null;
  status: number;
  field: string;
  /** What the error says, when it matters how. */
  says?: RegExp;
}

const ALERTS = '/api/v2/alerts';
const WEBHOOK = '/webhook/alertmanager';
const SLI = '/api/sli';
/** INC-1 exists (the test opens it first): the ack's body is what is wrong. */
const ACK = '/api/incidents/INC-1/ack';
const MB = 1024 * 1024;

const alert = (patch: Record<string, unknown> = {}) => ({
  labels: { alertname: 'HighErrorRate', service: 'billing' },
  annotations: { summary: 'errors' },
  startsAt: '2026-12-01T09:00:00Z',
  ...patch,
});

const notification = (patch: Record<string, unknown> = {}) => ({
  version: '4',
  groupKey: '{}:{service="billing"}',
  status: 'firing',
  receiver: 'runbook',
  groupLabels: { service: 'billing' },
  alerts: [{ ...alert(), status: 'firing', endsAt: '0001-01-01T00:00:00Z' }],
  ...patch,
});

const notified = (patch: Record<string, unknown>) =>
  notification({ alerts: [{ ...alert(), status: 'firing', ...patch }] });

/** A value of every JSON type but the one a field takes. */
const wrongTypes = {
  string: [7, true, null, ['a'], { a: 'b' }],
  object: ['labels', 7, false, null, ['a']],
  timestamp: [1764579600, true, null, { at: 'noon' }, 'noon', '2026-02-30T00:00:00Z', '', '2026-12-01 9:00'],
  count: ['10', -1, 1.5, null, true, [10]],
} as const;

const show = (value: unknown) => JSON.stringify(value);

function malformed(path: string): BadPayload[] {
  const bodies: [string, string][] = [
    ['an empty body', ''],
    ['whitespace only', '  \n\t '],
    ['truncated JSON', '[{"labels": {"alertname": '],
    ['a trailing comma', '[{"labels": {"a": "b"},}]'],
    ['single quotes', "[{'labels': {'a': 'b'}}]"],
    ['a bare word', 'alerts'],
    ['NaN', '{"requests": NaN}'],
    ['a comment', '// alerts\n[]'],
    ['two documents', '[] []'],
    ['a byte-order mark', '\ufeff[]'],
  ];
  return bodies.map(([what, raw]) => ({
    what: `${path}: malformed JSON, ${what}`,
    path,
    raw,
    status: 400,
    field: '(body)',
  }));
}

const postable: BadPayload[] = [
  ...['{"labels": {"a": "b"}}', '"alerts"', '7', 'null', 'true'].map((raw) => ({
    what: `alerts: not a list but ${raw}`,
    path: ALERTS,
    raw,
    status: 400,
    field: '(body)',
  })),
  ...['an alert', 7, null, [alert()]].map((item) => ({
    what: `alerts: an item that is not an alert: ${show(item)}`,
    path: ALERTS,
    json: [alert(), item],
    status: 400,
    field: '[1]',
  })),
  {
    what: 'alerts: no labels',
    path: ALERTS,
    json: [{ startsAt: '2026-12-01T09:00:00Z' }],
    status: 400,
    field: '[0].labels',
  },
  ...wrongTypes.object.map((labels) => ({
    what: `alerts: labels ${show(labels)}`,
    path: ALERTS,
    json: [alert({ labels })],
    status: 400,
    field: '[0].labels',
  })),
  {
    what: 'alerts: no label at all',
    path: ALERTS,
    json: [alert({ labels: {} })],
    status: 400,
    field: '[0].labels',
  },
  ...wrongTypes.string.map((value) => ({
    what: `alerts: a label value ${show(value)}`,
    path: ALERTS,
    json: [alert({ labels: { alertname: 'X', service: value } })],
    status: 400,
    field: '[0].labels.service',
  })),
  ...['bad-name', '1st', 'a b', 'é', ''].map((name) => ({
    what: `alerts: a label named ${show(name)}`,
    path: ALERTS,
    json: [alert({ labels: { alertname: 'X', [name]: 'v' } })],
    status: 400,
    field: `[0].labels.${name}`,
  })),
  ...wrongTypes.object.map((annotations) => ({
    what: `alerts: annotations ${show(annotations)}`,
    path: ALERTS,
    json: [alert({ annotations })],
    status: 400,
    field: '[0].annotations',
  })),
  ...wrongTypes.string.map((summary) => ({
    what: `alerts: an annotation ${show(summary)}`,
    path: ALERTS,
    json: [alert({ annotations: { summary } })],
    status: 400,
    field: '[0].annotations.summary',
  })),
  ...(['startsAt', 'endsAt'] as const).flatMap((name) =>
    wrongTypes.timestamp.map((value) => ({
      what: `alerts: ${name} ${show(value)}`,
      path: ALERTS,
      json: [alert(), alert({ [name]: value })],
      status: 400,
      field: `[1].${name}`,
    })),
  ),
  ...[7, ['http://x'], { url: 'x' }, null].map((generatorURL) => ({
    what: `alerts: generatorURL ${show(generatorURL)}`,
    path: ALERTS,
    json: [alert({ generatorURL })],
    status: 400,
    field: '[0].generatorURL',
  })),
];

const webhook: BadPayload[] = [
  ...[undefined, '3', '5', '1', '', 'v4', 4, null].map((version) => ({
    what: `webhook: version ${version === undefined ? 'missing' : show(version)}`,
    path: WEBHOOK,
    json: notification({ version }),
    status: 400,
    field: 'version',
    says: /"4"/,
  })),
  ...(['groupKey', 'receiver'] as const).flatMap((name) =>
    [undefined, 7, null].map((value) => ({
      what: `webhook: ${name} ${value === undefined ? 'missing' : show(value)}`,
      path: WEBHOOK,
      json: notification({ [name]: value }),
      status: 400,
      field: name,
    })),
  ),
  ...[undefined, 'pending', 1].map((status) => ({
    what: `webhook: status ${status === undefined ? 'missing' : show(status)}`,
    path: WEBHOOK,
    json: notification({ status }),
    status: 400,
    field: 'status',
  })),
  ...[undefined, 'all', { a: 1 }, null].map((alerts) => ({
    what: `webhook: alerts ${alerts === undefined ? 'missing' : show(alerts)}`,
    path: WEBHOOK,
    json: notification({ alerts }),
    status: 400,
    field: 'alerts',
  })),
  {
    what: 'webhook: an alert that is a string',
    path: WEBHOOK,
    json: notification({ alerts: ['x'] }),
    status: 400,
    field: 'alerts[0]',
  },
  ...[undefined, 'pending', true].map((status) => ({
    what: `webhook: an alert's status ${status === undefined ? 'missing' : show(status)}`,
    path: WEBHOOK,
    json: notified({ status }),
    status: 400,
    field: 'alerts[0].status',
  })),
  {
    what: "webhook: an alert's labels a list",
    path: WEBHOOK,
    json: notified({ labels: ['a'] }),
    status: 400,
    field: 'alerts[0].labels',
  },
  {
    what: "webhook: an alert's label a number",
    path: WEBHOOK,
    json: notified({ labels: { service: 1 } }),
    status: 400,
    field: 'alerts[0].labels.service',
  },
  {
    what: "webhook: an alert's startsAt not a time",
    path: WEBHOOK,
    json: notified({ startsAt: 'soon' }),
    status: 400,
    field: 'alerts[0].startsAt',
  },
  {
    what: "webhook: an alert's endsAt a number",
    path: WEBHOOK,
    json: notified({ endsAt: 0 }),
    status: 400,
    field: 'alerts[0].endsAt',
  },
  {
    what: 'webhook: a list instead of a notification',
    path: WEBHOOK,
    json: [notification()],
    status: 400,
    field: '(body)',
  },
];

const sliReport = { sli: 'quality', requests: 100, errors: 1 };
const sli: BadPayload[] = [
  ...[[sliReport], 'quality', 7].map((json) => ({
    what: `sli: not a report but ${show(json)}`,
    path: SLI,
    json,
    status: 400,
    field: '(body)',
  })),
  ...[undefined, 7, null, 'latency', ''].map((name) => ({
    what: `sli: sli ${name === undefined ? 'missing' : show(name)}`,
    path: SLI,
    json: { ...sliReport, sli: name },
    status: 400,
    field: 'sli',
  })),
  ...(['requests', 'errors'] as const).flatMap((name) =>
    [undefined, ...wrongTypes.count].map((value) => ({
      what: `sli: ${name} ${value === undefined ? 'missing' : show(value)}`,
      path: SLI,
      json: { ...sliReport, [name]: value },
      status: 400,
      field: name,
    })),
  ),
  {
    what: 'sli: requests too big for a double',
    path: SLI,
    raw: '{"sli": "quality", "requests": 1e400, "errors": 0}',
    status: 400,
    field: 'requests',
  },
  {
    what: 'sli: more errors than requests',
    path: SLI,
    json: { ...sliReport, errors: 101 },
    status: 400,
    field: 'errors',
  },
];

const ack: BadPayload[] = [
  ...[{}, { by: '' }, { by: 7 }, { by: null }, { by: ['Alice'] }, { who: 'Alice' }].map((json) => ({
    what: `ack: ${show(json)}`,
    path: ACK,
    json,
    status: 400,
    field: 'by',
  })),
  ...[['Alice'], 'Alice', null].map((json) => ({
    what: `ack: not an object but ${show(json)}`,
    path: ACK,
    json,
    status: 400,
    field: '(body)',
  })),
];

const megabytes = (n: number) => () => Buffer.from(`[${JSON.stringify(alert())},"${'x'.repeat(n * MB)}"]`);
// The webhook takes a whole Alertmanager group (32 MB); everything else at most 1 MB.
const tooBig = (path: string) =>
  path === WEBHOOK ? { mb: 33, raw: megabytes(33) } : { mb: 10, raw: megabytes(10) };
const huge: BadPayload[] = [
  ...[ALERTS, WEBHOOK, SLI, ACK].map((path) => ({
    what: `${path}: a ${tooBig(path).mb} MB body`,
    path,
    raw: tooBig(path).raw,
    status: 413,
    field: '(body)',
  })),
  ...[ALERTS, WEBHOOK].map((path) => ({
    what: `${path}: a ${tooBig(path).mb} MB body, chunked with no Content-Length`,
    path,
    raw: tooBig(path).raw,
    chunked: true,
    status: 413,
    field: '(body)',
  })),
  {
    what: 'alerts: a 2 MB label value',
    path: ALERTS,
    json: [alert({ labels: { service: 'x'.repeat(2 * MB) } })],
    status: 413,
    field: '(body)',
  },
  {
    what: 'alerts: a 100 KB label name',
    path: ALERTS,
    json: [alert({ labels: { alertname: 'X', [`a-${'n'.repeat(100_000)}`]: 'v' } })],
    status: 400,
    field: `[0].labels.a-${'n'.repeat(58)}...`,
  },
  {
    what: 'alerts: 20,000 labels, one of them a number',
    path: ALERTS,
    json: [
      alert({
        labels: {
          ...Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`l${i}`, 'v'])),
          l19999: 1,
        },
      }),
    ],
    status: 400,
    field: '[0].labels.l19999',
  },
  {
    what: 'alerts: 100,000 levels of nesting',
    path: ALERTS,
    raw: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    status: 400,
    field: '[0]',
  },
];

const proto: BadPayload[] = [
  {
    what: '__proto__ at the top of an SLI report',
    path: SLI,
    raw: '{"__proto__": {"x": 1}, "sli": "quality", "requests": 1, "errors": 0}',
    status: 400,
    field: '__proto__',
  },
  {
    what: '__proto__ beside labels',
    path: ALERTS,
    raw: '[{"labels": {"a": "b"}, "__proto__": {}}]',
    status: 400,
    field: '[0].__proto__',
  },
  {
    what: '__proto__ as a label name',
    path: ALERTS,
    raw: '[{"labels": {"__proto__": "x"}}]',
    status: 400,
    field: '[0].labels.__proto__',
  },
  {
    what: '__proto__ as an annotation',
    path: ALERTS,
    raw: '[{"labels": {"a": "b"}, "annotations": {"__proto__": {"polluted": "yes"}}}]',
    status: 400,
    field: '[0].annotations.__proto__',
  },
  {
    what: '__proto__ spelled with escapes',
    path: ALERTS,
    raw: '[{"labels": {"\\u005f\\u005fproto\\u005f\\u005f": "x"}}]',
    status: 400,
    field: '[0].labels.__proto__',
  },
  {
    what: '__proto__ in a webhook alert',
    path: WEBHOOK,
    raw: JSON.stringify(notification()).replace('"groupLabels"', '"__proto__"'),
    status: 400,
    field: '__proto__',
  },
  {
    what: "__proto__ in a webhook alert's labels",
    path: WEBHOOK,
    raw: JSON.stringify(notification()).replace('"alertname"', '"__proto__"'),
    status: 400,
    field: 'alerts[0].labels.__proto__',
  },
  {
    what: '__proto__ in an ack',
    path: ACK,
    raw: '{"by": "Alice", "__proto__": {"admin": true}}',
    status: 400,
    field: '__proto__',
  },
];

const body = JSON.stringify([alert()]);
const contentTypes: BadPayload[] = [
  ...[
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/xml',
    'multipart/form-data; boundary=x',
    'application/jsonx',
  ].map((contentType) => ({
    what: `alerts: Content-Type ${contentType}`,
    path: ALERTS,
    raw: body,
    contentType,
    status: 415,
    field: 'content-type',
  })),
  {
    what: 'alerts: no Content-Type',
    path: ALERTS,
    raw: body,
    contentType: null,
    status: 415,
    field: 'content-type',
  },
  {
    what: 'webhook: Content-Type text/plain',
    path: WEBHOOK,
    raw: JSON.stringify(notification()),
    contentType: 'text/plain',
    status: 415,
    field: 'content-type',
  },
  {
    what: 'sli: Content-Type text/csv',
    path: SLI,
    raw: 'quality,100,1',
    contentType: 'text/csv',
    status: 415,
    field: 'content-type',
  },
];

export const badPayloads: BadPayload[] = [
  ...malformed(ALERTS),
  ...malformed(WEBHOOK),
  ...malformed(SLI).slice(0, 4),
  ...malformed(ACK).slice(0, 4),
  ...postable,
  ...webhook,
  ...sli,
  ...ack,
  ...huge,
  ...proto,
  ...contentTypes,
];
