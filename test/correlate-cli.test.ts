import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { makeAlert } from '../src/toolkit/alerts.js';

let dir = '';
const fixture = (name: string) => join(dir, name);

const run = async (...args: string[]) => {
  const io = bufferIo();
  const code = await main(args, io);
  return { code, ...io };
};

const alerts = [
  makeAlert({ alertname: 'HighErrorRate', service: 'agent', instance: 'pod-1' }, {}, 0, 10),
  makeAlert({ alertname: 'HighErrorRate', service: 'agent', instance: 'pod-2' }, {}, 2, 12),
  makeAlert({ alertname: 'HighErrorRate', service: 'agent', instance: 'pod-1' }, {}, 3, 13),
  makeAlert({ alertname: 'HighLatency', service: 'agent', instance: 'pod-1' }, {}, 60, 70),
  makeAlert({ alertname: 'DiskAlmostFull', service: 'index', instance: 'pod-0' }, {}, 5, 9),
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-correlate-'));
  const { fingerprint: _, ...withoutFingerprint } = alerts[0] ?? {};
  const files: Record<string, string> = {
    'list.json': JSON.stringify(alerts),
    'wrapped.json': JSON.stringify({ receiver: 'oncall', extra: [{ alerts: 1 }], alerts, status: 'firing' }),
    'no-fingerprint.json': JSON.stringify([withoutFingerprint]),
    'broken.json': '[{"labels": {"alertname": ',
    'no-labels.json': JSON.stringify([
      alerts[0],
      { startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-01-01T00:01:00Z' },
    ]),
    'bad-timestamp.json': JSON.stringify({
      alerts: [alerts[0], alerts[1], { ...alerts[2], startsAt: 'yesterday' }],
    }),
    'label-number.json': JSON.stringify([{ ...alerts[0], labels: { alertname: 7 } }]),
    'not-a-list.json': JSON.stringify({ receiver: 'oncall' }),
    'still-firing.json': JSON.stringify([
      { labels: { alertname: 'HighErrorRate', service: 'agent' }, startsAt: '2026-01-01T00:00:00Z' },
      {
        labels: { alertname: 'HighErrorRate', service: 'agent', instance: 'pod-2' },
        startsAt: '2026-01-01T00:02:00Z',
        endsAt: '0001-01-01T00:00:00Z',
      },
      { labels: { alertname: 'DiskAlmostFull', service: 'index' }, endsAt: '2026-01-01T00:30:00Z' },
      {
        labels: { alertname: 'DiskAlmostFull', service: 'index', instance: 'pod-1' },
        startsAt: '2026-01-01T00:20:00Z',
        endsAt: '2026-01-01T00:25:00Z',
      },
    ]),
    'no-times.json': JSON.stringify([alerts[0], { labels: { alertname: 'HighErrorRate' } }]),
    'alerts-not-a-list.json': JSON.stringify({ alerts: 'many' }),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(fixture(name), text);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runbook correlate', () => {
  it('prints the groups as JSON with --json, grouping by service,alertname by default', async () => {
    const { code, stdout, stderr } = await run('correlate', '--alerts', fixture('list.json'), '--json');
    expect([code, stderr]).toEqual([0, '']);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ group_by: ['service', 'alertname'], posted: 5, distinct: 4 });
    expect(result.groups.map((g: { labels: object; count: number }) => [g.labels, g.count])).toEqual([
      [{ service: 'agent', alertname: 'HighErrorRate' }, 2],
      [{ service: 'agent', alertname: 'HighLatency' }, 1],
      [{ service: 'index', alertname: 'DiskAlmostFull' }, 1],
    ]);
    expect(result.groups[0].fingerprints).toEqual([alerts[0]?.fingerprint, alerts[1]?.fingerprint].sort());
    expect(result.groups[0]).toMatchObject({
      startsAt: '2026-01-01T00:00:00Z',
      endsAt: '2026-01-01T00:13:00Z',
    });
  });

  it('groups by the labels given with --group-by', async () => {
    const { code, stdout } = await run(
      'correlate',
      '--alerts',
      fixture('list.json'),
      '--group-by',
      'service',
      '--json',
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.group_by).toEqual(['service']);
    expect(result.groups.map((g: { count: number }) => g.count)).toEqual([3, 1]);
  });

  it('opens a new incident after --gap quiet minutes', async () => {
    const args = ['correlate', '--alerts', fixture('list.json'), '--group-by', 'service', '--json'];
    const { stdout } = await run(...args, '--gap', '30');
    const spans = JSON.parse(stdout).groups.map((g: { labels: { service: string }; startsAt: string }) => [
      g.labels.service,
      g.startsAt,
    ]);
    expect(spans).toEqual([
      ['agent', '2026-01-01T00:00:00Z'],
      ['agent', '2026-01-01T01:00:00Z'],
      ['index', '2026-01-01T00:05:00Z'],
    ]);
  });

  it('reads {"alerts": [...]} as well as a bare list, skipping the other keys', async () => {
    const list = await run('correlate', '--alerts', fixture('list.json'), '--json');
    const wrapped = await run('correlate', '--alerts', fixture('wrapped.json'), '--json');
    expect(wrapped.code).toBe(0);
    expect(wrapped.stdout).toBe(list.stdout);
  });

  it('needs no fingerprint in the file: it is computed from the labels', async () => {
    const { code, stdout } = await run('correlate', '--alerts', fixture('no-fingerprint.json'), '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).groups[0].fingerprints).toEqual([alerts[0]?.fingerprint]);
  });

  it('prints a table of group labels, alert counts and time spans without --json', async () => {
    const { code, stdout } = await run('correlate', '--alerts', fixture('list.json'));
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('3 groups by service, alertname from 5 alerts (4 distinct)');
    expect(lines[1]).toMatch(/^service\s+alertname\s+alerts\s+from\s+to\s+minutes$/);
    expect(lines[2]).toMatch(
      /^agent\s+HighErrorRate\s+2\s+2026-01-01T00:00:00Z\s+2026-01-01T00:13:00Z\s+13$/,
    );
    expect(lines).toHaveLength(5);
  });
});

