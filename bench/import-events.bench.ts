/**
 * `npm run bench:import`: the bulk import (cli import-events) on PostgreSQL. Writes a JSON Lines archive
 * of N events (default 200 000; BENCH_SCALE multiplies it) in export-history's format, with the product's
 * real event types and data: a history drawn by the application's own handlers over random commands
 * (test/support/random-commands.ts), replicated over as many communes as it takes, chained as the store
 * chains it. Then three rounds, each into a fresh empty schema: the import as the command runs it (read,
 * parse, check every line and hash, insert, verify the store's chain) and, as a ceiling measured in the
 * same run, a bare multi-row insert of the same rows into a plain table (no index, no check, no hash).
 * A benchmark, not a test: it prints the figures and writes them into docs/benchmarks.md ("Bulk import").
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), BENCH_SCALE (default 1),
 * BENCH_BATCH (events per insert, default 5000), BENCH_WRITE_DOCS=0 to leave docs/benchmarks.md alone.
 */
import fc from 'fast-check';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { InMemoryEventStore } from '@lib/event-store/in-memory/in-memory-event-store';
import { RecordedEvent } from '@lib/event-store/event-store.port';
import { eventHash } from '@lib/event-store/integrity/event-hash';
import { ExportedEvent, ImportChecker, readArchive } from '@lib/event-store/postgres/bulk-import';
import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { PgPoolDatabase } from '@lib/event-store/sql/pg-pool-database';
import { commandAction, performAction, seedCatalogue } from '../test/support/random-commands';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const EVENTS = Math.round(200_000 * Number(process.env.BENCH_SCALE ?? 1));
const BATCH = Number(process.env.BENCH_BATCH ?? 5000);
const ROUNDS = 3;
const COMMUNES = ['69029', '69034', '69123', '69266', '69381'];

