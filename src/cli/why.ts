import type { EngineConfig } from '../engine/config.js';
import { InputError } from '../toolkit/errors.js';
import type { ShiftResult } from '../world/result.js';
import type { CommandContext, CommandModule } from './command.js';

/**
 * `runbook why RUN INC-5 [--at MINUTE] --db FILE`: every decision the machines made about one
 * incident, with the guard, its inputs and the thresholds (src/views/why.ts). Read from a recorded
 * run replayed read-only (the replay is checked to be the record), or from a scenario drilled in
 * memory when no --db is given.
 */

interface WhyFlags {
  db?: string;
  at?: string;
  json?: boolean;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

async function source(
  run: string,
  db: string | undefined,
): Promise<{ result: ShiftResult; config: EngineConfig }> {
  if (db) {
    const { prepareReplay } = await import('./replay-run.js');
    const prepared = await prepareReplay(db, run);
    return { result: prepared.before.result, config: prepared.config };
  }
  const { loadScenario } = await import('../world/scenario.js');
  const { runShift, engineConfig } = await import('../world/drill.js');
  const scenario = loadScenario(run);
  return { result: await runShift(scenario, { file: run }), config: engineConfig(scenario) };
}

export const registerWhy: CommandModule = (program, ctx: CommandContext) => {
  program
    .command('why')
    .description(
      'Say why each page, ticket, escalation, play, promotion and rejection of an incident happened.',
    )
    .argument('<run>', 'the run id with --db (e.g. run-1), else a scenario file to drill in memory')
    .argument('<incident>', 'the incident, e.g. INC-5')
    .option('--db <file|url>', 'the journal the run is in (SQLite file or postgres:// URL); read only')
    .option('--at <minute>', 'also say where the incident stood at this minute and what its SLO said')
    .option('--json', 'print JSON on stdout (and only JSON)')
    .addHelpText(
      'after',
      '\nExamples:\n  runbook why run-1 INC-5 --db shifts.db\n  runbook why run-1 INC-5 --db shifts.db --at 4360 --json\n  runbook why scenarios/stock-shift.yaml INC-5',
    )
    .action(async (run: string, id: string, flags: WhyFlags) => {
      const at = flags.at === undefined ? null : Number(flags.at);
      if (at !== null && !(Number.isInteger(at) && at >= 0))
        throw new InputError(
          `must be a whole minute >= 0, not ${JSON.stringify(flags.at)}`,
          undefined,
          '--at',
        );
      const { decisionsOf, standingAt } = await import('../engine/why.js');
      const { result, config } = await source(run, flags.db);
      const incident = result.incidents.find((i) => i.id === id);
      if (!incident)
        throw new InputError(
          `no incident ${id} in this run (incidents: ${result.incidents.map((i) => i.id).join(', ') || 'none'})`,
          flags.db ?? run,
          'INCIDENT',
        );
      const sli = config.incidentTypes.find((t) => t.name === incident.type)?.sli;
      const settings = {
        alerting: config.alerting,
        canary: config.canary,
        escalation: config.escalation,
        objective: sli === undefined ? 0 : (config.objectives[sli] ?? 0),
      };
      const all = decisionsOf(incident, result.trace, settings);
      const decisions = at === null ? all : all.filter((d) => d.t <= at);
      const point = result.incidentSeries.find((s) => s.incident === id)?.points.find((p) => p.t === at);
      const standing = at === null ? null : standingAt(id, result.trace, at, point, settings);
      if (flags.json) {
        ctx.io.out(
          json({
            incident: id,
            state: incident.state,
            decisions,
            ...(standing ? { at: { minute: at, ...standing } } : {}),
          }),
        );
        return;
      }
      const lines = [`${id} (${incident.type || 'untyped'} on ${incident.service}): ${incident.state}`];
      for (const d of decisions) {
        lines.push(`min ${d.t}  ${d.kind}: ${d.because}`);
        lines.push(`          guard: ${d.guard}${d.transition ? `; transition: ${d.transition}` : ''}`);
      }
      if (decisions.length === 0)
        lines.push('  no decision was made about it (it was looked at and went back to watching)');
      if (standing) lines.push('', standing.because);
      ctx.io.out(`${lines.join('\n')}\n`);
    });
};