describe("Alertmanager's defaults for alerts without endsAt", () => {
  const spans = async (...flags: string[]) => {
    const file = fixture('still-firing.json');
    const { code, stdout, stderr } = await run('correlate', '--alerts', file, '--json', ...flags);
    expect([code, stderr]).toEqual([0, '']);
    return JSON.parse(stdout).groups.map((g: { labels: { service: string }; count: number }) => ({
      service: g.labels.service,
      ...g,
      labels: undefined,
      fingerprints: undefined,
    }));
  };

  it('takes a missing or zero endsAt as still firing for the resolve timeout (5 minutes) from startsAt', async () => {
    expect(await spans('--group-by', 'service')).toEqual([
      { service: 'agent', count: 2, startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-01-01T00:07:00Z' },
      { service: 'index', count: 2, startsAt: '2026-01-01T00:20:00Z', endsAt: '2026-01-01T00:30:00Z' },
    ]);
  });

  it('starts an alert without startsAt at its endsAt, and takes --resolve-timeout in minutes', async () => {
    const groups = await spans('--group-by', 'service', '--resolve-timeout', '30');
    expect(groups.map((g: { endsAt: string }) => g.endsAt)).toEqual([
      '2026-01-01T00:32:00Z',
      '2026-01-01T00:30:00Z',
    ]);
    // With a gap, the index alert that only has an endsAt opens its own incident at 00:30.
    const gapped = await spans('--group-by', 'service', '--gap', '1');
    expect(gapped.map((g: { service: string; startsAt: string }) => [g.service, g.startsAt])).toEqual([
      ['agent', '2026-01-01T00:00:00Z'],
      ['index', '2026-01-01T00:20:00Z'],
      ['index', '2026-01-01T00:30:00Z'],
    ]);
  });
});

describe('runbook storm', () => {
  it('writes the stock storm, which correlates into 5 incidents by service', async () => {
    const out = fixture('stock.json');
    const written = await run('storm', '--out', out);
    expect(written.code).toBe(0);
    expect(written.stdout).toBe('');
    expect(written.stderr).toContain(out);
    const { stdout } = await run('correlate', '--alerts', out, '--group-by', 'service', '--json');
    const result = JSON.parse(stdout);
    expect(result.posted).toBe(40);
    expect(result.groups).toHaveLength(5);
  });

  it('writes the same storm for the same flags, to a file or to stdout, and leaves no temporary file', async () => {
    const out = fixture('seeded.json');
    await run('storm', '--seed', '7', '--alerts', '300', '--services', '12', '--out', out);
    const printed = await run('storm', '--seed', '7', '--alerts', '300', '--services', '12');
    expect(printed.stdout).toBe(readFileSync(out, 'utf8'));
    expect(JSON.parse(printed.stdout)).toHaveLength(300);
    expect(readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('writes NDJSON, one alert a line, for --ndjson or an .ndjson name: the same alerts, the same groups', async () => {
    const list = await run('storm', '--seed', '7', '--alerts', '300', '--services', '12');
    const lines = await run('storm', '--seed', '7', '--alerts', '300', '--services', '12', '--ndjson');
    const alerts = JSON.parse(list.stdout) as unknown[];
    expect(lines.stdout.split('\n')).toEqual([...alerts.map((alert) => JSON.stringify(alert)), '']);
    const out = fixture('seeded.ndjson');
    await run('storm', '--seed', '7', '--alerts', '300', '--services', '12', '--out', out);
    expect(readFileSync(out, 'utf8')).toBe(lines.stdout);
    const listed = fixture('seeded-list.json');
    writeFileSync(listed, list.stdout);
    const asList = await run('correlate', '--alerts', listed, '--json');
    const asLines = await run('correlate', '--alerts', out, '--json');
    expect(asLines.stdout).toBe(asList.stdout);
  });

  it('writes a valid empty list for zero alerts', async () => {
    const { code, stdout } = await run('storm', '--alerts', '0');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([]);
  });
});

describe('bad input', () => {
  const rejects = async (args: string[], ...named: string[]) => {
    const { code, stderr, stdout } = await run(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    for (const name of named) expect(stderr).toContain(name);
    expect(stderr).not.toMatch(/\n\s+at /);
    return stderr;
  };

  it('names a missing file', async () => {
    await rejects(['correlate', '--alerts', fixture('nope.json')], fixture('nope.json'), 'no such file');
  });

  it('names a file that is not JSON', async () => {
    await rejects(['correlate', '--alerts', fixture('broken.json')], fixture('broken.json'), 'invalid JSON');
  });

  it('names the alert without labels', async () => {
    await rejects(
      ['correlate', '--alerts', fixture('no-labels.json')],
      fixture('no-labels.json'),
      'alerts[1].labels',
    );
  });

  it('names the alert with a timestamp that is not RFC3339', async () => {
    const file = fixture('bad-timestamp.json');
    await rejects(['correlate', '--alerts', file], file, 'alerts[2].startsAt', 'yesterday');
  });

  it('names a label whose value is not a string', async () => {
    const file = fixture('label-number.json');
    await rejects(['correlate', '--alerts', file], file, 'alerts[0].labels.alertname');
  });

  it('names a file that holds no list of alerts', async () => {
    await rejects(
      ['correlate', '--alerts', fixture('not-a-list.json')],
      fixture('not-a-list.json'),
      'alerts',
    );
    const file = fixture('alerts-not-a-list.json');
    await rejects(['correlate', '--alerts', file], file, 'alerts: must be a list');
  });

  it('names an alert with neither startsAt nor endsAt: a file has no moment of receipt to start it at', async () => {
    const file = fixture('no-times.json');
    await rejects(['correlate', '--alerts', file], file, 'alerts[1].startsAt', 'endsAt');
  });

  it('names a --resolve-timeout that is not a positive number of minutes', async () => {
    await rejects(
      ['correlate', '--alerts', fixture('list.json'), '--resolve-timeout', '0'],
      '--resolve-timeout',
    );
    await rejects(
      ['correlate', '--alerts', fixture('list.json'), '--resolve-timeout', '5m'],
      '--resolve-timeout',
    );
  });

  it('names a negative --gap and an empty --group-by', async () => {
    await rejects(['correlate', '--alerts', fixture('list.json'), '--gap', '-5'], '--gap');
    await rejects(['correlate', '--alerts', fixture('list.json'), '--group-by', ','], '--group-by');
  });

  it('names a storm --out whose directory does not exist, and writes nothing', async () => {
    const out = fixture('missing/storm.json');
    await rejects(['storm', '--out', out], out, '--out', 'no such directory');
  });

  it('rejects an unknown flag with exit code 2 and no stack trace', async () => {
    const { code, stderr } = await run('correlate', '--alerts', fixture('list.json'), '--no-such-flag');
    expect(code).toBe(2);
    expect(stderr).toContain('--no-such-flag');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
