import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { EVENT_STORE, EventStore } from './event-store.port';
import { SqlDatabase } from './sql/sql-database';
import { PgPoolDatabase, PgTimeouts } from './sql/pg-pool-database';
import { PgliteDatabase } from './sql/pglite-database';
import { PostgresEventStore } from './postgres/postgres-event-store';
import { EventStoreDbEventStore } from './eventstoredb/eventstoredb-event-store';

/** The database that projections, idempotency records and checkpoints live in, whatever the event store. */
export const SQL_DATABASE = Symbol('SQL_DATABASE');

export type EventStoreOptions =
  | { kind: 'pglite'; dataDir?: string }
  | { kind: 'postgres'; databaseUrl: string; schema?: string; timeouts?: Partial<PgTimeouts> }
  | { kind: 'eventstoredb'; esdbConnectionString: string; databaseUrl?: string; dataDir?: string; timeouts?: Partial<PgTimeouts> }
  | { kind: 'in-memory-for-tests'; store: EventStore; db: SqlDatabase };

interface Opened {
  store: EventStore;
  db: SqlDatabase;
}

/** Opens the configured store. PGlite and PostgreSQL keep events and projections in one database. */
export async function openEventStore(options: EventStoreOptions): Promise<Opened> {
  switch (options.kind) {
    case 'pglite': {
      if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
      const db = await PgliteDatabase.open(options.dataDir);
      return { db, store: await PostgresEventStore.create(db) };
    }
    case 'postgres': {
      const db = await PgPoolDatabase.connect({
        connectionString: options.databaseUrl,
        schema: options.schema,
        timeouts: options.timeouts,
      });
      return { db, store: await PostgresEventStore.create(db, { channel: `events_${options.schema ?? 'public'}` }) };
    }
    case 'eventstoredb': {
      let db: SqlDatabase;
      if (options.databaseUrl) db = await PgPoolDatabase.connect({ connectionString: options.databaseUrl, timeouts: options.timeouts });
      else {
        if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
        db = await PgliteDatabase.open(options.dataDir);
      }
      return { db, store: EventStoreDbEventStore.fromConnectionString(options.esdbConnectionString) };
    }
    case 'in-memory-for-tests':
      return { db: options.db, store: options.store };
  }
}

@Injectable()
class EventStoreShutdown implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    await this.db.close();
  }
}

/** The store is chosen by configuration (EVENT_STORE) and provided under EVENT_STORE and SQL_DATABASE. */
@Global()
@Module({})
export class EventStoreModule {
  static forRoot(options: EventStoreOptions): DynamicModule {
    const OPENED = Symbol('OPENED_EVENT_STORE');
    return {
      module: EventStoreModule,
      providers: [
        { provide: OPENED, useFactory: () => openEventStore(options) },
        { provide: EVENT_STORE, useFactory: (opened: Opened) => opened.store, inject: [OPENED] },
        { provide: SQL_DATABASE, useFactory: (opened: Opened) => opened.db, inject: [OPENED] },
        EventStoreShutdown,
      ],
      exports: [EVENT_STORE, SQL_DATABASE],
    };
  }
}
