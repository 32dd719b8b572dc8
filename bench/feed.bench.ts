/**
 * `npm run bench:feed`: fifty concurrent SSE consumers of GET /api/feed/stream while commands arrive
 * (the feed's memory under load). The API runs in a child process (the real application, as main.ts builds it), so that its
 * memory is its own: it reports RSS, heap and the bytes its feed streams hold unsent, every 100 ms.
 * The consumers run here, on real sockets: the example consumer (examples/feed-consumer.ts) for most.
 *
 * Per variant, on a fresh database: a backlog of conventions signed first; then the consumers connect
 * from the beginning and read it; then a burst of commands arrives as fast as 8 writers get answers (4 sign, add an
 * annex, change an offer; 4 change the offer of a few communes every day: their events grow large, each
 * carrying the access's whole offer history); once every consumer has caught up, a paced phase (10
 * signatures a second) measures how soon an event reaches consumers at the head. Then each consumer must
 * hold every event of the feed, once, in order — PASS or FAIL.
 * - `none`: no consumer, the same commands: the API's memory without streams;
 * - `normal`: 50 example consumers;
 * - `slow`: 40 of them, 5 that handle each event slowly (1 ms asleep per event), and 5 that stop reading
 *   altogether for the whole burst: the server must not buffer what they do not read.
 * A benchmark, not a test: figures for docs/benchmarks.md ("Feed: 50 SSE consumers"); the exit code is
 * non-zero on FAIL.
 *
 * Environment: BENCH_FEED_STORE (pglite, the default, in a temporary data directory; or postgres at
 * DATABASE_URL, in a schema of its own, dropped afterwards), BENCH_FEED_CONSUMERS (50),
 * BENCH_FEED_BACKLOG (commands before the consumers connect, 1000), BENCH_FEED_LIVE (communes signed
 * while they follow, 3 commands each, 200), BENCH_FEED_CHURN_COMMUNES (4) × BENCH_FEED_CHURN (daily offer
 * changes, 300), BENCH_FEED_PACED (100) at BENCH_FEED_PACED_RATE (10 a second), BENCH_FEED_VARIANTS
 * (none,normal,slow).
 */
import { ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { FeedConsumer, FeedEvent, StateStore } from '../examples/feed-consumer';

const SECRET = 'bench-feed-secret-bench-feed-secret!';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const STORE = process.env.BENCH_FEED_STORE ?? 'pglite';
const CONSUMERS = Number(process.env.BENCH_FEED_CONSUMERS ?? 50);
const BACKLOG = Number(process.env.BENCH_FEED_BACKLOG ?? 1000);
const LIVE = Number(process.env.BENCH_FEED_LIVE ?? 200);
const CHURN_COMMUNES = Number(process.env.BENCH_FEED_CHURN_COMMUNES ?? 4);
const CHURN = Number(process.env.BENCH_FEED_CHURN ?? 300);
type Variant = 'none' | 'normal' | 'slow';
const VARIANTS = (process.env.BENCH_FEED_VARIANTS ?? 'none,normal,slow').split(',') as Variant[];
const WRITERS = 4;
const PACED = Number(process.env.BENCH_FEED_PACED ?? 100);
const PACED_RATE = Number(process.env.BENCH_FEED_PACED_RATE ?? 10);

// ---------------------------------------------------------------- the API, in the child process

interface Sample {
  t: number;
  rss: number;
  heapUsed: number;
  buffered: number;
  streams: number;
}

type ToParent = { kind: 'ready'; port: number } | ({ kind: 'sample' } & Sample) | { kind: 'gc-done' } | { kind: 'stopped' };
type ToChild = { kind: 'gc' } | { kind: 'stop' };

async function serve(): Promise<void> {
  // Loaded here only: the parent does not need the application in its memory.
  const { createApp } = await import('../apps/api/src/bootstrap');
  const { loadConfig } = await import('../apps/api/src/config/app-config');
  const { FeedService } = await import('../apps/api/src/feed/feed.service');
  const send = (message: ToParent) => process.send!(message);
  const schema = `bench_feed_${randomBytes(4).toString('hex')}`;
  const dataDir = STORE === 'pglite' ? mkdtempSync(join(tmpdir(), 'bench-feed-')) : undefined;
  const config = loadConfig({
    COMMUNE_CHECK: 'synthetic', // made-up communes by the thousand (docs/communes.md)
    JWT_SECRET: SECRET,
    LIFECYCLE_SCHEDULE: 'off',
    LOG_LEVEL: 'warn',
    EVENT_STORE: STORE,
    DATABASE_URL,
    DATA_DIR: dataDir,
  });
  const app = await createApp(
    config,
    STORE === 'postgres' ? { kind: 'postgres', databaseUrl: DATABASE_URL, schema } : { kind: 'pglite', dataDir },
  );
  await app.listen(0, '127.0.0.1');
  const feed = app.get(FeedService);
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage();
    send({ kind: 'sample', t: Date.now(), rss, heapUsed, buffered: feed.bufferedBytes, streams: feed.openStreams });
  };
  const sampler = setInterval(sample, 100);
  const onMessage = async (message: ToChild): Promise<void> => {
    if (message.kind === 'gc') {
      (globalThis as { gc?: () => void }).gc?.();
      sample();
      send({ kind: 'gc-done' });
    } else if (message.kind === 'stop') {
      clearInterval(sampler);
      await app.close();
      if (STORE === 'postgres') {
        const { Pool } = await import('pg');
        const pool = new Pool({ connectionString: DATABASE_URL, max: 1 });
        await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => pool.end());
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      send({ kind: 'stopped' });
      process.exit(0);
    }
  };
  process.on('message', (message: ToChild) => void onMessage(message));
  send({ kind: 'ready', port: (app.getHttpServer().address() as { port: number }).port });
}

