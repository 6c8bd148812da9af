import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromPromise } from 'xstate';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { definePlay, type PlayInput, type PlayOutput } from '../src/engine/plays.js';
import { gate } from '../src/views/gate.js';
import { runShift } from '../src/world/drill.js';
import { parseScenario } from '../src/world/scenario.js';

/** The stock shift with its quality-regression runbook replaced by `steps` (YAML flow mappings). */
function withRunbook(steps: string[], expectPlay = 'rollback') {
  const text = [
    'extends: stock-shift.yaml',
    'incidentTypes:',
    '  - name: quality-regression',
    '    match: { service: agent }',
    '    sli: quality',
    '    runbook:',
    ...steps.map((s) => `      - ${s}`),
    '    fix: { candidate: v3-fix }',
    'expect:',
    `  mitigation: { play: ${expectPlay} }`,
  ].join('\n');
  return parseScenario(text, resolve('scenarios/test-runbook.yaml'));
}

const outcomes = (result: Awaited<ReturnType<typeof runShift>>) =>
  result.incidents
    .find((i) => i.id === result.primary)
    ?.plays.map((p) => `${p.play}#${p.attempt}:${p.outcome}`);

describe('plays plugged in from a module', () => {
  it('mitigates the kill-switch scenario with the example flagOff play, machines untouched', async () => {
    const io = bufferIo();
    const code = await main(
      [
        'gate',
        '--scenario',
        'scenarios/kill-switch.yaml',
        '--plays',
        'scenarios/plays/kill-switch.js',
        '--json',
      ],
      io,
    );
    const report = JSON.parse(io.stdout);
    expect(report.checks.find((c: { id: string }) => c.id === 'mitigate')).toMatchObject({ ok: true });
    expect(report.checks.find((c: { id: string }) => c.id === 'mitigate').detail).toMatch(
      /first play flagOff: live stays v3/,
    );
    expect(code).toBe(0);
  });

  it('refuses the kill-switch scenario without the module, naming the play', async () => {
    const io = bufferIo();
    expect(await main(['gate', '--scenario', 'scenarios/kill-switch.yaml'], io)).toBe(2);
    expect(io.stderr).toMatch(
      /kill-switch\.yaml: incidentTypes\[0\]\.runbook\[0\]\.play: unknown play "flagOff"/,
    );
  });

  it('documents the example play in the README exactly as it ships', () => {
    const example = readFileSync('scenarios/plays/kill-switch.js', 'utf8');
    expect(readFileSync('README.md', 'utf8')).toContain(example.trim());
  });
});

describe('the runbook settings: timeout, retries, onFailure', () => {
  it('times a silent play out on the sim clock and moves on to the next step', async () => {
    const hangs = fromPromise<PlayOutput, PlayInput>(() => new Promise<PlayOutput>(() => undefined));
    const result = await runShift(withRunbook(['{ play: hangs, timeout: 3 }', '{ play: rollback }']), {
      plays: { hangs },
    });
    expect(outcomes(result)).toEqual(['hangs#1:timeout', 'rollback#1:recovered']);
    const started = result.incidents.find((i) => i.id === result.primary)?.plays[0]?.startedAt ?? 0;
    const timedOut = result.trace.find(
      (e) => e.from === 'mitigate.running' && e.to === 'mitigate.stepFailed',
    );
    expect(timedOut?.t).toBe(started + 3);
  });

  it('retries a failing play as often as its step allows', async () => {
    let calls = 0;
    const flaky = definePlay(({ ops }) => {
      calls += 1;
      if (calls < 3) return { ok: false, detail: `attempt ${calls} failed` };
      return { ok: true, detail: `rolled back to ${ops.rollback()?.to}` };
    });
    const result = await runShift(withRunbook(['{ play: flaky, retries: 2 }'], 'flaky'), {
      plays: { flaky },
    });
    expect(outcomes(result)).toEqual(['flaky#1:failure', 'flaky#2:failure', 'flaky#3:recovered']);
    expect(gate(result, withRunbook(['{ play: flaky, retries: 2 }'], 'flaky')).passed).toBe(7);
  });

  it('escalates at once when a failed step says onFailure: escalate, running no further play', async () => {
    const broken = definePlay(() => ({ ok: false, detail: 'permission denied' }));
    const result = await runShift(
      withRunbook(['{ play: broken, onFailure: escalate }', '{ play: rollback }']),
      {
        plays: { broken },
      },
    );
    const incident = result.incidents.find((i) => i.id === result.primary);
    expect(incident?.state).toBe('escalated');
    expect(outcomes(result)).toEqual(['broken#1:failure']);
    expect(incident?.escalation).toMatch(/broken failed and its step says escalate/);
  });

  it('records a play that throws as a failure the runbook handles', async () => {
    const throws = definePlay(() => {
      throw new Error('kubectl: connection refused');
    });
    const result = await runShift(withRunbook(['{ play: throws }', '{ play: rollback }']), {
      plays: { throws },
    });
    expect(outcomes(result)).toEqual(['throws#1:failure', 'rollback#1:recovered']);
    expect(result.incidents.find((i) => i.id === result.primary)?.plays[0]?.detail).toMatch(
      /threw: kubectl: connection refused/,
    );
  });

  it('escalates when the runbook is used up and the SLI is still below objective', async () => {
    const noop = definePlay(() => ({ ok: true, detail: 'did nothing' }));
    const result = await runShift(withRunbook(['{ play: noop }']), { plays: { noop } });
    const incident = result.incidents.find((i) => i.id === result.primary);
    expect(outcomes(result)).toEqual(['noop#1:no-recovery']);
    expect(incident?.state).toBe('escalated');
    expect(incident?.escalation).toMatch(/runbook used up/);
  });

  it('lets a plugged-in play replace a stock play of the same name', async () => {
    const rollback = definePlay(() => ({ ok: false, detail: 'rollbacks are frozen today' }));
    const result = await runShift(withRunbook(['{ play: rollback }']), { plays: { rollback } });
    expect(outcomes(result)).toEqual(['rollback#1:failure']);
    expect(result.live).toBe('v3');
  });
});
