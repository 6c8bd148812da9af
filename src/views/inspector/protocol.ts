import type { TraceEntry } from '../../engine/trace.js';
import type { MachineName } from '../export.js';

/**
 * What the inspector server and its page say to each other over the WebSocket (JSON, one message
 * per frame). A run is one shift: `start`, then `event`s and `trace` entries as the actors produce
 * them, then `done` (or `error`).
 */

export type ServerMessage =
  | { type: 'hello'; scenario: string; speed: number; autorun: boolean }
  | { type: 'start'; run: number }
  /**
   * An event an actor received; `t` is the sim minute, `after` the seq of the last trace entry,
   * `payload` what the event carries besides its type (an SLI_SAMPLE's SLI and burns), as JSON.
   */
  | { type: 'event'; t: number | null; actor: string; event: string; after: number; payload: Json }
  /**
   * One transition; `edge` is the chart transition it took (see transitionFor), null for a start;
   * `payload` what the event that caused it carries, `context` the actor's context after it.
   */
  | {
      type: 'trace';
      entry: TraceEntry;
      machine: MachineName;
      edge: number | null;
      payload: Json;
      context: Json;
    }
  | {
      type: 'done';
      run: number;
      transitions: number;
      /** Each actor's last state, as the trace has it. */
      states: Record<string, string>;
      /** The gate's score and the checks that failed, named; null for a live run (no gate judges it). */
      gate: { passed: number; total: number; failed: { id: string; owner: string; detail: string }[] } | null;
    }
  | { type: 'error'; message: string };

export type ClientMessage = { type: 'run' };

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A value as the page can be sent it: functions (the clock, a play's ops) are left out, an actor
 * is named by its id, and a value that cannot be written at all says so instead of failing the run.
 */
export function jsonSafe(value: unknown): Json {
  try {
    const text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'function') return undefined;
      if (v && typeof v === 'object' && 'sessionId' in v && 'send' in v)
        return `(actor ${String((v as { id?: unknown }).id)})`;
      return v;
    });
    return text === undefined ? null : (JSON.parse(text) as Json);
  } catch {
    return '(not serialisable)';
  }
}

/** What an event carries besides its type. */
export function payloadOf(event: { type: string }): Json {
  const { type: _type, ...rest } = event;
  return jsonSafe(rest);
}
