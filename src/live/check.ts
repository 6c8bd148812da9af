import { isLoopback, type ListenAddress } from './access.js';
import type { LiveConfig } from './config.js';
import { missingRoutingKey } from './notifiers.js';

/**
 * What `runbook serve --check` says besides "the file parses": what will not work when the server
 * runs with this configuration and these flags. Each finding names the field or the flag; `fails`
 * ones stop the server at start, the others let it run and go wrong later (an incident that
 * escalates at once, a journal that forgets everything on restart).
 */

export interface Finding {
  field: string;
  message: string;
  /** The server refuses to start with it. */
  fails: boolean;
}

export interface CheckContext {
  listen: ListenAddress;
  token: string | null;
  db: string | undefined;
}

export function checkServe(config: LiveConfig, ctx: CheckContext): Finding[] {
  const found: Finding[] = [];
  config.incidentTypes.forEach((type, i) => {
    type.runbook.forEach((step, j) => {
      if (step.play === 'rollback' && !config.deploy.rollback)
        found.push({
          field: `incidentTypes[${i}].runbook[${j}]`,
          message: `rollback calls deploy.rollback, which is not configured: the play fails and ${type.name} escalates`,
          fails: false,
        });
    });
    if (type.fix && !config.evals)
      found.push({
        field: `incidentTypes[${i}].fix`,
        message:
          'a fix is canaried on the eval endpoint, and evals.url is not configured: it is never shipped',
        fails: false,
      });
  });
  if (config.evalSet.length > 0 && !config.evals)
    found.push({
      field: 'evals',
      message: 'an eval set without evals.url: every deploy is refused',
      fails: false,
    });
  const missing = missingRoutingKey(config.notifiers);
  if (missing)
    found.push({ field: `notifiers[${missing.index}].routingKeyEnv`, message: missing.why, fails: true });
  if (config.notifiers.length === 0)
    found.push({
      field: 'notifiers',
      message: 'no notifiers: pages are journaled and sent nowhere',
      fails: false,
    });
  if (!isLoopback(ctx.listen.host) && ctx.token === null)
    found.push({
      field: '--listen',
      message: `${ctx.listen.host} is off loopback and there is no bearer token (--token-file or RUNBOOK_TOKEN): refused`,
      fails: true,
    });
  else if (ctx.token === null)
    found.push({
      field: '--token-file',
      message: 'no bearer token: any process on this machine may post alerts, acknowledge and deploy',
      fails: false,
    });
  if (ctx.db === undefined) found.push({ field: '--db', message: IN_MEMORY, fails: false });
  return found;
}

export const IN_MEMORY =
  'no --db: the journal is in memory, and every incident, page and acknowledgement is lost when the process stops';
