import { EventStore, RecordedEvent, formatPosition } from '@lib/event-store/event-store.port';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { PROJECTIONS } from '@lib/projections/registry';
import { ProjectionRunner } from '@lib/projections/runner/projection-runner';

/**
 * Every projection the API keeps rebuilt from position 0 by ProjectionRunner.rebuild (the path of the
 * API's catch-up and of `cli rebuild-projections`), all at once as the API runs them. `events` is the
 * log's length (each projection reads all of it), `ms` the time until the last one is at the head.
 */
export async function measureRebuild(db: SqlDatabase, store: EventStore): Promise<{ events: number; ms: number }> {
  const runner = new ProjectionRunner({ db, store, projections: PROJECTIONS });
  const started = performance.now();
  try {
    await Promise.all(PROJECTIONS.map((projection) => runner.rebuild(projection.name)));
    const ms = performance.now() - started;
    return { events: Math.max(...Object.values(runner.eventsSinceStart())), ms };
  } finally {
    await runner.stop();
  }
}

const PAGE = 1000;

/**
 * The ceiling of a projection: the log read in pages of PAGE events, each page folded in memory into a
 * tiny read model (events and last type per stream) and written with ONE multi-row upsert and its
 * checkpoint in one transaction. Tables of its own, dropped afterwards.
 */
export async function measureBareUpsertLoop(db: SqlDatabase, store: EventStore): Promise<{ events: number; ms: number }> {
  await db.query('CREATE TABLE bare_read_model (stream_id text PRIMARY KEY, events bigint NOT NULL, last_type text NOT NULL)');
  await db.query('CREATE TABLE bare_checkpoint (name text PRIMARY KEY, position text NOT NULL)');
  await db.query(`INSERT INTO bare_checkpoint VALUES ('bare', '')`);
  try {
    let events = 0;
    const started = performance.now();
    let page: RecordedEvent[] = [];
    const flush = async () => {
      const folded = new Map<string, { events: number; lastType: string }>();
      for (const event of page) {
        const row = folded.get(event.streamId) ?? { events: 0, lastType: event.type };
        row.events++;
        row.lastType = event.type;
        folded.set(event.streamId, row);
      }
      const last = page[page.length - 1].position;
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO bare_read_model (stream_id, events, last_type)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])
           ON CONFLICT (stream_id) DO UPDATE SET events = bare_read_model.events + excluded.events, last_type = excluded.last_type`,
          [[...folded.keys()], [...folded.values()].map((row) => row.events), [...folded.values()].map((row) => row.lastType)],
        );
        await tx.query(`UPDATE bare_checkpoint SET position = $1 WHERE name = 'bare'`, [formatPosition(last)]);
      });
      events += page.length;
      page = [];
    };
    for await (const event of store.readAll()) {
      page.push(event);
      if (page.length === PAGE) await flush();
    }
    if (page.length > 0) await flush();
    return { events, ms: performance.now() - started };
  } finally {
    await db.query('DROP TABLE bare_read_model, bare_checkpoint');
  }
}
