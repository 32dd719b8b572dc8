import { coalesced } from '@lib/event-store/coalesced';
import { Position, START, comparePositions } from '@lib/event-store/event-store.port';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { readCheckpoint } from '@lib/projections/runner/checkpoints';

/** A follower reads the checkpoints this often even without a notification: a lost one costs at most this. */
export const CHECKPOINT_POLL_MS = 500;

const UNDEFINED_TABLE = '42P01';

/**
 * How far the leader's projections are, as a follower sees it: their committed checkpoints, read again
 * whenever the leader says it committed a batch (NOTIFY on `channel`) and, in case a notification is
 * lost (the LISTEN connection reconnecting), every CHECKPOINT_POLL_MS while following.
 */
export class CheckpointBoard {
  private readonly positions = new Map<string, Position>();
  private poller: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly db: SqlDatabase,
    private readonly names: readonly string[],
    private readonly channel: string,
    /** Called after a read that moved any position. */
    private readonly onMoved: () => void,
  ) {}

  /** LISTENs for the leader's notifications (every process: a leader that steps down follows at once). */
  async listen(): Promise<void> {
    this.unlisten = await this.db.listen(this.channel, () => void this.refresh().catch(() => undefined));
  }

  /** Polls while following; a leader's own runner knows better. */
  poll(on: boolean): void {
    clearInterval(this.poller);
    this.poller = on ? setInterval(() => void this.refresh().catch(() => undefined), CHECKPOINT_POLL_MS).unref() : undefined;
  }

  async close(): Promise<void> {
    this.poll(false);
    await this.unlisten?.();
  }

  position(name: string): Position {
    return this.positions.get(name) ?? START;
  }

  /** Tells the followers that checkpoints moved; one notification in flight at a time (they read them all anyway). */
  announce = coalesced(() => this.db.query(`SELECT pg_notify($1, '')`, [this.channel]).then(() => undefined));

  /** Reads the checkpoints now; calls made during a read share the next one, so a read never misses a commit. */
  refresh = coalesced(async () => {
    let read;
    try {
      read = await Promise.all(this.names.map((name) => readCheckpoint(this.db, name)));
    } catch (error) {
      // Before the first leader's start the table may not exist yet: nothing is projected then.
      if ((error as { code?: string }).code === UNDEFINED_TABLE) return;
      throw error;
    }
    let moved = false;
    read.forEach((checkpoint, i) => {
      const position = checkpoint?.position ?? START;
      if (comparePositions(position, this.position(this.names[i])) !== 0) moved = true;
      this.positions.set(this.names[i], position);
    });
    if (moved) this.onMoved();
  });
}
