import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../src/toolkit/package-files.js';
import { loadScenario } from '../../src/world/scenario.js';
import { asEvalCase } from '../../src/world/service.js';
import { ALERTMANAGER, getJson, Parts, PROMETHEUS, ports, postJson, until } from './parts.js';

/**
 * One live game day story, all real and on loopback: the example service (releases from a scenario
 * file), Debian's Prometheus scraping it every second with the rules `runbook rules --time-scale N`
 * writes, Debian's Alertmanager routing their alerts to `runbook serve --time-scale N`, whose
 * runbook rolls back through the service's deploy API and whose canary asks its eval endpoint.
 *
 * The story: deploy v3 through the engine; wait for the burn alert in Prometheus, the incident it
 * opens through Alertmanager and its page; acknowledge it through the API; then watch the engine
 * roll back, write the postmortem, canary the fix against live and promote or reject it, and verify.
 * Every fact it returns was read from the parts' own APIs: the engine's incident and trace,
 * Prometheus' alerts and queries, the service's release history.
 */

export interface StoryOptions {
  /** The service's releases: `stock-shift.yaml` (v3-fix fixes) or `broken-fix.yaml` (it does not). */
  scenario: string;
  dir: string;
  timeScale: number;
  /** Narration, one line per step, as it happens. */
  say: (line: string) => void;
}

interface IncidentView {
  id: string;
  state: string;
  severity: string | null;
  labels: Record<string, string>;
  milestones: Record<string, number | undefined>;
  plays: { play: string; outcome: string; detail: string; startedAt: number }[];
  postmortem: { accepted: boolean; regressionCases: string[]; markdown: string } | null;
  ship: { candidate: string | null; verdict: string; reasons: string[]; live: string } | null;
  trace: { t: number; from: string | null; event: string; to: string }[];
}

/** A moment of the story: when it happened, in real seconds since the engine started and in engine minutes. */
export interface Moment {
  seconds: number;
  minute: number;
  what: string;
}

export interface StoryResult {
  scenario: string;
  deploy: { verdict: string; live: string };
  /** When Prometheus first reported the page alert firing. */
  alertFiredAt: Moment;
  incident: IncidentView;
  /** The service's own release history, as its API reports it. */
  serviceReleases: { release: string; via: string }[];
  /** The SLI Prometheus computes over the last 3 engine minutes, at the end. */
  finalSli: number;
  timeline: Moment[];
}

const RULES_SLO = 'examples/slo/agent-slo.yaml';
const SERVICE = 'dist/examples/agent-service/server.js';
const CLI = 'bin/runbook.cjs';
/** Requests a second the service serves: at 60x, that many an engine minute. */
const REQUESTS_PER_SECOND = 60;

/**
 * PromQL for one engine minute's counts: a rate over three engine minutes (at least three scrapes),
 * per engine minute. A longer window would smooth the rollback's recovery past the settle window.
 */
function perEngineMinute(selector: string, timeScale: number): string {
  const windowMs = (3 * 60_000) / timeScale;
  return `sum(rate(${selector}[${windowMs}ms])) * ${60 / timeScale}`;
}

function prometheusConfig(service: number, alertmanager: number, rules: string, timeScale: number): string {
  const interval = `${Math.max(1, Math.round(60_000 / timeScale / 1000))}s`;
  return `global:
  scrape_interval: ${interval}
  evaluation_interval: ${interval}
rule_files: [${JSON.stringify(rules)}]
scrape_configs:
  - job_name: agent
    static_configs: [{ targets: ["127.0.0.1:${service}"] }]
alerting:
  alertmanagers:
    - static_configs: [{ targets: ["127.0.0.1:${alertmanager}"] }]
`;
}

function alertmanagerConfig(serve: number): string {
  return `route:
  receiver: runbook
  group_by: [service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: runbook
    webhook_configs:
      - url: http://127.0.0.1:${serve}/webhook/alertmanager
        send_resolved: true
`;
}

