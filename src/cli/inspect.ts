import { loadPlays } from '../engine/load-plays.js';
import { InputError } from '../toolkit/errors.js';
import { stockScenario } from '../toolkit/package-files.js';
import { STATELY_URL } from '../views/inspector/listen.js';
import type { Scenario } from '../world/scenario.js';
import type { CommandContext, CommandModule } from './command.js';
import { numberFlag, pathFlag } from './options.js';

interface InspectFlags {
  scenario?: string;
  plays?: string;
  port: number;
  speed: number;
  autorun: boolean;
  stately?: boolean;
  statelyUrl: string;
  run?: string;
  db?: string;
}

/** Resolves on Ctrl-C (SIGINT) or SIGTERM: the servers then close and the command returns. */
export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** The command, with what it waits for before closing (tests pass their own). */
export function inspectCommand(until: () => Promise<void>): CommandModule {
  return (program, ctx: CommandContext) => {
    program
      .command('inspect')
      .description(
        "Open the shift in an inspector: the offline one on 127.0.0.1 (statecharts, live highlighting, replay), or Stately's with --stately.",
      )
      .option(
        '--scenario <file>',
        'the shift to run (YAML); default: the stock shift',
        pathFlag('--scenario'),
      )
      .option('--plays <module>', 'an ES module exporting your own plays by name', pathFlag('--plays'))
      .option(
        '--port <n>',
        'port on 127.0.0.1; 0 picks a free one',
        numberFlag('--port', { integer: true, min: 0, max: 65535 }),
        0,
      )
      .option(
        '--speed <n>',
        'transitions per second shown live; 0 = as fast as the shift runs',
        numberFlag('--speed', { min: 0, max: 1000 }),
        2,
      )
      .option(
        '--run <id>',
        'replay a run kept with drill --db (needs --db): its inputs, its recorded play outcomes',
      )
      .option('--db <file|url>', 'the journal the run is in (SQLite file or postgres:// URL)')
      .option('--no-autorun', "wait for the page's Run button instead of starting when it connects")
      .option(
        '--stately',
        "attach @statelyai/inspect and serve a bridge to Stately's online inspector instead",
      )
      .option('--stately-url <url>', 'the Stately inspector UI the bridge embeds', STATELY_URL)
      .addHelpText(
        'after',
        [
          '',
          'The URL goes to stdout; the server runs until Ctrl-C.',
          '',
          'Examples:',
          '  runbook inspect                     # offline: open the printed URL',
          '  runbook inspect --speed 0 --port 8080',
          '  runbook inspect --stately           # online: actors in stately.ai/inspect',
          '  runbook inspect --run run-1 --db shifts.db   # replay a journaled run',
        ].join('\n'),
      )
      .action(async (flags: InspectFlags) => {
        if ((flags.run === undefined) !== (flags.db === undefined)) {
          throw new InputError(
            '--run and --db go together: the run, and the journal it is in',
            undefined,
            '--run',
          );
        }
        const stored =
          flags.run !== undefined && flags.db !== undefined
            ? (await import('./run-store.js')).storedJournal(flags.db, flags.run)
            : null;
        const file = stored?.meta.scenario ?? flags.scenario ?? stockScenario();
        const { loadScenario } = await import('../world/scenario.js');
        // A stored run of `runbook serve` is replayed by its own engine: no shift, no drill world.
        const liveRun = stored ? await import('../live/stored-run.js') : null;
        const live =
          stored && liveRun?.isLiveRun(stored)
            ? (hooks: Parameters<typeof liveRun.liveRunResult>[1]) => liveRun.liveRunResult(stored, hooks)
            : undefined;
        const scenario = live
          ? live({}).scenario
          : stored
            ? (JSON.parse(stored.meta.scenarioText) as Scenario)
            : loadScenario(file);
        const playsModule = stored ? stored.meta.plays : (flags.plays ?? scenario.plays ?? null);
        const plays = playsModule ? await loadPlays(playsModule) : {};
        if (flags.stately && live) {
          throw new InputError(
            'a run of runbook serve replays in the offline inspector only',
            undefined,
            '--stately',
          );
        }
        if (flags.stately) {
          if (!URL.canParse(flags.statelyUrl)) {
            throw new InputError(
              `not a URL (got ${JSON.stringify(flags.statelyUrl)})`,
              undefined,
              '--stately-url',
            );
          }
          // Loaded here: the servers and their dependencies would slow every other command's start.
          const { startStatelyBridge } = await import('../views/inspector/stately.js');
          const bridge = await startStatelyBridge({
            scenario,
            file,
            plays,
            port: flags.port,
            inspectorUrl: flags.statelyUrl,
          });
          ctx.io.out(`${bridge.url}\n`);
          ctx.io.err(
            `Stately bridge for shift "${scenario.name}": ${bridge.events.length} inspection events from ${bridge.result.trace.length} transitions.\n` +
              `Open ${bridge.url} in a browser that can reach ${new URL(flags.statelyUrl).host}; Ctrl-C to stop.\n`,
          );
          await until();
          await bridge.close();
        } else {
          const { startInspector } = await import('../views/inspector/server.js');
          const inspector = await startInspector({
            scenario,
            file,
            plays,
            journal: stored ?? undefined,
            replay: live && ((hooks) => live(hooks).result),
            port: flags.port,
            speed: flags.speed,
            autorun: flags.autorun,
          });
          ctx.io.out(`${inspector.url}\n`);
          ctx.io.err(
            `Inspector for shift "${scenario.name}" on ${inspector.url} (offline; ${flags.speed > 0 ? `${flags.speed} transitions/s` : 'full speed'}). Ctrl-C to stop.\n`,
          );
          await until();
          await inspector.close();
        }
        ctx.io.err('inspector stopped\n');
      });
  };
}

export const registerInspect: CommandModule = inspectCommand(untilInterrupted);
