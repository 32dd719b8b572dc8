import { AllFilter, Position, RecordedEvent, Subscription } from '../event-store.port';

/** One page of the global order, as the store's READ_ALL_PAGE answers it (queries.ts). */
export interface Page {
  events: RecordedEvent[];
  /** Every event below this transaction id has been scanned by the query that returned the page. */
  horizon: number;
  /** Committed events wait above the horizon: worth looking again soon rather than at the next poll. */
  pending: boolean;
}

/** What a subscription needs of its store: pages of the global order and a wake-up on appends. */
export interface SubscriptionSource {
  after: Position;
  filter: AllFilter | undefined;
  pageSize: number;
  pollIntervalMs: number;
  fetchPage(after: Position, filter: AllFilter | undefined, limit: number): Promise<Page>;
  watch(wakeUp: () => void): Promise<() => void>;
  onClosed(subscription: PostgresSubscription): void;
}

/**
 * Catch-up then live, pull-based: the next page is fetched only when the consumer asks for more, so at
 * most one page is buffered. Between pages it sleeps until a notification, the poll interval or close().
 */
export class PostgresSubscription implements Subscription {
  private closed = false;
  private iterated = false;
  private notified = false;
  private wakeUp: (() => void) | undefined;
  private stopWatching: (() => void) | undefined;
  private inFlight: Promise<unknown> | undefined;

  constructor(private readonly source: SubscriptionSource) {}

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.iterated) throw new Error('A subscription can be iterated only once');
    this.iterated = true;
    return this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
    this.stopWatching?.();
    this.source.onClosed(this);
    // Let a query in flight finish before the caller closes the database under it.
    await this.inFlight?.catch(() => undefined);
  }

  private async *run(): AsyncGenerator<RecordedEvent> {
    const { source } = this;
    try {
      // Listen before the first read, so that an append committed after that read still wakes us.
      this.stopWatching = await this.track(source.watch(() => this.wake()));
      if (this.closed) this.stopWatching();
      let cursor = source.after;
      let retryIn = 1;
      while (!this.closed) {
        this.notified = false;
        const page = await this.track(source.fetchPage(cursor, source.filter, source.pageSize));
        for (const event of page.events) {
          if (this.closed) return;
          cursor = event.position;
          yield event;
        }
        if (page.events.length === source.pageSize) continue;
        // Everything below the horizon was scanned: skip what the filter left out, once and for all.
        if (cursor.commit < page.horizon) cursor = { commit: page.horizon, prepare: 0 };
        // A notification can arrive while an older transaction still holds the horizon back: the events it
        // announced are then readable a few milliseconds later, not at the next poll.
        retryIn = page.pending ? Math.min(retryIn * 2, source.pollIntervalMs) : 1;
        await this.sleep(page.pending ? retryIn : source.pollIntervalMs);
      }
    } catch (error) {
      if (!this.closed) throw error;
    } finally {
      this.stopWatching?.();
      this.source.onClosed(this);
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight = promise;
    return promise;
  }

  private sleep(ms: number): Promise<void> {
    if (this.notified || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private wake(): void {
    this.notified = true;
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }
}
