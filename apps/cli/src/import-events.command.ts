import { createReadStream } from 'node:fs';
import { Command, CommandRunner, Option } from 'nest-commander';
import { formatPosition } from '@lib/event-store/event-store.port';
import { ImportChecker, ImportRefusedError, StoreNotEmptyError, readArchive } from '@lib/event-store/postgres/bulk-import';
import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { PgPoolDatabase } from '@lib/event-store/sql/pg-pool-database';
import { PgliteDatabase } from '@lib/event-store/sql/pglite-database';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';

interface ImportOptions {
  databaseUrl?: string;
  dataDir?: string;
  schema?: string;
  batchSize: number;
}

/**
 * `import-events FILE.jsonl (--database-url URL | --data-dir DIR)`: restores an archive written by
 * export-history into an EMPTY store, opened directly (a restore has no command to go through, so this is
 * the one command that is not an HTTP client of the API). Every line is checked (libs/event-store
 * bulk-import.ts) and the whole file goes in one transaction: a refused line, naming its number, leaves
 * the store empty. Then the store's own chain verification must agree with the file (count, last hash).
 * A PGlite data directory is locked while open, so one a running API holds is refused.
 */
@Command({
  name: 'import-events',
  arguments: '<file>',
  description: 'restore a JSON Lines archive (export-history) into an empty store, checking ids, revisions and the chain',
})
export class ImportEventsCommand extends CommandRunner {
  async run([file]: string[], options: ImportOptions): Promise<void> {
    const total = await countLines(file);
    const db = await openDatabase(options);
    try {
      const store = await PostgresEventStore.create(db, { channel: `events_${options.schema ?? 'public'}` });
      const checker = new ImportChecker();
      const progress = new ImportProgress(process.stderr, total);
      let lineNumber = 0;
      let result: Awaited<ReturnType<PostgresEventStore['importEvents']>>;
      try {
        const batches = readArchive(file, checker, options.batchSize, (n) => (lineNumber = n));
        result = await store.importEvents(batches, (done) => progress.update(done));
      } catch (error) {
        progress.end();
        throw new Error(describeFailure(error, checker, lineNumber), { cause: error });
      }
      progress.end();
      const { imported, verification } = result;
      if (!verification.ok || verification.checked !== imported || verification.headHash !== checker.headHash) {
        const broken = verification.firstBrokenPosition ? `, first break at ${formatPosition(verification.firstBrokenPosition)}` : '';
        throw new Error(
          `The store's own chain verification disagrees with the file after the import (${verification.checked} events checked${broken}, ` +
            `last hash ${verification.headHash ?? '(none)'}, the file's ${checker.headHash ?? '(none)'}): do not use this store`,
        );
      }
      process.stdout.write(
        `${imported} events imported from ${file}; the chain verifies; last hash ${verification.headHash ?? '(none)'}\n`,
      );
    } finally {
      await db.close();
    }
  }

  @Option({ flags: '--database-url <url>', description: 'the PostgreSQL store (default: DATABASE_URL)' })
  parseDatabaseUrl(value: string): string {
    return value;
  }

  @Option({ flags: '--data-dir <dir>', description: 'the PGlite store (a data directory no running API holds)' })
  parseDataDir(value: string): string {
    return value;
  }

  @Option({ flags: '--schema <name>', description: 'the PostgreSQL schema of the store (default: the search path)' })
  parseSchema(value: string): string {
    return value;
  }

  @Option({ flags: '--batch-size <n>', description: 'events per INSERT (default 5000)', defaultValue: 5000 })
  parseBatchSize(value: string): number {
    const size = Number(value);
    if (!Number.isInteger(size) || size < 1 || size > 100_000) throw new Error('--batch-size must be a whole number from 1 to 100000');
    return size;
  }
}

/** Says how far it got: the whole file is one transaction, so a failure leaves the store as it was. */
function describeFailure(error: unknown, checker: ImportChecker, line: number): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof StoreNotEmptyError) return message;
  if (error instanceof ImportRefusedError)
    return `${message}. Nothing imported (rolled back); ${checker.count} events were checked before it`;
  return `${message} (at line ${line}; ${checker.count} events checked). Nothing imported (rolled back)`;
}

async function openDatabase(options: ImportOptions): Promise<SqlDatabase> {
  const databaseUrl = options.databaseUrl ?? (options.dataDir === undefined ? process.env.DATABASE_URL : undefined);
  if (options.dataDir !== undefined && options.databaseUrl !== undefined) throw new Error('Give --database-url or --data-dir, not both');
  if (options.dataDir !== undefined) return PgliteDatabase.open(options.dataDir);
  if (!databaseUrl) throw new Error('Say which store: --database-url (or DATABASE_URL) for PostgreSQL, --data-dir for PGlite');
  // A batch is one statement: the default 15 s bound stays, the idle bound covers the checking between batches.
  return PgPoolDatabase.connect({ connectionString: databaseUrl, schema: options.schema, max: 2 });
}

/** The number of lines, for the progress bar: one quick pass over the file before the import. */
async function countLines(file: string): Promise<number> {
  let lines = 0;
  let last = 0x0a;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++;
    if (chunk.length > 0) last = chunk[chunk.length - 1];
  }
  return last === 0x0a ? lines : lines + 1;
}

/** A bar redrawn in place on a terminal (events done/total, events/s); a line per 10 % elsewhere (a log). */
export class ImportProgress {
  private readonly started = Date.now();
  private nextTenth = 1;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly total: number,
  ) {}

  update(done: number): void {
    const ratio = this.total === 0 ? 1 : Math.min(1, done / this.total);
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const width = 30;
    const filled = Math.round(ratio * width);
    const text = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${done}/${this.total} events, ${rate} events/s`;
    if (this.out.isTTY) {
      this.out.write(`\r${text}\x1b[K`);
      this.drawn = true;
    } else if (ratio * 10 >= this.nextTenth) {
      this.out.write(`${text}\n`);
      this.nextTenth = Math.floor(ratio * 10) + 1;
    }
  }

  end(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
