import { describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';

async function run(args: string[]) {
  const io = bufferIo();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('runbook paths', () => {
  it('prints one line per release path, event by event, then full coverage', async () => {
    const { code, stdout } = await run(['paths', '--machine', 'release']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toContain('live -DEPLOY(v2,failing)-> canary -> rejected -> live');
    expect(lines).toContain('live -ROLLBACK (ignored)-> live');
    expect(lines.at(-1)).toBe('coverage: states 4/4, transitions 6/6');
  });

  it('shows the incident paths through detect and mitigate, and their coverage', async () => {
    const { code, stdout } = await run(['paths', '--machine', 'incident']);
    expect(code).toBe(0);
    // The stock story, section by section: page, ACK, rollback, recovery, postmortem, fix, soak.
    expect(stdout).toContain(
      'watching -ALERTS(page-burn)-> detect -> page -ACK-> mitigate.running -done.actor.play(ok)-> mitigate.settling ' +
        '-SLI_SAMPLE(page-burn,sli=0.995)-> learn -done.actor.postmortem-> ship -done.actor.fix(promote)-> verify ' +
        '-after.verifySoak-> resolved\n',
    );
    expect(stdout).toContain('95 paths, 0 failed\n');
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('coverage: states 15/15, transitions 36/36');
  });

  it('prints { machine, paths, coverage } with --json, and nothing else on stdout', async () => {
    const { code, stdout, stderr } = await run(['paths', '--machine', 'release', '--json']);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout);
    expect(parsed.machine).toBe('release');
    expect(parsed.paths[0].steps[0]).toEqual({
      event: 'DEPLOY',
      label: 'DEPLOY(v2,failing)',
      state: 'live',
      via: ['canary', 'rejected', 'live'],
    });
    expect(parsed.coverage.transitions).toEqual({ covered: 6, total: 6, missing: [] });
    expect(stderr).toContain('coverage: states 4/4, transitions 6/6');
  });

  it('rejects another machine with exit 2 and one line naming --machine', async () => {
    const { code, stdout, stderr } = await run(['paths', '--machine', 'pager']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('runbook: --machine: must be one of incident, release (got "pager")\n');
  });

  it('requires --machine', async () => {
    const { code, stderr } = await run(['paths']);
    expect(code).toBe(2);
    expect(stderr).toContain('--machine');
  });
});
