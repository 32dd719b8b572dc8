export * from './event-store.port';
export * from './sql/sql-database';
export * from './sql/pg-pool-database';
export * from './sql/pglite-database';
export * from './postgres/postgres-event-store';
export * from './pglite/create-pglite-event-store';
export * from './in-memory/in-memory-event-store';
