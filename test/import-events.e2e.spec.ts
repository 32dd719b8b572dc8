import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ChainLink, eventHash, verifyChain } from '@lib/event-store/integrity/event-hash';
import { ExportedEvent, ImportChecker, ImportRefusedError, StoreNotEmptyError, readArchive } from '@lib/event-store/postgres/bulk-import';
import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { createPgliteEventStore } from '@lib/event-store/pglite/create-pglite-event-store';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { StoreKind, TestApp, bearer, startTestApp } from './support/app';
import { describeWithPostgres, openTestDatabase } from './support/postgres';
import { commandAction, performAction, seedCatalogue } from './support/random-commands';

const COMMUNES = ['69029', '69034', '69123'];
const ROOT = resolve(__dirname, '..');

/** The stored chain, compared field by field (positions are the target's own: transaction ids differ). */
async function chainOf(store: PostgresEventStore) {
  const links: ChainLink[] = [];
  for await (const link of store.readChain()) links.push(link);
  return links.map(({ event: { id, streamId, revision, type, schemaVersion, data, metadata, recordedAt }, hash }) => ({
    id,
    streamId,
    revision,
    type,
    schemaVersion,
    data,
    metadata,
    recordedAt,
    hash,
  }));
}

interface Target {
  store: PostgresEventStore;
  db: SqlDatabase;
  close(): Promise<void>;
}

async function openTarget(kind: StoreKind): Promise<Target> {
  if (kind === 'pglite') {
    const { store, db } = await createPgliteEventStore();
    return { store, db, close: async () => (await store.close(), await db.close()) };
  }
  const test = await openTestDatabase('import');
  const store = await PostgresEventStore.create(test.db, { channel: test.channel });
  return { store, db: test.db, close: async () => (await store.close(), await test.drop()) };
}

