/**
 * `npm run bench:store`: append throughput (1 and 8 concurrent writers, one event per append, with
 * p50/p99 latency) and the rate of reading the whole global order (at least 100 000 events), on
 * PostgreSQL (DATABASE_URL, in a schema of its own, dropped afterwards) and on PGlite (in a temporary
 * data directory, as in production). A benchmark, not a test: it prints figures for docs/benchmarks.md.
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), BENCH_APPENDS (appends
 * per writer configuration, default 4000), BENCH_READ_EVENTS (default 100000), BENCH_STORES
 * (default "postgres,pglite").
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { EventStore, Position, START, comparePositions } from '@lib/event-store/event-store.port';
import { PgPoolDatabase } from '@lib/event-store/sql/pg-pool-database';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { createPgliteEventStore } from '@lib/event-store/pglite/create-pglite-event-store';
import { AppendOne, appendBench, benchEvent as event } from './lib/append';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const APPENDS = Number(process.env.BENCH_APPENDS ?? 4000);
const READ_EVENTS = Number(process.env.BENCH_READ_EVENTS ?? 100_000);
const STORES = (process.env.BENCH_STORES ?? 'postgres,pglite').split(',');

interface Opened {
  label: string;
  store: EventStore;
  db: SqlDatabase;
  close(): Promise<void>;
}

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`,
  );
  console.log(`appends per configuration: ${APPENDS} (one event each); global order read over >= ${READ_EVENTS} events\n`);
  for (const kind of STORES) {
    const opened = kind === 'postgres' ? await openPostgres() : await openPglite();
    try {
      const version = (await opened.db.query<{ version: string }>('SELECT version()')).rows[0].version.split(' ').slice(0, 2).join(' ');
      console.log(`## ${opened.label} (${version})`);
      await appendBench(storeAppend(opened.store), 1, 200); // warm-up: connections, plans, caches
      let appended = 200;
      for (const writers of [1, 8]) {
        appended += APPENDS;
        const figures = await appendBench(storeAppend(opened.store), writers, APPENDS);
        console.log(
          `append, ${writers} writer${writers > 1 ? 's' : ''}: ${figures.events} events, ${Math.round(figures.eventsPerSecond)} events/s, ` +
            `latency p50 ${figures.p50.toFixed(2)} ms, p99 ${figures.p99.toFixed(2)} ms`,
        );
      }
      const filled = await fill(opened.store, appended, READ_EVENTS);
      const read = await readAllBench(opened.store);
      console.log(`fill: ${filled.events} events in batches of 500 at ${Math.round(filled.eventsPerSecond)} events/s`);
      console.log(
        `read the whole global order: ${read.events} events in ${read.seconds.toFixed(2)} s, ${Math.round(read.events / read.seconds)} events/s\n`,
      );
    } finally {
      await opened.close();
    }
  }
}

const storeAppend =
  (store: EventStore): AppendOne =>
  (streamId, appended) =>
    store.appendToStream(streamId, [appended], { expectedRevision: 'any' });

async function openPostgres(): Promise<Opened> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const db = await PgPoolDatabase.connect({ connectionString: DATABASE_URL, schema, max: 10 });
  const store = await PostgresEventStore.create(db, { channel: `events_${schema}` });
  return {
    label: 'PostgreSQL',
    store,
    db,
    async close() {
      await store.close();
      await db.query(`DROP SCHEMA ${schema} CASCADE`);
      await db.close();
    },
  };
}

async function openPglite(): Promise<Opened> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-pglite-'));
  const { store, db } = await createPgliteEventStore(dataDir);
  return {
    label: 'PGlite (data directory on disk)',
    store,
    db,
    async close() {
      await store.close();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Tops the log up to `atLeast` events with batches of 500; resolves once a global reader can see them all. */
async function fill(store: EventStore, present: number, atLeast: number): Promise<{ events: number; eventsPerSecond: number }> {
  const missing = Math.max(0, atLeast - present);
  const started = performance.now();
  let last: Position = START;
  for (let done = 0, batch = 0; done < missing; done += 500, batch++) {
    ({ position: last } = await store.appendToStream(
      `fill-${batch % 1000}`,
      Array.from({ length: Math.min(500, missing - done) }, () => event()),
    ));
  }
  const eventsPerSecond = missing / ((performance.now() - started) / 1000);
  // PostgreSQL's global readers wait for every older transaction of the cluster to end (see queries.ts).
  const waitStarted = performance.now();
  while (comparePositions(await store.headPosition(), last) < 0) await new Promise((resolve) => setTimeout(resolve, 50));
  const waited = performance.now() - waitStarted;
  if (waited > 1000) console.log(`(waited ${(waited / 1000).toFixed(1)} s for another session's transaction to end before reading)`);
  return { events: missing, eventsPerSecond };
}

async function readAllBench(store: EventStore): Promise<{ events: number; seconds: number }> {
  let events = 0;
  const started = performance.now();
  for await (const _ of store.readAll()) events++;
  return { events, seconds: (performance.now() - started) / 1000 };
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
