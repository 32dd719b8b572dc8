/**
 * An example downstream consumer of the feed (docs/integration-events.md): it follows
 * `GET /api/feed/stream` (Server-Sent Events), keeps a local read model — the last snapshot of every
 * access (Entitlement* events), the status of every convention, the last issue of every billing year —
 * and saves that model together with the id of the last event it applied, so that after a crash, a
 * restart or a dropped connection it resumes right after it (Last-Event-ID): nothing missed, nothing twice.
 *
 * Standalone on purpose: Node 22 (fetch, web streams), no framework, nothing imported from this repository.
 * Copy it as a starting point; the e2e tests (test/feed-consumer.e2e.spec.ts) run this very code.
 *
 *   FEED_URL=http://localhost:3000 FEED_TOKEN=<consumer JWT> npx ts-node --transpile-only examples/feed-consumer.ts [state.json]
 *
 * A consumer token comes from `npm run cli -- token --role consumer`. The state file defaults to
 * ./feed-consumer-state.json. Ctrl-C stops it; run it again and it goes on from where it stopped.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';

/** The envelope every feed item has (the `FeedEnvelope` of the contract). */
export interface FeedEvent {
  type: string;
  version: number;
  /** Opaque: store it, send it back, never parse nor compare it. */
  position: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

export interface OfferPeriod {
  offerId: string;
  from: string | null;
  until: string | null;
}

/** An access as the last Entitlement* event about it described it (event-carried state). */
export interface EntitlementSnapshot {
  entitlementId: string;
  communeInsee: string;
  serviceId: string;
  offerId: string;
  from: string | null;
  until: string | null;
  offers: OfferPeriod[];
  source: { kind: 'convention'; id: string; annexFrom: string } | { kind: 'legacy'; id: string };
}

export interface ConventionStatus {
  conventionId: string;
  communeInsee: string;
  communeName: string;
  status: 'active' | 'ended';
  change: string;
  lastDay: string | null;
  endReason: string | null;
}

/** The consumer's whole state: its read model and where it stands in the feed, saved together. */
export interface ConsumerState {
  /** The id of the last event applied; null before the first. */
  lastEventId: string | null;
  entitlements: Record<string, EntitlementSnapshot>;
  conventions: Record<string, ConventionStatus>;
  /** Per billing year, its last issue (what finance would bill). */
  ledgers: Record<string, { issueNumber: number; kind: string; grandTotal: string }>;
}

export function emptyState(): ConsumerState {
  return { lastEventId: null, entitlements: {}, conventions: {}, ledgers: {} };
}

/** Where the state lives between runs. save() must be atomic: the model and its id go together or not at all. */
export interface StateStore {
  load(): Promise<ConsumerState | undefined>;
  save(state: ConsumerState): Promise<void>;
}

/** A JSON file, replaced atomically (written beside, then renamed over). */
export class FileStateStore implements StateStore {
  constructor(private readonly path: string) {}

  async load(): Promise<ConsumerState | undefined> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as ConsumerState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async save(state: ConsumerState): Promise<void> {
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(state));
    await rename(temporary, this.path);
  }
}

/** Kept in memory as JSON text, as a file would be (what the tests use to "restart" a consumer). */
export class MemoryStateStore implements StateStore {
  private saved: string | undefined;
  async load(): Promise<ConsumerState | undefined> {
    return this.saved === undefined ? undefined : (JSON.parse(this.saved) as ConsumerState);
  }
  async save(state: ConsumerState): Promise<void> {
    this.saved = JSON.stringify(state);
  }
}

/**
 * Applies one event to the model (in place). Only the versions this consumer was written for are read;
 * any other type or version is skipped — the contract lets new ones appear — but its id still counts.
 */
