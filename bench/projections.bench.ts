/**
 * `npm run bench:projections`: every projection rebuilt from a PostgreSQL store, beside a bare
 * upsert-and-checkpoint loop (bench/lib/projection-rebuild.ts) over the same log, in the same run.
 *
 * The store is filled with BENCH_EVENTS events (default 200 000) of the product's real types: a history
 * drawn by the application's own handlers over random commands (test/support/random-commands.ts, as
 * bench/import-events.bench.ts draws it), replicated over as many communes as it takes (each copy gets
 * communes, streams and ids of its own, so that no commune gathers every copy's conventions), loaded
 * through the store's bulk import (chained as the store chains). Then three rounds: the rebuild of
 * every projection into fresh tables (one read of the log, batches of up to 5 000) and the bare loop.
 * A benchmark, not a test: it prints the figures and writes them into docs/benchmarks.md
 * ("Projections in batches").
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), BENCH_EVENTS (200 000),
 * BENCH_ROUNDS (3), BENCH_PAGE (the store's page size, 5 000), BENCH_WRITE_DOCS=0 to leave the docs alone.
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
import { measureBareUpsertLoop, measureRebuild } from './lib/projection-rebuild';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PAGE = Number(process.env.BENCH_PAGE ?? 5_000);
const COMMUNES = ['69029', '69034', '69123', '69266', '69381'];

async function main(): Promise<void> {
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`;
  console.log(`machine: ${machine}`);
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const db = await PgPoolDatabase.connect({ connectionString: DATABASE_URL, schema, max: 8 });
  const dir = mkdtempSync(join(tmpdir(), 'bench-projections-'));
  try {
    const version = (await db.query<{ version: string }>('SELECT version()')).rows[0].version.split(' ').slice(0, 2).join(' ');
    const file = join(dir, 'history.jsonl');
    const types = await writeArchive(file, EVENTS);
    const store = await PostgresEventStore.create(db, { channel: `events_${schema}`, pageSize: PAGE });
    const { imported } = await store.importEvents(readArchive(file, new ImportChecker(), 5_000));
    console.log(`store: ${imported} events of ${types.size} types, page size ${PAGE}, ${version}\n`);
    const rebuilds: number[] = [];
    const ceilings: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const rebuilt = await measureRebuild(db, store);
      const bare = await measureBareUpsertLoop(db, store);
      rebuilds.push(rebuilt.events / (rebuilt.ms / 1000));
      ceilings.push(bare.events / (bare.ms / 1000));
      console.log(
        `round ${round}: rebuild of every projection ${Math.round(rebuilds.at(-1)!)} events/s (${(rebuilt.ms / 1000).toFixed(1)} s); ` +
          `bare upsert loop ${Math.round(ceilings.at(-1)!)} events/s (${(bare.ms / 1000).toFixed(1)} s)`,
      );
    }
    await store.close();
    const summary = { machine, version, rebuilds: stats(rebuilds), ceilings: stats(ceilings) };
    const ratio = summary.rebuilds.median / summary.ceilings.median;
    console.log(
      `\nrebuild: ${fmt(summary.rebuilds)} events/s; ceiling (bare loop): ${fmt(summary.ceilings)} events/s; ${ratio.toFixed(2)} ×`,
    );
    if (process.env.BENCH_WRITE_DOCS !== '0') writeDocs(summary);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.query(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  }
}

/**
 * A real history (the handlers over random commands), replicated up to `count` events: copy k gets the
 * communes 10000 + 5k … (in the data and the stream names), streams of its own and fresh ids.
 */
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
    const renamed = (text: string) =>
      COMMUNES.reduce((out, insee, j) => out.split(insee).join(String(10_000 + copy * COMMUNES.length + j)), text);
    const event = {
      id: randomUUID(),
      streamId: copy === 0 ? original.streamId : `${renamed(original.streamId)}~${copy}`,
      revision: original.revision,
      type: original.type,
      schemaVersion: original.schemaVersion,
      data: JSON.parse(renamed(JSON.stringify(original.data))) as unknown,
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
const n = (value: number) => Math.round(value).toLocaleString('en-US').replace(/,/g, ' ');

const SECTION = '## Projections in batches';

/** Replaces the figures table of the "Projections in batches" section (the prose around it is kept), or adds the section. */
function writeDocs(summary: { machine: string; version: string; rebuilds: Stats; ceilings: Stats }): void {
  const path = resolve(__dirname, '..', 'docs', 'benchmarks.md');
  const doc = readFileSync(path, 'utf8');
  const figures = [
    '<!-- bench:projections figures: written by npm run bench:projections -->',
    `${EVENTS} events, store page ${PAGE}, ${ROUNDS} rounds, ${summary.version}, ${summary.machine}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| measure | min | median | max |',
    '| --- | --- | --- | --- |',
    `| rebuild of every projection (entitlements, fee-ledger, audit, feed), events/s | ${n(summary.rebuilds.min)} | ${n(summary.rebuilds.median)} | ${n(summary.rebuilds.max)} |`,
    `| ceiling: bare upsert + checkpoint per batch of 5 000, events/s | ${n(summary.ceilings.min)} | ${n(summary.ceilings.median)} | ${n(summary.ceilings.max)} |`,
    `| ratio of the medians | ${(summary.rebuilds.median / summary.ceilings.median).toFixed(2)} × | | |`,
    '<!-- /bench:projections figures -->',
  ].join('\n');
  const marked = /<!-- bench:projections figures[^]*?<!-- \/bench:projections figures -->/;
  const next = marked.test(doc) ? doc.replace(marked, figures) : `${doc.trimEnd()}\n\n${SECTION}\n\n${figures}\n`;
  writeFileSync(path, next);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
