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

/**
 * The start of the current minute, as the epoch of a new run; with a time scale, of the current
 * engine minute (a second at 60x), so the run's minute 0 is now rather than up to an hour ago.
 */
export function minuteStart(clock: WallClock, timeScale = 1): string {
  const minuteMs = 60000 / timeScale;
  const ms = Math.floor(clock() / minuteMs) * minuteMs;
  return new Date(Math.floor(ms)).toISOString().replace('.000Z', 'Z');
}

/**
 * The engine's time for a wall-clock time. At scale 1 they are the same; a game day's `--time-scale
 * 60` runs the engine's clock 60 times as fast from the run's epoch, so an hour of the engine's
 * timers (and of the scaled rules' windows) passes in a minute.
 */
export function engineTimeOf(wallMs: number, epochMs: number, scale: number): number {
  return scale === 1 ? wallMs : epochMs + (wallMs - epochMs) * scale;
}

export class EngineMinutes {
  private last = 0;

  constructor(
    private readonly clock: WallClock,
    private readonly epochMs: number,
    private readonly scale = 1,
  ) {}

  /** The engine's minute now: whole minutes since the epoch, never less than the last one given. */
  now(): number {
    const engineMs = engineTimeOf(this.clock(), this.epochMs, this.scale);
    this.last = Math.max(this.last, Math.floor((engineMs - this.epochMs) / 60000));
    return this.last;
  }

  /** A replayed journal has moved the engine to `minute` already. */
  resumeAt(minute: number): void {
    this.last = Math.max(this.last, minute);
  }
}