/** The engine's configuration for the story: the stock incident type, live, calling the service. */
function serveConfig(service: string, prometheus: string, timeScale: number): string {
  const stock = loadScenario(join(packageRoot(), 'scenarios', 'stock-shift.yaml'));
  const ids = new Set(stock.service.evalSet ?? []);
  const evalSet = stock.service.questions.filter((q) => ids.has(q.id)).map(asEvalCase);
  const hook = (path: string) => ({ play: 'http', with: { url: `${service}${path}`, timeoutSeconds: 5 } });
  const config = {
    name: 'gameday',
    description: 'The stock shift live: a bad deploy, a page, a rollback, a postmortem and a canaried fix.',
    sloSpec: join(packageRoot(), RULES_SLO),
    service: { name: 'agent', requestsPerMinute: REQUESTS_PER_SECOND },
    release: 'v2',
    groupBy: ['service'],
    resolveTimeoutMinutes: 5,
    oncall: { roster: ['Alice Chen', 'Bob Okafor', 'Carmen Diaz'] },
    incidentTypes: [
      {
        name: 'quality-regression',
        match: { alertname: 'AgentAnswerQualityBurn' },
        sli: 'quality',
        runbook: [{ play: 'rollback', timeout: 5 }],
        settleMinutes: 8,
        verifyMinutes: 10,
        fix: { candidate: 'v3-fix' },
      },
    ],
    postmortem: stock.postmortem,
    deploy: { rollback: hook('/rollback'), promote: hook('/deploy') },
    evals: { url: `${service}/eval`, wrongAnswersUrl: `${service}/wrong-answers`, timeoutSeconds: 5 },
    evalSet,
    prometheus: {
      url: prometheus,
      // Twice an engine minute, so no minute is missed; a minute read twice is counted once.
      intervalSeconds: 30,
      timeoutSeconds: 2,
      queries: {
        quality: {
          errors: perEngineMinute('agent_answers_total{outcome="wrong"}', timeScale),
          total: perEngineMinute('agent_answers_total', timeScale),
        },
      },
    },
  };
  return JSON.stringify(config, null, 2);
}

export async function runStory(options: StoryOptions): Promise<StoryResult> {
  const { dir, say } = options;
  const parts = new Parts(dir);
  try {
    return await tell(parts, options);
  } catch (error) {
    for (const name of ['serve', 'service', 'prometheus', 'alertmanager'])
      say(`--- ${name}, last lines ---\n${parts.logOf(name)}`);
    throw error;
  } finally {
    await parts.stopAll();
  }
}

/** Where the parts answer, once all are up. */
interface Urls {
  service: string;
  prometheus: string;
  serve: string;
}

/** Writes the rules and the configurations, then starts the four parts on free loopback ports. */
async function startParts(parts: Parts, options: StoryOptions): Promise<Urls> {
  const { timeScale } = options;
  const [servicePort, promPort, amPort, servePort] = (await ports(4)) as [number, number, number, number];
  const rules = join(parts.dir, 'rules.yaml');
  await promisify(execFile)(
    process.execPath,
    [CLI, 'rules', '--slo', RULES_SLO, '--time-scale', String(timeScale), '--out', rules],
    { cwd: packageRoot() },
  );
  const service = await parts.start(
    'service',
    process.execPath,
    [
      SERVICE,
      '--port',
      String(servicePort),
      '--scenario',
      join('scenarios', options.scenario),
      '--requests-per-second',
      String(REQUESTS_PER_SECOND),
    ],
    /"url":"(http:[^"]+)"/,
  );
  const prometheus = `http://127.0.0.1:${promPort}`;
  await Promise.all([
    parts.start(
      'prometheus',
      PROMETHEUS,
      [
        `--config.file=${parts.file('prometheus.yml', prometheusConfig(servicePort, amPort, rules, timeScale))}`,
        `--storage.tsdb.path=${join(parts.dir, 'prometheus-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--rules.alert.resend-delay=1s',
      ],
      /Server is ready to receive web requests/,
    ),
    parts.start(
      'alertmanager',
      ALERTMANAGER,
      [
        `--config.file=${parts.file('alertmanager.yml', alertmanagerConfig(servePort))}`,
        `--storage.path=${join(parts.dir, 'alertmanager-data')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        '--cluster.listen-address=',
      ],
      /Listening|listening/,
    ),
  ]);
  const serve = await parts.start(
    'serve',
    process.execPath,
    [
      CLI,
      'serve',
      '--config',
      parts.file('gameday.json', serveConfig(service, prometheus, timeScale)),
      '--db',
      join(parts.dir, 'gameday.db'),
      '--listen',
      `127.0.0.1:${servePort}`,
      '--time-scale',
      String(timeScale),
    ],
    /Server listening at (http:\/\/127\.0\.0\.1:\d+)/,
  );
  return { service, prometheus, serve };
}

