/**
 * runbook-machines as a library: run a scenario as a shift, score it, plug in plays.
 *
 *   import { loadScenario, runShift, gate, definePlay } from 'runbook-machines';
 */
export type { IncidentContext, IncidentEvent, IncidentInput, PlayRecord } from '../machines/incident.js';
export { incidentMachine } from '../machines/incident.js';
export type { ReleaseContext, ReleaseEvent, ReleaseInput } from '../machines/release.js';
export { releaseMachine } from '../machines/release.js';
export type { PlayInput, PlayLogic, PlayOps, PlayOutput, RunbookStep } from './engine/plays.js';
export { definePlay, reindex, rollback, stockPlays } from './engine/plays.js';
export type { TraceEntry } from './engine/trace.js';
export { InputError } from './toolkit/errors.js';
export type { GateCheck, GateReport } from './views/gate.js';
export { gate } from './views/gate.js';
export { narrate } from './views/narrate.js';
export type { IncidentResult, ShiftOptions, ShiftResult } from './world/drill.js';
export { runShift, stormAlerts } from './world/drill.js';
export type { Scenario } from './world/scenario.js';
export { loadScenario, parseScenario } from './world/scenario.js';
