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
  /** An event an actor received; `t` is the sim minute, `after` the seq of the last trace entry. */
  | { type: 'event'; t: number | null; actor: string; event: string; after: number }
  /** One transition; `edge` is the chart transition it took (see transitionFor), null for a start. */
  | { type: 'trace'; entry: TraceEntry; machine: MachineName; edge: number | null }
  | {
      type: 'done';
      run: number;
      transitions: number;
      /** Each actor's last state, as the trace has it. */
      states: Record<string, string>;
      gate: { passed: number; total: number };
    }
  | { type: 'error'; message: string };

export type ClientMessage = { type: 'run' };