/**
 * The story's clock: real seconds since the engine started and the engine's minute (from its epoch
 * and time scale, as `/readyz` gives them). `mark` notes a moment and narrates it.
 */
class Timeline {
  readonly moments: Moment[] = [];
  private readonly started = performance.now();
  private readonly startedAt = Date.now();

  constructor(
    private readonly epochMs: number,
    private readonly timeScale: number,
    private readonly say: (line: string) => void,
  ) {}

  mark(what: string): Moment {
    const m: Moment = {
      seconds: Math.round((performance.now() - this.started) / 100) / 10,
      minute: Math.floor(((Date.now() - this.epochMs) * this.timeScale) / 60_000),
      what,
    };
    this.moments.push(m);
    this.say(`${m.seconds.toFixed(1).padStart(6)} s  min ${String(m.minute).padStart(4)}  ${what}`);
    return m;
  }

  /** Real seconds at the start of an engine minute: where the engine's own transitions go. */
  secondsAt(minute: number): number {
    return Math.round((this.epochMs + (minute * 60_000) / this.timeScale - this.startedAt) / 100) / 10;
  }
}

/** Polls Prometheus until its page alert for the SLO fires. */
function pageAlertFiring(prometheus: string, timeline: Timeline): Promise<Moment> {
  return until(
    'the page alert in Prometheus',
    async () => {
      const { data } = await getJson<{
        data: { alerts: { labels: Record<string, string>; state: string }[] };
      }>(`${prometheus}/api/v1/alerts`);
      const page = data.alerts.find(
        (a) =>
          a.labels.alertname === 'AgentAnswerQualityBurn' &&
          a.labels.sloth_severity === 'page' &&
          a.state === 'firing',
      );
      return page ? timeline.mark('Prometheus: AgentAnswerQualityBurn (sloth_severity=page) firing') : null;
    },
    120_000,
  );
}

