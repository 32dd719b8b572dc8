/**
 * `npm run bench:ledger-http`: a year's ledger at national scale over HTTP (issue 12 item 4), on
 * PostgreSQL. A database of its own (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_ledger,
 * created if absent) holds the national fee-ledger facts (bench/ledger-national-facts.ts), written
 * straight into the fee-ledger read model, kept between runs when it holds the same set. The API runs as
 * a real process (as test/support/api-process.ts spawns it) on that database, and is asked, three
 * rounds each: the year as JSON, as CSV (time to first byte, total time, bytes, the API's RSS peak,
 * sampled every 20 ms from /proc), the year as known at an instant halfway through the facts, and a
 * commune's ledger (p50 / p99). Ceilings in the same run: the same number of bytes from a static body
 * served by a bare node HTTP server, and reading the year's facts (`readLedgerFacts`, as the reader
 * did) in this process. A benchmark, not a test: nothing fails on slow figures.
 *
 * Environment: BENCH_SCALE (1.0: 35 000 communes), BENCH_LEDGER_YEAR (2027), BENCH_ROUNDS (3),
 * BENCH_CPU_PROF (a directory: the API runs with --cpu-prof there, stopped with SIGTERM so it writes it),
 * BENCH_API_NODE_OPTIONS (the API's NODE_OPTIONS, e.g. --max-old-space-size=200).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { Client } from 'pg';
import { populationRecorded, syntecIndexRecorded } from '@lib/domain/testing';
import { PgPoolDatabase } from '@lib/event-store/sql/pg-pool-database';
import { FEE_LEDGER_TABLES, readLedgerFacts } from '@lib/projections/fee-ledger';
import { ApiProcess, spawnApi } from '../test/support/api-process';
import { NATIONAL_FACTS_START, nationalLedgerFacts } from './ledger-national-facts';
import { LedgerMeasure, measureYearLedger } from './lib/ledger-http';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const COMMUNES = Math.max(1, Math.round(35_000 * SCALE));
const YEAR = Number(process.env.BENCH_LEDGER_YEAR ?? 2027);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/bench_ledger';
const CPU_PROF = process.env.BENCH_CPU_PROF;

async function ensureDatabase(): Promise<void> {
  const url = new URL(DATABASE_URL);
  const name = url.pathname.slice(1);
  const admin = new Client({ connectionString: Object.assign(new URL(DATABASE_URL), { pathname: '/postgres' }).toString() });
  await admin.connect();
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (!rowCount) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
}

const startApi = (profile = false): Promise<ApiProcess> =>
  spawnApi({
    COMMUNE_CHECK: 'synthetic', // made-up communes by the thousand (docs/communes.md)
    EVENT_STORE: 'postgres',
    DATABASE_URL,
    LOG_LEVEL: 'log', // waitHealthy reads the "Listening on" line
    DATABASE_STATEMENT_TIMEOUT_MS: '120000',
    NODE_OPTIONS: [process.env.BENCH_API_NODE_OPTIONS ?? '', profile && CPU_PROF ? `--cpu-prof --cpu-prof-dir=${CPU_PROF}` : '']
      .join(' ')
      .trim(),
  });

/** The national facts in the read model (the API created its tables on a first start); kept when already there. */
async function loadFacts(): Promise<number> {
  const label = `${COMMUNES} communes, year ${YEAR}`;
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query('CREATE TABLE IF NOT EXISTS bench_ledger_set (label text NOT NULL)');
  const { rows } = await client.query<{ label: string }>('SELECT label FROM bench_ledger_set');
  const facts = nationalLedgerFacts(COMMUNES, YEAR);
  if (rows[0]?.label === label) {
    // The facts an earlier run added to measure a refresh.
    await client.query(`DELETE FROM ${FEE_LEDGER_TABLES.fee_ledger_facts} WHERE stream_id = 'bench'`);
    await client.end();
    return facts.length;
  }
  await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  const api = await startApi();
  await api.waitHealthy(120_000);
  await api.kill('SIGTERM');
  // The API seeded the catalogue on its first start: the set brings its own.
  await client.query(`DELETE FROM ${FEE_LEDGER_TABLES.fee_ledger_facts}`);
  const started = Date.now();
  for (let i = 0; i < facts.length; i += 5_000) {
    const page = facts.slice(i, i + 5_000);
    await client.query(
      `INSERT INTO ${FEE_LEDGER_TABLES.fee_ledger_facts}
         (event_id, position_commit, position_prepare, recorded_at, stream_id, type, schema_version, commune_insee, ledger_year, data, reason)
       SELECT event_id, position_commit, position_prepare, recorded_at, stream_id, type, 1, commune_insee, NULL, data, NULL
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
           AS t(event_id, position_commit, position_prepare, recorded_at, stream_id, type, commune_insee, data)`,
      [
        page.map((f) => f.eventId),
        page.map((f) => f.position.commit),
        page.map((f) => f.position.prepare),
        page.map((f) => f.recordedAt),
        page.map((f) => f.streamId),
        page.map((f) => f.type),
        page.map((f) => f.communeInsee),
        page.map((f) => JSON.stringify(f.data)),
      ],
    );
  }
  await client.query('VACUUM ANALYZE');
  await client.query('CREATE TABLE IF NOT EXISTS bench_ledger_set (label text NOT NULL)');
  await client.query('DELETE FROM bench_ledger_set');
  await client.query('INSERT INTO bench_ledger_set VALUES ($1)', [label]);
  await client.end();
  console.log(`loaded ${facts.length} facts in ${Date.now() - started} ms`);
  return facts.length;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** One measure with the API's RSS sampled meanwhile. */
async function withRss(pid: number, run: () => Promise<LedgerMeasure>): Promise<LedgerMeasure & { rssPeakMb: number }> {
  let peak = rssMb(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 20);
  try {
    const measure = await run();
    return { ...measure, rssPeakMb: Math.max(peak, rssMb(pid)) };
  } finally {
    clearInterval(sampler);
  }
}

/** The ceiling: `bytes` of a static body in 64 KiB chunks from a bare node HTTP server, read by the same client. */
async function staticBody(bytes: number): Promise<LedgerMeasure> {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= part.length;
        if (!res.write(part)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  try {
    return await measureYearLedger(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'none', YEAR, 'json');
  } finally {
    server.close();
  }
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { min: sorted[0], median: at(0.5), max: sorted[sorted.length - 1], p99: at(0.99) };
};
const f0 = (n: number) => n.toFixed(0);
const row = (name: string, values: number[]) => {
  const s = stats(values);
  return `${name.padEnd(44)} ${f0(s.min).padStart(9)} ${f0(s.median).padStart(9)} ${f0(s.max).padStart(9)}`;
};

async function main(): Promise<void> {
  await ensureDatabase();
  const factCount = await loadFacts();
  console.log(
    `ledger-http bench: ${COMMUNES} communes, ${factCount} facts, year ${YEAR}, ${ROUNDS} rounds; ` +
      `${cpus().length} CPU, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; Node ${process.version}`,
  );

  const db = await PgPoolDatabase.connect({ connectionString: DATABASE_URL, max: 2, timeouts: { statementTimeoutMs: 120_000 } });
  const readMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = Date.now();
    const facts = await readLedgerFacts(db, FEE_LEDGER_TABLES, { year: YEAR });
    readMs.push(Date.now() - start);
    if (facts.length !== factCount) throw new Error(`read ${facts.length} facts, expected ${factCount}`);
  }
  await db.close();

  const api = await startApi(true);
  await api.waitHealthy(120_000);
  const pid = api.child.pid!;
  const token = api.token('auditor');
  console.log(`API started, RSS ${f0(rssMb(pid))} MB`);
  const results: Record<string, (LedgerMeasure & { rssPeakMb: number })[]> = {};
  const knownAt = new Date(NATIONAL_FACTS_START + Math.floor(factCount / 2)).toISOString();
  const cases: [string, () => Promise<LedgerMeasure>][] = [
    ['year JSON', () => measureYearLedger(api.url, token, YEAR, 'json')],
    ['year CSV', () => measureYearLedger(api.url, token, YEAR, 'csv')],
    ['year JSON, knownAt halfway', () => measureYearLedger(api.url, token, YEAR, 'json', { knownAt })],
  ];
  for (const [name, run] of cases) {
    results[name] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const measure = await withRss(pid, run);
      if (measure.status !== 200 || !measure.complete) throw new Error(`${name}: ${measure.status}, complete ${measure.complete}`);
      results[name].push(measure);
    }
  }
  // A new fact in the read model, as the projection would write it: the next read recomputes what it changes.
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  let next = factCount + 1;
  const addFact = async (type: string, communeInsee: string | null, data: object) => {
    await client.query(
      `INSERT INTO ${FEE_LEDGER_TABLES.fee_ledger_facts}
         (event_id, position_commit, position_prepare, recorded_at, stream_id, type, schema_version, commune_insee, data)
       VALUES ($1, $2, $2, now(), 'bench', $3, 1, $4, $5)`,
      [`bench-${Date.now()}-${next}`, next++, type, communeInsee, JSON.stringify(data)],
    );
  };
  const afterFact: [string, () => Promise<void>][] = [
    [
      'year JSON, after a population figure',
      () =>
        addFact(
          'PopulationRecorded',
          '10001',
          populationRecorded({ communeInsee: '10001', population: 1234 + next, effectiveDate: '2026-01-01' }).data,
        ),
    ],
    [
      'year JSON, after a Syntec value',
      () =>
        addFact('SyntecIndexRecorded', null, syntecIndexRecorded({ period: '2027-11', value: '340.0', publishedOn: '2027-12-20' }).data),
    ],
  ];
  for (const [name, add] of afterFact) {
    results[name] = [];
    for (let r = 0; r < ROUNDS; r++) {
      await add();
      const measure = await withRss(pid, () => measureYearLedger(api.url, token, YEAR, 'json'));
      if (measure.status !== 200 || !measure.complete) throw new Error(`${name}: ${measure.status}, complete ${measure.complete}`);
      results[name].push(measure);
    }
  }
  await client.end();

  const communeMs: number[] = [];
  for (let i = 0; i < 100; i++) {
    const insee = String(10_000 + ((i * 7919) % COMMUNES));
    const measure = await measureYearLedger(api.url, token, YEAR, 'json', { communeInsee: insee });
    if (measure.status !== 200) throw new Error(`commune ${insee}: ${measure.status}`);
    communeMs.push(measure.totalMs);
  }
  const bytes = results['year JSON'][0].bytes;
  const staticMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) staticMs.push((await staticBody(bytes)).totalMs);
  await api.kill(CPU_PROF ? 'SIGTERM' : 'SIGKILL');

  console.log(`${'measure (ms, MB)'.padEnd(44)} ${'min'.padStart(9)} ${'median'.padStart(9)} ${'max'.padStart(9)}`);
  console.log(row(`ceiling: static body of ${(bytes / 2 ** 20).toFixed(1)} MiB, total`, staticMs));
  console.log(row('ceiling: readLedgerFacts, the whole year', readMs));
  for (const [name, measures] of Object.entries(results)) {
    console.log(
      row(
        `${name}, first byte`,
        measures.map((m) => m.ttfbMs),
      ),
    );
    console.log(
      row(
        `${name}, total`,
        measures.map((m) => m.totalMs),
      ),
    );
    console.log(
      row(
        `${name}, API RSS peak`,
        measures.map((m) => m.rssPeakMb),
      ),
    );
    console.log(`${name}: ${(measures[0].bytes / 2 ** 20).toFixed(1)} MiB`);
  }
  const c = stats(communeMs);
  console.log(`one commune's ledger (100 communes): p50 ${c.median.toFixed(1)} ms, p99 ${c.p99.toFixed(1)} ms, max ${c.max.toFixed(1)} ms`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
