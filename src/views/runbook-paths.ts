import { getShortestPaths } from '@xstate/graph';
import {
  type AnyEventObject,
  type AnyMachineSnapshot,
  createActor,
  fromPromise,
  SimulatedClock,
} from 'xstate';
import type { PlayInput, PlayOutput } from '../../machines/play.js';
import { compileRunbook } from '../../machines/runbook.js';
import type { RunbookSpec } from '../../machines/runbook-spec.js';
import { stateName } from '../engine/trace.js';
import { type Chart, chartOf } from './export.js';
import { eventsFor, serialize, startingInputs } from './runbook-lint.js';

/**
 * `runbook paths --runbook NAME`: the shortest path to every state a run of the runbook can rest in
 * (generated with @xstate/graph from the compiled machine, plays answering every way), each run on a
 * real actor so that the transitions it takes (eventless ones included) are counted against the
 * chart: the runbook's state and transition coverage.
 */

export interface RunbookPath {
  steps: { event: string; state: string }[];
  state: string;
}

export interface RunbookCoverage {
  states: { covered: number; total: number; missing: string[] };
  transitions: { covered: number; total: number; missing: string[] };
}

/** A transition of the chart by its XState definition: source node and event, its index among them. */
function indexer(chart: Chart) {
  return (source: string, event: string, nth: number) =>
    chart.transitions.filter((t) => t.source === source && t.event === event)[nth]?.index ?? null;
}

export function runbookPaths(spec: RunbookSpec): { paths: RunbookPath[]; coverage: RunbookCoverage } {
  const plays = spec.steps.flatMap((s) => (s.kind === 'play' || s.kind === 'parallel' ? [s.play] : []));
  const idle = fromPromise<PlayOutput, PlayInput>(() => new Promise(() => {}));
  const machine = compileRunbook(spec).provide({
    actors: Object.fromEntries(plays.map((play) => [play, idle])) as Record<'play', typeof idle>,
  });
  const chart = chartOf(machine);
  const index = indexer(chart);
  const visited = new Set<string>();
  const taken = new Set<number>();
  const paths: RunbookPath[] = [];
  const seen = new Set<string>();
  for (const input of startingInputs(spec)) {
    const found = getShortestPaths(machine, {
      input,
      events: (snapshot: unknown) => eventsFor(spec, snapshot as AnyMachineSnapshot, true),
      serializeState: (snapshot: unknown) => serialize(snapshot as AnyMachineSnapshot),
      limit: 5_000,
    } as never) as { steps: { event: AnyEventObject }[]; state: AnyMachineSnapshot }[];
    for (const path of found) {
      // Each path on a real actor: every microstep's transitions, and the states it rests in.
      const actor = createActor(machine, {
        input,
        // Timeouts come from the path's events, never from a clock.
        clock: new SimulatedClock(),
        inspect: (event) => {
          if (
            event.type !== '@xstate.microstep' ||
            (event.actorRef as { _parent?: unknown })._parent !== undefined
          )
            return;
          for (const t of event._transitions) {
            const source = t.source.path.join('.');
            const same = [
              ...(t.source.transitions.get(t.eventType) ?? []),
              ...(t.eventType === '' ? (t.source.always ?? []) : []),
            ];
            const i = index(source, t.eventType, Math.max(0, same.indexOf(t)));
            if (i !== null) taken.add(i);
          }
        },
      });
      actor.start();
      const steps: RunbookPath['steps'] = [];
      const rest = () => {
        const value = stateName(actor.getSnapshot().value);
        const parts = value.split('.');
        for (let i = 1; i <= parts.length; i++) visited.add(parts.slice(0, i).join('.'));
        return value;
      };
      rest();
      for (const { event } of path.steps.slice(1)) {
        if (actor.getSnapshot().status !== 'active') break;
        actor.send(event as never);
        steps.push({ event: event.type, state: rest() });
      }
      actor.stop();
      const key = stateName(path.state.value);
      if (seen.has(key)) continue;
      seen.add(key);
      paths.push({ steps, state: key });
    }
  }
  // Transient states (a step's check) are passed through, never rested in: a transition out of one counts them.
  for (const i of taken) {
    const t = chart.transitions[i];
    if (!t) continue;
    const parts = t.source.split('.');
    for (let j = 1; j <= parts.length; j++) visited.add(parts.slice(0, j).join('.'));
  }
  const states = chart.states.map((s) => s.id);
  return {
    paths,
    coverage: {
      states: {
        covered: states.filter((s) => visited.has(s)).length,
        total: states.length,
        missing: states.filter((s) => !visited.has(s)),
      },
      transitions: {
        covered: taken.size,
        total: chart.transitions.length,
        missing: chart.transitions.filter((t) => !taken.has(t.index)).map((t) => `${t.source} -${t.label}->`),
      },
    },
  };
}