export function applyEvent(state: ConsumerState, event: FeedEvent): void {
  if (event.version !== 1) return;
  switch (event.type) {
    case 'EntitlementGranted':
    case 'EntitlementChanged':
    case 'EntitlementEnded': {
      const { entitlementId, communeInsee, serviceId, offerId, from, until, offers, source } = event.data as unknown as EntitlementSnapshot;
      state.entitlements[entitlementId] = { entitlementId, communeInsee, serviceId, offerId, from, until, offers, source };
      break;
    }
    case 'ConventionStatusChanged': {
      const { conventionId, communeInsee, communeName, status, change, lastDay, endReason } = event.data as unknown as ConventionStatus;
      state.conventions[conventionId] = { conventionId, communeInsee, communeName, status, change, lastDay, endReason };
      break;
    }
    case 'FeeLedgerIssued': {
      const { year, issueNumber, kind, totals } = event.data as {
        year: number;
        issueNumber: number;
        kind: string;
        totals: { grandTotal: string };
      };
      state.ledgers[String(year)] = { issueNumber, kind, grandTotal: totals.grandTotal };
      break;
    }
  }
}

/** One access in force on a day, shaped like an item of GET /api/entitlements. */
export interface EntitlementOnDay {
  serviceId: string;
  offerId: string;
  from: string | null;
  until: string | null;
  source: EntitlementSnapshot['source'];
}

/**
 * What the model says is in force on `day` (YYYY-MM-DD), grouped by commune like GET /api/entitlements:
 * every offer period of every access whose [from, until] holds the day (both included; null open-ended).
 */
export function entitlementsOn(state: ConsumerState, day: string): Array<{ communeInsee: string; entitlements: EntitlementOnDay[] }> {
  const byCommune = new Map<string, EntitlementOnDay[]>();
  for (const snapshot of Object.values(state.entitlements)) {
    for (const period of snapshot.offers) {
      if ((period.from === null || period.from <= day) && (period.until === null || day <= period.until)) {
        const list = byCommune.get(snapshot.communeInsee) ?? [];
        list.push({
          serviceId: snapshot.serviceId,
          offerId: period.offerId,
          from: period.from,
          until: period.until,
          source: snapshot.source,
        });
        byCommune.set(snapshot.communeInsee, list);
      }
    }
  }
  return [...byCommune.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([communeInsee, entitlements]) => ({ communeInsee, entitlements }));
}

export interface FeedConsumerOptions {
  /** The API's origin, e.g. http://localhost:3000 (the routes are under /api). */
  baseUrl: string;
  /** A bearer token of role consumer. */
  token: string;
  store: StateStore;
  /** Called after each event is applied and saved. */
  onEvent?: (event: FeedEvent, state: ConsumerState) => void | Promise<void>;
  /** Reconnect this long after the server ends a stream (the server's `retry:` replaces it). */
  reconnectDelayMs?: number;
  /** With nothing at all received (not even a heartbeat) for this long, the connection is presumed dead and opened again. */
  idleTimeoutMs?: number;
  log?: (message: string) => void;
}

/** A refusal that retrying will not cure (bad token, bad request): the consumer stops. */
export class FeedRefused extends Error {
  constructor(
    readonly status: number,
    readonly problem: unknown,
  ) {
    super(`The feed refused the request: HTTP ${status} ${JSON.stringify(problem)}`);
  }
}

/**
 * Follows the feed and keeps the model. Every event is applied and saved, with its id, before the next
 * one is read — and the next is read only then, so a slow consumer just slows its stream down (the server
 * stops reading for it: back-pressure end to end).
 */
export class FeedConsumer {
  state: ConsumerState = emptyState();
  /** What it has seen since it was created: for logs and tests. */
  readonly stats = { connections: 0, events: 0, heartbeats: 0 };
  private reconnectDelayMs: number;

  constructor(private readonly options: FeedConsumerOptions) {
    this.reconnectDelayMs = options.reconnectDelayMs ?? 2_000;
  }

  /** Reads the saved state: call once before following. */
  async load(): Promise<ConsumerState> {
    this.state = (await this.options.store.load()) ?? emptyState();
    return this.state;
  }

