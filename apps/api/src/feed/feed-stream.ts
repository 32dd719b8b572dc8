import { Logger } from '@nestjs/common';
import { Response } from 'express';
import { FeedPage } from '@lib/projections/feed';

export interface FeedStreamOptions {
  /** Exclusive: the last position the client has. */
  after: number;
  pageSize: number;
  heartbeatMs: number;
  retryMs: number;
  /** Reads one page of what this client may see. */
  read(after: number, limit: number): Promise<FeedPage>;
  /** The process-wide wake-up (FeedNotifier). */
  wakeUps: { readonly generation: number; listen(listener: () => void): () => void };
}

const logger = new Logger('FeedStream');

/**
 * One Server-Sent Events connection. Back-pressure: it reads one page from the database, writes it, and
 * reads the next only once the socket has taken it all (write() false → wait for 'drain'), so a slow
 * client costs the server at most one page beyond the socket's buffers, however far behind it is.
 * Once at the head it sleeps until the notifier wakes it; a comment line every heartbeatMs keeps idle
 * connections alive.
 */
export class FeedStream {
  private closed = false;
  private readonly closeWaiters = new Set<() => void>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** Resolves once the stream has stopped and the response has ended. */
  readonly done: Promise<void>;

  constructor(
    private readonly response: Response,
    private readonly options: FeedStreamOptions,
  ) {
    response.on('close', () => this.close());
    this.done = this.run();
  }

  /** Bytes written but not yet taken by the socket (held in this process's memory). */
  get bufferedBytes(): number {
    return this.response.writableLength;
  }

  /** Ends the stream (client gone, or the server shutting down); the client resumes with Last-Event-ID. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const waiter of [...this.closeWaiters]) waiter();
  }

  private async run(): Promise<void> {
    const { response, options } = this;
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache, no-transform');
    response.setHeader('Connection', 'keep-alive');
    // Reverse proxies (nginx) must not buffer the stream.
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    response.write(`retry: ${options.retryMs}\n\n`);
    this.heartbeat = setInterval(() => {
      // Never adds to a backlog: a connection with unsent data is not idle.
      if (!this.closed && !response.writableNeedDrain) response.write(': heartbeat\n\n');
    }, options.heartbeatMs);
    this.heartbeat.unref();

    let after = options.after;
    try {
      while (!this.closed) {
        const seen = options.wakeUps.generation;
        const page = await options.read(after, options.pageSize);
        if (this.closed) break;
        if (page.items.length > 0) {
          // One write per page: `id:` is the position, `data:` the envelope (one line of JSON).
          const chunk = page.items.map((item) => `id: ${item.position}\ndata: ${item.body}\n\n`).join('');
          if (!response.write(chunk)) await this.drained();
        }
        after = page.next;
        if (!page.full) await this.wokenAfter(seen);
      }
    } catch (error) {
      // The database failed under a read: end the stream, the client reconnects from its last id.
      if (!this.closed) logger.warn(`Feed stream ended after ${after}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.close();
      if (!response.writableEnded && !response.destroyed) response.end();
    }
  }

  /** Until the socket has sent what is buffered, or the stream closes. */
  private drained(): Promise<void> {
    return this.until((resolve) => {
      this.response.once('drain', resolve);
      return () => this.response.off('drain', resolve);
    });
  }

  /** Until the notifier's generation differs from `seen` (at once if it already does), or the stream closes. */
  private wokenAfter(seen: number): Promise<void> {
    if (this.options.wakeUps.generation !== seen) return Promise.resolve();
    return this.until((resolve) => this.options.wakeUps.listen(resolve));
  }

  /** Waits for what `arm` sets up, or for close(); `arm` returns its own cleanup. */
  private until(arm: (resolve: () => void) => () => void): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const settle = () => {
        disarm();
        this.closeWaiters.delete(settle);
        resolve();
      };
      const disarm = arm(settle);
      this.closeWaiters.add(settle);
    });
  }
}
