// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook templates are `${{ ... }}` text, not JavaScript
import { type AnyActorRef, assign, createActor, fromPromise, setup } from 'xstate';
import type { PlayInput, PlayOps, PlayOutput } from '../../machines/play.js';
import { compileRunbook, type RunbookInput } from '../../machines/runbook.js';
import { fmtMs, fmtRatio, msSince } from '../measure.js';
import type { Row } from '../table.js';

/**
 * A runbook's fan-out (machines/runbook.ts) over 100 items, one at a time, each item a play under
 * its own key, against the same 100 plays invoked one after another by a bare machine: what a
 * fan-out item costs over a play. Both sides run the same promise play, so the ratio is the
 * runbook's own bookkeeping (records, keys, templates, counts).
 */

const ITEMS = 100;
const RUNS = 200;
/**
 * An item keeps a play record (key, times, outcome), renders its settings' templates and counts the
 * fan-out's progress; a bare invoke does none of it. Three times a bare invoke is the budget for that.
 */
const TARGET_RATIO = 3;

const play = fromPromise<PlayOutput, PlayInput>(async () => ({ ok: true, detail: 'restarted' }));

const items = Array.from({ length: ITEMS }, (_, i) => `host-${i}`);
const runbook = compileRunbook({
  name: 'fanout',
  steps: [
    {
      kind: 'parallel',
      name: 'restart',
      play: 'restart',
      with: { host: '${{ item }}' },
      items,
      concurrency: 1,
      maxFailures: 0,
      timeout: 60,
      onFailure: 'escalate',
    },
  ],
}).provide({ actors: { restart: play } as never });

const input = (i: number): RunbookInput => ({
  incident: { id: `INC-${i}`, service: 'bench', type: 'fanout', severity: 'sev1', labels: {} },
  objective: 0.99,
  settleMinutes: 5,
  epochMinute: 0,
  sli: 0.5,
  ops: { now: () => 0, notify: () => {} },
  playOps: {} as PlayOps,
});

/** The same plays, one after another, invoked by the smallest machine that can. */
const bare = setup({ types: { context: {} as { i: number } }, actors: { play } }).createMachine({
  context: { i: 0 },
  initial: 'run',
  states: {
    run: {
      invoke: {
        src: 'play',
        input: ({ context }) => ({ key: `INC-1/1/1/host-${context.i}` }) as unknown as PlayInput,
        onDone: [
          { guard: ({ context }) => context.i + 1 >= ITEMS, target: 'done' },
          { target: 'run', reenter: true, actions: assign({ i: ({ context }) => context.i + 1 }) },
        ],
      },
    },
    done: { type: 'final' },
  },
});

/** Starts an actor and resolves once it is past its work: done, or (the runbook) settling. */
function finished(actor: AnyActorRef): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const snapshot = actor.getSnapshot();
      if (snapshot.status === 'done' || snapshot.value === 'settle') resolve();
      else if (snapshot.value === 'escalated') reject(new Error('fanout: the fan-out escalated'));
    };
    actor.subscribe(check);
    actor.start();
    check();
  });
}

async function time(create: (i: number) => AnyActorRef): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const actor = create(i);
    await finished(actor);
    actor.stop();
  }
  return msSince(start);
}

export async function fanout(): Promise<Row> {
  const ours = (i: number) => createActor(runbook, { input: input(i) });
  const plain = () => createActor(bare);
  // Warm both paths first, so neither pays for compiling them.
  await time(ours);
  await time(plain);
  const baseline = await time(plain);
  const measured = await time(ours);
  const ratio = measured / baseline;
  return {
    row: 'fanout',
    figure: `${fmtMs(measured)} (${fmtMs(measured / (RUNS * ITEMS))}/item)`,
    target: `<= ${TARGET_RATIO}x plain invokes`,
    baseline: fmtMs(baseline),
    ratio: fmtRatio(ratio),
    pass: ratio <= TARGET_RATIO,
    how: `${RUNS} runs of a compiled runbook's fan-out over ${ITEMS} items (concurrency 1), each item a promise play under its own key; baseline: the same ${ITEMS} plays invoked one after another by a bare machine`,
  };
}
