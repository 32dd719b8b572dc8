/**
 * `npm run bench:multi-process`: API processes on one PostgreSQL (docs/deployment.md), a cluster of the
 * bench's own (test/support/throwaway-postgres.ts: the store's horizon is server-wide, so nobody else's
 * long transaction stalls it).
 * 1. Read-your-writes, leader vs follower, in the same run: a command to one process, then at once a read
 *    with its position as `minPosition` — on the leader (its runner's own positions) and on a follower (the
 *    leader's checkpoints, read on its NOTIFY). Paced, alternating, BENCH_MP_COMMANDS commands (200).
 * 2. Takeover: BENCH_MP_ROUNDS times (3), the leader killed -9 and the time until another says it leads;
 *    the killed one is started again, as a follower.
 * A benchmark, not a test: figures for docs/benchmarks.md.
 */
import { parsePosition } from '@lib/event-store/event-store.port';
import { ApiProcess, spawnApi } from '../test/support/api-process';
import { startThrowawayPostgres } from '../test/support/throwaway-postgres';

const PROCESSES = Number(process.env.BENCH_MP_PROCESSES ?? 3);
const COMMANDS = Number(process.env.BENCH_MP_COMMANDS ?? 200);
const ROUNDS = Number(process.env.BENCH_MP_ROUNDS ?? 3);
const PACE_MS = 25;
const LEADS = 'This process leads the projections';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const summary = (values: number[]) =>
  `p50 ${quantile(values, 0.5).toFixed(1)} ms, p99 ${quantile(values, 0.99).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`;

async function role(api: ApiProcess): Promise<string | undefined> {
  const response = await fetch(`${api.url}/api/health/ready`).catch(() => undefined);
  return response ? ((await response.json()) as { role?: string }).role : undefined;
}

async function main(): Promise<void> {
  const pg = await startThrowawayPostgres('bench-mp');
  const env = {
    EVENT_STORE: 'postgres',
    DATABASE_URL: pg.url,
    DATABASE_SCHEMA: 'bench_mp',
    LOG_LEVEL: 'log',
    COMMUNE_CHECK: 'synthetic', // made-up communes by the thousand (docs/communes.md)
  };
  const apis: ApiProcess[] = [];
  try {
    apis.push(await spawnApi(env));
    await apis[0].waitHealthy(120_000);
    apis.push(...(await Promise.all(Array.from({ length: PROCESSES - 1 }, () => spawnApi(env)))));
    await Promise.all(apis.map((api) => api.waitHealthy(120_000)));
    const admin = apis[0].token('admin');
    const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };

    // 1. Read-your-writes.
    const roles = await Promise.all(apis.map(role));
    const leader = apis[roles.indexOf('leader')];
    const follower = apis.find((api) => api !== leader)!;
    const lag: Record<'leader' | 'follower', number[]> = { leader: [], follower: [] };
    for (let i = 0; i < COMMANDS; i++) {
      const insee = `6${String(10_000 + i).slice(1)}`;
      const writer = apis[i % apis.length];
      const response = await fetch(`${writer.url}/api/reference/populations`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': `bench-mp-${i}` },
        body: JSON.stringify({ communeInsee: insee, population: 1000 + i, effectiveDate: '2025-01-01', source: 'bench' }),
      });
      if (response.status !== 201) throw new Error(`command ${i}: ${response.status} ${await response.text()}`);
      const position = parsePosition(((await response.json()) as { position: string }).position)!;
      const reader = i % 2 === 0 ? 'leader' : 'follower';
      const target = reader === 'leader' ? leader : follower;
      const started = performance.now();
      const read = await fetch(`${target.url}/api/communes/${insee}/entitlements?minPosition=${position.commit}-${position.prepare}`, {
        headers,
      });
      await read.text();
      if (read.status !== 200) throw new Error(`read ${i} on the ${reader}: ${read.status}`);
      lag[reader].push(performance.now() - started);
      await sleep(PACE_MS);
    }

    // 2. Takeover after kill -9.
    const takeovers: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const current = apis[(await Promise.all(apis.map(role))).indexOf('leader')];
      const others = apis.filter((api) => api !== current);
      const logged = others.map((api) => api.output().split(LEADS).length);
      const killedAt = performance.now();
      await current.kill('SIGKILL');
      while (!others.some((api, i) => api.output().split(LEADS).length > logged[i])) await sleep(10);
      takeovers.push(performance.now() - killedAt);
      const restarted = await spawnApi(env);
      await restarted.waitHealthy(120_000);
      apis[apis.indexOf(current)] = restarted;
      while ((await Promise.all(apis.map(role))).filter((r) => r === 'leader').length !== 1) await sleep(100);
    }

    const rows = [
      `| read with minPosition right after the command, on the leader (${lag.leader.length}) | ${summary(lag.leader)} |`,
      `| the same on a follower (${lag.follower.length}) | ${summary(lag.follower)} |`,
      `| kill -9 of the leader → another leads (${ROUNDS} rounds) | min ${Math.min(...takeovers).toFixed(0)} ms, median ${quantile(takeovers, 0.5).toFixed(0)} ms, max ${Math.max(...takeovers).toFixed(0)} ms |`,
    ];
    process.stdout.write(
      `\n${PROCESSES} API processes on one PostgreSQL, ${COMMANDS} commands paced ${PACE_MS} ms apart\n\n| measure | figure |\n| --- | --- |\n${rows.join('\n')}\n`,
    );
  } finally {
    await Promise.all(apis.map((api) => api.kill('SIGKILL')));
    await pg.destroy();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
