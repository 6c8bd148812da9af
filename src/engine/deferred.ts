import type {
  ActorLogic,
  ActorRefFrom,
  AnyActorRef,
  AnyEventObject,
  EventObject,
  PromiseSnapshot,
} from 'xstate';

/**
 * A stand-in the machines run where a play, the postmortem or the ship step would run. It does no
 * work itself: when it starts it tells the engine, which runs the real thing outside the machine
 * (or, while replaying the journal, does not run it at all); the outcome comes back as an input and
 * finishes the stand-in, so the machine sees `xstate.done.actor.*` exactly where the journal says.
 *
 * That is what XState cannot give by itself: a promise actor restored from a snapshot runs again,
 * and its result is not part of any persisted state.
 */

export type DeferredSnapshot = PromiseSnapshot<unknown, unknown>;

/** The engine finishes a stand-in with the recorded outcome: an output, or an error message. */
export interface DeferredEvent extends EventObject {
  type: 'engine.outcome';
  output?: unknown;
  error?: string;
}

/** Typed as a promise actor's logic, so a machine may take it wherever it takes a promise. */
export type DeferredLogic<TOutput = unknown, TInput = unknown> = ActorLogic<
  PromiseSnapshot<TOutput, TInput>,
  AnyEventObject,
  TInput
>;
export type DeferredRef = ActorRefFrom<DeferredLogic>;

/** `started` is told of each stand-in as it starts, with its input. */
export function deferred<TOutput, TInput>(
  started: (self: AnyActorRef, input: TInput) => void,
): DeferredLogic<TOutput, TInput> {
  return {
    transition: (snapshot, event) => {
      if (snapshot.status !== 'active' || event.type !== 'engine.outcome') return snapshot;
      const { output, error } = event as DeferredEvent;
      return error !== undefined
        ? { status: 'error', output: undefined, error: new Error(error), input: snapshot.input }
        : { status: 'done', output: output as TOutput, error: undefined, input: snapshot.input };
    },
    getInitialSnapshot: (_, input) => ({ status: 'active', output: undefined, error: undefined, input }),
    start: (snapshot, { self }) => {
      if (snapshot.status === 'active') started(self, snapshot.input as TInput);
    },
    getPersistedSnapshot: (snapshot) => snapshot,
  };
}