class Server {
  readonly samples: Sample[] = [];
  private readonly waiting = new Map<string, () => void>();
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (message: ToParent) => {
      if (message.kind === 'sample') this.samples.push(message);
      this.waiting.get(message.kind)?.();
    });
  }

  static start(): Promise<Server> {
    const child = fork(__filename, ['--serve'], {
      execArgv: ['--expose-gc', '-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the API exited with code ${code}`)));
      child.on('message', function ready(message: ToParent) {
        if (message.kind !== 'ready') return;
        child.off('message', ready);
        resolve(new Server(child, message.port));
      });
    });
  }

  private ask(message: ToChild, answer: ToParent['kind']): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.set(answer, () => {
        this.waiting.delete(answer);
        resolve();
      });
      this.child.send(message);
    });
  }

  /** A sample taken right after a full garbage collection in the API. */
  async settled(): Promise<Sample> {
    await this.ask({ kind: 'gc' }, 'gc-done');
    return this.samples.at(-1)!;
  }

  stop(): Promise<void> {
    this.child.removeAllListeners('exit');
    return this.ask({ kind: 'stop' }, 'stopped');
  }
}

// ---------------------------------------------------------------- the clients, in this process

async function token(role: 'admin' | 'consumer'): Promise<string> {
  const { signToken } = await import('@lib/contract');
  return signToken(SECRET, { sub: `bench-${role}`, role });
}

async function post(base: string, admin: string, path: string, body: object): Promise<string> {
  const response = await fetch(base + path, {
    method: 'POST',
    headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { position?: string };
  if (response.status >= 300) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer.position ?? '0';
}

/** `communes` new communes, from WRITERS concurrent writers; each commune's commands from `script`. Returns the last position. */
async function commands(
  base: string,
  admin: string,
  first: number,
  communes: number,
  script: (insee: string) => Array<[string, object]>,
): Promise<{ position: string; count: number }> {
  let position = '0';
  let count = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      for (let i = writer; i < communes; i += WRITERS) {
        for (const [path, body] of script(String(10000 + first + i))) {
          const at = await post(base, admin, path, body);
          count += 1;
          if (comparePositionText(at, position) > 0) position = at;
        }
      }
    }),
  );
  return { position, count };
}

