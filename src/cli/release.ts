import type { RolloutRecord } from '../../machines/rollout.js';
import { InputError } from '../toolkit/errors.js';
import type { CommandContext, CommandModule } from './command.js';

/**
 * `runbook release status|promote|abort|retry`: the release desk of a running `runbook serve`, over
 * its API (`GET /api/release`, `POST /api/release/<action>`). A refused command (no rollout running,
 * a step that is not paused) is the server's 409, printed as it says it, exit 1; a bad flag exit 2.
 */

interface ReleaseFlags {
  url: string;
  by?: string;
  why?: string;
  full?: boolean;
  json?: boolean;
}

const ACTIONS = ['status', 'promote', 'abort', 'retry'];

interface Status {
  live: string;
  state: string;
  strategy: boolean;
  rollout: RolloutRecord | null;
  rollouts: RolloutRecord[];
}

/** A rollout as a few lines: where it is and every decision with why. */
function describe(rollout: RolloutRecord): string[] {
  const step = `step ${rollout.step + 1}, weight ${rollout.weight}%`;
  const head = `rollout ${rollout.n}: ${rollout.candidate} over ${rollout.baseline}, ${rollout.outcome ?? rollout.phase} (${step})`;
  const waiting = rollout.waiting
    ? [`  waiting since minute ${rollout.waitingSince}: ${rollout.waiting}`]
    : [];
  return [head, ...waiting, ...rollout.decisions.map((d) => `  ${d.at}  ${d.what}: ${d.why}`)];
}

function text(status: Status): string {
  const lines = [`live ${status.live} (${status.state})`];
  if (!status.strategy)
    lines.push('no canary strategy is configured: deploys are judged once on the eval set');
  if (status.rollout) lines.push(...describe(status.rollout));
  else if (status.strategy) lines.push('no rollout running');
  const last = status.rollouts.at(-1);
  if (last) lines.push('last ended:', ...describe(last));
  return `${lines.join('\n')}\n`;
}

function token(): string | null {
  const value = process.env.RUNBOOK_TOKEN?.trim();
  return value ? value : null;
}

export const registerRelease: CommandModule = (program, ctx: CommandContext) => {
  program
    .command('release')
    .description("A running server's release desk: the rollout's status, or promote, abort or retry it.")
    .argument('<action>', 'status, promote, abort or retry')
    .option('--url <url>', 'the server (runbook serve --listen)', 'http://127.0.0.1:9095')
    .option('--by <name>', 'who gives the command (journaled with it)', process.env.USER ?? 'operator')
    .option('--why <text>', 'why: kept with an abort')
    .option('--full', 'promote past every remaining step (Argo promote --full)')
    .option('--json', 'print the release desk as JSON on stdout')
    .addHelpText(
      'after',
      '\nThe bearer token, if the server wants one, is read from RUNBOOK_TOKEN.\n\nExamples:\n  runbook release status\n  runbook release promote --by alice\n  runbook release promote --full --by alice\n  runbook release abort --by bob --why "customer reports"\n  runbook release retry --url http://127.0.0.1:9095',
    )
    .action(async (action: string, flags: ReleaseFlags) => {
      if (!ACTIONS.includes(action)) {
        throw new InputError(
          `must be status, promote, abort or retry, not ${JSON.stringify(action)}`,
          undefined,
          'ACTION',
        );
      }
      if (flags.full && action !== 'promote')
        throw new InputError('goes with promote only', undefined, '--full');
      let base: URL;
      try {
        base = new URL(flags.url);
      } catch {
        throw new InputError(`is not a URL: ${JSON.stringify(flags.url)}`, undefined, '--url');
      }
      const bearer = token();
      const headers: Record<string, string> = bearer ? { authorization: `Bearer ${bearer}` } : {};
      const request =
        action === 'status'
          ? { method: 'GET', headers }
          : {
              method: 'POST',
              headers: { ...headers, 'content-type': 'application/json' },
              body: JSON.stringify({
                by: flags.by,
                ...(flags.why ? { why: flags.why } : {}),
                ...(flags.full ? { full: true } : {}),
              }),
            };
      const path = action === 'status' ? '/api/release' : `/api/release/${action}`;
      let response: Response;
      try {
        response = await fetch(new URL(path, base), request);
      } catch (error) {
        throw new InputError(`cannot reach ${base.origin}: ${(error as Error).message}`, undefined, '--url');
      }
      const body = (await response.json().catch(() => ({}))) as Status & { error?: string };
      if (!response.ok) {
        ctx.io.err(`runbook: release ${action}: ${response.status} ${body.error ?? response.statusText}\n`);
        ctx.exit(response.status === 400 ? 2 : 1);
        return;
      }
      ctx.io.out(flags.json ? `${JSON.stringify(body, null, 2)}\n` : text(body));
    });
};
