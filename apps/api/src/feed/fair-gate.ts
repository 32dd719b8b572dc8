import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * At most `width` tasks at once; the others wait in arrival order (FIFO). The feed's page reads go
 * through one: a stream that has read a page goes to the back of the queue for its next one (fairness
 * between streams), and the database's own queue never holds more than `width` of them ahead of a
 * command or a health check. Once tasks have followed one another for `sliceMs` without the event loop
 * turning, the next waits for a fresh turn, so that incoming requests are read between pages rather than
 * after a whole backlog (a query on PGlite and what follows it may all resolve in microtasks).
 * Hand-written (thirty lines) rather than p-limit: that one is ESM-only in its maintained versions and is
 * not a dependency here, and it does not yield the turn.
 */
export class FairGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** When this gate last let the event loop turn. */
  private sliceStarted = performance.now();

  constructor(
    readonly width: number,
    readonly sliceMs = 20,
  ) {
    if (!(Number.isInteger(width) && width >= 1)) throw new RangeError(`a gate's width is a whole number from 1, got ${width}`);
  }

  /** Tasks waiting for a place now. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.width) this.active += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // its place is handed over below
    try {
      if (performance.now() - this.sliceStarted > this.sliceMs) {
        await nextTurn();
        this.sliceStarted = performance.now();
      }
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