/** Store positions (`commit-prepare`) in order: only to keep the latest for minPosition. */
function comparePositionText(a: string, b: string): number {
  const [ac, ap] = a.split('-').map(Number);
  const [bc, bp] = b.split('-').map(Number);
  return ac !== bc ? ac - bc : (ap ?? 0) - (bp ?? 0);
}

const backlogScript = (insee: string): Array<[string, object]> => [
  [
    '/api/conventions',
    {
      communeInsee: insee,
      communeName: `Commune ${insee}`,
      signedOn: '2026-01-10',
      effectiveFrom: '2026-02-01',
      annexes: [
        { serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-02-01' },
        { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-02-01' },
      ],
    },
  ],
];

const liveScript = (insee: string): Array<[string, object]> => [
  [
    '/api/conventions',
    {
      communeInsee: insee,
      communeName: `Commune ${insee}`,
      signedOn: '2026-01-10',
      effectiveFrom: '2026-02-01',
      annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-02-01' }],
    },
  ],
  [`/api/conventions/${insee}-1/annexes`, { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-04-01' }],
  [`/api/conventions/${insee}-1/annexes/toodego/offer-change`, { offerId: 'connecte', effectiveFrom: '2026-07-01' }],
];

/**
 * A commune whose toodego offer changes every day: each EntitlementChanged carries the access's whole
 * offer history (event-carried state), so its events grow to tens of KB — megabytes a reader can fall behind on.
 */
const churnScript = (insee: string): Array<[string, object]> => [
  [
    '/api/conventions',
    {
      communeInsee: insee,
      communeName: `Commune ${insee}`,
      signedOn: '2026-01-10',
      effectiveFrom: '2026-02-01',
      annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-02-01' }],
    },
  ],
  ...Array.from({ length: CHURN }, (_, k): [string, object] => {
    const day = new Date(Date.UTC(2026, 1, 2 + k)).toISOString().slice(0, 10);
    return [
      `/api/conventions/${insee}-1/annexes/toodego/offer-change`,
      { offerId: k % 2 === 0 ? 'connecte' : 'partenaire', effectiveFrom: day },
    ];
  }),
];

/** Every position of the feed, in order, once it has caught up with `minPosition`. */
async function feedPositions(base: string, reader: string, minPosition: string): Promise<{ positions: string[]; bytes: number }> {
  const positions: string[] = [];
  let bytes = 0;
  let after = '0';
  for (let first = true; ; first = false) {
    const url = `${base}/api/feed?after=${after}&limit=1000${first ? `&minPosition=${minPosition}` : ''}`;
    const response = await fetch(url, { headers: { Authorization: `Bearer ${reader}` } });
    const page = (await response.json()) as { items: FeedEvent[]; next: string };
    for (const item of page.items) {
      positions.push(item.position);
      bytes += JSON.stringify(item).length;
    }
    if (page.items.length < 1000) return { positions, bytes };
    after = page.next;
  }
}

interface Follower {
  kind: 'example' | 'slow' | 'stalled';
  positions: string[];
  close(): void;
}

/** A consumer that stops reading its socket (paused) until resumed: the worst reader the server can have. */
function stalledConsumer(base: string, consumer: string): Follower & { pause(): void; resume(): void; bytes: number } {
  let response: IncomingMessage | undefined;
  let paused = false;
  let text = '';
  const follower = {
    kind: 'stalled' as const,
    positions: [] as string[],
    bytes: 0,
    close: () => request.destroy(),
    pause: () => {
      paused = true;
      response?.pause();
    },
    resume: () => {
      paused = false;
      response?.resume();
    },
  };
  const request = httpRequest(
    `${base}/api/feed/stream`,
    { headers: { Authorization: `Bearer ${consumer}`, Accept: 'text/event-stream' } },
    (res) => {
      response = res;
      if (paused) res.pause(); // asked to stop reading before the answer came
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        follower.bytes += chunk.length;
        text += chunk;
        let end: number;
        while ((end = text.indexOf('\n\n')) !== -1) {
          const id = /^id: (.*)$/m.exec(text.slice(0, end))?.[1];
          if (id !== undefined) follower.positions.push(id);
          text = text.slice(end + 2);
        }
      });
    },
  );
  request.on('error', () => undefined);
  request.end();
  return follower;
}

/** Latencies (recorded → handled) of the events recorded in each phase, by the example consumers that are not slowed. */
interface Phases {
  burst: { from: number; to: number; latencies: number[] };
  paced: { from: number; latencies: number[] };
}

function exampleConsumer(base: string, consumer: string, slow: boolean, phases: Phases): Follower {
  const abort = new AbortController();
  const follower: Follower = { kind: slow ? 'slow' : 'example', positions: [], close: () => abort.abort() };
  // The model is kept in memory; saving it whole at every event would measure JSON.stringify, not the feed.
  const store: StateStore = { load: async () => undefined, save: async () => undefined };
  const client = new FeedConsumer({
    baseUrl: base,
    token: consumer,
    store,
    idleTimeoutMs: 120_000,
    onEvent: async (event) => {
      follower.positions.push(event.position);
      const occurred = Date.parse(event.occurredAt);
      if (!slow && phases.paced.from > 0 && occurred >= phases.paced.from) phases.paced.latencies.push(Date.now() - occurred);
      else if (!slow && phases.burst.from > 0 && occurred >= phases.burst.from && occurred <= phases.burst.to)
        phases.burst.latencies.push(Date.now() - occurred);
      if (slow) await new Promise((resolve) => setTimeout(resolve, 1));
    },
  });
  void client
    .run(abort.signal)
    .catch((error) => console.error(`consumer failed: ${error instanceof Error ? error.message : String(error)}`));
  return follower;
}

interface Latency {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

interface Figures {
  variant: string;
  pass: boolean;
  failures: string[];
  backlogEvents: number;
  /** Commands of the backlog, up to the feed having projected them all. */
  backlogSeconds: number;
  feedEvents: number;
  feedBytes: number;
  liveCommands: number;
  liveSeconds: number;
  /** From the consumers' connection to the last reading one holding the backlog, and the deliveries it took. */
  backlogReadSeconds: number;
  backlogDeliveries: number;
  /** From the burst's last command to the last reading consumer holding its last event. */
  readingCaughtUpSeconds: number;
  /** Then, once resumed, until the stalled ones hold it too. */
  stalledCaughtUpSeconds: number;
  deliveries: number;
  burstLatency: Latency;
  pacedCommands: number;
  pacedLatency: Latency;
  memory: { start: Sample; peakRss: number; peakHeap: number; peakBuffered: number; end: Sample };
  stalledBehindBytes?: number;
}

async function runVariant(variant: Variant): Promise<Figures> {
  const server = await Server.start();
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const [admin, consumer] = [await token('admin'), await token('consumer')];
    const backlogStarted = Date.now();
    const backlog = await commands(base, admin, 0, BACKLOG, backlogScript);
    const backlogFeed = await feedPositions(base, admin, backlog.position);
    const backlogSeconds = (Date.now() - backlogStarted) / 1000;
    const start = await server.settled();

    const phases: Phases = { burst: { from: 0, to: Infinity, latencies: [] }, paced: { from: 0, latencies: [] } };
    const followers: Follower[] = [];
    const stalled: ReturnType<typeof stalledConsumer>[] = [];
    const connectedAt = Date.now();
    for (let i = 0; i < (variant === 'none' ? 0 : CONSUMERS); i++) {
      if (variant === 'slow' && i < 5) {
        const follower = stalledConsumer(base, consumer);
        stalled.push(follower);
        followers.push(follower);
      } else followers.push(exampleConsumer(base, consumer, variant === 'slow' && i < 10, phases));
    }
    // The stalled ones stop reading at once, until the burst is over.
    for (const follower of stalled) follower.pause();
    // The others read the backlog (the stalled ones fall behind by all of it).
    const reading = followers.filter((follower) => follower.kind !== 'stalled');
    const backlogReadAt = await allReach(reading, backlogFeed.positions.at(-1));
    const backlogDeliveries = reading.reduce((sum, follower) => sum + follower.positions.length, 0);

    // The burst: commands as fast as 8 writers get answers.
    phases.burst.from = Date.now();
    const [regular, churn] = await Promise.all([
      commands(base, admin, BACKLOG, LIVE, liveScript),
      commands(base, admin, BACKLOG + LIVE, CHURN_COMMUNES, churnScript),
    ]);
    phases.burst.to = Date.now();
    const live = {
      position: comparePositionText(regular.position, churn.position) > 0 ? regular.position : churn.position,
      count: regular.count + churn.count,
    };
    const liveSeconds = (phases.burst.to - phases.burst.from) / 1000;
    const afterBurst = await feedPositions(base, admin, live.position);
    const stalledBehindBytes = stalled.length > 0 ? afterBurst.bytes - Math.max(...stalled.map((follower) => follower.bytes)) : undefined;
    const readingCaughtUpAt = await allReach(reading, afterBurst.positions.at(-1));
    for (const follower of stalled) follower.resume();
    const caughtUpAt = await allReach(followers, afterBurst.positions.at(-1));

    // Paced: one signature every 1000/PACED_RATE ms, every consumer at the head: how soon does each event arrive?
    phases.paced.from = Date.now();
    let pacedPosition = live.position;
    for (let i = 0; i < PACED; i++) {
      const started = Date.now();
      const insee = String(10000 + BACKLOG + LIVE + CHURN_COMMUNES + i);
      pacedPosition = await post(base, admin, '/api/conventions', liveScript(insee)[0][1]);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 / PACED_RATE - (Date.now() - started))));
    }
    const feed = await feedPositions(base, admin, pacedPosition);
    await allReach(followers, feed.positions.at(-1));
    const end = await server.settled();

    const failures: string[] = [];
    const expected = feed.positions.join(',');
    followers.forEach((follower, i) => {
      if (follower.positions.join(',') !== expected) {
        const duplicates = follower.positions.length - new Set(follower.positions).size;
        failures.push(
          `consumer ${i} (${follower.kind}): ${follower.positions.length} of ${feed.positions.length} events, ${duplicates} duplicates, in order: ${isSubsequence(follower.positions, feed.positions)}`,
        );
      }
    });
    for (const follower of followers) follower.close();

    const during = server.samples.filter((sample) => sample.t >= connectedAt);
    return {
      variant,
      pass: failures.length === 0,
      failures,
      backlogEvents: backlogFeed.positions.length,
      backlogSeconds,
      feedEvents: feed.positions.length,
      feedBytes: feed.bytes,
      liveCommands: live.count,
      liveSeconds,
      backlogReadSeconds: (backlogReadAt - connectedAt) / 1000,
      backlogDeliveries,
      readingCaughtUpSeconds: (readingCaughtUpAt - phases.burst.to) / 1000,
      stalledCaughtUpSeconds: (caughtUpAt - readingCaughtUpAt) / 1000,
      deliveries: followers.reduce((sum, follower) => sum + follower.positions.length, 0),
      burstLatency: latencyOf(phases.burst.latencies),
      pacedCommands: PACED,
      pacedLatency: latencyOf(phases.paced.latencies),
      memory: {
        start,
        peakRss: Math.max(...during.map((sample) => sample.rss)),
        peakHeap: Math.max(...during.map((sample) => sample.heapUsed)),
        peakBuffered: Math.max(...during.map((sample) => sample.buffered)),
        end,
      },
      ...(stalledBehindBytes !== undefined ? { stalledBehindBytes } : {}),
    };
  } finally {
    await server.stop();
  }
}

