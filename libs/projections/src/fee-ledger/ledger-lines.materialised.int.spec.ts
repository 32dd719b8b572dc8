import fc from 'fast-check';
import { COMMUNES, ledgerFactSet } from '@lib/domain/ledger/ledger-fact-set.arbitrary.spec';
import { FeeLedgerLine, LedgerFact, computeLedgerLines, foldLedgerFacts } from '@lib/domain/ledger';
import { randomUUID } from 'node:crypto';
import { RecordedEvent } from '@lib/event-store/event-store.port';
import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { PgliteDatabase } from '@lib/event-store/sql/pglite-database';
import { SqlDatabase, SqlExecutor } from '@lib/event-store/sql/sql-database';
import { describeWithPostgres, openTestDatabase } from '../../../../test/support/postgres';
import { toProjectedEvent } from '../runner/projection';
import { FEE_LEDGER_TABLES, feeLedgerProjection } from './fee-ledger.projection';
import { ledgerFactsHead, readLedgerCommunes } from './ledger-facts';
import {
  CommuneLines,
  LEDGER_LINES_TABLES,
  computeCommuneLines,
  readLedgerLines,
  refreshLedgerLines,
  setupLedgerLines,
} from './ledger-lines.materialised';

/**
 * R-FEE-8 lines "computed from facts", and R-TIME-1 "as known at K", kept by the precomputation: for random fact sets, projected by the real
 * fee-ledger projection in random increments, the year's materialised lines (refreshed after each
 * increment: a commune's facts recompute that commune, a Syntec value or the catalogue the year) equal
 * computeLedgerLines over every fact so far; the year as known at a random instant, computed commune
 * by commune from the read model, equals computeLedgerLines over the facts recorded by then; and the
 * materialised lines recomputed from scratch (a rebuild) equal the ones kept up incrementally (live).
 */
async function collect(pages: AsyncIterable<CommuneLines[]>): Promise<FeeLedgerLine[]> {
  const lines: FeeLedgerLine[] = [];
  for await (const page of pages) for (const commune of page) lines.push(...commune.lines);
  return lines;
}

function recordedOf(fact: LedgerFact, revision: number): RecordedEvent {
  return {
    id: fact.eventId,
    streamId: fact.streamId,
    revision,
    position: fact.position,
    recordedAt: fact.recordedAt,
    type: fact.type,
    schemaVersion: 1,
    data: fact.data,
    metadata: { actor: { id: 'property', role: 'admin' } },
  };
}

function materialisedLinesProperty(open: () => Promise<{ db: SqlDatabase; close: () => Promise<void> }>, numRuns: number) {
  let db: SqlDatabase;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await open());
    await db.transaction((tx) => feeLedgerProjection.setup(tx, FEE_LEDGER_TABLES));
    await setupLedgerLines(db);
  });
  afterAll(() => close());

  it('equal the computation from the facts, live, as known at any instant, and rebuilt', async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(
        ledgerFactSet,
        fc.integer({ min: 2025, max: 2030 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (facts, year, steps, knownShare) => {
          await db.query(`TRUNCATE ${FEE_LEDGER_TABLES.fee_ledger_facts}, ${LEDGER_LINES_TABLES.lines}, ${LEDGER_LINES_TABLES.years}`);
          const revisions = new Map<string, number>();
          let projected = 0;
          const project = async (upTo: number) => {
            await db.transaction(async (tx) => {
              for (; projected < upTo; projected++) {
                const fact = facts[projected];
                const revision = revisions.get(fact.streamId) ?? 0;
                revisions.set(fact.streamId, revision + 1);
                await feeLedgerProjection.apply(toProjectedEvent(recordedOf(fact, revision)), tx, FEE_LEDGER_TABLES);
              }
            });
          };
          // Increments, then the rest: the lines are refreshed after each.
          for (const step of [...steps, facts.length]) {
            await project(Math.min(facts.length, projected + step));
            // Two reads refreshing at once (two processes): both land on the same basis and lines.
            const [basis, other] = await Promise.all([refreshLedgerLines(db, year), refreshLedgerLines(db, year)]);
            expect(basis).toEqual(facts[projected - 1].position);
            expect(other).toEqual(basis);
            const live = await collect(readLedgerLines(db, year, basis));
            expect(live).toEqual(computeLedgerLines(year, foldLedgerFacts(facts.slice(0, projected))));
            compared += live.length;
          }

          const knownAt = facts[Math.min(facts.length - 1, Math.floor(knownShare * facts.length))].recordedAt;
          const head = await ledgerFactsHead(db, FEE_LEDGER_TABLES);
          const asKnown = await collect(computeCommuneLines(db, year, { upTo: head, knownAt }));
          expect(asKnown).toEqual(computeLedgerLines(year, foldLedgerFacts(facts.filter((fact) => fact.recordedAt <= knownAt))));

          const live = await collect(readLedgerLines(db, year, head));
          // A read that outlives SUPERSEDED_GRACE: the rows are collected between its list of communes and its pages.
          let listed = false;
          const collecting: SqlExecutor = {
            query: async (text, params) => {
              const result = await db.query(text, params);
              if (!listed) {
                listed = true;
                await db.query(`DELETE FROM ${LEDGER_LINES_TABLES.lines} WHERE year = $1`, [year]);
              }
              return result;
            },
          } as SqlExecutor;
          expect(await collect(readLedgerLines(collecting, year, head))).toEqual(live);
          await db.query(`DELETE FROM ${LEDGER_LINES_TABLES.lines}`);
          await db.query(`DELETE FROM ${LEDGER_LINES_TABLES.years}`);
          const rebuilt = await refreshLedgerLines(db, year);
          expect(rebuilt).toEqual(head);
          expect(await collect(readLedgerLines(db, year, rebuilt))).toEqual(live);
          // Every commune with a fact has its row, lines or none.
          const { rows } = await db.query<{ count: string | number }>(
            `SELECT count(*) AS count FROM ${LEDGER_LINES_TABLES.lines} WHERE year = $1`,
            [year],
          );
          expect(Number(rows[0].count)).toBeLessThanOrEqual(COMMUNES.length);
        },
      ),
      { numRuns },
    );
    // The fact sets reach lines, not only empty ledgers.
    expect(compared).toBeGreaterThan(numRuns);
  }, 300_000);
}

