import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { comparePositions, parsePosition, Position } from '@lib/event-store/event-store.port';
import { ApiProcess, spawnApi } from './support/api-process';
import { RawSse } from './support/feed-sse';
import { describeWithThrowawayPostgres, startThrowawayPostgres, ThrowawayPostgres } from './support/throwaway-postgres';

/**
 * Three real API processes on one PostgreSQL schema (docs/deployment.md): exactly one leads the
 * projections (session advisory lock); the others serve commands, reads and SSE from the shared tables
 * and the leader's checkpoints. The leader killed -9 under load: another takes over within 5 s, load
 * goes on through the survivors, every acknowledged command is stored once and visible, and the read
 * models equal a rebuild. A frozen leader (SIGSTOP) loses the lead too. A feed consumer moved from one
 * process to another neither repeats nor skips.
 *
 * On a PostgreSQL server of its own: the store's visibility horizon is the server's oldest running
 * writing transaction, so a long one in another suite (another database even) would stall every reader here.
 */

const WRITERS = 4;
const LEADS = 'This process leads the projections';
/** A request that takes longer than this is a hang: the test fails on it. */
const REQUEST_LIMIT_MS = 30_000;

interface Answer {
  status: number;
  text: string;
  json: () => any;
}

interface Ack {
  kind: 'signing' | 'population';
  insee: string;
  effectiveDate?: string;
  position: Position;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const dateOf = (i: number) => new Date(Date.UTC(2001, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
const positionText = (position: Position) => `${position.commit}-${position.prepare}`;

describeWithThrowawayPostgres('three API processes on one PostgreSQL schema', () => {
  const schema = `mp_${randomBytes(5).toString('hex')}`;
  const apis: ApiProcess[] = [];
  const alive = new Set<ApiProcess>();
  let pg: ThrowawayPostgres;
  let pool: Pool;
  /** The leader after the kill -9 (the third test freezes it). */
  let successor: ApiProcess | undefined;

  const call = async (api: ApiProcess, method: 'GET' | 'POST' | 'DELETE', path: string, options: { key?: string; body?: unknown } = {}) => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${api.token('admin')}`,
        ...(options.key ? { 'idempotency-key': options.key } : {}),
        ...(options.body ? { 'content-type': 'application/json' } : {}),
      },
      body: options.body ? JSON.stringify(options.body) : undefined,
      signal: AbortSignal.timeout(REQUEST_LIMIT_MS),
    });
    const text = await response.text();
    return { status: response.status, text, json: () => JSON.parse(text) } satisfies Answer;
  };
  const readiness = async (api: ApiProcess) => {
    const answer = await call(api, 'GET', '/api/health/ready');
    return { ...(answer.json() as { role?: string; leader?: string; projections?: unknown }), status: answer.status };
  };
  const leaderOf = async () => {
    for (const api of alive) if ((await readiness(api)).role === 'leader') return api;
    throw new Error('no process says it leads');
  };
  const untilReady = async (api: ApiProcess, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    let state = await readiness(api);
    while (state.status !== 200 && Date.now() < deadline) {
      await sleep(200);
      state = await readiness(api);
    }
    if (state.status !== 200) throw new Error(`not ready within ${timeoutMs} ms: ${JSON.stringify(state)}`);
    return state;
  };

  /** One command, sent round-robin to the live processes and retried (same key) on another after a 503 or a refused connection. */
  let turn = 0;
  const violations: string[] = [];
  const command = async (path: string, key: string, body: unknown): Promise<Position | undefined> => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const targets = [...alive];
      const api = targets[turn++ % targets.length];
      let answer: Answer;
      try {
        answer = await call(api, 'POST', path, { key, body });
      } catch (error) {
        if ((error as Error).name === 'TimeoutError') violations.push(`${path} ${key}: no answer within ${REQUEST_LIMIT_MS} ms`);
        await sleep(50);
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) return parsePosition(answer.json().position)!;
      if (answer.status === 503) {
        await sleep(50);
        continue;
      }
      violations.push(`${path} ${key}: ${answer.status} ${answer.text.slice(0, 300)}`);
      return undefined;
    }
    violations.push(`${path} ${key}: not acknowledged within 60 s`);
    return undefined;
  };
  const signing = (insee: string) => ({
    communeInsee: insee,
    communeName: `Commune ${insee}`,
    signedOn: '2025-11-15',
    effectiveFrom: '2026-01-01',
    annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' }],
  });

  /** Every feed item's position, page after page, read from `api` once it has caught up with `minPosition`. */
  const wholeFeed = async (api: ApiProcess, minPosition: Position): Promise<string[]> => {
    const positions: string[] = [];
    let after = '0';
    for (let first = true; ; first = false) {
      const query = `after=${after}&limit=1000${first ? `&minPosition=${positionText(minPosition)}` : ''}`;
      const response = await fetch(`${api.url}/api/feed?${query}`, { headers: { authorization: `Bearer ${api.token('consumer')}` } });
      const page = (await response.json()) as { items: { position: string }[]; next: string };
      if (response.status !== 200) throw new Error(`GET /api/feed: ${response.status} ${JSON.stringify(page)}`);
      positions.push(...page.items.map((item) => item.position));
      if (page.items.length < 1000) return positions;
      after = page.next;
    }
  };

  const withOutput = (test: () => Promise<void>) => async () => {
    try {
      await test();
    } catch (error) {
      const tails = apis.map((api, i) => `--- API ${i} (last lines) ---\n${api.output().split('\n').slice(-25).join('\n')}`);
      throw new Error(`${(error as Error).message}\n${tails.join('\n')}`, { cause: error });
    }
  };

  beforeAll(async () => {
    pg = await startThrowawayPostgres('multiprocess');
    pool = new Pool({ connectionString: pg.url, max: 2 });
    // Made-up communes by the hundred: more than the Métropole has (COMMUNE_CHECK, docs/communes.md).
    const env = { EVENT_STORE: 'postgres', DATABASE_URL: pg.url, DATABASE_SCHEMA: schema, COMMUNE_CHECK: 'synthetic' };
    // The first one creates the schema and its tables; the other two start together once it is up.
    apis.push(await spawnApi(env));
    await apis[0].waitHealthy(120_000);
    apis.push(...(await Promise.all([spawnApi(env), spawnApi(env)])));
    await Promise.all(apis.slice(1).map((api) => api.waitHealthy(120_000)));
    for (const api of apis) alive.add(api);
  }, 300_000);

  afterAll(async () => {
    for (const api of apis) api.child.kill('SIGCONT'); // a frozen one must be able to die
    await Promise.all(apis.map((api) => api.kill('SIGKILL')));
    await pool?.end();
    await pg?.destroy();
  }, 60_000);

  it(
    'one leads, the others follow it and name it; a write on one is read with minPosition on the others',
    withOutput(async () => {
      const states = await Promise.all(apis.map((api) => untilReady(api)));
      expect(states.map((state) => state.role).sort()).toEqual(['follower', 'follower', 'leader']);
      const leader = states.find((state) => state.role === 'leader')!.leader;
      expect(leader).toMatch(/^conventions-cadre .+:\d+$/);
      expect(states.map((state) => state.leader)).toEqual([leader, leader, leader]);

      // Read-your-writes on a follower: the command on one process, the read with minPosition on each other one.
      const position = await command('/api/conventions', 'mp-sign-69900', signing('69900'));
      expect(position).toBeDefined();
      for (const api of apis) {
        const read = await call(api, 'GET', `/api/communes/69900/entitlements?minPosition=${positionText(position!)}`);
        expect({ status: read.status, services: read.json().map?.((e: { serviceId: string }) => e.serviceId) }).toEqual({
          status: 200,
          services: ['toodego'],
        });
      }
    }),
    120_000,
  );

  it(
    "a feed consumer moved from one process's stream to another's (Last-Event-ID) neither repeats nor skips, rows written by a third",
    withOutput(async () => {
      const leader = await leaderOf();
      const [first, second] = apis.filter((api) => api !== leader);
      const headers = (api: ApiProcess, lastEventId?: string) => ({
        Authorization: `Bearer ${api.token('consumer')}`,
        ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
      });
      // Commands go to the leader meanwhile: the feed rows the followers stream are written by another process.
      let writing = true;
      let last: Position | undefined;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          const insee = `698${String(i).padStart(2, '0')}`;
          const response = await call(leader, 'POST', '/api/conventions', { key: `mp-feed-${insee}`, body: signing(insee) });
          if (response.status !== 201) throw new Error(`signing ${insee}: ${response.status} ${response.text}`);
          last = parsePosition(response.json().position);
          await sleep(30);
        }
      })();
      const stream1 = await RawSse.open(first.url, '/api/feed/stream', headers(first));
      expect(stream1.status).toBe(200);
      await stream1.waitFor(() => stream1.events.length >= 8, 20_000, '8 events on the first stream');
      stream1.close(); // mid-flow: the writer goes on
      const seen1 = stream1.events.map((event) => event.id!);
      await sleep(500);
      const stream2 = await RawSse.open(second.url, '/api/feed/stream', headers(second, seen1[seen1.length - 1]));
      expect(stream2.status).toBe(200);
      await stream2.waitFor(() => stream2.events.length >= 8, 20_000, '8 events on the second stream');
      writing = false;
      await writer;
      const feed = await wholeFeed(leader, last!);
      await stream2.waitFor(() => stream2.events.at(-1)?.id === feed.at(-1), 20_000, 'the feed head on the second stream');
      stream2.close();

      const seen = [...seen1, ...stream2.events.map((event) => event.id!)];
      expect(new Set(seen).size).toBe(seen.length); // no repeat
      expect(seen).toEqual(feed.slice(0, seen.length)); // no gap, in order
      expect(seen.length).toBe(feed.length);
    }),
    120_000,
  );

  it(
    'the leader killed -9 under load: another leads within 5 s, writes go on through the survivors, nothing acknowledged is lost, read models equal a rebuild',
    withOutput(async () => {
      const acks: Ack[] = [];
      let writing = true;
      const writer = async (w: number) => {
        const insee = `697${String(w).padStart(2, '0')}`;
        const signed = await command('/api/conventions', `mp-sign-${insee}`, signing(insee));
        if (signed) acks.push({ kind: 'signing', insee, position: signed });
        for (let i = 0; writing; i++) {
          const effectiveDate = dateOf(i);
          const body = { communeInsee: insee, population: 1000 + i, effectiveDate, source: 'INSEE (multi-process test)' };
          const recorded = await command('/api/reference/populations', `mp-pop-${insee}-${i}`, body);
          if (recorded) acks.push({ kind: 'population', insee, effectiveDate, position: recorded });
          await sleep(20);
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      let takeoverMs: number | undefined;
      try {
        await sleep(2_000);
        const leader = await leaderOf();
        const before = acks.length;
        const survivors = apis.filter((api) => api !== leader);
        const logged = survivors.map((api) => api.output().split(LEADS).length);
        alive.delete(leader);
        const killedAt = Date.now();
        await leader.kill('SIGKILL');
        // The survivor that takes the lock says so as soon as its projections run (its readiness says it too, below).
        for (;;) {
          const index = survivors.findIndex((api, i) => api.output().split(LEADS).length > logged[i]);
          if (index >= 0) {
            takeoverMs = Date.now() - killedAt;
            successor = survivors[index];
            break;
          }
          if (Date.now() - killedAt > 15_000) throw new Error('no survivor took the lead within 15 s');
          await sleep(20);
        }
        await sleep(3_000); // load goes on through the survivors
        expect(acks.length).toBeGreaterThan(before);
      } finally {
        writing = false;
        await Promise.all(writers);
      }
      process.stdout.write(`multi-process: takeover after kill -9 in ${takeoverMs} ms; ${acks.length} commands acknowledged\n`);
      expect(takeoverMs).toBeLessThanOrEqual(5_000);
      expect(violations).toEqual([]);

      // Both survivors ready; the successor leads and the other names it.
      const states = await Promise.all([...alive].map(async (api) => ({ api, state: await untilReady(api) })));
      expect(states.map(({ api, state }) => ({ successor: api === successor, role: state.role }))).toEqual(
        expect.arrayContaining([
          { successor: true, role: 'leader' },
          { successor: false, role: 'follower' },
        ]),
      );
      expect(new Set(states.map(({ state }) => state.leader)).size).toBe(1);

      // Every acknowledged command is stored exactly once (and nothing else of theirs is).
      const { rows } = await pool.query<{ type: string; insee: string; effective_date: string | null }>(
        `SELECT type, data->>'communeInsee' AS insee, data->>'effectiveDate' AS effective_date FROM ${schema}.events
          WHERE type IN ('ConventionSigned', 'PopulationRecorded') AND data->>'communeInsee' LIKE '697%'`,
      );
      const stored = rows.map((row) =>
        row.type === 'ConventionSigned' ? `signing ${row.insee}` : `population ${row.insee} ${row.effective_date}`,
      );
      const acknowledged = acks.map((ack) =>
        ack.kind === 'signing' ? `signing ${ack.insee}` : `population ${ack.insee} ${ack.effectiveDate}`,
      );
      expect(new Set(stored).size).toBe(stored.length);
      expect([...stored].sort()).toEqual([...acknowledged].sort());

      // Visible on both survivors at the last acknowledged position.
      const last = acks.map((ack) => ack.position).reduce((a, b) => (comparePositions(a, b) >= 0 ? a : b));
      for (const api of alive)
        for (let w = 0; w < WRITERS; w++) {
          const read = await call(
            api,
            'GET',
            `/api/communes/697${String(w).padStart(2, '0')}/entitlements?minPosition=${positionText(last)}`,
          );
          expect({ status: read.status, services: read.json().map?.((e: { serviceId: string }) => e.serviceId) }).toEqual({
            status: 200,
            services: ['toodego'],
          });
        }

      // The read models equal a rebuild from position 0 (the operator's rebuild, run on the leader: checksums of every table).
      if (!successor) throw new Error('no successor');
      const started = await call(successor, 'POST', '/api/admin/projections/rebuild');
      expect(started.status).toBe(202);
      const job = started.json().jobId as string;
      let view = started.json();
      const deadline = Date.now() + 60_000;
      while (!['ready', 'failed'].includes(view.state) && Date.now() < deadline) {
        await sleep(200);
        view = (await call(successor, 'GET', `/api/admin/projections/rebuild/${job}`)).json();
      }
      const checks = view.projections.map((projection: { name: string; check?: { equal: boolean; samePosition: boolean } }) => ({
        name: projection.name,
        equal: projection.check?.equal,
        samePosition: projection.check?.samePosition,
      }));
      expect({ state: view.state, checks }).toEqual({
        state: 'ready',
        checks: checks.map(({ name }: { name: string }) => ({ name, equal: true, samePosition: true })),
      });
      await call(successor, 'DELETE', `/api/admin/projections/rebuild/${job}`);
    }),
    240_000,
  );

  it(
    'a frozen leader (SIGSTOP) loses its lock once its session is idle 5 s; resumed, it steps down and follows',
    withOutput(async () => {
      if (!successor) throw new Error('the previous test found no successor');
      const frozen = successor;
      const [other] = [...alive].filter((api) => api !== frozen);
      const logged = other.output().split(LEADS).length;
      alive.delete(frozen);
      const frozenAt = Date.now();
      frozen.child.kill('SIGSTOP');
      let takeoverMs: number | undefined;
      while (takeoverMs === undefined && Date.now() - frozenAt < 20_000) {
        if (other.output().split(LEADS).length > logged) takeoverMs = Date.now() - frozenAt;
        else await sleep(20);
      }
      // Commands meanwhile, through the one left.
      const position = await command('/api/conventions', 'mp-sign-69950', signing('69950'));
      frozen.child.kill('SIGCONT');
      alive.add(frozen);
      process.stdout.write(`multi-process: takeover after SIGSTOP of the leader in ${takeoverMs} ms\n`);
      // idle_session_timeout (5 s) plus a follower's tick (1 s), with room for a loaded machine.
      expect(takeoverMs).toBeLessThanOrEqual(8_000);

      const states = await Promise.all([frozen, other].map((api) => untilReady(api)));
      expect(states.map((state) => state.role)).toEqual(['follower', 'leader']);
      expect(states[0].leader).toBe(states[1].leader);
      expect(frozen.output()).toMatch(/Lost the projections lock connection/);
      const read = await call(frozen, 'GET', `/api/communes/69950/entitlements?minPosition=${positionText(position!)}`);
      expect(read.status).toBe(200);
    }),
    120_000,
  );
});
