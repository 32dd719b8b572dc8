import { INestApplication } from '@nestjs/common';
import { CommandBus, ICommand } from '@nestjs/cqrs';
import request from 'supertest';
import { CommandContext, SYSTEM_ACTOR } from '@lib/application';
import { signToken } from '@lib/contract';
import { CATALOGUE_STREAM } from '@lib/domain/catalogue';
import { EVENT_STORE, EventStore, RecordedEvent } from '@lib/event-store/event-store.port';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { createApp } from '../apps/api/src/bootstrap';
import { loadConfig } from '../apps/api/src/config/app-config';

const SECRET = 'command-bus-secret-command-bus-secret';

/**
 * The CommandBus is the one way a command reaches the store. Every event the app
 * records, the catalogue seeded at start and a ledger issue included, belongs to a command that went
 * over the bus (its metadata's commandId is that command's context's).
 */
describe('Every writer goes through the CommandBus', () => {
  let app: INestApplication;
  let store: EventStore;
  const dispatched: ICommand[] = [];
  let signed: request.Response;
  const admin = `Bearer ${signToken(SECRET, { sub: 'admin-bus', role: 'admin' })}`;

  beforeAll(async () => {
    const config = loadConfig({ JWT_SECRET: SECRET, LIFECYCLE_SCHEDULE: 'off', LOG_LEVEL: 'error', EVENT_STORE: 'pglite' });
    app = await createApp(config, { kind: 'pglite' });
    // Before init: the catalogue is seeded in the bootstrap hooks.
    app.get(CommandBus).subscribe((command) => dispatched.push(command));
    await app.init();
    store = app.get<EventStore>(EVENT_STORE);
  }, 120_000);

  afterAll(() => app?.close());

  const post = (path: string, body: object, status: number, key?: string) => {
    const call = request(app.getHttpServer()).post(path).set('Authorization', admin);
    return (key ? call.set('Idempotency-Key', key) : call).send(body).expect(status);
  };

  async function allEvents(): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for await (const event of store.readAll()) events.push(event);
    return events;
  }

  it('records nothing that no dispatched command asked for', async () => {
    await post(
      '/api/reference/populations',
      { communeInsee: '69123', population: 522250, effectiveDate: '2025-01-01', source: 'INSEE (test)' },
      201,
    );
    await post('/api/reference/syntec', { period: '2024-10', value: '300.0', publishedOn: '2024-11-29' }, 201);
    await post('/api/reference/syntec', { period: '2025-10', value: '306.0', publishedOn: '2025-11-28' }, 201);
    signed = await post(
      '/api/conventions',
      {
        communeInsee: '69123',
        communeName: 'Lyon',
        signedOn: '2025-12-15',
        effectiveFrom: '2026-01-01',
        annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' }],
      },
      201,
      'bus-sign',
    );
    expect(signed.body.conventionId).toBe('69123-1');
    await post('/api/conventions/69123-1/annexes', { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-02-01' }, 201);
    await post('/api/lifecycle/run', { asOf: '2031-01-01' }, 200);
    const issued = await post('/api/ledgers/2026/issue', { reason: 'Titres 2026' }, 201, 'bus-issue');
    expect(issued.body.recorded).toBe(true);

    const events = await allEvents();
    const streams = new Set(events.map((event) => event.streamId.replace(/-.*$/, '')));
    // Every kind of writer has recorded something: the test would prove little otherwise.
    expect([...streams].sort()).toEqual(['catalogue', 'commune', 'convention', 'ledger', 'syntec'].sort());
    expect(events.some((event) => event.type === 'ConventionRenewed' || event.type === 'ConventionExpired')).toBe(true);

    const commandIds = new Set(dispatched.map((command) => (command as { context?: CommandContext }).context?.commandId));
    const unasked = events.filter((event) => !commandIds.has(event.metadata.commandId)).map((event) => `${event.streamId} ${event.type}`);
    expect(unasked).toEqual([]);
  }, 120_000);

  it('keeps, for an Idempotency-Key, the answer as presented to the client: body, status, ETag and Location', async () => {
    const db = app.get<SqlDatabase>(SQL_DATABASE);
    const { rows } = await db.query<{ status: number; body: unknown; headers: Record<string, string> }>(
      'SELECT status, body, headers FROM idempotency_keys WHERE key = $1',
      ['bus-sign'],
    );
    expect(rows).toEqual([
      { status: 201, body: signed.body, headers: { etag: signed.headers.etag, location: '/api/conventions/69123-1' } },
    ]);
    expect(Object.keys(signed.body)).toEqual(['conventionId', 'version', 'position', 'events']);
  });

  it('seeds the catalogue with metadata as every command has it: the system actor, one command id, why and under which decision', async () => {
    const catalogue: RecordedEvent[] = [];
    for await (const event of store.readStream(CATALOGUE_STREAM)) catalogue.push(event);
    expect(catalogue.length).toBeGreaterThan(0);
    const { commandId } = catalogue[0].metadata;
    for (const event of catalogue)
      expect(event.metadata).toEqual({
        actor: SYSTEM_ACTOR,
        commandId,
        correlationId: commandId,
        causationId: commandId,
        reason: 'Catalogue of the framework agreement recorded at first start (R-CAT-2)',
        legalReference: 'CP-2025-4074',
      });
  });
});