describe('materialised ledger lines on PGlite', () => {
  materialisedLinesProperty(async () => {
    const db = await PgliteDatabase.open();
    return { db, close: () => db.close() };
  }, 40);
});

describeWithPostgres('materialised ledger lines on PostgreSQL', () => {
  materialisedLinesProperty(async () => {
    const test = await openTestDatabase('ledger_lines');
    return { db: test.db, close: () => test.drop() };
  }, 40);
});

describeWithPostgres('a year refreshed on PostgreSQL', () => {
  it('holds no write transaction open between its pages, so the log stays readable meanwhile (the visibility horizon)', async () => {
    const test = await openTestDatabase('ledger_lines_horizon');
    const store = await PostgresEventStore.create(test.db, {
      sealing: 'manual',
      readYourWritesTimeoutMs: 5_000,
      channel: `${test.schema}_events`,
    });
    try {
      await test.db.transaction((tx) => feeLedgerProjection.setup(tx, FEE_LEDGER_TABLES));
      await setupLedgerLines(test.db);
      // A fact set with a commune, so that the refresh writes a page of lines.
      for (const facts of fc.sample(ledgerFactSet, { numRuns: 50, seed: 11 })) {
        await test.db.query(`TRUNCATE ${FEE_LEDGER_TABLES.fee_ledger_facts}`);
        await test.db.transaction(async (tx) => {
          for (const [i, fact] of facts.entries())
            await feeLedgerProjection.apply(toProjectedEvent(recordedOf(fact, i)), tx, FEE_LEDGER_TABLES);
        });
        const head = await ledgerFactsHead(test.db, FEE_LEDGER_TABLES);
        if ((await readLedgerCommunes(test.db, FEE_LEDGER_TABLES, { upTo: head })).length > 0) break;
      }
      // The database as the refresh sees it, paused right after it wrote its first page of lines.
      let reached!: () => void;
      const pageWritten = new Promise<void>((resolve) => (reached = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const pausing = (executor: SqlExecutor): SqlExecutor => ({
        query: async (sql, params) => {
          const result = await executor.query(sql, params);
          if (sql.includes(`INSERT INTO ${LEDGER_LINES_TABLES.lines}`)) {
            reached();
            await gate;
          }
          return result as never;
        },
      });
      const paused: SqlDatabase = {
        dialect: test.db.dialect,
        ...pausing(test.db),
        transaction: (fn) => test.db.transaction((tx) => fn(pausing(tx))),
        listen: (channel, onNotify) => test.db.listen(channel, onNotify),
        close: () => test.db.close(),
      };
      const refreshing = refreshLedgerLines(paused, 2026);
      await pageWritten;
      // Appended while the refresh is between pages: a one-shot read waits for every transaction with an
      // id older than the append (the horizon), and would time out behind a refresh holding one open.
      const { position } = await store.appendToStream('probe-1', [
        { id: randomUUID(), type: 'Probe', schemaVersion: 1, data: {}, metadata: {} },
      ]);
      const head = await store.headPosition().finally(release);
      expect(head).toEqual(position);
      await refreshing;
    } finally {
      await store.close();
      await test.drop();
    }
  }, 60_000);
});
