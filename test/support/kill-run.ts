import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { decodeInputs } from '../../src/engine/journal-codec.js';
import type { ShiftResult } from '../../src/world/drill.js';

/**
 * The durability contract on real processes, whatever the store: a journaled drill is SIGKILLed at
 * many points (between a journal write and its effects, in the middle of a play, while the SLI
 * settles, during the verify soak ...), resumed with `runbook resume`, and must end byte-identical to
 * a run that was never killed, with no play completed twice for one idempotency key.
 */

const CLI = resolve('bin/runbook.cjs');
const PLAYS = resolve('test/fixtures/recording-plays.js');

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      done({ code, signal, stdout, stderr });
    });
  });
}

interface Entry {
  seq: number;
  kind: string;
  input: { t?: number; key?: string };
}

/** A kill: an env that makes the drill die at one point, and the stage it is in, for messages. */
export interface KillPoint {
  stage: string;
  env: Record<string, string>;
}

const after = (seq: number) => ({ RUNBOOK_FAULT: `after-commit:${seq}` });
const before = (seq: number) => ({ RUNBOOK_FAULT: `before-commit:${seq}` });

/** Points spread over every stage of every typed incident, read off an uninterrupted run. */
function killPoints(entries: Entry[], result: ShiftResult): KillPoint[] {
  const tick = (t: number) => entries.find((e) => e.kind === 'tick' && e.input.t === t)?.seq;
  const of = (kind: string) => entries.filter((e) => e.kind === kind);
  const alerts = of('alert');
  const points: KillPoint[] = [
    { stage: 'intake: first alert', env: after(alerts[0]?.seq ?? 1) },
    { stage: 'intake: mid-storm, uncommitted', env: before(alerts[Math.floor(alerts.length / 2)]?.seq ?? 1) },
    { stage: 'deploy', env: after(of('deploy')[0]?.seq ?? 1) },
    { stage: 'ticket', env: after(of('ticket')[0]?.seq ?? 1) },
    { stage: 'intake: last alert', env: after(alerts[alerts.length - 1]?.seq ?? 1) },
    { stage: 'quiet minutes, uncommitted', env: before(tick(2000) ?? 1) },
  ];
  // The last typed incident: in the stale-index shift the reindex one, whose stages the stock shift lacks.
  for (const incident of result.incidents.filter((i) => i.type !== '').slice(-1)) {
    const at = (to: string) => result.trace.find((e) => e.actor === incident.id && e.to === to)?.t;
    const ack = entries.find(
      (e) => e.kind === 'ack' && (e.input as { incident?: string }).incident === incident.id,
    );
    const keyed = (prefix: string) => entries.filter((e) => e.input.key?.startsWith(prefix));
    const plays = keyed(`${incident.id}/1/`);
    const [paged, settling, verify, resolved] = ['page', 'mitigate.settling', 'verify', 'resolved'].map(at);
    const learn = keyed(`${incident.id}/learn`)[0];
    const ship = keyed(`${incident.id}/ship`)[0];
    const first = incident.plays[0];
    const add = (stage: string, env: Record<string, string> | undefined | null) => {
      if (env) points.push({ stage: `${incident.id} ${stage}`, env });
    };
    const seqOf = (t: number | undefined) => (t === undefined ? undefined : tick(t));
    const at2 = (t: number | undefined) => (t === undefined ? null : seqOf(t));
    add('paged', at2(paged) ? after(at2(paged) as number) : null);
    add('acked, play not started', ack ? after(ack.seq) : null);
    add('ack uncommitted', ack ? before(ack.seq) : null);
    // A runbook of the statechart language records each play's key (a fan-out item's has the item).
    const firstKey = (first as { key?: string } | undefined)?.key;
    if (first)
      add('mid-play', { KILL_IN_PLAY: firstKey ?? `${incident.id}/${first.step + 1}/${first.attempt}` });
    const acted = plays.find((e) => e.kind !== 'outcome');
    add('play acted, outcome pending', acted ? after(acted.seq) : null);
    const outcome = plays.find((e) => e.kind === 'outcome');
    add('play done, outcome uncommitted', outcome ? before(outcome.seq) : null);
    add('mid-settle', at2(settling) ? after(at2(settling) as number) : null);
    // A runbook of the statechart language: killed at its approval gate and in the middle of a fan-out.
    const approval = entries.find(
      (e) => e.kind === 'operator' && (e.input as { incident?: string }).incident === incident.id,
    );
    add('runbook waiting for an approval, answer uncommitted', approval ? before(approval.seq) : null);
    add('runbook approval committed', approval ? after(approval.seq) : null);
    const items = keyed(`${incident.id}/`).filter(
      (e) => e.kind === 'outcome' && e.input.key?.split('/').length === 4,
    );
    const second = items[1];
    if (second) {
      add('mid fan-out: first item committed', after((items[0] as Entry).seq));
      add('mid fan-out: in the second item', { KILL_IN_PLAY: second.input.key as string });
      add('mid fan-out: second item done, uncommitted', before(second.seq));
    }
    add('postmortem committed', learn ? after(learn.seq) : null);
    add('ship uncommitted', ship ? before(ship.seq) : null);
    add('ship committed', ship ? after(ship.seq) : null);
    add('verifying', at2(verify) ? after(at2(verify) as number) : null);
    if (verify !== undefined && resolved !== undefined) {
      const mid = tick(Math.floor((verify + resolved) / 2));
      add('mid-soak', mid ? after(mid) : null);
      add('resolved', seqOf(resolved) ? after(seqOf(resolved) as number) : null);
    }
  }
  const last = entries[entries.length - 1]?.seq ?? 1;
  points.push({ stage: 'last input', env: after(last - 1) });
  return points;
}

