import { type Alert, DEFAULT_EPOCH, fingerprint, type Labels, minuteToTimestamp } from '../toolkit/alerts.js';
import { createRng } from '../toolkit/rng.js';

export interface StormService {
  name: string;
  /** The first one pages, the rest open tickets: a service's primary symptom is the one worth waking for. */
  alertnames: string[];
  /** Pods the alerts spread over (`pod-0` ..); default 4. */
  instances?: number;
}

export interface StormSpec {
  seed: number;
  alerts: number;
  startMinute: number;
  /** Start times fall in [startMinute, startMinute + spreadMinutes). */
  spreadMinutes: number;
  durationMinutes: number;
  services: StormService[];
  epoch?: string;
}

/** Pods a service's alerts spread over when it does not say. */
export const DEFAULT_INSTANCES = 4;

const STOCK_SERVICE_NAMES = ['agent', 'retrieval', 'index', 'gateway', 'billing'];
const STOCK_ALERTNAMES = [
  'SLOBurnRateHigh',
  'HighErrorRate',
  'HighLatency',
  'PodCrashLooping',
  'DiskAlmostFull',
  'IndexStale',
];

/**
 * `count` services with plausible names and three alertnames each; past the five stock names they are
 * `service-6`, `service-7` ... so a storm over ten thousand services needs no catalog.
 */
export function stockServices(count: number, instances = DEFAULT_INSTANCES): StormService[] {
  return Array.from({ length: count }, (_, i) => ({
    name: STOCK_SERVICE_NAMES[i] ?? `service-${i + 1}`,
    alertnames: [0, 1, 2].map((k) => STOCK_ALERTNAMES[(i + k) % STOCK_ALERTNAMES.length] ?? 'Unknown'),
    instances,
  }));
}

/** Section A of the stock shift: 40 alerts over 5 services, which correlate into 5 incidents by service. */
export const stockStorm: StormSpec = {
  seed: 32,
  alerts: 40,
  startMinute: 0,
  spreadMinutes: 30,
  durationMinutes: 20,
  services: stockServices(5),
};

function check(spec: StormSpec): void {
  if (!Number.isInteger(spec.alerts) || spec.alerts < 0)
    throw new RangeError(`alerts must be a whole number >= 0 (got ${spec.alerts})`);
  if (spec.alerts > 0 && spec.services.length === 0)
    throw new RangeError('a storm needs at least one service');
  for (const service of spec.services) {
    if (service.alertnames.length === 0) throw new RangeError(`service ${service.name} has no alertnames`);
    const instances = service.instances ?? DEFAULT_INSTANCES;
    if (!Number.isInteger(instances) || instances < 1)
      throw new RangeError(`service ${service.name}: instances must be a whole number >= 1`);
  }
  if (!(spec.spreadMinutes >= 0 && spec.durationMinutes >= 0))
    throw new RangeError('spreadMinutes and durationMinutes must be >= 0');
}

/**
 * A seeded alert storm, generated lazily so its size costs nothing up front. Services take turns
 * (alert i belongs to service i mod n), so every service alerts once there are at least as many
 * alerts as services; the alertname, the pod and the start minute are drawn from the seed. Severity
 * follows the alertname, so a re-drawn (alertname, service, pod) is the same label set: a duplicate
 * for Alertmanager to dedup, as re-sent alerts are.
 */
export function* generateStorm(spec: StormSpec): Generator<Alert> {
  check(spec);
  const rng = createRng(spec.seed);
  const alert = alertMaker(spec);
  const { services } = spec;
  for (let i = 0; i < spec.alerts; i++) {
    const service = services[i % services.length] as StormService;
    const which = rng.int(service.alertnames.length);
    const instance = rng.int(service.instances ?? DEFAULT_INSTANCES);
    yield alert(service, which, instance, spec.startMinute + rng.int(spec.spreadMinutes));
  }
}

/**
 * The same storm as `generateStorm`, in the order it arrives: by start minute, and within a minute in
 * the order generated. An online intake must see alerts as they fire. The draws are kept in typed
 * arrays (12 bytes an alert) and each alert is made as it is yielded, so a million-alert storm does
 * not hold a million alert objects; `lastStart` is known before the first alert is made.
 */
export function stormArrivals(spec: StormSpec): {
  lastStart: number | null;
  alerts(): Generator<{ at: number; alert: Alert }>;
} {
  check(spec);
  const rng = createRng(spec.seed);
  const { services } = spec;
  const n = spec.alerts;
  const which = new Uint32Array(n);
  const instance = new Uint32Array(n);
  const offset = new Uint32Array(n);
  let latest = -1;
  for (let i = 0; i < n; i++) {
    const service = services[i % services.length] as StormService;
    which[i] = rng.int(service.alertnames.length);
    instance[i] = rng.int(service.instances ?? DEFAULT_INSTANCES);
    offset[i] = rng.int(spec.spreadMinutes);
    latest = Math.max(latest, offset[i] as number);
  }
  // A counting sort by start minute keeps the generated order within each minute.
  const next = new Uint32Array(spec.spreadMinutes + 1);
  for (let i = 0; i < n; i++) (next[(offset[i] as number) + 1] as number)++;
  for (let m = 1; m <= spec.spreadMinutes; m++) next[m] = (next[m] as number) + (next[m - 1] as number);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const m = offset[i] as number;
    order[next[m] as number] = i;
    next[m] = (next[m] as number) + 1;
  }
  return {
    lastStart: latest < 0 ? null : spec.startMinute + latest,
    *alerts() {
      const alert = alertMaker(spec);
      for (const i of order) {
        const service = services[i % services.length] as StormService;
        const at = spec.startMinute + (offset[i] as number);
        yield { at, alert: alert(service, which[i] as number, instance[i] as number, at) };
      }
    },
  };
}

/** Makes the storm's alerts from their draws, formatting each timestamp and pod name once. */
function alertMaker(spec: StormSpec) {
  const epoch = spec.epoch ?? DEFAULT_EPOCH;
  // Storms reuse few distinct minutes; formatting each once keeps a million alerts cheap.
  const timestamps = new Map<number, string>();
  const timestamp = (minute: number): string => {
    let ts = timestamps.get(minute);
    if (ts === undefined) {
      ts = minuteToTimestamp(minute, epoch);
      timestamps.set(minute, ts);
    }
    return ts;
  };
  // Pod names too: a million `pod-${n}` would each format a number and allocate a string.
  const pods: string[] = [];
  const pod = (n: number): string => {
    pods[n] ??= `pod-${n}`;
    return pods[n];
  };
  return (service: StormService, which: number, instanceIndex: number, startsAt: number): Alert => {
    const alertname = service.alertnames[which] as string;
    const instance = pod(instanceIndex);
    // In name order, as Alertmanager sends label sets, which lets fingerprinting skip its sort.
    const labels: Labels = {
      alertname,
      instance,
      service: service.name,
      severity: which === 0 ? 'page' : 'ticket',
    };
    return {
      labels,
      annotations: { summary: `${alertname} on ${service.name} ${instance}` },
      startsAt: timestamp(startsAt),
      endsAt: timestamp(startsAt + spec.durationMinutes),
      fingerprint: fingerprint(labels),
    };
  };
}
