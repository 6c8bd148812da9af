import type { AnyActorRef, EventObject } from 'xstate';

/**
 * The engine's own timer table. XState 5 does not persist pending `after` timers (statelyai/xstate#5331:
 * its scheduler stamps the wall clock and a restored actor never re-arms them), so the engine watches
 * each actor's scheduler, keeps every delayed event with its due minute on the engine's clock, and
 * after a restore from a checkpoint schedules them again for the time that is left, under their own
 * ids, so that XState's own cancel (a state left before its timeout) still finds them.
 */

export interface PendingTimer {
  actor: string;
  /** XState's id for the delayed event: the `after` event's type. */
  id: string;
  event: EventObject;
  /** Due at this minute of the engine's clock. */
  due: number;
}

export class TimerTable {
  private readonly due = new Map<string, PendingTimer>();

  constructor(private readonly now: () => number) {}

  /** Records every delayed event the actor schedules from now on (call before `start()`). */
  watch(actor: AnyActorRef): void {
    const scheduler = actor.system.scheduler;
    const schedule = scheduler.schedule.bind(scheduler);
    scheduler.schedule = (source, target, event, delay, id) => {
      if (id !== undefined) {
        this.due.set(`${source.id}:${id}`, { actor: source.id, id, event, due: this.now() + delay });
      }
      schedule(source, target, event, delay, id);
    };
  }

  /** The timers still pending on an actor: scheduled, neither fired nor cancelled. */
  pending(actor: AnyActorRef): PendingTimer[] {
    const scheduled = Object.values(actor.system.getSnapshot()._scheduledEvents);
    return scheduled.flatMap((s) => {
      const timer = this.due.get(`${s.source.id}:${s.id}`);
      return timer ? [timer] : [];
    });
  }

  /** Schedules a restored actor's timers again, each at its original due minute. */
  rearm(actor: AnyActorRef, timers: readonly PendingTimer[]): void {
    for (const timer of timers) {
      // A runbook's timers (approval timeouts, backoffs) belong to the incident's runbook actor.
      const owner = timer.actor === actor.id ? actor : descendant(actor, timer.actor);
      if (!owner) continue;
      actor.system.scheduler.schedule(
        owner,
        owner,
        timer.event,
        Math.max(0, timer.due - this.now()),
        timer.id,
      );
    }
  }
}

/** The actor under `root` with this id, at any depth. */
function descendant(root: AnyActorRef, id: string): AnyActorRef | undefined {
  const children =
    (root.getSnapshot() as { children?: Record<string, AnyActorRef | undefined> }).children ?? {};
  for (const child of Object.values(children)) {
    if (!child) continue;
    if (child.id === id) return child;
    const found = descendant(child, id);
    if (found) return found;
  }
  return undefined;
}
