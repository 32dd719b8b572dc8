import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiProcess, spawnApi } from './support/api-process';

const BACKLOG_SIGNATURES = 1_000; // three feed events each (signed, two grants): a backlog of 3 000
const STREAMS = 200;
/** Generous "did not freeze" bounds, not speed measurements. */
const HEALTH_BOUND_MS = 2_000;
const COMMAND_BOUND_MS = 5_000;

/**
 * One SSE connection that keeps only what the test checks (a count, the last id, the order) rather
 * than every event: 200 of them read 3 000 events each.
 */
class CountingStream {
  count = 0;
  lastId = 0;
  outOfOrder = 0;
  ended = false;
  private rest = '';
  private readonly request: ClientRequest;

  constructor(url: string, token: string) {
    this.request = httpRequest(
      new URL('/api/feed/stream', url),
      { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } },
      (response) => {
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => this.receive(chunk));
        response.on('close', () => (this.ended = true));
      },
    );
    this.request.on('error', () => (this.ended = true));
    this.request.end();
  }

  private receive(chunk: string): void {
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('id: ')) continue;
      const id = Number(line.slice(4));
      if (!(id > this.lastId)) this.outOfOrder += 1;
      this.lastId = id;
      this.count += 1;
    }
  }

  close(): void {
    this.request.destroy();
  }
}

/**
 * On PGlite one connection serves everything, and 200 streams catching up from the
 * start of the feed used to queue their page reads ahead of every other query: /api/health went
 * unanswered for about 30 s. Reads of a backlog must leave room for health and commands, while every
 * stream still receives every event, in order. The API is a real process: the test's own clients do not
 * share its event loop.
 */
describe('feed streams on PGlite: 200 streams catching up do not starve health and commands', () => {
  let dataDir: string;
  let api: ApiProcess;
  const streams: CountingStream[] = [];
  let insee = 0;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'feed-fairness-'));
    // Hundreds of made-up communes, more than the Métropole has (COMMUNE_CHECK, docs/communes.md).
    api = await spawnApi({ EVENT_STORE: 'pglite', DATA_DIR: dataDir, COMMUNE_CHECK: 'synthetic' });
    await api.waitHealthy();
  }, 90_000);

  afterAll(async () => {
    for (const stream of streams) stream.close();
    await api?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function sign(): Promise<string> {
    insee += 1;
    const code = String(10_000 + insee);
    const response = await fetch(`${api.url}/api/conventions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.token('admin')}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        communeInsee: code,
        communeName: `Commune ${code}`,
        signedOn: '2026-01-10',
        effectiveFrom: '2026-02-01',
        annexes: [
          { serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-02-01' },
          { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-02-01' },
        ],
      }),
    });
    if (response.status !== 201) throw new Error(`signing ${code} answered ${response.status}: ${await response.text()}`);
    return ((await response.json()) as { position: string }).position;
  }

  /** The feed's head once it has caught up with `position`: its last item's position and the count. */
  async function feedHead(position: string): Promise<{ last: number; count: number }> {
    let after = '0';
    let count = 0;
    let last = 0;
    for (let first = true; ; first = false) {
      const query = new URLSearchParams({ after, limit: '1000', ...(first ? { minPosition: position } : {}) });
      const response = await fetch(`${api.url}/api/feed?${query}`, { headers: { authorization: `Bearer ${api.token('consumer')}` } });
      if (response.status !== 200) throw new Error(`GET /api/feed answered ${response.status}`);
      const page = (await response.json()) as { items: Array<{ position: string }>; next: string };
      count += page.items.length;
      if (page.items.length > 0) last = Number(page.items[page.items.length - 1].position);
      if (page.items.length < 1000) return { last, count };
      after = page.next;
    }
  }

  /** How long GET /api/health takes to answer 200 (a freeze shows as the 30 s timeout). */
  async function healthLatency(): Promise<number> {
    const started = Date.now();
    const response = await fetch(`${api.url}/api/health`, { signal: AbortSignal.timeout(30_000) });
    expect(response.status).toBe(200);
    return Date.now() - started;
  }

  it('answers health within 2 s and acknowledges a command within a few seconds throughout, and every stream gets every event in order', async () => {
    let position = '0';
    for (let i = 0; i < BACKLOG_SIGNATURES; i += 4) position = (await Promise.all([sign(), sign(), sign(), sign()]))[3];
    const backlog = await feedHead(position);
    expect(backlog.count).toBe(3 * BACKLOG_SIGNATURES);

    for (let i = 0; i < STREAMS; i++) streams.push(new CountingStream(api.url, api.token('consumer')));
    const caughtUp = () => streams.every((stream) => stream.lastId >= backlog.last);

    // While they catch up: health, sequentially, and one command a second.
    const healthTimes: number[] = [];
    const commandTimes: number[] = [];
    const deadline = Date.now() + 240_000;
    let nextCommand = Date.now() + 500;
    while (!caughtUp() && Date.now() < deadline) {
      healthTimes.push(await healthLatency());
      if (Date.now() >= nextCommand) {
        const started = Date.now();
        position = await sign();
        commandTimes.push(Date.now() - started);
        nextCommand = Date.now() + 1_000;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const head = await feedHead(position);
    while (!streams.every((stream) => stream.lastId >= head.last) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));

    expect(Math.max(...healthTimes)).toBeLessThan(HEALTH_BOUND_MS);
    expect(Math.max(...commandTimes)).toBeLessThan(COMMAND_BOUND_MS);
    // The measurements were taken during the catch-up, not after it.
    expect(healthTimes.length).toBeGreaterThan(5);
    expect(commandTimes.length).toBeGreaterThan(0);
    const received = streams.map((stream) => ({
      count: stream.count,
      lastId: stream.lastId,
      outOfOrder: stream.outOfOrder,
      ended: stream.ended,
    }));
    expect(received).toEqual(streams.map(() => ({ count: head.count, lastId: head.last, outOfOrder: 0, ended: false })));
  }, 600_000);
});
