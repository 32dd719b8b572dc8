import { AppendOne } from './append';

const EMMETT = '@event-driven-io/emmett-postgresql';

interface EmmettStore {
  appendToStream(streamName: string, events: Array<{ type: string; data: unknown; metadata?: unknown }>): Promise<unknown>;
  close(): Promise<void>;
}

interface EmmettModule {
  getPostgreSQLEventStore(connectionString: string, options?: Record<string, unknown>): EmmettStore;
}

/**
 * Emmett's PostgreSQL event store (a dev dependency of the benchmarks only), as a peer of the product's
 * store. Resolved from node_modules; until it is installed there, from BENCH_EMMETT_DIR (a directory
 * where `npm install --prefix DIR @event-driven-io/emmett-postgresql` ran). Undefined if neither has it.
 * Emmett keeps its tables in the connection's default schema: give it a database of its own.
 */
export async function emmettAppender(connectionString: string): Promise<{ append: AppendOne; close(): Promise<void> } | undefined> {
  let resolved: string;
  try {
    resolved = require.resolve(EMMETT);
  } catch {
    if (!process.env.BENCH_EMMETT_DIR) return undefined;
    try {
      resolved = require.resolve(EMMETT, { paths: [process.env.BENCH_EMMETT_DIR] });
    } catch {
      return undefined;
    }
  }
  const emmett = (await import(resolved)) as EmmettModule;
  const store = emmett.getPostgreSQLEventStore(connectionString);
  return {
    append: (streamId, event) => store.appendToStream(streamId, [{ type: event.type, data: event.data, metadata: event.metadata }]),
    close: () => store.close(),
  };
}
