import { randomUUID } from 'node:crypto';
import { InMemoryEventStore } from '@lib/event-store/in-memory/in-memory-event-store';
import { PgliteDatabase } from '@lib/event-store/sql/pglite-database';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { FEE_LEDGER_TABLES, feeLedgerProjection, readLedgerFacts } from '../fee-ledger';
import { ProjectionRunner } from '../runner/projection-runner';
import { AUDIT_TABLES, auditProjection, readAuditChain, readAuditPage } from './audit.projection';

/**
 * R-TIME-2 through the runner, which hands projections events upcast: an event of an old schema version
 * is still shown (audit) and kept (fee ledger) as written, its chain hash is the store's, and only what
 * is derived from it (the business date, the ledger's facts) uses the current shape.
 */
describe('read models keep events as written (R-TIME-2)', () => {
  let db: SqlDatabase;
  let store: InMemoryEventStore;
  let runner: ProjectionRunner;

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    store = new InMemoryEventStore();
  });
  afterAll(async () => {
    await runner?.stop();
    await store.close();
    await db.close();
  });

  it('a schema-version-0 AnnexAdded: the audit shows it as written, the fee ledger reads it upcast', async () => {
    const written = { conventionId: '69300-1', service: 'toodego', offer: 'connecte', from: '2025-11-01' };
    const id = randomUUID();
    const { position } = await store.appendToStream('convention-69300-1', [
      { id, type: 'AnnexAdded', schemaVersion: 0, data: written, metadata: { actor: { id: 'pilot', role: 'admin' } } },
    ]);
    runner = new ProjectionRunner({
      db,
      store,
      projections: [auditProjection, feeLedgerProjection],
      logger: { log: () => undefined, error: () => undefined },
    });
    await runner.start();
    expect(await runner.waitForPosition(position, 10_000)).toBe(true);

    const { events } = await readAuditPage(db, AUDIT_TABLES, { limit: 10 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      eventId: id,
      type: 'AnnexAdded',
      schemaVersion: 0,
      data: written,
      businessDate: '2025-11-01',
      actor: { id: 'pilot', role: 'admin' },
    });

    const chain = [];
    for await (const link of readAuditChain(db, AUDIT_TABLES)) chain.push(link.hash);
    const stored = [];
    for await (const link of store.readChain()) stored.push(link.hash);
    expect(chain).toEqual(stored);

    const { rows } = await db.query<{ data: unknown; schema_version: number }>(
      `SELECT data, schema_version FROM ${FEE_LEDGER_TABLES.fee_ledger_facts}`,
    );
    expect(rows).toEqual([{ data: written, schema_version: 0 }]);
    const facts = await readLedgerFacts(db, FEE_LEDGER_TABLES, { year: 2026 });
    expect(facts.map((fact) => fact.data)).toEqual([
      { conventionId: '69300-1', serviceId: 'toodego', offerId: 'connecte', effectiveFrom: '2025-11-01' },
    ]);
  });
});
