/**
 * The projections' rebuild measured, and its ceiling: functions that bench/projections.bench.ts and
 * bench/national.bench.ts call on a store they filled. Both read the log through the store's own read
 * path (its page size is the caller's: PostgresEventStore.create(db, { pageSize }), 5 000 in the benches).
 */
import { randomBytes } from 'node:crypto';
import { EventStore, RecordedEvent } from '@lib/event-store/event-store.port';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { PROJECTIONS, ProjectionRunner } from '@lib/projections';

/** Events per transaction of the bare loop: the runner's largest batch. */
export const BARE_BATCH = 5_000;

/**
 * Every projection of the registry rebuilt from the log, from one read: into fresh tables (a suffix of
 * their own, as the operator's rebuild does) dropped afterwards, or, with `live`, into the live read
 * models, which are left at the head (so that an API started next has nothing to catch up).
 */
export async function measureRebuild(
  db: SqlDatabase,
  store: EventStore,
  { live = false }: { live?: boolean } = {},
): Promise<{ events: number; ms: number }> {
  const events = await store.eventCount();
  const runner = new ProjectionRunner({
    db,
    store,
    projections: [...PROJECTIONS],
    suffix: live ? '' : `_bench_${randomBytes(3).toString('hex')}`,
    logger: { log: () => undefined, error: (message) => console.error(message) },
  });
  const started = process.hrtime.bigint();
  try {
    await runner.rebuild(PROJECTIONS.map((projection) => projection.name));
    return { events, ms: Number(process.hrtime.bigint() - started) / 1e6 };
  } finally {
    await (live ? runner.stop() : runner.discard());
  }
}

/**
 * The ceiling: the same read of the log, and per batch of BARE_BATCH events ONE transaction holding one
 * multi-row upsert (events per stream, folded in memory first) and the checkpoint's update. No event is
 * upcast or decided on: what is left is reading, one statement and one commit per batch.
 */
export async function measureBareUpsertLoop(db: SqlDatabase, store: EventStore): Promise<{ events: number; ms: number }> {
  const suffix = randomBytes(3).toString('hex');
  const [table, checkpoints] = [`bare_streams_${suffix}`, `bare_checkpoint_${suffix}`];
  await db.query(
    `CREATE TABLE ${table} (stream_id text PRIMARY KEY, events bigint NOT NULL, last_commit bigint NOT NULL, last_prepare bigint NOT NULL)`,
  );
  await db.query(`CREATE TABLE ${checkpoints} (name text PRIMARY KEY, position_commit bigint NOT NULL, position_prepare bigint NOT NULL)`);
  await db.query(`INSERT INTO ${checkpoints} VALUES ('bare', 0, 0)`);
  const started = process.hrtime.bigint();
  let events = 0;
  try {
    let batch: RecordedEvent[] = [];
    const commit = async () => {
      const streams = new Map<string, { stream_id: string; events: number; last_commit: number; last_prepare: number }>();
      for (const event of batch) {
        const row = streams.get(event.streamId) ?? { stream_id: event.streamId, events: 0, last_commit: 0, last_prepare: 0 };
        row.events += 1;
        [row.last_commit, row.last_prepare] = [event.position.commit, event.position.prepare];
        streams.set(event.streamId, row);
      }
      const last = batch[batch.length - 1].position;
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO ${table} SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(stream_id text, events bigint, last_commit bigint, last_prepare bigint)
           ON CONFLICT (stream_id) DO UPDATE SET events = ${table}.events + EXCLUDED.events, last_commit = EXCLUDED.last_commit, last_prepare = EXCLUDED.last_prepare`,
          [JSON.stringify([...streams.values()])],
        );
        await tx.query(`UPDATE ${checkpoints} SET position_commit = $1, position_prepare = $2 WHERE name = 'bare'`, [
          last.commit,
          last.prepare,
        ]);
      });
      events += batch.length;
      batch = [];
    };
    for await (const event of store.readAll()) {
      batch.push(event);
      if (batch.length === BARE_BATCH) await commit();
    }
    if (batch.length > 0) await commit();
    return { events, ms: Number(process.hrtime.bigint() - started) / 1e6 };
  } finally {
    await db.query(`DROP TABLE IF EXISTS ${table}, ${checkpoints}`);
  }
}