async function main(): Promise<void> {
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`;
  console.log(`machine: ${machine}`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-import-'));
  const file = join(dir, 'history.jsonl');
  try {
    const types = await writeArchive(file, EVENTS);
    console.log(`archive: ${EVENTS} events of ${types.size} types (${[...types].sort().join(', ')}), batches of ${BATCH}\n`);
    const rows = readFileSync(file, 'utf8').trimEnd().split('\n');
    const imports: number[] = [];
    const ceilings: number[] = [];
    let version = '';
    for (let round = 1; round <= ROUNDS; round++) {
      const result = await inFreshSchema(async (db, schema) => {
        version ||= (await db.query<{ version: string }>('SELECT version()')).rows[0].version.split(' ').slice(0, 2).join(' ');
        const store = await PostgresEventStore.create(db, { channel: `events_${schema}` });
        const started = process.hrtime.bigint();
        const { imported, verification } = await store.importEvents(readArchive(file, new ImportChecker(), BATCH));
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (imported !== EVENTS || !verification.ok || verification.checked !== EVENTS) throw new Error('the import did not verify');
        await store.close();
        return EVENTS / seconds;
      });
      const ceiling = await inFreshSchema((db) => bareInsert(db, rows));
      imports.push(result);
      ceilings.push(ceiling);
      console.log(`round ${round}: import ${Math.round(result)} events/s; bare insert ${Math.round(ceiling)} rows/s`);
    }
    const summary = { machine, version, imports: stats(imports), ceilings: stats(ceilings) };
    console.log(`\nimport: ${fmt(summary.imports)} events/s; ceiling (bare insert): ${fmt(summary.ceilings)} rows/s`);
    if (process.env.BENCH_WRITE_DOCS !== '0') writeDocs(summary);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A real history (the handlers over random commands), replicated under other stream names up to `count` events. */
async function writeArchive(file: string, count: number): Promise<Set<string>> {
  const seed = new InMemoryEventStore();
  await seedCatalogue(seed);
  for (const action of fc.sample(commandAction(COMMUNES), { numRuns: 400, seed: 7 })) await performAction(seed, action, COMMUNES);
  const history: RecordedEvent[] = [];
  for await (const event of seed.readAll()) history.push(event);
  const types = new Set(history.map((event) => event.type));
  const out = createWriteStream(file);
  let previousHash: string | null = null;
  const start = Date.parse('2020-01-01T00:00:00.000Z');
  for (let i = 0; i < count; i++) {
    const copy = Math.floor(i / history.length);
    const original = history[i % history.length];
    const event = {
      id: randomUUID(),
      streamId: `${original.streamId}~${copy}`,
      revision: original.revision,
      type: original.type,
      schemaVersion: original.schemaVersion,
      data: original.data,
      metadata: original.metadata,
      recordedAt: new Date(start + i * 10).toISOString(),
    };
    const hash = eventHash(event, previousHash);
    const line = JSON.stringify({ position: `${i + 1}/${i + 1}`, ...event, previousHash, hash } satisfies ExportedEvent & {
      position: string;
    });
    previousHash = hash;
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return types;
}

/** The ceiling: the same rows, already in memory, into a plain table (no constraint, no index), the same statement shape. */
async function bareInsert(db: PgPoolDatabase, lines: string[]): Promise<number> {
  await db.query(
    `CREATE TABLE bare (stream_id text, revision bigint, event_id uuid, type text, schema_version integer, data jsonb, metadata jsonb, recorded_at timestamptz(3), hash bytea)`,
  );
  const started = process.hrtime.bigint();
  await db.transaction(async (tx) => {
    for (let i = 0; i < lines.length; i += BATCH) {
      await tx.query(
        `INSERT INTO bare SELECT e->>'streamId', (e->>'revision')::bigint, (e->>'id')::uuid, e->>'type', (e->>'schemaVersion')::integer,
                e->'data', e->'metadata', (e->>'recordedAt')::timestamptz, decode(e->>'hash', 'hex')
         FROM jsonb_array_elements($1::jsonb) AS e`,
        [`[${lines.slice(i, i + BATCH).join(',')}]`],
      );
    }
  });
  return lines.length / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function inFreshSchema<T>(fn: (db: PgPoolDatabase, schema: string) => Promise<T>): Promise<T> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const db = await PgPoolDatabase.connect({ connectionString: DATABASE_URL, schema, max: 4 });
  try {
    return await fn(db, schema);
  } finally {
    await db.query(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  }
}

interface Stats {
  min: number;
  median: number;
  max: number;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1] };
}

const fmt = (s: Stats) => `min ${Math.round(s.min)}, median ${Math.round(s.median)}, max ${Math.round(s.max)}`;

const SECTION = '## Bulk import';

/** Replaces the figures table of the "Bulk import" section (the prose around it is kept), or adds the section. */
function writeDocs(summary: { machine: string; version: string; imports: Stats; ceilings: Stats }): void {
  const path = resolve(__dirname, '..', 'docs', 'benchmarks.md');
  const doc = readFileSync(path, 'utf8');
  const figures = [
    '<!-- bench:import figures: written by npm run bench:import -->',
    `${EVENTS} events, batches of ${BATCH}, ${ROUNDS} rounds, ${summary.version}, ${summary.machine}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| measure | min | median | max |',
    '| --- | --- | --- | --- |',
    `| import-events (read, check, insert, verify), events/s | ${n(summary.imports.min)} | ${n(summary.imports.median)} | ${n(summary.imports.max)} |`,
    `| ceiling: bare insert of the same rows into a plain table, rows/s | ${n(summary.ceilings.min)} | ${n(summary.ceilings.median)} | ${n(summary.ceilings.max)} |`,
    '<!-- /bench:import figures -->',
  ].join('\n');
  const marked = /<!-- bench:import figures[^]*?<!-- \/bench:import figures -->/;
  const next = marked.test(doc) ? doc.replace(marked, figures) : `${doc.trimEnd()}\n\n${SECTION}\n\n${figures}\n`;
  writeFileSync(path, next);
}

const n = (value: number) => Math.round(value).toLocaleString('en-US').replace(/,/g, ' ');

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
