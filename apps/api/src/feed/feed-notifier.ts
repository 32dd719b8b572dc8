import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Position, START, comparePositions } from '@lib/event-store/event-store.port';
import { ProjectionStatus } from '@lib/projections';
import { feedProjection } from '@lib/projections/feed';
import { ProjectionHost } from '../projections/projection-host';

/**
 * How long one wait on the runner lasts before the feed's own lane is looked at again: the runner wakes us
 * when every projection has moved, so this bounds the delay another, slower projection can add (and how
 * long a wait lingers after a stop). An in-memory check, no query.
 */
const WAIT_MS = 250;

/**
 * Wakes the open streams when the feed projection has moved: it waits on the projection runner itself
 * (waitForPosition just past the feed's checkpoint resolves as soon as the runner commits a further event),
 * so a stream hears of new rows right after they are committed, with no polling of the database and no
 * subscription of its own. One loop per process, whatever the number of streams. Streams compare
 * `generation` before and after a read, so that a wake-up during a read is never lost.
 */
@Injectable()
export class FeedNotifier implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly listeners = new Set<() => void>();
  private loop: Promise<void> | undefined;
  private stopped = false;
  private stop!: () => void;
  private readonly stopping = new Promise<void>((resolve) => (this.stop = resolve));
  /** Bumped at every wake-up. */
  generation = 0;

  constructor(private readonly host: ProjectionHost) {}

  onApplicationBootstrap(): void {
    this.loop = this.follow();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.stop();
    await this.loop;
    this.wake();
  }

  /** Calls `listener` at every wake-up until the returned function is called. */
  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private wake(): void {
    this.generation += 1;
    for (const listener of [...this.listeners]) listener();
  }

  private lane(): ProjectionStatus | undefined {
    return this.host.runner.status().find((status) => status.name === feedProjection.name);
  }

  private async follow(): Promise<void> {
    let seen: Position = this.lane()?.position ?? START;
    while (!this.stopped) {
      const lane = this.lane();
      if (!lane) return;
      if (comparePositions(lane.position, seen) !== 0) {
        // Moved on (or, after a reset, back): new rows may be there.
        seen = lane.position;
        this.wake();
        continue;
      }
      if (lane.state !== 'running') {
        await this.pause(WAIT_MS); // failed or being swapped: nothing will come until it runs again
        continue;
      }
      // Resolves once every projection has applied an event after `seen` (they follow one global order).
      const started = Date.now();
      const next: Position = { commit: seen.commit, prepare: seen.prepare + 1 };
      const reached = await Promise.race([this.host.runner.waitForPosition(next, WAIT_MS), this.stopping.then(() => true)]);
      // False before the time is up: another projection has failed and the runner says no at once; look
      // at the feed's own lane again after a pause rather than spin.
      if (!reached && Date.now() - started < WAIT_MS) await this.pause(WAIT_MS);
    }
  }

  private pause(ms: number): Promise<void> {
    return Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), this.stopping]);
  }
}
