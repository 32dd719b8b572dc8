import { PgliteDatabase } from '@lib/event-store/sql/pglite-database';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { FEED_TABLES, feedProjection } from '@lib/projections/feed';
import { FeedService } from '../apps/api/src/feed/feed.service';
import { FeedNotifier } from '../apps/api/src/feed/feed-notifier';
import { loadConfig } from '../apps/api/src/config/app-config';

/**
 * FeedService's page reads on a real PGlite: identical reads waiting for their turn are one query (the
 * streams an event wakes at the head), and a read never joins one that has already started (it would
 * miss what was committed in between). Queries are counted on their way to the real database.
 */
describe('FeedService page reads', () => {
  let real: PgliteDatabase;
  let feedQueries = 0;
  /** Runs once a feed query has been answered by the database, before its caller hears of it. */
  let afterFeedQuery: (() => Promise<void>) | undefined;
  let service: FeedService;

  const counted: SqlDatabase = {
    dialect: 'pglite',
    async query<R>(sql: string, params?: readonly unknown[]) {
      const result = await real.query<R>(sql, params);
      if (sql.includes(FEED_TABLES.feed_events) && sql.trimStart().startsWith('SELECT')) {
        feedQueries += 1;
        const hook = afterFeedQuery;
        afterFeedQuery = undefined;
        await hook?.();
      }
      return result;
    },
    transaction: (fn) => real.transaction(fn),
    listen: (channel, onNotify) => real.listen(channel, onNotify),
    close: () => real.close(),
  };

  const insert = (from: number, to: number) =>
    real.query(
      `INSERT INTO ${FEED_TABLES.feed_events} (seq, type, version, services, body, source_commit, source_prepare)
       SELECT g, 'Padding', 1, NULL, '{"position":"' || g || '"}', 0, 0 FROM generate_series($1::int, $2::int) g`,
      [from, to],
    );

  beforeAll(async () => {
    real = await PgliteDatabase.open();
    await real.transaction((tx) => feedProjection.setup(tx, FEED_TABLES));
    await insert(1, 10);
    // The notifier is not used by page reads.
    service = new FeedService(
      counted,
      loadConfig({ JWT_SECRET: 'feed-reads-secret-feed-reads-secret' }).feed,
      undefined as unknown as FeedNotifier,
    );
  }, 60_000);

  afterAll(() => real.close());

  beforeEach(() => (feedQueries = 0));

  it('twenty identical reads asked at once: those that find a free place run, the waiting ones are one query; each gets the page', async () => {
    const pages = await Promise.all(Array.from({ length: 20 }, () => service.page(0, 5, undefined, 262_144)));
    // PGlite's gate has two places.
    expect(feedQueries).toBeLessThanOrEqual(3);
    for (const page of pages) expect(page.items.map((item) => item.position)).toEqual([1, 2, 3, 4, 5]);
  });

  it('different reads are not merged', async () => {
    const [a, b] = await Promise.all([service.page(0, 5, undefined), service.page(5, 5, undefined)]);
    expect(feedQueries).toBe(2);
    expect([a.items.length, b.items.length]).toEqual([5, 5]);
  });

  it('a read asked after an identical one has answered is a new query and sees what was committed since', async () => {
    for (let round = 1; round <= 3; round++) {
      const { items } = await service.page(0, 1000, undefined);
      await insert(100 + round, 100 + round);
      const again = await service.page(0, 1000, undefined);
      expect(again.items.length).toBe(items.length + 1);
    }
  });

  it('a read asked once an identical one has started runs on its own and sees what was committed meanwhile', async () => {
    let second: Promise<Awaited<ReturnType<FeedService['page']>>> | undefined;
    afterFeedQuery = async () => {
      // The first read has its answer; a row is committed, then a stream asks again.
      await insert(11, 11);
      second = service.page(0, 1000, undefined);
    };
    const first = await service.page(0, 1000, undefined);
    expect(first.items.map((item) => item.position)).not.toContain(11);
    expect((await second!).items.map((item) => item.position)).toContain(11);
    expect(feedQueries).toBe(2);
  });
});
