/**
 * The real clock, read here and nowhere else: the engine runs on minutes since its epoch, and live
 * those minutes are the wall clock's. Whole minutes, because the SLI ledger counts whole minutes; a
 * clock that steps back (NTP) holds its minute rather than turning the engine's time back.
 */

/** Milliseconds since the Unix epoch; tests pass a clock they move themselves. */
export type WallClock = () => number;

export const systemClock: WallClock = () => Date.now();

/** The clock's time now as an RFC 3339 timestamp: when a notification was delivered. */
export function wallTimestamp(clock: WallClock): string {
  return new Date(clock()).toISOString();
}

/** The start of the current minute, as the epoch of a new run. */
export function minuteStart(clock: WallClock): string {
  const ms = Math.floor(clock() / 60000) * 60000;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export class EngineMinutes {
  private last = 0;

  constructor(
    private readonly clock: WallClock,
    private readonly epochMs: number,
  ) {}

  /** The engine's minute now: whole minutes since the epoch, never less than the last one given. */
  now(): number {
    this.last = Math.max(this.last, Math.floor((this.clock() - this.epochMs) / 60000));
    return this.last;
  }

  /** A replayed journal has moved the engine to `minute` already. */
  resumeAt(minute: number): void {
    this.last = Math.max(this.last, minute);
  }
}