function suite(kind: StoreKind) {
  let source: TestApp;
  let dir: string;
  let archive: string;
  let lines: string[];

  beforeAll(async () => {
    source = await startTestApp(kind);
    if ((await source.store.eventCount()) === 0) await seedCatalogue(source.store);
    // A realistic history: the application's handlers over random commands (the refused ones record nothing).
    for (const action of fc.sample(commandAction(COMMUNES), { numRuns: 200, seed: 12 }))
      await performAction(source.store, action, COMMUNES);
    const response = await source.http
      .get('/api/audit/export')
      .set(bearer(source.tokens.auditor))
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => done(null, text));
      });
    expect(response.status).toBe(200);
    archive = response.body as string;
    lines = archive.trimEnd().split('\n');
    dir = mkdtempSync(join(tmpdir(), 'import-events-'));
  }, 120_000);

  afterAll(async () => {
    await source?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const fileOf = (name: string, content: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, content.join('\n') + '\n');
    return file;
  };

  it('restores an export into an empty store: every event and hash equal, and the chain verifies', async () => {
    expect(lines.length).toBeGreaterThan(25);
    const target = await openTarget(kind);
    try {
      const checker = new ImportChecker();
      const progress: number[] = [];
      // Small batches: several transactions' worth of inserts, still one transaction.
      const { imported, verification } = await target.store.importEvents(readArchive(fileOf('good.jsonl', lines), checker, 17), (done) =>
        progress.push(done),
      );
      expect(imported).toBe(lines.length);
      expect(progress[progress.length - 1]).toBe(lines.length);
      expect(progress.length).toBe(Math.ceil(lines.length / 17));
      const expected = (await chainOf(source.store as PostgresEventStore)).map((link) => link);
      expect(await chainOf(target.store)).toEqual(expected);
      const { sealedHead, unsealedTail, tree, ...chain } = verification;
      expect(chain).toEqual({ ok: true, checked: lines.length, headHash: expected[expected.length - 1].hash });
      // The archive is sealed as written: the head is its last line, nothing is left to seal.
      expect(sealedHead).toMatchObject({ size: lines.length, hash: expected[expected.length - 1].hash });
      expect(unsealedTail).toMatchObject({ count: 0, overdue: false });
      // Its Merkle tree, when the sealer has built it already, is the one the events give.
      if (tree && tree.size === lines.length) expect(tree.ok).toBe(true);
      expect(checker.headHash).toBe(verification.headHash);
      // Appending after a restore extends the restored chain.
      await target.store.appendToStream('after-restore', [
        { id: '00000000-0000-4000-8000-000000000001', type: 'T', schemaVersion: 1, data: {}, metadata: {} },
      ]);
      expect((await verifyChain(target.store.readChain())).ok).toBe(true);
    } finally {
      await target.close();
    }
  }, 60_000);

  const tamper = (edit: (copy: string[]) => void) => {
    const copy = [...lines];
    edit(copy);
    return copy;
  };
  const line = (i: number) => JSON.parse(lines[i]) as Record<string, unknown>;
  const cases: Array<[string, () => string[], number, RegExp]> = [
    [
      'changed data',
      () => tamper((copy) => (copy[14] = JSON.stringify({ ...line(14), data: { ...(line(14).data as object), forged: true } }))),
      15,
      /the hash is not the one/,
    ],
    ['a deleted line', () => tamper((copy) => copy.splice(18, 1)), 19, /previousHash|revision/],
    ['swapped lines', () => tamper((copy) => ([copy[20], copy[21]] = [copy[21], copy[20]])), 21, /previousHash|revision|recordedAt/],
    [
      'a duplicate id (hash recomputed to hide it)',
      () =>
        tamper((copy) => {
          // A forger who also recomputes the chain: the id check still catches it.
          const forged = { ...line(22), id: line(21).id } as unknown as ExportedEvent;
          copy[22] = JSON.stringify({ ...forged, hash: eventHash(forged, forged.previousHash) });
        }),
      23,
      /appears twice/,
    ],
    ['a line that is not JSON', () => tamper((copy) => (copy[10] = copy[10].slice(0, -3))), 11, /not JSON/],
    ['an id that is not a UUID', () => tamper((copy) => (copy[5] = JSON.stringify({ ...line(5), id: 'nope' }))), 6, /UUID/],
  ];

  it.each(cases)(
    'refuses %s with its line number and leaves the store empty',
    async (_, content, lineNumber, reason) => {
      const target = await openTarget(kind);
      try {
        const error = await target.store.importEvents(readArchive(fileOf('tampered.jsonl', content()), new ImportChecker(), 10)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ImportRefusedError);
        expect((error as ImportRefusedError).line).toBe(lineNumber);
        expect((error as Error).message).toMatch(reason);
        // Lines before it were inserted in earlier batches of the same transaction: all rolled back.
        expect(await target.store.eventCount()).toBe(0);
        expect(await verifyChain(target.store.readChain())).toEqual({ ok: true, checked: 0, headHash: null });
      } finally {
        await target.close();
      }
    },
    60_000,
  );

  it('refuses a store that already holds events, changing nothing', async () => {
    const target = await openTarget(kind);
    try {
      await target.store.appendToStream('s', [
        { id: '00000000-0000-4000-8000-000000000002', type: 'T', schemaVersion: 1, data: {}, metadata: {} },
      ]);
      const before = await chainOf(target.store);
      await expect(target.store.importEvents(readArchive(fileOf('good.jsonl', lines), new ImportChecker()))).rejects.toBeInstanceOf(
        StoreNotEmptyError,
      );
      expect(await chainOf(target.store)).toEqual(before);
    } finally {
      await target.close();
    }
  }, 60_000);

  if (kind === 'pglite') {
    it('the CLI restores into a PGlite data directory, then refuses to run again on it', async () => {
      const dataDir = join(dir, 'data');
      const file = fileOf('cli.jsonl', lines);
      const cli = (args: string[]) =>
        spawnSync(
          process.execPath,
          ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/cli/src/main.ts', 'import-events', ...args],
          { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, DATABASE_URL: '' } },
        );
      const first = cli([file, '--data-dir', dataDir, '--batch-size', '25']);
      expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: expect.stringContaining('100%') });
      expect(first.stdout).toContain(`${lines.length} events imported`);
      // Not a TTY: a line per 10 % (at most), the last one complete.
      const progressLines = first.stderr.split('\n').filter((l) => l.includes('events/s'));
      expect(progressLines.length).toBeLessThanOrEqual(10);
      expect(progressLines[progressLines.length - 1]).toContain(`${lines.length}/${lines.length} events`);
      const { store, db } = await createPgliteEventStore(dataDir);
      try {
        expect(await chainOf(store)).toEqual(await chainOf(source.store as PostgresEventStore));
      } finally {
        await store.close();
        await db.close();
      }
      const again = cli([file, '--data-dir', dataDir]);
      expect(again.status).not.toBe(0);
      expect(again.stderr).toContain(`already holds ${lines.length} events`);
    }, 180_000);
  }
}

describe('import-events [pglite]', () => suite('pglite'));
describeWithPostgres('import-events [postgres]', () => suite('postgres'));
