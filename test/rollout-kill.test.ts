import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeInputs } from '../src/engine/journal-codec.js';
import { cli } from './support/kill-run.js';

/**
 * The durability contract for a rollout: the rollout-fix shift, journaled, is SIGKILLed while its
 * rollout is paused (the pause's timer pending) and while an analysis is under way (one of its two
 * measurements taken), resumed with `runbook resume`, and must end byte-identical to a run never
 * killed. With a checkpoint every 3 minutes the resume starts from a checkpoint taken inside the
 * rollout, so the pause timer must be re-armed at its due minute and the canary's split counts kept.
 */

const dir = mkdtempSync(join(tmpdir(), 'runbook-rollout-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ARGS = ['drill', '--json', '--scenario', 'scenarios/rollout-fix.yaml'];

function inputs(file: string): { seq: number; kind: string; t?: number }[] {
  const db = new Database(file, { readonly: true });
  const rows = db.prepare('SELECT first_seq, inputs FROM journal ORDER BY first_seq').all() as {
    first_seq: number;
    inputs: string;
  }[];
  db.close();
  return rows.flatMap((row) =>
    decodeInputs(row.inputs, file, `row ${row.first_seq}`).map((input, i) => ({
      seq: row.first_seq + i,
      kind: input.kind,
      ...('t' in input ? { t: input.t } : {}),
    })),
  );
}

describe.concurrent.each([['1440'], ['3']])(
  'a rollout-fix run (checkpoint every %s min) killed and resumed',
  (every) => {
    it('ends byte-identical to an uninterrupted run when killed in a pause and during an analysis', async () => {
      const env = { RUNBOOK_CHECKPOINT_MINUTES: every };
      const baseDb = join(dir, `base-${every}.db`);
      const base = await cli([...ARGS, '--db', baseDb], env);
      expect(base.code, base.stderr).toBe(0);
      const journal = inputs(baseDb);
      const weights = journal.filter((e) => e.kind === 'weight');
      const measures = journal.filter((e) => e.kind === 'measure');
      // Two steps' analyses of two measurements each: the first of each leaves the analysis running.
      expect(weights.length).toBe(3);
      expect(measures.length).toBeGreaterThanOrEqual(4);
      const firstWeight = weights[0]?.seq as number;
      const tickAfter = (seq: number, minutes: number) => {
        const t = (journal.filter((e) => e.kind === 'tick' && e.seq < seq).at(-1)?.t ?? 0) + minutes;
        return journal.find((e) => e.kind === 'tick' && e.t === t)?.seq as number;
      };
      const points = [
        { stage: 'weight 20% committed, the pause begins', fault: `after-commit:${firstWeight}` },
        { stage: 'mid-pause', fault: `after-commit:${tickAfter(firstWeight, 3)}` },
        { stage: 'first measurement uncommitted', fault: `before-commit:${measures[0]?.seq}` },
        { stage: 'analysis half measured', fault: `after-commit:${measures[0]?.seq}` },
        { stage: 'second step analysis half measured', fault: `after-commit:${measures[2]?.seq}` },
      ];
      for (const [i, point] of points.entries()) {
        const file = join(dir, `killed-${every}-${i}.db`);
        const killed = await cli([...ARGS, '--db', file], { ...env, RUNBOOK_FAULT: point.fault });
        expect(killed.signal, `${point.stage}: the drill was not killed`).toBe('SIGKILL');
        const resumed = await cli(['resume', 'run-1', '--db', file, '--json'], env);
        expect(resumed.code, `${point.stage}: ${resumed.stderr}`).toBe(0);
        expect(resumed.stdout === base.stdout, `${point.stage}: the resumed result differs`).toBe(true);
      }
    }, 300_000);
  },
);
