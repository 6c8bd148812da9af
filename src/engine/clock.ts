/** A delayed call on the engine's clock. */
interface Timeout {
  start: number;
  timeout: number;
  fn: () => void;
}

/**
 * The engine's simulated clock: what XState's `SimulatedClock` does, with the same order of firing
 * (by due time; timeouts due together fire as XState's sort puts them), and one difference that
 * matters for speed: moving the clock to a minute before anything is due touches no timeout.
 * XState's clock sorts every pending timeout on every move, and most minutes of a shift have
 * nothing due.
 */
export class EngineClock {
  readonly #timeouts = new Map<number, Timeout>();
  #now = 0;
  #nextId = 0;
  /** No timeout is due before this time (a lower bound: a cleared timeout may have set it). */
  #nextDue = Number.POSITIVE_INFINITY;
  #flushing = false;
  /** A timeout was set or cleared while flushing: the flush starts over from a fresh order. */
  #changed = false;

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, timeout: number): number {
    this.#changed = this.#flushing;
    const id = this.#nextId++;
    this.#timeouts.set(id, { start: this.#now, timeout, fn });
    this.#nextDue = Math.min(this.#nextDue, this.#now + timeout);
    return id;
  }

  clearTimeout(id: number): void {
    this.#changed = this.#flushing;
    this.#timeouts.delete(id);
  }

  /** Moves the clock to `time` and fires what is due by then. */
  set(time: number): void {
    if (time < this.#now) throw new Error(`the clock cannot go back (from ${this.#now} to ${time})`);
    this.#now = time;
    if (time >= this.#nextDue) this.#flush();
  }

  #flush(): void {
    if (this.#flushing) {
      this.#changed = true;
      return;
    }
    this.#flushing = true;
    this.#changed = false;
    const byDue = [...this.#timeouts].sort(([, a], [, b]) =>
      b.start + b.timeout > a.start + a.timeout ? -1 : 1,
    );
    for (const [id, timeout] of byDue) {
      if (this.#changed) {
        // What fired so far set or cleared timeouts: order what is left again.
        this.#flushing = false;
        this.#flush();
        return;
      }
      if (this.#now - timeout.start >= timeout.timeout) {
        this.#timeouts.delete(id);
        timeout.fn();
      }
    }
    this.#flushing = false;
    let next = Number.POSITIVE_INFINITY;
    for (const { start, timeout } of this.#timeouts.values()) next = Math.min(next, start + timeout);
    this.#nextDue = next;
  }
}
