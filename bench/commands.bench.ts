/**
 * `npm run bench:commands`: the command path over HTTP on PostgreSQL. The API runs in a child process
 * (the real application, as main.ts builds it, in a schema of its own); the clients run here, on
 * keep-alive sockets (bench/lib/http-load.ts). Per round, in this order:
 * - `GET /api/health` from 32 connections as fast as they get answers: the same server's ceiling;
 * - a command mix from 32 connections as fast as they get answers: a signature (new commune, with an
 *   annex), an annex added, an offer change, a population recorded, in turn;
 * - the same mix paced at 200 commands/s: p50/p99 from the instant each command was due;
 * - read-your-writes at 200 commands/s: from a command's answer to the commune's entitlement showing it.
 * Three rounds: min / median / max of each. A benchmark, not a test: nothing fails on slow figures.
 *
 * BENCH_COMMANDS_PROFILE=1 instead runs the API on a throwaway cluster with pg_stat_statements and under
 * `--cpu-prof` (the profile lands in BENCH_COMMANDS_CPU_PROF_DIR, default a temporary directory), and
 * prints per command kind the statements and database time per command, and the top statements.
 *
 * BENCH_COMMANDS_DATABASE=throwaway runs it on a throwaway cluster (fsync on, shared_buffers 16 MB).
 *
 * Environment: DATABASE_URL, BENCH_COMMANDS_ROUNDS (3), BENCH_COMMANDS_DURATION_MS (5000 per phase),
 * BENCH_COMMANDS_CONNECTIONS (32), BENCH_COMMANDS_RATE (200).
 */
import { ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { HttpRequest, LoadFigures, paced, readYourWritesLag, sustained } from './lib/http-load';

const SECRET = 'bench-commands-secret-bench-commands!';
const ROUNDS = Number(process.env.BENCH_COMMANDS_ROUNDS ?? 3);
const DURATION_MS = Number(process.env.BENCH_COMMANDS_DURATION_MS ?? 5000);
const CONNECTIONS = Number(process.env.BENCH_COMMANDS_CONNECTIONS ?? 32);
const RATE = Number(process.env.BENCH_COMMANDS_RATE ?? 200);
const PROFILE = process.env.BENCH_COMMANDS_PROFILE === '1';
/** A cluster of the run's own (test/support/throwaway-postgres.ts): no other client's transactions hold its horizon back. */
const THROWAWAY = process.env.BENCH_COMMANDS_DATABASE === 'throwaway';
const RUN = randomBytes(4).toString('hex');

// ---------------------------------------------------------------- the API, in the child process

async function serve(): Promise<void> {
  const { createApp } = await import('../apps/api/src/bootstrap');
  const { loadConfig } = await import('../apps/api/src/config/app-config');
  const databaseUrl = process.env.BENCH_DATABASE_URL!;
  const schema = process.env.BENCH_SCHEMA!;
  const config = loadConfig({
    COMMUNE_CHECK: 'synthetic', // made-up communes by the thousand (docs/communes.md)
    JWT_SECRET: SECRET,
    LIFECYCLE_SCHEDULE: 'off',
    LOG_LEVEL: 'warn',
    EVENT_STORE: 'postgres',
    DATABASE_URL: databaseUrl,
  });
  const app = await createApp(config, { kind: 'postgres', databaseUrl, schema });
  await app.listen(0, '127.0.0.1');
  // The benchmark ended without asking (it failed): do not outlive it.
  process.on('disconnect', () => process.exit(1));
  process.on('message', (message: string) => {
    if (message !== 'stop') return;
    // process.exit() would skip writing the --cpu-prof profile: close, then let the loop end.
    void app.close().then(() => {
      process.removeAllListeners('disconnect');
      process.disconnect();
    });
  });
  process.send!({ port: (app.getHttpServer().address() as { port: number }).port });
}

function startServer(databaseUrl: string, schema: string, cpuProfDir?: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(__filename, ['--serve'], {
    execArgv: [
      ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []),
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
    ],
    env: { ...process.env, BENCH_DATABASE_URL: databaseUrl, BENCH_SCHEMA: schema },
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the API exited with code ${code}`)));
    child.once('message', (message: { port: number }) => resolve({ child, port: message.port }));
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  child.removeAllListeners('exit');
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.send('stop');
  });
}

// ---------------------------------------------------------------- the commands

type Kind = 'sign' | 'annex' | 'offer-change' | 'population';
const KINDS: Kind[] = ['sign', 'annex', 'offer-change', 'population'];

/** The run's communes: 10000, 10001… (readYourWritesLag signs for codes of the 90000s, which the run does not reach). */
function insee(n: number): string {
  return String(10000 + (n % 90000));
}

const day = (from: [number, number, number], k: number) => new Date(Date.UTC(from[0], from[1] - 1, from[2] + k)).toISOString().slice(0, 10);

/** Hands out commands that each succeed: a commune is never in two commands at once (pool ≫ connections). */
class CommandMix {
  private nextFresh = 0;
  private nextAnnex = 0;
  private turn = 0;
  private keys = 0;
  private readonly changes = new Map<string, number>();
  readonly signed: string[] = [];
  private readonly headers: Record<string, string>;

  constructor(token: string) {
    this.headers = { Authorization: `Bearer ${token}` };
  }

  sign(): HttpRequest {
    const code = insee(this.nextFresh++);
    this.signed.push(code);
    return {
      method: 'POST',
      path: '/api/conventions',
      headers: this.headers,
      body: {
        communeInsee: code,
        communeName: `Commune ${code}`,
        signedOn: '2026-01-10',
        effectiveFrom: '2026-02-01',
        annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-02-01' }],
      },
    };
  }

  /** A commune signed well before (its answer is in): the pool's first half, round-robin. */
  private pooled(): string {
    const settled = Math.max(1, this.signed.length - 4 * CONNECTIONS);
    return this.signed[this.turn++ % settled];
  }

  of(kind: Kind): HttpRequest {
    if (kind === 'sign') return this.sign();
    if (kind === 'annex' && this.nextAnnex < this.signed.length - 4 * CONNECTIONS) {
      const insee = this.signed[this.nextAnnex++];
      return {
        method: 'POST',
        path: `/api/conventions/${insee}-1/annexes`,
        headers: this.headers,
        body: { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-04-01' },
      };
    }
    const insee = this.pooled();
    const k = this.changes.get(`${kind}/${insee}`) ?? 0;
    this.changes.set(`${kind}/${insee}`, k + 1);
    if (kind === 'population')
      return {
        method: 'POST',
        path: '/api/reference/populations',
        headers: this.headers,
        body: { communeInsee: insee, population: 1000 + k, effectiveDate: day([2000, 1, 1], k), source: 'INSEE' },
      };
    return {
      method: 'POST',
      path: `/api/conventions/${insee}-1/annexes/toodego/offer-change`,
      headers: this.headers,
      body: { offerId: k % 2 === 0 ? 'connecte' : 'partenaire', effectiveFrom: day([2026, 2, 2], k % 300) },
    };
  }

  /** With an Idempotency-Key, as the CLI's import sends them: the answer is kept for a retry. */
  mixed(): HttpRequest {
    return this.keyed(this.of(KINDS[this.turn % KINDS.length]));
  }

  keyed(request: HttpRequest): HttpRequest {
    return { ...request, headers: { ...request.headers, 'Idempotency-Key': `bench-${RUN}-${this.keys++}` } };
  }
}

// ---------------------------------------------------------------- the run

interface Round {
  health: LoadFigures;
  commands: LoadFigures;
  paced: LoadFigures;
  lag: { p50Ms: number; p99Ms: number; samples: number };
}

function spread(values: number[], digits = 0): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }).replace(/,/g, ' ');
  return `${f(sorted[0])} / ${f(sorted[Math.floor(sorted.length / 2)])} / ${f(sorted[sorted.length - 1])}`;
}

async function profile(base: string, mix: CommandMix, databaseUrl: string, schema: string): Promise<void> {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    for (const kind of KINDS) {
      await pg.query('SELECT pg_stat_statements_reset()');
      const result = await sustained(base, () => mix.keyed(mix.of(kind)), { connections: 8, durationMs: DURATION_MS });
      const commands = (result.perSecond * DURATION_MS) / 1000;
      const { rows } = await pg.query<{ query: string; calls: string; total: number }>(
        `SELECT query, calls, total_exec_time AS total FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC`,
      );
      const calls = rows.reduce((sum, row) => sum + Number(row.calls), 0);
      const total = rows.reduce((sum, row) => sum + row.total, 0);
      console.log(
        `\n${kind}: ${result.perSecond.toFixed(0)}/s (8 connections), ${(calls / commands).toFixed(1)} statements and ` +
          `${(total / commands).toFixed(2)} ms of database time per command (projections included), errors ${result.errors}`,
      );
      for (const row of rows.slice(0, 12))
        console.log(
          `  ${(Number(row.calls) / commands).toFixed(2).padStart(6)}/cmd ${(row.total / Number(row.calls)).toFixed(3).padStart(7)} ms  ${row.query
            .replace(/\s+/g, ' ')
            .slice(0, 110)}`,
        );
    }
  } finally {
    await pg.end();
  }
  void schema;
}

async function main(): Promise<void> {
  const { signToken } = await import('@lib/contract');
  const admin = signToken(SECRET, { sub: 'bench-admin', role: 'admin' });
  let databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  let cluster: { destroy(): Promise<void> } | undefined;
  let cpuProfDir: string | undefined;
  if (PROFILE || THROWAWAY) {
    const { startThrowawayPostgres } = await import('../test/support/throwaway-postgres');
    const pg = await startThrowawayPostgres('bench-commands');
    if (PROFILE) {
      await pg.query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
      await pg.stop('fast');
      await pg.start();
      await pg.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      cpuProfDir = process.env.BENCH_COMMANDS_CPU_PROF_DIR ?? mkdtempSync(join(tmpdir(), 'bench-commands-prof-'));
    }
    databaseUrl = pg.url;
    cluster = pg;
  }
  const schema = `bench_commands_${randomBytes(4).toString('hex')}`;
  const { child, port } = await startServer(databaseUrl, schema, cpuProfDir);
  const base = `http://127.0.0.1:${port}`;
  const mix = new CommandMix(admin);
  try {
    // Communes to add annexes to, change offers of and record populations for.
    // Enough that a commune is never in two commands at once (pooled() skips the latest 4 × connections).
    let warmUp = await sustained(base, () => mix.sign(), { connections: CONNECTIONS, durationMs: Math.max(3000, DURATION_MS) });
    while (mix.signed.length < 8 * CONNECTIONS + 200)
      warmUp = await sustained(base, () => mix.sign(), { connections: CONNECTIONS, durationMs: 2000 });
    console.log(`warm-up: ${mix.signed.length} signatures, ${warmUp.perSecond.toFixed(0)}/s, errors ${warmUp.errors}`);
    if (PROFILE) {
      await profile(base, mix, databaseUrl, schema);
      console.log(`\nCPU profile of the API: ${cpuProfDir}`);
      return;
    }
    const rounds: Round[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const health = await sustained(base, () => ({ method: 'GET', path: '/api/health' }), {
        connections: CONNECTIONS,
        durationMs: DURATION_MS,
      });
      const commands = await sustained(base, () => mix.mixed(), { connections: CONNECTIONS, durationMs: DURATION_MS });
      const pacedRun = await paced(base, () => mix.mixed(), { ratePerSecond: RATE, durationMs: DURATION_MS });
      const lag = await readYourWritesLag(base, admin, {
        ratePerSecond: RATE,
        durationMs: DURATION_MS,
        communes: freshCommunes(round, RATE * (DURATION_MS / 1000)),
      });
      rounds.push({ health, commands, paced: pacedRun, lag });
      console.log(
        `round ${round}: health ${health.perSecond.toFixed(0)}/s; commands ${commands.perSecond.toFixed(0)}/s ` +
          `(p50 ${commands.p50Ms.toFixed(1)} ms, p99 ${commands.p99Ms.toFixed(1)} ms, errors ${commands.errors}); ` +
          `paced ${RATE}/s p50 ${pacedRun.p50Ms.toFixed(1)} ms p99 ${pacedRun.p99Ms.toFixed(1)} ms (errors ${pacedRun.errors}); ` +
          `lag p50 ${lag.p50Ms.toFixed(1)} ms p99 ${lag.p99Ms.toFixed(1)} ms (${lag.samples})`,
      );
    }
    const of = (pick: (r: Round) => number) => rounds.map(pick);
    console.log(
      `\nMachine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; Node ${process.version}`,
    );
    console.log(`${ROUNDS} rounds of ${DURATION_MS / 1000} s, ${CONNECTIONS} keep-alive connections; min / median / max\n`);
    console.log('| measure | min / median / max |');
    console.log('| --- | --- |');
    console.log(`| GET /api/health, ${CONNECTIONS} connections | ${spread(of((r) => r.health.perSecond))} /s |`);
    console.log(`| commands, ${CONNECTIONS} connections | ${spread(of((r) => r.commands.perSecond))} /s |`);
    console.log(
      `| commands ÷ health | ${spread(
        of((r) => r.commands.perSecond / r.health.perSecond),
        3,
      )} |`,
    );
    console.log(
      `| commands, ${CONNECTIONS} connections: p50 / p99 | ${spread(
        of((r) => r.commands.p50Ms),
        1,
      )} ms; ${spread(
        of((r) => r.commands.p99Ms),
        1,
      )} ms |`,
    );
    console.log(
      `| commands paced at ${RATE}/s: p50 | ${spread(
        of((r) => r.paced.p50Ms),
        1,
      )} ms |`,
    );
    console.log(
      `| commands paced at ${RATE}/s: p99 | ${spread(
        of((r) => r.paced.p99Ms),
        1,
      )} ms |`,
    );
    console.log(
      `| read-your-writes at ${RATE}/s: p50 | ${spread(
        of((r) => r.lag.p50Ms),
        1,
      )} ms |`,
    );
    console.log(
      `| read-your-writes at ${RATE}/s: p99 | ${spread(
        of((r) => r.lag.p99Ms),
        1,
      )} ms |`,
    );
    console.log(`| errors (commands, paced) | ${of((r) => r.commands.errors).join(', ')}; ${of((r) => r.paced.errors).join(', ')} |`);
  } finally {
    await stopServer(child);
    if (cluster) await cluster.destroy();
    else {
      const pg = new Client({ connectionString: databaseUrl });
      await pg.connect();
      await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => pg.end());
    }
  }
}

if (process.argv.includes('--serve')) void serve();
else
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });

/** Codes the command mix never reaches (it counts up from 10000), distinct for each round: one signature each. */
function freshCommunes(round: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(90000 + ((round * count + i) % 10000)));
}
