import { writeFileSync } from 'node:fs';
import { comparePositions, parsePosition, Position } from '@lib/event-store/event-store.port';
import { ApiProcess, spawnApi } from './support/api-process';
import { describeWithThrowawayPostgres, startThrowawayPostgres, ThrowawayPostgres } from './support/throwaway-postgres';

/**
 * The API process (a real one, spawned) on a PostgreSQL server of this test's
 * own, which the test stops (fast, immediate), kills (kill -9 of the postmaster) and freezes (SIGSTOP).
 * The API must stay up, answer 503 problem+json with Retry-After while the database is away, lose
 * nothing it acknowledged, store nothing twice, and serve again (projections included) by itself.
 */

// Small bounds, so that the hang is met within the test (defaults: 5 s, 15 s, 5 s).
const BOUNDS = { connect: 2_000, statement: 3_000, lock: 2_000 };
const WRITERS = 8;
/** A request to the API that takes longer than this is a hang: the test fails on it. */
const REQUEST_LIMIT_MS = 30_000;

interface Ack {
  kind: 'signing' | 'population';
  insee: string;
  effectiveDate?: string;
  position: Position;
  at: number;
}

const inseeOf = (writer: number) => `697${String(writer).padStart(2, '0')}`;
const dateOf = (i: number) => new Date(Date.UTC(2001, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);

describeWithThrowawayPostgres('the API process under PostgreSQL faults (throwaway cluster)', () => {
  let pg: ThrowawayPostgres;
  let api: ApiProcess;
  let exitedEarly: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  const tail = () => api.output().split('\n').slice(-40).join('\n');
  /** A failure says what the API printed last (its crash, if it crashed). */
  const withOutput = (test: () => Promise<void>) => async () => {
    try {
      await test();
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- API output (last lines) ---\n${tail()}`, { cause: error });
    }
  };
  const call = async (method: 'GET' | 'POST', path: string, options: { key?: string; body?: unknown; token?: string } = {}) => {
    const started = Date.now();
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.key ? { 'idempotency-key': options.key } : {}),
        ...(options.body ? { 'content-type': 'application/json' } : {}),
      },
      body: options.body ? JSON.stringify(options.body) : undefined,
      signal: AbortSignal.timeout(REQUEST_LIMIT_MS),
    });
    const text = await response.text();
    return { status: response.status, text, headers: response.headers, ms: Date.now() - started, json: () => JSON.parse(text) };
  };

  beforeAll(async () => {
    pg = await startThrowawayPostgres('faults');
    api = await spawnApi({
      COMMUNE_CHECK: 'synthetic', // made-up communes (docs/communes.md)
      EVENT_STORE: 'postgres',
      DATABASE_URL: pg.url,
      DATABASE_CONNECT_TIMEOUT_MS: String(BOUNDS.connect),
      DATABASE_STATEMENT_TIMEOUT_MS: String(BOUNDS.statement),
      DATABASE_LOCK_TIMEOUT_MS: String(BOUNDS.lock),
    });
    void api.exited.then((exit) => (exitedEarly = exit));
    await api.waitHealthy(120_000);
  }, 180_000);

  afterAll(async () => {
    // FAULTS_LOG=<file> keeps what the API printed, to see why a run failed.
    if (process.env.FAULTS_LOG) writeFileSync(process.env.FAULTS_LOG, api?.output() ?? '');
    await api?.kill('SIGKILL');
    await pg?.destroy();
  }, 60_000);

  it(
    'stays up through stop -m fast, stop -m immediate and kill -9 under 8 writers: 503 meanwhile, nothing lost or doubled, projections caught up within 10 s',
    withOutput(async () => {
      const admin = api.token('admin');
      const acks: Ack[] = [];
      const violations: string[] = [];
      const seen = new Map<number, number>();
      let connectionErrors = 0;
      let writing = true;

      /** One command, retried with the same key on 503 and on connection errors until it is acknowledged. */
      const command = async (path: string, key: string, body: unknown): Promise<{ position: Position } | undefined> => {
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline && !exitedEarly) {
          let answer;
          try {
            answer = await call('POST', path, { key, body, token: admin });
          } catch (error) {
            if ((error as Error).name === 'TimeoutError') violations.push(`${path} ${key}: no answer within ${REQUEST_LIMIT_MS} ms`);
            connectionErrors++;
            await new Promise((resolve) => setTimeout(resolve, 100));
            continue;
          }
          seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
          if (answer.status >= 200 && answer.status < 300) return { position: parsePosition(answer.json().position)! };
          if (answer.status === 503) {
            if (!answer.headers.get('retry-after') || !answer.headers.get('content-type')?.startsWith('application/problem+json'))
              violations.push(`${path} ${key}: a 503 without Retry-After or problem+json: ${answer.text}`);
            await new Promise((resolve) => setTimeout(resolve, 100));
            continue;
          }
          violations.push(`${path} ${key}: ${answer.status} ${answer.text.slice(0, 300)}`);
          return undefined;
        }
        violations.push(`${path} ${key}: not acknowledged within 120 s`);
        return undefined;
      };

      const writer = async (w: number) => {
        const insee = inseeOf(w);
        const signing = {
          communeInsee: insee,
          communeName: `Commune ${insee}`,
          signedOn: '2025-11-15',
          effectiveFrom: '2026-01-01',
          annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' }],
        };
        const signed = await command('/api/conventions', `faults-sign-${insee}`, signing);
        if (signed) acks.push({ kind: 'signing', insee, position: signed.position, at: Date.now() });
        for (let i = 0; writing; i++) {
          const effectiveDate = dateOf(i);
          const body = { communeInsee: insee, population: 1000 + i, effectiveDate, source: 'INSEE (fault test)' };
          const recorded = await command('/api/reference/populations', `faults-pop-${insee}-${i}`, body);
          if (recorded) acks.push({ kind: 'population', insee, effectiveDate, position: recorded.position, at: Date.now() });
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };

      /** While the database is away: store health and readiness both say so, bounded, as problem+json; bare liveness stays 200. */
      const expectUnavailable = async () => {
        expect((await call('GET', '/api/health/live')).status).toBe(200);
        for (const path of ['/api/health', '/api/health/ready']) {
          const answer = await call('GET', path);
          expect({
            path,
            status: answer.status,
            retryAfter: answer.headers.get('retry-after'),
            type: answer.headers.get('content-type'),
          }).toEqual({
            path,
            status: 503,
            retryAfter: '1',
            type: expect.stringMatching(/^application\/problem\+json/),
          });
        }
      };

      /** After the database's return: ready, and a read with minPosition at a fresh acknowledgement answers, all within 10 s. */
      const expectRecoveredWithin10s = async (returnedAt: number) => {
        const deadline = returnedAt + 10_000;
        let ready = await call('GET', '/api/health/ready');
        while (ready.status !== 200 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          ready = await call('GET', '/api/health/ready');
        }
        expect({ ready: ready.status, body: ready.status === 200 ? 'ready' : ready.text }).toEqual({ ready: 200, body: 'ready' });
        while (!acks.some((ack) => ack.at > returnedAt) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        const fresh = acks.filter((ack) => ack.at > returnedAt).pop();
        expect(fresh).toBeDefined();
        const minPosition = `${fresh!.position.commit}-${fresh!.position.prepare}`;
        let read = await call('GET', `/api/communes/${inseeOf(0)}/entitlements?minPosition=${minPosition}`, { token: admin });
        while (read.status === 503 && Date.now() < deadline)
          read = await call('GET', `/api/communes/${inseeOf(0)}/entitlements?minPosition=${minPosition}`, { token: admin });
        expect({ status: read.status, within10s: Date.now() <= deadline + 1_000 }).toEqual({ status: 200, within10s: true });
      };

      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      try {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        for (const fault of ['fast', 'immediate', 'kill'] as const) {
          const before = acks.length;
          if (fault === 'kill') await pg.killPostmaster();
          else await pg.stop(fault);
          await new Promise((resolve) => setTimeout(resolve, 1_500)); // writers meet the outage
          await expectUnavailable();
          await pg.start();
          const returnedAt = Date.now();
          await expectRecoveredWithin10s(returnedAt);
          expect({ fault, progressed: acks.length > before, alive: exitedEarly }).toEqual({ fault, progressed: true, alive: undefined });
        }
      } finally {
        writing = false;
        await Promise.all(writers);
      }

      // The process never exited, and answered nothing but 2xx, 4xx and 503.
      expect({ exited: exitedEarly, violations }).toEqual({ exited: undefined, violations: [] });
      expect([...seen.keys()].filter((status) => status >= 500 && status !== 503)).toEqual([]);
      expect(seen.get(503) ?? 0).toBeGreaterThan(0); // the writers did meet the outages

      // Every acknowledged command is stored exactly once (and nothing else of theirs is).
      const rows = await pg.query<{ type: string; insee: string; effective_date: string | null }>(
        `SELECT type, data->>'communeInsee' AS insee, data->>'effectiveDate' AS effective_date FROM events
       WHERE type IN ('ConventionSigned', 'PopulationRecorded') AND data->>'communeInsee' LIKE '697%'`,
      );
      const stored = new Map<string, number>();
      for (const row of rows) {
        const id = row.type === 'ConventionSigned' ? `signing ${row.insee}` : `population ${row.insee} ${row.effective_date}`;
        stored.set(id, (stored.get(id) ?? 0) + 1);
      }
      const acknowledged = acks.map((ack) =>
        ack.kind === 'signing' ? `signing ${ack.insee}` : `population ${ack.insee} ${ack.effectiveDate}`,
      );
      expect(new Set(acknowledged).size).toBe(acknowledged.length);
      expect([...stored.entries()].filter(([, count]) => count !== 1)).toEqual([]);
      expect([...stored.keys()].sort()).toEqual([...acknowledged].sort());

      // And the read side has all of it: every writer's convention, read at the last acknowledged position.
      const last = acks.map((ack) => ack.position).reduce((a, b) => (comparePositions(a, b) >= 0 ? a : b));
      for (let w = 0; w < WRITERS; w++) {
        const read = await call('GET', `/api/communes/${inseeOf(w)}/entitlements?minPosition=${last.commit}-${last.prepare}`, {
          token: admin,
        });
        expect({
          insee: inseeOf(w),
          status: read.status,
          services: read.status === 200 ? read.json().map((e: { serviceId: string }) => e.serviceId) : read.text,
        }).toEqual({
          insee: inseeOf(w),
          status: 200,
          services: ['toodego'],
        });
      }
      process.stdout.write(
        `postgres-faults: ${acks.length} commands acknowledged, answers ${JSON.stringify(Object.fromEntries(seen))}, ${connectionErrors} connection errors\n`,
      );
    }),
    300_000,
  );

  it(
    'answers 503 within its bounds while the server is frozen (SIGSTOP), then serves again after SIGCONT',
    withOutput(async () => {
      const admin = api.token('admin');
      const body = { communeInsee: '69799', population: 4242, effectiveDate: '2025-01-01', source: 'INSEE (hang test)' };
      pg.freeze();
      let thawed = false;
      try {
        const live = await call('GET', '/api/health/live');
        expect({ status: live.status, bounded: live.ms < 3_000 }).toEqual({ status: 200, bounded: true });
        const health = await call('GET', '/api/health');
        // Liveness waits at most DATABASE_CONNECT_TIMEOUT_MS for the store, whatever the pool's state.
        expect({ status: health.status, bounded: health.ms < BOUNDS.connect + 3_000 }).toEqual({ status: 503, bounded: true });
        const ready = await call('GET', '/api/health/ready');
        expect({ status: ready.status, bounded: ready.ms < BOUNDS.connect + 3_000 }).toEqual({ status: 503, bounded: true });
        const first = await call('POST', '/api/reference/populations', { key: 'hang-pop-69799', body, token: admin });
        // A command meets the statement bound plus pg's margin at worst, or the connect bound: "did not hang", generously.
        expect({
          status: first.status,
          retryAfter: first.headers.get('retry-after'),
          bounded: first.ms < BOUNDS.statement + BOUNDS.connect + 10_000,
        }).toEqual({
          status: 503,
          retryAfter: '1',
          bounded: true,
        });
        pg.thaw();
        thawed = true;
        await api.waitHealthy(30_000);
        let retried = await call('POST', '/api/reference/populations', { key: 'hang-pop-69799', body, token: admin });
        for (let i = 0; retried.status === 503 && i < 50; i++) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          retried = await call('POST', '/api/reference/populations', { key: 'hang-pop-69799', body, token: admin });
        }
        expect(retried.status).toBe(201);
        const rows = await pg.query(`SELECT 1 FROM events WHERE type = 'PopulationRecorded' AND data->>'communeInsee' = '69799'`);
        expect(rows).toHaveLength(1);
        expect(exitedEarly).toBeUndefined();
      } finally {
        if (!thawed) pg.thaw();
      }
    }),
    120_000,
  );
});
