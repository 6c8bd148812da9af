import type { AnyActorRef, InspectionEvent } from 'xstate';

/** One transition of one actor, recorded from the actor itself. */
export interface TraceEntry {
  seq: number;
  /** Sim minute. */
  t: number;
  actor: string;
  /** Null for the actor's first state. */
  from: string | null;
  event: string;
  to: string;
}

/** `mitigate.running` from a state value. */
export function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([key, child]) => `${key}.${stateName(child)}`)
      .join(',');
  }
  return String(value);
}

/**
 * Records every transition of every machine actor it is attached to (XState's `inspect` option):
 * each microstep, so transient states (detect, canary) show up as they do in the statechart.
 */
export class TraceRecorder {
  readonly entries: TraceEntry[] = [];
  /** Each actor's state as last recorded, by actor id (ids are unique among the engine's machines). */
  private readonly current = new Map<string, string>();
  /** Live listeners (the inspector streams entries as they happen). */
  private readonly listeners: ((entry: TraceEntry) => void)[] = [];

  constructor(private readonly now: () => number) {}

  /** What a checkpoint keeps: each actor's last recorded state. */
  states(): Record<string, string> {
    return Object.fromEntries(this.current);
  }

  /** Picks up from a checkpoint: the entries so far and each actor's state, so restored actors add no initial entry. */
  restore(entries: readonly TraceEntry[], states: Record<string, string>): void {
    this.entries.push(...entries);
    for (const [actor, state] of Object.entries(states)) this.current.set(actor, state);
  }

  onEntry(listener: (entry: TraceEntry) => void): void {
    this.listeners.push(listener);
  }

  readonly inspect = (event: InspectionEvent): void => {
    if (event.type !== '@xstate.microstep' && event.type !== '@xstate.snapshot') return;
    // Only machines have a state value; promise and callback actors (plays) have none to trace.
    const snapshot = event.snapshot as { value?: unknown };
    if (!('value' in snapshot)) return;
    const ref = event.actorRef as AnyActorRef;
    const to = stateName(snapshot.value);
    const from = this.current.get(ref.id) ?? null;
    if (event.type === '@xstate.snapshot') {
      // Snapshots repeat the last microstep; only an actor's first one adds an entry (its initial state).
      if (from !== null) return;
    } else if (!event._transitions.some((t) => t.target && t.target.length > 0)) {
      return;
    }
    this.current.set(ref.id, to);
    const entry: TraceEntry = {
      seq: this.entries.length + 1,
      t: this.now(),
      actor: ref.id,
      from,
      event: event.event.type,
      to,
    };
    this.entries.push(entry);
    for (const listener of this.listeners) listener(entry);
  };
}
