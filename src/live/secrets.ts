import type { LiveConfig } from './config.js';

/**
 * What `runbook serve` must not repeat: credentials in URLs (a query's values, `user:password@`),
 * header values (an `Authorization`, an API key) and PagerDuty routing keys. Answers, log lines and
 * plays' details show URLs with those parts masked; the journal keeps the configuration with every
 * secret replaced by a reference to where the running file has it, and a resumed run takes the
 * values from the file as it is now.
 */

export const REDACTED = '<redacted>';

/** A URL with its query values and its user information masked; text that is no URL, as it is. */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (url.username) url.username = 'redacted';
  if (url.password) url.password = 'redacted';
  for (const key of [...new Set(url.searchParams.keys())]) url.searchParams.set(key, 'redacted');
  return url.toString();
}

/** Every http(s) URL inside `text` (an error message, a detail) masked. */
export function redactUrls(text: string): string {
  return text.replace(/https?:\/\/[^\s"'<>]+/g, (match) => redactUrl(match));
}

const maskHeaders = (headers: Record<string, string> | undefined, where: string) =>
  headers &&
  Object.fromEntries(Object.keys(headers).map((name) => [name, `${REDACTED} (${where}.headers.${name})`]));

/** `with:` of a step or hook with its URL and header values masked. */
function maskSettings(settings: unknown, where: string): unknown {
  if (typeof settings !== 'object' || settings === null) return settings;
  const s = settings as { url?: unknown; headers?: Record<string, string> };
  return {
    ...s,
    ...(typeof s.url === 'string' ? { url: redactUrl(s.url) } : {}),
    ...(s.headers ? { headers: maskHeaders(s.headers, where) } : {}),
  };
}

/** The configuration as the journal keeps it: every secret a reference to where the file holds it. */
export function storedConfig(config: LiveConfig): LiveConfig {
  return {
    ...config,
    incidentTypes: config.incidentTypes.map((type, i) => ({
      ...type,
      runbook: type.runbook.map((step, j) =>
        step.with === undefined
          ? step
          : { ...step, with: maskSettings(step.with, `incidentTypes[${i}].runbook[${j}].with`) },
      ),
    })) as LiveConfig['incidentTypes'],
    deploy: Object.fromEntries(
      Object.entries(config.deploy).map(([name, hook]) => [
        name,
        hook && { ...hook, with: maskSettings(hook.with, `deploy.${name}.with`) },
      ]),
    ) as LiveConfig['deploy'],
    notifiers: config.notifiers.map((n, i) => ({
      ...n,
      url: redactUrl(n.url),
      ...(n.type === 'webhook' ? { headers: maskHeaders(n.headers, `notifiers[${i}]`) ?? {} } : {}),
      ...(n.type === 'pagerduty' && n.routingKey
        ? { routingKey: `${REDACTED} (notifiers[${i}].routingKey)` }
        : {}),
    })) as LiveConfig['notifiers'],
    ...(config.evals
      ? {
          evals: {
            ...config.evals,
            url: redactUrl(config.evals.url),
            ...(config.evals.wrongAnswersUrl
              ? { wrongAnswersUrl: redactUrl(config.evals.wrongAnswersUrl) }
              : {}),
          },
        }
      : {}),
    ...(config.prometheus
      ? { prometheus: { ...config.prometheus, url: redactUrl(config.prometheus.url) } }
      : {}),
  };
}

/**
 * A stored configuration with its runbook steps' settings taken from the file as it is now, where
 * the same incident type has the same play at the same step: the secrets the journal does not keep.
 */
export function withCurrentSecrets(stored: LiveConfig, current: LiveConfig): LiveConfig {
  return {
    ...stored,
    incidentTypes: stored.incidentTypes.map((type) => {
      const now = current.incidentTypes.find((t) => t.name === type.name);
      return {
        ...type,
        runbook: type.runbook.map((step, j) => {
          const same = now?.runbook[j];
          return same && same.play === step.play && same.with !== undefined
            ? { ...step, with: same.with }
            : step;
        }),
      };
    }) as LiveConfig['incidentTypes'],
  };
}
