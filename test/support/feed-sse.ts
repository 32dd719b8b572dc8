import { INestApplication } from '@nestjs/common';
import { request as httpRequest, IncomingMessage, ClientRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import type { TestApp } from './app';
import { bearer } from './app';

/** A feed item as GET /api/feed returns it. */
export interface FeedItemBody {
  type: string;
  version: number;
  position: string;
  occurredAt: string;
  data: unknown;
}

/** Every item of the feed a token may see, page after page (after = next). */
export async function readWholeFeed(
  http: TestApp['http'],
  token: string,
  options: { limit?: number; minPosition?: string } = {},
): Promise<FeedItemBody[]> {
  const limit = options.limit ?? 1000;
  const items: FeedItemBody[] = [];
  let after = '0';
  for (let first = true; ; first = false) {
    const query: Record<string, string | number> = {
      after,
      limit,
      ...(first && options.minPosition ? { minPosition: options.minPosition } : {}),
    };
    const response = await http.get('/api/feed').query(query).set(bearer(token));
    if (response.status !== 200) throw new Error(`GET /api/feed answered ${response.status}: ${JSON.stringify(response.body)}`);
    items.push(...(response.body.items as FeedItemBody[]));
    if (response.body.items.length < limit) return items;
    after = response.body.next;
  }
}

/** The app on a real port (SSE needs a live socket), once per app. */
export async function baseUrlOf(app: INestApplication): Promise<string> {
  const server = app.getHttpServer();
  if (!server.listening) await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface SseEvent {
  id: string | undefined;
  data: string;
}

/**
 * A bare SSE connection for the tests (node:http, not the example consumer): it records events and
 * comments as they come, and can stop reading (pause) to play a slow client. Its parser is deliberately
 * minimal and independent of the example's: the server writes `\n` line ends only.
 */
export class RawSse {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  fields: string[] = [];
  private text = '';
  private readonly waiters = new Set<() => void>();
  readonly ended: Promise<void>;
  private constructor(
    private readonly request: ClientRequest,
    readonly response: IncomingMessage,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.receive(chunk));
    this.ended = new Promise((resolve) => {
      response.on('close', resolve);
      response.on('error', () => resolve());
    });
  }

  static open(baseUrl: string, path: string, headers: Record<string, string>): Promise<RawSse> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(new URL(path, baseUrl), { headers: { Accept: 'text/event-stream', ...headers } }, (response) =>
        resolve(new RawSse(request, response)),
      );
      request.on('error', reject);
      request.end();
    });
  }

  get status(): number {
    return this.response.statusCode ?? 0;
  }

  /** Resolves once `check` holds (checked after every chunk); rejects after timeoutMs, saying what was seen. */
  waitFor(check: () => boolean, timeoutMs = 10_000, what = 'a condition'): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(poll);
        reject(new Error(`timed out waiting for ${what}: ${this.events.length} events, ${this.comments.length} comments`));
      }, timeoutMs);
      const poll = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(poll);
        resolve();
      };
      this.waiters.add(poll);
    });
  }

  pause(): void {
    this.response.pause();
  }

  resume(): void {
    this.response.resume();
  }

  close(): void {
    this.request.destroy();
  }

  private receive(chunk: string): void {
    this.text += chunk;
    let end: number;
    while ((end = this.text.indexOf('\n\n')) !== -1) {
      const block = this.text.slice(0, end);
      this.text = this.text.slice(end + 2);
      const lines = block.split('\n');
      if (lines.every((line) => line.startsWith(':'))) {
        this.comments.push(...lines.map((line) => line.slice(1).trim()));
        continue;
      }
      const id = lines.find((line) => line.startsWith('id: '))?.slice(4);
      const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6));
      this.fields.push(...lines.map((line) => line.split(':')[0]));
      if (data.length > 0) this.events.push({ id, data: data.join('\n') });
    }
    for (const waiter of [...this.waiters]) waiter();
  }
}