/** Resolves when every follower holds `position` (or after 5 minutes), with the time the last one got there. */
async function allReach(followers: readonly Follower[], position: string | undefined): Promise<number> {
  const reached = new Map<Follower, number>();
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    for (const follower of followers)
      if (!reached.has(follower) && follower.positions.at(-1) === position) reached.set(follower, Date.now());
    if (reached.size === followers.length) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return reached.size === 0 ? Date.now() : Math.max(...reached.values());
}

function latencyOf(values: number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? NaN, count: sorted.length };
}

function isSubsequence(items: readonly string[], of: readonly string[]): boolean {
  let j = 0;
  for (const item of items) {
    while (j < of.length && of[j] !== item) j++;
    if (j === of.length) return false;
    j++;
  }
  return true;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

const reading = (variant: Variant) => (variant === 'slow' ? CONSUMERS - 5 : CONSUMERS);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`,
  );
  console.log(
    `store: ${STORE}; ${CONSUMERS} consumers; backlog ${BACKLOG} signatures (3 feed events each); live: ${LIVE} communes × 3 commands (sign, annex, offer change) ` +
      `from ${WRITERS} writers, and ${CHURN_COMMUNES} communes × ${CHURN} daily offer changes from ${WRITERS} more\n`,
  );
  let failed = false;
  for (const variant of VARIANTS) {
    const f = await runVariant(variant);
    failed ||= !f.pass;
    const title = {
      none: 'no consumer (the baseline: the same commands only)',
      normal: `${CONSUMERS} example consumers`,
      slow: `5 stalled for the whole burst, 5 slow handlers, ${CONSUMERS - 10} example consumers`,
    }[variant];
    console.log(`## ${variant}: ${title}`);
    if (variant !== 'none') {
      console.log(
        `${f.pass ? 'PASS' : 'FAIL'}: each of ${CONSUMERS} consumers received ${f.pass ? 'every one' : 'NOT every one'} of the feed's ${f.feedEvents} events (${mb(f.feedBytes)}), once, in order`,
      );
      for (const failure of f.failures) console.log(`  ${failure}`);
    }
    console.log(
      `feed: ${f.backlogEvents} events before the consumers connected (${BACKLOG} commands and their projection: ${f.backlogSeconds.toFixed(1)} s), ${f.feedEvents - f.backlogEvents} more while they followed (${mb(f.feedBytes)} in all)`,
    );
    console.log(
      `burst: ${f.liveCommands} commands in ${f.liveSeconds.toFixed(1)} s = ${(f.liveCommands / f.liveSeconds).toFixed(0)} commands/s`,
    );
    if (variant !== 'none') {
      console.log(
        `backlog: the ${reading(variant)} reading consumers held its ${f.backlogEvents} events ${f.backlogReadSeconds.toFixed(1)} s after connecting: ${f.backlogDeliveries} deliveries = ${(f.backlogDeliveries / f.backlogReadSeconds).toFixed(0)} events/s`,
      );
      console.log(
        `after the burst: the reading consumers held its last event ${f.readingCaughtUpSeconds.toFixed(2)} s after its last command` +
          (variant === 'slow' ? `; the stalled ones, resumed then, ${f.stalledCaughtUpSeconds.toFixed(2)} s later` : ''),
      );
      const latency = (l: Latency) => `p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms over ${l.count} deliveries`;
      console.log(`latency, recorded → handled by an example consumer: during the burst ${latency(f.burstLatency)}`);
      console.log(`  paced (${f.pacedCommands} signatures at ${PACED_RATE}/s, consumers at the head): ${latency(f.pacedLatency)}`);
    }
    const { start, end } = f.memory;
    console.log(
      `api memory: RSS start ${mb(start.rss)}, peak ${mb(f.memory.peakRss)}, end ${mb(end.rss)}; heap used start ${mb(start.heapUsed)}, peak ${mb(f.memory.peakHeap)}, end ${mb(end.heapUsed)} (start and end after a GC)`,
    );
    console.log(`api bytes held unsent by the feed streams: peak ${mb(f.memory.peakBuffered)} (summed over the open streams)`);
    if (f.stalledBehindBytes !== undefined)
      console.log(`the stalled consumers were ${mb(f.stalledBehindBytes)} behind each when they resumed`);
    console.log('');
  }
  if (failed) process.exitCode = 1;
}

if (process.argv.includes('--serve')) {
  serve().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
