import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Position, START, comparePositions } from '@lib/event-store/event-store.port';
import { feedProjection } from '@lib/projections/feed';
import { ProjectionHost } from '../projections/projection-host';

/**
 * The feed's position is looked at this often even without a wake-up from the host: a safety net, an
 * in-memory check (no query).
 */
const RECHECK_MS = 1_000;

/**
 * Wakes the open streams when the feed projection has moved. The host says when a projection may have
 * moved: on the leader, right after its runner commits a batch; on a follower, right after the leader's
 * checkpoints are read again (on its NOTIFY, or a poll), and the feed rows are committed with the
 * checkpoint, so a stream reads them right after. One listener per process, whatever the number of
 * streams. Streams compare `generation` before and after a read, so that a wake-up during a read is never lost.
 */
@Injectable()
export class FeedNotifier implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly listeners = new Set<() => void>();
  private seen: Position = START;
  private unlisten: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Bumped at every wake-up. */
  generation = 0;

  constructor(private readonly host: ProjectionHost) {}

  onApplicationBootstrap(): void {
    this.seen = this.host.positionOf(feedProjection.name);
    this.unlisten = this.host.onProgress(() => this.check());
    this.timer = setInterval(() => this.check(), RECHECK_MS).unref();
  }

  onModuleDestroy(): void {
    this.unlisten?.();
    clearInterval(this.timer);
    this.wake();
  }

  /** Calls `listener` at every wake-up until the returned function is called. */
  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private check(): void {
    const position = this.host.positionOf(feedProjection.name);
    // Moved on (or, after a reset, back): new rows may be there.
    if (comparePositions(position, this.seen) === 0) return;
    this.seen = position;
    this.wake();
  }

  private wake(): void {
    this.generation += 1;
    for (const listener of [...this.listeners]) listener();
  }
}