/** Runs `work` over `items`, `width` at a time. */
async function pool<T, R>(items: T[], width: number, work: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const lanes = Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T, i);
    }
  });
  await Promise.all(lanes);
  return results;
}

const completions = (log: string) => {
  const done = new Map<string, number>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const key = /^done (\S+) /.exec(line)?.[1];
    if (key) done.set(key, (done.get(key) ?? 0) + 1);
  }
  return done;
};

/** One journal row: a commit's inputs, seq first_seq .. last_seq. */
export interface JournalBatch {
  first_seq: number;
  last_seq: number;
  inputs: string;
}

export interface KillSuite {
  scenario: string;
  /** Sim minutes between checkpoints. */
  every: string;
  /** Where files (plays logs) go. */
  dir: string;
  /** A fresh journal for one run: a file name or a postgres:// URL. */
  journal: (label: string) => string;
  /** The journal rows of the uninterrupted run's journal. */
  batches: (db: string) => Promise<JournalBatch[]>;
  /** Which of the kill points to run (default: all). */
  pick?: (points: KillPoint[]) => KillPoint[];
  /** At least this many distinct kill points must be run. */
  minPoints: number;
}

export async function killAndResume(suite: KillSuite): Promise<void> {
  const { scenario: name, every, dir } = suite;
  const checkpoints = { RUNBOOK_CHECKPOINT_MINUTES: every };
  const args = ['drill', '--json', '--scenario', `scenarios/${name}.yaml`, '--plays', PLAYS];
  const baseDb = suite.journal(`${name}-base`);
  const baseLog = join(dir, `${name}-base.log`);
  const base = await cli([...args, '--db', baseDb], { PLAYS_LOG: baseLog, ...checkpoints });
  expect(base.code, base.stderr).toBe(0);
  const result = JSON.parse(base.stdout) as ShiftResult;
  const batches = await suite.batches(baseDb);
  const entries = batches.flatMap((batch) =>
    decodeInputs(batch.inputs, baseDb, `row ${batch.first_seq}`).map((input, i) => ({
      seq: batch.first_seq + i,
      kind: (input as { kind: string }).kind,
      input: input as Entry['input'],
    })),
  );

  // Inputs are committed in batches: a kill point is a phase and the batch it falls in.
  const batchOf = (seq: number) => batches.findIndex((b) => seq <= b.last_seq);
  const where = ({ env }: KillPoint) =>
    env.RUNBOOK_FAULT
      ? `${env.RUNBOOK_FAULT.split(':')[0]} batch ${batchOf(Number(env.RUNBOOK_FAULT.split(':')[1]))}`
      : JSON.stringify(env);
  const distinct = [...new Map(killPoints(entries, result).map((p) => [where(p), p])).values()];
  const points = suite.pick ? suite.pick(distinct) : distinct;
  expect(points.length).toBeGreaterThanOrEqual(suite.minPoints);
  const outcomes = await pool(points, 2, async (point, i) => {
    const file = suite.journal(`${name}-${i}`);
    const log = join(dir, `${name}-${i}.log`);
    const killed = await cli([...args, '--db', file], { PLAYS_LOG: log, ...checkpoints, ...point.env });
    const resumed = await cli(['resume', 'run-1', '--db', file, '--json'], {
      PLAYS_LOG: log,
      ...checkpoints,
    });
    return { point, killed, resumed, done: completions(log) };
  });
  for (const { point, killed, resumed, done } of outcomes) {
    expect(killed.signal, `${point.stage}: the drill was not killed`).toBe('SIGKILL');
    expect(resumed.code, `${point.stage}: ${resumed.stderr}`).toBe(0);
    expect(resumed.stdout === base.stdout, `${point.stage}: the resumed result differs`).toBe(true);
    for (const [key, count] of done) expect(count, `${point.stage}: ${key} completed ${count} times`).toBe(1);
  }
}
