import type { CommandContext, CommandModule } from './command.js';

/**
 * `runbook replay RUN --db FILE --with OVERLAY.yaml`: what the recorded run would have done under
 * changed settings (replay-run.ts), and `--sweep PATH=V1,V2,...`: one row per value.
 */

interface ReplayFlags {
  db: string;
  with?: string;
  sweep?: string;
  json?: boolean;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export const registerReplay: CommandModule = (program, ctx: CommandContext) => {
  program
    .command('replay')
    .description(
      'Replay a recorded run (drill --db or serve --db) under changed settings and show what would have happened differently.',
    )
    .argument('<run>', 'the run id, as `runbook runs` lists it (e.g. run-1)')
    .requiredOption(
      '--db <file|url>',
      'the journal the run is in (SQLite file or postgres:// URL); read only',
    )
    .option(
      '--with <overlay.yaml>',
      "the settings to change, laid on the run's own as extends: lays a mutation",
    )
    .option(
      '--sweep <path=values>',
      'replay once per value of one setting, e.g. alerting.policy[0].threshold=10,14.4,20',
    )
    .option('--json', 'print JSON on stdout (and only JSON)')
    .addHelpText(
      'after',
      `
The journal is read, never written. A drill's replay takes the storm, the tickets and the deploys from
the journal and lets the simulated world answer again (SLI counts, canary evidence, on-call's
acknowledgements); a live run's takes every world input from the journal, people's acknowledgements
included. Plays give back their recorded reports by idempotency key; a play the record lacks runs
against the simulated world (drill) or is reported unknown (live). See docs/replay-and-why.md.

Examples:
  runbook replay run-1 --db shifts.db --with stricter-paging.yaml
  runbook replay run-1 --db shifts.db --with looser-canary.yaml --json
  runbook replay run-1 --db shifts.db --sweep 'alerting.policy[0].threshold=10,14.4,20'`,
    )
    .action(async (run: string, flags: ReplayFlags) => {
      const { prepareReplay, readOverlay, parseSweep, withValue, sweepRow } = await import('./replay-run.js');
      const { overlay } = await import('../world/scenario.js');
      const { diffText } = await import('../views/replay-diff.js');
      const over = flags.with ? readOverlay(flags.with) : { file: '(the run itself)', mapping: {} };
      const sweep = flags.sweep ? parseSweep(flags.sweep) : null;
      const prepared = await prepareReplay(flags.db, run);
      if (sweep) {
        const settings = overlay(prepared.base, over.mapping);
        const rows = [];
        for (const value of sweep.values) {
          const outcome = await prepared.under(
            withValue(settings, sweep.path, value),
            flags.with ?? '--sweep',
          );
          rows.push(sweepRow(value, outcome));
        }
        if (flags.json) {
          ctx.io.out(json({ run, path: sweep.path, rows }));
          return;
        }
        const lines = [`${sweep.path.padEnd(12)}  pages  MTTD      missed pages   extra pages`];
        for (const r of rows)
          lines.push(
            `${String(r.value).padEnd(12)}  ${String(r.pages).padEnd(5)}  ${(r.mttd === null ? 'n/a' : `${r.mttd} min`).padEnd(8)}  ${(r.missed.join(', ') || '-').padEnd(13)}  ${r.extra.join(', ') || '-'}`,
          );
        ctx.io.out(`${lines.join('\n')}\n`);
        return;
      }
      const outcome = await prepared.under(over.mapping, over.file);
      const unknown = outcome.after.replayed.sources.filter((s) => s.source !== 'recorded');
      if (flags.json) {
        ctx.io.out(
          json({
            run,
            kind: outcome.kind,
            matchesRecord: outcome.matchesRecord,
            worldDiverged: outcome.after.replayed.worldDiverged,
            notRecorded: unknown,
            diff: outcome.diff,
          }),
        );
        return;
      }
      const head: string[] = [`runbook replay ${run} (${outcome.kind}) with ${over.file}`];
      if (outcome.matchesRecord === false)
        head.push(
          'warning: replayed under its own settings, the run does not give its stored result (was the engine changed since?)',
        );
      const diverged = outcome.after.replayed.worldDiverged;
      if (diverged)
        head.push(
          `the world's inputs part from the record at minute ${diverged.minute}: the record has ${diverged.recorded}, the replay ${diverged.replayed}`,
        );
      for (const s of unknown)
        head.push(
          s.source === 'unknown'
            ? `unknown: ${s.play} under ${s.key} (min ${s.startedAt}) is not in the record; its branch is a guess`
            : `not in the record: ${s.play} under ${s.key} (min ${s.startedAt}) ran against the simulated world`,
        );
      ctx.io.out(`${head.join('\n')}\n\n${diffText(outcome.diff)}`);
    });
};
