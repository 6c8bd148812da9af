import { InputError } from '../toolkit/errors.js';
import { own } from '../toolkit/sli.js';
import type { Scenario } from './scenario.js';
import { sloAlertLabels } from './slo-alerts.js';

/**
 * The cross-references of a scenario's service that the schema alone cannot check: every SLI an
 * incident type names is declared, faults and play effects name each other, and every `match:` can
 * be carried by some alert the scenario sends (its storm, its listed alerts, its SLO alerts): a
 * ticket never opens an incident, it is linked to one, so it carries no match. A typo in a matcher is a mistake in the file (exit 2), not a failing gate.
 */

/** Labels an alert source can carry: a value of `ANY` stands for whatever value the source draws. */
type Carrier = Record<string, readonly string[] | typeof ANY>;
const ANY = Symbol('any value');

export function checkService(s: Scenario, file: string): void {
  const fail = (field: string, message: string) => new InputError(message, file, field);
  const declared = Object.keys(s.slos);
  s.incidentTypes.forEach((type, i) => {
    if (!own(s.slos, type.sli))
      throw fail(
        `incidentTypes[${i}].sli`,
        `unknown SLI ${JSON.stringify(type.sli)} (declared under slos: ${declared.join(', ')})`,
      );
  });
  const quality = declared.find((sli) => s.slos[sli]?.kind === 'quality');
  if (quality !== undefined && s.service.questions.length === 0)
    throw fail('service.questions', `must list at least one question: SLI ${quality} is of kind quality`);

  const faults = new Set<string>();
  s.faults.forEach((f, i) => {
    if (faults.has(f.name)) throw fail(`faults[${i}].name`, `duplicate fault ${JSON.stringify(f.name)}`);
    faults.add(f.name);
    if (f.until !== undefined && f.until <= f.at)
      throw fail(`faults[${i}].until`, `must be after its start (minute ${f.at})`);
    if (f.kind !== 'staleIndex' && f.errorRate === undefined && f.slowRate === undefined)
      throw fail(`faults[${i}]`, 'must state errorRate or slowRate: what the fault does to requests');
  });
  for (const [play, effect] of Object.entries(s.effects)) {
    if (play === 'rollback' || play === 'reindex')
      throw fail(`effects.${play}`, `${play} is a stock play; its effect is not declared`);
    effect.clears.forEach((f, j) => {
      if (!faults.has(f))
        throw fail(
          `effects.${play}.clears[${j}]`,
          `unknown fault ${JSON.stringify(f)} (faults: ${[...faults].join(', ') || 'none'})`,
        );
    });
  }
  checkMatches(s, fail);
}

/** Every label set the scenario's alerts and tickets can come with, one carrier per source. */
function carriers(s: Scenario): Carrier[] {
  const out: Carrier[] = [];
  if (s.storm.alerts > 0) {
    for (const service of s.storm.services) {
      out.push({ service: [service.name], alertname: service.alertnames, instance: ANY, severity: ANY });
    }
  }
  for (const listed of s.storm.listed) {
    out.push(Object.fromEntries(Object.entries(listed.labels).map(([k, v]) => [k, [v]])));
  }
  for (const [sli, slo] of Object.entries(s.slos)) {
    if (!slo.alerting.raise) continue;
    const labels = sloAlertLabels(s.service.name, sli, slo.alerting.name, 'page');
    out.push({
      ...Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, [v]])),
      severity: ANY,
      sloth_severity: ANY,
    });
  }
  return out;
}

function carries(carrier: Carrier, match: Record<string, string>): boolean {
  return Object.entries(match).every(([label, value]) => {
    const values = own(carrier, label);
    return values === ANY || values?.includes(value) === true;
  });
}

function checkMatches(s: Scenario, fail: (field: string, message: string) => InputError): void {
  const sources = carriers(s);
  if (sources.length === 0 || (s.storm.alerts === 0 && s.storm.listed.length === 0 && !raisesAny(s)))
    throw fail(
      'storm',
      'can open no incident: no storm alerts, no listed alerts and no SLO alert raised (state kind: on the slos to raise their alerts)',
    );
  s.incidentTypes.forEach((type, i) => {
    if (sources.some((carrier) => carries(carrier, type.match))) return;
    throw fail(
      `incidentTypes[${i}].match`,
      `no alert, SLO alert or ticket of this scenario carries ${Object.entries(type.match)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(', ')}`,
    );
  });
}

const raisesAny = (s: Scenario) => Object.values(s.slos).some((slo) => slo.alerting.raise);
