import { METROPOLE_COMMUNES } from './support/communes';
import { getDefaultHighWaterMark } from 'node:stream';
import { FeedService } from '../apps/api/src/feed/feed.service';
import { bearer, describeE2E, startTestApp } from './support/app';
import { FeedItemBody, RawSse, baseUrlOf, readWholeFeed } from './support/feed-sse';
import { invalidFeedEvents } from './support/feed-schemas';

// Short heartbeats and small pages (3 events, or fewer past 1 500 bytes), so that they show within a test
// (the configuration of each app started here).
const TEST_ENV = { FEED_HEARTBEAT_MS: '100', FEED_STREAM_PAGE_SIZE: '3', FEED_STREAM_PAGE_BYTES: '1500' };

/**
 * GET /api/feed/stream (API.md): Server-Sent Events with `id` = position, the backlog then live
 * events, Last-Event-ID, heartbeats, a paused client that holds nobody back, and streams that end
 * with their client or with the app.
 */
describeE2E(
  'feed: the Server-Sent Events stream',
  (current) => {
    let baseUrl = '';
    let last = '0';
    let communes = 0;
    const open: RawSse[] = [];

    /** Signs a convention with a toodego annex in a new commune: two feed events (signed, granted). */
    async function signOne(serviceId = 'toodego', offerId = 'partenaire'): Promise<void> {
      const { http, tokens } = current();
      communes += 1;
      const { insee, name } = METROPOLE_COMMUNES[communes];
      const response = await http
        .post('/api/conventions')
        .set(bearer(tokens.admin))
        .send({
          communeInsee: insee,
          communeName: name,
          signedOn: '2026-01-10',
          effectiveFrom: '2026-02-01',
          annexes: [{ serviceId, offerId, effectiveFrom: '2026-02-01' }],
        });
      expect(response.status).toBe(201);
      last = response.body.position;
    }

    async function connect(token: string, headers: Record<string, string> = {}, query = ''): Promise<RawSse> {
      const sse = await RawSse.open(baseUrl, `/api/feed/stream${query}`, { ...bearer(token), ...headers });
      open.push(sse);
      return sse;
    }

    const feed = (token = current().tokens.consumer) => readWholeFeed(current().http, token, { minPosition: last });
    const asItems = (sse: RawSse) => sse.events.map((event) => JSON.parse(event.data) as FeedItemBody);

    beforeAll(async () => {
      baseUrl = await baseUrlOf(current().app);
      for (let i = 0; i < 4; i++) await signOne(i % 2 === 0 ? 'toodego' : 'laclasse', i % 2 === 0 ? 'partenaire' : 'standard');
    }, 60_000);

    afterEach(() => {
      for (const sse of open.splice(0)) sse.close();
    });

    it('sends the backlog, id = position and data = the item, across several database pages, then live events soon after each command', async () => {
      const sse = await connect(current().tokens.consumer);
      expect(sse.status).toBe(200);
      expect(sse.response.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(sse.response.headers['cache-control']).toMatch(/no-cache/);
      const backlog = await feed();
      expect(backlog).toHaveLength(8);
      await sse.waitFor(() => sse.events.length >= backlog.length, 10_000, 'the backlog');
      expect(sse.events.map((event) => event.id)).toEqual(backlog.map((item) => item.position));
      expect(asItems(sse)).toEqual(backlog);
      // Live: each command's events arrive without a reconnection.
      for (let round = 1; round <= 3; round++) {
        await signOne();
        await sse.waitFor(() => sse.events.length >= backlog.length + 2 * round, 10_000, `live events of command ${round}`);
      }
      const whole = await feed();
      expect(asItems(sse)).toEqual(whole);
      expect(invalidFeedEvents(asItems(sse))).toEqual([]);
      // The only fields written: retry (first), then id and data.
      expect(new Set(sse.fields)).toEqual(new Set(['retry', 'id', 'data']));
    });

    it('sends a heartbeat comment while idle', async () => {
      const sse = await connect(current().tokens.consumer, {}, `?after=${(await feed()).at(-1)!.position}`);
      await sse.waitFor(() => sse.comments.filter((comment) => comment === 'heartbeat').length >= 2, 10_000, 'two heartbeats');
      expect(sse.events).toEqual([]);
    });

    it('resumes right after Last-Event-ID (which wins over ?after, as EventSource keeps its first URL), or after ?after', async () => {
      const whole = await feed();
      const k = 5;
      const byHeader = await connect(current().tokens.consumer, { 'Last-Event-ID': whole[k - 1].position }, '?after=0');
      const byQuery = await connect(current().tokens.consumer, {}, `?after=${whole[k - 1].position}`);
      for (const sse of [byHeader, byQuery]) {
        await sse.waitFor(() => sse.events.length >= whole.length - k, 10_000, 'the rest of the feed');
        expect(asItems(sse)).toEqual(whole.slice(k));
      }
    });

    it('applies the services claim to the stream', async () => {
      const sse = await connect(current().tokens.consumerOf(['laclasse']));
      const expected = await feed(current().tokens.consumerOf(['laclasse']));
      expect(expected.some((item) => item.type === 'EntitlementGranted')).toBe(true);
      await sse.waitFor(() => sse.events.length >= expected.length, 10_000, 'the laclasse events');
      await signOne('laclasse', 'standard');
      await signOne('toodego', 'partenaire');
      const after = await feed(current().tokens.consumerOf(['laclasse']));
      await sse.waitFor(() => sse.events.length >= after.length, 10_000, 'the new laclasse events');
      expect(asItems(sse)).toEqual(after);
      expect(
        asItems(sse).every(
          (item) => item.type === 'ConventionStatusChanged' || (item.data as { serviceId: string }).serviceId === 'laclasse',
        ),
      ).toBe(true);
    });

    it('a paused reader holds nobody back, and once it reads again gets everything, once, in order', async () => {
      const slow = await connect(current().tokens.consumer);
      const fast = await connect(current().tokens.consumer);
      const before = await feed();
      await slow.waitFor(() => slow.events.length >= before.length, 10_000, 'the slow reader’s backlog');
      slow.pause();
      const seenBySlow = slow.events.length;
      for (let i = 0; i < 3; i++) await signOne();
      const whole = await feed();
      await fast.waitFor(() => fast.events.length >= whole.length, 10_000, 'the fast reader');
      expect(asItems(fast)).toEqual(whole);
      expect(slow.events.length).toBe(seenBySlow);
      slow.resume();
      await slow.waitFor(() => slow.events.length >= whole.length, 10_000, 'the slow reader after resuming');
      expect(asItems(slow)).toEqual(whole);
    });

    it('ends the server side of a stream when its client leaves', async () => {
      const service = current().app.get(FeedService);
      const openStreams = async (expected: number) => {
        for (let i = 0; i < 400 && service.openStreams !== expected; i++) await new Promise((resolve) => setTimeout(resolve, 25));
        return service.openStreams;
      };
      expect(await openStreams(0)).toBe(0); // the previous tests' clients have left
      const sse = await connect(current().tokens.consumer);
      await sse.waitFor(() => sse.events.length > 0, 10_000, 'a first event');
      expect(service.openStreams).toBe(1);
      sse.close();
      expect(await openStreams(0)).toBe(0);
    });

    it('a client that stops reading costs the server a page at most, and app.close() ends every stream, even that one', async () => {
      const other = await startTestApp(current().kind, TEST_ENV);
      let closed = false;
      try {
        // A throwaway app whose feed table is filled directly with 8 MB of 2 KB items: far more than the
        // sockets' buffers can take, so the server meets back-pressure.
        const pad = 'x'.repeat(2000);
        await other.db.query(
          `INSERT INTO feed_events (seq, type, version, services, body, source_commit, source_prepare)
         SELECT g, 'Padding', 1, NULL, '{"type":"Padding","version":1,"position":"' || g || '","pad":"${pad}"}', 0, 0 FROM generate_series(1, 4000) g`,
        );
        const url = await baseUrlOf(other.app);
        const service = other.app.get(FeedService);
        const streams = await Promise.all(
          [0, 1, 2].map(() => RawSse.open(url, '/api/feed/stream?after=4000', bearer(other.tokens.consumer))),
        );
        await Promise.all(streams.map((sse) => sse.waitFor(() => sse.comments.includes('heartbeat'), 10_000, 'a heartbeat')));
        const stalled = await RawSse.open(url, '/api/feed/stream', bearer(other.tokens.consumer));
        stalled.pause();
        // Until the server holds bytes it cannot send (write() said no), then a while longer.
        for (let i = 0; i < 400 && service.bufferedBytes === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
        await new Promise((resolve) => setTimeout(resolve, 500));
        const held = service.bufferedBytes;
        expect(held).toBeGreaterThan(0);
        // One page (here one 2 KB item, FEED_STREAM_PAGE_BYTES) beyond what the response's buffer accepts
        // before write() says no (16 KB up to Node 21, 64 KB since).
        expect(held).toBeLessThan(getDefaultHighWaterMark(false) + 2 * 2100);
        await other.close();
        closed = true;
        stalled.resume();
        await Promise.all([...streams, stalled].map((sse) => sse.ended));
        expect(service.openStreams).toBe(0);
        // What the stalled client did get is the start of the feed, in order: it can resume after its last id.
        const ids = stalled.events.map((event) => Number(event.id));
        expect(ids).toEqual(ids.map((_, i) => i + 1));
      } finally {
        if (!closed) await other.close();
      }
    }, 60_000);
  },
  TEST_ENV,
);
