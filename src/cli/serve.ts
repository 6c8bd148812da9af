import { DEFAULT_LISTEN } from '../live/access.js';
import type { CommandModule } from './command.js';
import { numberFlag } from './options.js';
import type { ServeFlags } from './serve-run.js';

export const registerServe: CommandModule = (program, ctx) => {
  program
    .command('serve')
    .description('Run the engine live: Alertmanager alerts in over HTTP, incidents out, on the real clock.')
    .option('--config <file>', 'the live configuration (YAML); the shipped example when left out')
    .option(
      '--db <file|url>',
      'the journal, SQLite file or postgres:// URL; a restart resumes its last running run (in memory without it)',
    )
    .option('--listen <host:port>', 'where to listen', DEFAULT_LISTEN)
    .option(
      '--lease <seconds>',
      'with --db postgres://: how long the live run stays with a worker that stopped renewing its lease',
      numberFlag('--lease', { min: 1, max: 3600 }),
      15,
    )
    .option('--token-file <file>', 'a bearer token every API request must carry (or RUNBOOK_TOKEN)')
    .option(
      '--allow-host <name>',
      'a name requests may carry in Host besides the listen address (a DNS name, a proxy); repeatable',
      (value: string, list: string[] = []) => [...list, value],
    )
    .option(
      '--inspector-port <n>',
      'also open the inspector on 127.0.0.1:N, attached to the running engine (0 picks a free port)',
      numberFlag('--inspector-port', { integer: true, min: 0, max: 65535 }),
    )
    .option(
      '--time-scale <n>',
      'run the engine N times faster than the wall clock (game days, with `runbook rules --time-scale N`): its timers, escalations and Prometheus reads',
      numberFlag('--time-scale', { integer: true, min: 1, max: 3600 }),
      1,
    )
    .option('--check', 'validate the configuration and exit (0 ok, 2 naming the file and field)')
    .addHelpText(
      'after',
      '\nExamples:\n  runbook serve\n  runbook serve --config live.yaml --db live.db --listen 127.0.0.1:9095\n  runbook serve --db live.db --inspector-port 9096\n  runbook serve --config gameday.yaml --time-scale 60   (an hour of incident in a minute)\n  runbook serve --config live.yaml --db postgres://runbook@db/runbook --listen 0.0.0.0:9095 --token-file t\n    (run it on a second host with the same --db: one worker drives the run, any takes alerts)\n  runbook serve --check --config live.yaml',
    )
    .action(async (flags: ServeFlags) => (await import('./serve-run.js')).serve(flags, ctx));
};
