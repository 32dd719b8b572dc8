/**
 * `npm run bench:pglite-memory`: the API's resident memory on the embedded store (issue 12), idle after
 * the demo import, beside what PGlite itself costs. A benchmark, not a test: figures for
 * docs/benchmarks.md ("Embedded store memory").
 *
 * 1. The API (apps/api/src/main.ts through ts-node, as test/support/api-process.ts spawns it) on a fresh
 *    PGlite data directory; `import-communes` (the CLI, through the API); GET /api/health/ready = 200;
 *    10 s idle; then VmRSS of its process, sampled (min / median / max), with RssAnon / RssFile and VmHWM.
 * 2. The same on PostgreSQL (EVENT_STORE=postgres), in a database of its own, dropped afterwards: the API's
 *    memory without the WASM engine in its process. BENCH_PGLITE_MEMORY_POSTGRES=off skips it.
 * 3. Peers, each a bare `node` process: nothing at all; ts-node registered (what the spawned API carries
 *    and a built one would not); PGlite opened on a copy of the API's data directory, `SELECT 1`, then
 *    after reading every table once — for each variant of PGlite's own options (initialMemory, start
 *    parameters). Durability is never relaxed (relaxedDurability stays false).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { API_PROCESS_SECRET, ApiProcess, spawnApi } from '../test/support/api-process';

const ROOT = resolve(__dirname, '..');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const IDLE_MS = 10_000;
const SAMPLES = 10;
const SAMPLE_EVERY_MS = 500;
const MB = 1024 * 1024;

interface Memory {
  rss: number;
  anon: number;
  file: number;
  hwm: number;
}

/** VmRSS, RssAnon, RssFile and VmHWM of a process, in bytes (Linux). */
function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), hwm: kb('VmHWM') };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const mb = (bytes: number) => (bytes / MB).toFixed(0);

async function sampleRss(pid: number): Promise<{ min: number; median: number; max: number; last: Memory }> {
  const rss: number[] = [];
  let last = memoryOf(pid);
  for (let i = 0; i < SAMPLES; i++) {
    last = memoryOf(pid);
    rss.push(last.rss);
    await sleep(SAMPLE_EVERY_MS);
  }
  rss.sort((a, b) => a - b);
  return { min: rss[0], median: rss[Math.floor(rss.length / 2)], max: rss[rss.length - 1], last };
}

