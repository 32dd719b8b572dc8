import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * At most `width` tasks at once; the others wait in arrival order (FIFO), and each starts on a fresh
 * turn of the event loop. The feed's page reads go through one: a stream that has read a page goes to
 * the back of the queue for its next one (fairness between streams), the database's own queue never
 * holds more than `width` of them ahead of a command or a health check, and the fresh turn lets
 * incoming requests be read between pages rather than after a whole backlog.
 * Hand-written (twenty lines) rather than p-limit: that one is ESM-only in its maintained versions, and
 * is not a dependency here; this one also yields the turn, which p-limit does not.
 */
export class FairGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly width: number) {
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
      await nextTurn();
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