async function tell(parts: Parts, options: StoryOptions): Promise<StoryResult> {
  const { timeScale } = options;
  const { service, prometheus, serve } = await startParts(parts, options);
  const { clock } = await getJson<{ clock: { epoch: string } }>(`${serve}/readyz`);
  const timeline = new Timeline(Date.parse(clock.epoch), timeScale, options.say);
  timeline.mark(
    `all parts up: service on v2 (${options.scenario}), Prometheus, Alertmanager, runbook serve --time-scale ${timeScale}`,
  );

  // A few healthy engine minutes first: the SLI's windows have a baseline.
  await new Promise((r) => setTimeout(r, (8 * 60_000) / timeScale));
  const deploy = await postJson<{ verdict: string; live: string; reasons: string[] }>(
    `${serve}/api/deploys`,
    { candidate: 'v3' },
  );
  timeline.mark(
    `deploy v3 through the engine: canary ${deploy.verdict} (${deploy.reasons.join('; ') || 'no reasons'})`,
  );
  await until(
    'the service to run v3',
    async () => ((await getJson<{ live: string }>(`${service}/release`)).live === 'v3' ? true : null),
    10_000,
  );
  timeline.mark('the deploy hook put v3 live on the service');
  const alertFiredAt = await pageAlertFiring(prometheus, timeline);

  const paged = await until(
    'an incident paged by the engine',
    async () => {
      const { incidents } = await getJson<{ incidents: { id: string; state: string; severity: string }[] }>(
        `${serve}/api/incidents`,
      );
      return incidents.find((i) => i.state === 'page') ?? null;
    },
    90_000,
  );
  timeline.mark(`engine: ${paged.id} paged ${paged.severity} (alert in through Alertmanager's webhook)`);
  await postJson(`${serve}/api/incidents/${paged.id}/ack`, { by: 'Alice Chen' });
  timeline.mark(`acknowledged ${paged.id} through the API (Alice Chen)`);

  const incident = await until(
    'the incident to finish',
    async () => {
      const view = await getJson<IncidentView>(`${serve}/api/incidents/${paged.id}`);
      return view.state === 'resolved' || view.state === 'escalated' ? view : null;
    },
    180_000,
  );
  timeline.mark(`engine: ${incident.id} ${incident.state}`);
  const { history } = await getJson<{ history: { release: string; via: string }[] }>(`${service}/release`);
  const wrong = perEngineMinute('agent_answers_total{outcome="wrong"}', timeScale);
  const total = perEngineMinute('agent_answers_total', timeScale);
  const sli = await getJson<{ data: { result: { value: [number, string] }[] } }>(
    `${prometheus}/api/v1/query?query=${encodeURIComponent(`1 - (${wrong}) / (${total})`)}`,
  );
  // The engine's own moments, from its trace, placed at the start of their engine minute.
  const engineMoments = incident.trace.map((e) => ({
    seconds: timeline.secondsAt(e.t),
    minute: e.t,
    what: `engine trace: ${incident.id} ${e.from ?? '(new)'} -> ${e.to} on ${e.event}`,
  }));
  return {
    scenario: options.scenario,
    deploy: { verdict: deploy.verdict, live: deploy.live },
    alertFiredAt,
    incident,
    serviceReleases: history.map(({ release, via }) => ({ release, via })),
    finalSli: Number(sli.data.result[0]?.value[1] ?? Number.NaN),
    timeline: [...timeline.moments, ...engineMoments].sort(
      (a, b) => a.minute - b.minute || a.seconds - b.seconds,
    ),
  };
}

/**
 * What the story must show, checked on what the parts reported: with a good fix, the page, the
 * acknowledgement, the rollback, the postmortem and its regression case, the fix promoted and live,
 * the SLI held and the incident resolved; with a broken fix, the canary's rejection, and the fix
 * never live on the service. Each failed check is one line naming what was seen instead.
 */
export function storyFindings(result: StoryResult, fixWorks: boolean): string[] {
  const { incident, serviceReleases } = result;
  const findings: string[] = [];
  const expect = (ok: boolean, what: string, seen: unknown) => {
    if (!ok) findings.push(`${what}: saw ${JSON.stringify(seen)}`);
  };
  expect(result.deploy.verdict === 'promote', 'v3 passes its canary and goes live', result.deploy);
  expect(
    incident.severity === 'sev1' && incident.milestones.paged !== undefined,
    'the incident paged sev1',
    incident.severity,
  );
  expect(incident.milestones.acknowledged !== undefined, 'the page was acknowledged', incident.milestones);
  const rollback = incident.plays.find((p) => p.play === 'rollback');
  expect(rollback?.outcome === 'recovered', 'the rollback restored the SLI', rollback);
  expect(
    incident.postmortem?.accepted === true && (incident.postmortem?.regressionCases.length ?? 0) > 0,
    'a blameless postmortem with a regression case',
    incident.postmortem && { ...incident.postmortem, markdown: undefined },
  );
  const fixLive = serviceReleases.some((r) => r.release === 'v3-fix');
  if (fixWorks) {
    expect(
      incident.ship?.verdict === 'promote' && incident.ship.live === 'v3-fix',
      'the fix promoted',
      incident.ship,
    );
    expect(serviceReleases.at(-1)?.release === 'v3-fix', 'v3-fix live on the service', serviceReleases);
    expect(result.finalSli >= 0.99, 'the SLI held at its objective', result.finalSli);
    expect(incident.state === 'resolved', 'the incident resolved', incident.state);
  } else {
    expect(incident.ship?.verdict === 'reject', 'the broken fix rejected by the canary', incident.ship);
    expect(!fixLive, 'the broken fix never live on the service', serviceReleases);
  }
  return findings;
}