function run(command: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => (code === 0 ? done(output) : fail(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}

async function waitReady(api: ApiProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await fetch(`${api.url}/api/health/ready`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await sleep(200);
  }
  throw new Error(`projections not at the head within ${timeoutMs} ms`);
}

/** The API on `env`, the demo import, ready, idle; its memory. Stopped with SIGTERM (a clean close). */
async function measureApi(label: string, env: Record<string, string>): Promise<void> {
  const api = await spawnApi(env);
  try {
    await api.waitHealthy(120_000);
    const pid = api.child.pid!;
    const started = memoryOf(pid);
    const importStart = Date.now();
    await run(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/cli/src/main.ts', 'import-communes'],
      { API_URL: `${api.url}/api`, JWT_SECRET: API_PROCESS_SECRET },
    );
    const importMs = Date.now() - importStart;
    const afterImport = memoryOf(pid);
    await waitReady(api);
    await sleep(IDLE_MS);
    const idle = await sampleRss(pid);
    console.log(
      `${label}: started ${mb(started.rss)} MB; after import (${importMs} ms) ${mb(afterImport.rss)} MB; ` +
        `idle ${IDLE_MS / 1000} s after ready: RSS min ${mb(idle.min)} / median ${mb(idle.median)} / max ${mb(idle.max)} MB ` +
        `(anon ${mb(idle.last.anon)}, file ${mb(idle.last.file)}); peak (VmHWM) ${mb(idle.last.hwm)} MB`,
    );
  } finally {
    await api.kill('SIGTERM');
  }
}

/**
 * A bare node process (plain JavaScript, no ts-node) that opens PGlite on `dataDir` with `options`, runs
 * SELECT 1 and reports its memory; then reads every table once (a full scan through the buffers) and
 * reports again.
 */
const BARE_PGLITE = `
const { PGlite } = require('@electric-sql/pglite');
const { readFileSync } = require('node:fs');
const rss = () => Number(/^VmRSS:\\s+(\\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
(async () => {
  const options = JSON.parse(process.env.BENCH_PGLITE_OPTIONS);
  if (options.extraStartParams) options.startParams = [...PGlite.defaultStartParams, ...options.extraStartParams];
  delete options.extraStartParams;
  const db = new PGlite(process.env.BENCH_PGLITE_DIR, options);
  await db.waitReady;
  await db.query('SELECT 1');
  await new Promise((r) => setTimeout(r, 1000));
  const opened = rss();
  const settings = (await db.query("SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'temp_buffers', 'maintenance_work_mem', 'wal_buffers', 'fsync', 'synchronous_commit')")).rows;
  const tables = (await db.query("SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")).rows;
  for (const t of tables) await db.query('SELECT * FROM "' + t.schemaname + '"."' + t.tablename + '"');
  await new Promise((r) => setTimeout(r, 1000));
  const scanned = rss();
  // Throughput: single-row commits (each its own transaction, as the store's appends are), then full scans.
  await db.query('CREATE TABLE bench_scratch (id serial PRIMARY KEY, payload jsonb NOT NULL)');
  const payload = JSON.stringify({ text: 'x'.repeat(1000) });
  let t = performance.now();
  for (let i = 0; i < 1000; i++) await db.query('INSERT INTO bench_scratch (payload) VALUES ($1)', [payload]);
  const commitsPerSecond = 1000 / ((performance.now() - t) / 1000);
  const largest = tables[0] ? (await db.query("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY pg_relation_size(oid) DESC LIMIT 1")).rows[0].relname : 'bench_scratch';
  t = performance.now();
  for (let i = 0; i < 20; i++) await db.query('SELECT * FROM "' + largest + '"');
  const scanMs = (performance.now() - t) / 20;
  const worked = rss();
  await db.close();
  process.stdout.write(JSON.stringify({ opened, scanned, worked, commitsPerSecond, largest, scanMs, tables: tables.length, settings }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

async function bareNode(label: string, execArgs: string[], code: string): Promise<void> {
  const output = await run(process.execPath, [...execArgs, '-e', code], {});
  console.log(`${label}: RSS ${mb(Number(output))} MB`);
}

async function barePglite(label: string, source: string, options: Record<string, unknown>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pglite-copy-'));
  try {
    cpSync(source, dir, { recursive: true });
    const started = Date.now();
    let output: string;
    try {
      output = await run(process.execPath, ['-e', BARE_PGLITE], { BENCH_PGLITE_DIR: dir, BENCH_PGLITE_OPTIONS: JSON.stringify(options) });
    } catch (error) {
      // An option PGlite refuses is a finding, not the end of the run.
      const message = error instanceof Error ? error.message : String(error);
      console.log(`bare PGlite, ${label}: refused: ${/\w*Error[^\n]*/.exec(message)?.[0] ?? message.split('\n').pop()}`);
      return;
    }
    const result = JSON.parse(output) as {
      opened: number;
      scanned: number;
      worked: number;
      commitsPerSecond: number;
      largest: string;
      scanMs: number;
      tables: number;
      settings: Array<{ name: string; setting: string; unit: string | null }>;
    };
    const settings = result.settings.map((s) => `${s.name}=${s.setting}${s.unit ? ` × ${s.unit}` : ''}`).join(', ');
    console.log(
      `bare PGlite, ${label}: after SELECT 1 ${mb(result.opened)} MB; after reading its ${result.tables} tables ${mb(result.scanned)} MB; ` +
        `after 1000 commits ${mb(result.worked)} MB; ${result.commitsPerSecond.toFixed(0)} commits/s; ` +
        `full scan of ${result.largest} ${result.scanMs.toFixed(1)} ms (${Date.now() - started} ms in all) [${settings}]`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [load1, load5] = loadavg();
  console.log(
    `machine: ${cpus().length} CPU (${cpus()[0]?.model}), ${(totalmem() / 1024 ** 3).toFixed(1)} GB; load ${load1.toFixed(2)} ${load5.toFixed(2)}; node ${process.version}`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-pglite-memory-'));
  try {
    await measureApi('API on PGlite (ts-node), fresh data directory', { EVENT_STORE: 'pglite', DATA_DIR: dataDir });
    // Restarted on the same directory: no initdb this time (a fresh directory runs it in the process).
    await measureApi('API on PGlite (ts-node), restarted on that directory', { EVENT_STORE: 'pglite', DATA_DIR: dataDir });
    // The API opens PGlite without startParams, so it gets PGlite.defaultStartParams: a preload that
    // appends to them tries a setting on the real API without changing its code.
    const preload = join(tmpdir(), `bench-pglite-memory-preload-${process.pid}.js`);
    writeFileSync(
      preload,
      `require(${JSON.stringify(require.resolve('@electric-sql/pglite'))}).PGlite.defaultStartParams.push('-c', 'shared_buffers=16MB');\n`,
    );
    try {
      const withPreload = { EVENT_STORE: 'pglite', NODE_OPTIONS: `--require ${preload}` };
      await measureApi('API on PGlite (ts-node), shared_buffers=16MB, restarted on that directory', { ...withPreload, DATA_DIR: dataDir });
      const fresh = mkdtempSync(join(tmpdir(), 'bench-pglite-memory-'));
      try {
        await measureApi('API on PGlite (ts-node), shared_buffers=16MB, fresh data directory', { ...withPreload, DATA_DIR: fresh });
      } finally {
        rmSync(fresh, { recursive: true, force: true });
      }
    } finally {
      rmSync(preload, { force: true });
    }

    const idle = 'setTimeout(() => process.stdout.write(String(process.memoryUsage().rss)), 1000)';
    await bareNode('bare node', [], idle);
    await bareNode('bare node with ts-node registered', ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'], idle);

    const MiB = 1024 * 1024;
    const variants: Array<[string, Record<string, unknown>]> = [
      ['defaults (initialMemory 128 MiB)', {}],
      ['initialMemory 32 MiB', { initialMemory: 32 * MiB }],
      ['initialMemory 64 MiB', { initialMemory: 64 * MiB }],
      ['initialMemory 256 MiB', { initialMemory: 256 * MiB }],
      ['shared_buffers 16MB', { extraStartParams: ['-c', 'shared_buffers=16MB'] }],
      [
        'shared_buffers 8MB, work_mem 1MB, temp_buffers 1MB',
        { extraStartParams: ['-c', 'shared_buffers=8MB', '-c', 'work_mem=1MB', '-c', 'temp_buffers=1MB'] },
      ],
      [
        'initialMemory 32 MiB + shared_buffers 8MB, work_mem 1MB',
        { initialMemory: 32 * MiB, extraStartParams: ['-c', 'shared_buffers=8MB', '-c', 'work_mem=1MB'] },
      ],
    ];
    for (const [label, options] of variants) await barePglite(label, dataDir, options);

    if (process.env.BENCH_PGLITE_MEMORY_POSTGRES !== 'off') {
      // The API has no schema setting: a database of its own keeps the shared `test` database untouched.
      const database = `bench_pglite_memory_${process.pid}`;
      const admin = new Client({ connectionString: DATABASE_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      try {
        const url = new URL(DATABASE_URL);
        url.pathname = `/${database}`;
        await measureApi('API on PostgreSQL (ts-node)', { EVENT_STORE: 'postgres', DATABASE_URL: url.toString() });
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await admin.end();
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
