import { Inject, Injectable, OnModuleDestroy, Optional, ServiceUnavailableException } from '@nestjs/common';
import { Response } from 'express';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { FEED_TABLES, FeedPage, readFeedPage } from '@lib/projections/feed';
import { FairGate } from './fair-gate';
import { FEED_CONFIG, FeedConfig } from './feed.config';
import { FeedNotifier } from './feed-notifier';
import { FeedStream } from './feed-stream';
import { Metrics } from '../operations/metrics';

/**
 * Feed page reads at once, per database. PGlite runs one query at a time on its single connection: two
 * keep it busy (one runs while the other's result is written out) and leave a command or a health check
 * at most two page reads to wait behind, however many streams are catching up. A PostgreSQL pool (10
 * connections by default) keeps most of its connections for everything else.
 */
const READS_AT_ONCE = { pglite: 2, postgres: 4 } as const;

/** Reads the feed and keeps the open streams, so that a shutdown ends them instead of waiting on them. */
@Injectable()
export class FeedService implements OnModuleDestroy {
  private readonly streams = new Set<FeedStream>();
  private shuttingDown = false;
  /** Every page read, of a stream or of GET /api/feed, takes its turn here (fair-gate.ts). */
  private readonly reads: FairGate;
  /** Reads queued in `reads` and not started yet, by their parameters. */
  private readonly waitingReads = new Map<string, Promise<FeedPage>>();

  constructor(
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    @Inject(FEED_CONFIG) private readonly config: FeedConfig,
    private readonly notifier: FeedNotifier,
    // Optional: the read tests build a FeedService without an app around it.
    @Optional() private readonly metrics?: Metrics,
  ) {
    this.reads = new FairGate(READS_AT_ONCE[db.dialect]);
  }

  /**
   * `services`: a consumer's services claim (undefined: every event). Identical reads waiting for their
   * turn are one read: streams at the head, woken by one event, all ask for the same page. A read joins
   * only one that has not started yet, so its answer is never older than its request (a stream wakes
   * on an event, then reads: it must see that event).
   */
  page(after: number, limit: number, services: readonly string[] | undefined, maxBytes?: number): Promise<FeedPage> {
    const key = JSON.stringify([after, limit, services ?? null, maxBytes ?? null]);
    const waiting = this.waitingReads.get(key);
    if (waiting) return waiting;
    let started = false;
    const read = this.reads.run(() => {
      started = true;
      this.waitingReads.delete(key);
      return readFeedPage(this.db, FEED_TABLES, { after, limit, ...(services ? { services } : {}), ...(maxBytes ? { maxBytes } : {}) });
    });
    // A free gate may have started it already, within run(): then it is no longer one to join.
    if (!started) this.waitingReads.set(key, read);
    return read;
  }

  /** Starts a Server-Sent Events stream on `response`; it runs until the client leaves or the app closes. */
  open(response: Response, after: number, services: readonly string[] | undefined): void {
    if (this.shuttingDown) throw new ServiceUnavailableException('The server is shutting down: reconnect shortly');
    const { heartbeatMs, streamPageSize, streamPageBytes, retryMs } = this.config;
    const stream = new FeedStream(response, {
      after,
      pageSize: streamPageSize,
      heartbeatMs,
      retryMs,
      read: (from, limit) => this.page(from, limit, services, streamPageBytes),
      wakeUps: this.notifier,
    });
    this.streams.add(stream);
    this.metrics?.feedStreams.inc();
    void stream.done.then(() => {
      this.streams.delete(stream);
      this.metrics?.feedStreams.dec();
    });
  }

  /** Streams open now (the benchmark and the tests watch it). */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Bytes the open streams hold in memory, not yet taken by their sockets: what back-pressure bounds. */
  get bufferedBytes(): number {
    let bytes = 0;
    for (const stream of this.streams) bytes += stream.bufferedBytes;
    return bytes;
  }

  /**
   * Before the HTTP server closes: end every stream (clients reconnect elsewhere with Last-Event-ID). The
   * server's close then also cuts a connection whose client stopped reading: its response is finished.
   */
  async onModuleDestroy(): Promise<void> {
    this.shuttingDown = true;
    const streams = [...this.streams];
    for (const stream of streams) stream.close();
    await Promise.all(streams.map((stream) => stream.done));
  }
}
