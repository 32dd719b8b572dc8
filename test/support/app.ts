import { INestApplication } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import request from 'supertest';
import { Pool } from 'pg';
import { createApp } from '../../apps/api/src/bootstrap';
import { loadConfig } from '../../apps/api/src/config/app-config';
import { signToken } from '@lib/contract';
import { generateSigningKeyPem } from '@lib/event-store/integrity/tree-head';
import { EVENT_STORE, EventStore, RecordedEvent } from '@lib/event-store/event-store.port';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { DATABASE_URL, describeWithPostgres } from './postgres';

export type StoreKind = 'pglite' | 'postgres';

export const SECRET = 'e2e-secret-e2e-secret-e2e-secret-!';
/** The tree heads' signing key of this test process (else each app would make one in ./data). */
export const TEST_SIGNING_KEY = generateSigningKeyPem();

export interface TestApp {
  kind: StoreKind;
  app: INestApplication;
  http: ReturnType<typeof request>;
  store: EventStore;
  db: SqlDatabase;
  tokens: {
    admin: string;
    auditor: string;
    consumer: string;
    commune: (insee: string) => string;
    consumerOf: (services: string[]) => string;
    /** Exactly these claims, signed with the app's secret: no `exp` or `iat` is added. */
    withClaims: (claims: Record<string, unknown>) => string;
  };
  /** Every event in the store, in global order: to assert that a refused command changed nothing. */
  allEvents(): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

/** The real application (same bootstrap as main.ts) on a fresh PGlite in memory or a fresh PostgreSQL schema. */
export async function startTestApp(kind: StoreKind, env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({
    AUDIT_SIGNING_KEY: TEST_SIGNING_KEY,
    ...env,
    JWT_SECRET: SECRET,
    LIFECYCLE_SCHEDULE: 'off',
    LOG_LEVEL: 'error',
    EVENT_STORE: kind === 'postgres' ? 'postgres' : 'pglite',
    DATABASE_URL,
  });
  const schema = `e2e_${randomBytes(5).toString('hex')}`;
  const app = await createApp(config, kind === 'postgres' ? { kind: 'postgres', databaseUrl: DATABASE_URL, schema } : { kind: 'pglite' });
  await app.init();
  const store = app.get<EventStore>(EVENT_STORE);
  const db = app.get<SqlDatabase>(SQL_DATABASE);
  const token = (sub: string, role: 'admin' | 'auditor' | 'commune' | 'consumer', extra: { insee?: string; services?: string[] } = {}) =>
    signToken(SECRET, { sub, role, ...extra });
  return {
    kind,
    app,
    http: request(app.getHttpServer()),
    store,
    db,
    tokens: {
      admin: token('admin-alice', 'admin'),
      auditor: token('auditor-bob', 'auditor'),
      consumer: token('toodego-sync', 'consumer'),
      commune: (insee) => token(`commune-${insee}`, 'commune', { insee }),
      consumerOf: (services) => token('limited-consumer', 'consumer', { services }),
      withClaims: (claims) => signExactly(claims, SECRET),
    },
    async allEvents() {
      const events: RecordedEvent[] = [];
      for await (const event of store.readAll()) events.push(event);
      return events;
    },
    async close() {
      await app.close();
      if (kind === 'postgres') {
        const pool = new Pool({ connectionString: DATABASE_URL, max: 1 });
        await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => pool.end());
      }
    },
  };
}

/** An HS256 JWT of exactly these claims: signing libraries add `iat` and refuse malformed time claims, which tests need to send. */
function signExactly(claims: Record<string, unknown>, secret: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/**
 * Declares the same e2e suite on PGlite and on PostgreSQL (skipped with a line when PostgreSQL is
 * unreachable outside CI; required in CI). `current()` gives the running suite's app.
 */
export function describeE2E(name: string, body: (current: () => TestApp) => void, env: Record<string, string> = {}): void {
  for (const kind of ['pglite', 'postgres'] as const) {
    const suite = () => {
      let testApp: TestApp | undefined;
      beforeAll(async () => {
        testApp = await startTestApp(kind, env);
      }, 60_000);
      afterAll(async () => {
        await testApp?.close();
      }, 60_000);
      body(() => {
        if (!testApp) throw new Error('the test app did not start');
        return testApp;
      });
    };
    if (kind === 'postgres') describeWithPostgres(`${name} [postgres]`, suite);
    else describe(`${name} [pglite]`, suite);
  }
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