  /**
   * One connection: resumes after the saved id and applies events until the server ends the stream
   * (resolves), the signal aborts (resolves), or the connection fails (rejects; FeedRefused for a 4xx).
   */
  async follow(signal?: AbortSignal): Promise<void> {
    const idle = new AbortController();
    const combined = signal ? AbortSignal.any([signal, idle.signal]) : idle.signal;
    let timer: NodeJS.Timeout | undefined;
    const alive = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => idle.abort(new Error('no data nor heartbeat: connection presumed dead')),
        this.options.idleTimeoutMs ?? 60_000,
      );
    };
    try {
      alive();
      const headers: Record<string, string> = { Authorization: `Bearer ${this.options.token}`, Accept: 'text/event-stream' };
      if (this.state.lastEventId !== null) headers['Last-Event-ID'] = this.state.lastEventId;
      const response = await fetch(new URL('/api/feed/stream', this.options.baseUrl), { headers, signal: combined });
      if (!response.ok || !response.body) {
        const problem = await response.json().catch(() => response.statusText);
        if (response.status >= 400 && response.status < 500) throw new FeedRefused(response.status, problem);
        throw new Error(`The feed answered HTTP ${response.status}`);
      }
      this.stats.connections += 1;
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(timer); // our own slowness is not the connection's death
        for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
          if (message.kind === 'comment') this.stats.heartbeats += 1;
          else if (message.kind === 'retry') this.reconnectDelayMs = message.ms;
          else await this.handle(message.id, message.data);
          if (combined.aborted) return;
        }
        alive();
      }
    } catch (error) {
      if (signal?.aborted) return; // stopped by the caller
      throw idle.signal.aborted ? idle.signal.reason : error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Follows until the signal aborts, reconnecting after each end or failure (but not after a FeedRefused). */
  async run(signal: AbortSignal): Promise<void> {
    await this.load();
    while (!signal.aborted) {
      try {
        await this.follow(signal);
      } catch (error) {
        if (error instanceof FeedRefused) throw error;
        this.options.log?.(`connection lost: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (signal.aborted) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.reconnectDelayMs);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }

  private async handle(id: string | null, data: string): Promise<void> {
    if (id === null) throw new Error('An event without id: the consumer could not resume after it');
    const event = JSON.parse(data) as FeedEvent;
    applyEvent(this.state, event);
    this.state.lastEventId = id;
    await this.options.store.save(this.state);
    this.stats.events += 1;
    await this.options.onEvent?.(event, this.state);
  }
}

type SseMessage = { kind: 'event'; id: string | null; data: string } | { kind: 'comment'; text: string } | { kind: 'retry'; ms: number };

/** The text/event-stream format (WHATWG HTML, "Server-sent events"), enough of it for this feed. */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private id: string | null = null;
  private lastEventId: string | null = null;

  /** Feeds text in; returns the messages completed by it (an event ends at a blank line). */
  push(text: string): SseMessage[] {
    this.buffer += text;
    const messages: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') {
      if (this.id !== null) this.lastEventId = this.id;
      const data = this.data;
      this.data = [];
      this.id = null;
      return data.length > 0 ? { kind: 'event', id: this.lastEventId, data: data.join('\n') } : undefined;
    }
    if (line.startsWith(':')) return { kind: 'comment', text: line.slice(1).trim() };
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) return { kind: 'retry', ms: Number(value) };
    return undefined;
  }
}

/** The command line: follows FEED_URL with FEED_TOKEN, keeps the state in a file, prints what it applies. */
async function main(): Promise<void> {
  const baseUrl = process.env.FEED_URL ?? 'http://localhost:3000';
  const token = process.env.FEED_TOKEN;
  if (!token) {
    console.error('FEED_TOKEN is required: a consumer token (npm run cli -- token --role consumer)');
    process.exit(2);
  }
  const path = process.argv[2] ?? 'feed-consumer-state.json';
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  const consumer = new FeedConsumer({
    baseUrl,
    token,
    store: new FileStateStore(path),
    log: (message) => console.error(message),
    onEvent: (event, state) =>
      console.log(
        `${event.position} ${event.type} v${event.version} — ${Object.keys(state.entitlements).length} accesses, ${Object.keys(state.conventions).length} conventions`,
      ),
  });
  const state = await consumer.load();
  console.error(`Following ${baseUrl}/api/feed/stream from ${state.lastEventId ?? 'the beginning'}; state in ${path}`);
  try {
    await consumer.run(stop.signal);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  console.error(`Stopped after ${consumer.state.lastEventId ?? 'nothing'}: ${consumer.stats.events} events applied in this run.`);
}

if (require.main === module) void main();
