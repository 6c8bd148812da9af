import type { Burn, SliLedger } from '../toolkit/slo.js';
import type { SliName } from './service.js';

/**
 * Minute-by-minute figures for the report's plots, read off the shift's SLO ledgers once it is over:
 * each typed incident's SLI, burns and budget on its own span, and every SLO's error budget over the
 * whole shift. Kept apart from the drill, which only hands over its ledgers.
 */

export interface SeriesPoint {
  t: number;
  sli: number;
  /** The share of the 30-day error budget left (negative once overspent). */
  budget: number;
  /** The burn over every alerting window, so the fast, slow and ticket pairs can all be drawn. */
  burn: Burn;
}

export interface IncidentSeries {
  incident: string;
  sli: SliName;
  objective: number;
  points: SeriesPoint[];
}

export interface BudgetSeries {
  sli: SliName;
  objective: number;
  /** Minutes between points (the whole shift is sampled to at most BUDGET_POINTS points). */
  step: number;
  points: { t: number; remaining: number }[];
}

/** What the series needs of an incident: its SLI and the minutes that bound its story. */
export interface SeriesIncident {
  id: string;
  sli: SliName;
  startsAt: number;
  milestones: { onset?: number; detected?: number; resolved?: number; escalated?: number };
}

/** Minutes shown before the onset (the burn windows fill up) and after the close (the SLI holds). */
const LEAD_MINUTES = 60;
const TAIL_MINUTES = 30;
const BUDGET_POINTS = 720;

const round = (x: number) => Math.round(x * 10000) / 10000;

function pointAt(ledger: SliLedger, objective: number, t: number): SeriesPoint {
  const burn = ledger.burnAt(t, objective);
  for (const key of Object.keys(burn) as (keyof Burn)[]) burn[key] = round(burn[key]);
  return { t, sli: round(ledger.sli(t)), budget: round(ledger.budgetRemaining(t, objective)), burn };
}

/** Each incident's series, from an hour before its onset to half an hour after it closed. */
export function incidentSeries(
  incidents: readonly SeriesIncident[],
  ledgers: Record<SliName, SliLedger>,
  objectives: Record<SliName, number>,
  minutes: { start: number; end: number },
): IncidentSeries[] {
  return incidents.map((incident) => {
    const m = incident.milestones;
    const opened = m.onset ?? m.detected ?? incident.startsAt;
    const closed = m.resolved ?? m.escalated ?? minutes.end;
    const from = Math.max(minutes.start, opened - LEAD_MINUTES);
    const to = Math.min(minutes.end, closed + TAIL_MINUTES);
    const points: SeriesPoint[] = [];
    for (let t = from; t <= to; t++)
      points.push(pointAt(ledgers[incident.sli] as SliLedger, objectives[incident.sli] as number, t));
    return {
      incident: incident.id,
      sli: incident.sli,
      objective: objectives[incident.sli] as number,
      points,
    };
  });
}

/** Every SLO's error budget left over the whole shift, sampled evenly, its last minute included. */
export function budgetSeries(
  ledgers: Record<SliName, SliLedger>,
  objectives: Record<SliName, number>,
  minutes: { start: number; end: number },
): BudgetSeries[] {
  const step = Math.max(1, Math.ceil((minutes.end - minutes.start) / BUDGET_POINTS));
  return (Object.keys(ledgers) as SliName[]).map((sli) => {
    const points: BudgetSeries['points'] = [];
    for (let t = minutes.start; ; t = Math.min(t + step, minutes.end)) {
      points.push({
        t,
        remaining: round((ledgers[sli] as SliLedger).budgetRemaining(t, objectives[sli] as number)),
      });
      if (t === minutes.end) break;
    }
    return { sli, objective: objectives[sli] as number, step, points };
  });
}
