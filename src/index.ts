/**
 * runbook-machines as a library: run a scenario as a shift, score it, plug in plays.
 *
 *   import { loadScenario, runShift, gate, definePlay } from 'runbook-machines';
 */
export type { IncidentContext, IncidentEvent, IncidentInput, PlayRecord } from '../machines/incident.js';
export { incidentMachine } from '../machines/incident.js';
export type { ReleaseContext, ReleaseEvent, ReleaseInput } from '../machines/release.js';
export { releaseMachine } from '../machines/release.js';
export type { IncidentResult, ShiftOptions, ShiftResult } from './drill.js';
export { runShift, stormAlerts } from './drill.js';
export { InputError } from './errors.js';
export type { GateCheck, GateReport } from './gate.js';
export { gate } from './gate.js';
export { narrate } from './narrate.js';
export type { PlayInput, PlayLogic, PlayOps, PlayOutput, RunbookStep } from './plays.js';
export { definePlay, reindex, rollback, stockPlays } from './plays.js';
export type { Scenario } from './scenario.js';
export { loadScenario, parseScenario } from './scenario.js';
export type { TraceEntry } from './trace.js';
